//! `innsyn worker`: the scheduled jobs without serving pages.

use innsyn::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let state = super::ready_state(config).await?;
    let jobs = innsyn::jobs::spawn_all(state);
    println!("innsyn worker running; Ctrl-C stops it");
    tokio::signal::ctrl_c().await?;
    jobs.shutdown().await;
    Ok(())
}
