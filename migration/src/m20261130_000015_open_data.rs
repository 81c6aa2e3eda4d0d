//! Open data on our numbers (issue 18):
//! - `clients.logo_url`: the client's logo, optional, published with its
//!   numbers (Rich Call Data's `icn`).
//! - `open_data_versions`: one row per published list (`numbers`), holding
//!   the tag of its current content and when that content was first served,
//!   so `/api/v1/numbers` answers `Last-Modified` and `304 Not Modified`
//!   without a change time on every catalogue table.
//!
//! A nullable column and a new table: the same on PostgreSQL and SQLite.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    LogoUrl,
}

#[derive(DeriveIden)]
enum OpenDataVersions {
    Table,
    Name,
    Tag,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(string_len_null(Clients::LogoUrl, 500))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OpenDataVersions::Table)
                .col(string_len(OpenDataVersions::Name, 32).primary_key())
                .col(string_len(OpenDataVersions::Tag, 64))
                .col(timestamp_with_time_zone(OpenDataVersions::ChangedAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OpenDataVersions::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .drop_column(Clients::LogoUrl)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
