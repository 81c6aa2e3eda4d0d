//! Retention policy and receipts, legal holds, and a person's access and
//! erasure requests. Admins only.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use entity::retention_run;
use serde::Deserialize;

use super::{see_other, unprocessable};
use crate::auth::Staff;
use crate::domain::privacy::retention::{self, Counts, PolicyInput};
use crate::domain::privacy::subject_access::export::{self, Kind};
use crate::domain::privacy::subject_access::{self, Erased, Held, Places, Subject};
use crate::domain::time::oslo_today;
use crate::domain::{Error, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::views::AdminCtx;

#[derive(Template, WebTemplate)]
#[template(path = "admin/retention.html")]
pub struct RetentionPage {
    ctx: AdminCtx,
    form: PolicyInput,
    errors: FieldErrors,
    preview: Counts,
    receipts: Vec<retention_run::Model>,
}

impl RetentionPage {
    fn kind(&self, k: &str) -> String {
        self.ctx.tk("retention-kind", k)
    }
    fn receipt_counts(&self, r: &retention_run::Model) -> String {
        let parsed: serde_json::Value = serde_json::from_str(&r.counts).unwrap_or_default();
        parsed
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| format!("{}: {}", self.kind(k), v["count"]))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }
    /// The kinds a run could not finish (retried by the next run).
    fn receipt_failures(&self, r: &retention_run::Model) -> String {
        let parsed: serde_json::Value = r
            .failures
            .as_deref()
            .and_then(|f| serde_json::from_str(f).ok())
            .unwrap_or_default();
        parsed
            .as_object()
            .map(|o| {
                o.keys()
                    .map(|k| self.kind(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }
}

async fn retention_screen(
    s: &AppState,
    ctx: AdminCtx,
    form: PolicyInput,
    errors: FieldErrors,
) -> AppResult<RetentionPage> {
    let p = retention::policy(&s.db).await?;
    Ok(RetentionPage {
        ctx,
        form,
        errors,
        preview: retention::preview(
            &s.db,
            &p,
            oslo_today(s.clock.now()),
            s.config.abandoned_agent_required_days,
        )
        .await?,
        receipts: retention::receipts(&s.db).await?,
    })
}

pub async fn retention_page(State(s): State<AppState>, ctx: AdminCtx) -> AppResult<RetentionPage> {
    let p = retention::policy(&s.db).await?;
    retention_screen(&s, ctx, PolicyInput::of(&p), FieldErrors::default()).await
}

pub async fn retention_save(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Form(form): Form<PolicyInput>,
) -> AppResult<Response> {
    match retention::save_policy(&s.db, &form, &ctx.actor(), s.clock.now()).await {
        Ok(_) => Ok(see_other("/admin/oppbevaring")),
        Err(Error::Invalid(errors)) => Ok(unprocessable(
            retention_screen(&s, ctx, form, errors).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

// ---------- legal holds ----------

#[derive(Deserialize)]
pub struct HoldForm {
    #[serde(default)]
    grunn: String,
}

pub async fn hold(
    State(s): State<AppState>,
    lang: Lang,
    staff: Staff,
    Path(reference): Path<String>,
    Form(f): Form<HoldForm>,
) -> AppResult<Response> {
    let now = s.clock.now();
    match retention::set_hold(&s.db, &reference, Some(&f.grunn), &staff.actor(), now).await {
        Ok(c) => Ok(see_other(&format!("/admin/saker/{}?ok=saved", c.reference))),
        Err(Error::Invalid(errors)) => Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            lang.t(errors.key("grunn")),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub async fn release(
    State(s): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
) -> AppResult<Response> {
    let c = retention::set_hold(&s.db, &reference, None, &staff.actor(), s.clock.now()).await?;
    Ok(see_other(&format!("/admin/saker/{}?ok=saved", c.reference)))
}

// ---------- access and erasure ----------

#[derive(Template, WebTemplate)]
#[template(path = "admin/subject.html")]
pub struct SubjectPage {
    ctx: AdminCtx,
    q: String,
    error: Option<&'static str>,
    held: Option<Held>,
    erased: Option<Erased>,
}

impl SubjectPage {
    /// The erasure was refused for want of the confirmation: the message
    /// goes next to the checkbox, not the search field.
    fn confirm_missing(&self) -> bool {
        self.error == Some("subject-error-confirm")
    }
    /// An error about the search itself.
    fn query_error(&self) -> Option<&'static str> {
        self.error.filter(|_| !self.confirm_missing())
    }
    fn kinds(&self, h: &Held) -> Vec<Kind> {
        export::kinds(h, self.ctx.lang)
    }
    fn until(&self, e: &Erased) -> String {
        e.abandoned_kept_until
            .map(|t| crate::domain::time::oslo_datetime(t, self.ctx.lang))
            .unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
pub struct SubjectQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    format: String,
}

/// Where outside the database this installation keeps a person's data.
fn places<'a>(s: &AppState, wash_dir: &'a std::path::Path) -> Places<'a> {
    Places {
        search_index: s.search.meili().is_some(),
        wash_dir,
        abandoned_days: s.config.abandoned_agent_required_days,
    }
}

pub async fn subject_page(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Query(q): Query<SubjectQuery>,
) -> AppResult<Response> {
    let (held, error) = if q.q.trim().is_empty() {
        (None, None)
    } else {
        let dir = std::env::temp_dir();
        let places = places(&s, &dir);
        let now = s.clock.now();
        match subject_access::look_up(&s.db, &q.q, &places, "subject.search", &ctx.actor(), now)
            .await
        {
            Ok((_, held)) => (Some(held), None),
            Err(Error::Invalid(errors)) => (None, Some(errors.key("q"))),
            Err(e) => return Err(e.into()),
        }
    };
    let page = SubjectPage {
        ctx,
        q: q.q,
        error,
        held,
        erased: None,
    };
    Ok(if error.is_some() {
        unprocessable(page)
    } else {
        page.into_response()
    })
}

#[derive(Template)]
#[template(path = "admin/subject_export.html")]
struct SubjectExport {
    lang: Lang,
    held: Held,
    kinds: Vec<Kind>,
}

impl SubjectExport {
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
    fn tk(&self, prefix: &str, code: &str) -> String {
        self.lang.tk(prefix, code)
    }
    fn status(&self, s: &entity::enums::CaseStatus) -> String {
        self.lang.tk("held-status", export::status_code(*s))
    }
    fn when(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        crate::domain::time::oslo_datetime(*t, self.lang)
    }
}

/// The person's copy: a readable document (HTML, printable) or JSON.
pub async fn subject_export(
    State(s): State<AppState>,
    lang: Lang,
    staff: Staff,
    Query(q): Query<SubjectQuery>,
) -> AppResult<Response> {
    let now = s.clock.now();
    let dir = std::env::temp_dir();
    let places = places(&s, &dir);
    let (_, held) =
        subject_access::look_up(&s.db, &q.q, &places, "subject.export", &staff.actor(), now)
            .await
            .map_err(|e| match e {
                // A link without a person in it is a malformed request.
                Error::Invalid(_) => AppError::BadRequest("q"),
                e => e.into(),
            })?;
    let stamp = now.format("%Y%m%d");
    if q.format == "json" {
        let body =
            serde_json::to_vec_pretty(&export::to_json(&held, lang)).map_err(AppError::internal)?;
        return Ok((
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"innsyn-{stamp}.json\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            body,
        )
            .into_response());
    }
    let kinds = export::kinds(&held, lang);
    let html = SubjectExport { lang, held, kinds }
        .render()
        .map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"innsyn-{stamp}.html\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        html,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    trekk_reservasjon: Option<String>,
    #[serde(default)]
    bekreft: Option<String>,
}

pub async fn subject_erase(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Form(f): Form<EraseForm>,
) -> AppResult<Response> {
    let ctx = ctx.at("/admin/personopplysninger");
    let Some(subject) = Subject::parse(&f.q) else {
        return Ok(unprocessable(SubjectPage {
            ctx,
            q: f.q,
            error: Some("subject-error-query"),
            held: None,
            erased: None,
        }));
    };
    let now = s.clock.now();
    let dir = std::env::temp_dir();
    let places = places(&s, &dir);
    if f.bekreft.is_none() {
        let held = subject_access::find(&s.db, &subject, &places, now).await?;
        return Ok(unprocessable(SubjectPage {
            ctx,
            q: f.q,
            error: Some("subject-error-confirm"),
            held: Some(held),
            erased: None,
        }));
    }
    let erased = subject_access::erase(
        &s.db,
        &s.twilio,
        &subject,
        &places,
        f.trekk_reservasjon.is_some(),
        &ctx.actor(),
        now,
    )
    .await?;
    let held = subject_access::find(&s.db, &subject, &places, now).await?;
    Ok(SubjectPage {
        ctx,
        q: f.q,
        error: None,
        held: Some(held),
        erased: Some(erased),
    }
    .into_response())
}
