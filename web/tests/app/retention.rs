//! Retention (norm 4.4.3, 4.3, 8.2.1 b) and a person's access and erasure,
//! with a frozen clock.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entity::enums::{CaseStatus, Channel, Role};
use entity::{
    abandoned_call, audit_log, case, case_fact, message, recording, recording_tombstone,
    reservation, retention_run,
};
use innsyn::domain::cases::{NewCase, open_case};
use innsyn::domain::privacy::retention::{self, RunOptions};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};

use crate::dual;
use crate::support::rows::exists;
use crate::support::{TestApp, today};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

/// A case received at `received`, answered an hour later, closed at `closed`.
async fn case_closed(
    app: &TestApp,
    phone: &str,
    received: DateTime<Utc>,
    closed: Option<DateTime<Utc>>,
) -> case::Model {
    let c = open_case(
        &app.db,
        "K",
        NewCase {
            channel: Channel::Sms,
            consumer_name: Some("Kari".into()),
            consumer_phone: Some(innsyn::domain::phone::E164::parse(phone).unwrap()),
            consumer_email: None,
            called_from: Some(innsyn::domain::phone::E164::parse("+4721000010").unwrap()),
            category: "unwanted_call".into(),
            body: format!("Melding fra {phone}"),
            source_key: None,
            received_at: received,
        },
    )
    .await
    .unwrap();
    let mut am = c.into_active_model();
    am.first_response_at = Set(Some(received + Duration::hours(1)));
    if let Some(t) = closed {
        am.status = Set(CaseStatus::Closed);
        am.closed_at = Set(Some(t));
    } else {
        am.status = Set(CaseStatus::Answered);
    }
    am.update(&app.db).await.unwrap()
}

async fn run(app: &TestApp) -> retention::Receipt {
    retention::run(
        &app.db,
        &app.state.twilio,
        today(app),
        app.clock_now(),
        RunOptions::default(),
    )
    .await
    .unwrap()
}

async fn no_orphans(app: &TestApp) {
    let ids: Vec<i32> = case::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    let orphans = message::Entity::find()
        .filter(message::Column::CaseId.is_not_in(ids))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(orphans, 0, "no message without its case");
}

dual!(
    norm_4_4_3_dialogue_is_kept_6_months_after_closing_then_deleted_but_held_and_open_cases_stay,
    |app: TestApp| async move {
        app.seed_demo().await;
        // Now: 18 Nov 2026. Six months before the start of the day: 18 May 2026.
        let kept = case_closed(&app, "91234561", at(2026, 5, 1), Some(at(2026, 5, 19))).await;
        let gone = case_closed(&app, "91234562", at(2026, 5, 1), Some(at(2026, 5, 17))).await;
        let held = case_closed(&app, "91234563", at(2025, 1, 1), Some(at(2025, 1, 2))).await;
        let open = case_closed(&app, "91234564", at(2025, 1, 1), None).await;
        let s = app.sign_in_as(Role::Admin).await;
        let r = app
            .post_as(
                &format!("/admin/saker/{}/hold", held.reference),
                &[("grunn", "Tvist hos Forbrukertilsynet")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        let counts = run(&app).await;
        assert_eq!(counts["cases"].count, 1);
        assert!(exists(&app, kept.id).await);
        assert!(!exists(&app, gone.id).await);
        assert!(exists(&app, held.id).await, "a legal hold keeps the case");
        assert!(exists(&app, open.id).await, "an open case is never deleted");
        no_orphans(&app).await;
        assert_eq!(
            message::Entity::find()
                .filter(message::Column::CaseId.eq(gone.id))
                .count(&app.db)
                .await
                .unwrap(),
            0
        );
        // The hold is audited; lifting it lets the next run delete the case.
        assert!(
            audit_log::Entity::find()
                .all(&app.db)
                .await
                .unwrap()
                .iter()
                .any(|a| a.action == "case.hold")
        );
        app.post_as(&format!("/admin/saker/{}/slipp", held.reference), &[], &s)
            .await;
        run(&app).await;
        assert!(!exists(&app, held.id).await);
        // A receipt without personal data.
        let receipts = retention_run::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(receipts.len(), 2);
        assert!(
            receipts
                .iter()
                .all(|r| r.finished_at.is_some() && !r.counts.contains("9123456"))
        );
        let page = app.get_as("/admin/oppbevaring", &s).await;
        assert_eq!(page.count(".receipt-row"), 2);
    }
);

dual!(
    norm_4_4_3_a_retention_setting_below_the_floor_is_refused_with_its_message,
    |app: TestApp| async move {
        let s = app.sign_in_as(Role::Admin).await;
        let form = |d: &'static str, st: &'static str| {
            [
                ("dialog_maaneder", d),
                ("opptak_dager", "90"),
                ("statistikk_maaneder", st),
                ("logg_maaneder", "12"),
            ]
        };
        let r = app
            .post_as("/admin/oppbevaring", &form("5", "12"), &s)
            .await;
        assert_eq!(r.status, 422);
        assert!(r.text("#dialog_maaneder-error").unwrap().contains("4.4.3"));
        assert_eq!(r.attr("#dialog_maaneder", "value").as_deref(), Some("5"));
        let r = app
            .post_as("/admin/oppbevaring", &form("6", "11"), &s)
            .await;
        assert_eq!(r.status, 422);
        assert!(
            r.text("#statistikk_maaneder-error")
                .unwrap()
                .contains("4.3")
        );
        assert_eq!(
            retention::policy(&app.db).await.unwrap(),
            retention::Policy::default()
        );
        let r = app
            .post_as("/admin/oppbevaring", &form("9", "24"), &s)
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(retention::policy(&app.db).await.unwrap().dialogue_months, 9);
    }
);

dual!(
    norm_4_3_the_statistical_facts_of_a_purged_case_are_kept_without_personal_data,
    |app: TestApp| async move {
        app.seed_demo().await;
        let c = case_closed(&app, "91234565", at(2026, 1, 5), Some(at(2026, 1, 6))).await;
        run(&app).await;
        assert!(!exists(&app, c.id).await);
        let f = case_fact::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(f.received_at, c.received_at);
        assert_eq!(f.received_on, NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
        assert_eq!((f.campaign_id, f.client_id), (c.campaign_id, c.client_id));
        assert!(f.campaign_id.is_some());
        assert_eq!(
            (f.channel, f.category.as_str()),
            (Channel::Sms, "unwanted_call")
        );
        assert!(f.answered_within24h);
        assert_eq!(f.first_response_secs, Some(3600));
        assert!(!format!("{f:?}").contains("9123456"));
    }
);

dual!(
    norm_8_2_1_a_recording_is_kept_89_days_and_deleted_at_91_also_at_twilio,
    |app: TestApp| async move {
        let young = case_closed(&app, "91234566", app.clock_now() - Duration::days(89), None).await;
        let old = case_closed(&app, "91234567", app.clock_now() - Duration::days(91), None).await;
        for (c, sid) in [
            (&young, "RE00000000000000000000000000000089"),
            (&old, "RE00000000000000000000000000000091"),
        ] {
            recording::ActiveModel {
                case_id: Set(c.id),
                sid: Set(sid.into()),
                url: Set(format!("https://api.twilio.com/x/{sid}")),
                duration_secs: Set(10),
                created_at: Set(c.received_at),
                deleted_at: Set(None),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
        let counts = run(&app).await;
        assert_eq!(counts["recordings"].count, 1);
        let recs = recording::Entity::find().all(&app.db).await.unwrap();
        let by = |sid: &str| recs.iter().find(|r| r.sid == sid).unwrap().clone();
        assert!(
            by("RE00000000000000000000000000000089")
                .deleted_at
                .is_none()
        );
        assert!(
            by("RE00000000000000000000000000000091")
                .deleted_at
                .is_some()
        );
        let deletes: Vec<_> = app
            .twilio
            .requests()
            .into_iter()
            .filter(|r| r.method == "DELETE")
            .collect();
        assert_eq!(deletes.len(), 1);
        assert!(
            deletes[0]
                .path
                .ends_with("/Recordings/RE00000000000000000000000000000091.json")
        );
        // The cases themselves are open: they stay.
        assert!(exists(&app, old.id).await);
    }
);

dual!(
    a_database_error_in_one_batch_is_on_the_finished_receipt_while_later_batches_and_other_kinds_go_and_the_next_run_finishes,
    |app: TestApp| async move {
        let mut ids = Vec::new();
        for i in 0..150 {
            let c = case_closed(
                &app,
                &format!("9{:07}", 2000000 + i),
                at(2026, 3, 1),
                Some(at(2026, 3, 2)),
            )
            .await;
            ids.push(c.id);
        }
        abandoned(&app, "+4791230001", app.clock_now() - Duration::days(40)).await;
        let r = retention::run(
            &app.db,
            &app.state.twilio,
            today(&app),
            app.clock_now(),
            RunOptions {
                fail_in_case_batch: Some(1),
                ..Default::default()
            },
        )
        .await
        .expect("the run itself finishes");
        assert!(r.failures["cases"].contains("batch 1"), "{:?}", r.failures);
        // The first batch is left whole, the second is gone whole.
        assert_eq!(r["cases"].count, 50);
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 100);
        assert_eq!(case_fact::Entity::find().count(&app.db).await.unwrap(), 50);
        assert_eq!(message::Entity::find().count(&app.db).await.unwrap(), 100);
        no_orphans(&app).await;
        // Another kind was still purged, and the receipt is finished with the failure.
        assert_eq!(r["abandoned_calls"].count, 1);
        let receipt = retention_run::Entity::find().one(&app.db).await.unwrap().unwrap();
        assert!(receipt.finished_at.is_some());
        assert!(receipt.failures.as_deref().unwrap().contains("cases"));
        let s = app.sign_in_as(Role::Admin).await;
        let page = app.get_as("/admin/oppbevaring", &s).await;
        assert_eq!(page.count(".receipt-failed"), 1);
        // The next run finishes the work.
        let r = run(&app).await;
        assert!(r.failures.is_empty(), "{:?}", r.failures);
        assert_eq!(r["cases"].count, 100);
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 0);
        assert_eq!(message::Entity::find().count(&app.db).await.unwrap(), 0);
        assert_eq!(case_fact::Entity::find().count(&app.db).await.unwrap(), 150);
    }
);

async fn abandoned(app: &TestApp, e164: &str, when: DateTime<Utc>) {
    abandoned_call::ActiveModel {
        e164: Set(e164.into()),
        at: Set(when),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

async fn add_recording(app: &TestApp, c: &case::Model, sid: &str) {
    recording::ActiveModel {
        case_id: Set(c.id),
        sid: Set(sid.into()),
        url: Set(format!("https://api.twilio.com/x/{sid}")),
        duration_secs: Set(10),
        created_at: Set(c.received_at),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

dual!(
    norm_8_2_1_twilio_down_during_the_purge_other_kinds_go_the_receipt_is_finished_and_a_tombstone_waits_until_twilio_deletes_it,
    |app: TestApp| async move {
        let voicemail = case_closed(&app, "91234580", at(2026, 3, 1), Some(at(2026, 3, 2))).await;
        add_recording(&app, &voicemail, "RE00000000000000000000000000001003").await;
        let other = case_closed(&app, "91234581", at(2026, 3, 1), Some(at(2026, 3, 2))).await;
        let open = case_closed(&app, "91234582", app.clock_now() - Duration::days(120), None).await;
        add_recording(&app, &open, "RE00000000000000000000000000001004").await;
        abandoned(&app, "+4791234583", app.clock_now() - Duration::days(31)).await;
        app.twilio.set_recordings_down(true);

        let r = run(&app).await;
        // The cases went anyway, the voicemail's whole.
        assert_eq!(r["cases"].count, 2);
        assert!(!exists(&app, voicemail.id).await && !exists(&app, other.id).await);
        assert_eq!(
            recording::Entity::find()
                .filter(recording::Column::CaseId.eq(voicemail.id))
                .count(&app.db)
                .await
                .unwrap(),
            0
        );
        // Only a tombstone is left: the recording id and when it fell due.
        let stones = recording_tombstone::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(stones.len(), 1);
        assert_eq!(stones[0].sid, "RE00000000000000000000000000001003");
        assert!(stones[0].due_at <= app.clock_now());
        assert!(!format!("{:?}", stones[0]).contains("9123458"));
        // Every other kind still went.
        assert_eq!(r["abandoned_calls"].count, 1);
        assert_eq!(r["recordings"].count, 0);
        // The open case's old recording waits too, undeleted.
        let kept = recording::Entity::find()
            .filter(recording::Column::Sid.eq("RE00000000000000000000000000001004"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(kept.deleted_at.is_none());
        // The receipt is finished and names the failure, without personal data.
        let receipt = retention_run::Entity::find().one(&app.db).await.unwrap().unwrap();
        assert!(receipt.finished_at.is_some());
        let failures = receipt.failures.unwrap();
        let failed: serde_json::Value = serde_json::from_str(&failures).unwrap();
        let kinds: Vec<&String> = failed.as_object().unwrap().keys().collect();
        assert_eq!(kinds, ["recordings"], "{failures}");
        assert!(!failures.contains("9123458") && !receipt.counts.contains("9123458"));
        // Twilio was not hammered once it was seen down.
        assert!(app.twilio.deletes().len() <= 3, "{:?}", app.twilio.deletes());

        // The next day Twilio answers: the tombstone and the open case's
        // recording are deleted there, and the tombstone goes here.
        app.twilio.set_recordings_down(false);
        app.clock.set(app.clock_now() + Duration::days(1));
        let r = run(&app).await;
        assert!(r.failures.is_empty(), "{:?}", r.failures);
        assert_eq!(r["recordings"].count, 2);
        assert_eq!(recording_tombstone::Entity::find().count(&app.db).await.unwrap(), 0);
        let deletes = app.twilio.deletes();
        assert!(deletes.iter().filter(|d| *d == "RE00000000000000000000000000001003").count() >= 2);
        assert!(deletes.iter().any(|d| d == "RE00000000000000000000000000001004"));
        let receipts = retention_run::Entity::find().all(&app.db).await.unwrap();
        assert!(receipts.iter().all(|r| r.finished_at.is_some()));
        assert_eq!(receipts.iter().filter(|r| r.failures.is_some()).count(), 1);
    }
);

dual!(
    norm_4_6_3_abandoned_call_records_are_deleted_once_their_agent_required_period_has_passed,
    |app: TestApp| async move {
        // ABANDONED_AGENT_REQUIRED_DAYS is 30 by default.
        abandoned(&app, "+4791234590", app.clock_now() - Duration::days(32)).await;
        abandoned(&app, "+4791234591", app.clock_now() - Duration::days(29)).await;
        let p = retention::policy(&app.db).await.unwrap();
        let dry = retention::preview(&app.db, &p, today(&app), 30)
            .await
            .unwrap();
        assert_eq!(dry["abandoned_calls"].count, 1);
        let r = run(&app).await;
        assert_eq!(r["abandoned_calls"].count, 1);
        let left: Vec<String> = abandoned_call::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.e164)
            .collect();
        assert_eq!(left, ["+4791234591"]);
        // The one still in its period keeps the wash answering agent-required.
        let (_, token) =
            innsyn::domain::dialer::api_tokens::create(&app.db, "dialer", app.clock_now())
                .await
                .unwrap();
        let req = axum::http::Request::post("/api/v1/wash")
            .header("content-type", "text/plain")
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::from("91234591\n91234590\n"))
            .unwrap();
        let r = app.send(req).await;
        assert!(r.body.contains("+4791234591,agent-required"), "{}", r.body);
        assert!(r.body.contains("+4791234590,callable"), "{}", r.body);
    }
);

dual!(
    leftover_wash_files_are_swept_by_the_periodic_job_without_anyone_opening_the_wash_page,
    |app: TestApp| async move {
        let dir = std::env::temp_dir();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let stale = dir.join(format!("innsyn-wash-{id}-stale.in"));
        let fresh = dir.join(format!("innsyn-wash-{id}-fresh.in"));
        for p in [&stale, &fresh] {
            std::fs::write(p, "91234567\n").unwrap();
        }
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        std::fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
        innsyn::jobs::retention::sweep_wash_files(&app.state)
            .await
            .unwrap();
        assert!(!stale.exists(), "a wash file older than an hour is swept");
        assert!(fresh.exists(), "a wash file within its hour stays");
        std::fs::remove_file(&fresh).ok();
    }
);

dual!(
    the_dry_run_changes_nothing_and_as_of_counts_match_the_real_run_on_that_date,
    |app: TestApp| async move {
        // Closed 2026-06-10: due to go on 2026-12-11.
        case_closed(&app, "91234568", at(2026, 6, 1), Some(at(2026, 6, 10))).await;
        case_closed(&app, "91234569", at(2026, 6, 1), Some(at(2026, 6, 20))).await;
        let p = retention::policy(&app.db).await.unwrap();
        let now = retention::preview(&app.db, &p, today(&app), 30)
            .await
            .unwrap();
        assert_eq!(now["cases"].count, 0);
        let d = NaiveDate::from_ymd_opt(2026, 12, 11).unwrap();
        let then = retention::preview(&app.db, &p, d, 30).await.unwrap();
        assert_eq!(then["cases"].count, 1);
        assert_eq!(
            then["cases"].oldest,
            Some(NaiveDate::from_ymd_opt(2026, 6, 10).unwrap())
        );
        assert_eq!(
            case::Entity::find().count(&app.db).await.unwrap(),
            2,
            "the dry run changed nothing"
        );
        // The real run on that date deletes exactly that.
        app.clock
            .set(Utc.with_ymd_and_hms(2026, 12, 11, 3, 0, 0).unwrap());
        let real = run(&app).await;
        assert_eq!(real["cases"].count, then["cases"].count);
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 1);
    }
);

dual!(
    gdpr_access_export_holds_every_item_of_one_person_and_erasure_keeps_reservation_and_facts,
    |app: TestApp| async move {
        let mine = case_closed(&app, "91234570", at(2026, 11, 1), None).await;
        case_closed(&app, "91234571", at(2026, 11, 2), None).await; // someone else
        innsyn::domain::dialer::reservations::reserve(
            &app.db,
            &innsyn::domain::phone::E164::parse("91234570").unwrap(),
            entity::enums::ReservationSource::Web,
            app.clock_now(),
        )
        .await
        .unwrap();
        let s = app.sign_in_as(Role::Admin).await;
        let page = app
            .get_as("/admin/personopplysninger?q=912%2034%20570", &s)
            .await;
        assert_eq!(page.status, 200);
        assert_eq!(page.count(".held-case"), 1);
        assert_eq!(page.count(".held-reservation"), 1);
        let json = app
            .get_as(
                "/admin/personopplysninger/eksport?q=91234570&format=json",
                &s,
            )
            .await;
        let v = json.json();
        assert_eq!(v["cases"].as_array().unwrap().len(), 1);
        assert_eq!(v["cases"][0]["reference"], mine.reference.as_str());
        assert_eq!(v["cases"][0]["messages"][0]["body"], "Melding fra 91234570");
        assert_eq!(v["reservations"][0]["number"], "+4791234570");
        assert!(!json.body.contains("91234571"), "nothing of another person");
        let doc = app
            .get_as("/admin/personopplysninger/eksport?q=91234570", &s)
            .await;
        assert!(doc.body.contains("Melding fra 91234570") && !doc.body.contains("91234571"));
        // Erasure without confirming does nothing.
        let r = app
            .post_as("/admin/personopplysninger/slett", &[("q", "91234570")], &s)
            .await;
        assert_eq!(r.status, 422);
        assert!(exists(&app, mine.id).await);
        let r = app
            .post_as(
                "/admin/personopplysninger/slett",
                &[("q", "91234570"), ("bekreft", "on")],
                &s,
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(!exists(&app, mine.id).await);
        assert_eq!(
            case::Entity::find().count(&app.db).await.unwrap(),
            1,
            "the other person's case stays"
        );
        assert_eq!(
            reservation::Entity::find().count(&app.db).await.unwrap(),
            1,
            "the reservation stays"
        );
        assert_eq!(
            case_fact::Entity::find().count(&app.db).await.unwrap(),
            1,
            "the facts stay"
        );
        // Every search, export and erasure is audited, without the number.
        let log = audit_log::Entity::find().all(&app.db).await.unwrap();
        for action in ["subject.search", "subject.export", "subject.erase"] {
            assert!(log.iter().any(|a| a.action == action), "{action}");
        }
        assert!(log.iter().all(|a| !format!("{a:?}").contains("91234570")));
    }
);

dual!(
    the_retention_command_prints_what_a_dry_run_as_of_a_date_would_delete,
    |app: TestApp| async move {
        case_closed(&app, "91234572", at(2026, 6, 1), Some(at(2026, 6, 10))).await;
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_innsyn"))
            .args(["retention", "run", "--dry-run", "--as-of", "2026-12-11"])
            .env("DATABASE_URL", &app.state.config.database_url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with("cases"))
            .unwrap();
        assert_eq!(
            line.split_whitespace().collect::<Vec<_>>(),
            ["cases", "1", "oldest", "2026-06-10"]
        );
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 1);
    }
);
