//! What stays of a case after its personal data is purged: the statistical
//! facts only (no names, numbers, addresses or text).

use sea_orm::entity::prelude::*;

use crate::enums::Channel;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_facts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub case_id: i32,
    pub received_at: DateTimeUtc,
    /// The Oslo date the inquiry came in.
    pub received_on: Date,
    pub campaign_id: Option<i32>,
    pub client_id: Option<i32>,
    pub channel: Channel,
    pub category: String,
    pub answered_within24h: bool,
    pub first_response_secs: Option<i64>,
    /// Closed without an answer (spam, duplicate, no contact details).
    pub closed_without_answer: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
