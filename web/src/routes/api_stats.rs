//! The statistics API for the dialer and the managers' own tools:
//! `POST /api/v1/stats/daily` (JSON figures in) and `GET /api/v1/stats`
//! (the export out), both with a bearer API token.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::api_token::{ApiToken, json_error};
use crate::domain::privacy::audit::{self, Actor, Entry};
use crate::domain::stats::{self, DialerDay};
use crate::state::AppState;
use crate::stats_export::{ExportQuery, respond_export};

fn actor(t: &ApiToken) -> Actor {
    Actor {
        id: None,
        email: Some(format!("api-token:{}", t.name)),
    }
}

/// One day or a list of days.
#[derive(Deserialize)]
#[serde(untagged)]
enum Days {
    Many(Vec<DialerDay>),
    One(DialerDay),
}

pub async fn daily(
    token: ApiToken,
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Response {
    let days = match serde_json::from_slice::<Days>(&body) {
        Ok(Days::Many(v)) => v,
        Ok(Days::One(d)) => vec![d],
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "bad_json",
                &format!(
                    "expected {{date, campaign, attempted, answered, connected, transferred, abandoned}} or a list of them: {e}"
                ),
            );
        }
    };
    let now = s.clock.now();
    match stats::store(&s.db, &days, 1, now).await {
        Ok(Ok(n)) => {
            let _ = audit::record(
                &s.db,
                now,
                &actor(&token),
                Entry::new("api.stats_daily")
                    .object("api_token", token.id)
                    .detail(format!("rows={n}")),
            )
            .await;
            Json(serde_json::json!({"stored": n})).into_response()
        }
        Ok(Err(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({"error": "invalid", "message": "nothing was stored", "errors": errors})),
        )
            .into_response(),
        Err(e) => crate::error::AppError::from(e).into_json_response(),
    }
}

pub async fn export(
    token: ApiToken,
    State(s): State<AppState>,
    Query(q): Query<ExportQuery>,
) -> Response {
    match respond_export(&s, &actor(&token), &q).await {
        Ok(r) => r,
        Err(e) => e.into_json_response(),
    }
}
