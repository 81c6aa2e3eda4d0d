//! Calls the dialer abandoned (norm 4.6.3): the numbers it reports are
//! recorded at the time of the report, and the wash answers
//! `agent-required` for them for the configured number of days.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::domain::Error;
use crate::domain::dialer::registers::{self, parse_key};
use crate::domain::privacy::audit::{self, Actor, Entry};

/// What a report of abandoned calls did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub recorded: usize,
    pub invalid: usize,
    /// 1-based positions of the entries that held no valid number.
    pub invalid_entries: Vec<usize>,
}

/// Records the numbers in `entries` (as the dialer wrote them) for API
/// token `token_id`, audited (counts only) in the same transaction.
pub async fn record(
    db: &DatabaseConnection,
    entries: &[String],
    token_id: i32,
    now: DateTime<Utc>,
) -> Result<Recorded, Error> {
    let mut keys = Vec::with_capacity(entries.len());
    let mut invalid = Vec::new();
    for (i, t) in entries.iter().enumerate() {
        match parse_key(t) {
            Some(k) => keys.push(k),
            None => invalid.push(i + 1),
        }
    }
    let txn = crate::db::begin_write(db).await?;
    registers::record_abandoned(&txn, &keys, now).await?;
    audit::record(
        &txn,
        now,
        &Actor::default(),
        Entry::new("api.abandoned")
            .object("api_token", token_id)
            .detail(format!("recorded={} invalid={}", keys.len(), invalid.len())),
    )
    .await?;
    txn.commit().await?;
    Ok(Recorded {
        recorded: keys.len(),
        invalid: invalid.len(),
        invalid_entries: invalid,
    })
}
