//! The back office: handlers and the helpers that draw their screens (the
//! rules live in `domain/`). Every route passes a role gate on the
//! server (declared with the route in `routes/mod.rs`): handler (works
//! cases), manager (plus statistics, exports and the wash), admin (plus
//! settings, users, numbers and the registers).

pub(super) mod audit;
pub(super) mod cases;
pub(super) mod client_registers;
pub(super) mod login;
pub(super) mod national_register;
pub(super) mod numbers;
pub(super) mod privacy;
pub(super) mod reservations;
pub(super) mod settings;
pub(super) mod stats;
pub(super) mod text_blocks;
pub(super) mod tokens;
pub(super) mod users;
pub(super) mod wash;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

/// `/admin`: the start of the back office is the case queue.
pub async fn start() -> Redirect {
    Redirect::to("/admin/saker")
}

/// A form that failed validation answers 422 with the page re-rendered.
fn unprocessable(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// After a successful POST: back to a page (post/redirect/get).
fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}
