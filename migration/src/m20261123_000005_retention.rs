//! Retention: the policy, legal holds on cases, the anonymous statistical
//! facts kept after a case's personal data is gone, and purge receipts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RetentionSettings {
    Table,
    Id,
    DialogueMonths,
    RecordingDays,
    StatsMonths,
    AuditMonths,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CaseFacts {
    Table,
    Id,
    CaseId,
    ReceivedAt,
    ReceivedOn,
    CampaignId,
    ClientId,
    Channel,
    Category,
    AnsweredWithin24h,
    FirstResponseSecs,
}

#[derive(DeriveIden)]
enum RetentionRuns {
    Table,
    Id,
    StartedAt,
    FinishedAt,
    AsOf,
    DryRun,
    Counts,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    LegalHoldReason,
    LegalHoldAt,
    ClosedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RetentionSettings::Table)
                .col(pk_auto(RetentionSettings::Id))
                .col(integer(RetentionSettings::DialogueMonths))
                .col(integer(RetentionSettings::RecordingDays))
                .col(integer(RetentionSettings::StatsMonths))
                .col(integer(RetentionSettings::AuditMonths))
                .col(timestamp_with_time_zone(RetentionSettings::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CaseFacts::Table)
                .col(pk_auto(CaseFacts::Id))
                // The case's id while it lived; no foreign key, the case is gone.
                .col(integer(CaseFacts::CaseId).unique_key())
                .col(timestamp_with_time_zone(CaseFacts::ReceivedAt))
                .col(date(CaseFacts::ReceivedOn))
                .col(integer_null(CaseFacts::CampaignId))
                .col(integer_null(CaseFacts::ClientId))
                .col(string_len(CaseFacts::Channel, 16))
                .col(string_len(CaseFacts::Category, 64))
                .col(boolean(CaseFacts::AnsweredWithin24h))
                .col(big_integer_null(CaseFacts::FirstResponseSecs))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_case_facts_received_on")
                .table(CaseFacts::Table)
                .col(CaseFacts::ReceivedOn)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RetentionRuns::Table)
                .col(pk_auto(RetentionRuns::Id))
                .col(timestamp_with_time_zone(RetentionRuns::StartedAt))
                .col(timestamp_with_time_zone_null(RetentionRuns::FinishedAt))
                .col(date(RetentionRuns::AsOf))
                .col(boolean(RetentionRuns::DryRun))
                .col(text(RetentionRuns::Counts))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Cases::Table)
                .add_column(text_null(Cases::LegalHoldReason))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Cases::Table)
                .add_column(timestamp_with_time_zone_null(Cases::LegalHoldAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_cases_closed_at")
                .table(Cases::Table)
                .col(Cases::ClosedAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_cases_closed_at")
                .table(Cases::Table)
                .to_owned(),
        )
        .await?;
        for c in [
            Cases::LegalHoldAt.into_iden(),
            Cases::LegalHoldReason.into_iden(),
        ] {
            m.alter_table(Table::alter().table(Cases::Table).drop_column(c).to_owned())
                .await?;
        }
        for t in [
            RetentionRuns::Table.into_iden(),
            CaseFacts::Table.into_iden(),
            RetentionSettings::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
