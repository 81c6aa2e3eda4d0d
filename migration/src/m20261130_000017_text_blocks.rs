//! Saved text blocks (tekstbiter): wording an admin maintains and a handler
//! inserts into an individual answer, then edits. No personal data: they
//! are templates, never sent as they stand.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TextBlocks {
    Table,
    Id,
    Title,
    Body,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TextBlocks::Table)
                .col(pk_auto(TextBlocks::Id))
                .col(string_len(TextBlocks::Title, 120))
                .col(text(TextBlocks::Body))
                .col(timestamp_with_time_zone(TextBlocks::UpdatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TextBlocks::Table).to_owned())
            .await
    }
}
