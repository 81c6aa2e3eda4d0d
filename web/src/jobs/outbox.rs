//! Delivers the outbox: queued e-mail over SMTP and queued SMS through
//! Twilio (no request ever sends itself). A row is claimed with a
//! conditional update (works the same on PostgreSQL and SQLite), so two
//! dispatchers never send the same message twice; a failed send is retried
//! later with a growing pause, or parked for a handler when the server or
//! Twilio refused it for good. Every outcome is written on the message in
//! the case's dialogue (`domain::cases::delivery`), so the screen tells the truth.

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
const CLAIM_FOR: Duration = Duration::minutes(5);

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

/// One run at a time in this process: a run kicked by a request and the
/// periodic one queue up instead of racing for the same rows (other
/// processes are kept apart by the claim).
static ONE_RUN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Sends what is due; returns how many messages the mail server or Twilio took.
pub async fn dispatch_due(state: &AppState) -> anyhow::Result<usize> {
    let _one = ONE_RUN.lock().await;
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
    let unclaimed = Condition::any()
        .add(Column::ClaimedUntil.is_null())
        .add(Column::ClaimedUntil.lt(now));
    let due = mail_outbox::Entity::find()
        .filter(Column::NextAttemptAt.lte(now))
        .filter(Column::Parked.eq(false))
        .filter(Column::Channel.is_in(channels))
        .filter(unclaimed.clone())
        .order_by_asc(Column::Id)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let mut sent = 0;
    for row in due {
        let claimed = mail_outbox::Entity::update_many()
            .col_expr(Column::ClaimedUntil, Expr::value(now + CLAIM_FOR))
            .filter(Column::Id.eq(row.id))
            .filter(unclaimed.clone())
            .exec(&state.db)
            .await?;
        if claimed.rows_affected != 1 {
            continue; // another dispatcher has it
        }
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
