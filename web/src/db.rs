//! The database connection, and write transactions that hold on SQLite.
//!
//! SQLite allows one writer at a time. A deferred transaction (sea-orm's
//! `begin()`) that reads first and writes later cannot wait for the lock:
//! when another writer committed in between, SQLite answers `SQLITE_BUSY` at
//! once, whatever the busy timeout. So every write transaction begins with
//! [`begin_write`]: on SQLite it first queues on this process's write gate (so
//! a waiting writer holds no pooled connection the lock holder may need) and
//! then starts with `BEGIN IMMEDIATE` (taking the write lock at once, waiting
//! through the busy timeout for other processes such as `innsyn retention`).
//! On PostgreSQL it is a plain `BEGIN`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::OwnedMutexGuard;

use crate::config::Config;

/// How long a SQLite statement waits for another process's write lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(config.database_url.clone());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if config.is_sqlite() {
        // Set on every pooled connection (a PRAGMA run once after connecting
        // reaches only one of them). WAL lets readers go on beside the
        // writer; NORMAL is durable against a killed process in WAL mode.
        opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                // The search fallback's case-insensitive match beyond A-Z
                // (`domain::search::db`).
                .with_regexp()
        });
    } else {
        opts.max_connections(20);
    }
    Ok(Database::connect(opts).await?)
}

/// Held for as long as a SQLite write transaction runs; nothing on PostgreSQL.
pub struct WriteGuard(#[allow(dead_code)] Option<OwnedMutexGuard<()>>);

/// Begins a transaction that will write. Keep the guard alive until the
/// transaction is committed or dropped:
/// `let (txn, _write) = db::begin_write(db).await?;`
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<(DatabaseTransaction, WriteGuard), DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok((db.begin().await?, WriteGuard(None)));
    }
    let guard = write_gate(db).lock_owned().await;
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok((txn, WriteGuard(Some(guard))))
}

/// One gate per SQLite file in this process (tests open many databases).
fn write_gate(db: &DatabaseConnection) -> Arc<tokio::sync::Mutex<()>> {
    static GATES: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut gates = GATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    gates.entry(file).or_default().clone()
}
