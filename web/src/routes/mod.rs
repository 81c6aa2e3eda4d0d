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
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::csrf;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;

/// Largest request body anywhere (forms are small; uploads come with later issues).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

pub fn router(state: AppState) -> Router {
    // Forms, pages and the API: small bodies only.
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
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    Router::new()
        .merge(limited)
        // POST /admin/statistikk/import: CSV uploads, with their own limit
        .merge(admin::upload_router(state.clone()))
        // GET /api/v1/call-window; with a token: POST /api/v1/wash (streamed,
        // any length, so outside the body limit), POST /api/v1/abandoned
        .nest("/api/v1", dialer::router(state.clone()))
        // With a token: POST /api/v1/stats/daily, GET /api/v1/stats?from&to&format
        .nest("/api/v1", api_stats::router())
        // POST /webhooks/twilio/{voice,voice/meny,voice/recording,voice/transcription,sms,sms/status}
        // (64 KiB) and POST /webhooks/email (the mail size limit): their own limits.
        .merge(webhooks::router(state.clone()))
        .fallback(|| async { AppError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), csrf::protect))
        // Every error page, public or back office, drawn in one place.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::error::render_errors,
        ))
        .layer(middleware::from_fn(remember_lang))
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
