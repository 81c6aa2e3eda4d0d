//! One message in a case's written dialogue.

use sea_orm::entity::prelude::*;

use crate::enums::{Channel, Delivery, Direction};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub case_id: i32,
    pub direction: Direction,
    pub channel: Channel,
    pub body: String,
    pub created_at: DateTimeUtc,
    /// Provider id: e-mail Message-ID, Twilio SID.
    pub external_id: Option<String>,
    /// The staff user who wrote an outbound message or note.
    pub author_id: Option<i32>,
    /// Where an outbound message stands: queued, sent, failed, delivered,
    /// undelivered; none for inbound messages and notes.
    pub delivery: Option<Delivery>,
    /// When the mail server or Twilio took it (sent), or when Twilio last
    /// reported on it.
    pub delivery_at: Option<DateTimeUtc>,
    /// Why it failed or was not delivered, as the provider said it.
    pub delivery_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::case::Entity",
        from = "Column::CaseId",
        to = "super::case::Column::Id",
        on_delete = "Cascade"
    )]
    Case,
}

impl Related<super::case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
