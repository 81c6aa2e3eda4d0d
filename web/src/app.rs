//! Start-up: connect, migrate, build the state, serve.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::Utc;
use entity::enums::Role;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

use crate::clock::SystemClock;
use crate::config::{Config, HttpTimeouts};
use crate::domain::{email::EmailAddress, staff::users};
use crate::state::AppState;

/// Opens the configured database (`DATABASE_URL`).
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    crate::db::connect(&config.database_url).await
}

/// On SQLite `serve` migrates by itself; on PostgreSQL `innsyn migrate` is
/// the deploy step and an unmigrated schema stops the server.
pub async fn ensure_schema(db: &DatabaseConnection, config: &Config) -> anyhow::Result<()> {
    if config.is_sqlite() {
        Migrator::up(db, None).await?;
        return Ok(());
    }
    let pending = Migrator::get_pending_migrations(db).await?;
    if !pending.is_empty() {
        anyhow::bail!(
            "the PostgreSQL schema is not up to date ({} migration(s) pending): run `innsyn migrate` first",
            pending.len()
        );
    }
    Ok(())
}

/// Creates the first admin on an empty database and prints its one-time
/// password once, so a fresh install has a way in.
pub async fn bootstrap_admin(db: &DatabaseConnection, config: &Config) -> anyhow::Result<()> {
    if users::count(db).await? > 0 {
        return Ok(());
    }
    let email = EmailAddress::parse(&config.initial_admin_email)
        .or_else(|_| EmailAddress::parse("admin@innsyn.example"))
        .map_err(|_| anyhow::anyhow!("INITIAL_ADMIN_EMAIL is not an e-mail address"))?;
    let (u, pw) = users::create_user(db, &email, Role::Admin, None, Utc::now()).await?;
    if let Some(pw) = pw {
        // Printed to the console, not the log: a secret for the operator's eyes.
        println!(
            "\nFirst start: created admin user {} with one-time password: {pw}\n(it must be changed at first sign-in)\n",
            u.email
        );
    }
    Ok(())
}

pub async fn serve(config: Config, bind: SocketAddr, run_jobs: bool) -> anyhow::Result<()> {
    let db = connect(&config).await?;
    ensure_schema(&db, &config).await?;
    bootstrap_admin(&db, &config).await?;
    if config.smtp_url.is_none() {
        tracing::warn!("SMTP_URL is not set: e-mail is queued in the outbox and not sent");
    }
    let state = AppState::new(db, config, Arc::new(SystemClock))?;
    // The registers load in the background (`/readyz` says not ready until
    // they are), so the server answers `/healthz` at once.
    let jobs = crate::jobs::spawn_for_serve(state.clone(), run_jobs);
    // The public catalogue too, so the first lookup reads memory.
    let warm_catalogue = state.clone();
    tokio::spawn(async move {
        let s = warm_catalogue;
        if let Err(e) = s.catalogue.get(&s.db, s.clock.now()).await {
            tracing::warn!(error = %e, "could not preload the public catalogue");
        }
    });
    let timeouts = state.config.http;
    let app = crate::routes::router(state);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!(%bind, "innsyn listening");
    println!("innsyn is running at http://{bind}/");
    serve_on(listener, app, timeouts, stop_signal()).await?;
    // The washes and imports requests started, the outbox's sends in
    // flight, and the loops: each finishes and records what it did.
    jobs.shutdown().await;
    tracing::info!("innsyn stopped");
    Ok(())
}

/// Resolves at the first SIGTERM (what systemd, Docker and Kubernetes send
/// to stop a service) or SIGINT (Ctrl-C). The caller then stops accepting
/// work and lets what is in flight finish (see [`crate::jobs::Jobs::shutdown`]).
///
/// The handlers are installed when this is called, not when the future is
/// first polled: a signal that arrives in between is not lost (nor does it
/// kill the process with the default action).
pub fn stop_signal() -> impl std::future::Future<Output = ()> + Send {
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(term), Ok(int)) => Some((term, int)),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(
                    error = %e,
                    "cannot listen for SIGTERM; only Ctrl-C stops innsyn cleanly"
                );
                None
            }
        }
    };
    async move {
        #[cfg(unix)]
        if let Some((mut term, mut int)) = handlers {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            tracing::info!(
                signal = name,
                "stopping: no new work; finishing what is in flight"
            );
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!(
            signal = "SIGINT",
            "stopping: no new work; finishing what is in flight"
        );
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open
/// requests finish (at most 10 s).
///
/// `axum::serve` sets no header timeout, so a client that sends half a
/// request header holds its connection for ever. This loop uses hyper's
/// HTTP/1 connection with a timer: a header not in within
/// `timeouts.header`, or a keep-alive connection idle that long, is closed.
/// Body timeouts are layers in `routes` (they differ per route).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    timeouts: HttpTimeouts,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::Service;

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo::<SocketAddr>(peer));
                router.clone().call(req)
            });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                // Timeouts and clients that hang up: nothing to act on.
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(std::time::Duration::from_secs(10)) => {
            tracing::warn!("connections still open after 10 s: closing them");
        }
    }
    Ok(())
}
