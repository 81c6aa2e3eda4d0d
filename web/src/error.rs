//! The one error type. Internal causes are logged with a reference id and
//! shown to the user as a plain apology carrying that id.
//!
//! Error pages are drawn by one mechanism, [`render_errors`]: an error
//! response carries what to say ([`ErrorShown`]); the layer draws it with the
//! request's language, the signed-in staff member (inside the back-office
//! layout, with a way back) or the visitor (the public layout with the
//! centre's name and contact).
//!
//! Domain services return [`crate::domain::Error`]; it becomes an
//! [`AppError`] by `?` (not found → 404, invalid → 422, a refusal → 400 with
//! its message, a conflict → 409, forbidden → 403). A form that can be drawn
//! again with its errors is drawn by its handler; anything else gets the
//! error page. Under `/api/` every error is JSON of one shape ([`ApiError`]):
//! `{"error": code, "message": text}`, plus fields of its own.

use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Map, Value};

use crate::domain::catalogue::centre::{self, CentreInfo};
use crate::domain::{self, FieldErrors};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::views::{AdminCtx, PageCtx};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("the form's security token is missing or wrong")]
    Csrf,
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64, lang: Lang },
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// Input that failed its checks, where no form is drawn again: 422.
    #[error("invalid input: {0:?}")]
    Invalid(FieldErrors),
    /// A rule refused the request: 400, with the rule's message (a
    /// translation key).
    #[error("refused: {0}")]
    Refused(&'static str),
    /// The request clashes with the current state: 409, with its message
    /// (a translation key).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Db(sea_orm::DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for AppError {
    /// A row sea-orm could not find is a missing thing (404), not a failure.
    fn from(e: sea_orm::DbErr) -> Self {
        domain::Error::from(e).into()
    }
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage {
    ctx: PageCtx,
    title_key: &'static str,
    body_key: &'static str,
    error_id: Option<String>,
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadRequest(_) | AppError::Refused(_) => StatusCode::BAD_REQUEST,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn keys(&self) -> (&'static str, &'static str) {
        match self {
            AppError::NotFound => ("error-notfound-title", "error-notfound-body"),
            AppError::Forbidden => ("error-forbidden-title", "error-forbidden-body"),
            AppError::Csrf => ("error-csrf-title", "error-csrf-body"),
            AppError::RateLimited { .. } => ("error-ratelimit-title", "error-ratelimit-body"),
            AppError::BadRequest(_) => ("error-badrequest-title", "error-badrequest-body"),
            AppError::Refused(key) => ("error-badrequest-title", key),
            AppError::Conflict(key) => ("error-conflict-title", key),
            AppError::Invalid(f) => (
                "error-invalid-title",
                f.first().map_or("error-invalid-body", |(_, k)| k),
            ),
            AppError::Db(_) | AppError::Internal(_) => {
                ("error-internal-title", "error-internal-body")
            }
        }
    }

    /// Logs an internal cause and returns the id shown to the user.
    fn log(&self) -> Option<String> {
        match self {
            AppError::Db(_) | AppError::Internal(_) => {
                let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_string();
                tracing::error!(error_id = %id, error = ?self, "request failed");
                Some(id)
            }
            _ => None,
        }
    }

    fn retry_after(&self, resp: &mut Response) {
        if let AppError::RateLimited {
            retry_after_secs, ..
        } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }

    /// The same error as JSON, for the API (see [`ApiError`]).
    pub fn into_json_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

impl From<domain::Error> for AppError {
    fn from(e: domain::Error) -> Self {
        match e {
            domain::Error::Invalid(f) => AppError::Invalid(f),
            domain::Error::NotFound => AppError::NotFound,
            domain::Error::Refused(key) => AppError::Refused(key),
            domain::Error::Conflict(key) => AppError::Conflict(key),
            domain::Error::Forbidden => AppError::Forbidden,
            domain::Error::Db(e) => AppError::Db(e),
            domain::Error::Internal(e) => AppError::Internal(e),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let error_id = self.log();
        let shown = ErrorShown {
            title_key: self.keys().0,
            body_key: self.keys().1,
            error_id: error_id.clone(),
        };
        let lang = match &self {
            AppError::RateLimited { lang, .. } => *lang,
            _ => Lang::Nb,
        };
        let (title_key, body_key) = self.keys();
        let page = ErrorPage {
            ctx: PageCtx::bare(lang, String::new(), String::new(), blank_centre()),
            title_key,
            body_key,
            error_id,
        };
        let html = page
            .render()
            .unwrap_or_else(|_| "<h1>Noe gikk galt / Something went wrong</h1>".into());
        let mut resp = (self.status(), Html(html)).into_response();
        self.retry_after(&mut resp);
        resp.extensions_mut().insert(shown);
        resp
    }
}

/// An API answer that went wrong, as JSON: `{"error": code, "message":
/// text}` and any fields of its own (`error_id` of an internal error,
/// `errors` of invalid input, `reason` and `next_allowed_at` outside calling
/// hours, ...). Every `/api/` error passes through this one shape.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Map<String, Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        let mut body = Map::new();
        body.insert("error".into(), Value::from(code));
        body.insert("message".into(), Value::from(message.into()));
        ApiError {
            status,
            body,
            headers: Vec::new(),
        }
    }
    /// A field of this error's own beside `error` and `message`.
    pub fn with(mut self, key: &str, value: impl serde::Serialize) -> Self {
        self.body.insert(
            key.into(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }
    /// A header on the answer (`Retry-After`, `WWW-Authenticate`).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// The machine-readable code (`"error"`).
    pub fn code(&self) -> &str {
        self.body.get("error").and_then(Value::as_str).unwrap_or("")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(Value::Object(self.body))).into_response();
        for (name, value) in self.headers {
            resp.headers_mut().insert(name, value);
        }
        resp
    }
}

impl From<AppError> for ApiError {
    /// The code is the error page's name (`notfound`, `badrequest`,
    /// `ratelimit`, `invalid`, `conflict`, `internal`, ...), the message its
    /// English text; an internal error carries its logged reference.
    fn from(e: AppError) -> Self {
        let error_id = e.log();
        let (title, body) = e.keys();
        let message = match &e {
            AppError::Refused(_) | AppError::Conflict(_) | AppError::Invalid(_) => {
                crate::i18n::Lang::En.t(body)
            }
            _ => crate::i18n::Lang::En.t(title),
        };
        let code = title
            .trim_start_matches("error-")
            .trim_end_matches("-title");
        let mut out = ApiError::new(e.status(), code, message).with("error_id", error_id);
        if let AppError::Invalid(f) = &e {
            let errors: Vec<Value> = f
                .0
                .iter()
                .map(|(field, key)| {
                    serde_json::json!({"field": field, "message": crate::i18n::Lang::En.t(key)})
                })
                .collect();
            out = out.with("errors", errors);
        }
        if let AppError::RateLimited {
            retry_after_secs, ..
        } = e
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            out = out.header(header::RETRY_AFTER, v);
        }
        out
    }
}

impl From<domain::Error> for ApiError {
    fn from(e: domain::Error) -> Self {
        AppError::from(e).into()
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::from(e).into()
    }
}

/// The answer to a path no route answers: JSON under `/api/`, the
/// not-found page elsewhere.
pub async fn fallback(uri: Uri) -> Response {
    if is_api(uri.path()) {
        AppError::NotFound.into_json_response()
    } else {
        AppError::NotFound.into_response()
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

/// What an error page says; put on the response by `AppError` (the body it
/// carries is a plain fallback) and drawn in full by [`render_errors`].
#[derive(Clone, Debug)]
pub struct ErrorShown {
    pub title_key: &'static str,
    pub body_key: &'static str,
    pub error_id: Option<String>,
}

impl ErrorShown {
    /// For an error response made elsewhere (axum's own rejections of a
    /// malformed form or path, the body limit, a method not allowed).
    fn for_status(status: StatusCode) -> ErrorShown {
        let e = match status {
            StatusCode::NOT_FOUND => AppError::NotFound,
            StatusCode::FORBIDDEN => AppError::Forbidden,
            s if s.is_server_error() => AppError::Internal(anyhow::anyhow!("{s}")),
            _ => AppError::BadRequest(""),
        };
        let (title_key, body_key) = e.keys();
        ErrorShown {
            title_key,
            body_key,
            error_id: None,
        }
    }
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
    let store = crate::auth::store::DbSessionStore::new(s.db.clone());
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

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    async fn json_of(e: impl Into<ApiError>) -> (StatusCode, Value) {
        json_of_response(e.into().into_response()).await
    }

    #[test]
    fn each_domain_error_has_its_status() {
        let cases = [
            (domain::Error::NotFound, 404),
            (domain::Error::invalid("navn", "form-error-required"), 422),
            (domain::Error::Refused("users-error-own-access"), 400),
            (domain::Error::Conflict("retry-error-sent"), 409),
            (domain::Error::Forbidden, 403),
            (domain::Error::internal("boom"), 500),
            (sea_orm::DbErr::RecordNotFound("x".into()).into(), 404),
            (sea_orm::DbErr::Custom("x".into()).into(), 500),
        ];
        for (e, status) in cases {
            let shown = format!("{e:?}");
            assert_eq!(AppError::from(e).status().as_u16(), status, "{shown}");
        }
    }

    #[tokio::test]
    async fn api_errors_share_one_shape_with_their_own_fields() {
        let (status, j) = json_of(domain::Error::Conflict("retry-error-sent")).await;
        assert_eq!(status, 409);
        assert_eq!(j["error"], "conflict");
        assert_eq!(
            j["message"],
            "That message went out already; there is nothing to send again."
        );
        let (status, j) = json_of(domain::Error::invalid("navn", "form-error-required")).await;
        assert_eq!(status, 422);
        assert_eq!(j["error"], "invalid");
        assert_eq!(j["errors"][0]["field"], "navn");
        let (status, j) = json_of(AppError::NotFound).await;
        assert_eq!(
            (status.as_u16(), j["error"].as_str()),
            (404, Some("notfound"))
        );
        let (status, j) = json_of(domain::Error::internal("secret cause")).await;
        assert_eq!(status, 500);
        assert_eq!(j["error"], "internal");
        assert!(j["error_id"].as_str().is_some_and(|id| id.len() == 10));
        assert!(!j.to_string().contains("secret cause"), "{j}");
        let (status, j) = json_of(
            ApiError::new(StatusCode::BAD_REQUEST, "bad_at", "at: RFC 3339").with("extra", 1),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(
            (j["error"].as_str(), j["extra"].as_i64()),
            (Some("bad_at"), Some(1))
        );
    }

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
