//! `innsyn create-token` and `innsyn revoke-token`: the dialer's API tokens.

use chrono::Utc;
use innsyn::config::Config;
use innsyn::domain::dialer::api_tokens;

/// Creates a token and prints it once (only its hash is stored).
pub async fn create(config: Config, name: String) -> anyhow::Result<()> {
    if name.trim().is_empty() {
        anyhow::bail!("--name: give the token a name, e.g. dialer-prod");
    }
    let db = super::ready_db(&config).await?;
    let (row, token) = api_tokens::create(&db, &name, Utc::now()).await?;
    println!(
        "created API token {} ({}); it is shown only now:",
        row.id, row.name
    );
    println!("{token}");
    Ok(())
}

/// Revokes token `id`.
pub async fn revoke(config: Config, id: i32) -> anyhow::Result<()> {
    let db = super::ready_db(&config).await?;
    if api_tokens::revoke(&db, id, Utc::now()).await? {
        println!("revoked API token {id}");
        Ok(())
    } else {
        anyhow::bail!("no live API token with id {id}")
    }
}
