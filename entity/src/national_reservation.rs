//! One number of one imported copy of the national reservation register.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "national_reservations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub version_id: i32,
    /// The national significant number (8 digits, without +47).
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
