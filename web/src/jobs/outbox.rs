//! Delivers queued e-mail. A row is claimed with a conditional update (works
//! the same on PostgreSQL and SQLite), so two dispatchers never send the same
//! mail twice; a failed send is retried later with a growing pause.

use chrono::Duration;
use entity::mail_outbox::{self, Column};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::state::AppState;

const BATCH: u64 = 50;
const CLAIM_FOR: Duration = Duration::minutes(5);

/// Pause before attempt `n + 1`: 1, 2, 4 ... minutes, at most 6 hours.
pub fn backoff(attempts: i32) -> Duration {
    let minutes = 1i64 << attempts.clamp(0, 9);
    Duration::minutes(minutes.min(360))
}

/// Sends what is due; returns how many mails the server accepted.
pub async fn dispatch_due(state: &AppState) -> anyhow::Result<usize> {
    if !state.mailer.is_configured() {
        return Ok(0);
    }
    let now = state.clock.now();
    let unclaimed = Condition::any()
        .add(Column::ClaimedUntil.is_null())
        .add(Column::ClaimedUntil.lt(now));
    let due = mail_outbox::Entity::find()
        .filter(Column::NextAttemptAt.lte(now))
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
        match state.mailer.send(&row).await {
            Ok(()) => {
                mail_outbox::Entity::delete_by_id(row.id)
                    .exec(&state.db)
                    .await?;
                sent += 1;
                tracing::info!(outbox_id = row.id, case_id = ?row.case_id, "mail delivered");
            }
            Err(e) => {
                let attempts = row.attempts + 1;
                tracing::warn!(outbox_id = row.id, attempts, error = %e, "mail delivery failed; will retry");
                let mut am: mail_outbox::ActiveModel = row.into();
                am.attempts = Set(attempts);
                am.next_attempt_at = Set(now + backoff(attempts));
                am.claimed_until = Set(None);
                am.last_error = Set(Some(e.to_string().chars().take(500).collect()));
                am.update(&state.db).await?;
            }
        }
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
