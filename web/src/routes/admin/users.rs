//! Staff users: create (with a one-time password shown once), deactivate,
//! reactivate, reset password.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Response};
use entity::user;
use serde::Deserialize;
use tower_sessions::Session;

use super::{see_other, unprocessable};
use crate::auth::Staff;
use crate::domain::staff::users::{self, UserChange};
use crate::domain::{Error, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::AdminCtx;

const PATH: &str = "/admin/brukere";

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    ctx: AdminCtx,
    users: Vec<user::Model>,
    epost: String,
    rolle: String,
    errors: FieldErrors,
    /// A one-time password to hand over, shown once: (e-mail, password).
    issued: Option<(String, String)>,
}

impl UsersPage {
    fn role(&self, u: &user::Model) -> String {
        self.ctx.t(&format!("role-{}", users::role_name(u.role)))
    }
}

async fn screen(
    s: &AppState,
    ctx: AdminCtx,
    epost: String,
    rolle: String,
    errors: FieldErrors,
    issued: Option<(String, String)>,
) -> AppResult<UsersPage> {
    Ok(UsersPage {
        ctx: ctx.at(PATH),
        users: users::list(&s.db).await?,
        epost,
        rolle,
        errors,
        issued,
    })
}

pub async fn page(State(s): State<AppState>, ctx: AdminCtx) -> AppResult<UsersPage> {
    screen(
        &s,
        ctx,
        String::new(),
        "handler".into(),
        FieldErrors::default(),
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct NewUser {
    #[serde(default)]
    epost: String,
    #[serde(default)]
    rolle: String,
}

pub async fn create(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Form(f): Form<NewUser>,
) -> AppResult<Response> {
    match users::add_staff(&s.db, &f.epost, &f.rolle, &ctx.actor(), s.clock.now()).await {
        Ok((u, pw)) => {
            // The password is shown on this page once and never stored in clear.
            let page = screen(
                &s,
                ctx,
                String::new(),
                "handler".into(),
                FieldErrors::default(),
                Some((u.email, pw)),
            )
            .await?;
            Ok(page.into_response())
        }
        Err(Error::Invalid(errors)) => Ok(unprocessable(
            screen(&s, ctx, f.epost, f.rolle, errors, None).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn deactivate(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    users::change_user(
        &s.db,
        id,
        UserChange::Deactivate,
        &staff.actor(),
        s.clock.now(),
    )
    .await?;
    Ok(see_other(PATH))
}

pub async fn activate(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    users::change_user(
        &s.db,
        id,
        UserChange::Activate,
        &staff.actor(),
        s.clock.now(),
    )
    .await?;
    Ok(see_other(PATH))
}

pub async fn reset_password(
    State(s): State<AppState>,
    ctx: AdminCtx,
    session: Session,
    Path(id): Path<i32>,
) -> AppResult<UsersPage> {
    let pw = users::change_user(
        &s.db,
        id,
        UserChange::ResetPassword,
        &ctx.actor(),
        s.clock.now(),
    )
    .await?
    .unwrap_or_default();
    if id == ctx.id() {
        // The reset ended every session of the admin too; this one carries
        // on under a new id (and asks for the new one-time password).
        session
            .cycle_id()
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("session: {e}")))?;
    }
    let email = users::email_of(&s.db, id).await?;
    screen(
        &s,
        ctx,
        String::new(),
        "handler".into(),
        FieldErrors::default(),
        Some((email, pw)),
    )
    .await
}
