//! Keeps the search server in step with the database by draining
//! `search_jobs`. Idempotent: it re-reads each document's rows and sends
//! what is there now (a row that is gone becomes a deletion), so a job run
//! twice, or a stale queued change, never puts back what was deleted. A
//! failed call leaves the rows queued with a growing pause; a change made
//! while a batch was in flight bumps the row's generation and is sent again.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entity::search_job::{self, Column};
use entity::{case, message};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::domain::cases::queue;
use crate::domain::catalogue;
use crate::domain::search::meili::{self, CaseDocument, ClientDocument, Meili};
use crate::domain::search::{Doc, KEPT, REBUILD_KIND};
use crate::domain::time::oslo_today;
use crate::state::AppState;

const BATCH: u64 = 100;
const CLAIM_FOR: Duration = Duration::minutes(5);
/// How long one run waits for the tasks it just sent before leaving them
/// to the next run (Meilisearch usually finishes a small batch in
/// milliseconds).
const CONFIRM_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);
/// The longest a rebuild waits for one of its tasks (settings, a swap).
const REBUILD_TASK_WITHIN: std::time::Duration = std::time::Duration::from_secs(600);
/// How long a rebuild's marker holds when the rebuild dies without
/// removing it.
const REBUILD_HOLDS_FOR: Duration = Duration::hours(6);

/// Pause before attempt `n + 1`: 10 s, 20 s, 40 s ... at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let secs = 10i64 << attempts.clamp(0, 12);
    Duration::seconds(secs.min(3600))
}

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Documents whose Meilisearch task succeeded (upserts and deletions).
    pub synced: usize,
    /// Documents left queued for a later attempt (the call or its task failed).
    pub failed: usize,
    /// Documents sent whose task has not finished yet.
    pub pending: usize,
}

/// Sends what is due and confirms what was sent: a row leaves the queue
/// only once the Meilisearch task carrying its document succeeded. With no
/// search server configured, the queue is not needed and is emptied, so it
/// never grows.
pub async fn run(state: &AppState) -> anyhow::Result<RunReport> {
    let Some(m) = state.search.meili() else {
        search_job::Entity::delete_many().exec(&state.db).await?;
        return Ok(RunReport::default());
    };
    let now = state.clock.now();
    let mut report = RunReport::default();
    confirm(&state.db, m, now, &mut report).await?;
    let sent = send(&state.db, m, now, &mut report).await?;
    if !sent.is_empty() {
        // Wait on the tasks themselves (the last one finishing means the
        // earlier ones of the same index did too), then confirm them.
        for uid in &sent {
            if m.wait_for(*uid, CONFIRM_WITHIN).await.is_err() {
                break;
            }
        }
        report.pending = 0;
        confirm(&state.db, m, now, &mut report).await?;
    }
    if report.failed > 0 {
        tracing::warn!(
            documents = report.failed,
            "search index update failed; it is retried"
        );
    }
    Ok(report)
}

/// Whether `innsyn reindex` is building fresh indexes now.
async fn rebuilding(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<bool, DbErr> {
    Ok(search_job::Entity::find()
        .filter(Column::Kind.eq(REBUILD_KIND))
        .filter(Column::ClaimedUntil.gt(now))
        .count(conn)
        .await?
        > 0)
}

/// Checks the tasks of rows sent earlier: succeeded, the row is done (kept
/// during a rebuild); failed, it is queued again with the back-off.
async fn confirm(
    conn: &impl ConnectionTrait,
    m: &Meili,
    now: DateTime<Utc>,
    report: &mut RunReport,
) -> Result<(), DbErr> {
    let rows = search_job::Entity::find()
        .filter(Column::Kind.ne(REBUILD_KIND))
        .filter(Column::TaskUid.gt(0))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let keep = rebuilding(conn, now).await?;
    let mut states: HashMap<i64, meili::TaskState> = HashMap::new();
    for row in rows {
        let Some(uid) = row.task_uid else { continue };
        let state = match states.get(&uid) {
            Some(s) => s.clone(),
            None => match m.task_state(u32::try_from(uid).unwrap_or(0)).await {
                Ok(s) => {
                    states.insert(uid, s.clone());
                    s
                }
                // The server is unreachable: ask again next run.
                Err(_) => return Ok(()),
            },
        };
        let this_row = || {
            Condition::all()
                .add(Column::Id.eq(row.id))
                .add(Column::Generation.eq(row.generation))
                .add(Column::TaskUid.eq(uid))
        };
        match state {
            meili::TaskState::Pending => report.pending += 1,
            meili::TaskState::Succeeded => {
                if keep {
                    search_job::Entity::update_many()
                        .col_expr(Column::TaskUid, Expr::value(KEPT))
                        .filter(this_row())
                        .exec(conn)
                        .await?;
                } else {
                    search_job::Entity::delete_many()
                        .filter(this_row())
                        .exec(conn)
                        .await?;
                }
                report.synced += 1;
            }
            meili::TaskState::Failed(code) => {
                let attempts = row.attempts + 1;
                search_job::Entity::update_many()
                    .col_expr(Column::Attempts, Expr::value(attempts))
                    .col_expr(Column::NextAttemptAt, Expr::value(now + backoff(attempts)))
                    .col_expr(Column::TaskUid, Expr::value(Option::<i64>::None))
                    .col_expr(
                        Column::LastError,
                        Expr::value(format!("meilisearch task failed: {code}")),
                    )
                    .filter(this_row())
                    .exec(conn)
                    .await?;
                report.failed += 1;
            }
        }
    }
    Ok(())
}

/// Claims the due rows not yet sent, sends their documents, and records
/// on each row the task that carries it. The task uids sent.
async fn send(
    conn: &impl ConnectionTrait,
    m: &Meili,
    now: DateTime<Utc>,
    report: &mut RunReport,
) -> Result<Vec<u32>, DbErr> {
    let unclaimed = Condition::any()
        .add(Column::ClaimedUntil.is_null())
        .add(Column::ClaimedUntil.lt(now));
    let due = Condition::any()
        .add(Column::NextAttemptAt.is_null())
        .add(Column::NextAttemptAt.lte(now));
    let rows = search_job::Entity::find()
        .filter(Column::Kind.ne(REBUILD_KIND))
        .filter(Column::TaskUid.is_null())
        .filter(due)
        .filter(unclaimed.clone())
        .order_by_asc(Column::Id)
        .limit(BATCH)
        .all(conn)
        .await?;
    let mut claimed = Vec::new();
    for row in rows {
        let r = search_job::Entity::update_many()
            .col_expr(Column::ClaimedUntil, Expr::value(now + CLAIM_FOR))
            .filter(Column::Id.eq(row.id))
            .filter(Column::Generation.eq(row.generation))
            .filter(Column::TaskUid.is_null())
            .filter(unclaimed.clone())
            .exec(conn)
            .await?;
        if r.rows_affected == 1 {
            claimed.push(row);
        }
    }
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let docs: Vec<Doc> = claimed
        .iter()
        .filter_map(|r| Doc::from_row(&r.kind, r.doc_id))
        .collect();
    let outcome = match sync(conn, m, &docs, now).await {
        Ok(tasks) => Ok(tasks),
        Err(SyncError::Db(e)) => return Err(e),
        Err(SyncError::Search(e)) => Err(e),
    };
    let mut sent: Vec<u32> = Vec::new();
    for row in &claimed {
        match &outcome {
            Ok(tasks) => {
                let task = Doc::from_row(&row.kind, row.doc_id).and_then(|d| tasks.get(&d));
                let Some(&uid) = task else {
                    // An unknown kind: nothing to index.
                    search_job::Entity::delete_many()
                        .filter(Column::Id.eq(row.id))
                        .filter(Column::Generation.eq(row.generation))
                        .exec(conn)
                        .await?;
                    continue;
                };
                if !sent.contains(&uid) {
                    sent.push(uid);
                }
                // Unless the document changed again meanwhile (then the
                // row is queued anew and sent again).
                search_job::Entity::update_many()
                    .col_expr(Column::TaskUid, Expr::value(i64::from(uid)))
                    .col_expr(
                        Column::ClaimedUntil,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .filter(Column::Id.eq(row.id))
                    .filter(Column::Generation.eq(row.generation))
                    .exec(conn)
                    .await?;
                release(conn, row.id).await?;
            }
            Err(e) => {
                let attempts = row.attempts + 1;
                let r = search_job::Entity::update_many()
                    .col_expr(Column::Attempts, Expr::value(attempts))
                    .col_expr(Column::NextAttemptAt, Expr::value(now + backoff(attempts)))
                    .col_expr(
                        Column::ClaimedUntil,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .col_expr(Column::LastError, Expr::value(e.summary()))
                    .filter(Column::Id.eq(row.id))
                    .filter(Column::Generation.eq(row.generation))
                    .exec(conn)
                    .await?;
                if r.rows_affected == 0 {
                    release(conn, row.id).await?;
                }
                report.failed += 1;
            }
        }
    }
    if let Err(e) = &outcome {
        tracing::warn!(error = %e.summary(), "search index call failed");
    }
    Ok(sent)
}

async fn release(conn: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    search_job::Entity::update_many()
        .col_expr(
            Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Why a batch was not sent.
enum SyncError {
    /// Reading the documents failed: the run stops.
    Db(DbErr),
    /// The search server refused or did not answer: the rows stay queued
    /// and are tried again after a pause.
    Search(meili::MeiliError),
}

impl From<DbErr> for SyncError {
    fn from(e: DbErr) -> Self {
        SyncError::Db(e)
    }
}

impl From<meili::MeiliError> for SyncError {
    fn from(e: meili::MeiliError) -> Self {
        SyncError::Search(e)
    }
}

/// Reads the documents' current rows and sends them; rows that are gone
/// (or a client no longer public) are deleted from the index. The
/// Meilisearch task of each document sent.
async fn sync(
    conn: &impl ConnectionTrait,
    m: &Meili,
    docs: &[Doc],
    now: DateTime<Utc>,
) -> Result<HashMap<Doc, u32>, SyncError> {
    let case_ids: Vec<i32> = docs
        .iter()
        .filter_map(|d| match d {
            Doc::Case(i) => Some(*i),
            Doc::Client(_) => None,
        })
        .collect();
    let client_ids: Vec<i32> = docs
        .iter()
        .filter_map(|d| match d {
            Doc::Client(i) => Some(*i),
            Doc::Case(_) => None,
        })
        .collect();
    let cases = case_documents(conn, &case_ids).await?;
    let found: HashSet<i32> = cases.iter().map(|d| d.id).collect();
    let cases_gone: Vec<i32> = case_ids
        .into_iter()
        .filter(|i| !found.contains(i))
        .collect();
    let clients: Vec<ClientDocument> = if client_ids.is_empty() {
        Vec::new()
    } else {
        client_documents(conn, now)
            .await?
            .into_iter()
            .filter(|d| client_ids.contains(&d.id))
            .collect()
    };
    let found: HashSet<i32> = clients.iter().map(|d| d.id).collect();
    let clients_gone: Vec<i32> = client_ids
        .into_iter()
        .filter(|i| !found.contains(i))
        .collect();
    let mut tasks = HashMap::new();
    let mut note = |uid: Option<u32>, docs: Vec<Doc>| {
        if let Some(uid) = uid {
            tasks.extend(docs.into_iter().map(|d| (d, uid)));
        }
    };
    note(
        m.upsert_cases(&cases).await?,
        cases.iter().map(|d| Doc::Case(d.id)).collect(),
    );
    note(
        m.delete_cases(&cases_gone).await?,
        cases_gone.iter().map(|&i| Doc::Case(i)).collect(),
    );
    note(
        m.upsert_clients(&clients).await?,
        clients.iter().map(|d| Doc::Client(d.id)).collect(),
    );
    note(
        m.delete_clients(&clients_gone).await?,
        clients_gone.iter().map(|&i| Doc::Client(i)).collect(),
    );
    Ok(tasks)
}

/// The index documents of the cases with these ids that exist.
pub async fn case_documents(
    conn: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<CaseDocument>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let cases = case::Entity::find()
        .filter(case::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(case::Column::Id)
        .all(conn)
        .await?;
    let messages = message::Entity::find()
        .filter(message::Column::CaseId.is_in(ids.to_vec()))
        .order_by_asc(message::Column::Id)
        .all(conn)
        .await?;
    let names = queue::names(conn).await?;
    Ok(cases
        .iter()
        .map(|c| meili::case_document(c, &messages, &names))
        .collect())
}

/// The documents of every public client (the list the public page shows).
pub async fn client_documents(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<ClientDocument>, DbErr> {
    Ok(catalogue::public_clients(conn, oslo_today(now))
        .await?
        .iter()
        .map(meili::client_document)
        .collect())
}

/// Rebuilds both indexes from the database into fresh indexes and swaps
/// them in (Meilisearch's index swap), so search answers from the complete
/// old indexes during the whole rebuild. Changes made meanwhile are kept in
/// the queue (a marker row tells the index job) and sent again after the
/// swap; a failed rebuild drops the fresh indexes and leaves the old ones in
/// use. `progress(done, total)` follows the cases.
pub async fn reindex(
    state: &AppState,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<(u64, u64)> {
    let Some(m) = state.search.meili() else {
        anyhow::bail!("no search server configured");
    };
    m.prepare_rebuild(REBUILD_TASK_WITHIN).await?;
    mark_rebuild(&state.db, state.clock.now()).await?;
    let built = build(state, m, &mut progress).await;
    let swapped = match built {
        Ok(counts) => m
            .swap_in_rebuild(REBUILD_TASK_WITHIN)
            .await
            .map(|()| counts)
            .map_err(anyhow::Error::from),
        Err(e) => Err(e),
    };
    if swapped.is_err() {
        let (cases, clients) = m.rebuild_indexes();
        for uid in [cases, clients] {
            if let Err(e) = m.drop_index(&uid, REBUILD_TASK_WITHIN).await {
                tracing::warn!(error = %e.summary(), "a failed rebuild's index was not dropped");
            }
        }
    }
    // Replay the queue from the rebuild's start: every change kept or sent
    // meanwhile goes again, now to the indexes in use.
    replay_after_rebuild(&state.db).await?;
    swapped
}

/// Fills the rebuild indexes and waits until Meilisearch took every batch.
async fn build(
    state: &AppState,
    m: &Meili,
    progress: &mut impl FnMut(u64, u64),
) -> anyhow::Result<(u64, u64)> {
    let (cases_uid, clients_uid) = m.rebuild_indexes();
    let total = case::Entity::find().count(&state.db).await?;
    let mut done = 0u64;
    let mut after = 0i32;
    let mut tasks = Vec::new();
    progress(0, total);
    loop {
        let ids: Vec<i32> = case::Entity::find()
            .select_only()
            .column(case::Column::Id)
            .filter(case::Column::Id.gt(after))
            .order_by_asc(case::Column::Id)
            .limit(500)
            .into_tuple()
            .all(&state.db)
            .await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        let docs = case_documents(&state.db, &ids).await?;
        tasks.extend(m.add(&cases_uid, &docs).await?);
        done += ids.len() as u64;
        progress(done, total);
    }
    let clients = client_documents(&state.db, state.clock.now()).await?;
    tasks.extend(m.add(&clients_uid, &clients).await?);
    // Every batch must have succeeded before the swap.
    for uid in tasks {
        match m.wait_for(uid, REBUILD_TASK_WITHIN).await? {
            meili::TaskState::Succeeded => {}
            meili::TaskState::Failed(code) => {
                anyhow::bail!("a rebuild batch failed in Meilisearch: {code}")
            }
            meili::TaskState::Pending => anyhow::bail!("a rebuild batch did not finish in time"),
        }
    }
    Ok((done, clients.len() as u64))
}

/// Tells the index job a rebuild runs: documents it confirms stay queued.
async fn mark_rebuild(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), DbErr> {
    search_job::Entity::delete_many()
        .filter(Column::Kind.eq(REBUILD_KIND))
        .exec(conn)
        .await?;
    search_job::Entity::insert(search_job::ActiveModel {
        kind: Set(REBUILD_KIND.to_string()),
        doc_id: Set(0),
        op: Set(REBUILD_KIND.to_string()),
        generation: Set(0),
        attempts: Set(0),
        next_attempt_at: Set(None),
        claimed_until: Set(Some(now + REBUILD_HOLDS_FOR)),
        last_error: Set(None),
        task_uid: Set(None),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Ends a rebuild: every queued document is sent again (the generation
/// bump makes a send in flight re-queue itself rather than finish the row).
async fn replay_after_rebuild(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    search_job::Entity::update_many()
        .col_expr(
            Column::Generation,
            sea_orm::sea_query::ExprTrait::add(Expr::col(Column::Generation), 1),
        )
        .col_expr(Column::TaskUid, Expr::value(Option::<i64>::None))
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(
            Column::NextAttemptAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Kind.ne(REBUILD_KIND))
        .exec(conn)
        .await?;
    search_job::Entity::delete_many()
        .filter(Column::Kind.eq(REBUILD_KIND))
        .exec(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped_at_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(20));
        assert!(backoff(4) > backoff(3));
        assert_eq!(backoff(40), Duration::hours(1));
    }
}
