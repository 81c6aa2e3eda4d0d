//! One module per command of the `innsyn` command line (`main.rs` holds the
//! clap definitions and dispatches here). `serve` and `bench` go straight
//! to `innsyn::app` and `innsyn::bench`.

pub mod create_user;
pub mod import_client_register;
pub mod import_national_register;
pub mod ingest_mail;
pub mod migrate;
pub mod reindex;
pub mod retention;
pub mod seed_demo;
pub mod tokens;
pub mod verify_receipt;
pub mod worker;

use innsyn::config::Config;
use innsyn::state::AppState;

/// The database, its schema checked (or migrated, on SQLite).
pub async fn ready_db(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = innsyn::app::connect(config).await?;
    innsyn::app::ensure_schema(&db, config).await?;
    Ok(db)
}

/// What the jobs and commands that act like the server need.
pub async fn ready_state(config: Config) -> anyhow::Result<AppState> {
    let db = ready_db(&config).await?;
    AppState::new(db, config, std::sync::Arc::new(innsyn::clock::SystemClock))
}
