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

/// An error's text with what could be personal data taken out, for the log:
/// quoted values (a database quoting the value it refused), e-mail addresses
/// (a mail server naming the recipient) and numbers of seven digits or
/// more, also when written with spaces, dashes or a `+` (phone numbers).
/// Shorter numbers (status and error codes, ports) stay. At most 300
/// characters.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(300));
    let mut in_quotes = false;
    for word in text.split_inclusive(char::is_whitespace) {
        let trail = &word[word.trim_end().len()..];
        let w = word.trim_end();
        if in_quotes || w.starts_with('"') {
            // A quoted value: dropped up to its closing quote.
            let body = if in_quotes { w } else { &w[1..] };
            match body.find('"') {
                Some(end) => {
                    in_quotes = false;
                    out.push_str("\"…\"");
                    out.push_str(&body[end + 1..]);
                    out.push_str(trail);
                }
                None => in_quotes = true,
            }
            continue;
        }
        if w.contains('@') {
            let (lead, rest) = w.split_at(w.find(|c: char| c.is_alphanumeric()).unwrap_or(0));
            let tail = rest.trim_end_matches(|c: char| !c.is_alphanumeric());
            out.push_str(lead);
            out.push_str("<address>");
            out.push_str(&rest[tail.len()..]);
            out.push_str(trail);
            continue;
        }
        out.push_str(w);
        out.push_str(trail);
    }
    if in_quotes {
        out.push_str("\"…");
    }
    let masked = mask_long_numbers(&out);
    if masked.chars().count() > 300 {
        masked.chars().take(299).chain(['…']).collect()
    } else {
        masked
    }
}

/// Replaces every run of digits, spaces and dashes (after an optional `+`)
/// that holds seven digits or more (a phone number in any written form)
/// with `<number>`.
fn mask_long_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let digits = run.chars().filter(char::is_ascii_digit).count();
        if digits >= 7 {
            // Keep the blank that ended the run, if any.
            let trail = &run[run.trim_end().len()..];
            out.push_str("<number>");
            out.push_str(trail);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        let part = c.is_ascii_digit()
            || (!run.is_empty() && matches!(c, ' ' | '-'))
            || (run.is_empty() && c == '+');
        if part {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
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

    #[test]
    fn scrub_takes_out_addresses_numbers_and_quoted_values() {
        assert_eq!(
            scrub("permanent error (550): 5.1.1 <kari@example.no>: Recipient address rejected"),
            "permanent error (550): 5.1.1 <<address>>: Recipient address rejected"
        );
        assert_eq!(
            scrub("Twilio refused +47 912 34 567 (code 21211), also 004791234567"),
            "Twilio refused <number> (code 21211), also <number>"
        );
        assert_eq!(
            scrub("value \"Kari\", then \"an unclosed one"),
            "value \"…\", then \"…"
        );
        assert_eq!(
            scrub("invalid input syntax for type integer: \"Kari Nordmann\" at port 5432"),
            "invalid input syntax for type integer: \"…\" at port 5432"
        );
        assert_eq!(scrub("connection refused"), "connection refused");
        assert_eq!(scrub(&"x".repeat(1000)).chars().count(), 300);
    }

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
