//! The search index queue: one row per document whose copy in the search
//! server (Meilisearch, when configured) must be brought in line with the
//! database.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SearchJobs {
    Table,
    Id,
    Kind,
    DocId,
    Op,
    Generation,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SearchJobs::Table)
                .col(pk_auto(SearchJobs::Id))
                .col(string_len(SearchJobs::Kind, 16))
                .col(integer(SearchJobs::DocId))
                .col(string_len(SearchJobs::Op, 16))
                .col(integer(SearchJobs::Generation).default(0))
                .col(integer(SearchJobs::Attempts).default(0))
                .col(timestamp_with_time_zone_null(SearchJobs::NextAttemptAt))
                .col(timestamp_with_time_zone_null(SearchJobs::ClaimedUntil))
                .col(string_len_null(SearchJobs::LastError, 200))
                .to_owned(),
        )
        .await?;
        // One row per document: a second change before the job ran merges
        // into the first, so the table never outgrows the data it indexes.
        m.create_index(
            Index::create()
                .name("idx_search_jobs_kind_doc")
                .table(SearchJobs::Table)
                .col(SearchJobs::Kind)
                .col(SearchJobs::DocId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SearchJobs::Table).to_owned())
            .await
    }
}
