//! What the in-process page benches share: their own database, a staff
//! sign-in through the real form, and timing a page.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use chrono::{DateTime, Utc};
use entity::enums::Role;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tower::ServiceExt;

use crate::config::Config;
use crate::domain::{email::EmailAddress, staff::users};

/// Which database a bench runs on (`--backend`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// SQLite, then PostgreSQL.
    Both,
}

impl Backend {
    /// The backends to run, in order.
    pub fn each(self) -> &'static [Backend] {
        match self {
            Backend::Sqlite => &[Backend::Sqlite],
            Backend::Postgres => &[Backend::Postgres],
            Backend::Both => &[Backend::Sqlite, Backend::Postgres],
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::Both => "both",
        }
    }
}

/// Where a fresh PostgreSQL bench database is created: the server of
/// `DATABASE_URL` when that is PostgreSQL, else `PG_ADMIN_URL`, else the
/// local server (`postgres://postgres@127.0.0.1:5432/postgres`).
fn pg_admin_url(config: &Config) -> String {
    if !config.is_sqlite() {
        return config.database_url.clone();
    }
    std::env::var("PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The bench's database: `DATABASE_URL` when it is set to something other
/// than the default, else a temporary SQLite file removed by [`BenchDb::close`];
/// or, by [`BenchDb::fresh`], a new database of the backend asked for.
pub(super) struct BenchDb {
    pub db: DatabaseConnection,
    tmp: Option<PathBuf>,
    /// A PostgreSQL database this bench created: (admin URL, name), dropped
    /// by [`BenchDb::close`].
    pg: Option<(String, String)>,
}

/// Runs `bench` on the databases asked for: `None` is `DATABASE_URL` (or a
/// temporary SQLite file when it is the default); a backend is a fresh
/// database of each kind it names, dropped afterwards. Stops at the first
/// error, after removing that database.
pub async fn on_databases(
    config: Config,
    backend: Option<Backend>,
    mut bench: impl AsyncFnMut(&BenchDb, Config) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let Some(b) = backend else {
        let mut config = config;
        let bench_db = BenchDb::open(&mut config).await?;
        let r = bench(&bench_db, config).await;
        bench_db.close().await;
        return r;
    };
    for &b in b.each() {
        let mut config = config.clone();
        let bench_db = BenchDb::fresh(&mut config, b).await?;
        println!("{}:", b.name());
        let r = bench(&bench_db, config).await;
        bench_db.close().await;
        r?;
    }
    Ok(())
}

impl BenchDb {
    /// Connects and migrates; raises the rate limits out of the way.
    pub async fn open(config: &mut Config) -> anyhow::Result<Self> {
        let mut tmp = None;
        if config.database_url == crate::config::DEFAULT_DATABASE_URL {
            let path =
                std::env::temp_dir().join(format!("innsyn-bench-{}.db", uuid::Uuid::new_v4()));
            config.database_url = format!("sqlite://{}?mode=rwc", path.display());
            tmp = Some(path);
        }
        Self::connect(config, tmp, None).await
    }

    /// A new, empty database on `backend` (a temporary SQLite file, or a
    /// PostgreSQL database created for the run), whatever `DATABASE_URL` says.
    pub async fn fresh(config: &mut Config, backend: Backend) -> anyhow::Result<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Postgres => {
                let admin = pg_admin_url(config);
                let name = format!("innsyn_bench_{}", &id[..12]);
                let conn = sea_orm::Database::connect(admin.as_str()).await?;
                conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                conn.close().await.ok();
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .ok_or_else(|| anyhow::anyhow!("PostgreSQL URL without a database"))?;
                config.database_url = format!("{base}/{name}");
                Self::connect(config, None, Some((admin, name))).await
            }
            _ => {
                let path = std::env::temp_dir().join(format!("innsyn-bench-{id}.db"));
                config.database_url = format!("sqlite://{}?mode=rwc", path.display());
                Self::connect(config, Some(path), None).await
            }
        }
    }

    async fn connect(
        config: &mut Config,
        tmp: Option<PathBuf>,
        pg: Option<(String, String)>,
    ) -> anyhow::Result<Self> {
        config.rate_limit_forms_per_minute = 1_000_000_000;
        config.rate_limit_lookup_per_minute = 1_000_000_000;
        let db = crate::app::connect(config).await?;
        <migration::Migrator as migration::MigratorTrait>::up(&db, None).await?;
        Ok(Self { db, tmp, pg })
    }

    /// Closes the connection and removes a temporary database.
    pub async fn close(self) {
        self.db.close().await.ok();
        if let Some(path) = self.tmp {
            for s in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{s}", path.display()));
            }
        }
        if let Some((admin, name)) = self.pg
            && let Ok(conn) = sea_orm::Database::connect(admin.as_str()).await
        {
            let _ = conn
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
            conn.close().await.ok();
        }
    }
}

const EMAIL: &str = "bench@innsyn.local";
const PASSWORD: &str = "bench-password-123";
const CSRF: &str = "benchbenchbenchbenchbenchbenchbenchbenchben";

/// Creates a handler user; [`sign_in`] then signs them in.
pub(super) async fn create_handler(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let email = EmailAddress::parse(EMAIL).map_err(|_| anyhow::anyhow!("email"))?;
    users::create_user(db, &email, Role::Handler, Some(PASSWORD), now).await?;
    Ok(())
}

/// Signs the handler in through the real form; returns the `Cookie` header
/// value (session and CSRF) for the pages that follow.
pub(super) async fn sign_in(app: &Router) -> anyhow::Result<String> {
    let login = Request::post("/admin/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("innsyn_csrf={CSRF}"))
        .body(Body::from(format!(
            "epost=bench%40innsyn.local&passord={PASSWORD}&csrf_token={CSRF}"
        )))?;
    let resp = app.clone().oneshot(login).await?;
    let session = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("innsyn_session="))
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("bench sign-in failed: {}", resp.status()))?
        .to_string();
    Ok(format!("{session}; innsyn_csrf={CSRF}"))
}

/// Server time of `rounds` GETs of `path`, read to the end; prints the
/// median, p95 and maximum after `label`.
pub(super) async fn time_page(
    app: &Router,
    cookie: &str,
    path: &str,
    rounds: usize,
    label: &str,
) -> anyhow::Result<()> {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let req = Request::get(path)
            .header(header::COOKIE, cookie)
            .body(Body::empty())?;
        let t = Instant::now();
        let resp = app.clone().oneshot(req).await?;
        let status = resp.status();
        let _ = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
        times.push(t.elapsed());
        anyhow::ensure!(status.is_success(), "{path} answered {status}");
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label} median {:8.2} ms   p95 {:8.2} ms   max {:8.2} ms   ({rounds} requests)",
        ms(times[rounds / 2]),
        ms(times[rounds * 95 / 100]),
        ms(times[rounds - 1]),
    );
    Ok(())
}
