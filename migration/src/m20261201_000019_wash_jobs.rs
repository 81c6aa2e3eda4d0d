//! Back-office wash jobs in the database (issue 19, several instances): the
//! job's state, progress and owner in `wash_jobs`, the uploaded list and the
//! result in `wash_job_chunks` (pieces of about 1 MB), so any instance can
//! serve the progress and the download, a restart keeps a finished result,
//! and a job cut off by a restart can be run again from its stored input.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WashJobs {
    Table,
    Id,
    UserId,
    CampaignId,
    CampaignCode,
    OnlyCallable,
    DeclinedNational,
    PlannedAt,
    National,
    State,
    Total,
    Processed,
    CountIn,
    CountCallable,
    Attempt,
    Instance,
    HeartbeatAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum WashJobChunks {
    Table,
    JobId,
    Kind,
    Seq,
    Data,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WashJobs::Table)
                .col(string_len(WashJobs::Id, 32).primary_key())
                .col(integer(WashJobs::UserId))
                .col(integer_null(WashJobs::CampaignId))
                .col(string_len_null(WashJobs::CampaignCode, 64))
                .col(boolean(WashJobs::OnlyCallable))
                .col(boolean(WashJobs::DeclinedNational))
                .col(timestamp_with_time_zone_null(WashJobs::PlannedAt))
                .col(string_len(WashJobs::National, 16).default(""))
                .col(string_len(WashJobs::State, 16))
                .col(big_integer(WashJobs::Total).default(0))
                .col(big_integer(WashJobs::Processed).default(0))
                .col(big_integer_null(WashJobs::CountIn))
                .col(big_integer_null(WashJobs::CountCallable))
                .col(integer(WashJobs::Attempt).default(0))
                .col(string_len(WashJobs::Instance, 64))
                .col(timestamp_with_time_zone(WashJobs::HeartbeatAt))
                .col(timestamp_with_time_zone(WashJobs::StartedAt))
                .col(timestamp_with_time_zone_null(WashJobs::FinishedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(WashJobs::Table, WashJobs::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_wash_jobs_user_started")
                .table(WashJobs::Table)
                .col(WashJobs::UserId)
                .col(WashJobs::StartedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_wash_jobs_started")
                .table(WashJobs::Table)
                .col(WashJobs::StartedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WashJobChunks::Table)
                .col(string_len(WashJobChunks::JobId, 32))
                // `in`: the uploaded list; `out`: the result.
                .col(string_len(WashJobChunks::Kind, 3))
                .col(integer(WashJobChunks::Seq))
                .col(blob(WashJobChunks::Data))
                .primary_key(
                    Index::create()
                        .col(WashJobChunks::JobId)
                        .col(WashJobChunks::Kind)
                        .col(WashJobChunks::Seq),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(WashJobChunks::Table, WashJobChunks::JobId)
                        .to(WashJobs::Table, WashJobs::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        if m.get_database_backend() == DbBackend::Postgres {
            // Lists live an hour at most: storing them uncompressed spares
            // the CPU that pglz would spend on every megabyte.
            m.get_connection()
                .execute_unprepared(
                    "ALTER TABLE wash_job_chunks ALTER COLUMN data SET STORAGE EXTERNAL",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WashJobChunks::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(WashJobs::Table).to_owned())
            .await
    }
}
