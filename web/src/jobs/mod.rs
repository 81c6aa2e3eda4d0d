//! Scheduled and queued work. Every job is idempotent and safe with several
//! instances running.

pub mod outbox;
pub mod retention;
pub mod search_index;
pub mod sla_alerts;

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
    let s = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = sla_alerts::run(&s).await {
                tracing::error!(error = %e, "SLA alert run failed");
            }
        }
    });
    let s = state.clone();
    tokio::spawn(async move {
        // The search index: settings once the server answers, then the
        // queue of changed documents every few seconds.
        let mut settings_applied = s.search.meili().is_none();
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            if !settings_applied && let Some(m) = s.search.meili() {
                match m.apply_settings().await {
                    Ok(()) => settings_applied = true,
                    Err(e) => {
                        tracing::warn!(error = %e.summary(), "search index settings not applied yet; retrying");
                    }
                }
            }
            if let Err(e) = search_index::run(&s).await {
                tracing::error!(error = %e, "search index run failed");
            }
        }
    });
    let s = state.clone();
    tokio::spawn(async move {
        // The retention purge, once a day (checked hourly; idempotent, so
        // several instances may both run it).
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = retention::run_if_due(&s).await {
                tracing::error!(error = %e, "retention run failed; it is retried next hour");
            }
        }
    });
    tokio::spawn(async move {
        let store = crate::auth::store::DbSessionStore::new(state.db.clone());
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            state.limits.retain_recent();
            retention::sweep_wash_files(&state);
            if let Err(e) = store.delete_expired(state.clock.now()).await {
                tracing::error!(error = %e, "expired session clean-up failed");
            }
        }
    });
}
