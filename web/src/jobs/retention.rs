//! The daily retention purge, and the hourly sweep of leftover wash files.

use crate::domain::privacy::retention;
use crate::domain::time::oslo_today;
use crate::state::AppState;

/// Runs the purge unless a run finished within the last 20 hours. A run
/// that had failures is finished too (its receipt says what failed); the
/// next day's run retries those kinds.
pub async fn run_if_due(state: &AppState) -> anyhow::Result<()> {
    let now = state.clock.now();
    if retention::ran_recently(&state.db, now).await? {
        return Ok(());
    }
    retention::run(
        &state.db,
        &state.twilio,
        oslo_today(now),
        now,
        retention::RunOptions::of(&state.config),
    )
    .await?;
    Ok(())
}

/// Drops back-office washes older than an hour with their files, and wash
/// files an earlier process left in the temporary directory: the uploaded
/// calling lists hold phone numbers and must not outlive their hour only
/// because nobody opened the wash page.
pub fn sweep_wash_files(state: &AppState) {
    state.wash_jobs.sweep(Some(&std::env::temp_dir()));
}
