//! Delivers the outbox: queued e-mail over SMTP and queued SMS through
//! Twilio (no request ever sends itself). A failed send is retried later
//! with a growing pause, or parked for a handler when the server or Twilio
//! refused it for good. Every outcome is written on the message in the
//! case's dialogue (`domain::cases::delivery`), so the screen tells the truth.
//!
//! What it guarantees: **never twice** while the processes live, **at least
//! once** across a crash.
//! - A row is claimed, one at a time and right before its send, with a
//!   conditional update that sets `claimed_until` to the time of the claim
//!   plus [`CLAIM_FOR`] and re-checks in the same statement that the row is
//!   still due, not parked and not claimed (works the same on PostgreSQL and
//!   SQLite): of two dispatchers, one gets it.
//! - A send is cut off after [`SEND_BOUND`], well inside [`CLAIM_FOR`], so a
//!   claim never lapses while its row is in flight; "Send igjen" leaves an
//!   unexpired claim alone.
//! - The outcome (row deleted, or its next attempt and error written, claim
//!   released) is recorded right after the send. A process killed between
//!   the send and that record leaves the claim to lapse: the message then
//!   goes out again (the only way it can go out twice).

use chrono::Duration;
use entity::mail_outbox::{self, Column};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::domain::cases::delivery;
use crate::mail::{CHANNEL_EMAIL, CHANNEL_SMS};
use crate::state::AppState;

const BATCH: u64 = 50;
/// How long a claim holds a row, counted from the moment it is claimed.
pub const CLAIM_FOR: Duration = Duration::minutes(5);
/// The longest a single send may take before it counts as failed (for a
/// retry); well inside [`CLAIM_FOR`].
pub const SEND_BOUND: std::time::Duration = std::time::Duration::from_secs(60);

/// Pause before attempt `n + 1`: 1, 2, 4 ... minutes, at most 6 hours.
pub fn backoff(attempts: i32) -> Duration {
    let minutes = 1i64 << attempts.clamp(0, 9);
    Duration::minutes(minutes.min(360))
}

/// What one attempt came to.
enum Attempt {
    /// Taken; for SMS with Twilio's SID.
    Sent(Option<String>),
    Failed {
        reason: String,
        permanent: bool,
    },
}

async fn attempt(state: &AppState, row: &mail_outbox::Model) -> Attempt {
    match tokio::time::timeout(SEND_BOUND, attempt_unbounded(state, row)).await {
        Ok(a) => a,
        Err(_) => Attempt::Failed {
            reason: format!("no answer within {} s", SEND_BOUND.as_secs()),
            permanent: false,
        },
    }
}

async fn attempt_unbounded(state: &AppState, row: &mail_outbox::Model) -> Attempt {
    if row.channel == CHANNEL_SMS {
        match state.twilio.send_sms(&row.to_addr, &row.body).await {
            Ok(sid) => Attempt::Sent(Some(sid)),
            Err(e) => Attempt::Failed {
                permanent: e.is_permanent(),
                reason: e.to_string(),
            },
        }
    } else {
        match state.mailer.send(row).await {
            Ok(()) => Attempt::Sent(None),
            Err(e) => Attempt::Failed {
                permanent: e.permanent,
                reason: e.message,
            },
        }
    }
}

/// Sends what is due; returns how many messages the mail server or Twilio took.
pub async fn dispatch_due(state: &AppState) -> anyhow::Result<usize> {
    let _one = state.outbox_run.lock().await;
    let mut channels = Vec::new();
    if state.mailer.is_configured() {
        channels.push(CHANNEL_EMAIL);
    }
    if state.twilio.sms_configured() {
        channels.push(CHANNEL_SMS);
    }
    if channels.is_empty() {
        return Ok(0); // nothing can leave: every row stays queued
    }
    let now = state.clock.now();
    let due: Vec<i32> = mail_outbox::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(due_at(now, &channels))
        .order_by_asc(Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut sent = 0;
    for id in due {
        // Claimed with the time of the claim (a batch may run for minutes),
        // re-checking in the same statement that it is still due.
        let claimed_at = state.clock.now();
        let claimed = mail_outbox::Entity::update_many()
            .col_expr(Column::ClaimedUntil, Expr::value(claimed_at + CLAIM_FOR))
            .filter(Column::Id.eq(id))
            .filter(due_at(claimed_at, &channels))
            .exec(&state.db)
            .await?;
        if claimed.rows_affected != 1 {
            continue; // another dispatcher has it, or it was parked or sent
        }
        let Some(row) = mail_outbox::Entity::find_by_id(id).one(&state.db).await? else {
            continue;
        };
        let outcome = attempt(state, &row).await;
        // The time it was taken, not the time the run started.
        let at = state.clock.now();
        let txn = crate::db::begin_write(&state.db).await?;
        match outcome {
            Attempt::Sent(sid) => {
                mail_outbox::Entity::delete_by_id(row.id).exec(&txn).await?;
                if let Some(m) = row.dialogue_message_id {
                    delivery::mark_sent(&txn, m, sid, at).await?;
                }
                sent += 1;
                tracing::info!(outbox_id = row.id, channel = %row.channel, case_id = ?row.case_id, "message sent");
            }
            Attempt::Failed { reason, permanent } => {
                let attempts = row.attempts + 1;
                tracing::warn!(outbox_id = row.id, channel = %row.channel, attempts, permanent, error = %crate::scrub::scrub(&reason), "message not sent");
                if let Some(m) = row.dialogue_message_id {
                    delivery::mark_failed(&txn, m, &reason).await?;
                }
                let mut am: mail_outbox::ActiveModel = row.into();
                am.attempts = Set(attempts);
                am.next_attempt_at = Set(at + backoff(attempts));
                am.claimed_until = Set(None);
                am.parked = Set(permanent);
                am.last_error = Set(Some(reason.chars().take(500).collect()));
                am.update(&txn).await?;
            }
        }
        txn.commit().await?;
    }
    Ok(sent)
}

/// Rows that may be claimed at `now`: due, not parked, on a channel that
/// can send, and not claimed (or with a lapsed claim).
fn due_at(now: chrono::DateTime<chrono::Utc>, channels: &[&str]) -> Condition {
    Condition::all()
        .add(Column::NextAttemptAt.lte(now))
        .add(Column::Parked.eq(false))
        .add(Column::Channel.is_in(channels.iter().copied()))
        .add(
            Condition::any()
                .add(Column::ClaimedUntil.is_null())
                .add(Column::ClaimedUntil.lt(now)),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::minutes(2));
        assert!(backoff(3) > backoff(2));
        assert_eq!(backoff(30), Duration::minutes(360));
    }
}
