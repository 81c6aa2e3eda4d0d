//! Delivery states (the screen tells the truth): an answer is queued, then
//! sent, failed, delivered or undelivered, and a case counts as answered
//! (norm 4.4.3) only from the moment its first answer actually went out.
//! Closing without an answer needs a reason and is counted apart.

use std::sync::Arc;

use chrono::Duration;
use entity::enums::{CaseStatus, Delivery, Direction, Role};
use entity::{case, mail_outbox, message};
use innsyn::domain::stats::{self, Period};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::admin_access::open_case;
use crate::dual;
use crate::support::rows::case_of;
use crate::support::{TestApp, TestResponse};

async fn outbound(app: &TestApp) -> Vec<message::Model> {
    message::Entity::find()
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .order_by_asc(message::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn dispatch(app: &TestApp) {
    innsyn::jobs::outbox::dispatch_due(&app.state)
        .await
        .unwrap();
}

async fn answer(app: &TestApp, s: &str, reference: &str, kanal: &str, tekst: &str) -> TestResponse {
    app.post_as(
        &format!("/admin/saker/{reference}/svar"),
        &[("kanal", kanal), ("tekst", tekst)],
        s,
    )
    .await
}

fn in_queue(page: &TestResponse, reference: &str) -> bool {
    page.count(&format!("tr[data-reference='{reference}']")) == 1
}

/// Nothing listens on the discard port: the mail server is down.
fn mail_server_down(c: &mut innsyn::config::Config) {
    c.smtp_url = Some("smtp://127.0.0.1:9".into());
}

/// Another instance on the same database, with the loopback mail server.
fn with_mail_server(app: &TestApp) -> innsyn::state::AppState {
    let mut config = app.state.config.clone();
    config.smtp_url = Some(app.smtp.url());
    innsyn::state::AppState::new(app.db.clone(), config, Arc::new(app.clock.clone())).unwrap()
}

fn this_month(app: &TestApp) -> Period {
    let today = app.clock_now().date_naive();
    Period {
        from: today - Duration::days(3),
        to: today + Duration::days(3),
        client: None,
        campaign: None,
    }
}

dual!(
    norm_4_4_3_an_email_answer_is_queued_then_counts_as_answered_from_the_time_it_was_sent,
    // Without a mail server the request's own kick sends nothing, so the
    // queued state can be looked at; a second instance with one sends it.
    configure = |c: &mut innsyn::config::Config| c.smtp_url = None,
    |app: TestApp| async move {
        let reference = open_case(&app, Some("kari@example.no"), None).await;
        let s = app.sign_in_as(Role::Handler).await;
        let queued_at = app.clock_now();
        let r = answer(&app, &s, &reference, "email", "Hei Kari, her er svaret.").await;
        assert_eq!(r.status, 303, "{}", r.body);
        // No other case needs the handler: back to the queue, the outcome on top.
        assert!(
            r.header("location")
                .unwrap()
                .ends_with(&format!("?ok=answered&fra={reference}"))
        );
        // Queued, not sent: still unanswered, in the queue with a marker.
        let c = case_of(&app, &reference).await;
        assert_eq!((c.status, c.first_response_at), (CaseStatus::Open, None));
        let page = app
            .get_as(&format!("/admin/saker/{reference}?ok=queued"), &s)
            .await;
        assert!(
            page.text("#notice")
                .unwrap()
                .contains("lagt i kø for sending")
        );
        assert!(!page.body.contains("Svaret er sendt"));
        assert_eq!(
            page.attr(".message.outbound .delivery", "data-delivery")
                .as_deref(),
            Some("queued")
        );
        let q = app.get_as("/admin/saker", &s).await;
        assert!(in_queue(&q, &reference));
        assert_eq!(
            q.text(".delivery-marker.queued").as_deref(),
            Some("i kø for sending")
        );
        // Sent ten minutes later: the clock stopped then, not when queued.
        app.clock.advance(Duration::minutes(10));
        innsyn::jobs::outbox::dispatch_due(&with_mail_server(&app))
            .await
            .unwrap();
        assert_eq!(app.smtp.wait_for(1).await.len(), 1);
        let c = case_of(&app, &reference).await;
        assert_eq!(c.status, CaseStatus::Answered);
        assert_eq!(c.first_response_at, Some(queued_at + Duration::minutes(10)));
        assert_eq!(c.delivery_flag, None);
        let m = &outbound(&app).await[0];
        assert_eq!(m.delivery, Some(Delivery::Sent));
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert!(
            page.text(".message.outbound .delivery")
                .unwrap()
                .starts_with("Sendt ")
        );
        assert!(!in_queue(&app.get_as("/admin/saker", &s).await, &reference));
        let sla = stats::sla(&app.db, &this_month(&app), app.clock_now())
            .await
            .unwrap();
        assert_eq!(
            sla.overall.median_first_answer_secs,
            Some(600),
            "the statistics time the answer from when it was sent"
        );
    }
);

dual!(
    norm_4_4_3_with_the_mail_server_down_the_answer_fails_visibly_the_case_stays_in_the_queue_and_a_retry_sends_it,
    configure = mail_server_down,
    |app: TestApp| async move {
        let reference = open_case(&app, Some("kari@example.no"), None).await;
        let s = app.sign_in_as(Role::Handler).await;
        let r = answer(&app, &s, &reference, "email", "Hei Kari.").await;
        assert_eq!(r.status, 303);
        dispatch(&app).await;
        let c = case_of(&app, &reference).await;
        assert_eq!((c.status, c.first_response_at), (CaseStatus::Open, None));
        assert_eq!(c.delivery_flag.as_deref(), Some("failed"));
        let m = &outbound(&app).await[0];
        assert_eq!(m.delivery, Some(Delivery::Failed));
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert!(
            page.text(".message.outbound .delivery")
                .unwrap()
                .starts_with("Svaret ble ikke sendt: "),
        );
        assert!(page.text("#delivery-flag").unwrap().contains("fristen løper"));
        let q = app.get_as("/admin/saker", &s).await;
        assert!(in_queue(&q, &reference));
        assert_eq!(
            q.text(".delivery-marker.failed").as_deref(),
            Some("svaret ble ikke sendt")
        );
        // The clock keeps running: past 24 hours it is a breach, not an answer.
        app.clock.advance(Duration::hours(25));
        // A staff session unused for 8 hours has ended: sign in again.
        let s = app.sign_in_as(Role::Handler).await;
        let q = app.get_as("/admin/saker?status=breached", &s).await;
        assert!(in_queue(&q, &reference));
        let sla = stats::sla(&app.db, &this_month(&app), app.clock_now())
            .await
            .unwrap();
        assert_eq!((sla.overall.inquiries, sla.overall.answered_within_24h), (1, 0));
        // The mail server is back (another instance with it configured).
        let up = with_mail_server(&app);
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/meldinger/{}/send-igjen", m.id),
                &[],
                &s,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        // "Send igjen" also kicked this instance's outbox, whose mail server
        // is still down: let that run end (it may have failed the message
        // again and set its next attempt), and the back-off pass (at most
        // six hours), before the instance with the server sends it.
        app.state.jobs.shutdown().await;
        app.clock.advance(Duration::hours(7));
        innsyn::jobs::outbox::dispatch_due(&up).await.unwrap();
        assert_eq!(app.smtp.wait_for(1).await.len(), 1);
        let c = case_of(&app, &reference).await;
        assert_eq!(c.status, CaseStatus::Answered);
        assert_eq!(c.first_response_at, Some(app.clock_now()));
        assert!(!in_queue(&app.get_as("/admin/saker", &s).await, &reference));
        // A message that went out cannot be "sent again".
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/meldinger/{}/send-igjen", m.id),
                &[],
                &s,
            )
            .await;
        assert_eq!(r.status, 400);
    }
);

async fn sms_sent(app: &TestApp, s: &str) -> (String, String) {
    let reference = open_case(app, None, Some("912 34 567")).await;
    let r = answer(app, s, &reference, "sms", "Hei! Du er reservert.").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        app.twilio.requests().is_empty() || app.twilio.requests().len() == 1,
        "at most the kicked run sent it"
    );
    dispatch(app).await;
    let m = message::Entity::find()
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .order_by_desc(message::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.delivery, Some(Delivery::Sent));
    (reference, m.external_id.unwrap())
}

const STATUS: &str = "/webhooks/twilio/sms/status";

dual!(
    twilio_status_callback_is_signed_idempotent_and_marks_delivered,
    |app: TestApp| async move {
        let s = app.sign_in_as(Role::Handler).await;
        let (reference, sid) = sms_sent(&app, &s).await;
        let params = [
            ("MessageSid", sid.as_str()),
            ("MessageStatus", "delivered"),
            ("AccountSid", crate::support::twilio::ACCOUNT_SID),
        ];
        // Unsigned or wrongly signed: refused, nothing changes.
        let r = app.twilio_post_signed(STATUS, &params, None).await;
        assert_eq!(r.status, 403);
        let r = app
            .twilio_post_signed(STATUS, &params, Some("bm90IHRoZSBzaWduYXR1cmU="))
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(outbound(&app).await[0].delivery, Some(Delivery::Sent));
        let r = app.twilio_post(STATUS, &params).await;
        assert_eq!(r.status, 204);
        assert_eq!(outbound(&app).await[0].delivery, Some(Delivery::Delivered));
        // Replayed: the same answer, nothing new.
        let r = app.twilio_post(STATUS, &params).await;
        assert_eq!(r.status, 204);
        // A late, out-of-order "undelivered" does not undo "delivered".
        let r = app
            .twilio_post(
                STATUS,
                &[
                    ("MessageSid", sid.as_str()),
                    ("MessageStatus", "undelivered"),
                ],
            )
            .await;
        assert_eq!(r.status, 204);
        assert_eq!(outbound(&app).await[0].delivery, Some(Delivery::Delivered));
        let c = case_of(&app, &reference).await;
        assert_eq!(c.status, CaseStatus::Answered);
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert!(
            page.text(".message.outbound .delivery")
                .unwrap()
                .contains("levert")
        );
        // A report on an SID we never sent changes nothing.
        let r = app
            .twilio_post(
                STATUS,
                &[
                    ("MessageSid", "SMdoesnotexist"),
                    ("MessageStatus", "undelivered"),
                ],
            )
            .await;
        assert_eq!(r.status, 204);
    }
);

dual!(
    norm_4_4_3_an_sms_reported_undelivered_puts_the_case_back_in_the_queue_with_its_original_deadline,
    |app: TestApp| async move {
        let s = app.sign_in_as(Role::Handler).await;
        let (reference, sid) = sms_sent(&app, &s).await;
        let before = case_of(&app, &reference).await;
        assert_eq!(before.status, CaseStatus::Answered);
        app.clock.advance(Duration::hours(2));
        let params = [
            ("MessageSid", sid.as_str()),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30003"),
        ];
        assert_eq!(app.twilio_post(STATUS, &params).await.status, 204);
        let c = case_of(&app, &reference).await;
        assert_eq!(c.status, CaseStatus::Open);
        assert_eq!(c.first_response_at, None);
        assert_eq!(c.due_at, before.due_at, "the original deadline");
        assert_eq!(c.delivery_flag.as_deref(), Some("undelivered"));
        let q = app.get_as("/admin/saker", &s).await;
        assert!(in_queue(&q, &reference));
        assert_eq!(
            q.text(".delivery-marker.undelivered").as_deref(),
            Some("svaret kom ikke fram")
        );
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert!(page.text(".message.outbound .delivery").unwrap().contains("30003"));
        // Replayed: applied once.
        assert_eq!(app.twilio_post(STATUS, &params).await.status, 204);
        // Send again: a new SMS goes to Twilio.
        let id = outbound(&app).await[0].id;
        let r = app
            .post_as(&format!("/admin/saker/{reference}/meldinger/{id}/send-igjen"), &[], &s)
            .await;
        assert_eq!(r.status, 303);
        dispatch(&app).await;
        assert_eq!(app.twilio.requests().len(), 2);
        let c = case_of(&app, &reference).await;
        assert_eq!(c.status, CaseStatus::Answered);
        assert_eq!(c.delivery_flag, None);
    }
);

dual!(
    an_empty_answer_or_no_channel_keeps_the_handler_on_the_case_with_the_text_and_the_field_marked,
    |app: TestApp| async move {
        let reference = open_case(&app, Some("kari@example.no"), None).await;
        let s = app.sign_in_as(Role::Handler).await;
        let r = answer(&app, &s, &reference, "email", "   ").await;
        assert_eq!(r.status, 422);
        assert_eq!(r.count(".admin-header"), 1, "inside the back office");
        assert_eq!(
            r.attr("textarea#tekst", "aria-invalid").as_deref(),
            Some("true")
        );
        assert!(r.text("#tekst-error").unwrap().contains("Skriv noe"));
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/svar"),
                &[("tekst", "Et svar uten kanal.")],
                &s,
            )
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(
            r.text("textarea#tekst").as_deref(),
            Some("Et svar uten kanal.")
        );
        assert!(r.text("#kanal-error").unwrap().contains("e-post eller SMS"));
        assert_eq!(outbound(&app).await.len(), 0, "nothing half-written");
        assert_eq!(mail_outbox::Entity::find().count(&app.db).await.unwrap(), 0);
    }
);

dual!(
    the_case_page_says_before_writing_when_no_mail_server_or_sms_is_configured,
    configure = |c: &mut innsyn::config::Config| {
        c.smtp_url = None;
        c.twilio_sms_from = None;
    },
    |app: TestApp| async move {
        let reference = open_case(&app, Some("kari@example.no"), Some("912 34 567")).await;
        let s = app.sign_in_as(Role::Handler).await;
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        // Variable names are for administrators; a handler is told whom to ask.
        assert!(
            page.text("#no-mail-server")
                .unwrap()
                .contains("administrator")
        );
        assert!(page.attr("#kanal-sms", "disabled").is_some());
        assert!(page.text("#sms-off").unwrap().contains("ikke satt opp"));
        let nophone = open_case(&app, Some("ola@example.no"), None).await;
        let page = app.get_as(&format!("/admin/saker/{nophone}"), &s).await;
        assert!(
            page.text("#sms-off")
                .unwrap()
                .contains("ikke noe telefonnummer")
        );
    }
);

dual!(
    closing_a_case_with_no_sent_answer_needs_a_reason_and_shows_lukket_uten_svar,
    |app: TestApp| async move {
        let reference = open_case(&app, Some("kari@example.no"), None).await;
        let other = open_case(&app, Some("kari@example.no"), None).await;
        let s = app.sign_in_as(Role::Handler).await;
        let close = |fields: Vec<(&'static str, String)>| {
            let app = &app;
            let s = s.clone();
            let reference = reference.clone();
            async move {
                let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.post_as(&format!("/admin/saker/{reference}/lukk"), &f, &s)
                    .await
            }
        };
        let r = close(vec![]).await;
        assert_eq!(r.status, 422);
        assert_eq!(
            r.attr("#lukkegrunn", "aria-invalid").as_deref(),
            Some("true")
        );
        let r = close(vec![("lukkegrunn", "duplikat".into())]).await;
        assert_eq!(r.status, 422);
        assert_eq!(
            r.attr("#duplikat_av", "aria-invalid").as_deref(),
            Some("true")
        );
        assert_eq!(
            r.attr("#lukkegrunn option[selected]", "value").as_deref(),
            Some("duplikat"),
            "the choice is kept"
        );
        let r = close(vec![
            ("lukkegrunn", "duplikat".into()),
            ("duplikat_av", "K-1999-000001".into()),
        ])
        .await;
        assert_eq!(r.status, 422, "an unknown reference is refused");
        assert_eq!(case_of(&app, &reference).await.status, CaseStatus::Open);
        let r = close(vec![
            ("lukkegrunn", "duplikat".into()),
            ("duplikat_av", other.clone()),
        ])
        .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let c = case_of(&app, &reference).await;
        assert_eq!(c.status, CaseStatus::Closed);
        assert_eq!(c.close_reason.as_deref(), Some("duplikat"));
        assert_eq!(c.first_response_at, None);
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert_eq!(page.text("h1 .badge").as_deref(), Some("Lukket uten svar"));
        let why = page.text("#closed-reason").unwrap();
        assert!(why.contains("Duplikat") && why.contains(&other), "{why}");
        assert!(!page.body.contains(">Besvart<"));
        let q = app.get_as("/admin/saker?status=closed", &s).await;
        assert_eq!(
            q.text(&format!("tr[data-reference='{reference}'] .badge"))
                .as_deref(),
            Some("Lukket uten svar")
        );
    }
);

dual!(
    norm_4_4_3_answered_by_telephone_counts_as_answered_at_the_time_recorded,
    |app: TestApp| async move {
        let reference = open_case(&app, None, None).await;
        let s = app.sign_in_as(Role::Handler).await;
        app.clock.advance(Duration::hours(3));
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/lukk"),
                &[("lukkegrunn", "besvart-per-telefon"), ("notat", "")],
                &s,
            )
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(
            r.attr("#lukk-notat", "aria-invalid").as_deref(),
            Some("true")
        );
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/lukk"),
                &[
                    ("lukkegrunn", "besvart-per-telefon"),
                    ("notat", "Ringte Kari og forklarte oppringingen."),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        let c = case_of(&app, &reference).await;
        assert_eq!(c.status, CaseStatus::Closed);
        assert_eq!(c.first_response_at, Some(app.clock_now()));
        let m = &outbound(&app).await[0];
        assert_eq!(m.channel, entity::enums::Channel::Phone);
        let sla = stats::sla(&app.db, &this_month(&app), app.clock_now())
            .await
            .unwrap();
        assert_eq!(
            (
                sla.overall.answered_within_24h,
                sla.overall.closed_without_answer
            ),
            (1, 0)
        );
    }
);

dual!(
    statistics_and_the_purged_facts_count_closed_without_answer_apart_never_as_answered,
    |app: TestApp| async move {
        let answered = open_case(&app, Some("kari@example.no"), None).await;
        let spam = open_case(&app, Some("spam@example.no"), None).await;
        let s = app.sign_in_as(Role::Handler).await;
        answer(&app, &s, &answered, "email", "Hei Kari.").await;
        dispatch(&app).await;
        let r = app
            .post_as(
                &format!("/admin/saker/{spam}/lukk"),
                &[("lukkegrunn", "spam")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        let sla = stats::sla(&app.db, &this_month(&app), app.clock_now())
            .await
            .unwrap();
        assert_eq!(sla.overall.inquiries, 2);
        assert_eq!(sla.overall.answered_within_24h, 1);
        assert_eq!(sla.overall.closed_without_answer, 1);
        // The statistics page shows the column.
        let m = app.sign_in_as(Role::Manager).await;
        let page = app.get_as("/admin/statistikk", &m).await;
        assert_eq!(
            page.text(".sla-overall .closed-unanswered").as_deref(),
            Some("1")
        );
        // Purged: the anonymous facts keep the difference.
        let cases = case::Entity::find().all(&app.db).await.unwrap();
        innsyn::domain::privacy::retention::delete_cases(&app.db, &cases)
            .await
            .unwrap();
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 0);
        let sla = stats::sla(&app.db, &this_month(&app), app.clock_now())
            .await
            .unwrap();
        assert_eq!(
            (
                sla.overall.inquiries,
                sla.overall.answered_within_24h,
                sla.overall.closed_without_answer
            ),
            (2, 1, 1)
        );
    }
);

dual!(
    norm_4_4_3_a_consumer_writing_again_to_a_case_closed_without_answer_reopens_it_with_a_fresh_deadline,
    |app: TestApp| async move {
        let reference = open_case(&app, Some("kari@example.no"), None).await;
        let s = app.sign_in_as(Role::Handler).await;
        app.post_as(
            &format!("/admin/saker/{reference}/lukk"),
            &[("lukkegrunn", "ingen-kontaktinfo")],
            &s,
        )
        .await;
        app.clock.advance(Duration::days(2));
        // A staff session unused for 8 hours has ended: sign in again.
        let s = app.sign_in_as(Role::Handler).await;
        let raw = format!(
            "From: Kari <kari@example.no>\r\nTo: k@nordlys.example\r\nSubject: SV: [{reference}] Hallo?\r\nMessage-ID: <again-1@example.no>\r\n\r\nJeg venter fortsatt.\r\n"
        );
        innsyn::domain::inbound::mail::ingest(&app.db, "K", raw.as_bytes(), app.clock_now())
            .await
            .unwrap();
        let c = case_of(&app, &reference).await;
        assert_eq!(c.status, CaseStatus::Open);
        assert_eq!(c.close_reason, None);
        assert_eq!(c.due_at, app.clock_now() + Duration::hours(24));
        let q = app.get_as("/admin/saker?status=on_time", &s).await;
        assert!(in_queue(&q, &reference));
    }
);

dual!(
    back_office_errors_render_inside_the_back_office_in_the_staff_language_with_a_way_back,
    |app: TestApp| async move {
        app.seed_demo().await;
        let s = app.sign_in_as(Role::Handler).await;
        let r = app
            .get_with(
                "/admin/saker/K-1999-999999?lang=en",
                &[
                    ("cookie", &s),
                    ("referer", "http://127.0.0.1:3000/admin/saker?kanal=sms"),
                ],
            )
            .await;
        assert_eq!(r.status, 404);
        assert_eq!(r.count(".admin-header"), 1);
        assert_eq!(r.attr("html", "lang").as_deref(), Some("en"));
        assert_eq!(r.text("h1").as_deref(), Some("Page not found"));
        assert_eq!(
            r.attr("a.back", "href").as_deref(),
            Some("/admin/saker?kanal=sms")
        );
        // A role refused: 403, still in the back office.
        let r = app.get_as("/admin/brukere", &s).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.count(".admin-header"), 1);
        assert_eq!(r.attr("a.back", "href").as_deref(), Some("/admin/saker"));
        // A malformed path (axum's own rejection): 400 in the layout too.
        let r = app
            .post_as("/admin/saker/K-1/meldinger/abc/send-igjen", &[], &s)
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(r.count(".admin-header"), 1);
        // The public error page: the visitor's language and the centre.
        let r = app.get("/finnes-ikke?lang=en").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.count(".admin-header"), 0);
        assert_eq!(r.text("h1").as_deref(), Some("Page not found"));
        assert!(r.body.contains("Nordlys"), "the centre's name");
        // Machines get no page.
        let r = app.twilio_post_signed(STATUS, &[], None).await;
        assert_eq!(r.status, 403);
        assert!(r.body.is_empty());
    }
);
