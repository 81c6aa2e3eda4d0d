//! The JSON API. `/api/v1/numbers` is open data.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::catalogue::{self, OpenNumber};
use crate::domain::time::oslo_today;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize)]
struct NumbersDoc {
    generated_at: chrono::DateTime<chrono::Utc>,
    numbers: Vec<OpenNumber>,
}

/// Every active caller number with centre, client and purpose, so caller-ID
/// services can show who is calling.
pub async fn numbers(State(state): State<AppState>) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let numbers = catalogue::open_numbers(&state.db, oslo_today(now)).await?;
    Ok((
        [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        Json(NumbersDoc {
            generated_at: now,
            numbers,
        }),
    )
        .into_response())
}
