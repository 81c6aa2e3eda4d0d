//! Test harness: every test gets a fresh, migrated database (a copy of a
//! template migrated once per test process: a temporary SQLite file, or a
//! PostgreSQL database made with `CREATE DATABASE ... TEMPLATE`; removed
//! afterwards, also when the test panics), a real SMTP listener on loopback,
//! a frozen clock, and drives the router in-process.

pub mod dialer;
pub mod http;
pub mod meili;
pub mod rows;
pub mod smtp;
pub mod twilio;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use innsyn::clock::FrozenClock;
use innsyn::config::Config;
use innsyn::state::AppState;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tokio::sync::OnceCell;
use tower::ServiceExt;

pub use smtp::SmtpSink;
pub use twilio::TwilioStandIn;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A CSRF token the tests present in both cookie and form.
pub const CSRF: &str = "testtokentesttokentesttokentesttokentesttok";

/// Today in Oslo by the app's frozen clock.
pub fn today(app: &TestApp) -> NaiveDate {
    innsyn::domain::time::oslo_today(app.clock_now())
}

/// Wednesday 18 November 2026, 10:00 UTC (11:00 in Oslo): a working day.
pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 10, 0, 0).unwrap()
}

pub struct TestApp {
    #[allow(dead_code)]
    pub backend: Backend,
    pub state: AppState,
    pub db: DatabaseConnection,
    pub clock: FrozenClock,
    pub smtp: SmtpSink,
    pub twilio: TwilioStandIn,
    router: Router,
}

fn pg_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn pg_url_for(db: &str) -> String {
    let base = pg_admin_url();
    let cut = base
        .rfind('/')
        .expect("TEST_POSTGRES_URL has a database path");
    format!("{}/{db}", &base[..cut])
}

fn new_name() -> String {
    format!("innsyn_test_{}", uuid::Uuid::new_v4().simple())
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

async fn pg_admin() -> DatabaseConnection {
    Database::connect(pg_admin_url())
        .await
        .expect("PostgreSQL must be running at TEST_POSTGRES_URL (see README)")
}

/// A fresh, empty (unmigrated) database; returns its URL and a clean-up token.
pub async fn fresh_database(backend: Backend) -> (String, Cleanup) {
    let name = new_name();
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            (sqlite_url(&path), Cleanup::sqlite(path))
        }
        Backend::Postgres => {
            let admin = pg_admin().await;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            (pg_url_for(&name), Cleanup::postgres(name))
        }
    }
}

/// A fresh database with every migration applied: a copy of this test
/// process's template, which is migrated once (the first test to ask builds
/// it, the others wait). Copying is much faster than migrating, above all
/// on PostgreSQL.
pub async fn migrated_database(backend: Backend) -> (String, Cleanup) {
    let template = template(backend).await;
    let name = new_name();
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            let cleanup = Cleanup::sqlite(path.clone());
            std::fs::copy(template, &path).expect("copy the SQLite template");
            (sqlite_url(&path), cleanup)
        }
        Backend::Postgres => {
            let admin = pg_admin().await;
            let sql = format!("CREATE DATABASE {name} TEMPLATE {template}");
            // Nothing stays connected to the template, but PostgreSQL
            // refuses a copy while any session is on it: retry briefly.
            let mut tries = 0;
            while let Err(e) = admin.execute_unprepared(&sql).await {
                tries += 1;
                assert!(
                    tries < 50 && e.to_string().contains("being accessed by other users"),
                    "create test database from the template: {e}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            admin.close().await.ok();
            (pg_url_for(&name), Cleanup::postgres(name))
        }
    }
}

/// The migrated template of this process, per backend: a PostgreSQL
/// database name or a SQLite file. Named after the process id, so test
/// processes running at once each have their own; templates of processes
/// that are gone are removed when the next one is made.
async fn template(backend: Backend) -> &'static str {
    static SQLITE: OnceCell<String> = OnceCell::const_new();
    static POSTGRES: OnceCell<String> = OnceCell::const_new();
    let name = format!("{TEMPLATE_PREFIX}{}", std::process::id());
    match backend {
        Backend::Sqlite => SQLITE.get_or_init(|| sqlite_template(name)).await,
        Backend::Postgres => POSTGRES.get_or_init(|| postgres_template(name)).await,
    }
}

const TEMPLATE_PREFIX: &str = "innsyn_template_";

/// Whether a template name's process is gone (its file or database is
/// then left over from a test run that ended).
fn stale(template_name: &str) -> bool {
    template_name
        .strip_prefix(TEMPLATE_PREFIX)
        .and_then(|pid| pid.parse::<u32>().ok())
        .is_some_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        })
}

async fn migrate(url: &str) {
    let config = Config::from_source(&[("DATABASE_URL", url)]).expect("template config");
    let db = innsyn::app::connect(&config)
        .await
        .expect("connect template");
    Migrator::up(&db, None).await.expect("migrate template");
    if backend_of(url) == Backend::Sqlite {
        // Everything into the main file, which is what gets copied.
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .expect("checkpoint template");
    }
    db.close().await.expect("close template");
}

fn backend_of(url: &str) -> Backend {
    if url.starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

async fn sqlite_template(name: String) -> String {
    let dir = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            // `innsyn_template_<pid>.db` and its `-wal` and `-shm`.
            if file.split('.').next().is_some_and(stale) {
                let _ = std::fs::remove_file(dir.join(&file));
            }
        }
    }
    let path = dir.join(format!("{name}.db"));
    Cleanup::sqlite(path.clone()).remove_files();
    migrate(&sqlite_url(&path)).await;
    path.display().to_string()
}

async fn postgres_template(name: String) -> String {
    let admin = pg_admin().await;
    let existing: Vec<String> = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT datname FROM pg_database WHERE datname LIKE '{TEMPLATE_PREFIX}%'"),
        ))
        .await
        .expect("list templates")
        .into_iter()
        .filter_map(|r| r.try_get::<String>("", "datname").ok())
        .collect();
    for old in existing.iter().filter(|n| stale(n) || **n == name) {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {old} WITH (FORCE)"))
            .await;
    }
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create template database");
    admin.close().await.ok();
    migrate(&pg_url_for(&name)).await;
    name
}

/// Removes a test's database when dropped: at the end of the test, and
/// also when it panics (unwinding drops it). [`Cleanup::run`] does the same
/// at a point of the test's choosing.
pub struct Cleanup(Option<Target>);

enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Cleanup {
    fn sqlite(path: PathBuf) -> Cleanup {
        Cleanup(Some(Target::Sqlite(path)))
    }

    fn postgres(name: String) -> Cleanup {
        Cleanup(Some(Target::Postgres(name)))
    }

    fn remove_files(&self) {
        if let Some(Target::Sqlite(p)) = &self.0 {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
            }
        }
    }

    async fn drop_database(name: &str) {
        if let Ok(admin) = Database::connect(pg_admin_url()).await {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
            admin.close().await.ok();
        }
    }

    pub async fn run(mut self) {
        self.remove_files();
        if let Some(Target::Postgres(name)) = self.0.take() {
            Self::drop_database(&name).await;
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.remove_files();
        if let Some(Target::Postgres(name)) = self.0.take() {
            // Drop may run inside the test's runtime (which must not
            // block on itself) or while unwinding: a thread of its own with
            // its own runtime drops the database.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(Self::drop_database(&name));
                }
            })
            .join();
        }
    }
}

/// Options a test may change before the app is built.
pub type Configure = fn(&mut Config);

pub async fn run<F, Fut>(backend: Backend, f: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_with(backend, |_| {}, f).await
}

pub async fn run_with<F, Fut>(backend: Backend, configure: Configure, f: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (url, cleanup) = migrated_database(backend).await;
    let smtp = SmtpSink::start().await;
    let twilio = TwilioStandIn::start().await;
    let twilio_base = twilio.base_url();
    let mut config = Config::from_source(&[
        ("TWILIO_ACCOUNT_SID", twilio::ACCOUNT_SID),
        ("TWILIO_AUTH_TOKEN", twilio::AUTH_TOKEN),
        ("TWILIO_SMS_FROM", twilio::SMS_FROM),
        ("TWILIO_API_BASE", twilio_base.as_str()),
        ("DATABASE_URL", url.as_str()),
        ("SMTP_URL", smtp.url().as_str()),
        (
            "MAIL_FROM",
            "Nordlys Kundedialog <kundeservice@nordlys.example>",
        ),
        ("RATE_LIMIT_LOOKUP_PER_MINUTE", "1000"),
        ("RATE_LIMIT_FORMS_PER_MINUTE", "1000"),
        ("INBOUND_EMAIL_TOKEN", INBOUND_EMAIL_TOKEN),
    ])
    .expect("test config");
    configure(&mut config);
    let app = build(backend, config, smtp, twilio, default_now()).await;
    let db = app.db.clone();
    let outcome = tokio::spawn(f(app)).await;
    db.close().await.ok();
    cleanup.run().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn build(
    backend: Backend,
    config: Config,
    smtp: SmtpSink,
    twilio: TwilioStandIn,
    now: DateTime<Utc>,
) -> TestApp {
    let db = innsyn::app::connect(&config).await.expect("connect");
    let clock = FrozenClock::at(now);
    let state = AppState::new(db.clone(), config, Arc::new(clock.clone())).expect("state");
    let router = innsyn::routes::router(state.clone())
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    TestApp {
        backend,
        state,
        db,
        clock,
        smtp,
        twilio,
        router,
    }
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn doc(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.body)
    }
    /// Text of the first element matching `sel`, whitespace collapsed.
    pub fn text(&self, sel: &str) -> Option<String> {
        let s = scraper::Selector::parse(sel).expect("selector");
        self.doc().select(&s).next().map(|e| {
            e.text()
                .collect::<Vec<_>>()
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
    }
    pub fn count(&self, sel: &str) -> usize {
        let s = scraper::Selector::parse(sel).expect("selector");
        self.doc().select(&s).count()
    }
    pub fn attr(&self, sel: &str, attr: &str) -> Option<String> {
        let s = scraper::Selector::parse(sel).expect("selector");
        self.doc()
            .select(&s)
            .next()
            .and_then(|e| e.value().attr(attr).map(str::to_string))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

impl TestApp {
    /// The router itself, for responses with binary bodies.
    pub fn raw_router(&self) -> Router {
        self.router.clone()
    }

    pub async fn send(&self, req: Request<Body>) -> TestResponse {
        let resp = self.router.clone().oneshot(req).await.expect("router");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        let mut b = Request::get(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// Posts a form the way a browser that loaded the page would: with the
    /// CSRF cookie and the matching hidden field.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", CSRF));
        self.post_form_raw(path, &all, Some(CSRF), &[]).await
    }

    pub async fn post_form_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        csrf_cookie: Option<&str>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut b = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = csrf_cookie {
            b = b.header("cookie", format!("innsyn_csrf={c}"));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// Creates a staff user with a known password and signs in through the
    /// login form; returns the session cookie (`innsyn_session=...`).
    pub async fn sign_in_as(&self, role: entity::enums::Role) -> String {
        let email = format!("{}@staff.example", format!("{role:?}").to_lowercase());
        let addr = innsyn::domain::email::EmailAddress::parse(&email).unwrap();
        if innsyn::domain::staff::users::create_user(
            &self.db,
            &addr,
            role,
            Some(STAFF_PASSWORD),
            self.clock_now(),
        )
        .await
        .is_err()
        {
            // Already there (a second sign-in in the same test).
        }
        let r = self
            .post_form(
                "/admin/login",
                &[("epost", &email), ("passord", STAFF_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, 303, "sign-in as {role:?}: {}", r.body);
        session_cookie(&r).expect("a session cookie at sign-in")
    }

    /// GET with a session cookie (and the CSRF cookie).
    pub async fn get_as(&self, path: &str, session: &str) -> TestResponse {
        self.get_with(
            path,
            &[("cookie", &format!("{session}; innsyn_csrf={CSRF}"))],
        )
        .await
    }

    /// A multipart form post as a signed-in user, the CSRF token in the
    /// query string (as the upload forms send it). Each part is
    /// (name, Some(file name) for a file, content).
    pub async fn post_multipart_as(
        &self,
        path: &str,
        session: &str,
        parts: &[(&str, Option<&str>, &str)],
    ) -> TestResponse {
        let boundary = "XXinnsynXX";
        let mut body = String::new();
        for (name, file, content) in parts {
            body.push_str(&format!("--{boundary}\r\n"));
            match file {
                Some(f) => body.push_str(&format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv\r\n\r\n"
                )),
                None => body.push_str(&format!(
                    "Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                )),
            }
            body.push_str(content);
            body.push_str("\r\n");
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let sep = if path.contains('?') { '&' } else { '?' };
        let req = Request::post(format!("{path}{sep}csrf_token={CSRF}"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("cookie", format!("{session}; innsyn_csrf={CSRF}"))
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// A form POST with a session cookie and the CSRF token.
    pub async fn post_as(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        session: &str,
    ) -> TestResponse {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", CSRF));
        let body = serde_urlencoded::to_string(&all).unwrap();
        let req = Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("{session}; innsyn_csrf={CSRF}"))
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// A POST signed exactly as Twilio signs it (public URL + sorted params).
    pub async fn twilio_post(&self, path: &str, params: &[(&str, &str)]) -> TestResponse {
        let url = format!("{}{path}", self.state.config.public_base_url);
        let owned: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let sig = innsyn::twilio_signature::sign(twilio::AUTH_TOKEN, &url, &owned);
        self.twilio_post_signed(path, params, Some(&sig)).await
    }

    pub async fn twilio_post_signed(
        &self,
        path: &str,
        params: &[(&str, &str)],
        signature: Option<&str>,
    ) -> TestResponse {
        let body = serde_urlencoded::to_string(params).unwrap();
        let mut b = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        if let Some(s) = signature {
            b = b.header("x-twilio-signature", s);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    pub async fn seed_demo(&self) {
        innsyn::seed::seed_demo(&self.db, self.clock_now())
            .await
            .expect("seed");
        // As `innsyn seed-demo` in another process: this instance checks
        // at its next request rather than a second later.
        self.state.catalogue.check_soon();
    }

    /// After a test wrote the catalogue (clients, campaigns, caller numbers,
    /// the centre) straight to the database: bumps its version as every
    /// write in the app does, and has this instance check at its next
    /// request (other instances see it within 2 seconds of their clock).
    #[allow(dead_code)]
    pub async fn catalogue_changed(&self) {
        innsyn::domain::catalogue::memory::bump(&self.db)
            .await
            .expect("bump the catalogue");
        self.state.catalogue_changed();
    }

    /// A second app instance on the same database, as a second `serve`
    /// process in production: its own connection pool, its own in-memory
    /// state (caches, jobs, rate limits) and its own frozen clock, starting
    /// at this instance's time. Mail and Twilio go to the same stand-ins.
    #[allow(dead_code)]
    pub async fn another_instance(&self) -> TestApp {
        build(
            self.backend,
            self.state.config.clone(),
            self.smtp.clone(),
            self.twilio.clone(),
            self.clock_now(),
        )
        .await
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use innsyn::clock::Clock;
        self.clock.now()
    }
}

pub const INBOUND_EMAIL_TOKEN: &str = "inbound-mail-secret-for-tests";

pub const STAFF_PASSWORD: &str = "correct horse battery staple";

/// The `innsyn_session=...` pair a response sets, if any.
pub fn session_cookie(r: &TestResponse) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("innsyn_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

/// Declares one test that runs on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! dual {
    ($name:ident, $f:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::support::run($crate::support::Backend::Sqlite, $f).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::support::run($crate::support::Backend::Postgres, $f).await
            }
        }
    };
    ($name:ident, configure = $c:expr, $f:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::support::run_with($crate::support::Backend::Sqlite, $c, $f).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::support::run_with($crate::support::Backend::Postgres, $c, $f).await
            }
        }
    };
}
