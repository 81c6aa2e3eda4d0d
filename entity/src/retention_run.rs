//! A receipt of one retention run: when, which date's policy, how many of
//! each kind. No personal data.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "retention_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub as_of: Date,
    pub dry_run: bool,
    /// JSON: kind → {count, oldest}.
    pub counts: String,
    /// JSON: kind → what went wrong (no personal data); that kind is
    /// retried by the next run. `None` when every step succeeded.
    pub failures: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
