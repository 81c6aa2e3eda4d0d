//! What every page template gets: the language, the CSRF token, the centre
//! (public pages) or the signed-in staff member (back office). Both are
//! extractors: a handler names `ctx: PageCtx` or `ctx: AdminCtx` and gets
//! it filled from the request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::Staff;
use crate::csrf::CsrfToken;
use std::sync::Arc;

use crate::domain::catalogue::centre::CentreInfo;
use crate::domain::catalogue::memory::Snapshot;
use crate::domain::privacy::audit::Actor;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;

pub struct PageCtx {
    pub lang: Lang,
    pub csrf: String,
    /// The current path, for the language switch.
    pub path: String,
    pub centre: Arc<CentreInfo>,
    /// The catalogue this request reads (checked once per request).
    pub catalogue: Arc<Snapshot>,
}

/// Page templates call the language's texts directly: `ctx.t("key")`,
/// `ctx.t1(...)`, `ctx.other_lang_code()` (see `Lang`).
impl std::ops::Deref for PageCtx {
    type Target = Lang;
    fn deref(&self) -> &Lang {
        &self.lang
    }
}

impl PageCtx {
    /// The context of a page drawn without a request's catalogue (error
    /// pages).
    pub fn bare(lang: Lang, csrf: String, path: String, centre: CentreInfo) -> PageCtx {
        let catalogue = Arc::new(Snapshot::empty(centre));
        PageCtx {
            lang,
            csrf,
            path,
            centre: catalogue.centre.clone(),
            catalogue,
        }
    }
    pub fn is(&self, path: &str) -> bool {
        self.path == path
    }
}

async fn lang_of(parts: &mut Parts, state: &AppState) -> Lang {
    match <Lang as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
        Ok(lang) => lang,
        Err(never) => match never {},
    }
}

/// The request's language and CSRF token, the path asked for, and the
/// centre's details.
impl FromRequestParts<AppState> for PageCtx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let CsrfToken(csrf) = CsrfToken::from_request_parts(parts, state).await?;
        let catalogue = state.catalogue.get(&state.db, state.clock.now()).await?;
        Ok(PageCtx {
            lang: lang_of(parts, state).await,
            csrf,
            path: parts.uri.path().to_string(),
            centre: catalogue.centre.clone(),
            catalogue,
        })
    }
}

/// What every back-office page gets.
pub struct AdminCtx {
    pub lang: Lang,
    pub csrf: String,
    pub path: String,
    pub me: entity::user::Model,
}

/// As for `PageCtx`: the texts come from `Lang`.
impl std::ops::Deref for AdminCtx {
    type Target = Lang;
    fn deref(&self) -> &Lang {
        &self.lang
    }
}

/// The signed-in staff member (behind a role gate), the request's language
/// and CSRF token, and the path asked for.
impl FromRequestParts<AppState> for AdminCtx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Staff(me) = Staff::from_request_parts(parts, state).await?;
        let CsrfToken(csrf) = CsrfToken::from_request_parts(parts, state).await?;
        Ok(AdminCtx {
            lang: lang_of(parts, state).await,
            csrf,
            path: parts.uri.path().to_string(),
            me,
        })
    }
}

impl AdminCtx {
    /// The same context for the page at `path` (a form posted elsewhere is
    /// drawn as its page; the language switch and the menu follow `path`).
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }
    /// The signed-in user's id.
    pub fn id(&self) -> i32 {
        self.me.id
    }
    /// Who acts, for the audit log.
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.me.id),
            email: Some(self.me.email.clone()),
        }
    }
    /// The current section, for `aria-current` in the menu.
    pub fn is(&self, prefix: &str) -> bool {
        self.path.starts_with(prefix)
    }
    pub fn is_admin(&self) -> bool {
        self.me.role == entity::enums::Role::Admin
    }
    pub fn is_manager(&self) -> bool {
        self.me.role >= entity::enums::Role::Manager
    }
    /// An Oslo date and time.
    pub fn when(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        crate::domain::time::oslo_datetime(*t, self.lang)
    }
    /// A national register notice (`domain::dialer::national::notice`) in
    /// the user's language.
    pub fn national_notice(&self, n: &crate::domain::dialer::national::Notice) -> String {
        let d = |d: Option<chrono::NaiveDate>| {
            d.map(|d| crate::domain::time::date(d, self.lang))
                .unwrap_or_default()
        };
        self.lang
            .ta(n.key, &[("date", d(n.date)), ("through", d(n.through))])
    }
    /// A stored phone number in its written form (`+47 21 00 00 10`).
    pub fn phone(&self, e164: &str) -> String {
        crate::domain::format::phone(e164)
    }
    /// A share (0..1) as a percentage in the page's language (`12,5 %`).
    pub fn pct(&self, share: &Option<f64>) -> String {
        share
            .map(|x| crate::domain::format::percent(x, self.lang))
            .unwrap_or_else(|| "–".into())
    }
    /// A whole number in the page's language (`12 345`).
    pub fn num(&self, n: impl std::borrow::Borrow<i64>) -> String {
        crate::domain::format::number(*n.borrow(), self.lang)
    }
}

/// A statistics export as an answer: a download (`Content-Disposition:
/// attachment`) when it has a file name, the CSV streamed in pieces.
pub fn download(d: crate::domain::stats::export::Download) -> axum::response::Response {
    use crate::domain::stats::export::DownloadBody;
    use axum::http::header;
    use axum::response::IntoResponse;
    let body = match d.body {
        DownloadBody::Whole(bytes) => axum::body::Body::from(bytes),
        DownloadBody::Pieces(pieces) => axum::body::Body::from_stream(futures_util::stream::iter(
            pieces.map(Ok::<_, std::io::Error>),
        )),
    };
    let mut resp = ([(header::CONTENT_TYPE, d.content_type)], body).into_response();
    if let Some(name) = d.filename
        && let Ok(v) = header::HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
