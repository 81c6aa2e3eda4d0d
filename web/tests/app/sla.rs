//! The 24-hour clock in the queue (norm 4.4.3), with a frozen clock.

use chrono::Duration;
use entity::case;
use entity::enums::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::admin_access::open_case;
use crate::dual;
use crate::support::TestApp;

async fn counters(app: &TestApp, s: &str) -> (String, String, String) {
    let r = app.get_as("/admin/saker", s).await;
    assert_eq!(r.status, 200);
    (
        r.text(".count-open").unwrap(),
        r.text(".count-at-risk").unwrap(),
        r.text(".count-breached").unwrap(),
    )
}

dual!(
    norm_4_4_3_a_case_goes_on_time_then_at_risk_then_breached_and_an_answer_stops_the_clock,
    |app: TestApp| async move {
        let reference = open_case(&app, Some("kari@example.no"), None).await;
        let s = app.sign_in_as(Role::Handler).await;
        let row = format!("tr[data-reference='{reference}']");
        let r = app.get_as("/admin/saker", &s).await;
        assert_eq!(r.attr(&row, "class").unwrap(), "case-row on_time");
        assert_eq!(
            r.text(&format!("{row} .left")).unwrap(),
            "I rute 24 t 0 min igjen"
        );
        assert_eq!(
            counters(&app, &s).await,
            ("1".into(), "0".into(), "0".into())
        );

        app.clock
            .advance(Duration::hours(18) - Duration::minutes(1));
        // A staff session unused for 8 hours has ended: sign in again.
        let s = app.sign_in_as(Role::Handler).await;
        let r = app.get_as("/admin/saker", &s).await;
        assert_eq!(r.attr(&row, "class").unwrap(), "case-row on_time");
        app.clock.advance(Duration::minutes(1));
        let r = app.get_as("/admin/saker", &s).await;
        assert_eq!(r.attr(&row, "class").unwrap(), "case-row at_risk");
        assert_eq!(
            counters(&app, &s).await,
            ("1".into(), "1".into(), "0".into())
        );
        let r = app.get_as("/admin/saker?status=at_risk", &s).await;
        assert_eq!(r.count(".case-row"), 1);
        let r = app.get_as("/admin/saker?status=on_time", &s).await;
        assert_eq!(r.count(".case-row"), 0);

        app.clock.advance(Duration::hours(6) + Duration::minutes(5));
        let r = app.get_as("/admin/saker", &s).await;
        assert_eq!(r.attr(&row, "class").unwrap(), "case-row breached");
        assert_eq!(
            r.text(&format!("{row} .left")).unwrap(),
            "Over fristen 0 t 5 min over fristen"
        );
        assert_eq!(
            counters(&app, &s).await,
            ("1".into(), "0".into(), "1".into())
        );

        // The first individual answer stops the clock and the case leaves the queue.
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/svar"),
                &[
                    ("kanal", "email"),
                    ("tekst", "Hei Kari, vi har sjekket saken."),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        let c = case::Entity::find()
            .filter(case::Column::Reference.eq(reference.as_str()))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.first_response_at, Some(app.clock_now()));
        let r = app.get_as("/admin/saker", &s).await;
        assert_eq!(r.count(".case-row"), 0);
        assert_eq!(
            counters(&app, &s).await,
            ("0".into(), "0".into(), "0".into())
        );
        let r = app.get_as("/admin/saker?status=answered", &s).await;
        assert_eq!(r.count(&row), 1);
        // A later answer does not move the first.
        app.clock.advance(Duration::hours(1));
        app.post_as(
            &format!("/admin/saker/{reference}/svar"),
            &[("kanal", "email"), ("tekst", "Et tillegg.")],
            &s,
        )
        .await;
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        let c2 = case::Entity::find_by_id(c.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c2.first_response_at, c.first_response_at);
    }
);

dual!(
    queue_filters_narrow_the_list_and_the_htmx_request_gets_only_the_results,
    |app: TestApp| async move {
        let a = open_case(&app, Some("a@example.no"), None).await;
        let b = open_case(&app, Some("b@example.no"), None).await;
        let s = app.sign_in_as(Role::Handler).await;
        app.post_as(&format!("/admin/saker/{a}/tildel"), &[("til", "me")], &s)
            .await;
        let r = app.get_as("/admin/saker?mine=1", &s).await;
        assert_eq!(r.count(".case-row"), 1);
        assert_eq!(r.count(&format!("tr[data-reference='{a}']")), 1);
        let r = app.get_as("/admin/saker?tildelt=none", &s).await;
        assert_eq!(r.count(&format!("tr[data-reference='{b}']")), 1);
        assert_eq!(r.count(".case-row"), 1);
        let r = app.get_as(&format!("/admin/saker?q={b}"), &s).await;
        assert_eq!(r.count(".case-row"), 1);
        let r = app.get_as("/admin/saker?kanal=sms", &s).await;
        assert_eq!(r.count(".case-row"), 0);
        // htmx: the results panel alone, keeping the filter in its refresh link.
        let r = app
            .get_with(
                "/admin/saker?mine=1",
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
        assert_eq!(r.count("html"), 1); // scraper wraps fragments; no <form> though
        assert_eq!(r.count("form#filters"), 0);
        assert!(r.attr("#results", "hx-get").unwrap().contains("mine=1"));
    }
);

dual!(
    sla_alerts_go_out_once_each_even_when_the_job_runs_twice_at_once,
    |app: TestApp| async move {
        let reference = open_case(&app, None, Some("912 34 567")).await;
        app.sign_in_as(Role::Handler).await;
        app.sign_in_as(Role::Manager).await;
        // Delivered mail, whether the job's own kick or this test sent it.
        async fn delivered(app: &TestApp, n: usize) -> Vec<crate::support::smtp::ReceivedMail> {
            innsyn::jobs::outbox::dispatch_due(&app.state)
                .await
                .unwrap();
            app.smtp.wait_for(n).await
        }
        // Nothing before 75%.
        let sent = innsyn::jobs::sla_alerts::run(&app.state).await.unwrap();
        assert_eq!((sent.at_risk, sent.breached), (0, 0));
        app.clock.advance(Duration::hours(18));
        let (a, b) = tokio::join!(
            innsyn::jobs::sla_alerts::run(&app.state),
            innsyn::jobs::sla_alerts::run(&app.state)
        );
        assert_eq!(a.unwrap().at_risk + b.unwrap().at_risk, 1);
        let mails = delivered(&app, 1).await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].rcpt_to, vec!["handler@staff.example".to_string()]);
        assert!(mails[0].subject().contains(&reference));
        // The alert names the case, never the consumer's number.
        assert!(!mails[0].body_text().contains("91234567"));
        let again = innsyn::jobs::sla_alerts::run(&app.state).await.unwrap();
        assert_eq!((again.at_risk, again.breached), (0, 0));
        assert_eq!(delivered(&app, 1).await.len(), 1);

        app.clock.advance(Duration::hours(6));
        let (a, b) = tokio::join!(
            innsyn::jobs::sla_alerts::run(&app.state),
            innsyn::jobs::sla_alerts::run(&app.state)
        );
        assert_eq!(a.unwrap().breached + b.unwrap().breached, 1);
        let mails = delivered(&app, 2).await;
        assert_eq!(mails.len(), 2);
        assert_eq!(mails[1].rcpt_to, vec!["manager@staff.example".to_string()]);
        let again = innsyn::jobs::sla_alerts::run(&app.state).await.unwrap();
        assert_eq!((again.at_risk, again.breached), (0, 0));
        assert_eq!(delivered(&app, 2).await.len(), 2);
    }
);

dual!(
    the_queue_total_taken_from_the_counters_equals_a_fresh_count_for_every_state,
    |app: TestApp| async move {
        use innsyn::domain::cases::queue::{self, QueueFilter};
        // Cases received 30, 20, 10 and 1 hours ago: breached, at risk
        // (over 18 of the 24 hours gone), on time, on time.
        for _ in 0..2 {
            open_case(&app, Some("kari@example.no"), None).await;
            app.clock.advance(Duration::hours(10));
        }
        open_case(&app, None, Some("91234567")).await;
        app.clock.advance(Duration::hours(9));
        open_case(&app, None, None).await;
        app.clock.advance(Duration::hours(1));
        let now = app.clock_now();
        let names = queue::names(&app.db).await.unwrap();
        let counters = queue::counters(&app.db, now).await.unwrap();
        assert_eq!(
            (counters.open, counters.at_risk, counters.breached),
            (4, 1, 1)
        );
        for status in [
            "", "on_time", "at_risk", "breached", "answered", "closed", "nonsense",
        ] {
            for kanal in ["", "web", "sms"] {
                let f = QueueFilter {
                    status: status.into(),
                    kanal: kanal.into(),
                    ..Default::default()
                };
                let counted = queue::page(&app.db, &f, 0, now, &names, None, None)
                    .await
                    .unwrap();
                let shortcut = queue::page(&app.db, &f, 0, now, &names, None, Some(&counters))
                    .await
                    .unwrap();
                assert_eq!(
                    shortcut.total, counted.total,
                    "status={status} kanal={kanal}"
                );
                assert_eq!(
                    usize::try_from(counted.total).unwrap(),
                    counted.rows.len(),
                    "status={status} kanal={kanal}"
                );
            }
        }
    }
);
