//! The centre's internal reservation (do-not-call) register, norm 4.4.4 and 10.

use sea_orm::entity::prelude::*;

use crate::enums::ReservationSource;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reservations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// One row per number.
    #[sea_orm(unique)]
    pub e164: String,
    pub source: ReservationSource,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
