//! `ApiToken`: the extractor that lets a request into the token-protected
//! API (`Authorization: Bearer inn_...`). Missing, wrong or revoked tokens
//! get 401 JSON before the handler runs, so nothing is processed.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use crate::domain::dialer::api_tokens;
use crate::error::ApiError;
use crate::state::AppState;

/// The token a request authenticated with. Every API call is attributed to
/// it in the audit log.
#[derive(Clone, Debug)]
pub struct ApiToken {
    pub id: i32,
    pub name: String,
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).header(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer realm=\"innsyn\""),
    )
}

impl FromRequestParts<AppState> for ApiToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Err(unauthorized("missing Authorization: Bearer <token> header"));
        };
        let token = match value.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
            _ => return Err(unauthorized("expected Authorization: Bearer <token>")),
        };
        match api_tokens::authenticate(&state.db, token, state.clock.now()).await {
            Ok(Some(t)) => Ok(ApiToken {
                id: t.id,
                name: t.name,
            }),
            Ok(None) => Err(unauthorized("unknown or revoked token")),
            Err(e) => Err(e.into()),
        }
    }
}
