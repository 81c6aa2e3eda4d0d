//! `innsyn seed-demo`: fill the database with a believable demo centre.

use chrono::Utc;
use innsyn::config::Config;

pub async fn run(config: Config, minimal: bool) -> anyhow::Result<()> {
    let db = super::ready_db(&config).await?;
    let created = innsyn::seed::seed_demo(&db, Utc::now()).await?;
    // The figures and cases go in once, on a database with no cases yet.
    if !minimal {
        innsyn::seed_showcase::seed(&db, Utc::now()).await?;
    }
    println!(
        "{}",
        if created {
            "demo data created"
        } else {
            "demo data already present"
        }
    );
    Ok(())
}
