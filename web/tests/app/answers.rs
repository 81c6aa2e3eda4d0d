//! Individual answers by e-mail and SMS (norm 4.4.3), notes and case bookkeeping.

use entity::enums::{CaseStatus, Direction, Role};
use entity::{audit_log, message};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::admin_access::open_case;
use crate::dual;
use crate::support::rows::case_of;
use crate::support::{TestApp, twilio};

dual!(
    norm_4_4_3_an_email_answer_reaches_the_smtp_listener_with_the_reference_and_threading_headers,
    |app: TestApp| async move {
        app.seed_demo().await;
        let reference = open_case(&app, Some("kari@example.no"), None).await;
        let s = app.sign_in_as(Role::Handler).await;
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/svar"),
                &[
                    ("kanal", "email"),
                    ("tekst", "Hei Kari,\nvi har reservert nummeret ditt."),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        let mails = app.smtp.wait_for(1).await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].rcpt_to, vec!["kari@example.no".to_string()]);
        assert!(
            mails[0].subject().contains(&reference),
            "{}",
            mails[0].subject()
        );
        assert!(
            mails[0]
                .body_text()
                .contains("vi har reservert nummeret ditt")
        );
        let first_id = mails[0].parsed().message_id().unwrap().to_string();
        let c = case_of(&app, &reference).await;
        assert_eq!(c.status, CaseStatus::Answered);
        let out = message::Entity::find()
            .filter(message::Column::Direction.eq(Direction::Outbound))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(out.external_id.as_deref(), Some(first_id.as_str()));
        // A second answer refers to the first, so mail clients thread them.
        app.post_as(
            &format!("/admin/saker/{reference}/svar"),
            &[("kanal", "email"), ("tekst", "Et tillegg.")],
            &s,
        )
        .await;
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        let mails = app.smtp.wait_for(2).await;
        let second = mails[1].parsed();
        assert_eq!(second.in_reply_to().as_text(), Some(first_id.as_str()));
        // The case page shows the whole dialogue in order.
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        assert_eq!(page.count(".messages .message"), 3);
        assert_eq!(
            page.attr(".messages .message:first-child", "class")
                .unwrap(),
            "message inbound"
        );
        assert!(
            audit_log::Entity::find()
                .all(&app.db)
                .await
                .unwrap()
                .iter()
                .any(|a| a.action == "case.open"
                    && a.object_id.as_deref() == Some(reference.as_str())),
            "opening the case is audited"
        );
    }
);

dual!(
    an_sms_answer_reaches_twilio_with_the_right_fields_and_credentials,
    |app: TestApp| async move {
        let reference = open_case(&app, None, Some("912 34 567")).await;
        let s = app.sign_in_as(Role::Handler).await;
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/svar"),
                &[("kanal", "sms"), ("tekst", "Hei! Du er nå reservert.")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        let reqs = app.twilio.requests();
        assert_eq!(reqs.len(), 1);
        let q = &reqs[0];
        assert_eq!(q.method, "POST");
        assert_eq!(
            q.path,
            format!("/2010-04-01/Accounts/{}/Messages.json", twilio::ACCOUNT_SID)
        );
        assert_eq!(
            q.auth,
            Some((
                twilio::ACCOUNT_SID.to_string(),
                twilio::AUTH_TOKEN.to_string()
            ))
        );
        assert_eq!(q.form.get("To").map(String::as_str), Some("+4791234567"));
        assert_eq!(
            q.form.get("From").map(String::as_str),
            Some(twilio::SMS_FROM)
        );
        assert_eq!(
            q.form.get("Body").map(String::as_str),
            Some("Hei! Du er nå reservert.")
        );
        assert_eq!(
            q.form.get("StatusCallback").map(String::as_str),
            Some("http://127.0.0.1:3000/webhooks/twilio/sms/status"),
            "Twilio is told where to report delivery"
        );
        let c = case_of(&app, &reference).await;
        assert!(c.first_response_at.is_some());
        let out = message::Entity::find()
            .filter(message::Column::Direction.eq(Direction::Outbound))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(out.external_id.unwrap().starts_with("SM"));
    }
);

dual!(
    a_refused_sms_is_marked_failed_with_twilios_reason_and_the_clock_keeps_running,
    |app: TestApp| async move {
        let reference = open_case(&app, None, Some("912 34 567")).await;
        let s = app.sign_in_as(Role::Handler).await;
        app.twilio.fail_next(
            21211,
            "The 'To' number +4791234567 is not a valid phone number.",
        );
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/svar"),
                &[
                    ("kanal", "sms"),
                    ("tekst", "Hei, dette svaret blir avvist."),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        let c = case_of(&app, &reference).await;
        assert_eq!(c.first_response_at, None);
        assert_eq!(c.status, CaseStatus::Open);
        assert_eq!(c.delivery_flag.as_deref(), Some("failed"));
        let page = app.get_as(&format!("/admin/saker/{reference}"), &s).await;
        let state = page.text(".message.outbound .delivery").unwrap();
        assert!(
            state.contains("Svaret ble ikke sendt")
                && state.contains("21211")
                && state.contains("not a valid phone number"),
            "{state}"
        );
        assert_eq!(page.count(".message.outbound button.retry"), 1);
        // Refused for good: parked, not retried by the job on its own.
        app.clock.advance(chrono::Duration::hours(7));
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        assert_eq!(app.twilio.requests().len(), 1);
    }
);

dual!(
    notes_are_kept_but_never_sent_and_close_and_reopen_work,
    |app: TestApp| async move {
        let reference = open_case(&app, Some("kari@example.no"), None).await;
        let s = app.sign_in_as(Role::Handler).await;
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/notat"),
                &[("notat", "Ringte kunden.")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        assert!(app.smtp.mails().is_empty());
        assert!(app.twilio.requests().is_empty());
        let c = case_of(&app, &reference).await;
        assert_eq!(c.first_response_at, None, "a note is not an answer");
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/notat"),
                &[("notat", "  ")],
                &s,
            )
            .await;
        assert_eq!(r.status, 422);
        app.post_as(
            &format!("/admin/saker/{reference}/kategori"),
            &[("kategori", "privacy")],
            &s,
        )
        .await;
        app.post_as(
            &format!("/admin/saker/{reference}/lukk"),
            &[("lukkegrunn", "ingen-kontaktinfo")],
            &s,
        )
        .await;
        let c = case_of(&app, &reference).await;
        assert_eq!(
            (c.status, c.category.as_str()),
            (CaseStatus::Closed, "privacy")
        );
        assert!(c.closed_at.is_some());
        app.post_as(&format!("/admin/saker/{reference}/gjenapne"), &[], &s)
            .await;
        let c = case_of(&app, &reference).await;
        assert_eq!((c.status, c.closed_at), (CaseStatus::Open, None));
        let notes = message::Entity::find()
            .filter(message::Column::Direction.eq(Direction::Note))
            .order_by_asc(message::Column::Id)
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(notes.len(), 1);
    }
);
