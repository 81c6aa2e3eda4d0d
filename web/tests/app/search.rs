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
use innsyn::config::Config;
use innsyn::domain::cases::{NewCase, open_case};
use innsyn::domain::email::EmailAddress;
use innsyn::domain::phone::E164;
use innsyn::domain::privacy::retention::{self, RunOptions};
use innsyn::domain::search::Doc;
use innsyn::domain::search::MeiliSettings;
use innsyn::jobs::search_index;
use innsyn::state::AppState;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};

use crate::dual;
use crate::support::http::references;
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
    c.meili = Some(MeiliSettings {
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
    config.meili = Some(MeiliSettings {
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
    a_document_counts_as_indexed_only_when_its_task_succeeded_and_a_failed_task_is_retried,
    |app| async move {
        let port = closed_port();
        let meili = MeiliStandIn::start_on(port).await;
        let state = with_meili_at(&app, port);
        let (kari, _ola) = two_cases(&app).await;
        // The server takes the documents, then fails the task.
        meili.fail_tasks(true);
        let report = search_index::run(&state).await.unwrap();
        assert_eq!((report.synced, report.failed), (0, 2), "{report:?}");
        let job = search_job::Entity::find()
            .filter(search_job::Column::DocId.eq(kari.id))
            .one(&app.db)
            .await
            .unwrap()
            .expect("still queued: not searchable");
        assert_eq!(job.attempts, 1);
        assert_eq!(job.task_uid, None, "to be sent again");
        let err = job.last_error.unwrap();
        assert!(
            err.contains("InvalidDocumentId") && !err.contains("Kari"),
            "{err}"
        );
        let left = innsyn::domain::search::backlog(&app.db).await.unwrap();
        assert_eq!((left.waiting, left.failing), (2, 2));
        // Admins see it on the norm overview.
        let admin = app.sign_in_as(Role::Admin).await;
        let r = app.get_as("/admin/norm", &admin).await;
        let row = "tr.norm-check.red[data-key=norm-search-backlog]";
        assert_eq!(r.count(row), 1);
        assert_eq!(r.text(&format!("{row} td.figure")).as_deref(), Some("2"));
        // Not before the back-off; then sent again, and this time it holds.
        meili.fail_tasks(false);
        assert_eq!(search_index::run(&state).await.unwrap(), Default::default());
        app.clock
            .advance(search_index::backoff(1) + Duration::seconds(1));
        let report = search_index::run(&state).await.unwrap();
        assert_eq!((report.synced, report.failed), (2, 0), "{report:?}");
        assert!(
            search_job::Entity::find()
                .all(&app.db)
                .await
                .unwrap()
                .is_empty()
        );
        let r = app.get_as("/admin/norm", &admin).await;
        assert_eq!(
            r.count("tr.norm-check.green[data-key=norm-search-backlog]"),
            1
        );
    }
);

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
    c.meili = Some(MeiliSettings {
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

/// Runs the index job until every queued document's Meilisearch task has
/// succeeded (each run waits on the tasks it sent; no fixed pauses).
async fn synced(state: &AppState) {
    let m = state.search.meili().unwrap();
    m.apply_settings().await.unwrap();
    for _ in 0..50 {
        search_index::run(state).await.unwrap();
        let left = innsyn::domain::search::backlog(&state.db).await.unwrap();
        if left.waiting == 0 {
            return;
        }
        // Waiting for a back-off means a call or a task failed just now.
        let now = state.clock.now();
        let jobs = search_job::Entity::find().all(&state.db).await.unwrap();
        assert!(
            !jobs
                .iter()
                .any(|j| j.task_uid.is_none() && j.next_attempt_at.is_some_and(|t| t > now)),
            "an index call or task failed: {jobs:?}"
        );
        // Sent but not finished yet: wait on those tasks themselves.
        for job in search_job::Entity::find().all(&state.db).await.unwrap() {
            if let Some(uid) = job.task_uid.filter(|&u| u > 0) {
                m.wait_for(u32::try_from(uid).unwrap(), StdDuration::from_secs(60))
                    .await
                    .unwrap();
            }
        }
    }
    panic!("the real server did not confirm the queued documents");
}

/// The queue sent and confirmed, then `q` finds `id` in the real index.
async fn indexed(app: &TestApp, q: &str, id: i32) {
    synced(&app.state).await;
    let m = app.state.search.meili().unwrap();
    let ids = m.search_cases(q, "").await.unwrap();
    assert!(
        ids.contains(&id),
        "{q} finds case {id} once its task succeeded: {ids:?}"
    );
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

/// A complaint from the web form, an e-mail and an SMS, as the inbound
/// paths file them.
async fn three_channels(app: &TestApp) -> [case::Model; 3] {
    let complaint = case_of(
        app,
        NewOne {
            name: "Kari Nordmann",
            phone: Some("+4791234567"),
            email: None,
            channel: Channel::Web,
            body: "Jeg har reservert meg i Brønnøysundregisteret, men dere ringte likevel.",
        },
    )
    .await;
    let email = case_of(
        app,
        NewOne {
            name: "Øystein Ærlighet",
            phone: None,
            email: Some("oystein@example.no"),
            channel: Channel::Email,
            body: "Hvorfor fikk jeg en purring på strømavtalen jeg aldri inngikk?",
        },
    )
    .await;
    let sms = case_of(
        app,
        NewOne {
            name: "Ola Hansen",
            phone: Some("+4798765432"),
            email: None,
            channel: Channel::Sms,
            body: "Slutt å ringe meg om abonnement, takk.",
        },
    )
    .await;
    [complaint, email, sms]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Meilisearch at MEILI_URL; run with --include-ignored"]
async fn meili_real_server_finds_a_complaint_an_email_and_an_sms_by_typo_name_reference_and_phone()
{
    on_real_server(
        "meili_real_server_finds_a_complaint_an_email_and_an_sms_by_typo_name_reference_and_phone",
        |app| async move {
            let filed = std::time::Instant::now();
            let [complaint, email, sms] = three_channels(&app).await;
            synced(&app.state).await;
            let findable = filed.elapsed();
            let s = app.sign_in_as(Role::Handler).await;
            assert_eq!(
                references(&queue(&app, &s, &[("q", "Brønnøysundregistret")]).await),
                vec![complaint.reference.clone()]
            );
            println!(
                "benchmark: three cases filed to findable in Meilisearch (tasks succeeded) in {} ms",
                findable.as_millis()
            );
            // One word of each message, with one typo.
            for (q, want) in [
                ("Brønnøysundregistret", &complaint),
                ("strømavtlen", &email),
                ("abonement", &sms),
            ] {
                let r = queue(&app, &s, &[("q", q)]).await;
                assert_eq!(references(&r), vec![want.reference.clone()], "{q}");
                assert_eq!(r.count(".search-degraded"), 0);
            }
            // By the consumer's name (any case, non-ASCII letters too).
            for (q, want) in [
                ("Kari Nordmann", &complaint),
                ("øystein", &email),
                ("ÆRLIGHET", &email),
                ("Ola Hansen", &sms),
            ] {
                let r = queue(&app, &s, &[("q", q)]).await;
                assert_eq!(references(&r), vec![want.reference.clone()], "{q}");
            }
            // By reference and e-mail address: exactly that case.
            for c in [&complaint, &email, &sms] {
                let r = queue(&app, &s, &[("q", &c.reference.to_lowercase())]).await;
                assert_eq!(references(&r), vec![c.reference.clone()]);
            }
            let r = queue(&app, &s, &[("q", "Oystein@Example.NO")]).await;
            assert_eq!(references(&r), vec![email.reference.clone()]);
            // The phone number written three ways.
            for (q, want) in [
                ("912 34 567", &complaint),
                ("+47 91234567", &complaint),
                ("0047 912 34 567", &complaint),
                ("98765432", &sms),
                ("+47 987 65 432", &sms),
                ("0047 98 76 54 32", &sms),
            ] {
                let r = queue(&app, &s, &[("q", q)]).await;
                assert_eq!(references(&r), vec![want.reference.clone()], "{q}");
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Meilisearch at MEILI_URL; run with --include-ignored"]
async fn meili_real_server_applies_the_status_channel_and_client_filters() {
    on_real_server(
        "meili_real_server_applies_the_status_channel_and_client_filters",
        |app| async move {
            app.seed_demo().await;
            let [complaint, email, sms] = three_channels(&app).await;
            // Every case wrote to us about "ringe"/"ringte"? Use a word all share:
            // the consumer's surname is not shared, so file by client instead.
            let client = entity::client::Entity::find()
                .filter(entity::client::Column::Name.eq("Stiftelsen Hjertelaget"))
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            let mut am = sms.clone().into_active_model();
            am.client_id = Set(Some(client.id));
            am.update(&app.db).await.unwrap();
            let mut am = email.clone().into_active_model();
            am.status = Set(CaseStatus::Closed);
            am.update(&app.db).await.unwrap();
            innsyn::domain::search::enqueue_many(&app.db, [Doc::Case(sms.id), Doc::Case(email.id)])
                .await
                .unwrap();
            synced(&app.state).await;
            let s = app.sign_in_as(Role::Handler).await;
            // Status: the closed e-mail case only under "closed".
            let r = queue(&app, &s, &[("q", "strømavtalen")]).await;
            assert!(references(&r).is_empty());
            let r = queue(&app, &s, &[("q", "strømavtalen"), ("status", "closed")]).await;
            assert_eq!(references(&r), vec![email.reference.clone()]);
            // Channel: "ringe"/"ringte" in the complaint and the SMS.
            let mut both = references(&queue(&app, &s, &[("q", "ringe")]).await);
            both.sort();
            let mut want = vec![complaint.reference.clone(), sms.reference.clone()];
            want.sort();
            assert_eq!(both, want);
            let r = queue(&app, &s, &[("q", "ringe"), ("kanal", "sms")]).await;
            assert_eq!(references(&r), vec![sms.reference.clone()]);
            let r = queue(&app, &s, &[("q", "ringe"), ("kanal", "web")]).await;
            assert_eq!(references(&r), vec![complaint.reference.clone()]);
            // Client, by id and by its name in the search box.
            let id = client.id.to_string();
            let r = queue(&app, &s, &[("q", "ringe"), ("oppdragsgiver", &id)]).await;
            assert_eq!(references(&r), vec![sms.reference.clone()]);
            let m = app.state.search.meili().unwrap();
            let hits = m
                .search_cases("ringe", &format!("client_id = {}", client.id))
                .await
                .unwrap();
            assert_eq!(hits, vec![sms.id]);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Meilisearch at MEILI_URL; run with --include-ignored"]
async fn meili_real_server_no_longer_finds_a_purged_or_erased_case() {
    on_real_server(
        "meili_real_server_no_longer_finds_a_purged_or_erased_case",
        |app| async move {
            let [complaint, email, _sms] = three_channels(&app).await;
            indexed(&app, "Brønnøysundregisteret", complaint.id).await;
            // The retention purge and erasure both delete through this.
            let txn = sea_orm::TransactionTrait::begin(&app.db).await.unwrap();
            retention::delete_cases(&txn, &[complaint.clone(), email.clone()])
                .await
                .unwrap();
            txn.commit().await.unwrap();
            synced(&app.state).await;
            let m = app.state.search.meili().unwrap();
            for q in [
                "Brønnøysundregisteret",
                "Kari Nordmann",
                "91234567",
                "strømavtalen",
                "oystein@example.no",
            ] {
                let ids = m.search_cases(q, "").await.unwrap();
                assert!(
                    !ids.contains(&complaint.id) && !ids.contains(&email.id),
                    "{q} still finds a deleted case: {ids:?}"
                );
            }
            for c in [&complaint, &email] {
                let exact = format!("reference = \"{}\"", c.reference);
                let ids = m.search_cases("", &exact).await.unwrap();
                assert!(ids.is_empty(), "{ids:?}");
            }
        },
    )
    .await;
}

/// The app's state, with Meilisearch at `url` (same key and index prefix).
fn state_at(app: &TestApp, url: &str) -> AppState {
    let mut config = app.state.config.clone();
    if let Some(m) = config.meili.as_mut() {
        m.url = url.to_string();
        m.timeout = StdDuration::from_millis(500);
    }
    AppState::new(app.db.clone(), config, Arc::new(app.clock.clone())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Meilisearch at MEILI_URL; run with --include-ignored"]
async fn meili_real_server_a_case_edited_while_it_is_down_is_right_once_it_is_back() {
    on_real_server(
        "meili_real_server_a_case_edited_while_it_is_down_is_right_once_it_is_back",
        |app| async move {
            let [complaint, _email, _sms] = three_channels(&app).await;
            indexed(&app, "Kari Nordmann", complaint.id).await;
            // Meilisearch is down (nothing listens there).
            let down = state_at(&app, &format!("http://127.0.0.1:{}", closed_port()));
            let mut am = complaint.clone().into_active_model();
            am.consumer_name = Set(Some("Kari Vestli".into()));
            am.update(&app.db).await.unwrap();
            innsyn::domain::search::enqueue(&app.db, Doc::Case(complaint.id))
                .await
                .unwrap();
            let report = search_index::run(&down).await.unwrap();
            assert_eq!((report.synced, report.failed), (0, 1));
            let left = innsyn::domain::search::backlog(&app.db).await.unwrap();
            assert_eq!((left.waiting, left.failing), (1, 1), "shown to admins");
            let admin = app.sign_in_as(Role::Admin).await;
            let r = app.get_as("/admin/norm", &admin).await;
            assert_eq!(r.status, 200);
            assert_eq!(
                r.count("tr.norm-check.red[data-key=norm-search-backlog]"),
                1,
                "the norm overview shows the failing index update"
            );
            // Back up: after the back-off the edit lands.
            app.clock
                .advance(search_index::backoff(1) + Duration::seconds(1));
            synced(&app.state).await;
            let m = app.state.search.meili().unwrap();
            assert_eq!(
                m.search_cases("Vestli", "").await.unwrap(),
                vec![complaint.id]
            );
            assert!(
                !m.search_cases("Nordmann", "")
                    .await
                    .unwrap()
                    .contains(&complaint.id)
            );
            let r = app.get_as("/admin/norm", &admin).await;
            assert_eq!(
                r.count("tr.norm-check.green[data-key=norm-search-backlog]"),
                1
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Meilisearch at MEILI_URL; run with --include-ignored"]
async fn meili_real_server_reindex_swaps_fresh_indexes_in_and_keeps_writes_made_meanwhile() {
    on_real_server(
        "meili_real_server_reindex_swaps_fresh_indexes_in_and_keeps_writes_made_meanwhile",
        |app| async move {
            let [complaint, email, sms] = three_channels(&app).await;
            synced(&app.state).await;
            let m = app.state.search.meili().unwrap().clone();
            // A document of a row that is gone (left over in the index).
            m.upsert_cases(&[innsyn::domain::search::meili::CaseDocument {
                id: 999_999,
                reference: "K-2020-999999".into(),
                ..search_index::case_documents(&app.db, &[sms.id])
                    .await
                    .unwrap()[0]
                    .clone()
            }])
            .await
            .unwrap();
            synced(&app.state).await;
            let state = app.state.clone();
            let db = app.db.clone();
            let handle = tokio::runtime::Handle::current();
            let mut checked = false;
            let (cases, _clients) = search_index::reindex(&app.state, |done, total| {
                if done < total || checked {
                    return;
                }
                checked = true;
                tokio::task::block_in_place(|| {
                    handle.block_on(async {
                        // Mid-rebuild: search still answers from the complete old index.
                        let live = m.search_cases("abonnement", "").await.unwrap();
                        assert!(live.contains(&sms.id), "{live:?}");
                        // A write now, synced to the live index, must survive the swap.
                        let mut am = email.clone().into_active_model();
                        am.consumer_name = Set(Some("Øystein Midtbygge".into()));
                        am.update(&db).await.unwrap();
                        innsyn::domain::search::enqueue(&db, Doc::Case(email.id))
                            .await
                            .unwrap();
                        search_index::run(&state).await.unwrap();
                    })
                });
            })
            .await
            .unwrap();
            assert!(checked);
            assert_eq!(cases, 3);
            // After the swap the replayed write lands in the fresh index.
            synced(&app.state).await;
            assert_eq!(
                m.search_cases("Midtbygge", "").await.unwrap(),
                vec![email.id]
            );
            assert_eq!(m.document_count(&m.cases_index()).await.unwrap(), 3);
            let left_over = m
                .search_cases("", "reference = \"K-2020-999999\"")
                .await
                .unwrap();
            assert!(
                left_over.is_empty(),
                "the stale document went with the old index"
            );
            let ids = m.search_cases("Brønnøysundregisteret", "").await.unwrap();
            assert_eq!(ids, vec![complaint.id]);
            // No rebuild index is left behind.
            let (rc, rk) = m.rebuild_indexes();
            assert!(m.document_count(&rc).await.is_err());
            assert!(m.document_count(&rk).await.is_err());
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Meilisearch at MEILI_URL; run with --include-ignored"]
async fn meili_real_server_a_failed_reindex_leaves_the_old_indexes_in_use() {
    on_real_server(
        "meili_real_server_a_failed_reindex_leaves_the_old_indexes_in_use",
        |app| async move {
            let [complaint, _email, _sms] = three_channels(&app).await;
            synced(&app.state).await;
            let m = app.state.search.meili().unwrap().clone();
            let config = app.state.config.meili.clone().unwrap();
            let client =
                meilisearch_sdk::client::Client::new(config.url.clone(), config.api_key.clone())
                    .unwrap();
            let handle = tokio::runtime::Handle::current();
            let (rebuild_cases, _) = m.rebuild_indexes();
            let mut sabotaged = false;
            // Before the first batch: the fresh index gets another primary
            // key, so Meilisearch fails the batch's task.
            let r = search_index::reindex(&app.state, |done, _| {
                if done > 0 || sabotaged {
                    return;
                }
                sabotaged = true;
                tokio::task::block_in_place(|| {
                    handle.block_on(async {
                        let t = client
                            .index(rebuild_cases.as_str())
                            .set_primary_key("reference")
                            .await
                            .unwrap();
                        client.wait_for_task(t, None, None).await.unwrap();
                    })
                });
            })
            .await;
            assert!(sabotaged);
            let err = r.expect_err("the rebuild failed");
            assert!(err.to_string().contains("failed"), "{err}");
            // The old index is in use and complete; the fresh one is gone.
            assert_eq!(m.document_count(&m.cases_index()).await.unwrap(), 3);
            let ids = m.search_cases("Brønnøysundregisteret", "").await.unwrap();
            assert_eq!(ids, vec![complaint.id]);
            assert!(m.document_count(&rebuild_cases).await.is_err());
            // The index job is back to normal (no rebuild marker left).
            let left = innsyn::domain::search::backlog(&app.db).await.unwrap();
            assert_eq!(left.failing, 0);
            synced(&app.state).await;
        },
    )
    .await;
}

/// A Meilisearch process of the test's own (MEILI_BIN), on its own port
/// and data directory, killed when dropped.
struct OwnMeili {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl OwnMeili {
    fn start(bin: &str, port: u16, dir: &std::path::Path, key: &str) -> OwnMeili {
        let child = std::process::Command::new(bin)
            .args(["--db-path", dir.join("data").to_str().unwrap()])
            .args(["--http-addr", &format!("127.0.0.1:{port}")])
            .args([
                "--master-key",
                key,
                "--no-analytics",
                "--env",
                "development",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start MEILI_BIN");
        let mut me = OwnMeili {
            child,
            port,
            dir: dir.to_path_buf(),
        };
        me.wait_healthy();
        me
    }

    /// Blocks until `GET /health` answers "available" (the process is up;
    /// a readiness check, not a pause standing in for one).
    fn wait_healthy(&mut self) {
        use std::io::{Read, Write};
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("MEILI_BIN exited: {status}");
            }
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if answer.contains("\"available\"") {
                    return;
                }
            }
            std::thread::sleep(StdDuration::from_millis(50));
        }
        panic!("MEILI_BIN did not become healthy");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnMeili {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Meilisearch binary at MEILI_BIN; run with --include-ignored"]
async fn meili_real_server_a_restart_with_its_data_kept_loses_nothing() {
    let bin = std::env::var("MEILI_BIN")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .expect("this test starts its own Meilisearch: set MEILI_BIN (.ci/test does)");
    let dir = std::env::temp_dir().join(format!("innsyn-meili-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = uuid::Uuid::new_v4().simple().to_string();
    let port = closed_port();
    let own = OwnMeili::start(&bin, port, &dir, &key);
    let url = own.url();
    let own = Arc::new(std::sync::Mutex::new(Some(own)));
    let own2 = own.clone();
    crate::support::run_with(
        Backend::Sqlite,
        |_| {},
        |app| async move {
            let mut config = app.state.config.clone();
            config.meili = Some(MeiliSettings {
                url,
                api_key: Some(key.clone()),
                timeout: StdDuration::from_secs(5),
                index_prefix: "innsyn_restart".into(),
            });
            let state = AppState::new(app.db.clone(), config, Arc::new(app.clock.clone())).unwrap();
            let cases = three_channels(&app).await;
            synced(&state).await;
            let m = state.search.meili().unwrap();
            // Killed (no clean shutdown), then started again on the same data.
            let old = own2.lock().unwrap().take().unwrap();
            let (data, port) = (old.dir.clone(), old.port);
            drop(old);
            let again = OwnMeili::start(&bin, port, &data, &key);
            assert_eq!(m.document_count(&m.cases_index()).await.unwrap(), 3);
            for (q, c) in [
                ("Brønnøysundregisteret", &cases[0]),
                ("strømavtalen", &cases[1]),
                ("abonnement", &cases[2]),
            ] {
                assert_eq!(m.search_cases(q, "").await.unwrap(), vec![c.id], "{q}");
            }
            // Settings survived too: an identifier is still an exact filter.
            let hits = m
                .search_cases("", &format!("reference = \"{}\"", cases[1].reference))
                .await
                .unwrap();
            assert_eq!(hits, vec![cases[1].id]);
            drop(again);
        },
    )
    .await;
    drop(own);
    let _ = std::fs::remove_dir_all(&dir);
}
