//! Who may come in: staff sessions in the database with the role gate every
//! back-office route passes through, dialer API tokens, and Twilio's
//! signature on its webhooks. `routes::table` says which route takes which.

pub mod api_token;
pub mod store;
pub mod twilio;

pub use api_token::ApiToken;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use entity::enums::Role;
use entity::user;
use sea_orm::EntityTrait;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use crate::domain::privacy::audit::Actor;
use crate::error::AppError;
use crate::state::AppState;
use store::DbSessionStore;

/// Session key of the signed-in user's id.
pub const USER_KEY: &str = "uid";
pub const SESSION_COOKIE: &str = "innsyn_session";
pub const PASSWORD_PATH: &str = "/admin/passord";

/// The staff session: a cookie holding only the id of a row in the
/// database, HttpOnly, ended after 8 hours without use ([`store::IDLE`]:
/// every use moves the end on).
pub fn session_layer(state: &AppState) -> SessionManagerLayer<DbSessionStore> {
    SessionManagerLayer::new(DbSessionStore::new(state.db.clone(), state.clock.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_path("/")
        // The cookie lives as long as the browser session; the database row
        // decides, and every use moves its end on (`store::load`). A cookie
        // with a Max-Age would be renewed only when the session changes,
        // so the browser would drop it 8 hours after sign-in.
        .with_expiry(Expiry::OnSessionEnd)
}

/// The signed-in staff user, put in the request by [`require_handler`] and friends.
#[derive(Clone, Debug)]
pub struct Staff(pub user::Model);

impl Staff {
    pub fn id(&self) -> i32 {
        self.0.id
    }
    pub fn role(&self) -> Role {
        self.0.role
    }
    pub fn can(&self, role: Role) -> bool {
        self.0.role >= role
    }
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.0.id),
            email: Some(self.0.email.clone()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<Staff>()
            .cloned()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("role gate missing on route")))
    }
}

/// The user behind a session, if any and still active.
pub async fn current_user(state: &AppState, session: &Session) -> Option<user::Model> {
    let id: i32 = session.get(USER_KEY).await.ok().flatten()?;
    user::Entity::find_by_id(id)
        .one(&state.db)
        .await
        .ok()
        .flatten()
        .filter(|u| u.active)
}

fn to_login(req: &Request) -> Response {
    let next = req.uri().path();
    let target = format!("/admin/login?neste={}", urlencode(next));
    if crate::request::is_htmx(req.headers()) {
        // htmx follows HX-Redirect with a full page load.
        let mut r = axum::http::StatusCode::UNAUTHORIZED.into_response();
        if let Ok(v) = target.parse() {
            r.headers_mut().insert("hx-redirect", v);
        }
        return r;
    }
    Redirect::to(&target).into_response()
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .map(|e| e[2..].to_string())
        .unwrap_or_default()
}

async fn gate(state: AppState, min: Role, mut req: Request, next: Next) -> Response {
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return AppError::internal(anyhow::anyhow!("session layer missing")).into_response();
    };
    let Some(u) = current_user(&state, &session).await else {
        return to_login(&req);
    };
    if u.must_change_password && req.uri().path() != PASSWORD_PATH {
        return Redirect::to(PASSWORD_PATH).into_response();
    }
    if u.role < min {
        return AppError::forbidden().into_response();
    }
    req.extensions_mut().insert(Staff(u));
    next.run(req).await
}

/// Any signed-in staff member (handler, manager, admin).
pub async fn require_handler(State(s): State<AppState>, req: Request, next: Next) -> Response {
    gate(s, Role::Handler, req, next).await
}

/// Managers and admins.
pub async fn require_manager(State(s): State<AppState>, req: Request, next: Next) -> Response {
    gate(s, Role::Manager, req, next).await
}

/// Admins only.
pub async fn require_admin(State(s): State<AppState>, req: Request, next: Next) -> Response {
    gate(s, Role::Admin, req, next).await
}
