//! `innsyn bench stats`: 12 months of daily figures for 200 campaigns,
//! exported as CSV and XLSX; prints the times.

use std::time::Instant;

use chrono::{Duration, Utc};
use entity::enums::{CampaignKind, DialerMode};
use entity::{campaign, client, daily_stat};
use sea_orm::{DatabaseConnection, EntityTrait, Set};

use super::harness::{Backend, on_databases};

use crate::config::Config;
use crate::domain::stats::export;
use crate::domain::stats::{self, Period};

/// `backend`: fresh databases of that kind; `None`: `DATABASE_URL`, or a
/// temporary SQLite file when it is the default.
pub async fn run(
    config: Config,
    campaigns: usize,
    days: usize,
    backend: Option<Backend>,
) -> anyhow::Result<()> {
    on_databases(config, backend, async |bench_db, _config| {
        run_on(&bench_db.db, campaigns, days).await
    })
    .await
}

async fn run_on(db: &DatabaseConnection, campaigns: usize, days: usize) -> anyhow::Result<()> {
    let db = db.clone();
    let now = Utc::now();
    let cl = client::ActiveModel {
        name: Set("Bench AS".into()),
        org_number: Set("999 999 999".into()),
        description: Set(String::new()),
        website: Set(None),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    };
    let cl = client::Entity::insert(cl).exec(&db).await?.last_insert_id;
    let today = crate::domain::time::oslo_today(now);
    let from = today - Duration::days(days as i64 - 1);
    let mut ids = Vec::new();
    for i in 0..campaigns {
        let c = campaign::ActiveModel {
            client_id: Set(cl),
            code: Set(format!("B-{i:03}")),
            name: Set(format!("Kampanje {i}")),
            purpose: Set("Bench".into()),
            kind: Set(CampaignKind::Sales),
            starts_on: Set(from),
            ends_on: Set(None),
            dialer_mode: Set(DialerMode::Predictive),
            created_at: Set(now),
            ..Default::default()
        };
        ids.push(campaign::Entity::insert(c).exec(&db).await?.last_insert_id);
    }
    let t = Instant::now();
    let txn = crate::db::begin_write(&db).await?;
    for d in 0..days {
        let day = from + Duration::days(d as i64);
        let rows = ids
            .iter()
            .enumerate()
            .map(|(i, id)| daily_stat::ActiveModel {
                day: Set(day),
                campaign_id: Set(*id),
                attempted: Set(1000 + (i as i64 * 7 + d as i64) % 300),
                answered: Set(600),
                connected: Set(550),
                transferred: Set(540),
                abandoned: Set(((i + d) % 40) as i64),
                updated_at: Set(now),
                ..Default::default()
            });
        daily_stat::Entity::insert_many(rows).exec(&txn).await?;
    }
    txn.commit().await?;
    println!(
        "built {} daily rows ({campaigns} campaigns × {days} days) in {:.1} s",
        campaigns * days,
        t.elapsed().as_secs_f64()
    );
    let p = Period {
        from,
        to: today,
        client: None,
        campaign: None,
    };
    for round in 1..=3 {
        let t = Instant::now();
        let rows = stats::daily(&db, &p, 5.0).await?;
        let q = t.elapsed();
        let t2 = Instant::now();
        let mut csv_len = export::csv_header().len();
        for chunk in rows.chunks(2_000) {
            csv_len += export::csv_rows(chunk).len();
        }
        let csv_t = t2.elapsed();
        let t3 = Instant::now();
        let xlsx = export::xlsx(
            &rows,
            &stats::totals(&rows),
            &stats::weekly(&rows),
            5.0,
            None,
        )?;
        let xlsx_t = t3.elapsed();
        println!(
            "round {round}: {} rows; query {:.0} ms; CSV {:.0} ms ({:.1} MB) → {:.0} ms end to end; XLSX {:.0} ms ({:.1} MB) → {:.0} ms end to end",
            rows.len(),
            q.as_secs_f64() * 1000.0,
            csv_t.as_secs_f64() * 1000.0,
            csv_len as f64 / 1e6,
            (q + csv_t).as_secs_f64() * 1000.0,
            xlsx_t.as_secs_f64() * 1000.0,
            xlsx.len() as f64 / 1e6,
            (q + xlsx_t).as_secs_f64() * 1000.0,
        );
    }
    // What the zip level costs and saves: the default level 6 beside ours.
    let rows = stats::daily(&db, &p, 5.0).await?;
    let (totals, weeks) = (stats::totals(&rows), stats::weekly(&rows));
    for level in [6, export::XLSX_ZIP_LEVEL] {
        let t = Instant::now();
        let x = export::xlsx_at_level(&rows, &totals, &weeks, 5.0, None, level)?;
        println!(
            "XLSX at zip level {level}: {:.0} ms, {:.1} MB",
            t.elapsed().as_secs_f64() * 1000.0,
            x.len() as f64 / 1e6
        );
    }
    Ok(())
}
