//! `innsyn verify-receipt FILE`: checks a wash receipt's signature against
//! the keys kept by id in the database.

use std::path::PathBuf;

use innsyn::config::Config;
use innsyn::domain::dialer::receipts::{self, Verified};

pub async fn run(config: Config, file: PathBuf) -> anyhow::Result<()> {
    let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let db = super::ready_db(&config).await?;
    match receipts::verify(&db, &bytes).await? {
        Verified::Valid { key_id } => {
            println!("valid: signed with key {key_id}");
            Ok(())
        }
        Verified::Malformed => anyhow::bail!(
            "not a receipt: expected {{\"receipt\": ..., \"key_id\": ..., \"signature\": ...}}"
        ),
        Verified::UnknownKey(id) => anyhow::bail!("not valid: no key with id {id} is kept here"),
        Verified::BadSignature => {
            anyhow::bail!("not valid: the signature does not match the receipt (it was changed)")
        }
    }
}
