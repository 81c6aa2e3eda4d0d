//! Scheduled and queued work. Every job is idempotent and safe with several
//! instances running. Each periodic job runs through [`every`]: one loop
//! that runs it at its interval, logs a failure without personal data and
//! tries again at the next tick, and stops when the process shuts down.

pub mod outbox;
pub mod retention;
pub mod search_index;
pub mod sla_alerts;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::scrub::scrub;
use crate::state::AppState;

/// How long [`Jobs::shutdown`] waits for runs in progress before it stops
/// them where they are (every job is idempotent: the next start finishes
/// the work).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The periodic jobs of this process.
pub struct Jobs {
    stop: watch::Sender<bool>,
    running: Vec<JoinHandle<()>>,
}

impl Jobs {
    /// Stops every loop: none starts another run; runs in progress get
    /// [`SHUTDOWN_GRACE`] to finish, then are cut short.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let aborts: Vec<_> = self.running.iter().map(|h| h.abort_handle()).collect();
        let all = futures_util::future::join_all(self.running);
        if tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_err() {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "periodic jobs still running after the grace period: stopping them");
            for a in aborts {
                a.abort();
            }
        }
    }
}

/// Runs `job` every `interval` (the first run at once) until `stop` turns
/// true. A run that fails is logged under `name`, with its error scrubbed of
/// personal data ([`scrub`]), and the job runs again at the next tick. A run
/// that takes longer than `interval` delays the next one; runs never overlap.
pub fn every<F, Fut, T, E>(
    name: &'static str,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
    mut job: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, E>> + Send,
    E: Into<anyhow::Error>,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = stop.wait_for(|stopped| *stopped) => break,
                _ = tick.tick() => {}
            }
            if let Err(e) = job().await {
                let e: anyhow::Error = e.into();
                tracing::error!(
                    job = name,
                    error = %scrub(&format!("{e:#}")),
                    "periodic job failed; it runs again at its next tick"
                );
            }
        }
    })
}

/// Starts the periodic jobs; they run until [`Jobs::shutdown`].
pub fn spawn_all(state: AppState) -> Jobs {
    let (stop, stopped) = watch::channel(false);
    let s = state.clone();
    let mut running = vec![every(
        "mail outbox",
        Duration::from_secs(30),
        stopped.clone(),
        move || {
            let s = s.clone();
            async move { outbox::dispatch_due(&s).await }
        },
    )];
    let s = state.clone();
    running.push(every(
        "SLA alerts",
        Duration::from_secs(60),
        stopped.clone(),
        move || {
            let s = s.clone();
            async move { sla_alerts::run(&s).await }
        },
    ));
    // The search index: settings once the server answers, then the queue of
    // changed documents every few seconds.
    let s = state.clone();
    let settings_applied = Arc::new(AtomicBool::new(s.search.meili().is_none()));
    running.push(every(
        "search index",
        Duration::from_secs(5),
        stopped.clone(),
        move || {
            let s = s.clone();
            let applied = settings_applied.clone();
            async move {
                if !applied.load(Ordering::Relaxed)
                    && let Some(m) = s.search.meili()
                {
                    match m.apply_settings().await {
                        Ok(()) => applied.store(true, Ordering::Relaxed),
                        Err(e) => {
                            tracing::warn!(error = %e.summary(), "search index settings not applied yet; retrying");
                        }
                    }
                }
                search_index::run(&s).await
            }
        },
    ));
    // The retention purge, once a day (checked hourly; idempotent, so
    // several instances may both run it).
    let s = state.clone();
    running.push(every(
        "retention",
        Duration::from_secs(3600),
        stopped.clone(),
        move || {
            let s = s.clone();
            async move { retention::run_if_due(&s).await }
        },
    ));
    // Housekeeping: rate-limit memory, leftover wash files, expired sessions.
    let store = crate::auth::store::DbSessionStore::new(state.db.clone());
    running.push(every(
        "housekeeping",
        Duration::from_secs(60),
        stopped,
        move || {
            let (s, store) = (state.clone(), store.clone());
            async move {
                s.limits.retain_recent();
                if let Err(e) = retention::sweep_wash_files(&s).await {
                    tracing::error!(error = %e, "the wash job sweep failed; it runs again in a minute");
                }
                store.delete_expired(s.clock.now()).await
            }
        },
    ));
    Jobs { stop, running }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[tokio::test]
    async fn a_job_runs_at_its_interval_survives_failures_and_stops_on_shutdown() {
        let runs = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = watch::channel(false);
        let r = runs.clone();
        let h = every("test", Duration::from_millis(20), stopped, move || {
            let r = r.clone();
            async move {
                // Every other run fails; the loop goes on.
                let n = r.fetch_add(1, Ordering::SeqCst);
                if n % 2 == 1 {
                    anyhow::bail!("failed run {n}");
                }
                Ok(())
            }
        });
        let waited = tokio::time::timeout(Duration::from_secs(10), async {
            while runs.load(Ordering::SeqCst) < 4 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        assert!(waited.await.is_ok(), "four runs, two of them failed");
        let jobs = Jobs {
            stop,
            running: vec![h],
        };
        jobs.shutdown().await;
        let after = runs.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(runs.load(Ordering::SeqCst), after, "no run after shutdown");
    }
}
