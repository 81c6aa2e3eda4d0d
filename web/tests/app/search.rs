//! Search (issue 7): the database backend on both databases, the public
//! client filter, the fallback when Meilisearch is down, and the index job
//! against a loopback stand-in of the Meilisearch protocol. The real-server
//! tests (`meili_real_server_*`) are ignored unless asked for; `.ci/test`
//! starts a Meilisearch binary when it finds one (or uses MEILI_URL), runs
//! them against it, and prints a SKIPPED line only when it has no server.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, TimeZone, Utc};
use entity::enums::{CaseStatus, Channel, Role};
use entity::{case, search_job};
use innsyn::config::{Config, MeiliConfig};
use innsyn::domain::cases::{NewCase, open_case};
use innsyn::domain::email::EmailAddress;
use innsyn::domain::phone::E164;
use innsyn::domain::privacy::retention::{self, RunOptions};
use innsyn::jobs::search_index;
use innsyn::state::AppState;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};

use crate::dual;
use crate::support::meili::{MeiliStandIn, closed_port};
use crate::support::{Backend, TestApp, TestResponse};

struct NewOne<'a> {
    name: &'a str,
    phone: Option<&'a str>,
    email: Option<&'a str>,
    channel: Channel,
    body: &'a str,
}

async fn case_of(app: &TestApp, n: NewOne<'_>) -> case::Model {
    open_case(
        &app.db,
        "K",
        NewCase {
            channel: n.channel,
            consumer_name: Some(n.name.into()),
            consumer_phone: n.phone.map(|p| E164::parse(p).unwrap()),
            consumer_email: n.email.map(|e| EmailAddress::parse(e).unwrap()),
            called_from: None,
            category: "other".into(),
            body: n.body.into(),
            source_key: None,
            received_at: app.clock_now(),
        },
    )
    .await
    .unwrap()
}

/// Kari (web, +47 912 34 567) wrote about the register; Ola (SMS) asked who called.
async fn two_cases(app: &TestApp) -> (case::Model, case::Model) {
    let kari = case_of(
        app,
        NewOne {
            name: "Kari Nordmann",
            phone: Some("+4791234567"),
            email: None,
            channel: Channel::Web,
            body: "Jeg har reservert meg i Brønnøysundregisteret, men dere ringte likevel om faktura.",
        },
    )
    .await;
    let ola = case_of(
        app,
        NewOne {
            name: "Ola Hansen",
            phone: Some("+4798765432"),
            email: Some("ola@example.no"),
            channel: Channel::Sms,
            body: "Hvem er dere, og hvorfor sender dere meg en faktura?",
        },
    )
    .await;
    (kari, ola)
}

fn references(r: &TestResponse) -> Vec<String> {
    let doc = r.doc();
    let sel = scraper::Selector::parse("tr.case-row").unwrap();
    doc.select(&sel)
        .filter_map(|e| e.value().attr("data-reference").map(str::to_string))
        .collect()
}

async fn queue(app: &TestApp, session: &str, query: &[(&str, &str)]) -> TestResponse {
    let qs = serde_urlencoded::to_string(query).unwrap();
    let r = app.get_as(&format!("/admin/saker?{qs}"), session).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r
}

dual!(
    database_search_finds_by_message_fragment_phone_in_another_format_and_reference,
    |app| async move {
        let (kari, ola) = two_cases(&app).await;
        let s = app.sign_in_as(Role::Handler).await;
        // A fragment of what the consumer wrote, in another case.
        let r = queue(&app, &s, &[("q", "brønnøysund")]).await;
        assert_eq!(references(&r), vec![kari.reference.clone()]);
        assert_eq!(
            r.count(".search-degraded"),
            0,
            "no search server configured: not degraded"
        );
        let r = queue(&app, &s, &[("q", "HVORFOR SENDER")]).await;
        assert_eq!(references(&r), vec![ola.reference.clone()]);
        // The phone number in the forms people write it.
        for q in ["+47 912 34 567", "91234567", "912 34 567", "0047 91234567"] {
            let r = queue(&app, &s, &[("q", q)]).await;
            assert_eq!(references(&r), vec![kari.reference.clone()], "{q}");
        }
        // The reference, in any case, and the e-mail address.
        let r = queue(&app, &s, &[("q", &ola.reference.to_lowercase())]).await;
        assert_eq!(references(&r), vec![ola.reference.clone()]);
        let r = queue(&app, &s, &[("q", "OLA@example.no")]).await;
        assert_eq!(references(&r), vec![ola.reference.clone()]);
        // Both wrote about an invoice; nobody wrote this.
        let mut both = references(&queue(&app, &s, &[("q", "faktura")]).await);
        both.sort();
        assert_eq!(both, [kari.reference.clone(), ola.reference.clone()]);
        let r = queue(&app, &s, &[("q", "100%")]).await;
        assert!(
            references(&r).is_empty(),
            "LIKE wildcards are taken literally"
        );
        assert_eq!(r.count("p.empty"), 1);
    }
);

dual!(
    database_search_keeps_the_queue_filters_and_answers_htmx_with_the_results_only,
    |app| async move {
        let (_kari, ola) = two_cases(&app).await;
        let s = app.sign_in_as(Role::Handler).await;
        let r = queue(&app, &s, &[("q", "faktura"), ("kanal", "sms")]).await;
        assert_eq!(references(&r), vec![ola.reference.clone()]);
        // The search box keeps what was typed, and the filter stays chosen.
        assert_eq!(r.attr("#q", "value").as_deref(), Some("faktura"));
        assert_eq!(r.count("#kanal option[value=sms][selected]"), 1);
        // Live results: htmx gets the results block alone, with the search applied.
        let r = app
            .get_with(
                "/admin/saker?q=faktura&kanal=sms",
                &[
                    (
                        "cookie",
                        &format!("{s}; innsyn_csrf={}", crate::support::CSRF),
                    ),
                    ("hx-request", "true"),
                ],
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.count("#results"), 1);
        assert_eq!(r.count("form#filters"), 0);
        assert_eq!(references(&r), vec![ola.reference.clone()]);
        // The search box triggers live results as the handler types (no inline script).
        let page = queue(&app, &s, &[]).await;
        let trigger = page.attr("form#filters", "hx-trigger").unwrap();
        assert!(
            trigger.contains("input changed delay:300ms from:#q"),
            "{trigger}"
        );
        // A closed case is found under its own status filter only.
        let mut am = ola.clone().into_active_model();
        am.status = Set(CaseStatus::Closed);
        am.update(&app.db).await.unwrap();
        let r = queue(&app, &s, &[("q", "hvorfor")]).await;
        assert!(references(&r).is_empty());
        let r = queue(&app, &s, &[("q", "hvorfor"), ("status", "closed")]).await;
        assert_eq!(references(&r), vec![ola.reference.clone()]);
    }
);

dual!(
    norm_7_a_purged_case_is_no_longer_found_and_its_index_document_is_queued_for_deletion,
    |app| async move {
        app.clock
            .set(Utc.with_ymd_and_hms(2024, 1, 10, 10, 0, 0).unwrap());
        let old = case_of(
            &app,
            NewOne {
                name: "Per Purge",
                phone: Some("+4741234567"),
                email: None,
                channel: Channel::Sms,
                body: "Gammel klage om lyngsalg",
            },
        )
        .await;
        let mut am = old.clone().into_active_model();
        am.status = Set(CaseStatus::Closed);
        am.first_response_at = Set(Some(old.received_at + Duration::hours(1)));
        am.closed_at = Set(Some(old.received_at + Duration::days(1)));
        am.update(&app.db).await.unwrap();
        app.clock.set(crate::support::default_now());
        let s = app.sign_in_as(Role::Handler).await;
        let r = queue(&app, &s, &[("q", "lyngsalg"), ("status", "closed")]).await;
        assert_eq!(
            references(&r),
            vec![old.reference.clone()],
            "found before the purge"
        );
        let today = innsyn::domain::time::oslo_today(app.clock_now());
        retention::run(
            &app.db,
            &app.state.twilio,
            today,
            app.clock_now(),
            RunOptions::default(),
        )
        .await
        .unwrap();
        assert!(
            case::Entity::find_by_id(old.id)
                .one(&app.db)
                .await
                .unwrap()
                .is_none()
        );
        for q in ["lyngsalg", "41234567", &old.reference] {
            let r = queue(&app, &s, &[("q", q), ("status", "closed")]).await;
            assert!(references(&r).is_empty(), "{q} still finds the purged case");
        }
        // The index deletion was queued with the database deletion.
        let job = search_job::Entity::find()
            .filter(search_job::Column::Kind.eq("case"))
            .filter(search_job::Column::DocId.eq(old.id))
            .one(&app.db)
            .await
            .unwrap()
            .expect("a queued index job for the purged case");
        assert_eq!(job.op, "delete");
    }
);

dual!(
    the_public_client_list_has_a_labelled_filter_box_in_both_languages,
    |app| async move {
        app.seed_demo().await;
        let r = app.get("/oppdragsgivere").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.count("section.client"), 3);
        assert_eq!(
            r.count("form.client-filter[method=get] label[for=client-q]"),
            1
        );
        assert_eq!(r.count("input#client-q[name=q]"), 1);
        // By a few letters of a name, any case.
        let r = app.get("/oppdragsgivere?q=hjerte").await;
        assert_eq!(r.count("section.client"), 1);
        assert!(r.text("section.client h2").unwrap().contains("Hjertelaget"));
        assert_eq!(r.attr("#client-q", "value").as_deref(), Some("hjerte"));
        // By a campaign's name.
        let r = app.get("/oppdragsgivere?q=Fastpris").await;
        assert_eq!(r.count("section.client"), 1);
        assert!(
            r.text("section.client h2")
                .unwrap()
                .contains("Vestlandsstraum")
        );
        // Nothing matches.
        let r = app.get("/oppdragsgivere?q=xyzzy").await;
        assert_eq!(r.count("section.client"), 0);
        assert!(r.text(".no-match").unwrap().starts_with("Ingen treff"));
        let r = app.get("/oppdragsgivere?q=xyzzy&lang=en").await;
        assert!(r.text(".no-match").unwrap().starts_with("No matches"));
        assert_eq!(
            r.text("label[for=client-q]").as_deref(),
            Some("Search our clients")
        );
    }
);

fn meili_at_a_closed_port(c: &mut Config) {
    c.meili = Some(MeiliConfig {
        // Port 1 on loopback: nothing listens there.
        url: "http://127.0.0.1:1".into(),
        api_key: Some("test-key".into()),
        timeout: StdDuration::from_millis(500),
        index_prefix: "innsyn_test".into(),
    });
}

dual!(
    when_meilisearch_is_down_search_falls_back_to_the_database_and_says_so,
    configure = meili_at_a_closed_port,
    |app| async move {
        let (kari, _ola) = two_cases(&app).await;
        let s = app.sign_in_as(Role::Handler).await;
        let r = queue(&app, &s, &[("q", "brønnøysund")]).await;
        assert_eq!(
            references(&r),
            vec![kari.reference.clone()],
            "the database answered"
        );
        assert!(
            r.text(".search-degraded")
                .unwrap()
                .starts_with("Søket er redusert"),
            "the page says search is degraded"
        );
        // The queue without a query does not ask the search server.
        let r = queue(&app, &s, &[]).await;
        assert_eq!(r.count(".search-degraded"), 0);
        // The public filter too.
        app.seed_demo().await;
        let r = app.get("/oppdragsgivere?q=hjerte").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.count("section.client"), 1);
        assert_eq!(r.count(".search-degraded"), 1);
        let r = app.get("/oppdragsgivere?q=hjerte&lang=en").await;
        assert!(
            r.text(".search-degraded")
                .unwrap()
                .starts_with("Search is degraded")
        );
        // The write was not blocked; its index job waits with the error, no personal data in it.
        let job = search_job::Entity::find()
            .filter(search_job::Column::DocId.eq(kari.id))
            .filter(search_job::Column::Kind.eq("case"))
            .one(&app.db)
            .await
            .unwrap()
            .expect("queued");
        assert_eq!(job.attempts, 0);
        let report = search_index::run(&app.state).await.unwrap();
        assert!(report.failed >= 2 && report.synced == 0, "{report:?}");
        let job = search_job::Entity::find_by_id(job.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(job.attempts, 1);
        let err = job.last_error.unwrap();
        assert!(!err.contains("91234567") && !err.contains("Kari"), "{err}");
    }
);

/// The application state with Meilisearch at `port` (the test's database and clock).
fn with_meili_at(app: &TestApp, port: u16) -> AppState {
    let mut config = app.state.config.clone();
    config.meili = Some(MeiliConfig {
        url: format!("http://127.0.0.1:{port}"),
        api_key: Some("test-key".into()),
        timeout: StdDuration::from_millis(1000),
        index_prefix: "t".into(),
    });
    AppState::new(app.db.clone(), config, Arc::new(app.clock.clone())).unwrap()
}

dual!(a_write_while_the_search_server_is_unreachable_is_retried_and_lands_later_and_a_deletion_removes_the_document, |app| async move {
    let port = closed_port();
    let state = with_meili_at(&app, port);
    let (kari, _ola) = two_cases(&app).await;
    // The server is down: nothing lands, the rows stay with attempts > 0.
    let report = search_index::run(&state).await.unwrap();
    assert_eq!(report.failed, 2);
    let jobs = search_job::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(jobs.len(), 2);
    assert!(jobs.iter().all(|j| j.attempts == 1 && j.next_attempt_at.is_some()));
    // Not yet due: a second run inside the pause does nothing.
    let meili = MeiliStandIn::start_on(port).await;
    assert_eq!(search_index::run(&state).await.unwrap(), Default::default());
    assert!(meili.requests().is_empty());
    // After the pause the documents land and the queue empties.
    app.clock.advance(search_index::backoff(1) + Duration::seconds(1));
    let report = search_index::run(&state).await.unwrap();
    assert_eq!((report.synced, report.failed), (2, 0));
    assert!(search_job::Entity::find().all(&app.db).await.unwrap().is_empty());
    let got = meili.requests();
    let docs: Vec<&serde_json::Value> = got
        .iter()
        .filter(|r| r.index == "t_cases" && r.what == "documents")
        .flat_map(|r| r.body.as_array().unwrap())
        .collect();
    let k = docs
        .iter()
        .find(|d| d["reference"] == kari.reference.as_str())
        .expect("Kari's case reached the index");
    assert_eq!(k["id"], kari.id);
    assert!(k["messages"][0].as_str().unwrap().contains("Brønnøysundregisteret"));
    assert!(k["phone"].as_array().unwrap().iter().any(|p| p == "912 34 567"));
    // A second run has nothing to send (idempotent).
    assert_eq!(search_index::run(&state).await.unwrap(), Default::default());
    // Deleting the case (the purge and erasure share this) removes the document.
    let txn = sea_orm::TransactionTrait::begin(&app.db).await.unwrap();
    retention::delete_cases(&txn, std::slice::from_ref(&kari)).await.unwrap();
    txn.commit().await.unwrap();
    let report = search_index::run(&state).await.unwrap();
    assert_eq!(report.synced, 1);
    let deleted: Vec<serde_json::Value> = meili
        .requests()
        .into_iter()
        .filter(|r| r.index == "t_cases" && r.what == "delete-batch")
        .map(|r| {
            assert_eq!(r.method, "POST");
            r.body
        })
        .collect();
    assert_eq!(deleted, [serde_json::json!([kari.id])]);
    assert!(search_job::Entity::find().all(&app.db).await.unwrap().is_empty());
});

dual!(
    a_client_change_reindexes_the_client_and_its_cases,
    |app| async move {
        let port = closed_port();
        let meili = MeiliStandIn::start_on(port).await;
        let state = with_meili_at(&app, port);
        app.seed_demo().await;
        search_index::run(&state).await.unwrap();
        let clients: Vec<serde_json::Value> = meili
            .requests()
            .into_iter()
            .filter(|r| r.index == "t_clients" && r.what == "documents")
            .flat_map(|r| r.body.as_array().unwrap().clone())
            .collect();
        assert_eq!(clients.len(), 3, "{clients:?}");
        assert!(
            clients
                .iter()
                .any(|c| c["campaigns"][0] == "Fastpris vinter")
        );
        // A client made inactive leaves the public index.
        let c = entity::client::Entity::find()
            .filter(entity::client::Column::Name.eq("Stiftelsen Hjertelaget"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let admin = app.sign_in_as(Role::Admin).await;
        let r = app
            .post_as(
                &format!("/admin/oppdragsgivere/{}", c.id),
                &[
                    ("navn", "Stiftelsen Hjertelaget"),
                    ("orgnr", &c.org_number),
                    ("beskrivelse", &c.description),
                    ("nettsted", c.website.as_deref().unwrap_or("")),
                ],
                &admin,
            )
            .await;
        assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
        search_index::run(&state).await.unwrap();
        let deleted: Vec<serde_json::Value> = meili
            .requests()
            .into_iter()
            .filter(|r| r.index == "t_clients" && r.what == "delete-batch")
            .map(|r| r.body)
            .collect();
        assert_eq!(deleted, [serde_json::json!([c.id])]);
    }
);

dual!(
    without_a_search_server_the_index_queue_is_emptied_not_grown,
    |app| async move {
        two_cases(&app).await;
        assert_eq!(
            search_job::Entity::find().all(&app.db).await.unwrap().len(),
            2
        );
        search_index::run(&app.state).await.unwrap();
        assert!(
            search_job::Entity::find()
                .all(&app.db)
                .await
                .unwrap()
                .is_empty()
        );
    }
);

// ---------- against a real Meilisearch (MEILI_URL) ----------

fn real_meili(c: &mut Config) {
    let url = std::env::var("MEILI_URL").unwrap_or_default();
    let key = std::env::var("MEILI_MASTER_KEY")
        .or_else(|_| std::env::var("MEILI_API_KEY"))
        .ok();
    c.meili = Some(MeiliConfig {
        url,
        api_key: key,
        timeout: StdDuration::from_secs(5),
        index_prefix: format!("innsyn_test_{}", uuid::Uuid::new_v4().simple()),
    });
}

/// The real-server tests are `#[ignore]`d, so a run without a server reports
/// them as ignored, never as passed; `.ci/test` runs them with
/// `--include-ignored` when `MEILI_URL` is set and says loudly when it is not.
/// Asked for explicitly without a server, they fail rather than pass.
fn real_server_is_configured(test: &str) -> bool {
    assert!(
        std::env::var("MEILI_URL").is_ok_and(|v| !v.trim().is_empty()),
        "{test} needs a real Meilisearch: set MEILI_URL (and MEILI_MASTER_KEY)"
    );
    true
}

/// Sends the queue to the real server and waits until `q` finds `id` there.
async fn indexed(app: &TestApp, q: &str, id: i32) {
    let m = app.state.search.meili().unwrap();
    m.apply_settings().await.unwrap();
    search_index::run(&app.state).await.unwrap();
    for _ in 0..100 {
        if m.search_cases(q, "")
            .await
            .is_ok_and(|ids| ids.contains(&id))
        {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("the real server did not index case {id} in 10 s");
}

async fn on_real_server<F, Fut>(test: &str, f: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    if !real_server_is_configured(test) {
        return;
    }
    crate::support::run_with(Backend::Sqlite, real_meili, f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Meilisearch at MEILI_URL; run with --include-ignored"]
async fn meili_real_server_finds_by_message_fragment_phone_and_reference_with_a_typo() {
    on_real_server(
        "meili_real_server_finds_by_message_fragment_phone_and_reference_with_a_typo",
        |app| async move {
            let (kari, ola) = two_cases(&app).await;
            indexed(&app, "Brønnøysundregisteret", kari.id).await;
            let s = app.sign_in_as(Role::Handler).await;
            let r = queue(&app, &s, &[("q", "brønnøysundregisteret")]).await;
            assert_eq!(references(&r), vec![kari.reference.clone()]);
            assert_eq!(r.count(".search-degraded"), 0);
            // A phone number in any written form, an address, a reference
            // (in any case): exactly the cases carrying it.
            for q in ["912 34 567", "+47 91234567", "0047 912 34 567"] {
                let r = queue(&app, &s, &[("q", q)]).await;
                assert_eq!(references(&r), vec![kari.reference.clone()], "{q}");
            }
            let r = queue(&app, &s, &[("q", "Ola@Example.no")]).await;
            assert_eq!(references(&r), vec![ola.reference.clone()]);
            let r = queue(&app, &s, &[("q", &ola.reference)]).await;
            assert_eq!(references(&r), vec![ola.reference.clone()]);
            let r = queue(&app, &s, &[("q", &kari.reference.to_lowercase())]).await;
            assert_eq!(references(&r), vec![kari.reference.clone()]);
            // Typo tolerance: a misspelled name.
            let r = queue(&app, &s, &[("q", "Nordman")]).await;
            assert_eq!(references(&r), vec![kari.reference.clone()]);
            // Filters apply.
            let r = queue(&app, &s, &[("q", "faktura"), ("kanal", "sms")]).await;
            assert_eq!(references(&r), vec![ola.reference.clone()]);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Meilisearch at MEILI_URL; run with --include-ignored"]
async fn meili_real_server_no_longer_finds_a_purged_case() {
    on_real_server(
        "meili_real_server_no_longer_finds_a_purged_case",
        |app| async move {
            let (kari, _ola) = two_cases(&app).await;
            indexed(&app, "Brønnøysundregisteret", kari.id).await;
            let txn = sea_orm::TransactionTrait::begin(&app.db).await.unwrap();
            retention::delete_cases(&txn, std::slice::from_ref(&kari))
                .await
                .unwrap();
            txn.commit().await.unwrap();
            search_index::run(&app.state).await.unwrap();
            let m = app.state.search.meili().unwrap();
            for _ in 0..100 {
                if m.search_cases("Brønnøysundregisteret", "")
                    .await
                    .unwrap()
                    .is_empty()
                {
                    return;
                }
                tokio::time::sleep(StdDuration::from_millis(100)).await;
            }
            panic!("the purged case is still in the real index");
        },
    )
    .await;
}
