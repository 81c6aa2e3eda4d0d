//! API tokens for dialers (admin only): list, create (the token is shown
//! once), revoke. Creating and revoking are audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use entity::api_token;
use serde::Deserialize;

use super::{actx, see_other, unprocessable};
use crate::auth::Staff;
use crate::csrf::CsrfToken;
use crate::domain::dialer::api_tokens;
use crate::domain::privacy::audit::{self, Entry};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
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
        ctx,
        tokens: api_tokens::list(&s.db).await?,
        navn,
        name_error,
        revoke_error,
        issued,
    })
}

pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
) -> AppResult<TokensPage> {
    let ctx = actx(lang, csrf, &staff, PATH);
    screen(&s, ctx, String::new(), None, None, None).await
}

#[derive(Deserialize)]
pub struct NewToken {
    #[serde(default)]
    navn: String,
}

pub async fn create(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Form(f): Form<NewToken>,
) -> AppResult<Response> {
    let ctx = actx(lang, csrf, &staff, PATH);
    let name = match api_tokens::parse_name(&f.navn) {
        Ok(n) => n,
        Err(key) => {
            return Ok(unprocessable(
                screen(&s, ctx, f.navn, Some(key), None, None).await?,
            ));
        }
    };
    let now = s.clock.now();
    let (txn, _write) = crate::db::begin_write(&s.db).await?;
    let (row, token) = api_tokens::create(&txn, &name, now).await?;
    audit::record(
        &txn,
        now,
        &staff.actor(),
        Entry::new("api_token.create")
            .object("api_token", row.id)
            .detail(format!("name={}", row.name)),
    )
    .await?;
    txn.commit().await?;
    // The token is on this page once; the database keeps only its hash.
    let page = screen(&s, ctx, String::new(), None, None, Some((row.name, token))).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    bekreft: Option<String>,
}

pub async fn revoke(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Path(id): Path<i32>,
    Form(f): Form<RevokeForm>,
) -> AppResult<Response> {
    if f.bekreft.is_none() {
        let ctx = actx(lang, csrf, &staff, PATH);
        return Ok(unprocessable(
            screen(&s, ctx, String::new(), None, Some(id), None).await?,
        ));
    }
    let now = s.clock.now();
    let (txn, _write) = crate::db::begin_write(&s.db).await?;
    if !api_tokens::revoke(&txn, id, now).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &txn,
        now,
        &staff.actor(),
        Entry::new("api_token.revoke").object("api_token", id),
    )
    .await?;
    txn.commit().await?;
    Ok(see_other(PATH))
}
