//! The internal reservation register (norm 4.4.4): search, add, remove with a reason.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use entity::reservation;
use serde::Deserialize;

use super::{actx, see_other, unprocessable};
use crate::auth::Staff;
use crate::csrf::CsrfToken;
use crate::domain::catalogue::settings;
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::views::{AdminCtx, Errs};

#[derive(Template, WebTemplate)]
#[template(path = "admin/reservations.html")]
pub struct ReservationsPage {
    ctx: AdminCtx,
    q: String,
    rows: Vec<reservation::Model>,
    nummer: String,
    errors: Errs,
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
    errors: Errs,
    removing: Option<(i32, String)>,
) -> AppResult<ReservationsPage> {
    let rows = if q.trim().is_empty() {
        vec![]
    } else {
        settings::search_reservations(&s.db, &q).await?
    };
    Ok(ReservationsPage {
        ctx,
        q,
        rows,
        nummer,
        errors,
        removing,
    })
}

pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Query(q): Query<Search>,
) -> AppResult<ReservationsPage> {
    let ctx = actx(lang, csrf, &staff, "/admin/reservasjoner");
    screen(&s, ctx, q.q, String::new(), Errs::default(), None).await
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    nummer: String,
}

pub async fn add(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Form(f): Form<AddForm>,
) -> AppResult<Response> {
    match settings::add_reservation(&s.db, &f.nummer, &staff.actor(), s.clock.now()).await? {
        Ok(_) => {
            let q = serde_urlencoded::to_string([("q", f.nummer.trim())]).unwrap_or_default();
            Ok(see_other(&format!("/admin/reservasjoner?{q}")))
        }
        Err(e) => {
            let ctx = actx(lang, csrf, &staff, "/admin/reservasjoner");
            Ok(unprocessable(
                screen(&s, ctx, String::new(), f.nummer, Errs(e), None).await?,
            ))
        }
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
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Path(id): Path<i32>,
    Form(f): Form<RemoveForm>,
) -> AppResult<Response> {
    match settings::remove_reservation(&s.db, id, &f.grunn, &staff.actor(), s.clock.now()).await? {
        Ok(()) => Ok(see_other("/admin/reservasjoner")),
        Err(e) => {
            let ctx = actx(lang, csrf, &staff, "/admin/reservasjoner");
            Ok(unprocessable(
                screen(&s, ctx, f.q, String::new(), Errs(e), Some((id, f.grunn))).await?,
            ))
        }
    }
}
