//! `innsyn bench search`: server time of a search in the SLA queue with many
//! cases, each with a message: the database fallback (no `MEILI_URL`), or
//! Meilisearch after a reindex when `MEILI_URL` is set.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration as ChronoDuration, Utc};
use entity::enums::{CaseStatus, Channel, Direction};
use entity::{case, message};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::clock::SystemClock;
use crate::config::Config;
use crate::state::AppState;

const FIRST: [&str; 8] = [
    "Kari", "Øystein", "Åse", "Ola", "Ærlend", "Bjørn", "Sølvi", "Per",
];
const LAST: [&str; 8] = [
    "Nordmann",
    "Ødegård",
    "Aasen",
    "Hansen",
    "Bråten",
    "Løvås",
    "Berg",
    "Æsøy",
];
const TEXTS: [&str; 6] = [
    "Jeg har reservert meg i registeret, men dere ringte likevel om strømavtalen.",
    "Hvorfor ringer dere meg på kveldstid? Slutt med det.",
    "Jeg vil vite hvem som ga dere nummeret mitt.",
    "Selgeren var uhøflig og la på før jeg fikk spurt om navnet.",
    "Dere har ringt tre ganger i dag om et abonnement jeg ikke vil ha.",
    "Hvilken oppdragsgiver ringte meg fra dette nummeret?",
];

/// Builds `n` open cases with one message each and times the queue's search.
pub async fn run(mut config: Config, n: usize, rounds: usize) -> anyhow::Result<()> {
    let bench_db = super::harness::BenchDb::open(&mut config).await?;
    let db = bench_db.db.clone();
    println!(
        "building {n} open cases with a message each on {} ...",
        config.database_url.split(':').next().unwrap_or("")
    );
    let now = Utc::now();
    let started = Instant::now();
    let channels = [Channel::Web, Channel::Email, Channel::Sms];
    for chunk in (0..n).collect::<Vec<_>>().chunks(2_000) {
        let txn = crate::db::begin_write(&db).await?;
        let refs: Vec<String> = chunk.iter().map(|i| format!("S-2026-{i:07}")).collect();
        let rows = chunk.iter().map(|&i| {
            let received = now - ChronoDuration::seconds((i as i64 * 7919) % (36 * 3600));
            case::ActiveModel {
                reference: Set(format!("S-2026-{i:07}")),
                channel: Set(channels[i % channels.len()]),
                consumer_name: Set(Some(format!(
                    "{} {}{}",
                    FIRST[i % FIRST.len()],
                    LAST[(i / FIRST.len()) % LAST.len()],
                    i
                ))),
                consumer_phone: Set(Some(format!("+479{:07}", i % 10_000_000))),
                category: Set("unwanted_call".into()),
                status: Set(CaseStatus::Open),
                received_at: Set(received),
                due_at: Set(received + ChronoDuration::hours(24)),
                ..Default::default()
            }
        });
        case::Entity::insert_many(rows).exec(&txn).await?;
        let ids: Vec<(i32, String)> = case::Entity::find()
            .select_only()
            .columns([case::Column::Id, case::Column::Reference])
            .filter(case::Column::Reference.is_in(refs))
            .into_tuple()
            .all(&txn)
            .await?;
        let msgs = ids.into_iter().map(|(id, r)| {
            let i: usize = r[7..].parse().unwrap_or(0);
            message::ActiveModel {
                case_id: Set(id),
                direction: Set(Direction::Inbound),
                channel: Set(channels[i % channels.len()]),
                body: Set(format!("{} (henvendelse {i})", TEXTS[i % TEXTS.len()])),
                created_at: Set(now),
                ..Default::default()
            }
        });
        message::Entity::insert_many(msgs).exec(&txn).await?;
        txn.commit().await?;
    }
    if !config.is_sqlite() {
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    println!("built in {:.1} s", started.elapsed().as_secs_f64());
    super::harness::create_handler(&db, now).await?;
    let meili = config.meili.is_some();
    let state = AppState::new(db.clone(), config, Arc::new(SystemClock))?;
    if meili {
        let t = Instant::now();
        let (cases, _) = crate::jobs::search_index::reindex(&state, |_, _| {}).await?;
        println!(
            "Meilisearch: {cases} cases reindexed in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let app = crate::routes::router(state).layer(axum::extract::connect_info::MockConnectInfo(
        std::net::SocketAddr::from(([127, 0, 0, 1], 1)),
    ));
    let cookie = super::harness::sign_in(&app).await?;
    println!(
        "search backend: {}",
        if meili { "Meilisearch" } else { "database" }
    );
    for q in [
        "kveldstid",      // a word of a message
        "ØDEGÅRD",        // a name, upper case with æøå
        "bråten4242",     // one name, one case
        "912 34 567",     // a phone number, another written form
        "S-2026-0042424", // a reference
        "xyzzy",          // nothing matches: the worst case for a scan
    ] {
        let path = format!("/admin/saker?{}", serde_urlencoded::to_string([("q", q)])?);
        super::harness::time_page(&app, &cookie, &path, rounds, &format!("q={q:18}")).await?;
    }
    bench_db.close().await;
    Ok(())
}
