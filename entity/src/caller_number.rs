//! A visible number the centre calls from, with its answering-machine message.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "caller_numbers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// E.164, e.g. `+4721000000`.
    pub e164: String,
    pub campaign_id: i32,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    /// What the answering machine on this number says (norm 4.4.2).
    pub message: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::campaign::Entity",
        from = "Column::CampaignId",
        to = "super::campaign::Column::Id"
    )]
    Campaign,
}

impl Related<super::campaign::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
