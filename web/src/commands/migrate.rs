//! `innsyn migrate`: apply pending migrations (the deploy step on PostgreSQL).

use innsyn::config::Config;
use migration::{Migrator, MigratorTrait};

pub async fn run(config: Config) -> anyhow::Result<()> {
    let db = innsyn::app::connect(&config).await?;
    Migrator::up(&db, None).await?;
    println!("migrations applied");
    Ok(())
}
