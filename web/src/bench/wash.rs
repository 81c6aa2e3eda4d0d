//! `innsyn bench wash`: washes a large list with plain `curl --data-binary`
//! against the real server loop on loopback, against a large register in a
//! temporary SQLite database (or `DATABASE_URL` when it points at
//! PostgreSQL), and compares with `sort` + `comm` on the same numbers in the
//! same run. Run it from a release build.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::enums::ReservationSource;
use entity::reservation;
use rand::{Rng, SeedableRng};
use sea_orm::{EntityTrait, Set};

use super::harness::BenchDb;
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

/// Resets the peak resident size so VmHWM measures from now (Linux >= 4.0).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Writes the list in mixed written forms, in random order, and the same
/// numbers in E.164 for `sort`/`comm`. About 1% of lines are not numbers.
/// Returns the paths and how many lines should come back callable.
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
            // 46-48: mobile ranges in use (42-44 and 49 are not).
            46_000_000 + (k - overlap)
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
    let txn = crate::db::begin_write(db).await?;
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

/// One wash by curl, end to end.
struct Run {
    secs: f64,
    lines: u64,
    callable: u64,
    bytes: u64,
}

/// `curl --data-binary @list` as a dialer integration runs it; with
/// `expect` false curl is told not to send `Expect: 100-continue` (which it
/// sends by default for bodies over 1 MB).
fn curl_wash(url: &str, token: &str, list: &Path, out: &Path, expect: bool) -> anyhow::Result<Run> {
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-sS", "--fail", "--data-binary"])
        .arg(format!("@{}", list.display()))
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg("-o")
        .arg(out);
    if !expect {
        cmd.args(["-H", "Expect:"]);
    }
    cmd.arg(url);
    let started = Instant::now();
    let status = cmd.status()?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(status.success(), "curl failed: {status}");
    // Read line by line: this process is the server too, and its memory
    // is what the bench reports.
    use std::io::BufRead;
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, std::fs::File::open(out)?);
    let (mut lines, mut callable, mut bytes) = (0u64, 0u64, 0u64);
    let mut line = Vec::with_capacity(64);
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        lines += 1;
        callable += u64::from(line.ends_with(b",callable\n"));
    }
    Ok(Run {
        secs,
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

/// The wash's own work with the server's registers, without HTTP: in
/// 64 KB pieces on one thread, or (`parallel`) in the server's batches on
/// two; the best of `rounds`, in seconds.
async fn washer_alone(
    state: &AppState,
    db: &sea_orm::DatabaseConnection,
    list: &Path,
    rounds: usize,
    parallel: bool,
) -> anyhow::Result<f64> {
    use crate::domain::dialer::{coverage, wash::Washer};
    let input = Arc::new(std::fs::read(list)?);
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let now = Utc::now();
        let (registers, _) = coverage::plan(
            &state.registers,
            db,
            None,
            false,
            now,
            now,
            state.config.abandoned_agent_required_days,
        )
        .await
        .map_err(|e| anyhow::anyhow!("planning the wash: {e:?}"))?;
        let input = input.clone();
        let secs = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let mut out = Vec::with_capacity(256 * 1024);
            let mut washer = Washer::new(registers, false, &mut out);
            let size = if parallel {
                crate::domain::dialer::wash_stream::BATCH
            } else {
                64 * 1024
            };
            for piece in input.chunks(size) {
                if parallel {
                    let second = washer.feed_parallel(piece, &mut out);
                    std::hint::black_box(&second);
                } else {
                    washer.feed(piece, &mut out);
                }
                if out.len() >= 128 * 1024 {
                    std::hint::black_box(&out);
                    out.clear();
                }
            }
            washer.finish(&mut out);
            std::hint::black_box(&out);
            started.elapsed().as_secs_f64()
        });
        best = best.min(secs.await?);
    }
    Ok(best)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub async fn run(
    mut config: Config,
    numbers: usize,
    reservations: usize,
    national: usize,
    rounds: usize,
) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        println!(
            "note: this is a debug build; figures are only meaningful from `cargo build --release`"
        );
    }
    anyhow::ensure!(
        std::process::Command::new("curl")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "this bench runs curl: apt-get install curl"
    );
    let dir = std::env::temp_dir().join(format!("innsyn-bench-wash-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let bench_db = BenchDb::open(&mut config).await?;
    let result = run_in(
        &bench_db.db,
        config,
        &dir,
        numbers,
        reservations,
        national,
        rounds.max(1),
    )
    .await;
    bench_db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(
    db: &sea_orm::DatabaseConnection,
    config: Config,
    dir: &Path,
    numbers: usize,
    reservations: usize,
    national: usize,
    rounds: usize,
) -> anyhow::Result<()> {
    let backend = if config.is_sqlite() {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let t = Instant::now();
    let register = fill_register(db, reservations, dir).await?;
    println!(
        "register: {reservations} reservations in {backend} in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Half the national copy overlaps the list's callable numbers, at most.
    let overlap = (national as u64 / 2).min(reservations as u64 / 2);
    let national_file = if national > 0 {
        let file = write_national(dir, national, overlap)?;
        let rss = status_kib("VmRSS:");
        let reset = reset_peak();
        let t = Instant::now();
        let r = crate::domain::dialer::national::import(
            db,
            crate::domain::time::oslo_today(Utc::now()),
            std::fs::File::open(&file)?,
            &crate::domain::privacy::audit::Actor::default(),
            "bench",
            Utc::now(),
            &mut |_| {},
        )
        .await?;
        println!(
            "national register: {} numbers imported in {:.1} s (memory growth during the import {} MB{})",
            r.count,
            t.elapsed().as_secs_f64(),
            status_kib("VmHWM:").saturating_sub(rss) / 1024,
            if reset { "" } else { ", an upper bound" },
        );
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
        "list: {numbers} numbers in random order and mixed written forms in {:.1} s ({} MB)",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&list)?.len() / 1_000_000
    );
    let (_, token) = api_tokens::create(db, "bench", Utc::now()).await?;

    // The server as `serve` starts it: the registers load in the
    // background, the real server loop answers.
    let rss_start = status_kib("VmRSS:");
    let state = AppState::new(db.clone(), config, Arc::new(SystemClock))?;
    let started = Instant::now();
    let refresh = crate::jobs::register_refresh(&state);
    let timeouts = state.config.http;
    let app = crate::routes::router(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::app::serve_on(listener, app, timeouts, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let ready = format!("http://{addr}/readyz");
    let mut healthz = None;
    loop {
        if healthz.is_none()
            && client
                .get(format!("http://{addr}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        {
            healthz = Some(started.elapsed());
        }
        if client
            .get(&ready)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "the server did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let ready_after = started.elapsed();
    let rss_ready = status_kib("VmRSS:");
    let national_mb = state
        .registers
        .national
        .get(db)
        .await?
        .map(|c| c.set.bytes() / 1_000_000);
    println!(
        "server: /healthz answered {:.0} ms after start, /readyz {:.2} s after start (registers loaded); resident memory {} MB before, {} MB when ready{}",
        healthz.unwrap_or_default().as_secs_f64() * 1000.0,
        ready_after.as_secs_f64(),
        rss_start / 1024,
        rss_ready / 1024,
        national_mb
            .map(|mb| format!(", national copy {mb} MB"))
            .unwrap_or_default()
    );

    let url = format!("http://{addr}/api/v1/wash");
    let out = dir.join("washed.csv");
    let reset = reset_peak();
    let rss_before = status_kib("VmRSS:");
    let cold = curl_wash(&url, &token, &list, &out, true)?;
    let mut with_expect = Vec::new();
    let mut without = Vec::new();
    let mut all = Vec::new();
    for _ in 0..rounds {
        with_expect.push(curl_wash(&url, &token, &list, &out, true)?);
        without.push(curl_wash(&url, &token, &list, &out, false)?);
    }
    // A reservation from the web between two washes: the next wash brings
    // the copy up to date (one new row) if the refresh has not yet.
    let extra = crate::domain::phone::E164::parse("+4799999999")
        .map_err(|e| anyhow::anyhow!("bench number: {e}"))?;
    crate::domain::dialer::reservations::reserve(db, &extra, ReservationSource::Web, Utc::now())
        .await?;
    let after_write = curl_wash(&url, &token, &list, &out, true)?;
    let peak = status_kib("VmHWM:");
    all.push(&cold);
    all.extend(with_expect.iter());
    all.extend(without.iter());
    all.push(&after_write);
    for r in &all {
        anyhow::ensure!(
            r.lines == numbers as u64 && r.callable == expected_callable,
            "expected {numbers} verdicts and {expected_callable} callable, got {} and {}",
            r.lines,
            r.callable
        );
    }

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
    let mut sc = Vec::new();
    let mut sc_count = 0;
    for _ in 0..rounds {
        let (secs, count) = sort_comm(&list_e164, &register, dir)?;
        sc.push(secs);
        sc_count = count;
    }
    let sc_secs = median(sc.clone());

    let med = |v: &[Run]| median(v.iter().map(|r| r.secs).collect());
    let pick = |v: &[Run]| {
        let m = med(v);
        v.iter()
            .find(|r| r.secs == m)
            .map(|r| Run {
                secs: r.secs,
                lines: r.lines,
                callable: r.callable,
                bytes: r.bytes,
            })
            .unwrap_or(Run {
                secs: m,
                lines: 0,
                callable: 0,
                bytes: 0,
            })
    };
    let warm_expect = pick(&with_expect);
    let warm_plain = pick(&without);
    let runs = [
        ("first after start, curl's defaults (Expect)", &cold),
        ("warm, curl's defaults (Expect), median", &warm_expect),
        ("warm, -H 'Expect:', median", &warm_plain),
        ("after a new reservation (Expect)", &after_write),
    ];

    println!();
    println!("verdicts checked: {expected_callable} callable in every run, as generated");
    println!(
        "wash, curl --data-binary @list over loopback ({backend}), {numbers} numbers against {reservations} reservations{}, {rounds} warm rounds:",
        if national > 0 {
            format!(" and a national copy of {national}")
        } else {
            String::new()
        }
    );
    for (name, r) in &runs {
        println!(
            "  {name:<44} {:.3} s  {:>10.0} numbers/s  {} MB out  sort+comm/wash {:.1}x",
            r.secs,
            numbers as f64 / r.secs,
            r.bytes / 1_000_000,
            sc_secs / r.secs
        );
    }
    println!(
        "sort -u (both files) + comm -23 on the same numbers already in E.164: median {sc_secs:.3} s of {rounds} ({sc_count} distinct numbers not reserved)",
    );
    for (threads, parallel) in [
        ("one thread, 64 KB pieces", false),
        ("two threads, 1 MB batches as served", true),
    ] {
        let core = washer_alone(&state, db, &list, rounds, parallel).await?;
        println!(
            "the washer alone, in process, no HTTP ({threads}): best {:.3} s of {rounds} = {:.0} ns a number",
            core,
            core * 1e9 / numbers as f64
        );
    }
    println!(
        "server memory: {} MB resident before the first wash, peak {} MB over all washes: growth {} MB{}",
        rss_before / 1024,
        peak / 1024,
        peak.saturating_sub(rss_before) / 1024,
        if reset {
            ""
        } else {
            " (peak could not be reset: an upper bound since start)"
        }
    );
    let _ = stop.send(());
    refresh.abort();
    let _ = server.await;
    Ok(())
}
