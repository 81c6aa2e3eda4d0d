//! Staff users: create (with a one-time password shown once), deactivate,
//! reactivate, reset password.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use entity::user;
use serde::Deserialize;
use tower_sessions::Session;

use super::{actx, see_other, unprocessable};
use crate::auth::Staff;
use crate::csrf::CsrfToken;
use crate::domain::catalogue::settings;
use crate::domain::staff::users::{self, UserChange};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::views::{AdminCtx, Errs};

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    ctx: AdminCtx,
    users: Vec<user::Model>,
    epost: String,
    rolle: String,
    errors: Errs,
    /// A one-time password to hand over, shown once: (e-mail, password).
    issued: Option<(String, String)>,
}

impl UsersPage {
    fn role(&self, u: &user::Model) -> String {
        self.ctx.t(&format!("role-{}", settings::role_name(u.role)))
    }
}

async fn screen(
    s: &AppState,
    ctx: AdminCtx,
    epost: String,
    rolle: String,
    errors: Errs,
    issued: Option<(String, String)>,
) -> AppResult<UsersPage> {
    Ok(UsersPage {
        ctx,
        users: settings::users(&s.db).await?,
        epost,
        rolle,
        errors,
        issued,
    })
}

pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
) -> AppResult<UsersPage> {
    let ctx = actx(lang, csrf, &staff, "/admin/brukere");
    screen(
        &s,
        ctx,
        String::new(),
        "handler".into(),
        Errs::default(),
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
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Form(f): Form<NewUser>,
) -> AppResult<Response> {
    let ctx = actx(lang, csrf, &staff, "/admin/brukere");
    match settings::create_user(&s.db, &f.epost, &f.rolle, &staff.actor(), s.clock.now()).await? {
        Ok((u, pw)) => {
            // The password is shown on this page once and never stored in clear.
            let page = screen(
                &s,
                ctx,
                String::new(),
                "handler".into(),
                Errs::default(),
                Some((u.email, pw)),
            )
            .await?;
            Ok(axum::response::IntoResponse::into_response(page))
        }
        Err(e) => Ok(unprocessable(
            screen(&s, ctx, f.epost, f.rolle, Errs(e), None).await?,
        )),
    }
}

async fn change(
    s: &AppState,
    staff: &Staff,
    id: i32,
    what: UserChange,
) -> AppResult<Option<String>> {
    if id == staff.id() && !matches!(what, UserChange::ResetPassword) {
        // An admin cannot lock themselves out.
        return Err(AppError::BadRequest("you cannot change your own access"));
    }
    Ok(users::change_user(&s.db, id, what, &staff.actor(), s.clock.now()).await?)
}

pub async fn deactivate(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    change(&s, &staff, id, UserChange::Deactivate).await?;
    Ok(see_other("/admin/brukere"))
}

pub async fn activate(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    change(&s, &staff, id, UserChange::Activate).await?;
    Ok(see_other("/admin/brukere"))
}

pub async fn reset_password(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    session: Session,
    Path(id): Path<i32>,
) -> AppResult<UsersPage> {
    let pw = change(&s, &staff, id, UserChange::ResetPassword)
        .await?
        .unwrap_or_default();
    if id == staff.id() {
        // The reset ended every session of the admin too; this one carries
        // on under a new id (and asks for the new one-time password).
        session
            .cycle_id()
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
    }
    let email = settings::users(&s.db)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .map(|u| u.email)
        .unwrap_or_default();
    let ctx = actx(lang, csrf, &staff, "/admin/brukere");
    screen(
        &s,
        ctx,
        String::new(),
        "handler".into(),
        Errs::default(),
        Some((email, pw)),
    )
    .await
}
