//! `innsyn bench intake`: complaints through the real form, as browsers send
//! them, from many concurrent clients against the server on loopback; then
//! every receipt checked against the stored cases.
//!
//! Each client has its own connection and its own CSRF cookie: it loads
//! `GET /klage` (the form, with its token and its one-time form id), posts
//! the filled-in form with the cookie, and reads the case reference off the
//! receipt page, over and over for the run's length.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::{caller_number, case};
use sea_orm::{EntityTrait, PaginatorTrait, QuerySelect};

use super::harness::{Backend, BenchDb};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::state::AppState;

/// What one client saw.
#[derive(Default)]
struct ClientTally {
    /// Case references read off receipt pages.
    receipts: Vec<String>,
    /// Time of each complaint's POST, answered with a receipt.
    post_times: Vec<Duration>,
    /// Time of each form GET.
    get_times: Vec<Duration>,
    /// Any answer but a page with what was expected, or no answer at all.
    errors: u64,
    /// The first few errors, for the report.
    samples: Vec<String>,
}

impl ClientTally {
    fn error(&mut self, what: String) {
        self.errors += 1;
        if self.samples.len() < 3 {
            self.samples.push(what);
        }
    }
}

pub async fn run(
    config: Config,
    seconds: u64,
    clients: usize,
    backend: Backend,
) -> anyhow::Result<()> {
    for &b in backend.each() {
        run_on(config.clone(), seconds, clients.max(1), b).await?;
    }
    Ok(())
}

async fn run_on(
    mut config: Config,
    seconds: u64,
    clients: usize,
    backend: Backend,
) -> anyhow::Result<()> {
    let bench_db = BenchDb::fresh(&mut config, backend).await?;
    let result = measure(&bench_db, config, seconds, clients, backend).await;
    bench_db.close().await;
    result
}

async fn measure(
    bench_db: &BenchDb,
    config: Config,
    seconds: u64,
    clients: usize,
    backend: Backend,
) -> anyhow::Result<()> {
    let db = bench_db.db.clone();
    // The demo centre's clients, campaigns and caller numbers, so half the
    // complaints name the number that called (looked up in the transaction).
    crate::seed::seed_demo(&db, Utc::now()).await?;
    let numbers: Vec<String> = caller_number::Entity::find()
        .all(&db)
        .await?
        .into_iter()
        .map(|n| n.e164)
        .collect();
    let numbers = Arc::new(numbers);

    let state = AppState::new(db.clone(), config, Arc::new(SystemClock))?;
    let timeouts = state.config.http;
    let app = crate::routes::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::app::serve_on(listener, app, timeouts, async {
        let _ = stop_rx.await;
    }));

    // Warm up: the phone parser's metadata, the templates, the pools.
    let warm = ClientTally::default();
    let warm = client_loop(addr, 0, numbers.clone(), Instant::now(), warm, 20).await;
    anyhow::ensure!(
        warm.errors == 0,
        "the warm-up failed: {}",
        warm.samples.join("; ")
    );
    let before = case::Entity::find().count(&db).await?;

    println!(
        "{}: {clients} clients posting complaints for {seconds} s ...",
        backend.name()
    );
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            tokio::spawn(client_loop(
                addr,
                i + 1,
                numbers.clone(),
                until,
                ClientTally::default(),
                usize::MAX,
            ))
        })
        .collect();
    let mut all = ClientTally::default();
    for t in tasks {
        let t = t.await?;
        all.receipts.extend(t.receipts);
        all.post_times.extend(t.post_times);
        all.get_times.extend(t.get_times);
        all.errors += t.errors;
        for s in t.samples {
            if all.samples.len() < 5 {
                all.samples.push(s);
            }
        }
    }
    let elapsed = started.elapsed();
    let _ = stop_tx.send(());
    let _ = server.await;

    // Every receipt a stored case, no reference given twice.
    let stored = case::Entity::find().count(&db).await? - before;
    let refs: HashSet<String> = case::Entity::find()
        .select_only()
        .column(case::Column::Reference)
        .into_tuple::<String>()
        .all(&db)
        .await?
        .into_iter()
        .collect();
    let distinct: HashSet<&String> = all.receipts.iter().collect();
    let missing = all.receipts.iter().filter(|r| !refs.contains(*r)).count();

    let n = all.receipts.len();
    all.post_times.sort();
    all.get_times.sort();
    let ms = |v: &[Duration], q: usize| {
        v.get((v.len() * q / 100).min(v.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{}: {:.0} complaints/s ({n} in {:.1} s); errors {}; POST p50 {:.1} ms, p99 {:.1} ms; form GET p50 {:.1} ms, p99 {:.1} ms",
        backend.name(),
        n as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        all.errors,
        ms(&all.post_times, 50),
        ms(&all.post_times, 99),
        ms(&all.get_times, 50),
        ms(&all.get_times, 99),
    );
    println!(
        "{}: cases stored {stored}; receipts {n}, distinct {}, not a stored case {missing}",
        backend.name(),
        distinct.len(),
    );
    for s in &all.samples {
        println!("  error: {s}");
    }
    let ok = all.errors == 0 && missing == 0 && distinct.len() == n;
    println!(
        "{}: {}",
        backend.name(),
        if ok {
            "every receipt is a stored case, no errors"
        } else {
            "NOT every receipt is a stored case, or errors"
        }
    );
    Ok(())
}

/// A browser's round: load the form, post it, read the receipt; until
/// `until` or `max` rounds.
async fn client_loop(
    addr: SocketAddr,
    id: usize,
    numbers: Arc<Vec<String>>,
    until: Instant,
    mut tally: ClientTally,
    max: usize,
) -> ClientTally {
    let base = format!("http://{addr}");
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(1)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tally.error(format!("client: {e}"));
            return tally;
        }
    };
    // The CSRF cookie, once the first page has set it (a browser keeps it).
    let mut cookie: Option<String> = None;
    let mut round = 0usize;
    while round < max && (max != usize::MAX || Instant::now() < until) {
        round += 1;
        let t = Instant::now();
        let mut get = http.get(format!("{base}/klage"));
        if let Some(c) = &cookie {
            get = get.header(reqwest::header::COOKIE, c.as_str());
        }
        let page = match get.send().await {
            Ok(r) if r.status().is_success() => {
                if let Some(c) = r
                    .headers()
                    .get_all(reqwest::header::SET_COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .find(|v| v.starts_with("innsyn_csrf="))
                    .and_then(|v| v.split(';').next())
                {
                    cookie = Some(c.to_string());
                }
                r.text().await.unwrap_or_default()
            }
            Ok(r) => {
                tally.error(format!("GET /klage answered {}", r.status()));
                continue;
            }
            Err(e) => {
                tally.error(format!("GET /klage: {e}"));
                continue;
            }
        };
        tally.get_times.push(t.elapsed());
        let (Some(token), Some(form_id), Some(c)) = (
            hidden(&page, "csrf_token"),
            hidden(&page, "skjema_id"),
            cookie.as_deref(),
        ) else {
            tally.error("the form lacks its token, form id or cookie".into());
            continue;
        };
        let mut form: Vec<(&str, String)> = vec![
            ("csrf_token", token.to_string()),
            ("skjema_id", form_id.to_string()),
            ("navn", format!("Bench Person {id}")),
            (
                "telefon",
                format!("9{:07}", (id * 100_003 + round) % 10_000_000),
            ),
            ("kategori", "unwanted_call".into()),
            (
                "melding",
                format!("Dere ringte meg i dag klokka ti, det vil jeg ikke. (bench {id}-{round})"),
            ),
        ];
        if round.is_multiple_of(2) && !numbers.is_empty() {
            form.push(("nummer", numbers[round % numbers.len()].clone()));
        }
        if round % 4 == 1 {
            form.push(("epost", format!("bench{id}.{round}@example.no")));
        }
        let t = Instant::now();
        let resp = http
            .post(format!("{base}/klage"))
            .header(reqwest::header::COOKIE, c)
            .form(&form)
            .send()
            .await;
        match resp {
            Ok(r) if r.status().is_success() => {
                let body = r.text().await.unwrap_or_default();
                let took = t.elapsed();
                match receipt_reference(&body) {
                    Some(reference) => {
                        tally.post_times.push(took);
                        tally.receipts.push(reference.to_string());
                    }
                    None => tally.error("a 200 answer without a receipt".into()),
                }
            }
            Ok(r) => tally.error(format!("POST /klage answered {}", r.status())),
            Err(e) => tally.error(format!("POST /klage: {e}")),
        }
    }
    tally
}

/// The value of the hidden input `name` in the form page.
fn hidden<'a>(page: &'a str, name: &str) -> Option<&'a str> {
    let at = page.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &page[at + name.len() + 15..];
    rest.split('"').next()
}

/// The case reference on the receipt page (`<dd class="reference">`).
fn receipt_reference(page: &str) -> Option<&str> {
    let marker = "class=\"reference\">";
    let at = page.find(marker)?;
    let rest = &page[at + marker.len()..];
    let r = rest.split('<').next()?.trim();
    (!r.is_empty()).then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_fields_and_the_receipt_reference_are_read_off_the_pages() {
        let form = r#"<input type="hidden" name="csrf_token" value="abc"><input type="hidden" name="skjema_id" value="f-1">"#;
        assert_eq!(hidden(form, "csrf_token"), Some("abc"));
        assert_eq!(hidden(form, "skjema_id"), Some("f-1"));
        assert_eq!(hidden(form, "nope"), None);
        let receipt = r#"<dt>Ref</dt><dd class="reference">K-2026-000042</dd>"#;
        assert_eq!(receipt_reference(receipt), Some("K-2026-000042"));
    }
}
