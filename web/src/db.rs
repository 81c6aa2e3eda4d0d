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

use sea_orm::prelude::async_trait::async_trait;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use tokio::sync::OwnedMutexGuard;

/// How long a SQLite statement waits for another process's write lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens the pool for `database_url` (`postgres://…` or `sqlite:…`).
pub async fn connect(database_url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(database_url);
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if database_url.starts_with("sqlite:") {
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

/// A write transaction that owns, on SQLite, this process's write gate: the
/// lock lives exactly as long as the transaction, and [`WriteTxn::commit`]
/// (or [`WriteTxn::rollback`], or dropping it) ends both. Queries take
/// `&txn` as they take any connection; a function that needs the plain
/// transaction gets it through `Deref`.
pub struct WriteTxn {
    // Field order matters: the transaction is dropped (rolled back) before
    // the gate opens for the next writer.
    txn: DatabaseTransaction,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    /// Commits the transaction, then releases the write gate.
    pub async fn commit(self) -> Result<(), DbErr> {
        let WriteTxn { txn, _gate } = self;
        txn.commit().await
    }

    /// Rolls the transaction back, then releases the write gate.
    pub async fn rollback(self) -> Result<(), DbErr> {
        let WriteTxn { txn, _gate } = self;
        txn.rollback().await
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// Begins a transaction that will write: `let txn = db::begin_write(db).await?;`
/// then `txn.commit().await?`. On SQLite the returned value holds the write
/// gate until it is committed, rolled back or dropped.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(WriteTxn {
            txn: db.begin().await?,
            _gate: None,
        });
    }
    let gate = write_gate(db).lock_owned().await;
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(WriteTxn {
        txn,
        _gate: Some(gate),
    })
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
