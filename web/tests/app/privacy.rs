//! A person's access and erasure (GDPR articles 15 and 17; norm 7, 8.2.1)
//! reach every table that holds them, and a schema walk keeps it so.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use entity::enums::{Channel, ReservationSource, Role};
use entity::{
    abandoned_call, attachment, case, client, client_reservation, inbound_event, mail_outbox,
    message, recording, recording_tombstone, reservation, search_job, wash_job, wash_job_chunk,
};
use innsyn::domain::cases::{NewCase, open_case};
use innsyn::domain::phone::E164;
use innsyn::domain::{dialer::reservations, privacy::retention, privacy::subject_access};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    Statement,
};

use crate::dual;
use crate::support::{Backend, TestApp};

const DEMO_NUMBER: &str = "+4721000010";

/// A number of this backend's own, so that the two databases' tests never
/// touch each other's wash files in the shared temporary directory.
fn person(app: &TestApp) -> &'static str {
    match app.backend {
        Backend::Sqlite => "+4791234101",
        Backend::Postgres => "+4791234102",
    }
}

async fn sms(app: &TestApp, sid: &str, from: &str, body: &str) {
    let r = app
        .twilio_post(
            "/webhooks/twilio/sms",
            &[
                ("MessageSid", sid),
                ("From", from),
                ("To", DEMO_NUMBER),
                ("Body", body),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn voicemail(app: &TestApp, rec: &str, from: &str) {
    let r = app
        .twilio_post(
            "/webhooks/twilio/voice/recording",
            &[
                ("CallSid", &format!("CA{rec}")),
                ("From", from),
                ("To", DEMO_NUMBER),
                ("RecordingSid", rec),
                ("RecordingUrl", &format!("https://api.twilio.com/x/{rec}")),
                ("RecordingDuration", "12"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .twilio_post(
            "/webhooks/twilio/voice/transcription",
            &[
                ("RecordingSid", rec),
                ("TranscriptionSid", &format!("TR{rec}")),
                ("TranscriptionText", "Ring meg ikke mer, takk"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn cases_of(app: &TestApp, phone: &str) -> Vec<case::Model> {
    case::Entity::find()
        .filter(case::Column::ConsumerPhone.eq(phone))
        .all(&app.db)
        .await
        .unwrap()
}

/// Everything the person can be in, and one other person beside them.
async fn a_person_everywhere(app: &TestApp, p: &str) {
    app.seed_demo().await;
    sms(app, "SM0PERSON", p, "Hei, dere ringte meg om strøm").await;
    voicemail(app, "RE00000000000000000000000000001001", p).await;
    sms(app, "SM0OTHER", "+4791239999", "Ikke meg").await;
    let cases = cases_of(app, p).await;
    assert_eq!(cases.len(), 2);
    let first = message::Entity::find()
        .filter(message::Column::CaseId.eq(cases[0].id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    attachment::ActiveModel {
        message_id: Set(first.id),
        filename: Set("strømregning.pdf".into()),
        content_type: Set("application/pdf".into()),
        size: Set(4),
        data: Set(b"%PDF".to_vec()),
        created_at: Set(app.clock_now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    mail_outbox::ActiveModel {
        case_id: Set(Some(cases[0].id)),
        // An alert to staff about the person's case: not the person's mail,
        // but it goes with the case.
        to_addr: Set("handler@staff.example".into()),
        subject: Set(format!("Frist nærmer seg: {}", cases[0].reference)),
        body: Set("Saken må besvares.".into()),
        message_id: Set("m1@nordlys.example".into()),
        attempts: Set(0),
        next_attempt_at: Set(app.clock_now()),
        created_at: Set(app.clock_now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    for n in [p, "+4791239999"] {
        reservations::reserve(
            &app.db,
            &E164::parse(n).unwrap(),
            ReservationSource::Web,
            app.clock_now(),
        )
        .await
        .unwrap();
        abandoned_call::ActiveModel {
            e164: Set(n.into()),
            at: Set(app.clock_now() - Duration::days(1)),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let client = client::Entity::find().one(&app.db).await.unwrap().unwrap();
    client_reservation::ActiveModel {
        client_id: Set(client.id),
        e164: Set(p.into()),
        created_at: Set(app.clock_now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    wash_jobs_of(app, p).await;
}

/// Two back-office washes: one whose list and result hold the person's
/// number (washed), one of other numbers only (stopped after the upload).
async fn wash_jobs_of(app: &TestApp, p: &str) {
    let s = app.sign_in_as(Role::Manager).await;
    let national = p.trim_start_matches("+47");
    let list = format!(
        "22334455\n{} {} {}\n",
        &national[..3],
        &national[3..5],
        &national[5..]
    );
    let r = app
        .post_multipart_as("/admin/vask/last-opp", &s, &[("fil", Some("l.txt"), &list)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    for _ in 0..400 {
        let done = wash_job::Entity::find()
            .filter(wash_job::Column::State.eq("done"))
            .count(&app.db)
            .await
            .unwrap();
        if done == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    app.state
        .wash_jobs
        .hold
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let r = app
        .post_multipart_as(
            "/admin/vask/last-opp",
            &s,
            &[("fil", Some("l.txt"), "22334455\n91239999\n")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    app.state
        .wash_jobs
        .hold
        .store(false, std::sync::atomic::Ordering::Relaxed);
}

dual!(
    gdpr_access_finds_the_person_in_every_table_and_the_copy_names_each_kind_in_words,
    |app: TestApp| async move {
        let p = person(&app);
        a_person_everywhere(&app, p).await;
        let s = app.sign_in_as(Role::Admin).await;
        let page = app
            .get_as(&format!("/admin/personopplysninger?q={}", &p[3..]), &s)
            .await;
        assert_eq!(page.status, 200);
        let count = |kind: &str| {
            page.text(&format!(".held-kind[data-kind={kind}] .count"))
                .unwrap_or_else(|| panic!("no {kind} on the page"))
        };
        assert_eq!(count("cases"), "2");
        assert_eq!(
            count("messages"),
            "3",
            "SMS, voicemail and its transcription"
        );
        assert_eq!(count("recordings"), "1");
        assert_eq!(count("reservations"), "1");
        assert_eq!(count("client_reservations"), "1");
        assert_eq!(count("abandoned_calls"), "1");
        assert_eq!(
            page.count(".held-kind[data-kind=mail]"),
            0,
            "staff alerts are not the person's mail"
        );
        assert_eq!(
            count("deliveries"),
            "3",
            "the SMS, the recording, the transcription"
        );
        assert_eq!(
            count("wash_files"),
            "1",
            "the washed list (its result holds the number), not the other list"
        );

        // The JSON copy: words, not codes, in the reader's language.
        let json = app
            .get_as(
                &format!(
                    "/admin/personopplysninger/eksport?q={}&format=json",
                    &p[3..]
                ),
                &s,
            )
            .await
            .json();
        let kinds: Vec<&str> = json["contents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kind"].as_str().unwrap())
            .collect();
        assert!(kinds.contains(&"Henvendelser (saker)"), "{kinds:?}");
        assert!(kinds.contains(&"Anrop til deg som ble brutt før en medarbeider svarte"));
        let sms_case = json["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == "SMS")
            .expect("the SMS case, its channel in words");
        assert_eq!(sms_case["messages"][0]["direction"], "Fra deg");
        assert_eq!(
            sms_case["messages"][0]["body"],
            "Hei, dere ringte meg om strøm"
        );
        assert_eq!(
            sms_case["messages"][0]["attachments"][0],
            "strømregning.pdf"
        );
        assert_eq!(sms_case["status"], "Ikke besvart ennå");
        assert_eq!(
            json["reservations"][0]["source"],
            "Du reserverte deg på nettsiden vår"
        );
        assert_eq!(json["client_reservations"][0]["number"], p);
        assert_eq!(json["abandoned_calls"][0]["number"], p);
        assert_eq!(json["outgoing_mail"].as_array().unwrap().len(), 0);
        assert_eq!(json["deliveries"].as_array().unwrap().len(), 3);
        assert_eq!(json["deliveries"][0]["kind"], "SMS mottatt");
        let text = json.to_string();
        for code in [
            "\"inbound\"",
            "\"sms\"",
            "\"web\"",
            "\"open\"",
            "+4791239999",
        ] {
            assert!(!text.contains(code), "{code} in the copy");
        }
        // The same in English.
        let en = app
            .get_as(
                &format!(
                    "/admin/personopplysninger/eksport?q={}&format=json&lang=en",
                    &p[3..]
                ),
                &s,
            )
            .await
            .json();
        assert_eq!(en["contents"][0]["kind"], "Inquiries (cases)");
        assert_eq!(en["deliveries"][0]["kind"], "Text message received");
        // The readable document lists each kind with what it is.
        let doc = app
            .get_as(
                &format!("/admin/personopplysninger/eksport?q={}", &p[3..]),
                &s,
            )
            .await;
        // Every kind but the waiting mail and the search index (none configured).
        assert_eq!(doc.count(".kind"), 8);
        assert!(doc.body.contains("Hei, dere ringte meg om strøm"));
        assert!(
            !doc.body.contains("+4791239999"),
            "nothing of another person"
        );
        assert!(!doc.body.contains(">inbound<") && !doc.body.contains("· sms ·"));
    }
);

dual!(
    gdpr_erasure_reaches_every_table_keeps_the_opt_outs_and_says_why,
    |app: TestApp| async move {
        let p = person(&app);
        a_person_everywhere(&app, p).await;
        let ids: Vec<i32> = cases_of(&app, p).await.iter().map(|c| c.id).collect();
        let s = app.sign_in_as(Role::Admin).await;
        let r = app
            .post_as(
                "/admin/personopplysninger/slett",
                &[("q", p), ("bekreft", "on")],
                &s,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Gone: cases, messages, attachments, recordings (at Twilio too),
        // the waiting mail, the delivery records, the washed list.
        assert!(cases_of(&app, p).await.is_empty());
        let n = |c: u64| c;
        assert_eq!(
            n(message::Entity::find()
                .filter(message::Column::CaseId.is_in(ids.clone()))
                .count(&app.db)
                .await
                .unwrap()),
            0
        );
        assert_eq!(attachment::Entity::find().count(&app.db).await.unwrap(), 0);
        assert_eq!(recording::Entity::find().count(&app.db).await.unwrap(), 0);
        assert_eq!(app.twilio.deletes(), ["RE00000000000000000000000000001001"]);
        assert_eq!(mail_outbox::Entity::find().count(&app.db).await.unwrap(), 0);
        let keys: Vec<String> = inbound_event::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(
            keys,
            ["sms:SM0OTHER"],
            "only the other person's delivery stays"
        );
        let jobs = wash_job::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(jobs.len(), 1, "only the list without the number stays");
        assert_eq!(jobs[0].state, "running");
        let chunks = wash_job_chunk::Entity::find().all(&app.db).await.unwrap();
        assert!(chunks.iter().all(|c| c.job_id == jobs[0].id));
        // The search index copies are queued for removal.
        for id in &ids {
            assert!(
                search_job::Entity::find()
                    .filter(search_job::Column::DocId.eq(*id))
                    .filter(search_job::Column::Op.eq("delete"))
                    .count(&app.db)
                    .await
                    .unwrap()
                    > 0
            );
        }
        // Kept, and said why: the reservation (4.4.4), the client's own
        // register, the abandoned-call record until its period ends (4.6.3).
        let kept = r
            .text(".kept-reservation")
            .expect("the reservation is said kept");
        assert!(kept.contains("4.4.4"), "{kept}");
        assert!(r.text(".kept-client-reservation").is_some());
        assert!(r.text(".kept-abandoned").unwrap().contains("4.6.3"));
        assert_eq!(
            reservation::Entity::find()
                .filter(reservation::Column::E164.eq(p))
                .count(&app.db)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            client_reservation::Entity::find()
                .count(&app.db)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            abandoned_call::Entity::find().count(&app.db).await.unwrap(),
            2
        );
        // The other person is untouched.
        assert_eq!(cases_of(&app, "+4791239999").await.len(), 1);
        assert_eq!(reservation::Entity::find().count(&app.db).await.unwrap(), 2);
    }
);

dual!(
    gdpr_an_email_request_finds_the_reservation_of_the_number_in_the_persons_cases_and_withdraws_it_on_request,
    |app: TestApp| async move {
        let email = innsyn::domain::email::EmailAddress::parse("kari@example.no").unwrap();
        let phone = E164::parse("+4791234103").unwrap();
        open_case(
            &app.db,
            "K",
            NewCase {
                channel: Channel::Web,
                consumer_name: Some("Kari".into()),
                consumer_phone: Some(phone.clone()),
                consumer_email: Some(email),
                called_from: None,
                category: "unwanted_call".into(),
                body: "Ikke ring meg".into(),
                source_key: None,
                received_at: app.clock_now(),
            },
        )
        .await
        .unwrap();
        reservations::reserve(&app.db, &phone, ReservationSource::Sms, app.clock_now())
            .await
            .unwrap();
        // Mail to the address waiting to be sent: one with no case, one
        // under the case.
        let case_id = case::Entity::find().one(&app.db).await.unwrap().unwrap().id;
        mail_outbox::ActiveModel {
            case_id: Set(Some(case_id)),
            to_addr: Set("kari@example.no".into()),
            subject: Set("Svar på henvendelsen din".into()),
            body: Set("Vi har reservert nummeret ditt.".into()),
            message_id: Set("m1@nordlys.example".into()),
            attempts: Set(0),
            next_attempt_at: Set(app.clock_now()),
            created_at: Set(app.clock_now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        mail_outbox::ActiveModel {
            case_id: Set(None),
            to_addr: Set("kari@example.no".into()),
            subject: Set("Kvittering".into()),
            body: Set("Takk".into()),
            message_id: Set("m2@nordlys.example".into()),
            attempts: Set(0),
            next_attempt_at: Set(app.clock_now()),
            created_at: Set(app.clock_now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let s = app.sign_in_as(Role::Admin).await;
        let page = app
            .get_as("/admin/personopplysninger?q=kari%40example.no", &s)
            .await;
        assert_eq!(page.count(".held-reservation"), 1, "found by the case's number");
        assert_eq!(page.count(".held-mail"), 2);
        let r = app
            .post_as(
                "/admin/personopplysninger/slett",
                &[
                    ("q", "kari@example.no"),
                    ("bekreft", "on"),
                    ("trekk_reservasjon", "on"),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(r.text(".erased-reservations").is_some());
        assert_eq!(r.count(".kept-reservation"), 0);
        assert_eq!(reservation::Entity::find().count(&app.db).await.unwrap(), 0);
        assert_eq!(mail_outbox::Entity::find().count(&app.db).await.unwrap(), 0);
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 0);
    }
);

dual!(
    gdpr_erasure_with_twilio_down_deletes_here_keeps_a_tombstone_says_so_and_the_purge_finishes_at_twilio,
    |app: TestApp| async move {
        let p = person(&app);
        app.seed_demo().await;
        voicemail(&app, "RE00000000000000000000000000001002", p).await;
        app.twilio.set_recordings_down(true);
        let s = app.sign_in_as(Role::Admin).await;
        let r = app
            .post_as(
                "/admin/personopplysninger/slett",
                &[("q", p), ("bekreft", "on")],
                &s,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.text(".erased-recordings-pending").is_some());
        assert_eq!(r.count(".erased-recordings"), 0, "not said deleted at Twilio");
        assert!(cases_of(&app, p).await.is_empty());
        assert_eq!(recording::Entity::find().count(&app.db).await.unwrap(), 0);
        let stones = recording_tombstone::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(stones.len(), 1);
        assert_eq!(stones[0].sid, "RE00000000000000000000000000001002");
        app.twilio.set_recordings_down(false);
        let receipt = retention::run(
            &app.db,
            &app.state.twilio,
            innsyn::domain::time::oslo_today(app.clock_now()),
            app.clock_now(),
            retention::RunOptions::default(),
        )
        .await
        .unwrap();
        assert!(receipt.failures.is_empty(), "{:?}", receipt.failures);
        assert_eq!(recording_tombstone::Entity::find().count(&app.db).await.unwrap(), 0);
        assert_eq!(app.twilio.deletes(), ["RE00000000000000000000000000001002", "RE00000000000000000000000000001002"]);
    }
);

/// Column names that can hold a person's phone number, e-mail address,
/// name or words.
const PERSONAL: &[&str] = &[
    "phone",
    "e164",
    "email",
    "addr",
    "name",
    "body",
    "text",
    "message",
    "detail",
    "data",
    "subject",
    "filename",
    "key",
    "response",
    "url",
    "called_from",
    "reason",
    "description",
    "purpose",
    "website",
];

/// Tables with such columns that hold no one's personal data, or whose
/// personal data is covered another way.
const ALLOWED: &[(&str, &str)] = &[
    (
        "text_blocks",
        "wording admins write for answers (tekstbiter): templates, never about a person",
    ),
    (
        "users",
        "staff accounts: their own data, managed on /admin/brukere",
    ),
    (
        "sessions",
        "staff sign-in sessions; deleted when they expire",
    ),
    (
        "login_throttle",
        "failed staff sign-ins; deleted a day after the first failure",
    ),
    (
        "audit_log",
        "staff actions with counts, never a subject's data; its own 12-month rule",
    ),
    ("api_tokens", "dialer systems' tokens, named by staff"),
    ("centre", "the centre's own company details (norm 4.4.1)"),
    (
        "clients",
        "companies the centre works for, public (norm 4.4.1)",
    ),
    ("campaigns", "the clients' campaigns, public (norm 4.4.1)"),
    (
        "caller_numbers",
        "the centre's own numbers and their messages, public (norm 4.4.2)",
    ),
    ("register_versions", "a counter's name"),
    (
        "open_data_versions",
        "a published list's name, the hash of its content and a time",
    ),
];

/// Every table of the live schema with its text columns.
async fn live_columns(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    let be = app.db.get_database_backend();
    let sql = match app.backend {
        Backend::Sqlite => {
            "SELECT m.name, p.name, lower(p.type) FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT table_name::text, column_name::text, data_type::text \
             FROM information_schema.columns WHERE table_schema = current_schema()"
        }
    };
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in app
        .db
        .query_all_raw(Statement::from_string(be, sql))
        .await
        .unwrap()
    {
        let t: String = row.try_get_by_index(0).unwrap();
        let c: String = row.try_get_by_index(1).unwrap();
        let ty: String = row.try_get_by_index(2).unwrap();
        // Only text (and bytes) can hold a number, an address or words.
        let text = ["text", "char", "clob", "blob", "bytea"]
            .iter()
            .any(|k| ty.to_lowercase().contains(k));
        if text {
            out.entry(t).or_default().push(c);
        } else {
            out.entry(t).or_default();
        }
    }
    out
}

dual!(
    gdpr_every_table_with_personal_data_is_covered_by_access_erasure_and_the_purge_or_allow_listed_with_a_reason,
    |app: TestApp| async move {
        let tables = live_columns(&app).await;
        assert!(tables.contains_key("cases") && tables.contains_key("messages"));
        let covered: BTreeSet<&str> = subject_access::COVERED.iter().map(|(t, _)| *t).collect();
        let purged: BTreeSet<&str> = retention::RETENTION.iter().map(|(t, _)| *t).collect();
        let allowed: BTreeSet<&str> = ALLOWED.iter().map(|(t, _)| *t).collect();
        let mut missing = Vec::new();
        for (table, cols) in &tables {
            let personal: Vec<&String> = cols
                .iter()
                .filter(|c| PERSONAL.iter().any(|p| c.to_lowercase().contains(p)))
                .collect();
            if personal.is_empty() || allowed.contains(table.as_str()) {
                continue;
            }
            if !covered.contains(table.as_str()) {
                missing.push(format!("{table} {personal:?}: not reached by access/erasure"));
            }
            if !purged.contains(table.as_str()) {
                missing.push(format!("{table} {personal:?}: no retention rule"));
            }
        }
        assert!(missing.is_empty(), "tables with personal data not covered:\n{}", missing.join("\n"));
        // Every list names tables that exist, with a reason.
        for (t, why) in subject_access::COVERED
            .iter()
            .chain(retention::RETENTION)
            .chain(ALLOWED)
        {
            assert!(tables.contains_key(*t), "{t} is listed but not in the schema");
            assert!(why.len() > 10, "{t} needs a reason");
        }
        // Covered tables are not also allow-listed.
        assert!(covered.is_disjoint(&allowed));
    }
);
