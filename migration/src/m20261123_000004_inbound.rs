//! Inbound handling: provider deliveries seen (idempotency), voicemail
//! recordings, and e-mail attachments.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InboundEvents {
    Table,
    Key,
    Response,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Recordings {
    Table,
    Id,
    CaseId,
    Sid,
    Url,
    DurationSecs,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    MessageId,
    Filename,
    ContentType,
    Size,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(InboundEvents::Table)
                .col(string_len(InboundEvents::Key, 200).primary_key())
                .col(text(InboundEvents::Response))
                .col(timestamp_with_time_zone(InboundEvents::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Recordings::Table)
                .col(pk_auto(Recordings::Id))
                .col(integer(Recordings::CaseId))
                .col(string_len(Recordings::Sid, 64).unique_key())
                .col(string(Recordings::Url))
                .col(integer(Recordings::DurationSecs))
                .col(timestamp_with_time_zone(Recordings::CreatedAt))
                .col(timestamp_with_time_zone_null(Recordings::DeletedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Recordings::Table, Recordings::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Attachments::Table)
                .col(pk_auto(Attachments::Id))
                .col(integer(Attachments::MessageId))
                .col(string(Attachments::Filename))
                .col(string_len(Attachments::ContentType, 128))
                .col(integer(Attachments::Size))
                .col(blob(Attachments::Data))
                .col(timestamp_with_time_zone(Attachments::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Attachments::Table, Attachments::MessageId)
                        .to(Messages::Table, Messages::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_attachments_message")
                .table(Attachments::Table)
                .col(Attachments::MessageId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Attachments::Table.into_iden(),
            Recordings::Table.into_iden(),
            InboundEvents::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
