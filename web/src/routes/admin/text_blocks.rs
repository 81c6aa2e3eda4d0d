//! Saved text blocks (tekstbiter), kept by admins; handlers insert them into
//! an answer on the case page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{see_other, unprocessable};
use crate::domain::cases::text_blocks;
use crate::domain::{Error, FieldErrors};
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::AdminCtx;

const PATH: &str = "/admin/tekstbiter";

/// The form: `tittel` and `tekst`.
#[derive(Deserialize, Default)]
pub struct BlockForm {
    #[serde(default)]
    tittel: String,
    #[serde(default)]
    tekst: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/text_blocks.html")]
pub struct BlocksPage {
    ctx: AdminCtx,
    blocks: Vec<entity::text_block::Model>,
    editing: Option<i32>,
    form: BlockForm,
    errors: FieldErrors,
    /// What was just done (`?ok=saved` or `?ok=deleted`), said after the
    /// redirect: the translation key of the notice.
    done: Option<&'static str>,
}

/// `ok` after a save or a delete.
#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    ok: Option<String>,
}

async fn screen(
    s: &AppState,
    ctx: AdminCtx,
    editing: Option<i32>,
    form: BlockForm,
    errors: FieldErrors,
) -> AppResult<BlocksPage> {
    Ok(BlocksPage {
        ctx: ctx.at(PATH),
        blocks: text_blocks::list(&s.db).await?,
        editing,
        form,
        errors,
        done: None,
    })
}

pub async fn page(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Query(q): Query<Done>,
) -> AppResult<BlocksPage> {
    let mut page = screen(&s, ctx, None, BlockForm::default(), FieldErrors::default()).await?;
    page.done = match q.ok.as_deref() {
        Some("saved") => Some("blocks-saved"),
        Some("deleted") => Some("blocks-deleted"),
        _ => None,
    };
    Ok(page)
}

pub async fn edit(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(id): Path<i32>,
) -> AppResult<BlocksPage> {
    let b = text_blocks::get(&s.db, id).await?;
    let form = BlockForm {
        tittel: b.title,
        tekst: b.body,
    };
    screen(&s, ctx, Some(id), form, FieldErrors::default()).await
}

async fn save(s: AppState, ctx: AdminCtx, id: Option<i32>, form: BlockForm) -> AppResult<Response> {
    let now = s.clock.now();
    match text_blocks::save(&s.db, id, &form.tittel, &form.tekst, &ctx.actor(), now).await {
        Ok(_) => Ok(see_other(&format!("{PATH}?ok=saved"))),
        Err(Error::Invalid(errors)) => Ok(unprocessable(screen(&s, ctx, id, form, errors).await?)),
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Form(form): Form<BlockForm>,
) -> AppResult<Response> {
    save(s, ctx, None, form).await
}

pub async fn update(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(id): Path<i32>,
    Form(form): Form<BlockForm>,
) -> AppResult<Response> {
    save(s, ctx, Some(id), form).await
}

pub async fn delete(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    text_blocks::delete(&s.db, id, &ctx.actor(), s.clock.now()).await?;
    Ok(see_other(&format!("{PATH}?ok=deleted")))
}
