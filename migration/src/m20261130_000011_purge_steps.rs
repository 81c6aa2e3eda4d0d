//! The retention purge in steps: a receipt records the steps that failed
//! (retried by the next run), and a recording that Twilio could not yet
//! delete outlives its purged case as a tombstone with no personal data.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecordingTombstones {
    Table,
    Id,
    Sid,
    DueAt,
    Attempts,
    LastError,
}

#[derive(DeriveIden)]
enum RetentionRuns {
    Table,
    Failures,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RecordingTombstones::Table)
                .col(pk_auto(RecordingTombstones::Id))
                // Twilio's recording id: no personal data once the case is gone.
                .col(string_len(RecordingTombstones::Sid, 64).unique_key())
                .col(timestamp_with_time_zone(RecordingTombstones::DueAt))
                .col(integer(RecordingTombstones::Attempts).default(0))
                .col(string_len_null(RecordingTombstones::LastError, 500))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(RetentionRuns::Table)
                .add_column(text_null(RetentionRuns::Failures))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(RetentionRuns::Table)
                .drop_column(RetentionRuns::Failures)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(RecordingTombstones::Table).to_owned())
            .await?;
        Ok(())
    }
}
