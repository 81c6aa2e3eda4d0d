//! Dialer API: API tokens, client reservation registers, abandoned calls,
//! wash runs, and the version counter of the reservation registers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Name,
    TokenHash,
    CreatedAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum ClientReservations {
    Table,
    Id,
    ClientId,
    E164,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AbandonedCalls {
    Table,
    Id,
    E164,
    At,
}

#[derive(DeriveIden)]
enum WashRuns {
    Table,
    Id,
    At,
    TokenId,
    CampaignId,
    CountIn,
    CountCallable,
}

#[derive(DeriveIden)]
enum RegisterVersions {
    Table,
    Name,
    Version,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(pk_auto(ApiTokens::Id))
                .col(string(ApiTokens::Name))
                .col(string_len_uniq(ApiTokens::TokenHash, 64))
                .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ClientReservations::Table)
                .col(pk_auto(ClientReservations::Id))
                .col(integer(ClientReservations::ClientId))
                .col(string_len(ClientReservations::E164, 20))
                .col(timestamp_with_time_zone(ClientReservations::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ClientReservations::Table, ClientReservations::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_client_reservations_client_e164")
                .table(ClientReservations::Table)
                .col(ClientReservations::ClientId)
                .col(ClientReservations::E164)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AbandonedCalls::Table)
                .col(pk_auto(AbandonedCalls::Id))
                .col(string_len(AbandonedCalls::E164, 20))
                .col(timestamp_with_time_zone(AbandonedCalls::At))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_abandoned_calls_at")
                .table(AbandonedCalls::Table)
                .col(AbandonedCalls::At)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(WashRuns::Table)
                .col(pk_auto(WashRuns::Id))
                .col(timestamp_with_time_zone(WashRuns::At))
                .col(integer(WashRuns::TokenId))
                .col(integer_null(WashRuns::CampaignId))
                .col(big_integer(WashRuns::CountIn))
                .col(big_integer(WashRuns::CountCallable))
                .foreign_key(
                    ForeignKey::create()
                        .from(WashRuns::Table, WashRuns::TokenId)
                        .to(ApiTokens::Table, ApiTokens::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(WashRuns::Table, WashRuns::CampaignId)
                        .to(Campaigns::Table, Campaigns::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RegisterVersions::Table)
                .col(string_len(RegisterVersions::Name, 32).primary_key())
                .col(big_integer(RegisterVersions::Version))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(RegisterVersions::Table)
                .columns([RegisterVersions::Name, RegisterVersions::Version])
                .values_panic(["reservations".into(), 0i64.into()])
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RegisterVersions::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(WashRuns::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(AbandonedCalls::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ClientReservations::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ApiTokens::Table).to_owned())
            .await?;
        Ok(())
    }
}
