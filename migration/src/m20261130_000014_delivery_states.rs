//! Delivery states: every outbound message says whether it is queued, sent,
//! failed, delivered or undelivered; the outbox carries SMS as well as
//! e-mail; a case closed without an answer keeps its reason; the anonymous
//! facts the purge keeps say whether a case was closed without an answer.
//!
//! Only nullable or defaulted columns are added, so SQLite's `ADD COLUMN`
//! does on both backends.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Delivery,
    DeliveryAt,
    DeliveryError,
    CreatedAt,
    Direction,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Channel,
    DialogueMessageId,
    Parked,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    DeliveryFlag,
    CloseReason,
    DuplicateOf,
}

#[derive(DeriveIden)]
enum CaseFacts {
    Table,
    ClosedWithoutAnswer,
}

fn add(table: impl IntoIden, col: &mut ColumnDef) -> TableAlterStatement {
    Table::alter().table(table).add_column(col).to_owned()
}

fn drop(table: impl IntoIden, col: impl IntoIden) -> TableAlterStatement {
    Table::alter().table(table).drop_column(col).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let steps = [
            add(
                Messages::Table,
                ColumnDef::new(Messages::Delivery).string_len(16).null(),
            ),
            add(
                Messages::Table,
                ColumnDef::new(Messages::DeliveryAt)
                    .timestamp_with_time_zone()
                    .null(),
            ),
            add(
                Messages::Table,
                ColumnDef::new(Messages::DeliveryError).text().null(),
            ),
            add(
                MailOutbox::Table,
                ColumnDef::new(MailOutbox::Channel)
                    .string_len(16)
                    .not_null()
                    .default("email"),
            ),
            add(
                MailOutbox::Table,
                ColumnDef::new(MailOutbox::DialogueMessageId)
                    .integer()
                    .null(),
            ),
            add(
                MailOutbox::Table,
                ColumnDef::new(MailOutbox::Parked)
                    .boolean()
                    .not_null()
                    .default(false),
            ),
            add(
                Cases::Table,
                ColumnDef::new(Cases::DeliveryFlag).string_len(16).null(),
            ),
            add(
                Cases::Table,
                ColumnDef::new(Cases::CloseReason).string_len(32).null(),
            ),
            add(
                Cases::Table,
                ColumnDef::new(Cases::DuplicateOf).string_len(32).null(),
            ),
            add(
                CaseFacts::Table,
                ColumnDef::new(CaseFacts::ClosedWithoutAnswer)
                    .boolean()
                    .not_null()
                    .default(false),
            ),
        ];
        for s in steps {
            m.alter_table(s).await?;
        }
        // Answers written before delivery states were kept went out when
        // they were written (or waited in the outbox): call them sent then.
        m.exec_stmt(
            Query::update()
                .table(Messages::Table)
                .value(Messages::Delivery, "sent")
                .value(Messages::DeliveryAt, Expr::col(Messages::CreatedAt))
                .and_where(Expr::col(Messages::Direction).eq("outbound"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let steps = [
            drop(CaseFacts::Table, CaseFacts::ClosedWithoutAnswer),
            drop(Cases::Table, Cases::DuplicateOf),
            drop(Cases::Table, Cases::CloseReason),
            drop(Cases::Table, Cases::DeliveryFlag),
            drop(MailOutbox::Table, MailOutbox::Parked),
            drop(MailOutbox::Table, MailOutbox::DialogueMessageId),
            drop(MailOutbox::Table, MailOutbox::Channel),
            drop(Messages::Table, Messages::DeliveryError),
            drop(Messages::Table, Messages::DeliveryAt),
            drop(Messages::Table, Messages::Delivery),
        ];
        for s in steps {
            m.alter_table(s).await?;
        }
        Ok(())
    }
}
