//! A document whose copy in the search server must be brought in line with
//! the database. Written in the same transaction as the change (or the
//! deletion) it follows; the index job re-reads the database and deletes the
//! row once the search server took the document.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `case` or `client`.
    pub kind: String,
    pub doc_id: i32,
    /// `upsert` or `delete`: what the last change asked for (the job decides
    /// from the database itself, so a stale op never resurrects a document).
    pub op: String,
    /// Bumped by every change that merges into this row, so the job never
    /// drops a change made while it was working.
    pub generation: i32,
    pub attempts: i32,
    /// Null: due now.
    pub next_attempt_at: Option<DateTimeUtc>,
    /// A worker that claimed the row owns it until then.
    pub claimed_until: Option<DateTimeUtc>,
    /// What went wrong last time, without personal data.
    pub last_error: Option<String>,
    /// The Meilisearch task that carries the document's latest copy: null
    /// until sent; the row is deleted once that task succeeded. `-1` marks
    /// a row kept (already indexed) while `innsyn reindex` builds fresh
    /// indexes, to be sent again after the swap.
    pub task_uid: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
