//! Washes started in the back office (norm 4.4.4; norm 7 for the lists):
//! the uploaded list is stored in the database in pieces of about 1 MB as it
//! streams in, washed in the background into a result stored the same way,
//! and the page polls the job's progress (n of N numbers) until the result
//! can be downloaded. A result is deleted when downloaded, and any job (with
//! its list and result) an hour after it was uploaded.
//!
//! Why the database: production runs several `serve` processes against one
//! PostgreSQL, and the page's polls and the download may reach any of them.
//! The database is the one thing they all share without a mounted directory
//! to set up, and a restart keeps a finished result. A job whose instance
//! stopped (its heartbeat older than [`STALE_AFTER`] by the reader's clock,
//! or its instance is the reader and no longer runs it) is shown as failed
//! and can be started again from its stored list.
//!
//! SQLite: every piece is its own short write transaction, so a 50 MB upload
//! never holds the write lock for more than one piece.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use entity::{wash_job, wash_job_chunk};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::clock::Clock;
use crate::domain::dialer::coverage::NationalUse;
use crate::domain::dialer::wash::{Layout, Registers, ReservedCounts, Washer, trim_line};
use crate::domain::norm::WASH_FILES_KEEP_FOR;

/// Temporary files of uploads (the national register's import) start with
/// this; the housekeeping job deletes those older than an hour.
pub const FILE_PREFIX: &str = "innsyn-wash-";
/// The size of a stored piece of a list or a result.
pub const CHUNK_BYTES: usize = 1024 * 1024;
/// A running job whose heartbeat is older than this is taken for cut off
/// (its instance stopped). A running wash beats once per piece of input,
/// which takes well under a second.
pub const STALE_AFTER: Duration = Duration::seconds(60);
/// Pieces deleted per write transaction.
const DELETE_BATCH: u64 = 8;

/// The stored states (`wash_jobs.state`).
pub mod state {
    /// The list is streaming in; not shown yet.
    pub const UPLOADING: &str = "uploading";
    pub const RUNNING: &str = "running";
    pub const DONE: &str = "done";
    pub const FAILED: &str = "failed";
    /// Its result is being (or was) sent; not shown any more.
    pub const DOWNLOADED: &str = "downloaded";
}

/// Which stored list a piece belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Input,
    Result,
}

impl Part {
    fn code(self) -> &'static str {
        match self {
            Part::Input => "in",
            Part::Result => "out",
        }
    }
}

/// Where a job stands, as shown to its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobState {
    Running,
    Done {
        count_in: u64,
        count_callable: u64,
    },
    /// `cut_off`: its instance stopped while washing (a restart); otherwise
    /// the wash itself failed. Either can be started again.
    Failed {
        cut_off: bool,
    },
}

/// This process's part in the wash jobs: its instance id and the jobs it is
/// washing right now.
pub struct WashJobs {
    instance: String,
    running: Arc<Mutex<HashSet<String>>>,
    /// Test seam: uploads store their job as running but start no wash, as
    /// if the instance stopped right after the upload.
    #[doc(hidden)]
    pub hold: AtomicBool,
}

impl Default for WashJobs {
    fn default() -> Self {
        WashJobs {
            instance: uuid::Uuid::new_v4().simple().to_string(),
            running: Arc::default(),
            hold: AtomicBool::new(false),
        }
    }
}

/// Marks a job as washed by this process while it lives.
pub struct Running {
    set: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut s) = self.set.lock() {
            s.remove(&self.id);
        }
    }
}

impl WashJobs {
    /// This process's id, as written into the jobs it works on.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Whether uploads should leave their job unwashed (test seam).
    pub fn holding(&self) -> bool {
        self.hold.load(Ordering::Relaxed)
    }

    fn runs(&self, id: &str) -> bool {
        self.running.lock().is_ok_and(|s| s.contains(id))
    }

    /// Marks `id` as washed here until the guard is dropped. Taken before
    /// the job is marked running, so that no poll in between takes it for
    /// cut off.
    pub fn begin(&self, id: &str) -> Running {
        if let Ok(mut s) = self.running.lock() {
            s.insert(id.to_string());
        }
        Running {
            set: self.running.clone(),
            id: id.to_string(),
        }
    }

    /// What the owner sees of `job`; None while it is uploading or once
    /// its result went out.
    pub fn shown(&self, job: &wash_job::Model, now: DateTime<Utc>) -> Option<JobState> {
        match job.state.as_str() {
            state::RUNNING => Some(if self.cut_off(job, now) {
                JobState::Failed { cut_off: true }
            } else {
                JobState::Running
            }),
            state::DONE => Some(JobState::Done {
                count_in: job.count_in.unwrap_or(0).max(0) as u64,
                count_callable: job.count_callable.unwrap_or(0).max(0) as u64,
            }),
            state::FAILED => Some(JobState::Failed { cut_off: false }),
            _ => None,
        }
    }

    /// A running job nobody works on any more: its heartbeat is stale, or
    /// it is this instance's and this instance no longer washes it.
    fn cut_off(&self, job: &wash_job::Model, now: DateTime<Utc>) -> bool {
        job.heartbeat_at + STALE_AFTER < now
            || (job.instance == self.instance && !self.runs(&job.id))
    }
}

/// What the user chose for a wash.
#[derive(Clone, Debug)]
pub struct Options {
    pub user_id: i32,
    pub campaign_id: Option<i32>,
    pub campaign_code: Option<String>,
    pub only_callable: bool,
    pub declined_national: bool,
    pub planned_at: Option<DateTime<Utc>>,
}

/// Records a new job whose list is about to stream in.
pub async fn create(
    db: &DatabaseConnection,
    jobs: &WashJobs,
    id: &str,
    o: &Options,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    wash_job::ActiveModel {
        id: Set(id.to_string()),
        user_id: Set(o.user_id),
        campaign_id: Set(o.campaign_id),
        campaign_code: Set(o.campaign_code.clone()),
        only_callable: Set(o.only_callable),
        declined_national: Set(o.declined_national),
        planned_at: Set(o.planned_at),
        national: Set(String::new()),
        state: Set(state::UPLOADING.into()),
        total: Set(0),
        processed: Set(0),
        count_in: Set(None),
        count_callable: Set(None),
        attempt: Set(0),
        instance: Set(jobs.instance.clone()),
        heartbeat_at: Set(now),
        started_at: Set(now),
        finished_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await
}

/// Stores an upload in pieces as it streams in, counting its numbers.
pub struct InputWriter {
    id: String,
    seq: i32,
    buf: Vec<u8>,
    counter: LineCounter,
}

impl InputWriter {
    pub fn new(id: &str) -> Self {
        InputWriter {
            id: id.to_string(),
            seq: 0,
            buf: Vec::with_capacity(CHUNK_BYTES),
            counter: LineCounter::default(),
        }
    }

    /// Takes the next piece of the upload; stores a full piece when there
    /// is one.
    pub async fn feed(&mut self, db: &DatabaseConnection, bytes: &[u8]) -> Result<(), DbErr> {
        self.counter.feed(bytes);
        self.buf.extend_from_slice(bytes);
        while self.buf.len() >= CHUNK_BYTES {
            let rest = self.buf.split_off(CHUNK_BYTES);
            let piece = std::mem::replace(&mut self.buf, rest);
            self.store(db, piece).await?;
        }
        Ok(())
    }

    async fn store(&mut self, db: &DatabaseConnection, piece: Vec<u8>) -> Result<(), DbErr> {
        let txn = crate::db::begin_write(db).await?;
        insert_chunk(&txn, &self.id, Part::Input, self.seq, piece).await?;
        txn.commit().await?;
        self.seq += 1;
        Ok(())
    }

    /// Stores the last piece; the upload's size in bytes and its numbers.
    pub async fn finish(mut self, db: &DatabaseConnection) -> Result<(u64, u64), DbErr> {
        if !self.buf.is_empty() {
            let piece = std::mem::take(&mut self.buf);
            self.store(db, piece).await?;
        }
        Ok((self.counter.bytes(), self.counter.numbers()))
    }
}

async fn insert_chunk(
    conn: &impl ConnectionTrait,
    id: &str,
    part: Part,
    seq: i32,
    data: Vec<u8>,
) -> Result<(), DbErr> {
    wash_job_chunk::ActiveModel {
        job_id: Set(id.to_string()),
        kind: Set(part.code().into()),
        seq: Set(seq),
        data: Set(data),
    }
    .insert(conn)
    .await
    .map(|_| ())
}

/// Piece `seq` of a job's list or result, if there is one.
pub async fn chunk(
    conn: &impl ConnectionTrait,
    id: &str,
    part: Part,
    seq: i32,
) -> Result<Option<Vec<u8>>, DbErr> {
    wash_job_chunk::Entity::find()
        .select_only()
        .column(wash_job_chunk::Column::Data)
        .filter(wash_job_chunk::Column::JobId.eq(id))
        .filter(wash_job_chunk::Column::Kind.eq(part.code()))
        .filter(wash_job_chunk::Column::Seq.eq(seq))
        .into_tuple::<Vec<u8>>()
        .one(conn)
        .await
}

/// The uploaded job is ready to wash: running on this instance, attempt 1.
/// False if it is no longer uploading (swept meanwhile).
pub async fn uploaded(
    db: &DatabaseConnection,
    jobs: &WashJobs,
    id: &str,
    national: NationalUse,
    total: u64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let r = wash_job::Entity::update_many()
        .col_expr(wash_job::Column::State, Expr::value(state::RUNNING))
        .col_expr(wash_job::Column::National, Expr::value(national.code()))
        .col_expr(wash_job::Column::Total, Expr::value(total as i64))
        .col_expr(wash_job::Column::Attempt, Expr::value(1))
        .col_expr(wash_job::Column::Instance, Expr::value(jobs.instance()))
        .col_expr(wash_job::Column::HeartbeatAt, Expr::value(now))
        .filter(wash_job::Column::Id.eq(id))
        .filter(wash_job::Column::State.eq(state::UPLOADING))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(r.rows_affected == 1)
}

/// Claims a failed (or cut off) job to run it again on this instance: the
/// new attempt, or None when someone else claimed it first. The old run's
/// partial result is deleted; its list stays.
pub async fn claim_again(
    db: &DatabaseConnection,
    jobs: &WashJobs,
    job: &wash_job::Model,
    national: NationalUse,
    now: DateTime<Utc>,
) -> Result<Option<i32>, DbErr> {
    let attempt = job.attempt + 1;
    let txn = crate::db::begin_write(db).await?;
    let r = wash_job::Entity::update_many()
        .col_expr(wash_job::Column::State, Expr::value(state::RUNNING))
        .col_expr(wash_job::Column::National, Expr::value(national.code()))
        .col_expr(wash_job::Column::Processed, Expr::value(0i64))
        .col_expr(wash_job::Column::Attempt, Expr::value(attempt))
        .col_expr(wash_job::Column::Instance, Expr::value(jobs.instance()))
        .col_expr(wash_job::Column::HeartbeatAt, Expr::value(now))
        .filter(wash_job::Column::Id.eq(&job.id))
        .filter(wash_job::Column::Attempt.eq(job.attempt))
        .filter(wash_job::Column::State.is_in([state::RUNNING, state::FAILED]))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    if r.rows_affected != 1 {
        return Ok(None);
    }
    // The old run can no longer write (its attempt is gone): what it left
    // is deleted before the new run writes its first piece.
    delete_chunks(db, &job.id, Some(Part::Result)).await?;
    Ok(Some(attempt))
}

/// Whether the job still has its uploaded list (a finished job's is deleted).
pub async fn has_input(conn: &impl ConnectionTrait, id: &str) -> Result<bool, DbErr> {
    Ok(chunk_seqs(conn, id, Some(Part::Input), Some(1))
        .await?
        .len()
        == 1)
}

/// The job `id` if it belongs to `user_id` and is shown (not uploading,
/// not downloaded).
pub async fn get(
    conn: &impl ConnectionTrait,
    id: &str,
    user_id: i32,
) -> Result<Option<wash_job::Model>, DbErr> {
    wash_job::Entity::find_by_id(id.to_string())
        .filter(wash_job::Column::UserId.eq(user_id))
        .filter(wash_job::Column::State.is_in([state::RUNNING, state::DONE, state::FAILED]))
        .one(conn)
        .await
}

/// The user's shown jobs, newest first.
pub async fn of_user(
    conn: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<wash_job::Model>, DbErr> {
    wash_job::Entity::find()
        .filter(wash_job::Column::UserId.eq(user_id))
        .filter(wash_job::Column::State.is_in([state::RUNNING, state::DONE, state::FAILED]))
        .order_by_desc(wash_job::Column::StartedAt)
        .limit(20)
        .all(conn)
        .await
}

/// Takes a finished job's result for download, once: the job is no longer
/// shown, and its rows are deleted once the result went out (see
/// [`delete`]).
pub async fn take_done(
    db: &DatabaseConnection,
    id: &str,
    user_id: i32,
) -> Result<Option<wash_job::Model>, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let r = wash_job::Entity::update_many()
        .col_expr(wash_job::Column::State, Expr::value(state::DOWNLOADED))
        .filter(wash_job::Column::Id.eq(id))
        .filter(wash_job::Column::UserId.eq(user_id))
        .filter(wash_job::Column::State.eq(state::DONE))
        .exec(&txn)
        .await?;
    let job = if r.rows_affected == 1 {
        wash_job::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?
    } else {
        None
    };
    txn.commit().await?;
    Ok(job)
}

async fn chunk_seqs(
    conn: &impl ConnectionTrait,
    id: &str,
    part: Option<Part>,
    limit: Option<u64>,
) -> Result<Vec<(String, i32)>, DbErr> {
    let mut q = wash_job_chunk::Entity::find()
        .select_only()
        .column(wash_job_chunk::Column::Kind)
        .column(wash_job_chunk::Column::Seq)
        .filter(wash_job_chunk::Column::JobId.eq(id));
    if let Some(p) = part {
        q = q.filter(wash_job_chunk::Column::Kind.eq(p.code()));
    }
    q.order_by_asc(wash_job_chunk::Column::Kind)
        .order_by_asc(wash_job_chunk::Column::Seq)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await
}

/// Deletes a job's pieces (of one part, or all), a few per write
/// transaction.
async fn delete_chunks(db: &DatabaseConnection, id: &str, part: Option<Part>) -> Result<(), DbErr> {
    loop {
        let seqs = chunk_seqs(db, id, part, Some(DELETE_BATCH)).await?;
        if seqs.is_empty() {
            return Ok(());
        }
        let txn = crate::db::begin_write(db).await?;
        for (kind, seq) in seqs {
            wash_job_chunk::Entity::delete_many()
                .filter(wash_job_chunk::Column::JobId.eq(id))
                .filter(wash_job_chunk::Column::Kind.eq(kind))
                .filter(wash_job_chunk::Column::Seq.eq(seq))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
    }
}

/// Deletes a job with its list and result.
pub async fn delete(db: &DatabaseConnection, id: &str) -> Result<(), DbErr> {
    delete_chunks(db, id, None).await?;
    let txn = crate::db::begin_write(db).await?;
    wash_job::Entity::delete_by_id(id.to_string())
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// Deletes every job uploaded more than [`WASH_FILES_KEEP_FOR`] before
/// `now`, whatever its state: the lists hold phone numbers (norm 7).
/// Idempotent; several instances may run it at once. The jobs deleted.
pub async fn sweep(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let keep = Duration::from_std(WASH_FILES_KEEP_FOR).unwrap_or(Duration::hours(1));
    let old: Vec<String> = wash_job::Entity::find()
        .select_only()
        .column(wash_job::Column::Id)
        .filter(wash_job::Column::StartedAt.lt(now - keep))
        .into_tuple()
        .all(db)
        .await?;
    for id in &old {
        delete(db, id).await?;
    }
    Ok(old.len())
}

/// Deletes upload files (the national register's import) older than
/// [`WASH_FILES_KEEP_FOR`] that a process left in `dir`.
pub fn sweep_files(dir: &std::path::Path) {
    let now = std::time::SystemTime::now();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let stale = e.file_name().to_string_lossy().starts_with(FILE_PREFIX)
            && e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).is_ok_and(|d| d > WASH_FILES_KEEP_FOR));
        if stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// A temporary file readable by this user only.
pub fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Counts the numbers in an upload as it streams past: lines, less a CSV
/// header (decided on the first line exactly as the washer decides it).
#[derive(Default)]
pub struct LineCounter {
    newlines: u64,
    bytes: u64,
    last: Option<u8>,
    first_line: Vec<u8>,
    first_done: bool,
}

impl LineCounter {
    pub fn feed(&mut self, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        if !self.first_done {
            let end = chunk.iter().position(|&c| c == b'\n');
            let part = &chunk[..end.unwrap_or(chunk.len())];
            let room = 4096usize.saturating_sub(self.first_line.len());
            self.first_line
                .extend_from_slice(&part[..part.len().min(room)]);
            self.first_done = end.is_some();
        }
        self.newlines += chunk.iter().filter(|&&c| c == b'\n').count() as u64;
        self.bytes += chunk.len() as u64;
        self.last = chunk.last().copied();
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The numbers the washer will give a verdict for.
    pub fn numbers(&self) -> u64 {
        let lines = self.newlines + u64::from(self.last.is_some_and(|c| c != b'\n'));
        let header = Layout::detect(trim_line(&self.first_line)).is_csv();
        lines.saturating_sub(u64::from(header))
    }
}

/// What a finished back-office wash found.
pub struct Washed {
    pub count_in: u64,
    pub count_callable: u64,
    pub reserved: ReservedCounts,
    pub register_version: i64,
    pub national_version: Option<entity::national_register_version::Model>,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    /// The job was claimed by another run, or deleted: this run stops
    /// without touching it.
    #[error("the job was taken over or deleted")]
    Lost,
    #[error("the wash task stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The process is shutting down: the run stopped between two pieces,
    /// leaving the job to be started again ([`stopped`]).
    #[error("the process is shutting down")]
    Stopped,
}

/// Stores the result's full pieces from `buf` (all of it when `last`),
/// with the progress and a heartbeat, in one short write transaction; only
/// while `attempt` is still the job's.
#[allow(clippy::too_many_arguments)]
async fn write_progress(
    db: &DatabaseConnection,
    id: &str,
    attempt: i32,
    processed: u64,
    buf: &mut Vec<u8>,
    out_seq: &mut i32,
    last: bool,
    now: DateTime<Utc>,
) -> Result<(), RunError> {
    let txn = crate::db::begin_write(db).await?;
    let r = wash_job::Entity::update_many()
        .col_expr(wash_job::Column::Processed, Expr::value(processed as i64))
        .col_expr(wash_job::Column::HeartbeatAt, Expr::value(now))
        .filter(wash_job::Column::Id.eq(id))
        .filter(wash_job::Column::Attempt.eq(attempt))
        .filter(wash_job::Column::State.eq(state::RUNNING))
        .exec(&txn)
        .await?;
    if r.rows_affected != 1 {
        return Err(RunError::Lost);
    }
    while buf.len() >= CHUNK_BYTES || (last && !buf.is_empty()) {
        let rest = buf.split_off(buf.len().min(CHUNK_BYTES));
        let piece = std::mem::replace(buf, rest);
        insert_chunk(&txn, id, Part::Result, *out_seq, piece).await?;
        *out_seq += 1;
    }
    txn.commit().await?;
    Ok(())
}

/// Washes job `id`'s stored list into its result, piece by piece, beating
/// the job's heartbeat as it goes. Keep `running` (from
/// [`WashJobs::begin`]) alive until it returns. Once `stop` turns true it
/// stops before the next piece with [`RunError::Stopped`].
pub async fn run(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    id: &str,
    attempt: i32,
    only_callable: bool,
    registers: Registers,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Result<Washed, RunError> {
    let mut buf = Vec::with_capacity(CHUNK_BYTES * 2);
    let mut washer = Washer::new(registers, only_callable, &mut buf);
    let mut out_seq = 0;
    let mut seq = 0;
    loop {
        if *stop.borrow() {
            return Err(RunError::Stopped);
        }
        let Some(data) = chunk(db, id, Part::Input, seq).await? else {
            break;
        };
        // Hashing a megabyte of numbers is CPU work: off the async workers.
        let (w, b) = tokio::task::spawn_blocking(move || {
            let second = washer.feed_parallel(&data, &mut buf);
            buf.extend_from_slice(&second);
            (washer, buf)
        })
        .await?;
        (washer, buf) = (w, b);
        write_progress(
            db,
            id,
            attempt,
            washer.count_in,
            &mut buf,
            &mut out_seq,
            false,
            clock.now(),
        )
        .await?;
        seq += 1;
    }
    washer.finish(&mut buf);
    write_progress(
        db,
        id,
        attempt,
        washer.count_in,
        &mut buf,
        &mut out_seq,
        true,
        clock.now(),
    )
    .await?;
    Ok(Washed {
        count_in: washer.count_in,
        count_callable: washer.count_callable,
        reserved: washer.reserved,
        register_version: washer.registers().version,
        national_version: washer
            .registers()
            .national
            .as_ref()
            .map(|n| n.version.clone()),
    })
}

/// The run `attempt` finished: the job is done and its list is deleted.
pub async fn finished(
    db: &DatabaseConnection,
    id: &str,
    attempt: i32,
    w: &Washed,
    now: DateTime<Utc>,
) -> Result<(), RunError> {
    let txn = crate::db::begin_write(db).await?;
    let r = wash_job::Entity::update_many()
        .col_expr(wash_job::Column::State, Expr::value(state::DONE))
        .col_expr(wash_job::Column::CountIn, Expr::value(w.count_in as i64))
        .col_expr(
            wash_job::Column::CountCallable,
            Expr::value(w.count_callable as i64),
        )
        .col_expr(wash_job::Column::FinishedAt, Expr::value(now))
        .filter(wash_job::Column::Id.eq(id))
        .filter(wash_job::Column::Attempt.eq(attempt))
        .filter(wash_job::Column::State.eq(state::RUNNING))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    if r.rows_affected != 1 {
        return Err(RunError::Lost);
    }
    delete_chunks(db, id, Some(Part::Input)).await?;
    Ok(())
}

/// The run `attempt` was stopped by a shutdown ([`RunError::Stopped`]):
/// the job stays running with its heartbeat put back past [`STALE_AFTER`],
/// so every instance shows it cut off at once and offers to start it again
/// (which washes its stored list anew).
pub async fn stopped(
    db: &DatabaseConnection,
    id: &str,
    attempt: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    wash_job::Entity::update_many()
        .col_expr(
            wash_job::Column::HeartbeatAt,
            Expr::value(now - STALE_AFTER - Duration::seconds(1)),
        )
        .filter(wash_job::Column::Id.eq(id))
        .filter(wash_job::Column::Attempt.eq(attempt))
        .filter(wash_job::Column::State.eq(state::RUNNING))
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// The run `attempt` failed: the job says so (its list stays, so it can be
/// started again).
pub async fn failed(
    db: &DatabaseConnection,
    id: &str,
    attempt: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    wash_job::Entity::update_many()
        .col_expr(wash_job::Column::State, Expr::value(state::FAILED))
        .col_expr(wash_job::Column::FinishedAt, Expr::value(now))
        .filter(wash_job::Column::Id.eq(id))
        .filter(wash_job::Column::Attempt.eq(attempt))
        .filter(wash_job::Column::State.eq(state::RUNNING))
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// Every job's id and upload time, for a person's access request.
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<(String, DateTime<Utc>)>, DbErr> {
    wash_job::Entity::find()
        .select_only()
        .column(wash_job::Column::Id)
        .column(wash_job::Column::StartedAt)
        .order_by_asc(wash_job::Column::StartedAt)
        .into_tuple()
        .all(conn)
        .await
}

/// The ids of a job's stored pieces, list first, in order.
pub async fn pieces(conn: &impl ConnectionTrait, id: &str) -> Result<Vec<(Part, i32)>, DbErr> {
    Ok(chunk_seqs(conn, id, None, None)
        .await?
        .into_iter()
        .map(|(k, s)| (if k == "in" { Part::Input } else { Part::Result }, s))
        .collect())
}

/// Deletes these jobs with their lists and results inside `txn` (a
/// person's erasure: a list held their number).
pub async fn delete_in(conn: &impl ConnectionTrait, ids: &[String]) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    wash_job_chunk::Entity::delete_many()
        .filter(wash_job_chunk::Column::JobId.is_in(ids.to_vec()))
        .exec(conn)
        .await?;
    wash_job::Entity::delete_many()
        .filter(wash_job::Column::Id.is_in(ids.to_vec()))
        .exec(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(chunks: &[&str]) -> u64 {
        let mut c = LineCounter::default();
        for ch in chunks {
            c.feed(ch.as_bytes());
        }
        c.numbers()
    }

    #[test]
    fn the_line_counter_agrees_with_the_washer_on_what_a_number_is() {
        assert_eq!(count(&[]), 0);
        assert_eq!(count(&["912 34 567"]), 1);
        assert_eq!(count(&["912 34 567\n"]), 1);
        assert_eq!(count(&["912 34 567\n\n22334455"]), 3);
        assert_eq!(count(&["num", "ber;name\n9123", "4567;Ola\n"]), 1);
        assert_eq!(count(&["number\r\n1\r\n2\r\n"]), 2);
    }
}
