//! Scheduled and queued work. Every job is idempotent and safe with several
//! instances running. Each periodic job runs through [`every`]: one loop
//! that runs it at its interval, logs a failure without personal data and
//! tries again at the next tick, and stops when the process shuts down.
//! Work a request starts (a back-office wash, a national register import)
//! runs through [`JobsHandle::spawn`], so that a shutdown waits for it or
//! stops it, as it does the loops; no handler calls `tokio::spawn`.

pub mod national_import;
pub mod outbox;
pub mod retention;
pub mod search_index;
pub mod sla_alerts;
pub mod wash;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::scrub::scrub;
use crate::state::AppState;

/// How long [`Jobs::shutdown`] waits for runs in progress before it stops
/// them where they are (every job is idempotent: the next start finishes
/// the work).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How often this process looks whether a reservation register changed.
pub const REGISTER_REFRESH: Duration = Duration::from_secs(1);

/// This process's background work as the request handlers see it (in
/// [`AppState`]; cloned cheaply): the stop signal, and the one-off tasks
/// started with [`JobsHandle::spawn`], which a shutdown waits for.
#[derive(Clone)]
pub struct JobsHandle {
    stop: Arc<watch::Sender<bool>>,
    tasks: Arc<Mutex<JoinSet<()>>>,
}

impl Default for JobsHandle {
    fn default() -> Self {
        JobsHandle {
            stop: Arc::new(watch::channel(false).0),
            tasks: Arc::default(),
        }
    }
}

impl JobsHandle {
    /// Turns true when the process shuts down: a long task looks at it
    /// between steps and stops where it can start again.
    pub fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Runs `task` in the background, as part of this process's jobs: a
    /// shutdown waits for it (at most [`SHUTDOWN_GRACE`]) and then stops it.
    /// Needs the runtime (call it from a handler or a job).
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        // Forget the finished ones, so the set holds only what runs.
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    /// Tells every task and loop to stop, and waits for the tasks started
    /// with [`JobsHandle::spawn`] (not the loops: see [`Jobs::shutdown`]):
    /// at most [`SHUTDOWN_GRACE`], then those still running are stopped
    /// where they are.
    pub async fn shutdown(&self) {
        self.shutdown_with(Vec::new()).await;
    }

    async fn shutdown_with(&self, loops: Vec<JoinHandle<()>>) {
        self.stop.send_replace(true);
        let mut tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        let aborts: Vec<_> = loops.iter().map(|h| h.abort_handle()).collect();
        let all = async {
            futures_util::future::join_all(loops).await;
            while tasks.join_next().await.is_some() {}
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_err() {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "jobs still running after the grace period: stopping them");
            for a in aborts {
                a.abort();
            }
            tasks.shutdown().await;
        }
    }
}

/// The periodic jobs of this process, with its [`JobsHandle`].
pub struct Jobs {
    handle: JobsHandle,
    running: Vec<JoinHandle<()>>,
}

impl Jobs {
    /// Stops every loop and task: none starts another run; runs in
    /// progress get [`SHUTDOWN_GRACE`] to finish, then are cut short.
    pub async fn shutdown(self) {
        self.handle.shutdown_with(self.running).await;
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

/// Loads the reservation registers (internal, clients', national) into this
/// process's memory now and keeps them current: reads their version
/// counters every [`REGISTER_REFRESH`] and reads what changed, so no wash
/// pays for a load. Runs in every `serve` process, jobs or not, until the
/// stop signal of `state.jobs`.
pub fn register_refresh(state: &AppState) -> JoinHandle<()> {
    let s = state.clone();
    every(
        "register refresh",
        REGISTER_REFRESH,
        state.jobs.stop_signal(),
        move || {
            let s = s.clone();
            async move {
                let first = !s.registers.is_ready();
                let started = std::time::Instant::now();
                match s.registers.refresh(&s.db).await {
                    Ok(()) if first => tracing::info!(
                        ms = started.elapsed().as_millis() as u64,
                        "reservation registers loaded"
                    ),
                    Ok(()) => {}
                    // A warning, not an error: the next second tries again.
                    Err(e) => tracing::warn!(
                        error = %scrub(&e.to_string()),
                        "could not refresh the reservation registers; trying again"
                    ),
                }
                Ok::<(), anyhow::Error>(())
            }
        },
    )
}

/// What `serve` runs beside the server: the register refresh, and the
/// periodic jobs when `periodic` (`serve --no-jobs` leaves them to a
/// worker).
pub fn spawn_for_serve(state: AppState, periodic: bool) -> Jobs {
    let refresh = register_refresh(&state);
    let mut jobs = if periodic {
        spawn_all(state)
    } else {
        Jobs {
            handle: state.jobs.clone(),
            running: Vec::new(),
        }
    };
    jobs.running.push(refresh);
    jobs
}

/// Starts the periodic jobs; they run until [`Jobs::shutdown`].
pub fn spawn_all(state: AppState) -> Jobs {
    let stopped = state.jobs.stop_signal();
    let handle = state.jobs.clone();
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
    let store = crate::auth::store::DbSessionStore::new(state.db.clone(), state.clock.clone());
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
    Jobs { handle, running }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[tokio::test]
    async fn a_job_runs_at_its_interval_survives_failures_and_stops_on_shutdown() {
        let runs = Arc::new(AtomicUsize::new(0));
        let handle = JobsHandle::default();
        let stopped = handle.stop_signal();
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
            handle,
            running: vec![h],
        };
        jobs.shutdown().await;
        let after = runs.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(runs.load(Ordering::SeqCst), after, "no run after shutdown");
    }

    #[tokio::test]
    async fn shutdown_signals_the_tasks_started_through_the_handle_and_waits_for_them() {
        let handle = JobsHandle::default();
        let finished = Arc::new(AtomicBool::new(false));
        let (f, mut stop) = (finished.clone(), handle.stop_signal());
        handle.spawn(async move {
            // A long task: works until told to stop, then tidies up.
            let _ = stop.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            f.store(true, Ordering::SeqCst);
        });
        handle.shutdown().await;
        assert!(finished.load(Ordering::SeqCst), "shutdown waited for it");
    }
}
