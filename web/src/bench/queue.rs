//! `innsyn bench queue`: server time of the SLA queue page with many open cases.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration as ChronoDuration, Utc};
use entity::case;
use entity::enums::{CaseStatus, Channel};
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use super::harness::{Backend, BenchDb, on_databases};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::state::AppState;

/// The SLA queue with `n` open cases: server time of `/admin/saker`, its
/// first, middle and last pages, and some filters. `backend`: fresh
/// databases of that kind; `None`: `DATABASE_URL` or a temporary SQLite file.
pub async fn run(
    config: Config,
    n: usize,
    rounds: usize,
    backend: Option<Backend>,
) -> anyhow::Result<()> {
    on_databases(config, backend, async |bench_db, config| {
        run_on(bench_db, config, n, rounds).await
    })
    .await
}

async fn run_on(bench_db: &BenchDb, config: Config, n: usize, rounds: usize) -> anyhow::Result<()> {
    let db = bench_db.db.clone();
    crate::seed::seed_demo(&db, Utc::now()).await?;
    let campaigns = entity::campaign::Entity::find().all(&db).await?;
    println!(
        "building {n} open cases on {} ...",
        config.database_url.split(':').next().unwrap_or("")
    );
    let now = Utc::now();
    let started = Instant::now();
    let channels = [
        Channel::Web,
        Channel::Email,
        Channel::Sms,
        Channel::Voicemail,
    ];
    for chunk in (0..n).collect::<Vec<_>>().chunks(2_000) {
        let txn = crate::db::begin_write(&db).await?;
        let rows = chunk.iter().map(|&i| {
            // Received over the last 36 hours: a mix of on time, at risk and breached.
            let received = now - ChronoDuration::seconds((i as i64 * 7919) % (36 * 3600));
            let camp = &campaigns[i % campaigns.len()];
            case::ActiveModel {
                reference: Set(format!("B-2026-{i:07}")),
                channel: Set(channels[i % channels.len()]),
                consumer_name: Set(Some(format!("Person {i}"))),
                consumer_phone: Set(Some(format!("+479{:07}", i % 10_000_000))),
                campaign_id: Set(Some(camp.id)),
                client_id: Set(Some(camp.client_id)),
                category: Set("unwanted_call".into()),
                status: Set(CaseStatus::Open),
                received_at: Set(received),
                due_at: Set(received + ChronoDuration::hours(24)),
                ..Default::default()
            }
        });
        case::Entity::insert_many(rows).exec(&txn).await?;
        txn.commit().await?;
    }
    if !config.is_sqlite() {
        // The steady state autovacuum keeps: statistics and the visibility
        // map (without it every count reads the table's pages too).
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    println!("built in {:.1} s", started.elapsed().as_secs_f64());
    super::harness::create_handler(&db, now).await?;
    let state = AppState::new(db.clone(), config, Arc::new(SystemClock))?;
    let app = crate::routes::router(state).layer(axum::extract::connect_info::MockConnectInfo(
        std::net::SocketAddr::from(([127, 0, 0, 1], 1)),
    ));
    let cookie = super::harness::sign_in(&app).await?;
    let pages = n.div_ceil(50).max(1);
    let mut paths = vec![
        "/admin/saker".to_string(),
        format!("/admin/saker?side={}", pages.div_ceil(2)),
        format!("/admin/saker?side={pages}"),
        "/admin/saker?side=200".to_string(),
        "/admin/saker?status=at_risk".to_string(),
        "/admin/saker?status=breached&kanal=sms".to_string(),
    ];
    // The last page of a filtered queue (a quarter of the cases are sms,
    // most of them breached).
    paths.push(format!(
        "/admin/saker?status=breached&kanal=sms&side={}",
        (n / 4).div_ceil(50).max(1)
    ));
    for path in &paths {
        super::harness::time_page(&app, &cookie, path, rounds, &format!("{path:50}")).await?;
    }
    Ok(())
}
