//! A campaign (kampanje/prosjekt) run for one client.

use sea_orm::entity::prelude::*;

use crate::enums::{CampaignKind, DialerMode};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub client_id: i32,
    /// Short code the dialer uses for the campaign (unique).
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// Public text: what the call is about.
    pub purpose: String,
    pub kind: CampaignKind,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub dialer_mode: DialerMode,
    pub created_at: DateTimeUtc,
    /// Whether the national reservation register applies; None: the default
    /// for the kind (yes for telemarketing, no for surveys).
    pub national_register: Option<bool>,
    /// Set when an admin exempted the campaign from the national register
    /// (markedsføringsloven § 12, calls to existing customers): the reason.
    pub national_exempt_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::client::Entity",
        from = "Column::ClientId",
        to = "super::client::Column::Id"
    )]
    Client,
    #[sea_orm(has_many = "super::caller_number::Entity")]
    CallerNumber,
}

impl Related<super::client::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Client.def()
    }
}

impl Related<super::caller_number::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CallerNumber.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
