//! API tokens for dialers (admin only): list, create (the token is shown
//! once), revoke. Creating and revoking are audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use entity::api_token;
use serde::Deserialize;

use super::{see_other, unprocessable};
use crate::domain::Error;
use crate::domain::dialer::api_tokens;
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::AdminCtx;

const PATH: &str = "/admin/api-nokler";

#[derive(Template, WebTemplate)]
#[template(path = "admin/tokens.html")]
pub struct TokensPage {
    ctx: AdminCtx,
    tokens: Vec<api_token::Model>,
    navn: String,
    /// Translation key of what is wrong with the name.
    name_error: Option<&'static str>,
    /// The token whose revocation lacked the confirmation.
    revoke_error: Option<i32>,
    /// A token just created: its name and the token itself, shown only now.
    issued: Option<(String, String)>,
}

impl TokensPage {
    fn revoke_failed(&self, id: impl std::borrow::Borrow<i32>) -> bool {
        self.revoke_error == Some(*id.borrow())
    }
}

async fn screen(
    s: &AppState,
    ctx: AdminCtx,
    navn: String,
    name_error: Option<&'static str>,
    revoke_error: Option<i32>,
    issued: Option<(String, String)>,
) -> AppResult<TokensPage> {
    Ok(TokensPage {
        ctx: ctx.at(PATH),
        tokens: api_tokens::list(&s.db).await?,
        navn,
        name_error,
        revoke_error,
        issued,
    })
}

pub async fn page(State(s): State<AppState>, ctx: AdminCtx) -> AppResult<TokensPage> {
    screen(&s, ctx, String::new(), None, None, None).await
}

#[derive(Deserialize)]
pub struct NewToken {
    #[serde(default)]
    navn: String,
}

pub async fn create(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Form(f): Form<NewToken>,
) -> AppResult<Response> {
    match api_tokens::issue(&s.db, &f.navn, &ctx.actor(), s.clock.now()).await {
        Ok((row, token)) => {
            // The token is on this page once; the database keeps only its hash.
            let page = screen(&s, ctx, String::new(), None, None, Some((row.name, token))).await?;
            Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
        }
        Err(Error::Invalid(errors)) => Ok(unprocessable(
            screen(&s, ctx, f.navn, Some(errors.key("navn")), None, None).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    bekreft: Option<String>,
}

pub async fn revoke(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(id): Path<i32>,
    Form(f): Form<RevokeForm>,
) -> AppResult<Response> {
    if f.bekreft.is_none() {
        return Ok(unprocessable(
            screen(&s, ctx, String::new(), None, Some(id), None).await?,
        ));
    }
    api_tokens::withdraw(&s.db, id, &ctx.actor(), s.clock.now()).await?;
    Ok(see_other(PATH))
}
