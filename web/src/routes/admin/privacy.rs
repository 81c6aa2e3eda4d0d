//! Retention policy and receipts, legal holds, and a person's access and
//! erasure requests. Admins only.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use entity::retention_run;
use serde::Deserialize;

use super::{actx, see_other, unprocessable};
use crate::auth::Staff;
use crate::csrf::CsrfToken;
use crate::domain::cases::work;
use crate::domain::privacy::retention::{self, Counts, Policy};
use crate::domain::privacy::subject_access::export::{self, Kind};
use crate::domain::privacy::subject_access::{self, Erased, Held, Places, Subject};
use crate::domain::time::oslo_today;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::views::{AdminCtx, Errs};

#[derive(Template, WebTemplate)]
#[template(path = "admin/retention.html")]
pub struct RetentionPage {
    ctx: AdminCtx,
    form: PolicyForm,
    errors: Errs,
    preview: Counts,
    receipts: Vec<retention_run::Model>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    dialog_maaneder: String,
    #[serde(default)]
    opptak_dager: String,
    #[serde(default)]
    statistikk_maaneder: String,
    #[serde(default)]
    logg_maaneder: String,
}

impl PolicyForm {
    fn of(p: &Policy) -> Self {
        PolicyForm {
            dialog_maaneder: p.dialogue_months.to_string(),
            opptak_dager: p.recording_days.to_string(),
            statistikk_maaneder: p.stats_months.to_string(),
            logg_maaneder: p.audit_months.to_string(),
        }
    }
    fn parse(&self) -> Result<Policy, Errs> {
        let mut e = Vec::new();
        let mut num = |field: &'static str, v: &str| {
            v.trim().parse::<i32>().unwrap_or_else(|_| {
                e.push((field, "form-error-number"));
                0
            })
        };
        let p = Policy {
            dialogue_months: num("dialog_maaneder", &self.dialog_maaneder),
            recording_days: num("opptak_dager", &self.opptak_dager),
            stats_months: num("statistikk_maaneder", &self.statistikk_maaneder),
            audit_months: num("logg_maaneder", &self.logg_maaneder),
        };
        if e.is_empty() { Ok(p) } else { Err(Errs(e)) }
    }
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
    form: PolicyForm,
    errors: Errs,
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

pub async fn retention_page(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
) -> AppResult<RetentionPage> {
    let p = retention::policy(&s.db).await?;
    let ctx = actx(lang, csrf, &staff, "/admin/oppbevaring");
    retention_screen(&s, ctx, PolicyForm::of(&p), Errs::default()).await
}

pub async fn retention_save(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Form(form): Form<PolicyForm>,
) -> AppResult<Response> {
    let ctx = actx(lang, csrf, &staff, "/admin/oppbevaring");
    let p = match form.parse() {
        Ok(p) => p,
        Err(e) => return Ok(unprocessable(retention_screen(&s, ctx, form, e).await?)),
    };
    match retention::save_policy(&s.db, p, &staff.actor(), s.clock.now()).await? {
        Ok(()) => Ok(see_other("/admin/oppbevaring")),
        Err(e) => Ok(unprocessable(
            retention_screen(&s, ctx, form, Errs(e)).await?,
        )),
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
    let c = work::find(&s.db, &reference)
        .await?
        .ok_or(AppError::NotFound)?;
    match retention::set_hold(&s.db, &c, Some(&f.grunn), &staff.actor(), s.clock.now()).await? {
        Ok(()) => Ok(see_other(&format!("/admin/saker/{}?ok=saved", c.reference))),
        Err(key) => Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, lang.t(key)).into_response()),
    }
}

pub async fn release(
    State(s): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
) -> AppResult<Response> {
    let c = work::find(&s.db, &reference)
        .await?
        .ok_or(AppError::NotFound)?;
    retention::set_hold(&s.db, &c, None, &staff.actor(), s.clock.now())
        .await?
        .map_err(|_| AppError::BadRequest("hold"))?;
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

fn subject_of(q: &str) -> Result<Option<Subject>, &'static str> {
    if q.trim().is_empty() {
        return Ok(None);
    }
    Subject::parse(q).map(Some).ok_or("subject-error-query")
}

pub async fn subject_page(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Query(q): Query<SubjectQuery>,
) -> AppResult<Response> {
    let ctx = actx(lang, csrf, &staff, "/admin/personopplysninger");
    let now = s.clock.now();
    let (held, error) = match subject_of(&q.q) {
        Ok(Some(subject)) => {
            let dir = std::env::temp_dir();
            let places = Places::of(&s, &dir);
            let held = subject_access::find(&s.db, &subject, &places, now).await?;
            subject_access::audit_access(&s.db, "subject.search", &held, &staff.actor(), now)
                .await?;
            (Some(held), None)
        }
        Ok(None) => (None, None),
        Err(e) => (None, Some(e)),
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
    let subject = subject_of(&q.q)
        .map_err(|_| AppError::BadRequest("q"))?
        .ok_or(AppError::BadRequest("q"))?;
    let now = s.clock.now();
    let dir = std::env::temp_dir();
    let places = Places::of(&s, &dir);
    let held = subject_access::find(&s.db, &subject, &places, now).await?;
    subject_access::audit_access(&s.db, "subject.export", &held, &staff.actor(), now).await?;
    let stamp = now.format("%Y%m%d");
    if q.format == "json" {
        let body = serde_json::to_vec_pretty(&export::to_json(&held, lang))
            .map_err(|e| AppError::Internal(e.into()))?;
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
        .map_err(|e| AppError::Internal(e.into()))?;
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
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Form(f): Form<EraseForm>,
) -> AppResult<Response> {
    let ctx = actx(lang, csrf, &staff, "/admin/personopplysninger");
    let subject = match subject_of(&f.q) {
        Ok(Some(s)) => s,
        _ => {
            return Ok(unprocessable(SubjectPage {
                ctx,
                q: f.q,
                error: Some("subject-error-query"),
                held: None,
                erased: None,
            }));
        }
    };
    let now = s.clock.now();
    let dir = std::env::temp_dir();
    let places = Places::of(&s, &dir);
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
        &s,
        &subject,
        &places,
        f.trekk_reservasjon.is_some(),
        &staff.actor(),
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
