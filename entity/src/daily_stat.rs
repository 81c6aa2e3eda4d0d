//! One campaign's dialer figures for one day (norm 4.3 a-e).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "daily_stats")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub day: Date,
    pub campaign_id: i32,
    /// (a) call attempts.
    pub attempted: i64,
    /// (b) answered (established) calls.
    pub answered: i64,
    /// (c) connected calls.
    pub connected: i64,
    /// (d) calls transferred to an available agent.
    pub transferred: i64,
    /// (e) abandoned calls.
    pub abandoned: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
