//! One wash of a calling list, kept as the campaign's documentation: made
//! either through the API (a token) or in the back office (a user).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wash_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub at: DateTimeUtc,
    /// The API token that washed (None: a wash in the back office).
    pub token_id: Option<i32>,
    /// The user who washed in the back office (None: a wash through the API).
    pub user_id: Option<i32>,
    pub campaign_id: Option<i32>,
    pub count_in: i64,
    pub count_callable: i64,
    /// The national register: `applied`, `not-applied` (the campaign does
    /// not need it), `exempt`, `declined` (`national=false`), `not-imported`;
    /// None for runs from before it was in the wash.
    pub national: Option<String>,
    pub national_version_id: Option<i32>,
    pub national_extract_date: Option<Date>,
    pub national_checksum: Option<String>,
    /// The internal and client registers' shared version counter.
    pub register_version: Option<i64>,
    pub reserved_internal: i64,
    pub reserved_client: i64,
    pub reserved_national: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
