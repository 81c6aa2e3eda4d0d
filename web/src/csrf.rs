//! Cross-site request forgery protection for every state-changing request
//! outside `/webhooks/` and `/api/` (those authenticate by signature or token).
//!
//! Double-submit: a random token lives in an HttpOnly cookie and is echoed by
//! each form (`csrf_token` field) or htmx request (`x-csrf-token` header).
//! A request whose Origin header names another site is refused as well.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::RngCore;
use subtle::ConstantTimeEq;
use tower_sessions::cookie::{Cookie, SameSite};

use crate::config::Config;
use crate::cookies;
use crate::error::AppError;
use crate::state::AppState;

/// The cookie over http (and the name tools and tests use).
pub const COOKIE: &str = "innsyn_csrf";
/// The cookie over https: the `__Host-` prefix makes the browser refuse it
/// unless it is Secure, for this host only and for every path, so a sibling
/// subdomain cannot plant a token.
pub const HOST_COOKIE: &str = "__Host-innsyn_csrf";
pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The token of this request, for the page to embed.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("CSRF layer missing")))
    }
}

fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn well_formed(t: &str) -> bool {
    t.len() == 43
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn exempt(path: &str) -> bool {
    path.starts_with("/webhooks/") || path.starts_with("/api/")
}

fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true; // same-origin form posts from older browsers carry none
    };
    if origin == state.config.public_base_url {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    host.is_some_and(|h| origin == format!("http://{h}") || origin == format!("https://{h}"))
}

/// The cookie's name under this configuration.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies() {
        HOST_COOKIE
    } else {
        COOKIE
    }
}

/// The token's cookie: HttpOnly, for every path, Secure over https.
fn token_cookie(config: &Config, token: String) -> Cookie<'static> {
    let mut c = Cookie::build((cookie_name(config), token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax);
    if config.secure_cookies() {
        c = c.secure(true);
    }
    c.build()
}

/// A fresh token on `resp` (sign-in calls it): a token an attacker planted
/// or read before the sign-in is worth nothing after it.
pub fn rotated(config: &Config, mut resp: Response) -> Response {
    cookies::set(resp.headers_mut(), &token_cookie(config, new_token()));
    resp
}

pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let existing =
        cookies::get(req.headers(), cookie_name(&state.config)).filter(|t| well_formed(t));
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(new_token);
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut req = req;
    if unsafe_method && !exempt(req.uri().path()) {
        if !origin_allowed(&state, req.headers()) {
            return AppError::Csrf.into_response();
        }
        let header_token = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let presented = match header_token {
            Some(t) => Some(t),
            None => {
                let is_form = req
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
                let is_multipart = req
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("multipart/form-data"));
                if is_multipart {
                    // File uploads carry the token in the action's query string
                    // (the multipart body is not read twice).
                    req.uri().query().and_then(|q| {
                        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                            .ok()
                            .and_then(|kv| kv.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v))
                    })
                } else if !is_form {
                    None
                } else {
                    let (parts, body) = req.into_parts();
                    // The form is read here, before any route's own body
                    // timeout: a trickled form is cut off here too.
                    let bytes = match tokio::time::timeout(
                        state.config.http.body,
                        to_bytes(body, MAX_FORM_BYTES),
                    )
                    .await
                    {
                        Err(_) => {
                            return (StatusCode::REQUEST_TIMEOUT, "request body too slow")
                                .into_response();
                        }
                        Ok(Err(_)) => {
                            return AppError::BadRequest("body too large").into_response();
                        }
                        Ok(Ok(b)) => b,
                    };
                    let t = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                        .ok()
                        .and_then(|kv| kv.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v));
                    req = Request::from_parts(parts, Body::from(bytes));
                    t
                }
            }
        };
        if fresh || !presented.is_some_and(|p| same(&p, &token)) {
            return AppError::Csrf.into_response();
        }
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    // A rotation (sign-in) sets its own.
    if fresh && !cookies::is_set(resp.headers(), cookie_name(&state.config)) {
        cookies::set(resp.headers_mut(), &token_cookie(&state.config, token));
    }
    resp
}
