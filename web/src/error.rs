//! The one error type of the web layer. Internal causes are logged with a
//! reference id and shown to the user as a plain apology carrying that id.
//!
//! Domain services return [`crate::domain::Error`]; [`AppError`] wraps it
//! in one variant, [`AppError::Domain`], by `?` (not found → 404, invalid →
//! 422, a refusal → 400 with its message, a conflict → 409, forbidden → 403,
//! a failure → 500), beside what only the web layer refuses (a CSRF token, a
//! rate limit, a malformed request). A form that can be drawn again with its
//! errors is drawn by its handler; anything else gets the error page.
//!
//! An error response carries what to say ([`ErrorShown`]) and a minimal
//! body; the error-page layer (`middleware::error_pages`) draws the page
//! once, in the request's language and layout. Under `/api/` every error is
//! JSON of one shape ([`ApiError`]): `{"error": code, "message": text}`,
//! plus fields of its own.

use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Map, Value};

use crate::domain;
use crate::i18n::Lang;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A domain service refused or failed: not found, invalid input, a
    /// broken rule, a conflict, forbidden, the database or anything inside.
    #[error(transparent)]
    Domain(#[from] domain::Error),
    #[error("the form's security token is missing or wrong")]
    Csrf,
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64, lang: Lang },
    #[error("bad request: {0}")]
    BadRequest(&'static str),
}

impl From<sea_orm::DbErr> for AppError {
    /// A row sea-orm could not find is a missing thing (404), not a failure.
    fn from(e: sea_orm::DbErr) -> Self {
        domain::Error::from(e).into()
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        domain::Error::Internal(e).into()
    }
}

impl AppError {
    /// No such thing: 404.
    pub fn not_found() -> Self {
        domain::Error::NotFound.into()
    }

    /// Not for this person: 403.
    pub fn forbidden() -> Self {
        domain::Error::Forbidden.into()
    }

    /// A failure inside: 500, logged with a reference, never shown.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        domain::Error::Internal(e.into()).into()
    }

    pub(crate) fn status(&self) -> StatusCode {
        use domain::Error as E;
        match self {
            AppError::Domain(E::NotFound) => StatusCode::NOT_FOUND,
            AppError::Domain(E::Forbidden) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadRequest(_) | AppError::Domain(E::Refused(_)) => StatusCode::BAD_REQUEST,
            AppError::Domain(E::Invalid(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Domain(E::Conflict(_)) => StatusCode::CONFLICT,
            AppError::Domain(E::Db(_) | E::Internal(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The translation keys of the page's title and text.
    fn keys(&self) -> (&'static str, &'static str) {
        use domain::Error as E;
        match self {
            AppError::Domain(E::NotFound) => ("error-notfound-title", "error-notfound-body"),
            AppError::Domain(E::Forbidden) => ("error-forbidden-title", "error-forbidden-body"),
            AppError::Csrf => ("error-csrf-title", "error-csrf-body"),
            AppError::RateLimited { .. } => ("error-ratelimit-title", "error-ratelimit-body"),
            AppError::BadRequest(_) => ("error-badrequest-title", "error-badrequest-body"),
            AppError::Domain(E::Refused(key)) => ("error-badrequest-title", key),
            AppError::Domain(E::Conflict(key)) => ("error-conflict-title", key),
            AppError::Domain(E::Invalid(f)) => (
                "error-invalid-title",
                f.first().map_or("error-invalid-body", |(_, k)| k),
            ),
            AppError::Domain(E::Db(_) | E::Internal(_)) => {
                ("error-internal-title", "error-internal-body")
            }
        }
    }

    /// Logs an internal cause and returns the id shown to the user.
    fn log(&self) -> Option<String> {
        match self {
            AppError::Domain(e @ (domain::Error::Db(_) | domain::Error::Internal(_))) => {
                let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_string();
                tracing::error!(error_id = %id, error = ?e, "request failed");
                Some(id)
            }
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<HeaderValue> {
        match self {
            AppError::RateLimited {
                retry_after_secs, ..
            } => HeaderValue::from_str(&retry_after_secs.to_string()).ok(),
            _ => None,
        }
    }

    /// The same error as JSON, for the API (see [`ApiError`]).
    pub fn into_json_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// What an error page says: put on the response by [`AppError`] and drawn
/// by the error-page layer (`middleware::error_pages`), once.
#[derive(Clone, Debug)]
pub struct ErrorShown {
    pub title_key: &'static str,
    pub body_key: &'static str,
    pub error_id: Option<String>,
}

impl ErrorShown {
    /// For an error response made elsewhere (axum's own rejections of a
    /// malformed form or path, the body limit, a method not allowed).
    pub fn for_status(status: StatusCode) -> ErrorShown {
        let e = match status {
            StatusCode::NOT_FOUND => AppError::not_found(),
            StatusCode::FORBIDDEN => AppError::forbidden(),
            s if s.is_server_error() => AppError::internal(anyhow::anyhow!("{s}")),
            _ => AppError::BadRequest(""),
        };
        let (title_key, body_key) = e.keys();
        ErrorShown {
            title_key,
            body_key,
            error_id: None,
        }
    }

    /// The bare text of the error (a heading, a sentence and the reference),
    /// for an answer no layer draws as a page: an htmx request, a machine
    /// path, a panic caught outside the layer.
    fn minimal_html(&self, lang: Lang) -> String {
        let mut out = format!(
            "<h1>{}</h1>\n<p>{}</p>\n",
            escape(&lang.t(self.title_key)),
            escape(&lang.t(self.body_key))
        );
        if let Some(id) = &self.error_id {
            out.push_str(&format!(
                "<p>{}: <code>{}</code></p>\n",
                escape(&lang.t("error-reference")),
                escape(id)
            ));
        }
        out
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl IntoResponse for AppError {
    /// The status, the headers and what to say ([`ErrorShown`]); no page is
    /// drawn here.
    fn into_response(self) -> Response {
        let shown = ErrorShown {
            title_key: self.keys().0,
            body_key: self.keys().1,
            error_id: self.log(),
        };
        let lang = match &self {
            AppError::RateLimited { lang, .. } => *lang,
            _ => Lang::Nb,
        };
        let mut resp = (self.status(), Html(shown.minimal_html(lang))).into_response();
        if let Some(v) = self.retry_after() {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
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
            AppError::Domain(
                domain::Error::Refused(_) | domain::Error::Conflict(_) | domain::Error::Invalid(_),
            ) => Lang::En.t(body),
            _ => Lang::En.t(title),
        };
        let code = title
            .trim_start_matches("error-")
            .trim_end_matches("-title");
        let mut out = ApiError::new(e.status(), code, message).with("error_id", error_id);
        if let AppError::Domain(domain::Error::Invalid(f)) = &e {
            let errors: Vec<Value> = f
                .0
                .iter()
                .map(|(field, key)| serde_json::json!({"field": field, "message": Lang::En.t(key)}))
                .collect();
            out = out.with("errors", errors);
        }
        if let Some(v) = e.retry_after() {
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
        let (status, j) = json_of(AppError::not_found()).await;
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
    async fn an_error_response_says_what_to_show_and_draws_no_page() {
        let resp = AppError::from(domain::Error::internal("secret cause")).into_response();
        assert_eq!(resp.status(), 500);
        let shown = resp
            .extensions()
            .get::<ErrorShown>()
            .cloned()
            .expect("what to say, for the error-page layer");
        assert_eq!(
            (shown.title_key, shown.body_key),
            ("error-internal-title", "error-internal-body")
        );
        let id = shown.error_id.expect("the logged reference");
        let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024)
            .await
            .unwrap();
        let body = String::from_utf8(bytes.to_vec()).unwrap();
        // The page (layout, language, centre, staff) is the layer's to draw.
        assert!(!body.contains("<html"), "{body}");
        assert!(body.contains("<h1>") && body.contains(&id), "{body}");
        assert!(!body.contains("secret cause"), "{body}");
    }

    async fn json_of_response(resp: Response) -> (StatusCode, Value) {
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }
}
