//! One imported copy of the national reservation register
//! (Reservasjonsregisteret, Brønnøysundregistrene): kept as a version record
//! after its numbers are replaced by a newer copy.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "national_register_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The date Brønnøysund extracted the copy (uttrekksdato).
    pub extract_date: Date,
    pub imported_at: DateTimeUtc,
    /// The user's e-mail address, or `command line`.
    pub imported_by: String,
    /// Distinct numbers in the copy (while importing: read so far).
    pub count: i64,
    pub invalid_lines: i64,
    /// SHA-256 of the imported file, hex.
    pub checksum: String,
    /// `importing`, `current`, `replaced` or `failed`.
    pub state: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
