//! A client's own reservation register kept by admins (norm 4.4.4, 10): an
//! upload adds to it or replaces it, and it can be emptied; both are
//! audited (counts, never numbers) in the transaction of the change.

use chrono::{DateTime, Utc};
use entity::client;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use crate::domain::Error;
use crate::domain::catalogue::settings::client_by_id;
use crate::domain::dialer::registers::{self, ImportReport};
use crate::domain::privacy::audit::{self, Actor, Entry};

/// Client `id` and how many numbers its register holds; an unknown id is
/// not found.
pub async fn of(conn: &impl ConnectionTrait, id: i32) -> Result<(client::Model, u64), Error> {
    let c = client_by_id(conn, id).await?;
    Ok((c, size(conn, id).await?))
}

/// How many numbers client `id`'s register holds.
pub async fn size(conn: &impl ConnectionTrait, id: i32) -> Result<u64, DbErr> {
    Ok(registers::client_register_sizes(conn)
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0))
}

/// Imports `file` (CSV, see [`registers::import_client_register`]) into
/// client `id`'s register, first emptying it when `replace`; all in one
/// transaction, so a failed upload leaves the register as it was. Returns
/// what the import did and, when replacing, how many numbers it replaced.
pub async fn upload(
    db: &DatabaseConnection,
    id: i32,
    file: &[u8],
    replace: bool,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<(ImportReport, Option<u64>), Error> {
    client_by_id(db, id).await?;
    let txn = crate::db::begin_write(db).await?;
    let replaced = if replace {
        Some(registers::clear_client_register(&txn, id).await?)
    } else {
        None
    };
    let report = registers::import_client_register(&txn, id, file, now).await?;
    audit::record(
        &txn,
        now,
        by,
        Entry::new("client_register.import")
            .object("client", id)
            .detail(format!(
                "added={} already_present={} invalid={} replaced={}",
                report.added,
                report.already_present,
                report.invalid_lines.len(),
                replaced.map_or("no".to_string(), |n| n.to_string())
            )),
    )
    .await?;
    txn.commit().await?;
    Ok((report, replaced))
}

/// Empties client `id`'s register, audited; returns how many numbers it held.
pub async fn empty(
    db: &DatabaseConnection,
    id: i32,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    client_by_id(db, id).await?;
    let txn = crate::db::begin_write(db).await?;
    let n = registers::clear_client_register(&txn, id).await?;
    audit::record(
        &txn,
        now,
        by,
        Entry::new("client_register.empty")
            .object("client", id)
            .detail(format!("removed={n}")),
    )
    .await?;
    txn.commit().await?;
    Ok(n)
}
