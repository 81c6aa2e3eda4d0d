//! E-mail addresses are stored normalised: the whole address lower-cased,
//! so access, erasure, threading and search find a person whatever capitals
//! they typed. Rows written before that rule are lower-cased here, with
//! Rust's Unicode-aware `to_lowercase` (the function the application's
//! parser uses) rather than SQL `lower()`, which folds only A-Z on SQLite.
//!
//! Also indexes the cases' address column, which inbound mail and access
//! and erasure requests look up by.
//!
//! `down` drops the index only: the capitals an address was once typed
//! with are not kept anywhere, and the lower-cased form is valid under the
//! old code too.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    ConsumerEmail,
}

/// Every column that holds an e-mail address, as (table, column). Not the
/// audit log's `actor_email`: it only ever copied `users.email`, which the
/// application has always stored lower-cased, and the log is not rewritten.
const ADDRESS_COLUMNS: [(&str, &str); 4] = [
    ("cases", "consumer_email"),
    ("mail_outbox", "to_addr"),
    ("users", "email"),
    ("centre", "contact_email"),
];

/// Rows read and rewritten per round trip.
const BATCH: u64 = 1_000;

/// Lower-cases one column of one table, in batches by id. With `unique`,
/// a row whose lower-cased value another row already holds is left as it
/// is (two staff accounts that differ only in capitals cannot both be
/// lower-cased; the application has always stored staff addresses
/// lower-cased, so there are none).
async fn lower_case_column(
    m: &SchemaManager<'_>,
    table: &str,
    col: &str,
    unique: bool,
) -> Result<u64, DbErr> {
    let db = m.get_connection();
    let (table, id, col) = (Alias::new(table), Alias::new("id"), Alias::new(col));
    let mut after = 0i32;
    let mut changed = 0;
    loop {
        let select = Query::select()
            .column(id.clone())
            .column(col.clone())
            .from(table.clone())
            .and_where(Expr::col(id.clone()).gt(after))
            .and_where(Expr::col(col.clone()).is_not_null())
            .order_by(id.clone(), Order::Asc)
            .limit(BATCH)
            .to_owned();
        let rows = db.query_all(&select).await?;
        let Some(last) = rows.last() else {
            return Ok(changed);
        };
        after = last.try_get_by_index(0)?;
        for row in &rows {
            let row_id: i32 = row.try_get_by_index(0)?;
            let value: String = row.try_get_by_index(1)?;
            let lower = value.trim().to_lowercase();
            if lower == value {
                continue;
            }
            if unique {
                let taken = Query::select()
                    .column(id.clone())
                    .from(table.clone())
                    .and_where(Expr::col(col.clone()).eq(lower.clone()))
                    .to_owned();
                if db.query_one(&taken).await?.is_some() {
                    continue;
                }
            }
            let update = Query::update()
                .table(table.clone())
                .value(col.clone(), lower)
                .and_where(Expr::col(id.clone()).eq(row_id))
                .to_owned();
            db.execute(&update).await?;
            changed += 1;
        }
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, col) in ADDRESS_COLUMNS {
            lower_case_column(m, table, col, table == "users").await?;
        }
        m.create_index(
            Index::create()
                .name("idx_cases_consumer_email")
                .table(Cases::Table)
                .col(Cases::ConsumerEmail)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_cases_consumer_email")
                .table(Cases::Table)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
