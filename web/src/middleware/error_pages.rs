//! The error pages: one layer, [`render_errors`], draws every error page
//! of the site once. An error response carries what to say
//! ([`ErrorShown`], put there by `AppError` or made from the status of an
//! error axum answered itself); the layer draws it with the request's
//! language, the signed-in staff member (inside the back-office layout, with
//! a way back) or the visitor (the public layout with the centre's name and
//! contact). Under `/api/` it gives every error the one JSON shape instead.

use askama::Template;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::domain::catalogue::centre::{self, CentreInfo};
use crate::error::{AppError, ErrorShown};
use crate::state::AppState;
use crate::views::{AdminCtx, PageCtx};

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage {
    ctx: PageCtx,
    title_key: &'static str,
    body_key: &'static str,
    error_id: Option<String>,
}

/// The answer to a path no route answers: JSON under `/api/`, the
/// not-found page elsewhere.
pub async fn fallback(uri: Uri) -> Response {
    if is_api(uri.path()) {
        AppError::not_found().into_json_response()
    } else {
        AppError::not_found().into_response()
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/api"
}

/// The code of an error status made outside the handlers (axum's
/// rejections, the body limits, a method not allowed).
fn api_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "notfound",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::TOO_MANY_REQUESTS => "ratelimit",
        s if s.is_server_error() => "internal",
        _ => "badrequest",
    }
}

/// An `/api/` error answer in the one JSON shape: kept when it already has
/// it, otherwise rewritten with a code for its status and its text (or the
/// status's reason) as the message. Headers stay.
async fn api_shape(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let parsed: Option<Map<String, Value>> = is_json
        .then(|| serde_json::from_slice(&bytes).ok())
        .flatten();
    let shaped = parsed.as_ref().is_some_and(|o| {
        o.get("error").is_some_and(Value::is_string)
            && o.get("message").is_some_and(Value::is_string)
    });
    if shaped {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let said = match &parsed {
        Some(o) => o.get("error").and_then(Value::as_str).map(str::to_string),
        None => std::str::from_utf8(&bytes)
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty() && !t.starts_with('<')),
    };
    let status = parts.status;
    let message =
        said.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_lowercase());
    let body = serde_json::json!({ "error": api_code(status), "message": message });
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body.to_string()))
}

#[derive(Template)]
#[template(path = "admin/error.html")]
struct AdminErrorPage {
    ctx: AdminCtx,
    title_key: &'static str,
    body_key: &'static str,
    error_id: Option<String>,
    back: String,
}

/// Paths whose errors are not pages: machines read them.
fn machine_path(path: &str) -> bool {
    ["/api/", "/webhooks/", "/assets/", "/healthz", "/readyz"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// The signed-in, active staff member behind the session cookie, if any.
async fn staff_of(s: &AppState, headers: &HeaderMap) -> Option<entity::user::Model> {
    use sea_orm::EntityTrait;
    use tower_sessions::session_store::SessionStore;
    let raw = crate::cookies::get(headers, crate::auth::SESSION_COOKIE)?;
    let id: tower_sessions::session::Id = raw.parse().ok()?;
    let store = crate::auth::store::DbSessionStore::new(s.db.clone(), s.clock.clone());
    let record = store.load(&id).await.ok()??;
    let uid = record.data.get(crate::auth::USER_KEY)?.as_i64()?;
    entity::user::Entity::find_by_id(i32::try_from(uid).ok()?)
        .one(&s.db)
        .await
        .ok()?
        .filter(|u| u.active && !u.must_change_password)
}

/// Where "back" leads: the page the person came from on this site, else
/// the start of their part of the site.
fn back_link(s: &AppState, headers: &HeaderMap, path: &str, home: &str) -> String {
    let referer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let base = s.config.public_base_url.trim_end_matches('/');
    let local = referer
        .strip_prefix(base)
        .or_else(|| {
            referer
                .strip_prefix("http://")
                .or_else(|| referer.strip_prefix("https://"))
                .and_then(|r| r.strip_prefix(host))
                .filter(|_| !host.is_empty())
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//"));
    match local {
        Some(p) if p.split('?').next() != Some(path) => p.to_string(),
        _ => home.to_string(),
    }
}

/// Layer: draws every error page (see the module doc). Machine paths,
/// htmx requests and responses that already are pages pass untouched; an
/// error under `/api/` gets the one JSON shape.
pub async fn render_errors(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if is_api(&path) {
        let resp = next.run(req).await;
        let status = resp.status();
        return if status.is_client_error() || status.is_server_error() {
            api_shape(resp).await
        } else {
            resp
        };
    }
    if machine_path(&path) || crate::routes::is_htmx(req.headers()) {
        return next.run(req).await;
    }
    let lang = crate::routes::lang_of(&req);
    let headers = req.headers().clone();
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || status == StatusCode::UNAUTHORIZED
    {
        return resp;
    }
    let shown = match resp.extensions().get::<ErrorShown>() {
        Some(e) => e.clone(),
        None => {
            let is_html = resp
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
            if is_html {
                return resp; // a page of its own (a form re-rendered with its errors)
            }
            ErrorShown::for_status(status)
        }
    };
    let csrf =
        crate::cookies::get(&headers, crate::csrf::cookie_name(&s.config)).unwrap_or_default();
    let staff = if path.starts_with("/admin") {
        staff_of(&s, &headers).await
    } else {
        None
    };
    let html = match staff {
        Some(me) => AdminErrorPage {
            back: back_link(&s, &headers, &path, "/admin/saker"),
            ctx: AdminCtx {
                lang,
                csrf,
                path: path.clone(),
                me,
            },
            title_key: shown.title_key,
            body_key: shown.body_key,
            error_id: shown.error_id,
        }
        .render(),
        None => ErrorPage {
            ctx: match s.catalogue.loaded() {
                Some(catalogue) => PageCtx {
                    lang,
                    csrf,
                    path: path.clone(),
                    centre: catalogue.centre.clone(),
                    catalogue,
                },
                None => PageCtx::bare(
                    lang,
                    csrf,
                    path.clone(),
                    centre::get(&s.db).await.unwrap_or_else(|_| blank_centre()),
                ),
            },
            title_key: shown.title_key,
            body_key: shown.body_key,
            error_id: shown.error_id,
        }
        .render(),
    };
    let Ok(html) = html else {
        return resp;
    };
    let (mut parts, _) = resp.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}

fn blank_centre() -> CentreInfo {
    CentreInfo {
        name: String::new(),
        org_number: String::new(),
        contact_phone: String::new(),
        contact_email: String::new(),
        postal_address: String::new(),
        configured: false,
    }
}

#[cfg(test)]
mod tests {
    use axum::Json;

    use super::*;

    #[tokio::test]
    async fn an_error_made_outside_the_handlers_gets_the_shape() {
        let resp = (StatusCode::METHOD_NOT_ALLOWED, "").into_response();
        let (status, j) = json_of_response(api_shape(resp).await).await;
        assert_eq!(status, 405);
        assert_eq!(j["error"], "method_not_allowed");
        let resp = (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(serde_json::json!({"error": "the request body is larger than 9 bytes"})),
        )
            .into_response();
        let (status, j) = json_of_response(api_shape(resp).await).await;
        assert_eq!(status, 413);
        assert_eq!(j["error"], "too_large");
        assert_eq!(j["message"], "the request body is larger than 9 bytes");
    }

    async fn json_of_response(resp: Response) -> (StatusCode, Value) {
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }
}
