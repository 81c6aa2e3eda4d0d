//! `innsyn bench wash`: washes a large list through HTTP on loopback against
//! a large register in a temporary SQLite database, and compares with
//! `sort` + `comm` on the same numbers. Run it from a release build.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use entity::enums::ReservationSource;
use entity::reservation;
use futures_util::StreamExt;
use migration::{Migrator, MigratorTrait};
use rand::{Rng, SeedableRng};
use sea_orm::{EntityTrait, Set};
use tokio::io::AsyncReadExt;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::domain::dialer::api_tokens;
use crate::state::AppState;

/// Reservation `i` is the mobile number 9xxxxxxx with national number
/// 90000000 + 2i: the list draws from twice that range, so about half of
/// it is reserved.
fn reserved_national(i: usize) -> u64 {
    90_000_000 + 2 * i as u64
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Writes the list in mixed written forms, and the same numbers in E.164 for
/// `sort`/`comm`. About 1% of lines are not numbers. Returns the paths and
/// how many lines should come back callable.
fn write_list(
    dir: &Path,
    n: usize,
    reservations: usize,
    national_overlap: u64,
) -> anyhow::Result<(PathBuf, PathBuf, u64)> {
    let list = dir.join("list.txt");
    let list_e164 = dir.join("list-e164.txt");
    let mut a = std::io::BufWriter::new(std::fs::File::create(&list)?);
    let mut b = std::io::BufWriter::new(std::fs::File::create(&list_e164)?);
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let mut callable = 0;
    for _ in 0..n {
        if rng.random_ratio(1, 100) {
            writeln!(a, "ring meg ikke")?;
            continue;
        }
        let offset = rng.random_range(0..(2 * reservations.max(1) as u64));
        // Even offsets are in the register (see `reserved_national`); of
        // the odd ones, those the national copy holds are reserved too (see
        // `write_national`).
        let in_national = offset % 4 == 1 && (offset - 1) / 4 < national_overlap;
        callable += u64::from(offset % 2 == 1 && !in_national);
        let national = 90_000_000 + offset;
        let s = national.to_string();
        match rng.random_range(0..4) {
            0 => writeln!(a, "{s}")?,
            1 => writeln!(a, "{} {} {}", &s[..3], &s[3..5], &s[5..])?,
            2 => writeln!(a, "+47{s}")?,
            _ => writeln!(a, "0047 {s}")?,
        }
        writeln!(b, "+47{s}")?;
    }
    a.flush()?;
    b.flush()?;
    Ok((list, list_e164, callable))
}

/// The national copy: `n` numbers, the first `overlap` of them the list's
/// offsets 4k + 1 (callable in the centre's register), the rest 4xxxxxxx
/// numbers the list never holds. Returns the file (E.164, one a line).
fn write_national(dir: &Path, n: usize, overlap: u64) -> anyhow::Result<PathBuf> {
    let file = dir.join("national.txt");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file)?);
    for k in 0..n as u64 {
        let national = if k < overlap {
            90_000_000 + 4 * k + 1
        } else {
            40_000_000 + (k - overlap)
        };
        writeln!(w, "+47{national}")?;
    }
    w.flush()?;
    Ok(file)
}

async fn fill_register(
    db: &sea_orm::DatabaseConnection,
    n: usize,
    dir: &Path,
) -> anyhow::Result<PathBuf> {
    let file = dir.join("reservations-e164.txt");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file)?);
    let now = Utc::now();
    let (txn, _write) = crate::db::begin_write(db).await?;
    let mut i = 0;
    while i < n {
        let end = (i + 2000).min(n);
        let rows: Vec<_> = (i..end)
            .map(|j| reservation::ActiveModel {
                e164: Set(format!("+47{}", reserved_national(j))),
                source: Set(ReservationSource::Import),
                created_at: Set(now),
                ..Default::default()
            })
            .collect();
        for j in i..end {
            writeln!(w, "+47{}", reserved_national(j))?;
        }
        reservation::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
        i = end;
    }
    txn.commit().await?;
    w.flush()?;
    Ok(file)
}

struct Run {
    secs: f64,
    lines: u64,
    callable: u64,
    bytes: u64,
}

async fn post_list(addr: SocketAddr, token: &str, list: &Path) -> anyhow::Result<Run> {
    let file = tokio::fs::File::open(list).await?;
    let body = futures_util::stream::unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let client = reqwest::Client::new();
    let started = Instant::now();
    let resp = client
        .post(format!("http://{addr}/api/v1/wash"))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await?;
    anyhow::ensure!(
        resp.status().is_success(),
        "wash answered {}",
        resp.status()
    );
    let mut stream = resp.bytes_stream();
    let (mut lines, mut callable, mut bytes) = (0u64, 0u64, 0u64);
    let mut tail = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|&&c| c == b'\n').count() as u64;
        // Count ",callable\n" including across chunk borders.
        tail.extend_from_slice(&chunk);
        let cut = tail.iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1);
        callable += tail[..cut]
            .split(|&c| c == b'\n')
            .filter(|l| l.ends_with(b",callable"))
            .count() as u64;
        tail.drain(..cut);
    }
    Ok(Run {
        secs: started.elapsed().as_secs_f64(),
        lines: lines.saturating_sub(1),
        callable,
        bytes,
    })
}

fn sort_comm(list_e164: &Path, register: &Path, dir: &Path) -> anyhow::Result<(f64, u64)> {
    let started = Instant::now();
    let script = format!(
        "export LC_ALL=C; sort -u -o {d}/a.sorted {l} && sort -u -o {d}/b.sorted {r} && comm -23 {d}/a.sorted {d}/b.sorted | wc -l",
        d = dir.display(),
        l = list_e164.display(),
        r = register.display()
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .output()?;
    anyhow::ensure!(out.status.success(), "sort/comm failed");
    let count = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    Ok((started.elapsed().as_secs_f64(), count))
}

pub async fn run(numbers: usize, reservations: usize, national: usize) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        println!(
            "note: this is a debug build; figures are only meaningful from `cargo build --release`"
        );
    }
    let dir = std::env::temp_dir().join(format!("innsyn-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run_in(&dir, numbers, reservations, national).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(
    dir: &Path,
    numbers: usize,
    reservations: usize,
    national: usize,
) -> anyhow::Result<()> {
    let db_path = dir.join("bench.db");
    let url = format!("sqlite://{}?mode=rwc", db_path.display());
    let config = Config::from_source(&[("DATABASE_URL", url.as_str())])?;
    let db = crate::app::connect(&config).await?;
    Migrator::up(&db, None).await?;

    let t = Instant::now();
    let register = fill_register(&db, reservations, dir).await?;
    println!(
        "register: {reservations} reservations in SQLite in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Half the national copy overlaps the list's callable numbers, at most.
    let overlap = (national as u64 / 2).min(reservations as u64 / 2);
    let national_file = if national > 0 {
        let file = write_national(dir, national, overlap)?;
        let rss = status_kib("VmRSS:");
        let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        let t = Instant::now();
        let r = crate::domain::dialer::national::import(
            &db,
            crate::domain::time::oslo_today(Utc::now()),
            std::fs::File::open(&file)?,
            &crate::domain::privacy::audit::Actor::default(),
            "bench",
            Utc::now(),
            &mut |_| {},
        )
        .await?;
        let import_secs = t.elapsed().as_secs_f64();
        let peak_import = status_kib("VmHWM:");
        let t = Instant::now();
        let copy = crate::domain::dialer::national::load(&db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the national copy did not load"))?;
        println!(
            "national register: {} numbers imported in {import_secs:.1} s (memory growth during the import {} MB{}); loaded in {:.1} s, {} MB in memory",
            r.count,
            peak_import.saturating_sub(rss) / 1024,
            if reset { "" } else { ", an upper bound" },
            t.elapsed().as_secs_f64(),
            copy.set.bytes() / 1_000_000
        );
        drop(copy);
        Some(file)
    } else {
        None
    };
    let t = Instant::now();
    let (list, list_e164, expected_callable) = write_list(
        dir,
        numbers,
        reservations,
        if national > 0 { overlap } else { 0 },
    )?;
    println!(
        "list: {numbers} numbers in mixed written forms in {:.1} s ({} MB)",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&list)?.len() / 1_000_000
    );
    let (_, token) = api_tokens::create(&db, "bench", Utc::now()).await?;

    let state = AppState::new(db.clone(), config, Arc::new(SystemClock))?;
    let app = crate::routes::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });

    let rss_before = status_kib("VmRSS:");
    // Reset the peak so VmHWM measures this run only (Linux >= 4.0).
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let cold = post_list(addr, &token, &list).await?;
    let peak_cold = status_kib("VmHWM:");
    let warm = post_list(addr, &token, &list).await?;
    // A reservation from the web between two washes: the next wash catches
    // up on the one new row instead of reading the register again.
    let extra = crate::domain::phone::E164::parse("+4799999999")
        .map_err(|e| anyhow::anyhow!("bench number: {e}"))?;
    crate::domain::dialer::reservations::reserve(&db, &extra, ReservationSource::Web, Utc::now())
        .await?;
    let after_write = post_list(addr, &token, &list).await?;
    let peak = status_kib("VmHWM:");
    anyhow::ensure!(
        cold.lines == numbers as u64 && warm.lines == numbers as u64,
        "expected {numbers} verdicts, got {} and {}",
        cold.lines,
        warm.lines
    );

    anyhow::ensure!(
        cold.callable == expected_callable
            && warm.callable == expected_callable
            && after_write.callable == expected_callable,
        "expected {expected_callable} callable, got {} and {}",
        cold.callable,
        warm.callable
    );
    let register = match &national_file {
        Some(n) => {
            let both = dir.join("registers-e164.txt");
            let mut all = std::fs::read(&register)?;
            all.extend_from_slice(&std::fs::read(n)?);
            std::fs::write(&both, all)?;
            both
        }
        None => register,
    };
    let (sc_secs, sc_count) = sort_comm(&list_e164, &register, dir)?;

    println!();
    println!("verdicts checked: {expected_callable} callable, as generated");
    println!(
        "wash via HTTP, {numbers} numbers against {reservations} reservations{}:",
        if national > 0 {
            format!(" and a national copy of {national}")
        } else {
            String::new()
        }
    );
    for (name, r) in [
        ("first (loads the register)", &cold),
        ("second (register in memory)", &warm),
        ("third (after a new reservation)", &after_write),
    ] {
        println!(
            "  {name:<32} {:.3} s  {:>10.0} numbers/s  {} callable  {} MB out",
            r.secs,
            numbers as f64 / r.secs,
            r.callable,
            r.bytes / 1_000_000
        );
    }
    println!(
        "  server memory: RSS before {} MB, peak {} MB during the first run, {} MB over all: growth {} MB{}",
        rss_before / 1024,
        peak_cold / 1024,
        peak / 1024,
        peak.saturating_sub(rss_before) / 1024,
        if reset {
            ""
        } else {
            " (peak could not be reset: growth is an upper bound since start)"
        }
    );
    println!(
        "sort -u + comm -23 on the same numbers already in E.164: {sc_secs:.3} s ({sc_count} distinct numbers not reserved)"
    );
    println!(
        "ratio wash/sort+comm: first {:.2}, second {:.2}, third {:.2}",
        cold.secs / sc_secs,
        warm.secs / sc_secs,
        after_write.secs / sc_secs
    );
    Ok(())
}
