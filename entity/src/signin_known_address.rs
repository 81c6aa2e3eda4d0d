//! (Account, client address) pairs that have signed in: the account-wide cap
//! against distributed guessing never slows them. Only a keyed hash of the
//! pair is kept.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signin_known_addresses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub pair_hash: String,
    pub last_signed_in_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
