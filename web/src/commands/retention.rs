//! `innsyn retention run`: the retention purge (norm 8.2), or with
//! `--dry-run` what it would delete.

use chrono::{NaiveDate, Utc};
use innsyn::config::Config;
use innsyn::domain::privacy::retention;

pub async fn run(config: Config, dry_run: bool, as_of: Option<NaiveDate>) -> anyhow::Result<()> {
    let db = super::ready_db(&config).await?;
    let now = Utc::now();
    let today = innsyn::domain::time::oslo_today(now);
    let as_of = as_of.unwrap_or(today);
    if !dry_run && as_of > today {
        anyhow::bail!("--as-of in the future is only for --dry-run: nothing was deleted");
    }
    let (counts, failures) = if dry_run {
        let p = retention::policy(&db).await?;
        let days = config.abandoned_agent_required_days;
        (
            retention::preview(&db, &p, as_of, days).await?,
            Default::default(),
        )
    } else {
        let twilio = innsyn::sms::Twilio::new(config.twilio_settings())?;
        let opts = retention::RunOptions::new(config.abandoned_agent_required_days);
        let r = retention::run(&db, &twilio, as_of, now, opts).await?;
        (r.counts, r.failures)
    };
    println!(
        "{} as of {as_of}:",
        if dry_run { "would delete" } else { "deleted" }
    );
    for (kind, c) in &counts {
        match c.oldest {
            Some(d) if dry_run => println!("  {kind:16} {:>8}  oldest {d}", c.count),
            _ => println!("  {kind:16} {:>8}", c.count),
        }
    }
    if !failures.is_empty() {
        for (kind, why) in &failures {
            eprintln!("  {kind}: not finished: {why}");
        }
        anyhow::bail!("some kinds were not purged; the next run retries them");
    }
    Ok(())
}
