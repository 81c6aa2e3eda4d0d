//! `innsyn ingest-mail`: file one raw message read from standard input (an
//! MTA pipe). Exit 0 filed or ignored, 65 refused, 75 try later.

use std::io::Read;

use chrono::Utc;
use innsyn::config::Config;
use innsyn::domain::inbound::mail::{self, MailError};

pub async fn run(config: Config) -> anyhow::Result<()> {
    let db = super::ready_db(&config).await?;
    let mut raw = Vec::new();
    std::io::stdin()
        .take(mail::MAX_MAIL_BYTES as u64 + 1)
        .read_to_end(&mut raw)?;
    match mail::ingest(&db, &config.case_reference_prefix, &raw, Utc::now()).await {
        Ok(o) => {
            println!("{}", o.to_json());
            Ok(())
        }
        Err(MailError::Db(e)) => {
            eprintln!("innsyn: database error, try again later: {e}");
            std::process::exit(75)
        }
        Err(e) => {
            eprintln!("innsyn: message refused: {e}");
            std::process::exit(65)
        }
    }
}
