//! The retention policy (one row). Floors are enforced in the domain layer.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "retention_settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Written dialogue kept this long after the case closed (norm 4.4.3: at least 6).
    pub dialogue_months: i32,
    pub recording_days: i32,
    /// Daily statistics (norm 4.3: at least 12).
    pub stats_months: i32,
    pub audit_months: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
