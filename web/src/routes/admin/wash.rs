//! The back-office wash (norm 4.4.4, 4.6.3, 4.2 i): managers and admins
//! upload a calling list, choose a campaign and a planned time, and download
//! `number,e164,verdict` (or the callable numbers alone).
//!
//! Design: the upload is streamed into the database in pieces of about 1 MB
//! (never held in memory whole), counting its numbers on the way; a
//! background task then washes the stored list into a stored result, and the
//! job page polls a status fragment every second (htmx; a `<noscript>`
//! refresh without JavaScript) showing n of N numbers washed, then a download
//! link. Washing after the upload, rather than while it streams in, is what
//! gives a true N: the browser shows the upload's own progress, the page
//! shows the wash's. Any instance serves the polls and the download
//! (`domain::dialer::wash_jobs` says why the database); a job cut off by a
//! restart shows "Start again", which washes its stored list anew.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use entity::campaign;
use futures_util::StreamExt;

use super::see_other;
use crate::auth::Staff;
use crate::domain::dialer::calling_hours;
use crate::domain::dialer::coverage::{self, NationalUse, PlanError};
use crate::domain::dialer::receipts;
use crate::domain::dialer::wash_jobs::{self, InputWriter, JobState, Options, Part};
use crate::domain::dialer::wash_runs::{self, RunRow};
use crate::domain::time::{date, oslo_datetime, parse_oslo_local};
use crate::domain::{catalogue::settings, dialer::campaigns};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::jobs::wash::{self, WashRun};
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
    /// The user's own washes of the last hour, as they stand.
    jobs: Vec<JobView>,
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
    let now = s.clock.now();
    let jobs = wash_jobs::of_user(&s.db, ctx.id())
        .await?
        .iter()
        .filter_map(|j| Some(JobView::of(j, s.wash_jobs.shown(j, now)?)))
        .collect();
    Ok(WashPage {
        jobs,
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
        if calling_hours::is_past(at, s.clock.now()) {
            return Err(Refusal::Shown(lang.t("wash-error-time-past")));
        }
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

/// Streams the multipart field `fil` into job `id`'s stored list: its size
/// in bytes and its numbers, or None when the upload broke off (too large,
/// connection lost).
async fn store_upload(
    s: &AppState,
    field: &mut axum::extract::multipart::Field<'_>,
    id: &str,
) -> AppResult<Option<(u64, u64)>> {
    let mut w = InputWriter::new(id);
    loop {
        match field.chunk().await {
            Ok(Some(c)) => w.feed(&s.db, &c).await?,
            Ok(None) => break,
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(w.finish(&s.db).await?))
}

/// The upload (multipart, CSRF token in the query string): checks the
/// form, stores the list, starts the wash and sends the browser to the job.
pub async fn upload(
    State(s): State<AppState>,
    ctx: AdminCtx,
    staff: Staff,
    mut form: Multipart,
) -> AppResult<Response> {
    let lang = ctx.lang;
    let mut f = WashForm::default();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut stored: Option<(u64, u64)> = None;
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
                let c = match check(&s, &f, lang).await {
                    Err(Refusal::Shown(msg)) => {
                        error = Some((StatusCode::UNPROCESSABLE_ENTITY, msg));
                        break;
                    }
                    Err(Refusal::Failed(e)) => return Err(e),
                    Ok(c) => c,
                };
                let options = Options {
                    user_id: staff.id(),
                    campaign_id: c.campaign.as_ref().map(|c| c.id),
                    campaign_code: c.campaign.as_ref().map(|c| c.code.clone()),
                    only_callable: f.bare,
                    declined_national: f.uten_nasjonalt && c.campaign.is_none(),
                    planned_at: c.at,
                };
                checked = Some(c);
                wash_jobs::create(&s.db, &s.wash_jobs, &id, &options, s.clock.now()).await?;
                match store_upload(&s, &mut field, &id).await {
                    Ok(Some(n)) => stored = Some(n),
                    Ok(None) => {
                        error = Some((StatusCode::PAYLOAD_TOO_LARGE, lang.t("wash-error-upload")));
                        break;
                    }
                    Err(e) => {
                        wash_jobs::delete(&s.db, &id).await?;
                        return Err(e);
                    }
                }
            }
            _ => {}
        }
    }
    let (checked, total) = match (error, checked, stored) {
        (None, Some(c), Some((bytes, total))) if bytes > 0 => (c, total),
        (e, c, _) => {
            if c.is_some() {
                wash_jobs::delete(&s.db, &id).await?;
            }
            let (status, msg) = e.unwrap_or((
                StatusCode::UNPROCESSABLE_ENTITY,
                lang.t("wash-error-no-file"),
            ));
            let page = screen(&s, ctx, f.kampanje, f.tidspunkt, f.bare, Some(msg)).await?;
            return Ok((status, page).into_response());
        }
    };
    let declined = f.uten_nasjonalt && checked.campaign.is_none();
    let (registers, used) =
        match plan(&s, checked.campaign.as_ref(), declined, checked.at, lang).await {
            Ok(p) => p,
            Err(refused) => {
                wash_jobs::delete(&s.db, &id).await?;
                let msg = match refused {
                    Refusal::Shown(msg) => msg,
                    Refusal::Failed(e) => return Err(e),
                };
                let page = screen(&s, ctx, f.kampanje, f.tidspunkt, f.bare, Some(msg)).await?;
                return Ok((StatusCode::CONFLICT, page).into_response());
            }
        };
    let running = s.wash_jobs.begin(&id);
    if !wash_jobs::uploaded(&s.db, &s.wash_jobs, &id, used, total, s.clock.now()).await? {
        return Err(AppError::not_found());
    }
    if s.wash_jobs.holding() {
        // Test seam: as if this instance stopped right after the upload.
        drop(running);
    } else {
        wash::start(
            &s,
            WashRun {
                id: id.clone(),
                attempt: 1,
                only_callable: f.bare,
                national: used,
                campaign_id: checked.campaign.as_ref().map(|c| c.id),
                registers,
                staff,
                running,
            },
        );
    }
    Ok(see_other(&format!("{PATH}/{id}")))
}

/// The registers for a wash, or [`Refusal::Shown`] when the wash is
/// refused (the national register's copy is too old, or the campaign needs
/// one).
async fn plan(
    s: &AppState,
    campaign: Option<&campaign::Model>,
    declined: bool,
    at: Option<chrono::DateTime<Utc>>,
    lang: Lang,
) -> Result<(crate::domain::dialer::wash::Registers, NationalUse), Refusal> {
    let now = s.clock.now();
    let days = s.config.abandoned_agent_required_days;
    let planned = coverage::plan(
        &s.registers,
        &s.db,
        campaign,
        declined,
        at.unwrap_or(now),
        now,
        days,
    )
    .await;
    match planned {
        Ok(p) => Ok(p),
        Err(PlanError::Db(e)) => Err(e.into()),
        Err(PlanError::Refused(r)) => Err(Refusal::Shown(match r {
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
        })),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/wash_job.html")]
pub struct JobPage {
    ctx: AdminCtx,
    job: JobView,
    /// Why starting again was refused.
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/wash_job.html", block = "status")]
pub struct JobStatus {
    ctx: AdminCtx,
    job: JobView,
    error: Option<String>,
}

/// What the page shows of a job.
pub struct JobView {
    id: String,
    total: u64,
    processed: u64,
    percent: u64,
    state: JobState,
    started: chrono::DateTime<Utc>,
    campaign: Option<String>,
}

impl JobView {
    fn of(j: &entity::wash_job::Model, state: JobState) -> JobView {
        let total = j.total.max(0) as u64;
        let processed = (j.processed.max(0) as u64).min(total);
        JobView {
            id: j.id.clone(),
            total,
            processed,
            percent: (processed * 100).checked_div(total).unwrap_or(100),
            state,
            started: j.started_at,
            campaign: j.campaign_code.clone(),
        }
    }
    fn running(&self) -> bool {
        self.state == JobState::Running
    }
    fn failed(&self) -> bool {
        matches!(self.state, JobState::Failed { .. })
    }
    fn cut_off(&self) -> bool {
        self.state == JobState::Failed { cut_off: true }
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
    /// The state's code, for the list's class names.
    fn code(&self) -> &'static str {
        match self.state {
            JobState::Running => "running",
            JobState::Done { .. } => "done",
            JobState::Failed { .. } => "failed",
        }
    }
}

/// The user's job `id` as shown, or 404.
async fn shown_job(s: &AppState, id: &str, user_id: i32) -> AppResult<JobView> {
    let j = wash_jobs::get(&s.db, id, user_id)
        .await?
        .ok_or(AppError::not_found())?;
    let state = s
        .wash_jobs
        .shown(&j, s.clock.now())
        .ok_or(AppError::not_found())?;
    Ok(JobView::of(&j, state))
}

pub async fn job(
    State(s): State<AppState>,
    ctx: AdminCtx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let job = shown_job(&s, &id, ctx.id()).await?;
    let ctx = ctx.at(PATH);
    let headers_out = [(header::CACHE_CONTROL, "no-store")];
    if is_htmx(&headers) {
        Ok((
            headers_out,
            JobStatus {
                ctx,
                job,
                error: None,
            },
        )
            .into_response())
    } else {
        Ok((
            headers_out,
            JobPage {
                ctx,
                job,
                error: None,
            },
        )
            .into_response())
    }
}

/// "Start again" (POST, CSRF): washes a failed or cut-off job's stored
/// list anew on this instance, with the options it was uploaded with.
pub async fn restart(
    State(s): State<AppState>,
    ctx: AdminCtx,
    staff: Staff,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let lang = ctx.lang;
    let j = wash_jobs::get(&s.db, &id, staff.id())
        .await?
        .ok_or(AppError::not_found())?;
    let now = s.clock.now();
    let shown = s.wash_jobs.shown(&j, now).ok_or(AppError::not_found())?;
    let to_job = see_other(&format!("{PATH}/{id}"));
    if !matches!(shown, JobState::Failed { .. }) || !wash_jobs::has_input(&s.db, &id).await? {
        return Ok(to_job);
    }
    let campaign = match j.campaign_id {
        Some(cid) => match <campaign::Entity as sea_orm::EntityTrait>::find_by_id(cid)
            .one(&s.db)
            .await?
        {
            Some(c) => Some(c),
            None => {
                let job = JobView::of(&j, shown);
                let error = Some(lang.t("wash-error-campaign-gone"));
                let page = JobPage {
                    ctx: ctx.at(PATH),
                    job,
                    error,
                };
                return Ok((StatusCode::CONFLICT, page).into_response());
            }
        },
        None => None,
    };
    let (registers, used) = match plan(
        &s,
        campaign.as_ref(),
        j.declined_national,
        j.planned_at,
        lang,
    )
    .await
    {
        Ok(p) => p,
        Err(Refusal::Failed(e)) => return Err(e),
        Err(Refusal::Shown(msg)) => {
            let job = JobView::of(&j, shown);
            let page = JobPage {
                ctx: ctx.at(PATH),
                job,
                error: Some(msg),
            };
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
    };
    let running = s.wash_jobs.begin(&id);
    let Some(attempt) = wash_jobs::claim_again(&s.db, &s.wash_jobs, &j, used, now).await? else {
        // Started again from another tab or instance meanwhile.
        return Ok(to_job);
    };
    wash::start(
        &s,
        WashRun {
            id,
            attempt,
            only_callable: j.only_callable,
            national: used,
            campaign_id: j.campaign_id,
            registers,
            staff,
            running,
        },
    );
    Ok(to_job)
}

/// Deletes a downloaded job's rows once its result went out (or the
/// download broke off: the result is gone either way, as it always was).
struct DeleteWhenSent {
    db: sea_orm::DatabaseConnection,
    jobs: crate::jobs::JobsHandle,
    id: String,
}

impl Drop for DeleteWhenSent {
    fn drop(&mut self) {
        let (db, id) = (self.db.clone(), std::mem::take(&mut self.id));
        if tokio::runtime::Handle::try_current().is_ok() {
            self.jobs.spawn(async move {
                if let Err(e) = wash_jobs::delete(&db, &id).await {
                    // The hourly sweep deletes it.
                    tracing::warn!(error = %e, "a downloaded wash result was not deleted yet");
                }
            });
        }
    }
}

/// The result, once: it is deleted as it is sent. Audited, since it holds
/// phone numbers. Streamed piece by piece from the database.
pub async fn download(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let j = wash_jobs::take_done(&s.db, &id, staff.id())
        .await?
        .ok_or(AppError::not_found())?;
    let guard = DeleteWhenSent {
        db: s.db.clone(),
        jobs: s.jobs.clone(),
        id: id.clone(),
    };
    wash_runs::record_download(
        &s.db,
        s.clock.now(),
        &staff.actor(),
        j.campaign_id,
        j.count_in.unwrap_or(0).max(0) as u64,
        j.count_callable.unwrap_or(0).max(0) as u64,
    )
    .await?;
    let body_stream = futures_util::stream::unfold((guard, 0i32), |(guard, seq)| async move {
        match wash_jobs::chunk(&guard.db, &guard.id, Part::Result, seq).await {
            Ok(Some(data)) => Some((Ok(bytes::Bytes::from(data)), (guard, seq + 1))),
            Ok(None) => None,
            Err(e) => Some((Err(std::io::Error::other(e)), (guard, i32::MAX))),
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
        .ok_or(AppError::not_found())?;
    crate::domain::privacy::audit::record(
        &s.db,
        now,
        &staff.actor(),
        crate::domain::privacy::audit::Entry::new("wash.receipt").object("wash_run", id),
    )
    .await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(AppError::internal)?;
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
