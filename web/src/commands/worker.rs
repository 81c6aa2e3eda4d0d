//! `innsyn worker`: the scheduled jobs without serving pages.

use innsyn::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let state = super::ready_state(config).await?;
    let jobs = innsyn::jobs::spawn_all(state);
    println!("innsyn worker running; Ctrl-C or SIGTERM stops it");
    innsyn::app::stop_signal().await;
    jobs.shutdown().await;
    Ok(())
}
