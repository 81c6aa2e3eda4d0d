//! A client's own reservation register (norm 4.4.4, 10): the admin uploads
//! the client's list as CSV; it applies to that client's campaigns only.
//! Uploads, replacements and emptying are audited (counts, never numbers).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entity::client;
use serde::Deserialize;

use super::{see_other, unprocessable};
use crate::domain::dialer::client_registers;
use crate::domain::dialer::registers::ImportReport;
use crate::error::AppResult;
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

pub async fn page(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(id): Path<i32>,
) -> AppResult<RegisterPage> {
    let (client, size) = client_registers::of(&s.db, id).await?;
    Ok(RegisterPage {
        ctx: ctx.at(path(id)),
        size,
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
    ctx: AdminCtx,
    Path(id): Path<i32>,
    mut form: Multipart,
) -> AppResult<Response> {
    let (client, size) = client_registers::of(&s.db, id).await?;
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
    let ctx = ctx.at(path(id));
    if let Some(key) = error {
        let page = RegisterPage {
            ctx,
            size,
            client,
            report: None,
            error: Some(key),
            erstatt,
        };
        return Ok(unprocessable(page));
    }
    let file = file.unwrap_or_default();
    let now = s.clock.now();
    let (report, replaced) =
        client_registers::upload(&s.db, id, file.as_ref(), erstatt, &ctx.actor(), now).await?;
    let page = RegisterPage {
        ctx,
        size: client_registers::size(&s.db, id).await?,
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
    ctx: AdminCtx,
    Path(id): Path<i32>,
    Form(f): Form<EmptyForm>,
) -> AppResult<Response> {
    if f.bekreft.is_none() {
        let (client, size) = client_registers::of(&s.db, id).await?;
        return Ok(unprocessable(RegisterPage {
            ctx: ctx.at(path(id)),
            size,
            client,
            report: None,
            error: Some("registers-error-confirm"),
            erstatt: false,
        }));
    }
    client_registers::empty(&s.db, id, &ctx.actor(), s.clock.now()).await?;
    Ok(see_other(&path(id)))
}
