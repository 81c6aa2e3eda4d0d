//! `innsyn worker`: the scheduled jobs without serving pages.

use innsyn::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let state = super::ready_state(config).await?;
    let jobs = innsyn::jobs::spawn_all(state);
    let stop = innsyn::app::stop_signal();
    println!("innsyn worker running; Ctrl-C or SIGTERM stops it");
    stop.await;
    jobs.shutdown().await;
    Ok(())
}
