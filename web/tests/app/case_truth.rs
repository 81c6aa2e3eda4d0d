//! Issue 31, the case page tells the truth: no dead end when no written
//! channel reaches the person, the opt-out shown on the case and marked in
//! the queue, the case's history, a queue titled by its filter, and an
//! answer that cannot leave saying so.

use entity::enums::{CaseStatus, Channel, Role};
use entity::{case, reservation};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::dual;
use crate::support::{TestApp, TestResponse};

/// A web case from a person with `email` and/or `phone`, who wrote `body`.
async fn case_with(app: &TestApp, email: Option<&str>, phone: Option<&str>, body: &str) -> String {
    use innsyn::domain::cases::{NewCase, open_case};
    open_case(
        &app.db,
        "K",
        NewCase {
            channel: Channel::Sms,
            consumer_name: Some("Kari Nordmann".into()),
            consumer_phone: phone.map(|p| innsyn::domain::phone::E164::parse(p).unwrap()),
            consumer_email: email.map(|e| innsyn::domain::email::EmailAddress::parse(e).unwrap()),
            called_from: None,
            category: "other".into(),
            body: body.into(),
            source_key: None,
            received_at: app.clock_now(),
        },
    )
    .await
    .unwrap()
    .reference
}

async fn case_of(app: &TestApp, reference: &str) -> case::Model {
    case::Entity::find()
        .filter(case::Column::Reference.eq(reference))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

fn no_sms(c: &mut innsyn::config::Config) {
    c.twilio_sms_from = None;
}

fn no_sms_no_mail(c: &mut innsyn::config::Config) {
    c.twilio_sms_from = None;
    c.smtp_url = None;
}

/// The history's events, in the order the page lists them.
fn events(page: &TestResponse) -> Vec<String> {
    page.doc()
        .select(&scraper::Selector::parse("ol.history li").unwrap())
        .filter_map(|li| li.value().attr("data-event").map(str::to_string))
        .collect()
}

dual!(
    a_case_no_written_channel_reaches_says_so_on_top_and_offers_the_phone_instead_of_a_send,
    configure = no_sms,
    |app: TestApp| async move {
        let reference = case_with(&app, None, Some("+4791234567"), "Hei").await;
        let s = app.sign_in_as(Role::Handler).await;
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.count("#no-channel"), 1, "the page says so");
        assert_eq!(page.count("#send-answer"), 0, "no send that cannot send");
        assert_eq!(
            page.attr("#call-number", "href").as_deref(),
            Some("tel:+4791234567")
        );
        let fix = page.text("#who-fixes").unwrap();
        assert!(fix.contains("administrator"), "{fix}");
        assert!(
            !page.body.contains("TWILIO_"),
            "no variable names for handlers"
        );
        assert_eq!(page.count("#no-channel #dead-end-reserve"), 1);
        assert_eq!(page.count("#no-channel a[href='#close-form']"), 1);

        let admin = app.sign_in_as(Role::Admin).await;
        let page = app
            .get_as(&format!("/admin/saker/{reference}"), &admin)
            .await;
        assert!(page.text("#who-fixes").unwrap().contains("TWILIO_SMS_FROM"));

        // Answered by telephone: recorded as the answer, and the case closes.
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/lukk"),
                &[
                    ("lukkegrunn", "besvart-per-telefon"),
                    ("notat", "Ringte og forklarte hvem som ringte."),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        let c = case_of(&app, &reference).await;
        assert_eq!(c.status, CaseStatus::Closed);
        assert!(
            c.first_response_at.is_some(),
            "an answer by telephone counts"
        );
    }
);

dual!(
    a_case_with_neither_address_nor_number_offers_closing_with_a_reason,
    |app: TestApp| async move {
        let reference = case_with(&app, None, None, "Hei").await;
        let s = app.sign_in_as(Role::Handler).await;
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert_eq!(page.count("#no-channel"), 1);
        assert_eq!(page.count("#send-answer"), 0);
        assert_eq!(page.count("#call-number"), 0);
        assert_eq!(page.count("#no-channel a[href='#close-form']"), 1);
        assert_eq!(page.count("form#close-form select#lukkegrunn"), 1);
    }
);

dual!(
    a_case_with_an_address_offers_the_answer_and_no_dead_end,
    configure = no_sms,
    |app: TestApp| async move {
        let reference = case_with(&app, Some("kari@example.no"), Some("+4791234567"), "Hei").await;
        let s = app.sign_in_as(Role::Handler).await;
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert_eq!(page.count("#no-channel"), 0);
        assert_eq!(page.count("#send-answer"), 1);
        let why = page.text("#sms-off").unwrap();
        assert!(
            why.contains("administrator") && !why.contains("TWILIO"),
            "{why}"
        );
    }
);

dual!(
    norm_4_4_4_after_reserving_the_case_says_reserved_when_and_by_whom_and_offers_no_second_button,
    |app: TestApp| async move {
        let reference = case_with(&app, Some("kari@example.no"), Some("+4791234567"), "Hei").await;
        let s = app.sign_in_as(Role::Handler).await;
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert_eq!(page.count("#reserve-number"), 1);
        let r = app
            .post_as(&format!("/admin/saker/{reference}/reserver"), &[], &s)
            .await;
        assert_eq!(r.status, 303);
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        let said = page.text("#reserved").unwrap();
        assert!(said.contains("reservert"), "{said}");
        assert!(said.contains("handler@staff.example"), "{said}");
        assert_eq!(page.count("#reserve-number"), 0, "no second button");
        assert!(events(&page).contains(&"reserved".to_string()));
        assert_eq!(
            reservation::Entity::find()
                .filter(reservation::Column::E164.eq("+4791234567"))
                .all(&app.db)
                .await
                .unwrap()
                .len(),
            1
        );
    }
);

dual!(
    norm_4_4_4_a_case_asking_not_to_be_called_is_marked_in_the_queue_and_closing_it_unreserved_asks_for_confirmation,
    |app: TestApp| async move {
        let asks = case_with(&app, None, Some("+4791234567"), "Stopp å ringe meg").await;
        let other = case_with(&app, None, Some("+4791234568"), "Hvem ringte?").await;
        let s = app.sign_in_as(Role::Handler).await;
        let q = app.get_as("/admin/saker", &s).await;
        assert_eq!(
            q.count(&format!("tr[data-reference='{asks}'] .opt-out-marker.asked")),
            1
        );
        assert_eq!(
            q.count(&format!("tr[data-reference='{other}'] .opt-out-marker")),
            0
        );
        let page = app.get_as(&format!("/admin/saker/{asks}"), &s).await;
        assert_eq!(page.count("#opt-out-asked"), 1);

        let close = |extra: Option<(&'static str, &'static str)>| {
            let mut f = vec![("lukkegrunn", "spam")];
            f.extend(extra);
            let (app, s, asks) = (&app, s.clone(), asks.clone());
            async move {
                app.post_as(&format!("/admin/saker/{asks}/lukk"), &f, &s)
                    .await
            }
        };
        // No reason at all: the reason is asked for first.
        let r = app
            .post_as(&format!("/admin/saker/{asks}/lukk"), &[], &s)
            .await;
        assert_eq!(r.status, 422);
        assert!(r.text("#lukkegrunn-error").is_some());
        assert!(r.text("#uten_reservasjon-error").is_none());
        let r = close(None).await;
        assert_eq!(r.status, 422);
        assert!(r.text("#uten_reservasjon-error").is_some());
        assert_eq!(case_of(&app, &asks).await.status, CaseStatus::Open);
        let r = close(Some(("uten_reservasjon", "ja"))).await;
        assert_eq!(r.status, 303);
        assert_eq!(case_of(&app, &asks).await.status, CaseStatus::Closed);

        // Once reserved, the marker says so and no confirmation is asked.
        app.post_as(&format!("/admin/saker/{other}/reserver"), &[], &s)
            .await;
        let third = case_with(&app, None, Some("+4791234568"), "Ikke ring meg").await;
        let q = app.get_as("/admin/saker", &s).await;
        assert_eq!(
            q.count(&format!("tr[data-reference='{third}'] .opt-out-marker.reserved")),
            1
        );
        let r = app
            .post_as(
                &format!("/admin/saker/{third}/lukk"),
                &[("lukkegrunn", "spam")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
    }
);

dual!(
    the_history_lists_received_assigned_answered_sent_closed_and_reopened_in_order,
    |app: TestApp| async move {
        let reference = case_with(&app, Some("kari@example.no"), None, "Hei").await;
        let s = app.sign_in_as(Role::Handler).await;
        // Each step a minute after the one before, as on a real day.
        let tick = || app.clock.advance(chrono::Duration::minutes(1));
        tick();
        app.post_as(
            &format!("/admin/saker/{reference}/tildel"),
            &[("til", "me")],
            &s,
        )
        .await;
        tick();
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/svar"),
                &[("kanal", "email"), ("tekst", "Hei Kari, her er svaret.")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        app.post_as(&format!("/admin/saker/{reference}/lukk"), &[], &s)
            .await;
        tick();
        app.post_as(&format!("/admin/saker/{reference}/gjenapne"), &[], &s)
            .await;
        tick();
        app.post_as(&format!("/admin/saker/{reference}/lukk"), &[], &s)
            .await;
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert_eq!(
            events(&page),
            [
                "received",
                "assigned",
                "answer-queued",
                "answer-sent",
                "closed",
                "reopened",
                "closed"
            ]
        );
        let closed = page.text("#closed-reason").unwrap();
        assert!(closed.contains("handler@staff.example"), "{closed}");
        assert!(
            page.text("ol.history li[data-event='assigned']")
                .unwrap()
                .contains("handler@staff.example")
        );
    }
);

dual!(
    a_case_closed_without_answer_says_why_by_whom_and_when,
    |app: TestApp| async move {
        let reference = case_with(&app, Some("kari@example.no"), None, "Kjøp nå").await;
        let s = app.sign_in_as(Role::Handler).await;
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/lukk"),
                &[("lukkegrunn", "spam")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        let line = page.text("#closed-reason").unwrap();
        assert!(
            line.contains("Spam") && line.contains("handler@staff.example"),
            "{line}"
        );
        assert!(
            page.text("ol.history li[data-event='closed']")
                .unwrap()
                .contains("Spam")
        );
    }
);

dual!(
    the_queue_title_and_columns_follow_its_status_filter,
    |app: TestApp| async move {
        let s = app.sign_in_as(Role::Handler).await;
        let open = app.get_as("/admin/saker", &s).await;
        assert_eq!(
            open.text("h1#queue-title").as_deref(),
            Some("Saker som venter på svar")
        );
        let reference = case_with(&app, Some("kari@example.no"), None, "Hei").await;
        app.post_as(
            &format!("/admin/saker/{reference}/lukk"),
            &[("lukkegrunn", "spam")],
            &s,
        )
        .await;
        let closed = app.get_as("/admin/saker?status=closed", &s).await;
        assert_eq!(
            closed.text("h1#queue-title").as_deref(),
            Some("Lukkede saker")
        );
        assert_eq!(closed.text("th.col-left").as_deref(), Some("Lukket"));
        assert!(!closed.body.contains("Tid igjen"));
        assert_eq!(
            closed.count(&format!("tr[data-reference='{reference}'] .closed-at")),
            1
        );
        // The htmx fragment brings the title along.
        let frag = app
            .get_with(
                "/admin/saker?status=answered",
                &[
                    ("hx-request", "true"),
                    ("cookie", &format!("{s}; innsyn_csrf=x")),
                ],
            )
            .await;
        assert_eq!(
            frag.attr("h1#queue-title", "hx-swap-oob").as_deref(),
            Some("true")
        );
        assert_eq!(
            frag.text("h1#queue-title").as_deref(),
            Some("Besvarte saker")
        );
    }
);

dual!(
    a_queued_answer_that_cannot_leave_says_exactly_that,
    configure = no_sms_no_mail,
    |app: TestApp| async move {
        let reference = case_with(&app, Some("kari@example.no"), None, "Hei").await;
        let s = app.sign_in_as(Role::Handler).await;
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/svar"),
                &[("kanal", "email"), ("tekst", "Hei Kari.")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        let stuck = page.text(".delivery-stuck").unwrap();
        assert!(stuck.contains("ingen e-postserver"), "{stuck}");
        assert!(
            !stuck.contains("SMTP_URL"),
            "no variable names for handlers"
        );
    }
);

dual!(
    ta_saken_is_not_offered_on_a_case_already_yours,
    |app: TestApp| async move {
        let reference = case_with(&app, Some("kari@example.no"), None, "Hei").await;
        let s = app.sign_in_as(Role::Handler).await;
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert_eq!(page.count("#take-case"), 1);
        app.post_as(
            &format!("/admin/saker/{reference}/tildel"),
            &[("til", "me")],
            &s,
        )
        .await;
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert_eq!(page.count("#take-case"), 0);
    }
);
