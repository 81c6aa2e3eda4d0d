//! `innsyn bench queue`: server time of the SLA queue page with many open cases.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use chrono::{Duration as ChronoDuration, Utc};
use entity::case;
use entity::enums::{CaseStatus, Channel, Role};
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use tower::ServiceExt;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::domain::{email::EmailAddress, staff::users};
use crate::state::AppState;

/// The SLA queue with `n` open cases: server time of `/admin/saker`.
pub async fn run(mut config: Config, n: usize, rounds: usize) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("innsyn-bench-{}.db", uuid::Uuid::new_v4()));
    let own_db = config.database_url == crate::config::DEFAULT_DATABASE_URL;
    if own_db {
        config.database_url = format!("sqlite://{}?mode=rwc", tmp.display());
    }
    config.rate_limit_forms_per_minute = 1_000_000;
    let db = crate::app::connect(&config).await?;
    <migration::Migrator as migration::MigratorTrait>::up(&db, None).await?;
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
        let (txn, _write) = crate::db::begin_write(&db).await?;
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
    let email = EmailAddress::parse("bench@innsyn.local").map_err(|_| anyhow::anyhow!("email"))?;
    users::create_user(&db, &email, Role::Handler, Some("bench-password-123"), now).await?;
    let state = AppState::new(db.clone(), config, Arc::new(SystemClock))?;
    let app = crate::routes::router(state).layer(axum::extract::connect_info::MockConnectInfo(
        std::net::SocketAddr::from(([127, 0, 0, 1], 1)),
    ));
    let csrf = "benchbenchbenchbenchbenchbenchbenchbenchben";
    let login = Request::post("/admin/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("innsyn_csrf={csrf}"))
        .body(Body::from(format!(
            "epost=bench%40innsyn.local&passord=bench-password-123&csrf_token={csrf}"
        )))?;
    let resp = app.clone().oneshot(login).await?;
    let session = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("innsyn_session="))
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("bench sign-in failed: {}", resp.status()))?
        .to_string();
    for path in [
        "/admin/saker",
        "/admin/saker?status=at_risk",
        "/admin/saker?status=breached&kanal=sms",
        "/admin/saker?side=200",
    ] {
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let req = Request::get(path)
                .header(header::COOKIE, format!("{session}; innsyn_csrf={csrf}"))
                .body(Body::empty())?;
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await?;
            let status = resp.status();
            let _ = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
            times.push(t.elapsed());
            anyhow::ensure!(status.is_success(), "{path} answered {status}");
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{path:45} median {:6.2} ms   p95 {:6.2} ms   max {:6.2} ms   ({rounds} requests)",
            ms(times[rounds / 2]),
            ms(times[rounds * 95 / 100]),
            ms(times[rounds - 1]),
        );
    }
    db.close().await.ok();
    if own_db {
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", tmp.display()));
        }
    }
    Ok(())
}
