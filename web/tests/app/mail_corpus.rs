//! Issue 29, mail: whole multipart messages through the webhook (the parser
//! is the one `ingest-mail` uses), checked against what Python's `email`
//! reads (web/tests/fixtures/mail/expected.json).

use entity::{attachment, case, message};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::dual;
use crate::inbound_mail::deliver;
use crate::support::TestApp;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/mail/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn first_message(app: &TestApp, reference: &str) -> message::Model {
    let c = case::Entity::find()
        .filter(case::Column::Reference.eq(reference))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    message::Entity::find()
        .filter(message::Column::CaseId.eq(c.id))
        .order_by_asc(message::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn attachments(app: &TestApp, message_id: i32) -> Vec<(String, String)> {
    attachment::Entity::find()
        .filter(attachment::Column::MessageId.eq(message_id))
        .order_by_asc(attachment::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.content_type, a.filename))
        .collect()
}

async fn file(app: &TestApp, name: &str) -> message::Model {
    let r = deliver(app, fixture(name)).await;
    assert_eq!(r.status, 200, "{name}: {}", r.body);
    assert_eq!(r.json()["outcome"], "new_case", "{name}");
    first_message(app, r.json()["reference"].as_str().unwrap()).await
}

dual!(
    every_text_part_is_kept_in_order_decoded_and_attachments_keep_their_type,
    |app: TestApp| async move {
        let m = file(&app, "mixed_charsets.eml").await;
        let parts = [
            "Første del: de ringte meg i går.",
            "Andre del: jeg vil ikke bli ringt igjen. Blåbær og øl, takk. Dette er en lang linje.",
            "Tredje del: nummeret var 21 00 00 10. Æ Ø Å.",
            "Fjerde del: “sitat” og 5 €.",
        ];
        let mut at = 0;
        for p in parts {
            let i = m.body[at..]
                .find(p)
                .unwrap_or_else(|| panic!("{p} in {}", m.body));
            at += i + p.len();
        }
        assert_eq!(
            attachments(&app, m.id).await,
            [("application/pdf".to_string(), "brev.pdf".to_string())]
        );
        let nested = file(&app, "nested.eml").await;
        assert!(nested.body.contains("Hei. Dette er teksten."));
        assert!(nested.body.contains("PS: ring meg på e-post i stedet."));
        assert_eq!(
            nested.body.matches("Dette er teksten").count(),
            1,
            "alternative once"
        );
    }
);

dual!(
    forwarded_and_digest_messages_are_eml_attachments_named_by_subject,
    |app: TestApp| async move {
        let fwd = file(&app, "forwarded.eml").await;
        assert_eq!(
            attachments(&app, fwd.id).await,
            [(
                "message/rfc822".to_string(),
                "Faktura oktober.eml".to_string()
            )]
        );
        let digest = file(&app, "digest.eml").await;
        assert_eq!(
            attachments(&app, digest.id).await,
            [
                ("message/rfc822".to_string(), "Ringte igjen.eml".to_string()),
                ("message/rfc822".to_string(), "Reservasjon.eml".to_string()),
            ]
        );
    }
);

dual!(
    a_mail_without_the_blank_line_or_its_closing_boundary_keeps_its_body,
    |app: TestApp| async move {
        let m = file(&app, "no_blank_line.eml").await;
        assert!(
            m.body.contains("Hei, jeg vil ikke bli ringt.\nHilsen Nils"),
            "{}",
            m.body
        );
        let b = file(&app, "broken_separators.eml").await;
        assert!(
            b.body.contains("Andre del uten sluttskille ø."),
            "{}",
            b.body
        );
    }
);

fn mail(from: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: kundeservice@nordlys.example\r\nSubject: Anrop\r\nMessage-ID: <{id}>\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

dual!(
    a_message_id_is_a_duplicate_only_from_the_same_sender_with_the_same_contents,
    |app: TestApp| async move {
        let first = deliver(&app, mail("kari@example.no", "same@id", "Hei.")).await;
        assert_eq!(first.json()["outcome"], "new_case");
        let again = deliver(&app, mail("Kari <KARI@example.no>", "same@id", "Hei.")).await;
        assert_eq!(again.json()["outcome"], "duplicate");
        let other_sender = deliver(&app, mail("ola@example.no", "same@id", "Hei.")).await;
        assert_eq!(
            other_sender.json()["outcome"],
            "new_case",
            "{}",
            other_sender.body
        );
        let other_body = deliver(&app, mail("kari@example.no", "same@id", "Noe annet.")).await;
        assert_ne!(
            other_body.json()["outcome"],
            "duplicate",
            "{}",
            other_body.body
        );
        assert_eq!(
            case::Entity::find().all(&app.db).await.unwrap().len(),
            2 + usize::from(other_body.json()["outcome"] == "new_case")
        );
    }
);

dual!(
    a_message_id_with_control_characters_is_stored_without_them,
    |app: TestApp| async move {
        let raw = mail("kari@example.no", "abc\u{1}\u{7f}def@example.no", "Hei.");
        let r = deliver(&app, raw).await;
        assert_eq!(r.json()["outcome"], "new_case", "{}", r.body);
        let m = first_message(&app, r.json()["reference"].as_str().unwrap()).await;
        assert_eq!(m.external_id.as_deref(), Some("abcdef@example.no"));
    }
);
