//! Scheduled and queued work. Every job is idempotent and safe with several
//! instances running.

pub mod outbox;

use std::time::Duration;

use crate::state::AppState;

/// Runs the periodic jobs until the process ends.
pub fn spawn_all(state: AppState) {
    let s = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tick.tick().await;
            if let Err(e) = outbox::dispatch_due(&s).await {
                tracing::error!(error = %e, "mail outbox run failed");
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            state.limits.retain_recent();
        }
    });
}
