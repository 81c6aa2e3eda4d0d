//! The one error type. Internal causes are logged with a reference id and
//! shown to the user as a plain apology carrying that id.

use askama::Template;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::domain::centre::CentreInfo;
use crate::i18n::Lang;
use crate::views::PageCtx;

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
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
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
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
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

    /// The same error as JSON, for the API.
    pub fn into_json_response(self) -> Response {
        let error_id = self.log();
        let (title, _) = self.keys();
        let body = serde_json::json!({
            "error": title.trim_start_matches("error-").trim_end_matches("-title"),
            "message": Lang::En.t(title),
            "error_id": error_id,
        });
        let mut resp = (self.status(), Json(body)).into_response();
        self.retry_after(&mut resp);
        resp
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let error_id = self.log();
        let lang = match &self {
            AppError::RateLimited { lang, .. } => *lang,
            _ => Lang::Nb,
        };
        let (title_key, body_key) = self.keys();
        let page = ErrorPage {
            ctx: PageCtx {
                lang,
                csrf: String::new(),
                path: String::new(),
                centre: CentreInfo {
                    name: String::new(),
                    org_number: String::new(),
                    contact_phone: String::new(),
                    contact_email: String::new(),
                    postal_address: String::new(),
                    configured: false,
                },
            },
            title_key,
            body_key,
            error_id,
        };
        let html = page
            .render()
            .unwrap_or_else(|_| "<h1>Noe gikk galt / Something went wrong</h1>".into());
        let mut resp = (self.status(), Html(html)).into_response();
        self.retry_after(&mut resp);
        resp
    }
}

pub type AppResult<T> = Result<T, AppError>;
