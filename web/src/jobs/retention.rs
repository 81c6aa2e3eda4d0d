//! The daily retention purge, and the sweep of leftover wash files and
//! national register imports.

use crate::domain::dialer::{national, wash_jobs};
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
        retention::RunOptions::new(state.config.abandoned_agent_required_days),
    )
    .await?;
    Ok(())
}

/// Deletes back-office washes (list, result and job) an hour after their
/// upload, and upload files an earlier process left in the temporary
/// directory: the calling lists hold phone numbers and must not outlive their
/// hour only because nobody opened the wash page. Idempotent; every
/// instance runs it.
pub async fn sweep_wash_files(state: &AppState) -> Result<(), sea_orm::DbErr> {
    wash_jobs::sweep_files(&std::env::temp_dir());
    wash_jobs::sweep(&state.db, state.clock.now()).await?;
    // A national register import cut off by a restart leaves its numbers
    // behind (up to 3,000,000 rows): failed and removed after six hours.
    national::fail_abandoned_imports(&state.db, state.clock.now()).await?;
    Ok(())
}
