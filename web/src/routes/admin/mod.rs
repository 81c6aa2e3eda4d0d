//! The back office. Every route passes a role gate on the server: handler
//! (works cases), manager (plus statistics and exports), admin (plus
//! settings, users, numbers and the register).

mod audit;
mod cases;
mod client_registers;
mod login;
mod numbers;
mod privacy;
mod reservations;
mod settings;
mod stats;
mod tokens;
mod users;
mod wash;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};
use time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::auth::{self, SESSION_COOKIE, store::DbSessionStore};
use crate::state::AppState;

pub fn router(state: AppState) -> Router<AppState> {
    // Signed out: the sign-in page.
    let open = Router::new()
        .route("/admin/login", get(login::page).post(login::submit))
        .route("/admin/logout", post(login::logout));
    // handler and up.
    let handler = Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/saker") }))
        .route(
            auth::PASSWORD_PATH,
            get(login::password_page).post(login::password_submit),
        )
        .route("/admin/saker", get(cases::queue))
        .route("/admin/saker/{reference}", get(cases::show))
        .route("/admin/saker/{reference}/svar", post(cases::answer))
        .route("/admin/saker/{reference}/notat", post(cases::note))
        .route("/admin/saker/{reference}/tildel", post(cases::assign))
        .route("/admin/saker/{reference}/kategori", post(cases::category))
        .route("/admin/saker/{reference}/lukk", post(cases::close))
        .route("/admin/saker/{reference}/gjenapne", post(cases::reopen))
        .route(
            "/admin/saker/{reference}/meldinger/{id}/send-igjen",
            post(cases::retry),
        )
        .route(
            "/admin/saker/{reference}/opptak/{id}",
            get(cases::play_recording),
        )
        .route(
            "/admin/saker/{reference}/opptak/{id}/slett",
            post(cases::delete_recording),
        )
        .route(
            "/admin/saker/{reference}/vedlegg/{id}",
            get(cases::attachment),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_handler,
        ));
    // managers and admins: statistics, exports, the norm overview.
    let manager = Router::new()
        .route("/admin/statistikk", get(stats::page))
        .route("/admin/statistikk/eksport", get(stats::export))
        .route("/admin/norm", get(stats::norm))
        .route("/admin/vask", get(wash::page))
        .route("/admin/vask/{id}", get(wash::job))
        .route("/admin/vask/{id}/resultat", get(wash::download))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_manager,
        ));
    // admin only.
    let admin = Router::new()
        .route(
            "/admin/innstillinger",
            get(settings::centre_page).post(settings::centre_save),
        )
        .route(
            "/admin/oppdragsgivere",
            get(settings::clients_page).post(settings::client_create),
        )
        .route(
            "/admin/oppdragsgivere/{id}",
            get(settings::client_edit).post(settings::client_update),
        )
        .route(
            "/admin/kampanjer",
            get(settings::campaigns_page).post(settings::campaign_create),
        )
        .route(
            "/admin/kampanjer/{id}",
            get(settings::campaign_edit).post(settings::campaign_update),
        )
        .route("/admin/brukere", get(users::page).post(users::create))
        .route("/admin/brukere/{id}/deaktiver", post(users::deactivate))
        .route("/admin/brukere/{id}/aktiver", post(users::activate))
        .route(
            "/admin/brukere/{id}/nytt-passord",
            post(users::reset_password),
        )
        .route("/admin/numre", get(numbers::page).post(numbers::create))
        .route(
            "/admin/numre/{id}",
            get(numbers::edit).post(numbers::update),
        )
        .route(
            "/admin/reservasjoner",
            get(reservations::page).post(reservations::add),
        )
        .route(
            "/admin/reservasjoner/{id}/fjern",
            post(reservations::remove),
        )
        .route(
            "/admin/oppdragsgivere/{id}/reservasjoner",
            get(client_registers::page),
        )
        .route(
            "/admin/oppdragsgivere/{id}/reservasjoner/tom",
            post(client_registers::empty),
        )
        .route("/admin/api-nokler", get(tokens::page).post(tokens::create))
        .route("/admin/api-nokler/{id}/tilbakekall", post(tokens::revoke))
        .route("/admin/logg", get(audit::page))
        .route(
            "/admin/oppbevaring",
            get(privacy::retention_page).post(privacy::retention_save),
        )
        .route("/admin/saker/{reference}/hold", post(privacy::hold))
        .route("/admin/saker/{reference}/slipp", post(privacy::release))
        .route("/admin/personopplysninger", get(privacy::subject_page))
        .route(
            "/admin/personopplysninger/eksport",
            get(privacy::subject_export),
        )
        .route(
            "/admin/personopplysninger/slett",
            post(privacy::subject_erase),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_admin,
        ));
    let sessions = session_layer(&state);
    Router::new()
        .merge(open)
        .merge(handler)
        .merge(manager)
        .merge(admin)
        .layer(sessions)
}

/// Uploads larger than the ordinary form limit, each with its own body
/// limit and role gate: a year of dialer figures (managers), a client's
/// reservation register (admins), a calling list to wash (managers).
pub fn upload_router(state: AppState) -> Router<AppState> {
    let stats = Router::new()
        .route(
            "/admin/statistikk/import",
            axum::routing::post(stats::import),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_manager,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(UPLOAD_LIMIT));
    let registers = Router::new()
        .route(
            "/admin/oppdragsgivere/{id}/reservasjoner/last-opp",
            axum::routing::post(client_registers::upload),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_admin,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(UPLOAD_LIMIT));
    let wash = Router::new()
        .route("/admin/vask/last-opp", axum::routing::post(wash::upload))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_manager,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            WASH_UPLOAD_LIMIT,
        ));
    Router::new()
        .merge(stats)
        .merge(registers)
        .merge(wash)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(session_layer(&state))
}

/// Largest calling list washed in the back office: a few million numbers.
/// The upload streams to a temporary file, so this bounds disk, not memory.
pub const WASH_UPLOAD_LIMIT: usize = 256 * 1024 * 1024;

/// Largest upload: a year of figures for a few hundred campaigns.
pub const UPLOAD_LIMIT: usize = 16 * 1024 * 1024;

fn session_layer(state: &AppState) -> SessionManagerLayer<DbSessionStore> {
    SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::hours(8)))
}

/// A form that failed validation answers 422 with the page re-rendered.
fn unprocessable(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// After a successful POST: back to a page (post/redirect/get).
fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}
