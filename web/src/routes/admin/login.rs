//! Sign-in, sign-out, and choosing a password after a one-time password.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::{see_other, unprocessable};
use crate::auth::{self, USER_KEY};
use crate::csrf::CsrfToken;
use crate::domain::staff::signin::{self, SignIn};
use crate::domain::staff::users;
use crate::domain::{Error, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::ratelimit::ClientAddr;
use crate::state::AppState;
use crate::views::AdminCtx;

#[derive(Template, WebTemplate)]
#[template(path = "admin/login.html")]
pub struct LoginPage {
    lang: Lang,
    csrf: String,
    epost: String,
    neste: String,
    /// Translation key and argument of the message shown above the form.
    error: Option<String>,
    /// The centre's name, so staff know where they sign in.
    centre: String,
}

impl LoginPage {
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
}

#[derive(Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    neste: String,
}

/// The centre's name for the sign-in page; empty when it cannot be read
/// (the page still works).
async fn centre_name(s: &AppState) -> String {
    crate::domain::catalogue::centre::get(&s.db)
        .await
        .map(|c| c.name)
        .unwrap_or_default()
}

/// Where to go after signing in: a path of our own back office, never a
/// header-breaking (control characters) or off-site (`//`, `\\`, scheme)
/// target; anything else goes to the case list.
fn safe_next(n: &str) -> String {
    let harmless =
        !n.chars().any(|c| c.is_control() || c == '\\') && n.is_ascii() && !n.contains("//");
    if harmless && n.starts_with("/admin/") && n != "/admin/login" {
        n.to_string()
    } else {
        "/admin/saker".into()
    }
}

pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    session: Session,
    Query(n): Query<Next>,
) -> Response {
    if auth::current_user(&s, &session).await.is_some() {
        return see_other(&safe_next(&n.neste));
    }
    LoginPage {
        lang,
        csrf: csrf.0,
        epost: String::new(),
        neste: n.neste,
        error: None,
        centre: centre_name(&s).await,
    }
    .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    epost: String,
    #[serde(default)]
    passord: String,
    #[serde(default)]
    neste: String,
}

pub async fn submit(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    session: Session,
    ClientAddr(addr): ClientAddr,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let now = s.clock.now();
    let addr = addr
        .map(|a| a.to_string())
        .unwrap_or_else(|| "unknown".into());
    let email = f.epost.trim().to_lowercase();
    let outcome =
        signin::sign_in(&s.db, &s.password_checks, &email, &f.passord, &addr, now).await?;
    let centre = centre_name(&s).await;
    let page = |error: String| LoginPage {
        lang,
        csrf: csrf.0.clone(),
        epost: f.epost.clone(),
        neste: f.neste.clone(),
        error: Some(error),
        centre: centre.clone(),
    };
    match outcome {
        SignIn::Ok(u) => {
            // A new session id at sign-in: a planted id is worth nothing.
            session
                .cycle_id()
                .await
                .map_err(|e| AppError::internal(anyhow::anyhow!("session: {e}")))?;
            session
                .insert(USER_KEY, u.id)
                .await
                .map_err(|e| AppError::internal(anyhow::anyhow!("session: {e}")))?;
            if u.must_change_password {
                return Ok(crate::csrf::rotated(
                    &s.config,
                    see_other(auth::PASSWORD_PATH),
                ));
            }
            Ok(crate::csrf::rotated(
                &s.config,
                see_other(&safe_next(&f.neste)),
            ))
        }
        SignIn::Wrong(_) => {
            Ok((StatusCode::UNAUTHORIZED, page(lang.t("login-error-wrong"))).into_response())
        }
        SignIn::Locked { until, .. } => {
            let at = until
                .with_timezone(&chrono_tz::Europe::Oslo)
                .format("%H:%M:%S")
                .to_string();
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                page(lang.ta("login-error-locked", &[("time", at)])),
            )
                .into_response();
            let secs = (until - now).num_seconds().max(1).to_string();
            if let Ok(v) = secs.parse() {
                r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            Ok(r)
        }
    }
}

pub async fn logout(State(s): State<AppState>, session: Session) -> AppResult<Response> {
    if let Some(u) = auth::current_user(&s, &session).await {
        signin::sign_out(&s.db, &u, s.clock.now()).await?;
    }
    session
        .flush()
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("session: {e}")))?;
    Ok(see_other("/admin/login"))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/password.html")]
pub struct PasswordPage {
    ctx: AdminCtx,
    errors: FieldErrors,
}

pub async fn password_page(ctx: AdminCtx) -> PasswordPage {
    PasswordPage {
        ctx,
        errors: FieldErrors::default(),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    /// The current (or one-time) password.
    #[serde(default)]
    navarende_passord: String,
    #[serde(default)]
    passord: String,
    #[serde(default)]
    gjenta: String,
}

pub async fn password_submit(
    State(s): State<AppState>,
    ctx: AdminCtx,
    session: Session,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    let changed = users::change_own_password(
        &s.db,
        &ctx.me,
        &f.navarende_passord,
        &f.passord,
        &f.gjenta,
        s.clock.now(),
    )
    .await;
    match changed {
        Ok(()) => {
            // Every session of the user ended with the change; this one
            // carries on under a new id.
            session
                .cycle_id()
                .await
                .map_err(|e| AppError::internal(anyhow::anyhow!("session: {e}")))?;
            Ok(see_other("/admin/saker"))
        }
        Err(Error::Invalid(errors)) => Ok(unprocessable(PasswordPage { ctx, errors })),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn neste_with_control_characters_or_off_site_goes_to_the_case_list() {
        for bad in [
            "/admin/saker\r\nSet-Cookie: x=1",
            "/admin/saker\n",
            "/admin/\u{0}x",
            "/admin/\u{7f}",
            "//evil.example",
            "https://evil.example/admin/",
            "/\\evil.example",
            "/admin/\\evil",
            "/admin//evil.example",
            "/admin/login",
            "",
        ] {
            assert_eq!(safe_next(bad), "/admin/saker", "{bad:?}");
        }
        assert_eq!(
            safe_next("/admin/saker/12?fane=logg"),
            "/admin/saker/12?fane=logg"
        );
    }
}
