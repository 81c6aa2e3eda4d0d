//! The gate on Twilio's webhooks: its `X-Twilio-Signature` over the public
//! URL and the form, checked on the raw bytes before anything else.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;
use crate::twilio_signature;

/// Largest body a Twilio webhook may send (Twilio's form posts are small).
pub const MAX_TWILIO_BODY: usize = 64 * 1024;

/// Middleware: the `X-Twilio-Signature` over the public URL and the raw
/// form body, before anything else. Missing or wrong: 403, nothing stored.
pub async fn verify_twilio(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let Some(tw) = &s.config.twilio else {
        tracing::warn!("Twilio webhook refused: TWILIO_AUTH_TOKEN is not set");
        return StatusCode::FORBIDDEN.into_response();
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_TWILIO_BODY).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    // A proxy changes scheme and host: sign against the configured public address.
    let url = format!(
        "{}{}",
        s.config.public_base_url,
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let signature = parts
        .headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !twilio_signature::verify(&tw.auth_token, &url, &bytes, signature) {
        tracing::warn!(path = %parts.uri.path(), "Twilio webhook with a missing or wrong signature refused");
        return StatusCode::FORBIDDEN.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
