//! `innsyn import-national-register`: a whole copy of the national
//! reservation register (Reservasjonsregisteret) from a file or standard
//! input, replacing the copy in use atomically, with a progress bar.

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use innsyn::config::Config;
use innsyn::domain::dialer::national::{self, Progress};
use innsyn::domain::privacy::audit::Actor;

pub async fn run(
    config: Config,
    extract_date: NaiveDate,
    file: Option<PathBuf>,
) -> anyhow::Result<()> {
    let db = super::ready_db(&config).await?;
    let (input, len): (Box<dyn Read + Send>, Option<u64>) = match &file {
        Some(p) => {
            let f = std::fs::File::open(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            let len = f.metadata().ok().map(|m| m.len());
            (Box::new(f), len)
        }
        None => (Box::new(std::io::stdin()), None),
    };
    let bar = match len {
        Some(n) => ProgressBar::new(n).with_style(ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {msg} ({eta})",
        )?),
        None => ProgressBar::new_spinner()
            .with_style(ProgressStyle::with_template("{spinner} {bytes} {msg}")?),
    };
    let started = Instant::now();
    let b = bar.clone();
    let mut progress = move |p: Progress| {
        b.set_position(p.bytes);
        b.set_message(format!("{} numbers", p.numbers));
    };
    let actor = Actor {
        id: None,
        email: Some("command line".into()),
    };
    let r = national::import(
        &db,
        extract_date,
        input,
        &actor,
        "command line",
        Utc::now(),
        &mut progress,
    )
    .await;
    bar.finish_and_clear();
    let r = r?;
    println!(
        "national register extracted {extract_date}: {} numbers imported in {:.1} s (copy {}, sha256 {}), {} invalid line(s)",
        r.count,
        started.elapsed().as_secs_f64(),
        r.version_id,
        r.checksum,
        r.invalid_count
    );
    if !r.invalid_lines.is_empty() {
        let shown: Vec<String> = r
            .invalid_lines
            .iter()
            .take(20)
            .map(u64::to_string)
            .collect();
        println!(
            "invalid lines (not a Norwegian number): {}{}",
            shown.join(", "),
            if r.invalid_count > 20 { ", ..." } else { "" }
        );
    }
    Ok(())
}
