//! A client's own reservation register (norm 4.4.4, 10): the admin uploads
//! the client's list as CSV; it applies to that client's campaigns only.
//! Uploads, replacements and emptying are audited (counts, never numbers).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entity::client;
use sea_orm::EntityTrait;
use serde::Deserialize;

use super::{actx, see_other, unprocessable};
use crate::auth::Staff;
use crate::csrf::CsrfToken;
use crate::domain::dialer::registers::{self, ImportReport};
use crate::domain::privacy::audit::{self, Entry};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::views::AdminCtx;

/// Invalid line numbers listed on the page (the count is always shown).
const SHOWN_INVALID: usize = 100;

#[derive(Template, WebTemplate)]
#[template(path = "admin/client_register.html")]
pub struct RegisterPage {
    ctx: AdminCtx,
    client: client::Model,
    /// Numbers in the client's register now.
    size: u64,
    /// What an upload just did, and how many numbers it replaced.
    report: Option<(ImportReport, Option<u64>)>,
    /// Translation key of what is wrong with the upload or the form.
    error: Option<&'static str>,
    /// The "replace" box as the user left it.
    erstatt: bool,
}

impl RegisterPage {
    fn shown_invalid(&self, r: &ImportReport) -> String {
        r.invalid_lines
            .iter()
            .take(SHOWN_INVALID)
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn more_invalid(&self, r: &ImportReport) -> usize {
        r.invalid_lines.len().saturating_sub(SHOWN_INVALID)
    }
}

fn path(id: i32) -> String {
    format!("/admin/oppdragsgivere/{id}/reservasjoner")
}

async fn client_or_404(s: &AppState, id: i32) -> AppResult<client::Model> {
    client::Entity::find_by_id(id)
        .one(&s.db)
        .await?
        .ok_or(AppError::NotFound)
}

async fn size_of(s: &AppState, id: i32) -> AppResult<u64> {
    Ok(registers::client_register_sizes(&s.db)
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0))
}

pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Path(id): Path<i32>,
) -> AppResult<RegisterPage> {
    let client = client_or_404(&s, id).await?;
    Ok(RegisterPage {
        ctx: actx(lang, csrf, &staff, path(id)),
        size: size_of(&s, id).await?,
        client,
        report: None,
        error: None,
        erstatt: false,
    })
}

/// The CSV upload (multipart; the CSRF token is in the query string).
/// Everything in one transaction: a failed upload leaves the register as it was.
pub async fn upload(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Path(id): Path<i32>,
    mut form: Multipart,
) -> AppResult<Response> {
    let client = client_or_404(&s, id).await?;
    let mut erstatt = false;
    let mut file: Option<bytes::Bytes> = None;
    let mut error = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("erstatt") => erstatt = true,
                Some("fil") => match field.bytes().await {
                    Ok(b) => file = Some(b),
                    Err(_) => {
                        error = Some("registers-error-too-large");
                        break;
                    }
                },
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                error = Some("registers-error-too-large");
                break;
            }
        }
    }
    let file = file.filter(|f| !f.trim_ascii().is_empty());
    let error = error.or(file.is_none().then_some("registers-error-no-file"));
    let ctx = actx(lang, csrf, &staff, path(id));
    if let Some(key) = error {
        let page = RegisterPage {
            ctx,
            size: size_of(&s, id).await?,
            client,
            report: None,
            error: Some(key),
            erstatt,
        };
        return Ok(unprocessable(page));
    }
    let file = file.unwrap_or_default();
    let now = s.clock.now();
    let (txn, _write) = crate::db::begin_write(&s.db).await?;
    let replaced = if erstatt {
        Some(registers::clear_client_register(&txn, id).await?)
    } else {
        None
    };
    let report = registers::import_client_register(&txn, id, file.as_ref(), now)
        .await
        .map_err(AppError::Internal)?;
    audit::record(
        &txn,
        now,
        &staff.actor(),
        Entry::new("client_register.import")
            .object("client", id)
            .detail(format!(
                "added={} already_present={} invalid={} replaced={}",
                report.added,
                report.already_present,
                report.invalid_lines.len(),
                replaced.map_or("no".to_string(), |n| n.to_string())
            )),
    )
    .await?;
    txn.commit().await?;
    let page = RegisterPage {
        ctx,
        size: size_of(&s, id).await?,
        client,
        report: Some((report, replaced)),
        error: None,
        erstatt: false,
    };
    Ok((StatusCode::OK, page).into_response())
}

#[derive(Deserialize)]
pub struct EmptyForm {
    #[serde(default)]
    bekreft: Option<String>,
}

/// Empties the client's register (confirmed by a tick box).
pub async fn empty(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Path(id): Path<i32>,
    Form(f): Form<EmptyForm>,
) -> AppResult<Response> {
    let client = client_or_404(&s, id).await?;
    if f.bekreft.is_none() {
        return Ok(unprocessable(RegisterPage {
            ctx: actx(lang, csrf, &staff, path(id)),
            size: size_of(&s, id).await?,
            client,
            report: None,
            error: Some("registers-error-confirm"),
            erstatt: false,
        }));
    }
    let now = s.clock.now();
    let (txn, _write) = crate::db::begin_write(&s.db).await?;
    let n = registers::clear_client_register(&txn, id).await?;
    audit::record(
        &txn,
        now,
        &staff.actor(),
        Entry::new("client_register.empty")
            .object("client", id)
            .detail(format!("removed={n}")),
    )
    .await?;
    txn.commit().await?;
    Ok(see_other(&path(id)))
}
