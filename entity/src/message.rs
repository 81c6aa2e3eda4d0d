//! One message in a case's written dialogue.

use sea_orm::entity::prelude::*;

use crate::enums::{Channel, Direction};

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
