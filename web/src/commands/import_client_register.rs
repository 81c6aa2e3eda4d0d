//! `innsyn import-client-register`: a client's own reservation register from
//! CSV on standard input.

use chrono::Utc;
use innsyn::config::Config;

pub async fn run(config: Config, client: i32) -> anyhow::Result<()> {
    let db = super::ready_db(&config).await?;
    let stdin = std::io::stdin().lock();
    let r =
        innsyn::domain::dialer::registers::import_client_register(&db, client, stdin, Utc::now())
            .await?;
    println!(
        "client {client}: {} added, {} already present, {} invalid line(s)",
        r.added,
        r.already_present,
        r.invalid_lines.len()
    );
    if !r.invalid_lines.is_empty() {
        let shown: Vec<String> = r
            .invalid_lines
            .iter()
            .take(20)
            .map(u64::to_string)
            .collect();
        println!(
            "invalid lines: {}{}",
            shown.join(", "),
            if r.invalid_lines.len() > 20 {
                ", ..."
            } else {
                ""
            }
        );
    }
    Ok(())
}
