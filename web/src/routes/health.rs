use axum::extract::State;
use axum::http::StatusCode;

use crate::state::AppState;

/// Alive: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the reservation registers are in memory (loaded in the
/// background at start, so no wash waits for them) and the database answers.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if !state.registers.is_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "loading the reservation registers",
        );
    }
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "database not answering");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
