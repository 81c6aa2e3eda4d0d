//! `/admin/nasjonalt-register`: the national reservation register
//! (Reservasjonsregisteret, norm 10). The admin uploads Brønnøysund's file
//! with its extract date; the file is spooled to a temporary file and
//! imported in the background, the page showing how far it has come (a
//! refresh every 2 s while it runs). The page shows the copy in use and
//! every import as a version record.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use entity::national_register_version as version;
use tokio::io::AsyncWriteExt;

use super::{see_other, unprocessable};
use crate::domain::dialer::national;
use crate::domain::dialer::wash_jobs;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::AdminCtx;

const PATH: &str = "/admin/nasjonalt-register";
/// Version records listed.
const VERSIONS: u64 = 24;

#[derive(Template, WebTemplate)]
#[template(path = "admin/national_register.html")]
pub struct NationalPage {
    ctx: AdminCtx,
    current: Option<version::Model>,
    /// Days since the copy in use was extracted.
    age: i64,
    /// The last date the copy may be used for calls.
    usable_through: Option<NaiveDate>,
    stale: bool,
    /// The import under way, if any.
    importing: Option<version::Model>,
    versions: Vec<version::Model>,
    /// The form as the user left it.
    uttrekksdato: String,
    /// Translation key of what is wrong with the form.
    error: Option<&'static str>,
}

impl NationalPage {
    fn warn(&self) -> bool {
        self.current.is_some() && self.age >= national::WARN_AFTER_DAYS
    }
    fn date(&self, d: &NaiveDate) -> String {
        crate::domain::time::date(*d, self.ctx.lang)
    }
    /// A checksum in groups of eight, so it wraps on a phone.
    fn grouped(&self, checksum: &str) -> String {
        checksum
            .as_bytes()
            .chunks(8)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
    fn state_key(&self, v: &version::Model) -> String {
        format!("national-state-{}", v.state)
    }
}

/// An import started within the last hours is shown as under way; older
/// ones died with their process.
fn running(v: Option<version::Model>, now: DateTime<Utc>) -> Option<version::Model> {
    v.filter(|v| now - v.imported_at < national::IMPORT_ABANDONED_AFTER)
}

async fn screen(
    s: &AppState,
    ctx: AdminCtx,
    uttrekksdato: String,
    error: Option<&'static str>,
) -> AppResult<NationalPage> {
    let now = s.clock.now();
    let current = national::current(&s.db).await?;
    let age = current
        .as_ref()
        .map_or(0, |v| national::age_days(v.extract_date, now));
    Ok(NationalPage {
        ctx: ctx.at(PATH),
        usable_through: current
            .as_ref()
            .map(|v| national::usable_through(v.extract_date)),
        stale: current
            .as_ref()
            .is_some_and(|v| !national::is_fresh(v.extract_date, now)),
        age,
        current,
        importing: running(national::importing(&s.db).await?, now),
        versions: national::versions(&s.db, VERSIONS).await?,
        uttrekksdato,
        error,
    })
}

pub async fn page(State(s): State<AppState>, ctx: AdminCtx) -> AppResult<Response> {
    let page = screen(&s, ctx, String::new(), None).await?;
    let refresh = page.importing.is_some();
    let mut r = page.into_response();
    if refresh {
        r.headers_mut().insert(
            axum::http::header::REFRESH,
            axum::http::HeaderValue::from_static("2"),
        );
    }
    Ok(r)
}

/// The upload (multipart: `uttrekksdato`, then `fil`; CSRF token in the
/// query string).
pub async fn upload(
    State(s): State<AppState>,
    ctx: AdminCtx,
    mut form: Multipart,
) -> AppResult<Response> {
    let mut extract: Option<NaiveDate> = None;
    let mut raw_date = String::new();
    let path = std::env::temp_dir().join(format!(
        "{}national-{}.in",
        wash_jobs::FILE_PREFIX,
        uuid::Uuid::new_v4().simple()
    ));
    let mut bytes = 0u64;
    let mut error = None;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                error = Some("national-error-upload");
                break;
            }
        };
        match field.name() {
            Some("uttrekksdato") => {
                raw_date = field.text().await.unwrap_or_default();
                extract = crate::domain::time::parse_date(raw_date.trim());
            }
            Some("fil") => {
                if extract.is_none() {
                    error = Some("national-error-date");
                    break;
                }
                let file = wash_jobs::create_private(&path).map_err(AppError::internal)?;
                let mut out = tokio::io::BufWriter::new(tokio::fs::File::from_std(file));
                loop {
                    match field.chunk().await {
                        Ok(Some(c)) => {
                            bytes += c.len() as u64;
                            out.write_all(&c).await.map_err(AppError::internal)?;
                        }
                        Ok(None) => break,
                        Err(_) => {
                            error = Some("national-error-upload");
                            break;
                        }
                    }
                }
                out.flush().await.map_err(AppError::internal)?;
            }
            _ => {}
        }
    }
    let error = error
        .or(extract.is_none().then_some("national-error-date"))
        .or((bytes == 0).then_some("national-error-no-file"));
    let (Some(extract), None) = (extract, error) else {
        let _ = std::fs::remove_file(&path);
        let page = screen(&s, ctx, raw_date, error).await?;
        return Ok(unprocessable(page));
    };
    let now = s.clock.now();
    if running(national::importing(&s.db).await?, now).is_some() {
        let _ = std::fs::remove_file(&path);
        let page = screen(&s, ctx, raw_date, Some("national-error-busy")).await?;
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    let actor = ctx.actor();
    let by = actor.email.clone().unwrap_or_default();
    let v = match national::begin_import(&s.db, extract, &by, now).await {
        Ok(v) => v,
        // Another upload (or the command line) started one meanwhile.
        Err(national::ImportError::Busy) => {
            let _ = std::fs::remove_file(&path);
            let page = screen(&s, ctx, raw_date, Some("national-error-busy")).await?;
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
        Err(national::ImportError::Db(e)) => return Err(e.into()),
        Err(e) => return Err(AppError::internal(e)),
    };
    crate::jobs::national_import::start(&s, v, path, actor);
    Ok(see_other(PATH))
}
