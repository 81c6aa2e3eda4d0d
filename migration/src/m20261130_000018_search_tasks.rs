//! Search (issue 20): a queued index job remembers the Meilisearch task that
//! carries its document, so a document counts as indexed only once that task
//! succeeded; on PostgreSQL, trigram indexes (`pg_trgm`) let the database
//! fallback's `lower(column) LIKE '%fragment%'` use an index instead of
//! reading every message.
//!
//! SQLite gets only the column: its fallback matches case-insensitively with
//! a registered `REGEXP` (see `domain::search::db`), which no index serves.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SearchJobs {
    Table,
    TaskUid,
}

/// (index name, table, expression) of the trigram indexes: the same
/// expressions the fallback's conditions use.
const TRIGRAM: [(&str, &str, &str); 4] = [
    ("idx_messages_body_trgm", "messages", "lower(body)"),
    (
        "idx_cases_consumer_name_trgm",
        "cases",
        "lower(consumer_name)",
    ),
    (
        "idx_cases_consumer_email_trgm",
        "cases",
        "lower(consumer_email)",
    ),
    ("idx_cases_reference_trgm", "cases", "lower(reference)"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(SearchJobs::Table)
                .add_column(ColumnDef::new(SearchJobs::TaskUid).big_integer().null())
                .to_owned(),
        )
        .await?;
        if m.get_database_backend() == DbBackend::Postgres {
            let db = m.get_connection();
            // Needs the contrib package and the right to create extensions
            // (a superuser, or pg_trgm being trusted, as it is since PG 13).
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                .await?;
            for (name, table, expr) in TRIGRAM {
                db.execute_unprepared(&format!(
                    "CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expr}) gin_trgm_ops)"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Postgres {
            let db = m.get_connection();
            for (name, _, _) in TRIGRAM {
                db.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                    .await?;
            }
        }
        m.alter_table(
            Table::alter()
                .table(SearchJobs::Table)
                .drop_column(SearchJobs::TaskUid)
                .to_owned(),
        )
        .await
    }
}
