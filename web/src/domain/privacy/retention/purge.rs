//! The retention run (norm 4.4.3, 4.3, 4.6.3, 8.2.1 b), one step per kind
//! of data. A step that fails (Twilio
//! unreachable, a database error in one batch) is written to the run's
//! receipt and retried by the next run; every other step still runs and the
//! receipt is always finished.
//!
//! A purged case whose recording Twilio could not yet delete leaves a
//! tombstone behind (Twilio's recording id and when it fell due, nothing
//! else); the recordings step retries tombstones until Twilio confirms.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::{
    abandoned_call, audit_log, case, case_fact, inbound_event, login_throttle, mail_outbox,
    recording, recording_tombstone, retention_run, session,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use super::{BATCH, Counts, Cutoffs, cutoffs, day_start, delete_cases, expired_cases, policy};
use crate::sms::Twilio;

/// After this many failed deletions in a row, Twilio counts as down for the
/// rest of the run: what is left waits for the next run.
const TWILIO_FAILURES_IN_A_ROW: u32 = 3;
/// The kinds every receipt lists, in the order the run purges them.
pub const KINDS: [&str; 9] = [
    "cases",
    "recordings",
    "case_facts",
    "audit_log",
    "inbound_events",
    "sessions",
    "login_throttle",
    "abandoned_calls",
    "mail_outbox",
];

/// Every table that can hold a person's data, and the rule that ends it.
/// The schema walk test holds this against the live schema.
pub const RETENTION: &[(&str, &str)] = &[
    (
        "cases",
        "closed cases after the dialogue months (norm 4.4.3), unless on legal hold",
    ),
    ("messages", "with their case"),
    ("attachments", "with their message's case"),
    (
        "recordings",
        "after the recording days, at Twilio too; tombstones retried",
    ),
    (
        "reservations",
        "kept until the person withdraws it: it protects them (norm 4.4.4)",
    ),
    (
        "client_reservations",
        "kept while the client keeps its register; it replaces or empties it",
    ),
    (
        "abandoned_calls",
        "after ABANDONED_AGENT_REQUIRED_DAYS (norm 4.6.3)",
    ),
    (
        "mail_outbox",
        "once sent; with its case; undeliverable staff alerts after 30 days",
    ),
    ("inbound_events", "delivery ids after 30 days"),
    (
        "wash_jobs",
        "an hour after the upload (the housekeeping job, every minute); a result once downloaded",
    ),
    (
        "wash_job_chunks",
        "with their job; a list once washed, a result once downloaded",
    ),
];

/// How a run is made.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// norm 4.6.3: an abandoned-call record is kept this many days (then
    /// the wash no longer needs it).
    pub abandoned_days: u32,
    /// Test seam: fail inside the given batch of cases (1-based), after its
    /// deletes and before its commit, as a database error would.
    pub fail_in_case_batch: Option<usize>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            abandoned_days: crate::domain::norm::DEFAULT_AGENT_REQUIRED_DAYS,
            fail_in_case_batch: None,
        }
    }
}

impl RunOptions {
    /// A run that keeps abandoned-call records `abandoned_days` days
    /// (`ABANDONED_AGENT_REQUIRED_DAYS`).
    pub fn new(abandoned_days: u32) -> Self {
        RunOptions {
            abandoned_days,
            ..Default::default()
        }
    }
}

/// What failed in a run, per kind (no personal data).
pub type Failures = BTreeMap<&'static str, String>;

/// What a run did: per kind how many went, and the kinds that failed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Receipt {
    pub counts: Counts,
    pub failures: Failures,
}

impl Receipt {
    fn add(&mut self, kind: &'static str, n: u64) {
        self.counts.entry(kind).or_default().count += n;
    }
    /// Notes a failure of `kind`; the first cause is kept, later ones counted.
    fn fail(&mut self, kind: &'static str, why: impl std::fmt::Display) {
        let why: String = why.to_string().chars().take(300).collect();
        self.failures
            .entry(kind)
            .and_modify(|w| {
                if !w.ends_with(" (more failures)") {
                    w.push_str(" (more failures)");
                }
            })
            .or_insert(why);
    }
    fn settle(&mut self, kind: &'static str, r: Result<u64, DbErr>) {
        match r {
            Ok(n) => self.add(kind, n),
            Err(e) => self.fail(kind, e),
        }
    }
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }
}

impl std::ops::Index<&str> for Receipt {
    type Output = super::KindCount;
    fn index(&self, kind: &str) -> &super::KindCount {
        &self.counts[kind]
    }
}

/// The moment before which abandoned-call records are no longer needed on
/// date `as_of` (norm 4.6.3).
pub fn abandoned_before(as_of: NaiveDate, days: u32) -> DateTime<Utc> {
    day_start(
        as_of
            .checked_sub_days(Days::new(u64::from(days)))
            .unwrap_or(as_of),
    )
}

/// Deletes recordings at Twilio, counting failures in a row so that a
/// Twilio outage costs a few attempts, not one per recording.
pub struct TwilioDeleter<'a> {
    twilio: &'a Twilio,
    failures_in_a_row: u32,
    /// The last failure, for the receipt.
    pub last_error: Option<String>,
}

impl<'a> TwilioDeleter<'a> {
    pub fn new(twilio: &'a Twilio) -> Self {
        TwilioDeleter {
            twilio,
            failures_in_a_row: 0,
            last_error: None,
        }
    }
    pub fn is_down(&self) -> bool {
        self.failures_in_a_row >= TWILIO_FAILURES_IN_A_ROW
    }
    /// Whether Twilio confirmed the deletion (a recording it no longer has
    /// counts as deleted).
    pub async fn delete(&mut self, sid: &str) -> bool {
        if self.is_down() {
            return false;
        }
        match self.twilio.delete_recording(sid).await {
            Ok(()) => {
                self.failures_in_a_row = 0;
                true
            }
            Err(e) => {
                self.failures_in_a_row += 1;
                self.last_error = Some(e.to_string());
                false
            }
        }
    }
}

/// Writes tombstones for recordings whose case goes now while Twilio still
/// holds the audio (inside the caller's transaction, with the case).
pub async fn tombstone(
    conn: &impl ConnectionTrait,
    recs: &[(String, DateTime<Utc>)],
    error: Option<&str>,
) -> Result<(), DbErr> {
    if recs.is_empty() {
        return Ok(());
    }
    let error: Option<String> = error.map(|e| e.chars().take(500).collect());
    recording_tombstone::Entity::insert_many(recs.iter().map(|(sid, due)| {
        recording_tombstone::ActiveModel {
            sid: Set(sid.clone()),
            due_at: Set(*due),
            attempts: Set(1),
            last_error: Set(error.clone()),
            ..Default::default()
        }
    }))
    .on_conflict(
        OnConflict::column(recording_tombstone::Column::Sid)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The real run for `as_of`; leaves a receipt, finished whatever failed.
pub async fn run(
    db: &DatabaseConnection,
    twilio: &Twilio,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    opts: RunOptions,
) -> anyhow::Result<Receipt> {
    let receipt_row = retention_run::ActiveModel {
        started_at: Set(now),
        finished_at: Set(None),
        as_of: Set(as_of),
        dry_run: Set(false),
        counts: Set("{}".into()),
        failures: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut r = Receipt::default();
    let mut deleter = TwilioDeleter::new(twilio);
    match policy(db).await {
        Ok(p) => {
            let c = cutoffs(&p, as_of);
            let recording_days = p.recording_days;
            purge_cases(db, &mut deleter, &c, recording_days, now, opts, &mut r).await;
            purge_recordings(db, &mut deleter, &c, now, &mut r).await;
            simple_steps(db, &c, as_of, now, opts, &mut r).await;
        }
        Err(e) => {
            for k in KINDS {
                r.fail(k, &e);
            }
        }
    }
    for k in KINDS {
        r.counts.entry(k).or_default();
    }

    let mut am: retention_run::ActiveModel = receipt_row.into();
    am.finished_at = Set(Some(now));
    am.counts = Set(serde_json::to_string(&r.counts)?);
    am.failures = Set(if r.failures.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&r.failures)?)
    });
    am.update(db).await?;
    if r.is_complete() {
        tracing::info!(counts = %serde_json::to_string(&r.counts)?, "retention run finished");
    } else {
        tracing::warn!(
            counts = %serde_json::to_string(&r.counts)?,
            failed = ?r.failures.keys().collect::<Vec<_>>(),
            "retention run finished with failures; those kinds are retried next run"
        );
    }
    Ok(r)
}

/// Cases past their time, in batches (keyset by id, so a batch that fails
/// is left for the next run and the later ones still go). Each batch's
/// recordings are deleted at Twilio first; those Twilio could not delete
/// become tombstones in the batch's transaction.
async fn purge_cases(
    db: &DatabaseConnection,
    deleter: &mut TwilioDeleter<'_>,
    c: &Cutoffs,
    recording_days: i32,
    now: DateTime<Utc>,
    opts: RunOptions,
    r: &mut Receipt,
) {
    let mut after = 0;
    let mut batch_no = 0;
    loop {
        let batch = match expired_cases(c)
            .filter(case::Column::Id.gt(after))
            .order_by_asc(case::Column::Id)
            .limit(BATCH)
            .all(db)
            .await
        {
            Ok(b) => b,
            Err(e) => {
                r.fail("cases", e);
                return;
            }
        };
        let Some(last) = batch.last() else { return };
        after = last.id;
        batch_no += 1;
        match purge_case_batch(db, deleter, c, &batch, recording_days, now, opts, batch_no).await {
            Ok((cases, deleted_at_twilio)) => {
                r.add("cases", cases);
                r.add("recordings", deleted_at_twilio);
            }
            Err(e) => r.fail("cases", format!("batch {batch_no}: {e:#}")),
        }
    }
}

// The run's settings travel as plain values, as in the rest of the run.
#[allow(clippy::too_many_arguments)]
async fn purge_case_batch(
    db: &DatabaseConnection,
    deleter: &mut TwilioDeleter<'_>,
    c: &Cutoffs,
    batch: &[case::Model],
    recording_days: i32,
    now: DateTime<Utc>,
    opts: RunOptions,
    batch_no: usize,
) -> anyhow::Result<(u64, u64)> {
    let ids: Vec<i32> = batch.iter().map(|x| x.id).collect();
    let recs = recording::Entity::find()
        .filter(recording::Column::CaseId.is_in(ids.clone()))
        .filter(recording::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let mut deleted = Vec::new();
    let mut pending = Vec::new();
    for rec in &recs {
        if deleter.delete(&rec.sid).await {
            deleted.push(rec);
        } else {
            pending.push(rec);
        }
    }
    let txn = crate::db::begin_write(db).await?;
    // The Twilio calls above can take minutes: what is still expired is
    // chosen again here, inside the transaction that deletes it (locked on
    // PostgreSQL; SQLite's write lock is held already). A case reopened by
    // a reply or put on hold meanwhile stays.
    let still = expired_cases(c)
        .filter(case::Column::Id.is_in(ids))
        .lock_exclusive()
        .all(&txn)
        .await?;
    let going: std::collections::HashSet<i32> = still.iter().map(|x| x.id).collect();
    let stones: Vec<(String, DateTime<Utc>)> = pending
        .iter()
        .filter(|rec| going.contains(&rec.case_id))
        .map(|rec| {
            let due = rec.created_at + chrono::Duration::days(i64::from(recording_days));
            (rec.sid.clone(), due.min(now))
        })
        .collect();
    tombstone(&txn, &stones, deleter.last_error.as_deref()).await?;
    // A case that stays keeps its recording's row, marked deleted: Twilio
    // no longer holds the audio.
    let gone_at_twilio_of_kept: Vec<i32> = deleted
        .iter()
        .filter(|rec| !going.contains(&rec.case_id))
        .map(|rec| rec.id)
        .collect();
    if !gone_at_twilio_of_kept.is_empty() {
        recording::Entity::update_many()
            .col_expr(recording::Column::DeletedAt, Expr::value(now))
            .filter(recording::Column::Id.is_in(gone_at_twilio_of_kept))
            .filter(recording::Column::DeletedAt.is_null())
            .exec(&txn)
            .await?;
    }
    delete_cases(&txn, &still).await?;
    if opts.fail_in_case_batch == Some(batch_no) {
        txn.rollback().await?;
        anyhow::bail!("simulated database failure");
    }
    txn.commit().await?;
    Ok((still.len() as u64, deleted.len() as u64))
}

/// Tombstones first (their case is gone already), then recordings past
/// their time on cases that stay (norm 8.2.1 b).
async fn purge_recordings(
    db: &DatabaseConnection,
    deleter: &mut TwilioDeleter<'_>,
    c: &Cutoffs,
    now: DateTime<Utc>,
    r: &mut Receipt,
) {
    match retry_tombstones(db, deleter).await {
        Ok(n) => r.add("recordings", n),
        Err(e) => r.fail("recordings", e),
    }
    match expired_on_kept_cases(db, deleter, c, now).await {
        Ok(n) => r.add("recordings", n),
        Err(e) => r.fail("recordings", e),
    }
    if let Some(why) = &deleter.last_error {
        let left = async {
            let stones = recording_tombstone::Entity::find().count(db).await?;
            let kept = super::expired_recordings(db, c).await?.count(db).await?;
            Ok::<_, DbErr>((stones, kept))
        };
        match left.await {
            Ok((0, 0)) => {}
            Ok((stones, kept)) => r.fail(
                "recordings",
                format!(
                    "Twilio did not delete every recording ({why}): {stones} tombstone(s) of purged cases and {kept} recording(s) of kept cases wait for the next run"
                ),
            ),
            Err(e) => r.fail("recordings", e),
        }
    }
}

async fn retry_tombstones(
    db: &DatabaseConnection,
    deleter: &mut TwilioDeleter<'_>,
) -> Result<u64, DbErr> {
    let mut n = 0;
    let mut after = 0;
    loop {
        let stones = recording_tombstone::Entity::find()
            .filter(recording_tombstone::Column::Id.gt(after))
            .order_by_asc(recording_tombstone::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(last) = stones.last() else {
            return Ok(n);
        };
        after = last.id;
        for t in stones {
            if deleter.is_down() {
                return Ok(n);
            }
            if deleter.delete(&t.sid).await {
                recording_tombstone::Entity::delete_by_id(t.id)
                    .exec(db)
                    .await?;
                n += 1;
            } else {
                let attempts = t.attempts + 1;
                let mut am: recording_tombstone::ActiveModel = t.into();
                am.attempts = Set(attempts);
                am.last_error = Set(deleter
                    .last_error
                    .as_ref()
                    .map(|e| e.chars().take(500).collect()));
                am.update(db).await?;
            }
        }
    }
}

async fn expired_on_kept_cases(
    db: &DatabaseConnection,
    deleter: &mut TwilioDeleter<'_>,
    c: &Cutoffs,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut n = 0;
    let mut after = 0;
    loop {
        let recs = super::expired_recordings(db, c)
            .await?
            .filter(recording::Column::Id.gt(after))
            .order_by_asc(recording::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(last) = recs.last() else {
            return Ok(n);
        };
        after = last.id;
        for rec in recs {
            if deleter.is_down() {
                return Ok(n);
            }
            if deleter.delete(&rec.sid).await {
                recording::Entity::update_many()
                    .col_expr(recording::Column::DeletedAt, Expr::value(now))
                    .filter(recording::Column::Id.eq(rec.id))
                    .filter(recording::Column::DeletedAt.is_null())
                    .exec(db)
                    .await?;
                n += 1;
            }
        }
    }
}

/// One statement each; a failure in one is recorded and the others run.
async fn simple_steps(
    db: &DatabaseConnection,
    c: &Cutoffs,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    opts: RunOptions,
    r: &mut Receipt,
) {
    let n = case_fact::Entity::delete_many()
        .filter(case_fact::Column::ReceivedAt.lt(c.facts_received_before))
        .exec(db)
        .await;
    r.settle("case_facts", n.map(|d| d.rows_affected));
    let n = audit_log::Entity::delete_many()
        .filter(audit_log::Column::At.lt(c.audit_before))
        .exec(db)
        .await;
    r.settle("audit_log", n.map(|d| d.rows_affected));
    let n = inbound_event::Entity::delete_many()
        .filter(inbound_event::Column::CreatedAt.lt(c.events_before))
        .exec(db)
        .await;
    r.settle("inbound_events", n.map(|d| d.rows_affected));
    let n = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lt(c.sessions_expired_before.max(now)))
        .exec(db)
        .await;
    r.settle("sessions", n.map(|d| d.rows_affected));
    let n = login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::FirstFailureAt.lt(now - chrono::Duration::days(1)))
        .exec(db)
        .await;
    r.settle("login_throttle", n.map(|d| d.rows_affected));
    // norm 4.6.3: once the agent-required period has passed the wash no
    // longer reads the record; nothing else needs the number.
    let n = abandoned_call::Entity::delete_many()
        .filter(abandoned_call::Column::At.lt(abandoned_before(as_of, opts.abandoned_days)))
        .exec(db)
        .await;
    r.settle("abandoned_calls", n.map(|d| d.rows_affected));
    // Mail of a case goes with the case; mail to staff (alerts) that could
    // not be delivered within the delivery keys' period goes now.
    let n = mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::CaseId.is_null())
        .filter(mail_outbox::Column::CreatedAt.lt(c.events_before))
        .exec(db)
        .await;
    r.settle("mail_outbox", n.map(|d| d.rows_affected));
}
