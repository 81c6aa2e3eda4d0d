//! Every URL the product answers, in one table ([`table`]): its methods,
//! handler, gate (who may call it), rate limit and body class (how its body
//! is read). [`router`] builds the app from that table and adds the layers
//! every answer gets. The handler modules below hold handlers and the
//! private helpers that draw their answers; they never call into each
//! other, and the rules they apply live in `domain/`.
//!
//! axum cannot list its routes, so the table is public: the role-matrix test
//! walks it, and a route added here is tested with its gate at once.

mod admin;
mod api;
mod api_stats;
mod assets;
mod dialer;
mod health;
mod public;
mod webhooks;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::handler::Handler;
use axum::http::{HeaderName, Method, header};
use axum::middleware::from_fn_with_state;
use axum::routing::MethodRouter;
use entity::enums::Role;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::SessionManagerLayer;

use crate::auth::{self, store::DbSessionStore};
use crate::middleware::{self as mw, CSP, PERMISSIONS_POLICY, security_header};
use crate::state::AppState;
use crate::{csrf, ratelimit};

// Moved out of this module; kept here for the callers that name them so.
pub use crate::middleware::catch_panic;
pub use crate::request::{is_htmx, lang_of};

/// Largest request body of a page, a form or a small API call.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Largest upload of figures or a client's register: a year of figures for
/// a few hundred campaigns.
pub const UPLOAD_LIMIT: usize = 16 * 1024 * 1024;

/// Largest calling list washed in the back office: a few million numbers.
/// The upload streams to a temporary file, so this bounds disk, not memory.
pub const WASH_UPLOAD_LIMIT: usize = 256 * 1024 * 1024;

/// Who may call a route. Checked before its handler does anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Anyone.
    Public,
    /// Anyone, with the staff session read: the sign-in page and sign-out.
    SignIn,
    /// A signed-in staff member of at least this role (`auth::require_*`);
    /// signed out: to the sign-in page; a lower role: 403.
    Staff(Role),
    /// A dialer API token (`Authorization: Bearer inn_...`), checked by the
    /// handler's `ApiToken` extractor before the body is read: else 401.
    ApiToken,
    /// Twilio's `X-Twilio-Signature` over the public URL and the form
    /// (`auth::twilio`): else 403.
    TwilioSignature,
    /// The inbound e-mail secret (`Authorization: Bearer`
    /// `INBOUND_EMAIL_TOKEN`), checked by the handler first: else 401.
    MailSecret,
}

const HANDLER: Gate = Gate::Staff(Role::Handler);
const MANAGER: Gate = Gate::Staff(Role::Manager);
const ADMIN: Gate = Gate::Staff(Role::Admin);

/// How a route's request body is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyClass {
    /// Pages, forms and small JSON: read whole, at most [`MAX_BODY_BYTES`],
    /// within the body timeout, before the handler runs.
    Small,
    /// A streamed upload in the back office with its own limit: no deadline
    /// for the whole body, but a pause longer than the upload idle timeout
    /// ends the request.
    Upload(usize),
    /// A streamed API body of any length (the handler bounds what it
    /// keeps), under the upload idle timeout.
    Stream,
    /// A Twilio webhook: read whole, at most 64 KiB, within the body timeout.
    Twilio,
    /// A raw e-mail: read whole, at most the mail limit, within the body
    /// timeout.
    Mail,
    /// No layer of ours: axum's own 2 MB limit on the extractors, no deadline.
    AxumDefault,
}

/// A rate limit in front of a route, per client address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateLimit {
    /// The lookup limit, answered with the 429 page.
    Lookup,
    /// The lookup limit, answered in JSON.
    LookupJson,
    /// The limit on public form posts (GETs pass).
    Forms,
}

/// One URL with its methods, handler, gate, rate limit and body class.
pub struct Route {
    pub path: &'static str,
    /// The methods it answers (GET answers HEAD too).
    pub methods: Vec<Method>,
    pub gate: Gate,
    pub body: BodyClass,
    pub limit: Option<RateLimit>,
    handler: MethodRouter<AppState>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("path", &self.path)
            .field("methods", &self.methods)
            .field("gate", &self.gate)
            .field("body", &self.body)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// A route at `path` behind `gate`, its body read as `body`; add its
/// methods with [`Route::get`] and [`Route::post`].
fn at(path: &'static str, gate: Gate, body: BodyClass) -> Route {
    Route {
        path,
        methods: Vec::new(),
        gate,
        body,
        limit: None,
        handler: MethodRouter::new(),
    }
}

impl Route {
    fn get<H: Handler<T, AppState>, T: 'static>(mut self, handler: H) -> Self {
        self.methods.push(Method::GET);
        self.handler = self.handler.get(handler);
        self
    }

    fn post<H: Handler<T, AppState>, T: 'static>(mut self, handler: H) -> Self {
        self.methods.push(Method::POST);
        self.handler = self.handler.post(handler);
        self
    }

    fn limit(mut self, limit: RateLimit) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// Every route, grouped by audience.
pub fn table() -> Vec<Route> {
    use BodyClass::{AxumDefault, Mail, Small, Stream, Twilio, Upload};
    use Gate::{ApiToken, MailSecret, Public, SignIn, TwilioSignature};
    use RateLimit::{Forms, Lookup, LookupJson};
    use admin::{
        audit, cases, client_registers, login, national_register, numbers, privacy, reservations,
        settings, stats, text_blocks, tokens, users, wash,
    };
    vec![
        // ----- Health checks (load balancer, monitoring) -----
        at("/healthz", Public, Small).get(health::healthz),
        // 200 when the database answers, else 503.
        at("/readyz", Public, Small).get(health::readyz),
        // ----- Static files, compiled into the binary -----
        at("/assets/{*path}", Public, Small).get(assets::serve),
        // ----- The public site (norm 4.4.1, 4.4.4, 4.4.5) -----
        at("/", Public, Small).get(public::home),
        at("/oppdragsgivere", Public, Small).get(public::clients),
        at("/personvern", Public, Small).get(public::privacy),
        // How accessible the site is and how to report a problem.
        at("/tilgjengelighet", Public, Small).get(public::accessibility),
        // The open-data format, for developers and directory services.
        at("/apne-data", Public, Small).get(public::open_data),
        // Who called me? A number looked up, under the lookup limit.
        at("/hvem-ringte", Public, Small)
            .get(public::who_called)
            .limit(Lookup),
        // Reserve a number; complain. Posts under the form limit.
        at("/reservasjon", Public, Small)
            .get(public::reservation_page)
            .post(public::reserve)
            .limit(Forms),
        at("/klage", Public, Small)
            .get(public::complaint_page)
            .post(public::complain)
            .limit(Forms),
        // ----- Open data: every active caller number, and those retired
        // within 12 months; conditional GET (ETag, Last-Modified) -----
        at("/api/v1/numbers", Public, Small).get(api::numbers),
        at("/api/v1/numbers.csv", Public, Small).get(api::numbers_csv),
        at(api::SCHEMA_PATH, Public, Small).get(api::numbers_schema),
        // ----- Back office: sign-in -----
        at("/admin/login", SignIn, Small)
            .get(login::page)
            .post(login::submit),
        at("/admin/logout", SignIn, Small).post(login::logout),
        // ----- Back office: handlers and up (cases on the 24-hour clock, norm 4.4.3) -----
        at("/admin", HANDLER, Small).get(admin::start),
        // A one-time password is replaced here before anything else
        // (`auth::PASSWORD_PATH`).
        at("/admin/passord", HANDLER, Small)
            .get(login::password_page)
            .post(login::password_submit),
        at("/admin/saker", HANDLER, Small).get(cases::queue),
        at("/admin/saker/{reference}", HANDLER, Small).get(cases::show),
        at("/admin/saker/{reference}/svar", HANDLER, Small).post(cases::answer),
        at("/admin/saker/{reference}/notat", HANDLER, Small).post(cases::note),
        at("/admin/saker/{reference}/tildel", HANDLER, Small).post(cases::assign),
        at("/admin/saker/{reference}/kategori", HANDLER, Small).post(cases::category),
        at("/admin/saker/{reference}/lukk", HANDLER, Small).post(cases::close),
        at("/admin/saker/{reference}/gjenapne", HANDLER, Small).post(cases::reopen),
        at(
            "/admin/saker/{reference}/meldinger/{id}/send-igjen",
            HANDLER,
            Small,
        )
        .post(cases::retry),
        at("/admin/saker/{reference}/opptak/{id}", HANDLER, Small).get(cases::play_recording),
        at("/admin/saker/{reference}/opptak/{id}/slett", HANDLER, Small)
            .post(cases::delete_recording),
        at("/admin/saker/{reference}/vedlegg/{id}", HANDLER, Small).get(cases::attachment),
        // ----- A handler's day (issue 17): "don't call me again" from the case
        // (norm 4.4.4), a text block put into the answer, the blocks admins keep -----
        at("/admin/saker/{reference}/reserver", HANDLER, Small).post(cases::reserve),
        at("/admin/saker/{reference}/tekstbit", HANDLER, Small).post(cases::insert_block),
        at("/admin/tekstbiter", ADMIN, Small)
            .get(text_blocks::page)
            .post(text_blocks::create),
        at("/admin/tekstbiter/{id}", ADMIN, Small)
            .get(text_blocks::edit)
            .post(text_blocks::update),
        at("/admin/tekstbiter/{id}/slett", ADMIN, Small).post(text_blocks::delete),
        // ----- Back office: managers and up (statistics, norm 4.3, 4.6.2; the wash, 4.4.4, 4.6.3) -----
        at("/admin/statistikk", MANAGER, Small).get(stats::page),
        at("/admin/statistikk/eksport", MANAGER, Small).get(stats::export),
        // A year of dialer figures.
        at("/admin/statistikk/import", MANAGER, Upload(UPLOAD_LIMIT)).post(stats::import),
        at("/admin/norm", MANAGER, Small).get(stats::norm),
        at("/admin/vask", MANAGER, Small).get(wash::page),
        // A calling list to wash, streamed into the database in pieces; any
        // instance serves the job's progress, its download and "Start again".
        at("/admin/vask/last-opp", MANAGER, Upload(WASH_UPLOAD_LIMIT)).post(wash::upload),
        at("/admin/vask/{id}", MANAGER, Small).get(wash::job),
        at("/admin/vask/{id}/resultat", MANAGER, Small).get(wash::download),
        at("/admin/vask/{id}/start-igjen", MANAGER, Small).post(wash::restart),
        // ----- The national reservation register in the wash (issue 21, norm 10) -----
        // A wash run's signed receipt (JSON) for an auditor.
        at("/admin/vask/kjoring/{id}/kvittering", MANAGER, Small).get(wash::receipt),
        // The copy in use, its versions, and a new copy uploaded (admins).
        at("/admin/nasjonalt-register", ADMIN, Small).get(national_register::page),
        at(
            "/admin/nasjonalt-register/last-opp",
            ADMIN,
            Upload(WASH_UPLOAD_LIMIT),
        )
        .post(national_register::upload),
        // ----- Back office: admins only (settings, users, numbers, registers, privacy) -----
        at("/admin/innstillinger", ADMIN, Small)
            .get(settings::centre_page)
            .post(settings::centre_save),
        at("/admin/oppdragsgivere", ADMIN, Small)
            .get(settings::clients_page)
            .post(settings::client_create),
        at("/admin/oppdragsgivere/{id}", ADMIN, Small)
            .get(settings::client_edit)
            .post(settings::client_update),
        at("/admin/kampanjer", ADMIN, Small)
            .get(settings::campaigns_page)
            .post(settings::campaign_create),
        at("/admin/kampanjer/{id}", ADMIN, Small)
            .get(settings::campaign_edit)
            .post(settings::campaign_update),
        at("/admin/brukere", ADMIN, Small)
            .get(users::page)
            .post(users::create),
        at("/admin/brukere/{id}/deaktiver", ADMIN, Small).post(users::deactivate),
        at("/admin/brukere/{id}/aktiver", ADMIN, Small).post(users::activate),
        at("/admin/brukere/{id}/nytt-passord", ADMIN, Small).post(users::reset_password),
        at("/admin/numre", ADMIN, Small)
            .get(numbers::page)
            .post(numbers::create),
        at("/admin/numre/{id}", ADMIN, Small)
            .get(numbers::edit)
            .post(numbers::update),
        // The centre's reservation register (norm 4.4.4).
        at("/admin/reservasjoner", ADMIN, Small)
            .get(reservations::page)
            .post(reservations::add),
        at("/admin/reservasjoner/{id}/fjern", ADMIN, Small).post(reservations::remove),
        // A client's own register.
        at("/admin/oppdragsgivere/{id}/reservasjoner", ADMIN, Small).get(client_registers::page),
        at(
            "/admin/oppdragsgivere/{id}/reservasjoner/last-opp",
            ADMIN,
            Upload(UPLOAD_LIMIT),
        )
        .post(client_registers::upload),
        at("/admin/oppdragsgivere/{id}/reservasjoner/tom", ADMIN, Small)
            .post(client_registers::empty),
        at("/admin/api-nokler", ADMIN, Small)
            .get(tokens::page)
            .post(tokens::create),
        at("/admin/api-nokler/{id}/tilbakekall", ADMIN, Small).post(tokens::revoke),
        at("/admin/logg", ADMIN, Small).get(audit::page),
        // Retention (norm 8.2.1), legal holds, access and erasure requests (norm 7, 8.2.1 d).
        at("/admin/oppbevaring", ADMIN, Small)
            .get(privacy::retention_page)
            .post(privacy::retention_save),
        at("/admin/saker/{reference}/hold", ADMIN, Small).post(privacy::hold),
        at("/admin/saker/{reference}/slipp", ADMIN, Small).post(privacy::release),
        at("/admin/personopplysninger", ADMIN, Small).get(privacy::subject_page),
        at("/admin/personopplysninger/eksport", ADMIN, Small).get(privacy::subject_export),
        at("/admin/personopplysninger/slett", ADMIN, Small).post(privacy::subject_erase),
        // ----- The dialer's API (norm 4.2 i, 4.4.4, 4.6.3) -----
        // May a private person be called at `at`? Open, under the lookup limit.
        at("/api/v1/call-window", Public, Stream)
            .get(dialer::call_window)
            .limit(LookupJson),
        // A calling list in, a verdict per number out, both streamed.
        at("/api/v1/wash", ApiToken, Stream).post(dialer::wash),
        // Abandoned calls (the handler reads at most 4 MiB).
        at("/api/v1/abandoned", ApiToken, Stream).post(dialer::abandoned),
        // ----- The statistics API -----
        at("/api/v1/stats/daily", ApiToken, AxumDefault).post(api_stats::daily),
        at("/api/v1/stats", ApiToken, AxumDefault).get(api_stats::export),
        // ----- Provider webhooks: Twilio voice and SMS, inbound e-mail -----
        at("/webhooks/twilio/voice", TwilioSignature, Twilio).post(webhooks::voice),
        at("/webhooks/twilio/voice/meny", TwilioSignature, Twilio).post(webhooks::menu),
        at("/webhooks/twilio/voice/recording", TwilioSignature, Twilio).post(webhooks::recording),
        at(
            "/webhooks/twilio/voice/transcription",
            TwilioSignature,
            Twilio,
        )
        .post(webhooks::transcription),
        at("/webhooks/twilio/sms", TwilioSignature, Twilio).post(webhooks::sms),
        // Delivery reports (`sms::STATUS_CALLBACK_PATH`).
        at("/webhooks/twilio/sms/status", TwilioSignature, Twilio).post(webhooks::sms_status),
        at("/webhooks/email", MailSecret, Mail).post(webhooks::email),
    ]
}

/// The app: every route of [`table`] with its layers, then the layers every
/// answer gets (outermost last).
pub fn router(state: AppState) -> Router {
    let sessions = auth::session_layer(&state);
    let routes = table().into_iter().fold(Router::new(), |app, route| {
        app.merge(wire(route, &state, &sessions))
    });
    routes
        .fallback(mw::error_pages::fallback)
        .layer(from_fn_with_state(state.clone(), csrf::protect))
        // A handler's panic becomes a 500 the error-page layer draws.
        .layer(catch_panic())
        // Every error page, public or back office, drawn once, in one place.
        .layer(from_fn_with_state(state.clone(), mw::error_pages::render_errors))
        .layer(axum::middleware::from_fn(mw::remember_lang))
        // A panic in the layers above becomes a logged 500 too, not a
        // dropped connection.
        .layer(catch_panic())
        .layer(axum::middleware::from_fn(mw::no_store))
        .layer(from_fn_with_state(state.clone(), mw::hsts))
        .layer(security_header(
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ))
        .layer(security_header(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "same-origin"))
        .layer(
            // Log the path only: query strings carry phone numbers.
            // A failed request is logged where it fails (`AppError`, with its
            // error id); a 503 from `/readyz` while the registers load is
            // expected, not an error worth an ERROR line per probe.
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
                })
                .on_failure(
                    tower_http::trace::DefaultOnFailure::new().level(tracing::Level::DEBUG),
                ),
        )
        .with_state(state)
}

/// One route with the layers its gate, rate limit and body class call for,
/// innermost first: the gate, the rate limit, an upload's own limit, the
/// staff session, then how the body is read.
fn wire(
    route: Route,
    state: &AppState,
    sessions: &SessionManagerLayer<DbSessionStore>,
) -> Router<AppState> {
    let timeouts = state.config.http;
    let mut r = Router::new().route(route.path, route.handler);
    // Gates and rate limits run for the methods the route has (`route_layer`:
    // a 405 answers ungated, as a 404 does).
    r = match route.gate {
        Gate::Staff(Role::Handler) => {
            r.route_layer(from_fn_with_state(state.clone(), auth::require_handler))
        }
        Gate::Staff(Role::Manager) => {
            r.route_layer(from_fn_with_state(state.clone(), auth::require_manager))
        }
        Gate::Staff(Role::Admin) => {
            r.route_layer(from_fn_with_state(state.clone(), auth::require_admin))
        }
        Gate::TwilioSignature => r.route_layer(from_fn_with_state(
            state.clone(),
            auth::twilio::verify_twilio,
        )),
        // The token and the mail secret are checked by the handlers.
        Gate::Public | Gate::SignIn | Gate::ApiToken | Gate::MailSecret => r,
    };
    r = match route.limit {
        Some(RateLimit::Lookup) => {
            r.route_layer(from_fn_with_state(state.clone(), ratelimit::limit_lookup))
        }
        Some(RateLimit::LookupJson) => r.route_layer(from_fn_with_state(
            state.clone(),
            ratelimit::limit_lookup_json,
        )),
        Some(RateLimit::Forms) => {
            r.route_layer(from_fn_with_state(state.clone(), ratelimit::limit_forms))
        }
        None => r,
    };
    let session = matches!(route.gate, Gate::SignIn | Gate::Staff(_));
    match route.body {
        BodyClass::Small => {
            if session {
                r = r.layer(sessions.clone());
            }
            r.layer(from_fn_with_state(
                (timeouts.body, MAX_BODY_BYTES),
                mw::read_body_within,
            ))
            .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        }
        BodyClass::Upload(limit) => {
            r = r
                .layer(RequestBodyLimitLayer::new(limit))
                .layer(DefaultBodyLimit::disable());
            if session {
                r = r.layer(sessions.clone());
            }
            r.layer(RequestBodyTimeoutLayer::new(timeouts.upload_idle))
        }
        BodyClass::Stream => r.layer(RequestBodyTimeoutLayer::new(timeouts.upload_idle)),
        BodyClass::Twilio => r.layer(from_fn_with_state(
            (timeouts.body, auth::twilio::MAX_TWILIO_BODY),
            mw::read_body_within,
        )),
        BodyClass::Mail => r.layer(from_fn_with_state(
            (timeouts.body, crate::domain::inbound::mail::MAX_MAIL_BYTES),
            mw::read_body_within,
        )),
        BodyClass::AxumDefault => r,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn each_method_and_path_is_declared_once_and_every_route_has_a_method() {
        let mut seen = HashSet::new();
        for r in table() {
            assert!(!r.methods.is_empty(), "{} has no method", r.path);
            for m in &r.methods {
                assert!(seen.insert((m.clone(), r.path)), "{m} {} twice", r.path);
            }
        }
    }

    #[test]
    fn the_gates_match_the_areas_the_other_layers_rely_on() {
        for r in table() {
            let p = r.path;
            // CSRF is skipped under /api/ and /webhooks/, the back office's
            // no-store and error pages key on /admin: each area keeps its gates.
            if p == "/admin" || p.starts_with("/admin/") {
                assert!(
                    matches!(r.gate, Gate::SignIn | Gate::Staff(_)),
                    "{p}: {:?}",
                    r.gate
                );
            } else if p.starts_with("/api/") {
                assert!(matches!(r.gate, Gate::Public | Gate::ApiToken), "{p}");
            } else if p.starts_with("/webhooks/twilio/") {
                assert_eq!(r.gate, Gate::TwilioSignature, "{p}");
                assert_eq!(r.body, BodyClass::Twilio, "{p}");
            } else if p.starts_with("/webhooks/") {
                assert_eq!(r.gate, Gate::MailSecret, "{p}");
            } else {
                assert_eq!(r.gate, Gate::Public, "{p}");
            }
            if let BodyClass::Upload(_) = r.body {
                assert!(
                    matches!(r.gate, Gate::Staff(_)),
                    "{p}: uploads are staff only"
                );
            }
        }
    }

    #[test]
    fn the_paths_named_elsewhere_are_in_the_table() {
        let paths: Vec<&str> = table().iter().map(|r| r.path).collect();
        for p in [
            auth::PASSWORD_PATH,
            crate::sms::STATUS_CALLBACK_PATH,
            "/webhooks/twilio/voice",
        ] {
            assert!(paths.contains(&p), "{p}");
        }
    }
}
