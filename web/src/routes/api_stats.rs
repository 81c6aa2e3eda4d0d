//! The statistics API for the dialer and the managers' own tools:
//! `POST /api/v1/stats/daily` (JSON figures in) and `GET /api/v1/stats`
//! (the export out), both with a bearer API token.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::api_token::ApiToken;
use crate::domain::privacy::audit::Actor;
use crate::domain::stats::{self, DialerDay, ExportQuery, ImportError, Source};
use crate::error::ApiError;
use crate::state::AppState;

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
) -> Result<Response, ApiError> {
    let days = match serde_json::from_slice::<Days>(&body) {
        Ok(Days::Many(v)) => v,
        Ok(Days::One(d)) => vec![d],
        Err(e) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                format!(
                    "expected {{date, campaign, attempted, answered, connected, transferred, abandoned}} or a list of them: {e}"
                ),
            ));
        }
    };
    let source = Source::Api { token_id: token.id };
    match stats::store(&s.db, &days, source, &actor(&token), s.clock.now()).await {
        Ok(n) => Ok(Json(serde_json::json!({"stored": n})).into_response()),
        Err(ImportError::Lines(errors)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "nothing was stored",
        )
        .with("errors", errors)),
        Err(ImportError::Db(e)) => Err(e.into()),
    }
}

pub async fn export(
    token: ApiToken,
    State(s): State<AppState>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let limit = s.config.abandoned_rate_limit_percent;
    // The API's files stay exactly as documented: no BOM, column codes.
    let d = stats::export(
        &s.db,
        &q.f,
        &q.format,
        limit,
        &actor(&token),
        s.clock.now(),
        None,
    )
    .await?;
    Ok(crate::views::download(d))
}
