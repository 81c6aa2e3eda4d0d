//! The back-office wash (norm 4.4.4, 4.6.3, 4.2 i): managers and admins
//! upload a calling list, choose a campaign and a planned time, and download
//! `number,e164,verdict` (or the callable numbers alone).
//!
//! Design: the upload is streamed to a temporary file (never held in
//! memory), counting its numbers on the way; a blocking task then washes the
//! file into a result file, and the job page polls a status fragment every
//! second (htmx; a `<noscript>` refresh without JavaScript) showing n of N
//! numbers washed, then a download link. Washing from a file after the
//! upload, rather than while it streams in, is what gives a true N: the
//! browser shows the upload's own progress, the page shows the wash's.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use entity::campaign;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::see_other;
use crate::auth::Staff;
use crate::domain::dialer::calling_hours;
use crate::domain::dialer::coverage::{self, NationalUse, PlanError};
use crate::domain::dialer::receipts;
use crate::domain::dialer::wash_jobs::{self, JobState, LineCounter, WashJob, WashJobs};
use crate::domain::dialer::wash_runs::{self, RunRow, WashRecord, WashedBy};
use crate::domain::time::{date, oslo_datetime, parse_oslo_local};
use crate::domain::{catalogue::settings, dialer::campaigns};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::request::is_htmx;
use crate::state::AppState;
use crate::views::AdminCtx;

const PATH: &str = "/admin/vask";
/// Wash runs listed on the page.
const RECENT: u64 = 30;

#[derive(Template, WebTemplate)]
#[template(path = "admin/wash.html")]
pub struct WashPage {
    ctx: AdminCtx,
    campaigns: Vec<campaign::Model>,
    /// The form as the user left it.
    kampanje: String,
    tidspunkt: String,
    bare: bool,
    /// What is wrong, in the user's language.
    error: Option<String>,
    runs: Vec<RunRow>,
    /// The national register's copy in use (None: never imported).
    national: Option<entity::national_register_version::Model>,
    /// Its warning, if any.
    notice: Option<crate::domain::dialer::national::Notice>,
}

impl WashPage {
    fn date(&self, d: &chrono::NaiveDate) -> String {
        date(*d, self.ctx.lang)
    }
    /// Which registers a run applied, in the user's language.
    fn applied(&self, r: &RunRow) -> String {
        let mut parts = vec![self.ctx.t("national-reg-internal")];
        if r.client_applied {
            parts.push(self.ctx.t("national-reg-client"));
        }
        if r.national == NationalUse::Applied.code() {
            let d = r
                .national_extract_date
                .map(|d| date(d, self.ctx.lang))
                .unwrap_or_default();
            parts.push(self.ctx.lang.ta("national-reg-national", &[("date", d)]));
        } else if !r.national.is_empty() {
            parts.push(self.ctx.t(&format!("national-use-{}", r.national)));
        }
        parts.join(", ")
    }
}

async fn screen(
    s: &AppState,
    ctx: AdminCtx,
    kampanje: String,
    tidspunkt: String,
    bare: bool,
    error: Option<String>,
) -> AppResult<WashPage> {
    let national = crate::domain::dialer::national::current(&s.db).await?;
    Ok(WashPage {
        ctx: ctx.at(PATH),
        campaigns: settings::campaigns(&s.db).await?,
        kampanje,
        tidspunkt,
        bare,
        error,
        runs: wash_runs::recent(&s.db, RECENT).await?,
        notice: crate::domain::dialer::national::notice(national.as_ref(), s.clock.now()),
        national,
    })
}

pub async fn page(State(s): State<AppState>, ctx: AdminCtx) -> AppResult<WashPage> {
    screen(&s, ctx, String::new(), String::new(), false, None).await
}

/// The form fields before the file, checked before the file is read.
#[derive(Default)]
struct WashForm {
    kampanje: String,
    tidspunkt: String,
    bare: bool,
    /// Without a campaign: leave the national register out (recorded).
    uten_nasjonalt: bool,
}

struct Checked {
    campaign: Option<campaign::Model>,
    /// The planned call time, when given.
    at: Option<chrono::DateTime<Utc>>,
}

/// Why the form was refused, or a failure inside.
enum Refusal {
    /// The message shown on the page.
    Shown(String),
    Failed(AppError),
}

impl From<sea_orm::DbErr> for Refusal {
    fn from(e: sea_orm::DbErr) -> Self {
        Refusal::Failed(e.into())
    }
}

/// Checks the campaign and the planned time.
async fn check(s: &AppState, f: &WashForm, lang: Lang) -> Result<Checked, Refusal> {
    let code = f.kampanje.trim();
    let campaign = if code.is_empty() {
        None
    } else {
        match campaigns::by_code(&s.db, code).await? {
            Some(c) => Some(c),
            None => return Err(Refusal::Shown(lang.t("wash-error-campaign"))),
        }
    };
    let mut planned = None;
    if !f.tidspunkt.trim().is_empty() {
        let Some(at) = parse_oslo_local(&f.tidspunkt) else {
            return Err(Refusal::Shown(lang.t("wash-error-time")));
        };
        // norm 4.2 i: a list washed for a time it may not be called is no use.
        let w = calling_hours::call_window(at);
        if !w.allowed {
            let why = match (w.holiday, w.reason) {
                (Some(h), _) => lang.ta("wash-why-holiday", &[("holiday", h.to_string())]),
                (None, Some(r)) => lang.t(&format!("wash-why-{}", r.code())),
                (None, None) => String::new(),
            };
            return Err(Refusal::Shown(lang.ta(
                "wash-error-outside-hours",
                &[
                    ("why", why),
                    (
                        "next",
                        oslo_datetime(w.next_allowed_at.with_timezone(&Utc), lang),
                    ),
                ],
            )));
        }
        planned = Some(at);
    }
    Ok(Checked {
        campaign,
        at: planned,
    })
}

/// Streams the multipart field `fil` to `path`, counting its numbers.
/// False when the upload broke off (too large, connection lost).
async fn spool(
    field: &mut axum::extract::multipart::Field<'_>,
    path: &std::path::Path,
    counter: &mut LineCounter,
) -> AppResult<bool> {
    let file = wash_jobs::create_private(path).map_err(|e| AppError::Internal(e.into()))?;
    let mut out = tokio::io::BufWriter::new(tokio::fs::File::from_std(file));
    loop {
        match field.chunk().await {
            Ok(Some(c)) => {
                counter.feed(&c);
                out.write_all(&c)
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?;
            }
            Ok(None) => break,
            Err(_) => return Ok(false),
        }
    }
    out.flush()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(true)
}

/// The upload (multipart, CSRF token in the query string): checks the
/// form, spools the file, starts the wash and sends the browser to the job.
pub async fn upload(
    State(s): State<AppState>,
    ctx: AdminCtx,
    staff: Staff,
    mut form: Multipart,
) -> AppResult<Response> {
    let lang = ctx.lang;
    let mut f = WashForm::default();
    let dir = std::env::temp_dir();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (input, result) = WashJobs::paths(&dir, &id);
    let mut counter = LineCounter::default();
    let mut checked = None;
    let mut error: Option<(StatusCode, String)> = None;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                error = Some((StatusCode::PAYLOAD_TOO_LARGE, lang.t("wash-error-upload")));
                break;
            }
        };
        match field.name() {
            Some("kampanje") => f.kampanje = field.text().await.unwrap_or_default(),
            Some("tidspunkt") => f.tidspunkt = field.text().await.unwrap_or_default(),
            Some("bare") => f.bare = true,
            Some("uten_nasjonalt") => f.uten_nasjonalt = true,
            Some("fil") if checked.is_none() => {
                match check(&s, &f, lang).await {
                    Err(Refusal::Shown(msg)) => {
                        error = Some((StatusCode::UNPROCESSABLE_ENTITY, msg));
                        break;
                    }
                    Err(Refusal::Failed(e)) => return Err(e),
                    Ok(c) => checked = Some(c),
                }
                if !spool(&mut field, &input, &mut counter).await? {
                    error = Some((StatusCode::PAYLOAD_TOO_LARGE, lang.t("wash-error-upload")));
                    break;
                }
            }
            _ => {}
        }
    }
    let checked = match (error, checked) {
        (None, Some(c)) if counter.bytes() > 0 => c,
        (e, _) => {
            let _ = std::fs::remove_file(&input);
            let (status, msg) = e.unwrap_or((
                StatusCode::UNPROCESSABLE_ENTITY,
                lang.t("wash-error-no-file"),
            ));
            let page = screen(&s, ctx, f.kampanje, f.tidspunkt, f.bare, Some(msg)).await?;
            return Ok((status, page).into_response());
        }
    };
    let now = s.clock.now();
    let campaign = checked.campaign;
    let days = s.config.abandoned_agent_required_days;
    let at = checked.at.unwrap_or(now);
    let planned = coverage::plan(
        &s.registers,
        &s.db,
        campaign.as_ref(),
        f.uten_nasjonalt && campaign.is_none(),
        at,
        now,
        days,
    )
    .await;
    let (registers, used) = match planned {
        Ok(p) => p,
        Err(PlanError::Db(e)) => {
            let _ = std::fs::remove_file(&input);
            return Err(e.into());
        }
        Err(PlanError::Refused(r)) => {
            let _ = std::fs::remove_file(&input);
            let msg = match r {
                coverage::Refusal::Stale {
                    extract_date,
                    usable_through,
                } => lang.ta(
                    "national-stale",
                    &[
                        ("date", date(extract_date, lang)),
                        ("through", date(usable_through, lang)),
                    ],
                ),
                coverage::Refusal::CampaignRequires => lang.t("national-required"),
            };
            let page = screen(&s, ctx, f.kampanje, f.tidspunkt, f.bare, Some(msg)).await?;
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
    };
    let job = s.wash_jobs.start(
        id,
        staff.id(),
        campaign.as_ref().map(|c| c.id),
        campaign.as_ref().map(|c| c.code.clone()),
        f.bare,
        used,
        counter.numbers(),
        input,
        result,
    );
    tokio::spawn(wash_in_background(
        s.clone(),
        job.clone(),
        registers,
        staff.clone(),
    ));
    Ok(see_other(&format!("{PATH}/{}", job.id)))
}

async fn wash_in_background(
    s: AppState,
    job: std::sync::Arc<WashJob>,
    registers: crate::domain::dialer::wash::Registers,
    staff: Staff,
) {
    let j = job.clone();
    let washed = tokio::task::spawn_blocking(move || wash_jobs::run(&j, registers)).await;
    let outcome = match washed {
        Ok(Ok(w)) => record(&s, &job, &staff, &w)
            .await
            .map(|()| (w.count_in, w.count_callable))
            .map_err(anyhow::Error::from),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok((count_in, count_callable)) => job.set_state(JobState::Done {
            count_in,
            count_callable,
        }),
        Err(e) => {
            tracing::error!(error = %e, "a back-office wash failed");
            WashJobs::forget_files(&job);
            job.set_state(JobState::Failed);
        }
    }
}

/// The campaign's documentation: the run, and an audit entry (counts only).
async fn record(
    s: &AppState,
    job: &WashJob,
    staff: &Staff,
    w: &wash_jobs::Washed,
) -> Result<(), sea_orm::DbErr> {
    let record = WashRecord {
        campaign_id: job.campaign_id,
        count_in: w.count_in,
        count_callable: w.count_callable,
        reserved: w.reserved,
        national: job.national,
        national_version: w.national_version.clone(),
        register_version: w.register_version,
    };
    wash_runs::record_run(
        &s.db,
        s.clock.now(),
        WashedBy::User(staff.id()),
        &staff.actor(),
        &record,
    )
    .await
    .map(|_| ())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/wash_job.html")]
pub struct JobPage {
    ctx: AdminCtx,
    job: JobView,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/wash_job.html", block = "status")]
pub struct JobStatus {
    ctx: AdminCtx,
    job: JobView,
}

/// What the page shows of a job.
pub struct JobView {
    id: String,
    total: u64,
    processed: u64,
    percent: u64,
    state: JobState,
}

impl JobView {
    fn of(j: &WashJob) -> JobView {
        JobView {
            id: j.id.clone(),
            total: j.total,
            processed: j.processed(),
            percent: j.percent(),
            state: j.state(),
        }
    }
    fn running(&self) -> bool {
        self.state == JobState::Running
    }
    fn failed(&self) -> bool {
        self.state == JobState::Failed
    }
    /// (in, callable) once done.
    fn done(&self) -> Option<(u64, u64)> {
        match self.state {
            JobState::Done {
                count_in,
                count_callable,
            } => Some((count_in, count_callable)),
            _ => None,
        }
    }
}

pub async fn job(
    State(s): State<AppState>,
    ctx: AdminCtx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let j = s.wash_jobs.get(&id, ctx.id()).ok_or(AppError::NotFound)?;
    let ctx = ctx.at(PATH);
    let job = JobView::of(&j);
    let headers_out = [(header::CACHE_CONTROL, "no-store")];
    if is_htmx(&headers) {
        Ok((headers_out, JobStatus { ctx, job }).into_response())
    } else {
        Ok((headers_out, JobPage { ctx, job }).into_response())
    }
}

/// The result file, once: it is deleted as it is sent. Audited, since it
/// holds phone numbers.
pub async fn download(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let j = s
        .wash_jobs
        .take_done(&id, staff.id())
        .ok_or(AppError::NotFound)?;
    let opened = tokio::fs::File::open(&j.result).await;
    // Unlinked at once: the open handle still reads it, nothing else can.
    WashJobs::forget_files(&j);
    let file = opened.map_err(|e| AppError::Internal(e.into()))?;
    let (count_in, count_callable) = match j.state() {
        JobState::Done {
            count_in,
            count_callable,
        } => (count_in, count_callable),
        _ => (0, 0),
    };
    wash_runs::record_download(
        &s.db,
        s.clock.now(),
        &staff.actor(),
        j.campaign_id,
        count_in,
        count_callable,
    )
    .await?;
    let body_stream = futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })
    .boxed();
    let stamp = s.clock.now().format("%Y%m%d-%H%M");
    let name = match &j.campaign_code {
        Some(c) => format!("vask-{}-{stamp}", sanitize(c)),
        None => format!("vask-{stamp}"),
    };
    let (ctype, ext) = if j.only_callable {
        ("text/plain; charset=utf-8", "txt")
    } else {
        ("text/csv; charset=utf-8", "csv")
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(body_stream),
    )
        .into_response())
}

/// A campaign code fit for a file name.
fn sanitize(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One wash run's receipt: a signed JSON document for an auditor.
pub async fn receipt(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    let now = s.clock.now();
    let doc = receipts::signed(&s.db, id, s.config.receipt_signing_key.as_deref(), now)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::domain::privacy::audit::record(
        &s.db,
        now,
        &staff.actor(),
        crate::domain::privacy::audit::Entry::new("wash.receipt").object("wash_run", id),
    )
    .await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"vask-kvittering-{id}.json\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}
