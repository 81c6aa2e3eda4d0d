//! Caller numbers and their answering-machine messages (norm 4.4.2).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use entity::{caller_number, campaign, client};

use super::{see_other, unprocessable};
use crate::domain::catalogue::caller_numbers::{self, NumberInput};
use crate::domain::catalogue::settings;
use crate::domain::{Error, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::AdminCtx;

const PATH: &str = "/admin/numre";

#[derive(Template, WebTemplate)]
#[template(path = "admin/numbers.html")]
pub struct NumbersPage {
    ctx: AdminCtx,
    numbers: Vec<caller_number::Model>,
    campaigns: Vec<campaign::Model>,
    clients: Vec<client::Model>,
    editing: Option<i32>,
    form: NumberInput,
    errors: FieldErrors,
    /// Every fact the message in the form lacks (norm 4.4.2 a-c).
    missing: Vec<&'static str>,
}

impl NumbersPage {
    fn campaign(&self, id: &i32) -> String {
        self.campaigns
            .iter()
            .find(|c| c.id == *id)
            .map(|c| {
                let client = self
                    .clients
                    .iter()
                    .find(|cl| cl.id == c.client_id)
                    .map(|cl| cl.name.as_str())
                    .unwrap_or("");
                format!("{} ({client})", c.name)
            })
            .unwrap_or_default()
    }
}

async fn screen(
    s: &AppState,
    ctx: AdminCtx,
    editing: Option<i32>,
    form: NumberInput,
    errors: FieldErrors,
    missing: Vec<&'static str>,
) -> AppResult<NumbersPage> {
    Ok(NumbersPage {
        ctx: ctx.at(PATH),
        numbers: caller_numbers::all(&s.db).await?,
        campaigns: settings::campaigns(&s.db).await?,
        clients: settings::clients(&s.db).await?,
        editing,
        form,
        errors,
        missing,
    })
}

pub async fn page(State(s): State<AppState>, ctx: AdminCtx) -> AppResult<NumbersPage> {
    let form = NumberInput {
        gyldig_fra: crate::domain::time::oslo_today(s.clock.now()).to_string(),
        ..Default::default()
    };
    screen(&s, ctx, None, form, FieldErrors::default(), vec![]).await
}

pub async fn edit(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(id): Path<i32>,
) -> AppResult<NumbersPage> {
    let n = caller_numbers::all(&s.db)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or(AppError::not_found())?;
    let form = NumberInput {
        nummer: n.e164,
        kampanje: n.campaign_id.to_string(),
        gyldig_fra: n.valid_from.to_string(),
        gyldig_til: n.valid_to.map(|d| d.to_string()).unwrap_or_default(),
        melding: n.message,
    };
    screen(&s, ctx, Some(id), form, FieldErrors::default(), vec![]).await
}

async fn save(
    s: AppState,
    ctx: AdminCtx,
    id: Option<i32>,
    form: NumberInput,
) -> AppResult<Response> {
    match caller_numbers::save(&s.db, id, &form, &ctx.actor(), s.clock.now()).await {
        Ok(_) => {
            s.catalogue_changed();
            Ok(see_other(PATH))
        }
        Err(Error::Invalid(errors)) => {
            let missing = caller_numbers::missing_for_form(&s.db, &form).await?;
            Ok(unprocessable(
                screen(&s, ctx, id, form, errors, missing).await?,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Form(form): Form<NumberInput>,
) -> AppResult<Response> {
    save(s, ctx, None, form).await
}

pub async fn update(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(id): Path<i32>,
    Form(form): Form<NumberInput>,
) -> AppResult<Response> {
    save(s, ctx, Some(id), form).await
}
