//! Server-side staff sessions. The cookie holds the id; the table holds its
//! SHA-256, so a copy of the database does not hand out live sessions.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_hash: String,
    /// JSON of the session's data.
    pub data: String,
    pub expires_at: DateTimeUtc,
    /// The signed-in user, so all of a user's sessions can be ended at once.
    pub user_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
