//! The back-office side of the dialer API: the API token screen, client
//! register uploads, the back-office wash with progress, and the calling
//! hours on the public reservation page.

use std::time::Duration as StdDuration;

use chrono::{TimeZone, Utc};
use entity::enums::{ReservationSource, Role};
use entity::{audit_log, user, wash_run};
use innsyn::domain::dialer::reservations;
use innsyn::domain::phone::E164;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::dual;
use crate::support::dialer::{campaign_by_code, wash};
use crate::support::{CSRF, TestApp, TestResponse};

async fn audit_actions(app: &TestApp) -> Vec<audit_log::Model> {
    audit_log::Entity::find().all(&app.db).await.unwrap()
}

async fn user_id(app: &TestApp, role: Role) -> i32 {
    let email = format!("{}@staff.example", format!("{role:?}").to_lowercase());
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

dual!(
    a_token_made_on_the_screen_is_shown_once_works_and_stops_working_when_revoked,
    |app: TestApp| async move {
        let s = app.sign_in_as(Role::Admin).await;
        let page = app.get_as("/admin/api-nokler", &s).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.count(".token-row"), 0);
        // A name is required; what was typed stays.
        let r = app
            .post_as("/admin/api-nokler", &[("navn", "   ")], &s)
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.attr("#navn", "aria-invalid").as_deref(), Some("true"));
        assert!(r.text("#navn-error").unwrap().contains("navn"));

        let r = app
            .post_as("/admin/api-nokler", &[("navn", "ringesystem-prod")], &s)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
        let token = r.text("#new-token").unwrap();
        assert!(token.starts_with("inn_"), "{token}");
        assert!(r.text(".issued-token").unwrap().contains("ikke vist igjen"));
        // The list shows the token by name, never the token itself again.
        let list = app.get_as("/admin/api-nokler", &s).await;
        assert_eq!(list.count(".token-row"), 1);
        assert!(
            list.text(".token-row")
                .unwrap()
                .contains("ringesystem-prod")
        );
        assert!(!list.body.contains(&token));

        let w = wash(&app, &token, "", "22334455\n").await;
        assert_eq!(w.status, 200);
        assert_eq!(
            w.body,
            "number,e164,verdict\n22334455,+4722334455,callable\n"
        );
        let list = app.get_as("/admin/api-nokler", &s).await;
        assert!(!list.text(".token-row").unwrap().contains("Aldri brukt"));

        let id = list.attr(".token-row", "data-id").unwrap();
        let revoke = format!("/admin/api-nokler/{id}/tilbakekall");
        // Without the confirmation nothing happens.
        let r = app.post_as(&revoke, &[], &s).await;
        assert_eq!(r.status, 422);
        assert!(r.count(&format!("#bekreft-{id}-error")) == 1);
        assert_eq!(wash(&app, &token, "", "22334455\n").await.status, 200);
        let r = app.post_as(&revoke, &[("bekreft", "on")], &s).await;
        assert_eq!(r.status, 303);
        assert_eq!(wash(&app, &token, "", "22334455\n").await.status, 401);
        let list = app.get_as("/admin/api-nokler", &s).await;
        assert!(
            list.text(".token-status")
                .unwrap()
                .contains("Trukket tilbake")
        );
        assert_eq!(list.count(".token-row form"), 0);
        // Revoking twice finds no live token.
        assert_eq!(
            app.post_as(&revoke, &[("bekreft", "on")], &s).await.status,
            404
        );

        let admin = user_id(&app, Role::Admin).await;
        let audit = audit_actions(&app).await;
        for action in ["api_token.create", "api_token.revoke"] {
            let e = audit.iter().find(|a| a.action == action).expect(action);
            assert_eq!(e.actor_id, Some(admin), "{action}");
            assert_eq!(e.object_id.as_deref(), Some(id.as_str()));
        }
        assert!(
            audit
                .iter()
                .all(|a| !a.detail.clone().unwrap_or_default().contains(&token))
        );
    }
);

dual!(
    handlers_are_refused_the_dialer_screens_and_managers_the_token_and_register_screens,
    |app: TestApp| async move {
        app.seed_demo().await;
        let h = app.sign_in_as(Role::Handler).await;
        for path in [
            "/admin/api-nokler",
            "/admin/vask",
            "/admin/oppdragsgivere/1/reservasjoner",
        ] {
            assert_eq!(app.get_as(path, &h).await.status, 403, "handler {path}");
        }
        let r = app.get_as("/admin/saker", &h).await;
        assert_eq!(r.count("a[href='/admin/vask']"), 0);
        assert_eq!(r.count("a[href='/admin/api-nokler']"), 0);

        let m = app.sign_in_as(Role::Manager).await;
        assert_eq!(app.get_as("/admin/api-nokler", &m).await.status, 403);
        assert_eq!(
            app.post_as("/admin/api-nokler", &[("navn", "x")], &m)
                .await
                .status,
            403
        );
        assert_eq!(
            app.get_as("/admin/oppdragsgivere/1/reservasjoner", &m)
                .await
                .status,
            403
        );
        let r = app
            .post_multipart_as(
                "/admin/oppdragsgivere/1/reservasjoner/last-opp",
                &m,
                &[("fil", Some("r.csv"), "93456789\n")],
            )
            .await;
        assert_eq!(r.status, 403);
        let r = app.get_as("/admin/vask", &m).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.count("a[href='/admin/vask']"), 1);
        assert_eq!(r.count("a[href='/admin/api-nokler']"), 0);

        let a = app.sign_in_as(Role::Admin).await;
        let r = app.get_as("/admin/saker", &a).await;
        assert_eq!(r.count("a[href='/admin/api-nokler']"), 1);
        assert_eq!(
            audit_log::Entity::find()
                .filter(audit_log::Column::Action.starts_with("client_register"))
                .count(&app.db)
                .await
                .unwrap(),
            0
        );
    }
);

dual!(
    norm_4_4_4_a_client_register_uploaded_in_the_back_office_applies_to_that_clients_campaigns_only,
    |app: TestApp| async move {
        app.seed_demo().await;
        let (_, token) = innsyn::domain::dialer::api_tokens::create(&app.db, "d", app.clock_now())
            .await
            .unwrap();
        let vs = campaign_by_code(&app, "VS-FASTPRIS").await;
        let path = format!("/admin/oppdragsgivere/{}/reservasjoner", vs.client_id);
        let s = app.sign_in_as(Role::Admin).await;
        let page = app.get_as(&path, &s).await;
        assert_eq!(page.status, 200);
        assert!(page.text(".register-size").unwrap().contains(" 0 "));

        // No file: a clear message, nothing stored.
        let r = app
            .post_multipart_as(&format!("{path}/last-opp"), &s, &[("erstatt", None, "on")])
            .await;
        assert_eq!(r.status, 422);
        assert!(r.text("#fil-error").unwrap().contains("Velg en fil"));
        assert_eq!(r.attr("#erstatt", "checked").as_deref(), Some(""));

        let csv = "number\n934 56 789\nnonsense\n+47 934 56 789\n93000002\n";
        let r = app
            .post_multipart_as(
                &format!("{path}/last-opp"),
                &s,
                &[("fil", Some("reg.csv"), csv)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let report = r.text(".import-report").unwrap();
        assert!(report.contains("2 nummer ble lagt til"), "{report}");
        assert!(report.contains("1 var der fra før"), "{report}");
        assert_eq!(r.text(".invalid-lines .lines").as_deref(), Some("3"));
        assert!(r.text(".register-size").unwrap().contains(" 2 "));
        // The client list counts each client's register.
        let clients = app.get_as("/admin/oppdragsgivere", &s).await;
        assert!(
            clients.body.contains("Reservasjoner (2)"),
            "client list shows the count"
        );

        let own = wash(&app, &token, "?campaign=VS-FASTPRIS", "93456789\n").await;
        assert!(own.body.ends_with(",reserved\n"), "{}", own.body);
        let other = wash(&app, &token, "?campaign=HL-GIVER", "93456789\n").await;
        assert!(other.body.ends_with(",callable\n"), "{}", other.body);

        // Replacing: the old numbers go, the new ones count; the report is in English on request.
        let r = app
            .post_multipart_as(
                &format!("{path}/last-opp?lang=en"),
                &s,
                &[
                    ("erstatt", None, "on"),
                    ("fil", Some("reg.csv"), "22 33 44 55\n"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let report = r.text(".import-report").unwrap();
        assert!(report.contains("2 numbers were removed"), "{report}");
        assert!(report.contains("1 numbers were added"), "{report}");
        let after = wash(
            &app,
            &token,
            "?campaign=VS-FASTPRIS",
            "93456789\n22334455\n",
        )
        .await;
        assert_eq!(
            after.body,
            "number,e164,verdict\n93456789,+4793456789,callable\n22334455,+4722334455,reserved\n"
        );

        // Emptying asks for a confirmation first.
        let r = app.post_as(&format!("{path}/tom"), &[], &s).await;
        assert_eq!(r.status, 422);
        assert!(r.text("#tom-error").is_some());
        let r = app
            .post_as(&format!("{path}/tom"), &[("bekreft", "on")], &s)
            .await;
        assert_eq!(r.status, 303);
        let emptied = wash(&app, &token, "?campaign=VS-FASTPRIS", "22334455\n").await;
        assert!(emptied.body.ends_with(",callable\n"), "{}", emptied.body);

        let audit = audit_actions(&app).await;
        let imports: Vec<_> = audit
            .iter()
            .filter(|a| a.action == "client_register.import")
            .collect();
        assert_eq!(imports.len(), 2);
        assert_eq!(
            imports[0].detail.as_deref(),
            Some("added=2 already_present=1 invalid=1 replaced=no")
        );
        assert!(audit.iter().any(
            |a| a.action == "client_register.empty" && a.detail.as_deref() == Some("removed=1")
        ));
        for a in &audit {
            let d = a.detail.clone().unwrap_or_default();
            assert!(!d.contains("93456789") && !d.contains("22334455"), "{d}");
        }
    }
);

/// Polls the job page the way htmx does until the wash is done.
async fn wait_until_done(app: &TestApp, job: &str, session: &str) -> TestResponse {
    for _ in 0..400 {
        let r = app
            .get_with(
                job,
                &[
                    ("cookie", &format!("{session}; innsyn_csrf={CSRF}")),
                    ("hx-request", "true"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        if r.count(".wash-done") == 1 {
            return r;
        }
        assert_eq!(r.count(".field-error"), 0, "{}", r.body);
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    panic!("the wash did not finish");
}

dual!(
    norm_4_4_4_a_back_office_wash_runs_with_progress_and_downloads_verdicts_in_input_order_once,
    |app: TestApp| async move {
        app.seed_demo().await;
        reservations::reserve(
            &app.db,
            &E164::parse("91234567").unwrap(),
            ReservationSource::Staff,
            app.clock_now(),
        )
        .await
        .unwrap();
        let vs = campaign_by_code(&app, "VS-FASTPRIS").await;
        innsyn::domain::dialer::registers::import_client_register(
            &app.db,
            vs.client_id,
            "93456789\n".as_bytes(),
            app.clock_now(),
        )
        .await
        .unwrap();
        let s = app.sign_in_as(Role::Manager).await;
        let list = "id;nummer;navn\n1;912 34 567;Ola\n2;934 56 789;Kari\n3;hei;Per\n4;+47 22 33 44 55;Liv\n";
        let r = app
            .post_multipart_as(
                "/admin/vask/last-opp",
                &s,
                &[
                    ("kampanje", None, "VS-FASTPRIS"),
                    ("tidspunkt", None, "2026-11-18T14:00"),
                    ("fil", Some("liste.csv"), list),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let job = r.header("location").unwrap();
        assert!(job.starts_with("/admin/vask/"), "{job}");
        // The full page carries the polling fragment (or the result already).
        let page = app.get_as(&job, &s).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.count("#wash-status"), 1);
        assert_eq!(page.header("cache-control").as_deref(), Some("no-store"));
        let done = wait_until_done(&app, &job, &s).await;
        assert!(
            done.text(".wash-done")
                .unwrap()
                .contains("4 numre vasket, 1 kan ringes"),
            "{}",
            done.body
        );
        assert_eq!(done.attr("#wash-progress", "value").as_deref(), Some("4"));
        assert_eq!(done.attr("#wash-progress", "max").as_deref(), Some("4"));
        // Someone else cannot see or fetch it.
        let other = app.sign_in_as(Role::Admin).await;
        assert_eq!(app.get_as(&job, &other).await.status, 404);
        assert_eq!(
            app.get_as(&format!("{job}/resultat"), &other).await.status,
            404
        );

        let file = app.get_as(&format!("{job}/resultat"), &s).await;
        assert_eq!(file.status, 200);
        assert!(
            file.header("content-disposition")
                .unwrap()
                .contains("vask-VS-FASTPRIS-")
        );
        assert_eq!(
            file.body,
            "number,e164,verdict\n\
             912 34 567,+4791234567,reserved\n\
             934 56 789,+4793456789,reserved\n\
             hei,,invalid\n\
             +47 22 33 44 55,+4722334455,callable\n"
        );
        // Deleted after download.
        assert_eq!(app.get_as(&format!("{job}/resultat"), &s).await.status, 404);
        assert_eq!(app.get_as(&job, &s).await.status, 404);

        let manager = user_id(&app, Role::Manager).await;
        let runs = wash_run::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].user_id, Some(manager));
        assert_eq!(runs[0].token_id, None);
        assert_eq!(runs[0].campaign_id, Some(vs.id));
        assert_eq!((runs[0].count_in, runs[0].count_callable), (4, 1));
        let audit = audit_actions(&app).await;
        for action in ["wash.run", "wash.download"] {
            let e = audit.iter().find(|a| a.action == action).expect(action);
            assert_eq!(e.actor_id, Some(manager));
            // The run's entry also says what it did with the national
            // register, and which run it was (issue 21).
            let expected = match action {
                "wash.run" => format!(
                    "campaign_id={} in=4 callable=1 national=not-imported run={}",
                    vs.id, runs[0].id
                ),
                _ => format!("campaign_id={} in=4 callable=1", vs.id),
            };
            assert_eq!(e.detail.as_deref(), Some(expected.as_str()));
        }
        // The run is listed on the screen, as the campaign's documentation.
        let screen = app.get_as("/admin/vask", &s).await;
        assert_eq!(screen.count(".wash-run"), 1);
        let row = screen.text(".wash-run").unwrap();
        assert!(
            row.contains("VS-FASTPRIS") && row.contains("manager@staff.example"),
            "{row}"
        );
    }
);

dual!(
    norm_4_2_i_a_back_office_wash_for_a_forbidden_time_is_refused_and_only_callable_gives_numbers_alone,
    |app: TestApp| async move {
        app.seed_demo().await;
        let s = app.sign_in_as(Role::Manager).await;
        // Saturday 21 November 2026.
        let r = app.post_multipart_as(
            "/admin/vask/last-opp",
            &s,
            &[("kampanje", None, "HL-GIVER"), ("tidspunkt", None, "2026-11-21T12:00"), ("fil", Some("l.txt"), "22334455\n")],
        )
        .await;
        assert_eq!(r.status, 422);
        let msg = r.text("#wash-error").unwrap();
        assert!(msg.contains("helg") && msg.contains("23.11.2026 kl. 09:00"), "{msg}");
        // The form keeps what was chosen.
        assert_eq!(r.attr("#tidspunkt", "value").as_deref(), Some("2026-11-21T12:00"));
        assert_eq!(r.attr("option[value='HL-GIVER']", "selected").as_deref(), Some(""));
        let r = app.post_multipart_as("/admin/vask/last-opp", &s, &[("kampanje", None, "NOPE"), ("fil", Some("l.txt"), "22334455\n")]).await;
        assert_eq!(r.status, 422);
        let r = app.post_multipart_as("/admin/vask/last-opp", &s, &[("fil", Some("l.txt"), "")]).await;
        assert_eq!(r.status, 422);
        assert_eq!(wash_run::Entity::find().count(&app.db).await.unwrap(), 0);

        let r = app.post_multipart_as(
            "/admin/vask/last-opp",
            &s,
            &[("bare", None, "callable"), ("fil", Some("l.txt"), "22334455\nx\n+46 8 123 456 78")],
        )
        .await;
        assert_eq!(r.status, 303);
        let job = r.header("location").unwrap();
        wait_until_done(&app, &job, &s).await;
        let file = app.get_as(&format!("{job}/resultat"), &s).await;
        assert!(file.header("content-type").unwrap().starts_with("text/plain"));
        assert_eq!(file.body, "+4722334455\n+46812345678\n");
        let runs = wash_run::Entity::find().all(&app.db).await.unwrap();
        assert_eq!((runs[0].count_in, runs[0].count_callable, runs[0].campaign_id), (3, 2, None));
    }
);

dual!(
    norm_4_2_i_the_reservation_page_states_calling_hours_from_the_rule_and_says_when_we_call_no_one,
    |app: TestApp| async move {
        let r = app.get("/reservasjon").await;
        assert_eq!(
            r.text(".calling-hours").as_deref(),
            Some(
                "Vi ringer bare på hverdager mellom kl. 09 og 21, aldri på lørdager, søndager eller helligdager."
            )
        );
        // Wednesday 11:00: calls may be made, so no "not now" line.
        assert_eq!(r.count(".calling-hours-now"), 0);
        let en = app.get("/reservasjon?lang=en").await;
        assert!(
            en.text(".calling-hours")
                .unwrap()
                .contains("between 09:00 and 21:00")
        );
        // Christmas Day 2026 is a Friday.
        app.clock
            .set(Utc.with_ymd_and_hms(2026, 12, 25, 11, 0, 0).unwrap());
        let r = app.get("/reservasjon?lang=nb").await;
        assert!(r.text(".calling-hours-now").unwrap().contains("1. juledag"));
        // A weekday evening.
        app.clock
            .set(Utc.with_ymd_and_hms(2026, 11, 18, 21, 0, 0).unwrap());
        let r = app.get("/reservasjon").await;
        assert!(
            r.text(".calling-hours-now")
                .unwrap()
                .contains("utenfor ringetiden")
        );
    }
);
