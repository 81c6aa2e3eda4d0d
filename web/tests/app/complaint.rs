use chrono::{Duration, TimeZone};
use chrono_tz::Europe::Oslo;
use entity::enums::{CaseStatus, Channel, Direction};
use entity::{case, mail_outbox, message};
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};

use crate::dual;
use crate::support::rows::only_case;
use crate::support::{self, Backend, SmtpSink, TestApp};

const MESSAGE: &str = "Dere ringte meg i går kveld, og jeg vil ikke bli ringt igjen.";

dual!(
    norm_4_4_3_a_complaint_becomes_a_case_due_24_hours_later_with_a_receipt,
    |app: TestApp| async move {
        let r = app
            .post_form(
                "/klage",
                &[
                    ("navn", "Kari Nordmann"),
                    ("telefon", "912 34 567"),
                    ("epost", ""),
                    ("nummer", ""),
                    ("kategori", "unwanted_call"),
                    ("melding", MESSAGE),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let c = only_case(&app).await;
        assert_eq!(
            r.text(".receipt .reference").as_deref(),
            Some(c.reference.as_str())
        );
        assert_eq!(c.reference, "K-2026-000001");
        // 18 Nov 2026 11:00 in Oslo, so due 19 Nov 11:00.
        assert_eq!(
            r.text(".receipt .deadline").as_deref(),
            Some("19.11.2026 kl. 11:00")
        );
        assert_eq!(c.channel, Channel::Web);
        assert_eq!(c.status, CaseStatus::Open);
        assert_eq!(c.received_at, support::default_now());
        assert_eq!(c.due_at - c.received_at, Duration::hours(24));
        assert_eq!(c.consumer_phone.as_deref(), Some("+4791234567"));
        assert_eq!(c.consumer_name.as_deref(), Some("Kari Nordmann"));
        assert_eq!(c.category, "unwanted_call");
        assert!(c.first_response_at.is_none());
        let msgs = message::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(
            (msgs[0].direction, msgs[0].body.as_str()),
            (Direction::Inbound, MESSAGE)
        );
        // No e-mail address given, so no receipt mail is queued.
        assert_eq!(mail_outbox::Entity::find().count(&app.db).await.unwrap(), 0);
    }
);

dual!(
    a_complaint_without_phone_or_email_is_refused_with_the_message_and_input_kept,
    |app: TestApp| async move {
        let r = app
            .post_form(
                "/klage",
                &[
                    ("navn", "Ola"),
                    ("telefon", ""),
                    ("epost", ""),
                    ("nummer", "21 00 00 10"),
                    ("kategori", "privacy"),
                    ("melding", MESSAGE),
                ],
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(
            r.text(".error-summary")
                .unwrap()
                .contains("Oppgi telefonnummer eller e-postadresse")
        );
        assert_eq!(
            r.attr("input#telefon", "aria-invalid").as_deref(),
            Some("true")
        );
        assert_eq!(r.attr("input#navn", "value").as_deref(), Some("Ola"));
        assert_eq!(
            r.attr("input#nummer", "value").as_deref(),
            Some("21 00 00 10")
        );
        assert_eq!(r.text("textarea#melding").as_deref(), Some(MESSAGE));
        assert_eq!(
            r.attr("select#kategori option[selected]", "value")
                .as_deref(),
            Some("privacy")
        );
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 0);
        // The same in English.
        let en = app
            .post_form("/klage?lang=en", &[("telefon", "abc"), ("melding", "")])
            .await;
        assert_eq!(en.status, 422);
        let summary = en.text(".error-summary").unwrap();
        assert!(
            summary.contains("does not look like a phone number"),
            "{summary}"
        );
        assert!(
            summary.contains("Write what the complaint is about"),
            "{summary}"
        );
    }
);

dual!(
    a_complaint_with_an_email_gets_a_receipt_mail_with_its_reference,
    |app: TestApp| async move {
        let r = app
            .post_form(
                "/klage",
                &[
                    ("epost", "kari@example.no"),
                    ("kategori", "other"),
                    ("melding", MESSAGE),
                ],
            )
            .await;
        assert_eq!(r.status, 200);
        let reference = r.text(".receipt .reference").unwrap();
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        let mails = app.smtp.wait_for(1).await;
        assert_eq!(mails.len(), 1, "one receipt mail");
        assert_eq!(mails[0].rcpt_to, ["kari@example.no"]);
        assert!(
            mails[0].subject().contains(&reference),
            "{}",
            mails[0].subject()
        );
        assert!(
            mails[0].body_text().contains("19.11.2026 kl. 11:00"),
            "{}",
            mails[0].body_text()
        );
        // The POST also kicks the outbox in the background; when that run
        // claimed the mail, it deletes the row just after the server accepts
        // it, so give it a moment.
        let mut left = u64::MAX;
        for _ in 0..100 {
            left = mail_outbox::Entity::find().count(&app.db).await.unwrap();
            if left == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(left, 0, "delivered mail leaves the outbox");
        // Running the job again sends nothing twice.
        innsyn::jobs::outbox::dispatch_due(&app.state)
            .await
            .unwrap();
        assert_eq!(app.smtp.mails().len(), 1);
    }
);

/// The mail server is down when the complaint arrives: the case is saved,
/// the receipt shown, and the mail goes out once the server is back.
async fn unreachable_mail_server_loses_nothing(backend: Backend) {
    let (url, cleanup) = support::fresh_database(backend).await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let mut config = innsyn::config::Config::from_source(&[
        ("DATABASE_URL", url.as_str()),
        ("SMTP_URL", format!("smtp://127.0.0.1:{dead_port}").as_str()),
    ])
    .unwrap();
    config.rate_limit_forms_per_minute = 1000;
    let db = innsyn::app::connect(&config).await.unwrap();
    <migration::Migrator as migration::MigratorTrait>::up(&db, None)
        .await
        .unwrap();
    let clock = innsyn::clock::FrozenClock::at(support::default_now());
    let state = innsyn::state::AppState::new(
        db.clone(),
        config.clone(),
        std::sync::Arc::new(clock.clone()),
    )
    .unwrap();
    let complaint = innsyn::domain::cases::complaints::validate(
        &innsyn::domain::cases::complaints::ComplaintInput {
            epost: "kari@example.no".into(),
            melding: MESSAGE.into(),
            ..Default::default()
        },
    )
    .unwrap();
    let receipt = innsyn::domain::cases::complaints::submit(
        &db,
        "K",
        &config.mail_from,
        complaint,
        innsyn::i18n::Lang::Nb,
        support::default_now(),
    )
    .await
    .unwrap();
    assert!(receipt.email_receipt);
    innsyn::jobs::outbox::dispatch_due(&state).await.unwrap();
    assert_eq!(
        case::Entity::find().count(&db).await.unwrap(),
        1,
        "the case is saved"
    );
    let queued = mail_outbox::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .expect("mail kept for retry");
    assert_eq!(queued.attempts, 1);
    assert!(queued.last_error.is_some());
    assert!(queued.next_attempt_at > support::default_now());

    // The server comes back; once the retry time has come, the mail goes out.
    let sink = SmtpSink::start().await;
    config.smtp_url = Some(sink.url());
    let state2 =
        innsyn::state::AppState::new(db.clone(), config, std::sync::Arc::new(clock.clone()))
            .unwrap();
    assert_eq!(
        innsyn::jobs::outbox::dispatch_due(&state2).await.unwrap(),
        0,
        "not before its retry time"
    );
    clock.advance(Duration::minutes(5));
    assert_eq!(
        innsyn::jobs::outbox::dispatch_due(&state2).await.unwrap(),
        1
    );
    let mails = sink.wait_for(1).await;
    assert!(mails[0].subject().contains(&receipt.reference));
    db.close().await.ok();
    cleanup.run().await;
}

#[tokio::test]
async fn unreachable_mail_server_loses_nothing_sqlite() {
    unreachable_mail_server_loses_nothing(Backend::Sqlite).await
}

#[tokio::test]
async fn unreachable_mail_server_loses_nothing_postgres() {
    unreachable_mail_server_loses_nothing(Backend::Postgres).await
}

dual!(
    submitting_the_same_form_twice_makes_one_case,
    |app: TestApp| async move {
        let page = app.get("/klage").await;
        let form_id = page.attr("input[name='skjema_id']", "value").unwrap();
        let fields = [
            ("telefon", "91234567"),
            ("melding", MESSAGE),
            ("skjema_id", form_id.as_str()),
        ];
        let a = app.post_form("/klage", &fields).await;
        let b = app.post_form("/klage", &fields).await;
        assert_eq!(a.text(".reference"), b.text(".reference"));
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 1);
    }
);

dual!(
    case_references_count_up_within_a_year_and_restart_the_next,
    |app: TestApp| async move {
        for _ in 0..2 {
            app.post_form("/klage", &[("telefon", "91234567"), ("melding", MESSAGE)])
                .await;
        }
        app.clock.set(
            Oslo.with_ymd_and_hms(2027, 1, 1, 0, 30, 0)
                .unwrap()
                .to_utc(),
        );
        app.post_form("/klage", &[("telefon", "91234567"), ("melding", MESSAGE)])
            .await;
        let refs: Vec<String> = case::Entity::find()
            .order_by_asc(case::Column::Id)
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.reference)
            .collect();
        assert_eq!(refs, ["K-2026-000001", "K-2026-000002", "K-2027-000001"]);
    }
);

dual!(
    a_complaint_naming_our_number_is_linked_to_its_campaign_and_client,
    |app: TestApp| async move {
        app.seed_demo().await;
        app.post_form(
            "/klage",
            &[
                ("telefon", "91234567"),
                ("nummer", "21 00 00 20"),
                ("melding", MESSAGE),
            ],
        )
        .await;
        let c = only_case(&app).await;
        assert_eq!(c.called_from.as_deref(), Some("+4721000020"));
        let camp = entity::campaign::Entity::find_by_id(c.campaign_id.expect("campaign"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(camp.code, "HL-GIVER");
        assert_eq!(c.client_id, Some(camp.client_id));
    }
);

dual!(
    norm_4_4_3_the_deadline_is_24_real_hours_across_daylight_saving_changes,
    |app: TestApp| async move {
        // Spring forward: Saturday 28 March 2026 12:00 CET -> Sunday 13:00 CEST.
        app.clock.set(
            Oslo.with_ymd_and_hms(2026, 3, 28, 12, 0, 0)
                .unwrap()
                .to_utc(),
        );
        let r = app
            .post_form("/klage", &[("telefon", "91234567"), ("melding", MESSAGE)])
            .await;
        assert_eq!(
            r.text(".receipt .deadline").as_deref(),
            Some("29.03.2026 kl. 13:00")
        );
        // Fall back: Saturday 24 October 2026 12:00 CEST -> Sunday 11:00 CET.
        app.clock.set(
            Oslo.with_ymd_and_hms(2026, 10, 24, 12, 0, 0)
                .unwrap()
                .to_utc(),
        );
        let r = app
            .post_form(
                "/klage?lang=en",
                &[("telefon", "91234567"), ("melding", MESSAGE)],
            )
            .await;
        assert_eq!(
            r.text(".receipt .deadline").as_deref(),
            Some("25/10/2026 at 11:00")
        );
        for c in case::Entity::find().all(&app.db).await.unwrap() {
            assert_eq!(
                c.due_at - c.received_at,
                Duration::hours(24),
                "{}",
                c.reference
            );
        }
    }
);
