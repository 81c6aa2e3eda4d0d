//! A call the dialer abandoned (norm 4.6.3): for a while after, the number may
//! only be called by an agent dialling by hand.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "abandoned_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub e164: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
