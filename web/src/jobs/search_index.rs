//! Keeps the search server in step with the database by draining
//! `search_jobs`. Idempotent: it re-reads each document's rows and sends
//! what is there now (a row that is gone becomes a deletion), so a job run
//! twice, or a stale queued change, never puts back what was deleted. A
//! failed call leaves the rows queued with a growing pause; a change made
//! while a batch was in flight bumps the row's generation and is sent again.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use entity::search_job::{self, Column};
use entity::{case, message};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::domain::cases::queue;
use crate::domain::catalogue;
use crate::domain::search::Doc;
use crate::domain::search::meili::{self, CaseDocument, ClientDocument, Meili};
use crate::domain::time::oslo_today;
use crate::state::AppState;

const BATCH: u64 = 100;
const CLAIM_FOR: Duration = Duration::minutes(5);

/// Pause before attempt `n + 1`: 10 s, 20 s, 40 s ... at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let secs = 10i64 << attempts.clamp(0, 12);
    Duration::seconds(secs.min(3600))
}

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Documents the search server took (upserts and deletions).
    pub synced: usize,
    /// Documents left queued for a later attempt.
    pub failed: usize,
}

/// Sends what is due. With no search server configured, the queue is not
/// needed and is emptied, so it never grows.
pub async fn run(state: &AppState) -> anyhow::Result<RunReport> {
    let Some(m) = state.search.meili() else {
        search_job::Entity::delete_many().exec(&state.db).await?;
        return Ok(RunReport::default());
    };
    let now = state.clock.now();
    let unclaimed = Condition::any()
        .add(Column::ClaimedUntil.is_null())
        .add(Column::ClaimedUntil.lt(now));
    let due = Condition::any()
        .add(Column::NextAttemptAt.is_null())
        .add(Column::NextAttemptAt.lte(now));
    let rows = search_job::Entity::find()
        .filter(due)
        .filter(unclaimed.clone())
        .order_by_asc(Column::Id)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let mut claimed = Vec::new();
    for row in rows {
        let r = search_job::Entity::update_many()
            .col_expr(Column::ClaimedUntil, Expr::value(now + CLAIM_FOR))
            .filter(Column::Id.eq(row.id))
            .filter(Column::Generation.eq(row.generation))
            .filter(unclaimed.clone())
            .exec(&state.db)
            .await?;
        if r.rows_affected == 1 {
            claimed.push(row);
        }
    }
    if claimed.is_empty() {
        return Ok(RunReport::default());
    }
    let docs: Vec<Doc> = claimed
        .iter()
        .filter_map(|r| Doc::from_row(&r.kind, r.doc_id))
        .collect();
    let outcome = sync(&state.db, m, &docs, now).await?;
    let mut report = RunReport::default();
    for row in &claimed {
        match &outcome {
            Ok(()) => {
                // Done, unless the document changed again meanwhile.
                let gone = search_job::Entity::delete_many()
                    .filter(Column::Id.eq(row.id))
                    .filter(Column::Generation.eq(row.generation))
                    .exec(&state.db)
                    .await?;
                if gone.rows_affected == 0 {
                    release(&state.db, row.id).await?;
                }
                report.synced += 1;
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
                    .exec(&state.db)
                    .await?;
                if r.rows_affected == 0 {
                    release(&state.db, row.id).await?;
                }
                report.failed += 1;
            }
        }
    }
    if let Err(e) = &outcome {
        tracing::warn!(
            documents = report.failed,
            error = %e.summary(),
            "search index update failed; it is retried"
        );
    }
    Ok(report)
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

/// Reads the documents' current rows and sends them; rows that are gone
/// (or a client no longer public) are deleted from the index.
async fn sync(
    conn: &impl ConnectionTrait,
    m: &Meili,
    docs: &[Doc],
    now: DateTime<Utc>,
) -> Result<Result<(), meili::MeiliError>, DbErr> {
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
    Ok(async {
        m.upsert_cases(&cases).await?;
        m.delete_cases(&cases_gone).await?;
        m.upsert_clients(&clients).await?;
        m.delete_clients(&clients_gone).await?;
        Ok(())
    }
    .await)
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

/// Rebuilds both indexes from the database: settings, then every document
/// in batches. Safe to rerun; `progress(done, total)` follows the cases.
pub async fn reindex(
    state: &AppState,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<(u64, u64)> {
    let Some(m) = state.search.meili() else {
        anyhow::bail!("no search server configured");
    };
    m.apply_settings().await?;
    // Documents of deleted rows must go too: start from empty indexes.
    m.clear().await?;
    let total = case::Entity::find().count(&state.db).await?;
    let mut done = 0u64;
    let mut after = 0i32;
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
        m.upsert_cases(&docs).await?;
        done += ids.len() as u64;
        progress(done, total);
    }
    let clients = client_documents(&state.db, state.clock.now()).await?;
    m.upsert_clients(&clients).await?;
    Ok((done, clients.len() as u64))
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
