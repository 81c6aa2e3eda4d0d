//! `innsyn reindex`: rebuild the Meilisearch indexes from the database.

use innsyn::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    if config.meili.is_none() {
        println!("MEILI_URL is not set: search runs on the database, there is no index to rebuild");
        return Ok(());
    }
    let state = super::ready_state(config).await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)")?
            .progress_chars("=> "),
    );
    bar.set_message("cases");
    let (cases, clients) = innsyn::jobs::search_index::reindex(&state, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    println!("reindexed {cases} case(s) and {clients} public client(s); settings applied");
    Ok(())
}
