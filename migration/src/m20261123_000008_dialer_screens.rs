//! Washes started in the back office: a wash run is made either by an API
//! token or by a signed-in user, so `token_id` becomes nullable and
//! `user_id` is added.
//!
//! SQLite cannot change a column's nullability or add a foreign key to an
//! existing table, so there the table is rebuilt (create, copy, drop,
//! rename); PostgreSQL alters it in place.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WashRuns {
    Table,
    TokenId,
    UserId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// SQLite: `wash_runs` rebuilt with `token_id` nullable and `user_id`.
/// One batch on one connection: run statement by statement through the
/// pool, a later statement can land on a connection whose snapshot still
/// has the old table.
const SQLITE_UP: &str = r#"
CREATE TABLE "wash_runs_rebuild" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" timestamp_with_timezone_text NOT NULL,
    "token_id" integer NULL,
    "campaign_id" integer NULL,
    "count_in" integer NOT NULL,
    "count_callable" integer NOT NULL,
    "user_id" integer NULL,
    FOREIGN KEY ("token_id") REFERENCES "api_tokens" ("id") ON DELETE RESTRICT,
    FOREIGN KEY ("campaign_id") REFERENCES "campaigns" ("id") ON DELETE RESTRICT,
    FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE RESTRICT
);
INSERT INTO "wash_runs_rebuild" ("id", "at", "token_id", "campaign_id", "count_in", "count_callable")
    SELECT "id", "at", "token_id", "campaign_id", "count_in", "count_callable" FROM "wash_runs";
DROP TABLE "wash_runs";
ALTER TABLE "wash_runs_rebuild" RENAME TO "wash_runs";
"#;

/// SQLite: back to the shape of `m20261123_000003_dialer`. Runs made by a
/// user have no token and cannot be kept.
const SQLITE_DOWN: &str = r#"
CREATE TABLE "wash_runs_rebuild" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" timestamp_with_timezone_text NOT NULL,
    "token_id" integer NOT NULL,
    "campaign_id" integer NULL,
    "count_in" integer NOT NULL,
    "count_callable" integer NOT NULL,
    FOREIGN KEY ("token_id") REFERENCES "api_tokens" ("id") ON DELETE RESTRICT,
    FOREIGN KEY ("campaign_id") REFERENCES "campaigns" ("id") ON DELETE RESTRICT
);
INSERT INTO "wash_runs_rebuild" ("id", "at", "token_id", "campaign_id", "count_in", "count_callable")
    SELECT "id", "at", "token_id", "campaign_id", "count_in", "count_callable" FROM "wash_runs"
    WHERE "token_id" IS NOT NULL;
DROP TABLE "wash_runs";
ALTER TABLE "wash_runs_rebuild" RENAME TO "wash_runs";
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        match m.get_database_backend() {
            DatabaseBackend::Sqlite => {
                m.get_connection().execute_unprepared(SQLITE_UP).await?;
                Ok(())
            }
            _ => {
                m.alter_table(
                    Table::alter()
                        .table(WashRuns::Table)
                        .modify_column(ColumnDef::new(WashRuns::TokenId).integer().null())
                        .add_column(ColumnDef::new(WashRuns::UserId).integer().null())
                        .add_foreign_key(
                            TableForeignKey::new()
                                .name("fk_wash_runs_user_id")
                                .from_tbl(WashRuns::Table)
                                .from_col(WashRuns::UserId)
                                .to_tbl(Users::Table)
                                .to_col(Users::Id)
                                .on_delete(ForeignKeyAction::Restrict),
                        )
                        .to_owned(),
                )
                .await
            }
        }
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        match m.get_database_backend() {
            DatabaseBackend::Sqlite => {
                m.get_connection().execute_unprepared(SQLITE_DOWN).await?;
                Ok(())
            }
            _ => {
                // Runs made by a user have no token and cannot be kept.
                m.exec_stmt(
                    Query::delete()
                        .from_table(WashRuns::Table)
                        .and_where(Expr::col(WashRuns::TokenId).is_null())
                        .to_owned(),
                )
                .await?;
                m.alter_table(
                    Table::alter()
                        .table(WashRuns::Table)
                        .drop_foreign_key("fk_wash_runs_user_id")
                        .drop_column(WashRuns::UserId)
                        .modify_column(ColumnDef::new(WashRuns::TokenId).integer().not_null())
                        .to_owned(),
                )
                .await
            }
        }
    }
}
