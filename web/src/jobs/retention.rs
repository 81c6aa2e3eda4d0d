//! The daily retention purge.

use crate::domain::retention;
use crate::domain::time::oslo_today;
use crate::state::AppState;

/// Runs the purge unless a run finished within the last 20 hours.
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
        retention::RunOptions::default(),
    )
    .await?;
    Ok(())
}
