//! Inbound e-mail through `POST /webhooks/email` (and the same function the
//! `ingest-mail` pipe uses): MIME fixtures written for these tests.

use axum::body::Body;
use axum::http::Request;
use entity::enums::{Channel, Role};
use entity::{attachment, case, message};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::dual;
use crate::support::{INBOUND_EMAIL_TOKEN, TestApp, TestResponse};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/mail/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn deliver(app: &TestApp, raw: Vec<u8>) -> TestResponse {
    let req = Request::post("/webhooks/email")
        .header("authorization", format!("Bearer {INBOUND_EMAIL_TOKEN}"))
        .header("content-type", "message/rfc822")
        .body(Body::from(raw))
        .unwrap();
    app.send(req).await
}

async fn only_case(app: &TestApp) -> case::Model {
    let all = case::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(all.len(), 1);
    all.into_iter().next().unwrap()
}

async fn bodies(app: &TestApp, case_id: i32) -> Vec<String> {
    message::Entity::find()
        .filter(message::Column::CaseId.eq(case_id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect()
}

dual!(
    norm_4_4_3_a_plain_quoted_printable_mail_opens_an_email_case_due_in_24_hours,
    |app: TestApp| async move {
        let r = deliver(&app, fixture("plain.eml")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["outcome"], "new_case");
        let c = only_case(&app).await;
        assert_eq!(r.json()["reference"], c.reference.as_str());
        assert_eq!(c.channel, Channel::Email);
        assert_eq!(c.consumer_email.as_deref(), Some("kari@example.no"));
        assert_eq!(c.consumer_name.as_deref(), Some("Kari Nordmann"));
        assert_eq!(c.due_at - c.received_at, chrono::Duration::hours(24));
        let b = bodies(&app, c.id).await;
        assert!(
            b[0].contains("i går fra 21 00 00 10. Jeg ønsker ikke flere anrop."),
            "{}",
            b[0]
        );
        // Idempotent on Message-ID.
        let again = deliver(&app, fixture("plain.eml")).await;
        assert_eq!(again.json()["outcome"], "duplicate");
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 1);
    }
);

dual!(
    an_rfc2047_norwegian_subject_and_sender_are_decoded,
    |app: TestApp| async move {
        deliver(&app, fixture("rfc2047.eml")).await;
        let c = only_case(&app).await;
        assert_eq!(c.consumer_name.as_deref(), Some("Pål Ødegård"));
        assert!(bodies(&app, c.id).await[0].starts_with("Klage på anrop i går"));
    }
);

dual!(
    html_only_mail_is_kept_as_plain_text_without_markup,
    |app: TestApp| async move {
        deliver(&app, fixture("html_only.eml")).await;
        let c = only_case(&app).await;
        let b = bodies(&app, c.id).await.remove(0);
        assert!(
            b.contains("Hei & takk.") && b.contains("Ikke ring meg."),
            "{b}"
        );
        assert!(!b.contains('<') && !b.contains("alert"), "{b}");
    }
);

dual!(
    an_attachment_is_kept_with_its_type_and_offered_as_a_download,
    |app: TestApp| async move {
        deliver(&app, fixture("attachment.eml")).await;
        let c = only_case(&app).await;
        let a = attachment::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (a.filename.as_str(), a.content_type.as_str()),
            ("anrop.png", "image/png")
        );
        assert!(a.data.starts_with(b"\x89PNG"));
        let s = app.sign_in_as(Role::Handler).await;
        let page = app
            .get_as(&format!("/admin/saker/{}", c.reference), &s)
            .await;
        let href = page.attr(".attachment a", "href").unwrap();
        let r = app.get_as(&href, &s).await;
        assert_eq!(r.status, 200);
        assert!(
            r.header("content-disposition")
                .unwrap()
                .starts_with("attachment;")
        );
    }
);

dual!(
    a_reply_threads_into_its_case_by_reference_and_by_in_reply_to,
    |app: TestApp| async move {
        deliver(&app, fixture("plain.eml")).await;
        let c = only_case(&app).await;
        let by_ref = format!(
            "From: Kari <kari@example.no>\r\nTo: k@nordlys.example\r\nSubject: SV: [{}] Svar fra Nordlys\r\nMessage-ID: <reply-1@example.no>\r\n\r\nTakk for svaret.\r\n",
            c.reference
        );
        let r = deliver(&app, by_ref.into_bytes()).await;
        assert_eq!(r.json()["outcome"], "threaded");
        let by_header = "From: Kari <kari@example.no>\r\nTo: k@nordlys.example\r\nSubject: Re: Hvorfor ringer dere meg?\r\nMessage-ID: <reply-2@example.no>\r\nIn-Reply-To: <plain-1@example.no>\r\n\r\nEn ting til.\r\n";
        let r = deliver(&app, by_header.as_bytes().to_vec()).await;
        assert_eq!(r.json()["outcome"], "threaded");
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 1);
        assert_eq!(bodies(&app, c.id).await.len(), 3);
    }
);

dual!(
    auto_replies_and_bounces_open_nothing_and_get_no_answer,
    |app: TestApp| async move {
        for f in ["auto_reply.eml", "bounce.eml"] {
            let r = deliver(&app, fixture(f)).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.json()["outcome"], "ignored", "{f}");
        }
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 0);
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        assert!(app.smtp.mails().is_empty(), "no mail loops");
    }
);

dual!(
    an_oversized_mail_is_refused_with_a_clear_error_and_nothing_stored,
    |app: TestApp| async move {
        let mut raw =
            b"From: a@example.no\r\nSubject: stor\r\nMessage-ID: <big@example.no>\r\n\r\n".to_vec();
        raw.extend(std::iter::repeat_n(
            b'x',
            innsyn::domain::inbound_mail::MAX_MAIL_BYTES,
        ));
        let r = deliver(&app, raw).await;
        assert_eq!(r.status, 413);
        assert!(r.json()["error"].as_str().unwrap().contains("larger than"));
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 0);
    }
);

dual!(
    the_email_webhook_refuses_a_missing_or_wrong_bearer_secret,
    |app: TestApp| async move {
        for auth in [None, Some("Bearer wrong-secret-wrong-secret")] {
            let mut b = Request::post("/webhooks/email");
            if let Some(a) = auth {
                b = b.header("authorization", a);
            }
            let r = app
                .send(b.body(Body::from(fixture("plain.eml"))).unwrap())
                .await;
            assert_eq!(r.status, 401);
        }
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 0);
    }
);

dual!(
    the_ingest_mail_pipe_files_a_message_from_standard_input,
    |app: TestApp| async move {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_innsyn"))
            .arg("ingest-mail")
            .env("DATABASE_URL", &app.state.config.database_url)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&fixture("plain.eml"))
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["outcome"], "new_case");
        assert_eq!(
            only_case(&app).await.reference,
            v["reference"].as_str().unwrap()
        );
        // Unreadable input is refused with EX_DATAERR, for the MTA to bounce.
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_innsyn"))
            .arg("ingest-mail")
            .env("DATABASE_URL", &app.state.config.database_url)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"no headers at all")
            .unwrap();
        assert_eq!(child.wait().unwrap().code(), Some(65));
    }
);
