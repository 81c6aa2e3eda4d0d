//! Daily dialer figures per campaign (norm 4.3 a-e).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DailyStats {
    Table,
    Id,
    Day,
    CampaignId,
    Attempted,
    Answered,
    Connected,
    Transferred,
    Abandoned,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DailyStats::Table)
                .col(pk_auto(DailyStats::Id))
                .col(date(DailyStats::Day))
                .col(integer(DailyStats::CampaignId))
                .col(big_integer(DailyStats::Attempted))
                .col(big_integer(DailyStats::Answered))
                .col(big_integer(DailyStats::Connected))
                .col(big_integer(DailyStats::Transferred))
                .col(big_integer(DailyStats::Abandoned))
                .col(timestamp_with_time_zone(DailyStats::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_daily_stats_day_campaign")
                .table(DailyStats::Table)
                .col(DailyStats::Day)
                .col(DailyStats::CampaignId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DailyStats::Table).to_owned())
            .await
    }
}
