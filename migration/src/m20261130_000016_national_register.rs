//! The national reservation register (Reservasjonsregisteret) in the wash
//! (issue 21): each imported copy as a version record and its numbers; the
//! "current" pointer is the `national` row of `register_versions` (0: never
//! imported), flipped in one write; each campaign says whether the national
//! register applies; each wash run records the register versions it used and
//! its counts per register; receipt signing keys are kept by id.
//!
//! Only nullable or defaulted columns are added to existing tables, so
//! SQLite's `ADD COLUMN` does on both backends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NationalRegisterVersions {
    Table,
    Id,
    ExtractDate,
    ImportedAt,
    ImportedBy,
    Count,
    InvalidLines,
    Checksum,
    State,
}

#[derive(DeriveIden)]
enum NationalReservations {
    Table,
    VersionId,
    Number,
}

#[derive(DeriveIden)]
enum ReceiptKeys {
    Table,
    Id,
    Secret,
    Source,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RegisterVersions {
    Table,
    Name,
    Version,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    NationalRegister,
    NationalExemptReason,
}

#[derive(DeriveIden)]
enum WashRuns {
    Table,
    National,
    NationalVersionId,
    NationalExtractDate,
    NationalChecksum,
    RegisterVersion,
    ReservedInternal,
    ReservedClient,
    ReservedNational,
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
        m.create_table(
            Table::create()
                .table(NationalRegisterVersions::Table)
                .col(pk_auto(NationalRegisterVersions::Id))
                .col(date(NationalRegisterVersions::ExtractDate))
                .col(timestamp_with_time_zone(
                    NationalRegisterVersions::ImportedAt,
                ))
                .col(string_len(NationalRegisterVersions::ImportedBy, 255))
                .col(big_integer(NationalRegisterVersions::Count).default(0))
                .col(big_integer(NationalRegisterVersions::InvalidLines).default(0))
                .col(string_len(NationalRegisterVersions::Checksum, 64).default(""))
                .col(string_len(NationalRegisterVersions::State, 16))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(NationalReservations::Table)
                .col(integer(NationalReservations::VersionId))
                // The national significant number: 8 digits fit an integer.
                .col(integer(NationalReservations::Number))
                .primary_key(
                    Index::create()
                        .col(NationalReservations::VersionId)
                        .col(NationalReservations::Number),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReceiptKeys::Table)
                .col(string_len(ReceiptKeys::Id, 32).primary_key())
                .col(string_len(ReceiptKeys::Secret, 128))
                .col(string_len(ReceiptKeys::Source, 16))
                .col(timestamp_with_time_zone(ReceiptKeys::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(RegisterVersions::Table)
                .columns([RegisterVersions::Name, RegisterVersions::Version])
                .values_panic(["national".into(), 0i64.into()])
                .to_owned(),
        )
        .await?;
        let steps = [
            add(
                Campaigns::Table,
                ColumnDef::new(Campaigns::NationalRegister).boolean().null(),
            ),
            add(
                Campaigns::Table,
                ColumnDef::new(Campaigns::NationalExemptReason)
                    .text()
                    .null(),
            ),
            add(
                WashRuns::Table,
                ColumnDef::new(WashRuns::National).string_len(16).null(),
            ),
            add(
                WashRuns::Table,
                ColumnDef::new(WashRuns::NationalVersionId).integer().null(),
            ),
            add(
                WashRuns::Table,
                ColumnDef::new(WashRuns::NationalExtractDate).date().null(),
            ),
            add(
                WashRuns::Table,
                ColumnDef::new(WashRuns::NationalChecksum)
                    .string_len(64)
                    .null(),
            ),
            add(
                WashRuns::Table,
                ColumnDef::new(WashRuns::RegisterVersion)
                    .big_integer()
                    .null(),
            ),
            add(
                WashRuns::Table,
                ColumnDef::new(WashRuns::ReservedInternal)
                    .big_integer()
                    .not_null()
                    .default(0),
            ),
            add(
                WashRuns::Table,
                ColumnDef::new(WashRuns::ReservedClient)
                    .big_integer()
                    .not_null()
                    .default(0),
            ),
            add(
                WashRuns::Table,
                ColumnDef::new(WashRuns::ReservedNational)
                    .big_integer()
                    .not_null()
                    .default(0),
            ),
        ];
        for s in steps {
            m.alter_table(s).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let steps = [
            drop(WashRuns::Table, WashRuns::ReservedNational),
            drop(WashRuns::Table, WashRuns::ReservedClient),
            drop(WashRuns::Table, WashRuns::ReservedInternal),
            drop(WashRuns::Table, WashRuns::RegisterVersion),
            drop(WashRuns::Table, WashRuns::NationalChecksum),
            drop(WashRuns::Table, WashRuns::NationalExtractDate),
            drop(WashRuns::Table, WashRuns::NationalVersionId),
            drop(WashRuns::Table, WashRuns::National),
            drop(Campaigns::Table, Campaigns::NationalExemptReason),
            drop(Campaigns::Table, Campaigns::NationalRegister),
        ];
        for s in steps {
            m.alter_table(s).await?;
        }
        m.exec_stmt(
            Query::delete()
                .from_table(RegisterVersions::Table)
                .and_where(Expr::col(RegisterVersions::Name).eq("national"))
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(ReceiptKeys::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(NationalReservations::Table).to_owned())
            .await?;
        m.drop_table(
            Table::drop()
                .table(NationalRegisterVersions::Table)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
