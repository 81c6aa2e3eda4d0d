//! Inbound e-mail through `POST /webhooks/email` (and the same function the
//! `ingest-mail` pipe uses): MIME fixtures written for these tests.

use axum::body::Body;
use axum::http::Request;
use entity::enums::{CaseStatus, Channel, Role};
use entity::{attachment, case, message};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::dual;
use crate::support::rows::{case_of, only_case};
use crate::support::{INBOUND_EMAIL_TOKEN, TestApp, TestResponse};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/mail/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub async fn deliver(app: &TestApp, raw: Vec<u8>) -> TestResponse {
    let req = Request::post("/webhooks/email")
        .header("authorization", format!("Bearer {INBOUND_EMAIL_TOKEN}"))
        .header("content-type", "message/rfc822")
        .body(Body::from(raw))
        .unwrap();
    app.send(req).await
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
            innsyn::domain::inbound::mail::MAX_MAIL_BYTES,
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

/// A mail from `from` with `subject`, extra header lines and an attachment.
fn mail(from: &str, id: &str, subject: &str, extra: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: kundeservice@nordlys.example\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{extra}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSe vedlegget.\r\n--XYZ\r\nContent-Type: image/png; name=\"bilde.png\"\r\nContent-Disposition: attachment; filename=\"bilde.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\r\n--XYZ--\r\n"
    )
    .into_bytes()
}

/// Everything a stranger must not change: the case row, its messages and
/// the attachments on them.
async fn snapshot(
    app: &TestApp,
    c: &case::Model,
) -> (case::Model, Vec<message::Model>, Vec<attachment::Model>) {
    let msgs = message::Entity::find()
        .filter(message::Column::CaseId.eq(c.id))
        .all(&app.db)
        .await
        .unwrap();
    let files = attachment::Entity::find()
        .filter(attachment::Column::MessageId.is_in(msgs.iter().map(|m| m.id)))
        .all(&app.db)
        .await
        .unwrap();
    (case_of(app, &c.reference).await, msgs, files)
}

async fn close(app: &TestApp, c: &case::Model, answered: bool) -> case::Model {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let mut am = c.clone().into_active_model();
    am.status = Set(CaseStatus::Closed);
    am.closed_at = Set(Some(app.clock_now()));
    if answered {
        am.first_response_at = Set(Some(app.clock_now()));
    }
    am.update(&app.db).await.unwrap()
}

dual!(
    a_strangers_mail_naming_another_case_opens_a_new_case_and_leaves_that_case_untouched,
    |app: TestApp| async move {
        deliver(&app, fixture("plain.eml")).await;
        let kari = only_case(&app).await;
        let before = snapshot(&app, &kari).await;
        app.clock.advance(chrono::Duration::hours(1));
        // The reference is printed on Kari's letters; a stranger knows it,
        // and even the Message-ID of Kari's own first mail.
        let r = deliver(
            &app,
            mail(
                "Ola <ola@annen.example>",
                "stranger-1@annen.example",
                &format!("SV: [{}] Svar fra Nordlys", kari.reference),
                "In-Reply-To: <plain-1@example.no>\r\n",
            ),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["outcome"], "new_case");
        let theirs = r.json()["reference"].as_str().unwrap().to_string();
        assert_ne!(theirs, kari.reference);
        assert_eq!(
            snapshot(&app, &kari).await,
            before,
            "Kari's case, messages and attachments are as they were"
        );
        let new = case_of(&app, &theirs).await;
        assert_eq!(new.consumer_email.as_deref(), Some("ola@annen.example"));
        let (_, msgs, files) = snapshot(&app, &new).await;
        assert!(
            msgs[0].body.contains(&kari.reference),
            "the new case notes the reference it named"
        );
        assert_eq!(files.len(), 1, "the attachment went with the new case");
    }
);

dual!(
    a_closed_case_mailed_by_a_stranger_stays_closed_with_its_retention_clock,
    |app: TestApp| async move {
        deliver(&app, fixture("plain.eml")).await;
        let kari = close(&app, &only_case(&app).await, true).await;
        let before = snapshot(&app, &kari).await;
        app.clock.advance(chrono::Duration::days(30));
        let r = deliver(
            &app,
            mail(
                "kari@example.no.annen.example",
                "stranger-2@annen.example",
                &format!("Re: {}", kari.reference),
                "",
            ),
        )
        .await;
        assert_eq!(r.json()["outcome"], "new_case");
        let after = snapshot(&app, &kari).await;
        assert_eq!(after, before);
        assert_eq!(after.0.status, CaseStatus::Closed);
        assert_eq!(
            after.0.closed_at, kari.closed_at,
            "the retention clock runs on"
        );
    }
);

dual!(
    the_consumer_writing_with_other_capitals_threads_and_reopens_the_closed_case,
    |app: TestApp| async move {
        let r = deliver(
            &app,
            mail(
                "Kari <Kari.Nordmann@Example.NO>",
                "first@example.no",
                "Hvorfor ringer dere meg?",
                "",
            ),
        )
        .await;
        assert_eq!(r.json()["outcome"], "new_case");
        let c = only_case(&app).await;
        assert_eq!(
            c.consumer_email.as_deref(),
            Some("kari.nordmann@example.no"),
            "stored normalised"
        );
        let c = close(&app, &c, true).await;
        app.clock.advance(chrono::Duration::days(30));
        let r = deliver(
            &app,
            mail(
                "KARI.NORDMANN@example.no",
                "again@example.no",
                &format!("SV: [{}] Svar fra Nordlys", c.reference),
                "",
            ),
        )
        .await;
        assert_eq!(r.json()["outcome"], "threaded");
        assert_eq!(r.json()["reference"], c.reference.as_str());
        let after = only_case(&app).await;
        assert_eq!(after.status, CaseStatus::Answered, "open for dialogue");
        assert_eq!(
            after.closed_at, None,
            "the retention clock restarts at the next close"
        );
        let (_, msgs, files) = snapshot(&app, &after).await;
        assert_eq!(msgs.len(), 2);
        assert_eq!(files.len(), 2);
    }
);

dual!(
    a_reply_to_our_message_id_threads_and_only_the_consumer_reopens_by_it,
    |app: TestApp| async move {
        deliver(&app, fixture("plain.eml")).await;
        let c = only_case(&app).await;
        let s = app.sign_in_as(Role::Handler).await;
        let r = app
            .post_as(
                &format!("/admin/saker/{}/svar", c.reference),
                &[("kanal", "email"), ("tekst", "Vi har reservert deg.")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        let ours = app.smtp.wait_for(1).await[0]
            .parsed()
            .message_id()
            .unwrap()
            .to_string();
        // Kari answers from her phone's other address, subject rewritten:
        // our Message-ID alone threads it.
        let reply = |from: &str, id: &str| {
            format!(
                "From: {from}\r\nSubject: Re: svar\r\nMessage-ID: <{id}>\r\nIn-Reply-To: <{ours}>\r\nReferences: <plain-1@example.no> <{ours}>\r\n\r\nTakk.\r\n"
            )
            .into_bytes()
        };
        let r = deliver(&app, reply("kari@mobil.example", "r1@mobil.example")).await;
        assert_eq!(r.json()["outcome"], "threaded");
        assert_eq!(r.json()["reference"], c.reference.as_str());
        assert_eq!(bodies(&app, c.id).await.len(), 3);
        // Closed, the same reply from anyone but Kari opens a new case...
        let c = close(&app, &only_case(&app).await, true).await;
        let r = deliver(&app, reply("kari@mobil.example", "r2@mobil.example")).await;
        assert_eq!(r.json()["outcome"], "new_case");
        assert_eq!(case_of(&app, &c.reference).await, c, "still closed");
        // ...and from Kari herself, in capitals, reopens it.
        let r = deliver(&app, reply("KARI@example.no", "r3@example.no")).await;
        assert_eq!(r.json()["outcome"], "threaded");
        assert_eq!(r.json()["reference"], c.reference.as_str());
        assert_eq!(
            case_of(&app, &c.reference).await.status,
            CaseStatus::Answered
        );
    }
);

dual!(
    thirty_two_strangers_mailing_one_case_reference_at_once_each_get_a_case_and_it_stays_untouched,
    |app: TestApp| async move {
        deliver(&app, fixture("plain.eml")).await;
        let kari = close(&app, &only_case(&app).await, true).await;
        let before = snapshot(&app, &kari).await;
        let app = std::sync::Arc::new(app);
        let mut tasks = Vec::new();
        for i in 0..32 {
            let a = app.clone();
            let raw = mail(
                &format!("x{i}@annen.example"),
                &format!("flood-{i}@annen.example"),
                &format!("SV: [{}]", kari.reference),
                "In-Reply-To: <plain-1@example.no>\r\n",
            );
            tasks.push(tokio::spawn(async move { deliver(&a, raw).await }));
        }
        for t in tasks {
            let r = t.await.unwrap();
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.json()["outcome"], "new_case");
        }
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 33);
        assert_eq!(snapshot(&app, &kari).await, before);
    }
);
