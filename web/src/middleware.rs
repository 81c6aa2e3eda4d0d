//! The layers `routes::router` puts around the routes: body limits and
//! deadlines, cache and security headers, the remembered language, panics,
//! and the error pages ([`error_pages`]). Which route gets which is declared
//! in `routes/mod.rs`.

pub mod error_pages;

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::cookie::{Cookie, SameSite};

use crate::error::{ApiError, AppError};
use crate::request::{LANG_COOKIE, query_lang};
use crate::state::AppState;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

/// What the site does not use, denied to every page and anything it embeds.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), display-capture=(), \
                                  encrypted-media=(), fullscreen=(), geolocation=(), gyroscope=(), \
                                  magnetometer=(), microphone=(), midi=(), payment=(), \
                                  picture-in-picture=(), publickey-credentials-get=(), \
                                  screen-wake-lock=(), usb=(), xr-spatial-tracking=()";

/// Turns a handler's panic into the 500 page (logged with its reference id).
pub fn catch_panic() -> CatchPanicLayer<fn(Box<dyn std::any::Any + Send>) -> Response> {
    CatchPanicLayer::custom(panic_page as fn(Box<dyn std::any::Any + Send>) -> Response)
}

fn panic_page(_panic: Box<dyn std::any::Any + Send>) -> Response {
    // The panic's own message may quote input (personal data): the log
    // gets the fact and the reference id; the panic hook has the location.
    AppError::internal(anyhow::anyhow!("a handler panicked")).into_response()
}

/// Middleware: reads the whole request body (at most `limit` bytes) within
/// `deadline` before the handler runs. A client that trickles a form or a
/// webhook gets 408 and its connection closed, not a worker held for ever.
pub async fn read_body_within(
    State((deadline, limit)): State<(Duration, usize)>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await {
        Err(_) => {
            let path = parts.uri.path();
            tracing::info!(path = %path, "request body too slow: 408");
            let message = "request body too slow";
            if path.starts_with("/api/") {
                ApiError::new(StatusCode::REQUEST_TIMEOUT, "timeout", message).into_response()
            } else {
                (StatusCode::REQUEST_TIMEOUT, message).into_response()
            }
        }
        Ok(Err(_)) => {
            let message = format!("the request body is larger than {limit} bytes");
            let path = parts.uri.path();
            if path.starts_with("/api/") {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message).into_response()
            } else if path.starts_with("/webhooks/") {
                let body = serde_json::json!({ "error": message });
                (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(body)).into_response()
            } else {
                (StatusCode::PAYLOAD_TOO_LARGE, message).into_response()
            }
        }
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    }
}

/// `Cache-Control: no-store` on every back-office answer and every answer
/// to an API call made with a token or a session: none of it may stay in a
/// browser's or a proxy's cache. The public open data keeps its own.
pub async fn no_store(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let staff = path == "/admin" || path.starts_with("/admin/");
    let authenticated_api = path.starts_with("/api/")
        && (req.headers().contains_key(header::AUTHORIZATION)
            || crate::cookies::get(req.headers(), crate::auth::SESSION_COOKIE).is_some());
    let mut resp = next.run(req).await;
    if staff || authenticated_api {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// `Strict-Transport-Security` when the public address is https.
pub async fn hsts(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    if s.config.secure_cookies() {
        resp.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    resp
}

/// A header every answer gets unless its handler set its own.
pub fn security_header(
    name: HeaderName,
    value: &'static str,
) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Remembers a language chosen with the switch (`?lang=en`) for a year.
pub async fn remember_lang(req: Request, next: Next) -> Response {
    let chosen = query_lang(req.uri().query());
    let mut resp = next.run(req).await;
    if let Some(l) = chosen {
        let cookie = Cookie::build((LANG_COOKIE, l.code()))
            .path("/")
            .max_age(time::Duration::days(365))
            .same_site(SameSite::Lax)
            .build();
        crate::cookies::set(resp.headers_mut(), &cookie);
    }
    resp
}
