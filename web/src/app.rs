//! Start-up: connect, migrate, build the state, serve.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::Utc;
use entity::enums::Role;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::domain::{email::EmailAddress, users};
use crate::state::AppState;

pub use crate::db::connect;

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
    if run_jobs {
        crate::jobs::spawn_all(state.clone());
    }
    // Load the reservation register into memory now, so the first wash does
    // not wait for it.
    let warm = state.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.registers.centre(&warm.db).await {
            tracing::warn!(error = %e, "could not preload the reservation register");
        }
    });
    let app = crate::routes::router(state);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!(%bind, "innsyn listening");
    println!("innsyn is running at http://{bind}/");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
