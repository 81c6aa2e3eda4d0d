//! The national reservation register (Reservasjonsregisteret) in the wash
//! (norm 10): import, the three-register wash, freshness, receipts.

use chrono::NaiveDate;
use entity::enums::ReservationSource;
use entity::{national_register_version, national_reservation, wash_run};
use innsyn::domain::dialer::national::{self, ImportError, Progress};
use innsyn::domain::dialer::receipts::{self, Verified};
use innsyn::domain::dialer::reservations;
use innsyn::domain::phone::E164;
use innsyn::domain::privacy::audit::Actor;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};

use crate::dual;
use crate::support::TestApp;
use crate::support::dialer::{campaign_by_code, token, wash};

pub(crate) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Imports `file` as the national register extracted on `extract`.
pub(crate) async fn try_import(
    app: &TestApp,
    extract: &str,
    file: &str,
) -> Result<national::ImportReport, ImportError> {
    national::import(
        &app.db,
        date(extract),
        file.as_bytes(),
        &Actor::default(),
        "test",
        app.clock_now(),
        &mut |_| {},
    )
    .await
}

async fn import(app: &TestApp, extract: &str, file: &str) -> national::ImportReport {
    try_import(app, extract, file).await.unwrap()
}

dual!(
    norm_10_until_the_first_import_the_wash_says_the_national_register_is_not_imported,
    |app: TestApp| async move {
        let t = token(&app).await;
        let r = wash(&app, &t, "", "93000001\n").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("x-national-register").as_deref(),
            Some("not-imported")
        );
        assert_eq!(
            r.body,
            "number,e164,verdict\n93000001,+4793000001,callable\n"
        );
        let run = wash_run::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(run.national.as_deref(), Some("not-imported"));
    }
);

dual!(
    norm_10_an_import_reports_invalid_lines_and_the_wash_names_the_register_with_detail,
    |app: TestApp| async move {
        let t = token(&app).await;
        reservations::reserve(
            &app.db,
            &E164::parse("22 33 44 55").unwrap(),
            ReservationSource::Staff,
            app.clock_now(),
        )
        .await
        .unwrap();
        let report = import(
            &app,
            "2026-11-10",
            "id;number\n1;930 00 001\n2;+47 930 00 002\n3;+46 8 123 456 78\n4;hello\n5;22334455\n6;0047 93000001\n",
        )
        .await;
        assert_eq!(report.count, 3);
        assert_eq!(report.invalid_lines, vec![4, 5]);
        let v = national::current(&app.db).await.unwrap().unwrap();
        assert_eq!(
            (v.count, v.invalid_lines, v.state.as_str()),
            (3, 2, "current")
        );
        assert_eq!(v.checksum.len(), 64);
        let r = wash(
            &app,
            &t,
            "?detail=true",
            "93000001\n22334455\n93000009\nx\n",
        )
        .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-national-register").as_deref(), Some("applied"));
        assert_eq!(
            r.body,
            "number,e164,verdict,register\n\
             93000001,+4793000001,reserved,national\n\
             22334455,+4722334455,reserved,internal\n\
             93000009,+4793000009,callable,\n\
             x,,invalid,\n"
        );
        let run = wash_run::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(run.national_extract_date, Some(date("2026-11-10")));
        assert_eq!(run.national_checksum.as_deref(), Some(v.checksum.as_str()));
        assert_eq!((run.reserved_internal, run.reserved_national), (1, 1));
        // national=false without a campaign: not applied, and recorded so.
        let r = wash(&app, &t, "?national=false&only=callable", "93000001\n").await;
        assert_eq!(r.header("x-national-register").as_deref(), Some("declined"));
        assert_eq!(r.body, "+4793000001\n");
    }
);

dual!(
    norm_10_an_exemption_is_honoured_for_the_national_register_but_never_for_the_internal_one,
    |app: TestApp| async move {
        app.seed_demo().await;
        let t = token(&app).await;
        reservations::reserve(
            &app.db,
            &E164::parse("22 33 44 55").unwrap(),
            ReservationSource::Staff,
            app.clock_now(),
        )
        .await
        .unwrap();
        import(&app, "2026-11-10", "93000001\n").await;
        let list = "93000001\n22334455\n";
        let sales = wash(&app, &t, "?campaign=VS-FASTPRIS&detail=true", list).await;
        assert_eq!(
            sales.header("x-national-register").as_deref(),
            Some("applied")
        );
        assert!(
            sales
                .body
                .contains("93000001,+4793000001,reserved,national"),
            "{}",
            sales.body
        );
        // A survey is not telemarketing: the national register does not apply.
        let survey = wash(&app, &t, "?campaign=NFP-HUSHOLDNING&detail=true", list).await;
        assert_eq!(
            survey.header("x-national-register").as_deref(),
            Some("not-applied")
        );
        assert!(
            survey.body.contains("93000001,+4793000001,callable,"),
            "{}",
            survey.body
        );
        assert!(
            survey
                .body
                .contains("22334455,+4722334455,reserved,internal"),
            "{}",
            survey.body
        );
        // Existing customers: exempt from the national register only.
        let mut c = campaign_by_code(&app, "VS-FASTPRIS")
            .await
            .into_active_model();
        c.national_exempt_reason = Set(Some("Existing customers (mfl. § 12)".into()));
        c.update(&app.db).await.unwrap();
        let exempt = wash(&app, &t, "?campaign=VS-FASTPRIS&detail=true", list).await;
        assert_eq!(
            exempt.header("x-national-register").as_deref(),
            Some("exempt")
        );
        assert!(
            exempt.body.contains("93000001,+4793000001,callable,"),
            "{}",
            exempt.body
        );
        assert!(
            exempt
                .body
                .contains("22334455,+4722334455,reserved,internal"),
            "{}",
            exempt.body
        );
        // A campaign that needs it may not decline it.
        let r = wash(&app, &t, "?campaign=HL-GIVER&national=false", list).await;
        assert_eq!(r.status, 400);
    }
);

dual!(
    norm_10_a_copy_more_than_a_month_old_at_the_planned_time_is_refused_with_409,
    |app: TestApp| async move {
        // The test clock: Wednesday 18 November 2026, 11:00 in Oslo.
        let t = token(&app).await;
        import(&app, "2026-10-18", "93000001\n").await;
        let ok = wash(&app, &t, "", "93000001\n").await;
        assert_eq!(ok.status, 200);
        assert!(ok.body.ends_with(",reserved\n"));
        // Planned for tomorrow: past the line.
        let late = wash(&app, &t, "?at=2026-11-19T10:00:00%2B01:00", "93000001\n").await;
        assert_eq!(late.status, 409);
        assert_eq!(late.json()["error"], "national_register_stale");
        assert_eq!(late.json()["extract_date"], "2026-10-18");
        assert!(
            late.json()["message"]
                .as_str()
                .unwrap()
                .contains("2026-10-18")
        );
        // Planned for the evening of the last day: still fine.
        let evening = wash(
            &app,
            &t,
            "?at=2026-11-18T20:30:00%2B01:00&only=callable",
            "93000002\n",
        )
        .await;
        assert_eq!(evening.status, 200);
        assert_eq!(evening.body, "+4793000002\n");
        // A copy a day older is stale now.
        import(&app, "2026-10-17", "93000001\n").await;
        let stale = wash(&app, &t, "?only=callable", "93000002\n").await;
        assert_eq!(stale.status, 409);
        // Where the national register does not apply, the wash goes on.
        let declined = wash(&app, &t, "?national=false", "93000002\n").await;
        assert_eq!(declined.status, 200);
    }
);

dual!(
    norm_10_an_import_replaces_the_copy_atomically_and_a_failed_one_leaves_it,
    |app: TestApp| async move {
        let t = token(&app).await;
        import(&app, "2026-11-10", "93000001\n").await;
        // Copy B: 12,000 numbers, not 93000001. While it is read (after its
        // first batch is in the database) a wash sees copy A whole.
        let mut b = String::new();
        for i in 0..12_000 {
            b.push_str(&format!("4{:07}\n", 1_000_000 + i));
        }
        let mut during: Vec<String> = Vec::new();
        let handle = tokio::runtime::Handle::current();
        let mut progress = |p: Progress| {
            if p.numbers > 0 && p.numbers < 12_000 && during.is_empty() {
                let r = tokio::task::block_in_place(|| {
                    handle.block_on(wash(&app, &t, "?detail=true", "93000001\n41000000\n"))
                });
                during.push(r.body);
            }
        };
        national::import(
            &app.db,
            date("2026-11-15"),
            b.as_bytes(),
            &Actor::default(),
            "test",
            app.clock_now(),
            &mut progress,
        )
        .await
        .unwrap();
        assert_eq!(
            during,
            vec![
                "number,e164,verdict,register\n93000001,+4793000001,reserved,national\n41000000,+4741000000,callable,\n"
                    .to_string()
            ]
        );
        let after = wash(&app, &t, "?detail=true", "93000001\n41000000\n").await;
        assert_eq!(
            after.body,
            "number,e164,verdict,register\n93000001,+4793000001,callable,\n41000000,+4741000000,reserved,national\n"
        );
        // Only the copy in use keeps its numbers.
        let rows = national_reservation::Entity::find()
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(rows, 12_000);
        // A file without a single Norwegian number fails and keeps B.
        let err = national::import(
            &app.db,
            date("2026-11-16"),
            "hello\n+46 8 123 456 78\n".as_bytes(),
            &Actor::default(),
            "test",
            app.clock_now(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
        assert!(matches!(err, ImportError::Empty { invalid_count: 2 }));
        let cur = national::current(&app.db).await.unwrap().unwrap();
        assert_eq!(cur.extract_date, date("2026-11-15"));
        let failed = national_register_version::Entity::find()
            .filter(national_register_version::Column::State.eq("failed"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(failed, 1);
        let again = wash(&app, &t, "", "41000000\n").await;
        assert!(again.body.ends_with(",reserved\n"));
    }
);

dual!(
    norm_10_a_wash_receipt_verifies_and_a_changed_byte_fails,
    |app: TestApp| async move {
        let t = token(&app).await;
        import(&app, "2026-11-10", "93000001\n").await;
        wash(&app, &t, "", "93000001\n93000002\n").await;
        let run = wash_run::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let doc = receipts::signed(&app.db, run.id, None, app.clock_now())
            .await
            .unwrap()
            .unwrap();
        let r = &doc["receipt"];
        assert_eq!(r["numbers_in"], 2);
        assert_eq!(r["registers"]["national"]["extract_date"], "2026-11-10");
        assert_eq!(r["registers"]["national"]["reserved"], 1);
        let bytes = serde_json::to_vec(&doc).unwrap();
        assert!(matches!(
            receipts::verify(&app.db, &bytes).await.unwrap(),
            Verified::Valid { .. }
        ));
        let text = String::from_utf8(bytes.clone()).unwrap();
        let changed = text.replace("\"numbers_in\":2", "\"numbers_in\":3");
        assert_ne!(changed, text);
        assert_eq!(
            receipts::verify(&app.db, changed.as_bytes()).await.unwrap(),
            Verified::BadSignature
        );
        // A new key from RECEIPT_SIGNING_KEY: the old receipt still verifies.
        let newer = receipts::signed(
            &app.db,
            run.id,
            Some("a-configured-key-of-at-least-32-characters"),
            app.clock_now(),
        )
        .await
        .unwrap()
        .unwrap();
        assert_ne!(newer["key_id"], doc["key_id"]);
        for d in [&doc, &newer] {
            let b = serde_json::to_vec(d).unwrap();
            assert!(matches!(
                receipts::verify(&app.db, &b).await.unwrap(),
                Verified::Valid { .. }
            ));
        }
    }
);

/// Waits for the background import started from the screen to finish
/// (yields to the runtime; no sleeping).
async fn import_finished(app: &TestApp) {
    for _ in 0..200_000 {
        if national::importing(&app.db).await.unwrap().is_none() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the import did not finish");
}

dual!(
    norm_10_the_national_register_screen_imports_a_copy_and_shows_it_with_its_version_record,
    |app: TestApp| async move {
        let m = app.sign_in_as(entity::enums::Role::Manager).await;
        assert_eq!(
            app.get_as("/admin/nasjonalt-register", &m).await.status,
            403
        );
        let wash_page = app.get_as("/admin/vask", &m).await;
        assert!(
            wash_page
                .text("#national-notice")
                .unwrap()
                .contains("ikke importert"),
            "{}",
            wash_page.body
        );
        let norm = app.get_as("/admin/norm", &m).await;
        assert_eq!(
            norm.count("#national-notice a[href='/admin/nasjonalt-register']"),
            1
        );

        let a = app.sign_in_as(entity::enums::Role::Admin).await;
        let page = app.get_as("/admin/nasjonalt-register", &a).await;
        assert_eq!(page.status, 200);
        assert!(page.text("#national-warning").is_some());
        // No date: refused with the form kept.
        let r = app
            .post_multipart_as(
                "/admin/nasjonalt-register/last-opp",
                &a,
                &[("fil", Some("r.txt"), "93000001\n")],
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.text("#national-error").is_some());
        // Extracted 20 October: 29 days old on 18 November, so a warning.
        let r = app
            .post_multipart_as(
                "/admin/nasjonalt-register/last-opp",
                &a,
                &[
                    ("uttrekksdato", None, "2026-10-20"),
                    ("fil", Some("r.txt"), "93000001\n930 00 002\nhei\n"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        import_finished(&app).await;
        let page = app.get_as("/admin/nasjonalt-register", &a).await;
        assert_eq!(page.text("#national-count").as_deref(), Some("2"));
        assert_eq!(
            page.text("#national-extract-date").as_deref(),
            Some("20.10.2026")
        );
        assert!(page.text("#national-warning").unwrap().contains("29 dager"));
        assert_eq!(page.count("tr.national-version"), 1);
        let audit = entity::audit_log::Entity::find()
            .filter(entity::audit_log::Column::Action.eq("national_register.import"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(audit.detail.unwrap().contains("count=2 invalid=1"));
        let wash_page = app.get_as("/admin/vask", &m).await;
        assert!(
            wash_page
                .text(".national-in-use")
                .unwrap()
                .contains("20.10.2026")
        );
    }
);

dual!(
    norm_10_the_back_office_wash_applies_the_national_register_refuses_a_stale_copy_and_gives_a_receipt,
    |app: TestApp| async move {
        app.seed_demo().await;
        let m = app.sign_in_as(entity::enums::Role::Manager).await;
        import(&app, "2026-10-17", "93000001\n").await;
        let r = app
            .post_multipart_as(
                "/admin/vask/last-opp",
                &m,
                &[("kampanje", None, "VS-FASTPRIS"), ("fil", Some("l.txt"), "93000001\n")],
            )
            .await;
        assert_eq!(r.status, 409);
        assert!(r.text("#wash-error").unwrap().contains("17.10.2026"), "{}", r.body);
        // The survey does not need the national register: it is washed.
        let r = app
            .post_multipart_as(
                "/admin/vask/last-opp",
                &m,
                &[("kampanje", None, "NFP-HUSHOLDNING"), ("fil", Some("l.txt"), "93000001\n")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        import(&app, "2026-11-17", "93000001\n").await;
        let r = app
            .post_multipart_as(
                "/admin/vask/last-opp",
                &m,
                &[("kampanje", None, "VS-FASTPRIS"), ("fil", Some("l.txt"), "93000001\n93000002\n")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        for _ in 0..200_000 {
            if wash_run::Entity::find().count(&app.db).await.unwrap() == 2 {
                break;
            }
            tokio::task::yield_now().await;
        }
        let page = app.get_as("/admin/vask", &m).await;
        let registers: Vec<String> = page
            .doc()
            .select(&scraper::Selector::parse("tr.wash-run td.registers").unwrap())
            .map(|e| e.text().collect())
            .collect();
        assert_eq!(registers.len(), 2, "{}", page.body);
        assert!(
            registers.iter().any(|r| r.contains("reservasjonsregisteret (17.11.2026)")),
            "{registers:?}"
        );
        assert!(
            registers.iter().any(|r| r.contains("gjelder ikke kampanjen")),
            "{registers:?}"
        );
        let run = wash_run::Entity::find()
            .filter(wash_run::Column::National.eq("applied"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((run.reserved_national, run.count_callable), (1, 1));
        let r = app
            .get_as(&format!("/admin/vask/kjoring/{}/kvittering", run.id), &m)
            .await;
        assert_eq!(r.status, 200);
        assert!(matches!(
            receipts::verify(&app.db, r.body.as_bytes()).await.unwrap(),
            Verified::Valid { .. }
        ));
        assert_eq!(r.json()["receipt"]["campaign"]["code"], "VS-FASTPRIS");
    }
);

dual!(
    norm_10_an_admin_marks_a_campaign_exempt_with_its_reason_in_the_editor,
    |app: TestApp| async move {
        app.seed_demo().await;
        let c = campaign_by_code(&app, "NFP-HUSHOLDNING").await;
        let a = app.sign_in_as(entity::enums::Role::Admin).await;
        let cid = c.client_id.to_string();
        let start = c.starts_on.to_string();
        let r = app
            .post_as(
                &format!("/admin/kampanjer/{}", c.id),
                &[
                    ("oppdragsgiver", cid.as_str()),
                    ("kode", "NFP-HUSHOLDNING"),
                    ("navn", "Husholdning"),
                    ("formal", "Vi ringer kundene våre."),
                    ("type_", "survey"),
                    ("start", start.as_str()),
                    ("slutt", ""),
                    ("modus", "power"),
                    ("nasjonalt", "ja"),
                    ("unntak", "Bare eksisterende kunder (mfl. § 12)"),
                ],
                &a,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let c = campaign_by_code(&app, "NFP-HUSHOLDNING").await;
        assert_eq!(c.national_register, Some(true));
        assert_eq!(
            c.national_exempt_reason.as_deref(),
            Some("Bare eksisterende kunder (mfl. § 12)")
        );
        let page = app.get_as(&format!("/admin/kampanjer/{}", c.id), &a).await;
        assert_eq!(
            page.attr("#nasjonalt option[selected]", "value").as_deref(),
            Some("ja")
        );
        assert!(page.text("#unntak").unwrap().contains("mfl. § 12"));
    }
);

dual!(
    norm_10_an_import_left_by_a_process_that_died_is_failed_and_its_numbers_removed_after_six_hours,
    |app: TestApp| async move {
        import(&app, "2026-11-01", "91234567\n").await;
        let in_use = national::current(&app.db).await.unwrap().unwrap();
        // A process started an import, wrote some numbers and died.
        let started = app.clock_now();
        let left = national::begin_import(&app.db, date("2026-11-17"), "test", started)
            .await
            .unwrap();
        national_reservation::ActiveModel {
            version_id: Set(left.id),
            number: Set(92_345_678),
        }
        .insert(&app.db)
        .await
        .unwrap();
        let rows_of = |id: i32| {
            national_reservation::Entity::find()
                .filter(national_reservation::Column::VersionId.eq(id))
                .count(&app.db)
        };
        let sweep = || innsyn::jobs::retention::sweep_wash_files(&app.state);

        // Within six hours it may still be running: left alone.
        app.clock
            .set(started + national::IMPORT_ABANDONED_AFTER - chrono::Duration::minutes(1));
        sweep().await.unwrap();
        assert_eq!(
            national::importing(&app.db).await.unwrap().unwrap().id,
            left.id
        );
        assert_eq!(rows_of(left.id).await.unwrap(), 1);

        app.clock
            .set(started + national::IMPORT_ABANDONED_AFTER + chrono::Duration::minutes(1));
        sweep().await.unwrap();
        sweep().await.unwrap();
        let after = national_register_version::Entity::find_by_id(left.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.state, "failed");
        assert!(national::importing(&app.db).await.unwrap().is_none());
        assert_eq!(rows_of(left.id).await.unwrap(), 0);
        // The copy in use is untouched.
        assert_eq!(
            national::current(&app.db).await.unwrap().unwrap().id,
            in_use.id
        );
        assert_eq!(rows_of(in_use.id).await.unwrap(), 1);
    }
);
