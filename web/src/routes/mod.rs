//! Every URL the product answers, and the layers around them.

mod admin;
mod api;
pub mod api_auth;
mod api_stats;
mod assets;
mod dialer;
mod health;
mod public;
mod webhooks;

pub use webhooks::outcome_json as mail_outcome_json;

use axum::Router;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::Response;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::csrf;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;

/// Largest request body anywhere (forms are small; uploads come with later issues).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

/// What the site does not use, denied to every page and anything it embeds.
const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), display-capture=(), \
                                  encrypted-media=(), fullscreen=(), geolocation=(), gyroscope=(), \
                                  magnetometer=(), microphone=(), midi=(), payment=(), \
                                  picture-in-picture=(), publickey-credentials-get=(), \
                                  screen-wake-lock=(), usb=(), xr-spatial-tracking=()";

/// Largest body a Twilio webhook may send (Twilio's form posts are small).
const MAX_TWILIO_BODY: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let timeouts = state.config.http;
    // Forms, pages and the API: small bodies only, in whole within the body
    // timeout.
    let limited = Router::new()
        // GET /healthz, GET /readyz
        .merge(health::router())
        // GET / , /oppdragsgivere, /reservasjon (+POST), /hvem-ringte, /klage (+POST), /personvern
        .merge(public::router(state.clone()))
        // /admin/... : the back office (sessions, role gates)
        .merge(admin::router(state.clone()))
        // GET /api/v1/numbers
        .nest("/api/v1", api::router())
        // GET /assets/...
        .merge(assets::router())
        .layer(middleware::from_fn_with_state(
            (timeouts.body, MAX_BODY_BYTES),
            read_body_within,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    // Streamed uploads of any length: no deadline for the whole body, but a
    // pause longer than the upload idle timeout ends the request.
    let streamed = Router::new()
        // POST /admin/statistikk/import, /admin/vask/last-opp,
        // /admin/oppdragsgivere/{id}/reservasjoner/last-opp: with their own limits
        .merge(admin::upload_router(state.clone()))
        // GET /api/v1/call-window; with a token: POST /api/v1/wash (streamed,
        // any length, so outside the body limit), POST /api/v1/abandoned
        .nest("/api/v1", dialer::router(state.clone()))
        .layer(RequestBodyTimeoutLayer::new(timeouts.upload_idle));
    Router::new()
        .merge(limited)
        .merge(streamed)
        // With a token: POST /api/v1/stats/daily, GET /api/v1/stats?from&to&format
        .nest("/api/v1", api_stats::router())
        // POST /webhooks/twilio/{voice,voice/meny,voice/recording,voice/transcription,sms,sms/status}
        // (64 KiB) and POST /webhooks/email (the mail size limit): their own limits.
        .merge(
            webhooks::router(state.clone())
                .layer(middleware::from_fn_with_state(
                    (timeouts.body, MAX_TWILIO_BODY),
                    read_body_within,
                )),
        )
        .fallback(crate::error::fallback)
        .layer(middleware::from_fn_with_state(state.clone(), csrf::protect))
        // Every error page, public or back office, drawn in one place.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::error::render_errors,
        ))
        .layer(middleware::from_fn(remember_lang))
        // A panic anywhere inside becomes a logged 500 page, not a dropped
        // connection.
        .layer(catch_panic())
        .layer(middleware::from_fn(no_store))
        .layer(middleware::from_fn_with_state(state.clone(), hsts))
        .layer(security_header(
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ))
        .layer(security_header(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "same-origin"))
        .layer(
            // Log the path only: query strings carry phone numbers.
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
            }),
        )
        .with_state(state)
}

/// Turns a handler's panic into the 500 page (logged with its reference id).
pub fn catch_panic() -> CatchPanicLayer<fn(Box<dyn std::any::Any + Send>) -> Response> {
    CatchPanicLayer::custom(panic_page as fn(Box<dyn std::any::Any + Send>) -> Response)
}

fn panic_page(_panic: Box<dyn std::any::Any + Send>) -> Response {
    // The panic's own message may quote input (personal data): the log
    // gets the fact and the reference id; the panic hook has the location.
    AppError::Internal(anyhow::anyhow!("a handler panicked")).into_response()
}

/// Middleware: reads the whole request body (at most `limit` bytes) within
/// `deadline` before the handler runs. A client that trickles a form or a
/// webhook gets 408 and its connection closed, not a worker held for ever.
async fn read_body_within(
    State((deadline, limit)): State<(Duration, usize)>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    // The raw e-mail webhook takes whole messages (its handler checks the
    // bearer secret and the mail limit).
    let limit = if parts.uri.path() == "/webhooks/email" {
        crate::domain::inbound::mail::MAX_MAIL_BYTES
    } else {
        limit
    };
    match tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await {
        Err(_) => {
            tracing::info!(path = %parts.uri.path(), "request body too slow: 408");
            (StatusCode::REQUEST_TIMEOUT, "request body too slow").into_response()
        }
        Ok(Err(_)) => {
            let message = format!("the request body is larger than {limit} bytes");
            let path = parts.uri.path();
            if path.starts_with("/webhooks/") || path.starts_with("/api/") {
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
async fn no_store(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let staff = path == "/admin" || path.starts_with("/admin/");
    let authenticated_api = path.starts_with("/api/")
        && (req.headers().contains_key(header::AUTHORIZATION)
            || csrf::cookie(req.headers(), crate::auth::SESSION_COOKIE).is_some());
    let mut resp = next.run(req).await;
    if staff || authenticated_api {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// `Strict-Transport-Security` when the public address is https.
async fn hsts(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    if s.config.secure_cookies() {
        resp.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    resp
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

fn lang_from(parts_uri: &axum::http::Uri, headers: &axum::http::HeaderMap) -> Lang {
    query_lang(parts_uri.query())
        .or_else(|| csrf::cookie(headers, "lang").and_then(|v| Lang::parse(&v)))
        .unwrap_or_default()
}

/// The language of a request: `?lang=` first, then the remembered choice,
/// then Norwegian bokmål.
pub fn lang_of(req: &Request) -> Lang {
    lang_from(req.uri(), req.headers())
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(lang_from(&parts.uri, &parts.headers))
    }
}

/// Remembers a language chosen with the switch (`?lang=en`).
async fn remember_lang(req: Request, next: Next) -> Response {
    let chosen = query_lang(req.uri().query());
    let mut resp = next.run(req).await;
    if let Some(l) = chosen
        && let Ok(v) = HeaderValue::from_str(&format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            l.code()
        ))
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// True for requests made by htmx, which get a fragment instead of a page.
pub fn is_htmx(headers: &axum::http::HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}
