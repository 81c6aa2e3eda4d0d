//! The internal reservation register (norm 4.4.4): search, add, remove with a reason.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use entity::reservation;
use serde::Deserialize;

use super::{see_other, unprocessable};
use crate::domain::dialer::reservations;
use crate::domain::{Error, FieldErrors};
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::AdminCtx;

const PATH: &str = "/admin/reservasjoner";

#[derive(Template, WebTemplate)]
#[template(path = "admin/reservations.html")]
pub struct ReservationsPage {
    ctx: AdminCtx,
    q: String,
    rows: Vec<reservation::Model>,
    nummer: String,
    errors: FieldErrors,
    /// The reservation whose removal was refused, with the reason typed.
    removing: Option<(i32, String)>,
}

#[derive(Deserialize, Default)]
pub struct Search {
    #[serde(default)]
    q: String,
}

async fn screen(
    s: &AppState,
    ctx: AdminCtx,
    q: String,
    nummer: String,
    errors: FieldErrors,
    removing: Option<(i32, String)>,
) -> AppResult<ReservationsPage> {
    let rows = if q.trim().is_empty() {
        vec![]
    } else {
        reservations::search(&s.db, &q).await?
    };
    Ok(ReservationsPage {
        ctx: ctx.at(PATH),
        q,
        rows,
        nummer,
        errors,
        removing,
    })
}

pub async fn page(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Query(q): Query<Search>,
) -> AppResult<ReservationsPage> {
    screen(&s, ctx, q.q, String::new(), FieldErrors::default(), None).await
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    nummer: String,
}

pub async fn add(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Form(f): Form<AddForm>,
) -> AppResult<Response> {
    match reservations::add_by_staff(&s.db, &f.nummer, &ctx.actor(), s.clock.now()).await {
        Ok(_) => {
            let q = serde_urlencoded::to_string([("q", f.nummer.trim())]).unwrap_or_default();
            Ok(see_other(&format!("{PATH}?{q}")))
        }
        Err(Error::Invalid(errors)) => Ok(unprocessable(
            screen(&s, ctx, String::new(), f.nummer, errors, None).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    grunn: String,
    #[serde(default)]
    q: String,
}

pub async fn remove(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(id): Path<i32>,
    Form(f): Form<RemoveForm>,
) -> AppResult<Response> {
    match reservations::remove(&s.db, id, &f.grunn, &ctx.actor(), s.clock.now()).await {
        Ok(()) => Ok(see_other(PATH)),
        Err(Error::Invalid(errors)) => Ok(unprocessable(
            screen(&s, ctx, f.q, String::new(), errors, Some((id, f.grunn))).await?,
        )),
        Err(e) => Err(e.into()),
    }
}
