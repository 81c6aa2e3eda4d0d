//! A handler's day (issue 17): the queue preview, the next case after an
//! answer or a close, "don't call me again" reserved from the case, text
//! blocks, and the formats of both languages.

use chrono::{DateTime, Duration, Utc};
use entity::enums::{Channel, Direction, Role};
use entity::{audit_log, case, message, reservation};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};

use crate::dual;
use crate::support::{TestApp, TestResponse};

/// A web case received at `at`, with a name, an address, a phone number, the
/// caller number that called them, and a message of two lines.
async fn case_at(app: &TestApp, at: DateTime<Utc>, name: &str) -> case::Model {
    use innsyn::domain::cases::{NewCase, open_case};
    use innsyn::domain::email::EmailAddress;
    use innsyn::domain::phone::E164;
    open_case(
        &app.db,
        "K",
        NewCase {
            channel: Channel::Web,
            consumer_name: Some(name.into()),
            consumer_phone: Some(E164::parse("+4791234567").unwrap()),
            consumer_email: Some(EmailAddress::parse("kari@example.no").unwrap()),
            called_from: Some(E164::parse("+4721000010").unwrap()),
            category: "unwanted_call".into(),
            body: format!("Ikke ring meg igjen, {name}\nAndre linje"),
            source_key: None,
            received_at: at,
        },
    )
    .await
    .unwrap()
}

async fn user_id(app: &TestApp, role: Role) -> i32 {
    entity::user::Entity::find()
        .filter(entity::user::Column::Email.eq(format!(
            "{}@staff.example",
            format!("{role:?}").to_lowercase()
        )))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn assign(app: &TestApp, c: &case::Model, to: Option<i32>) {
    let mut am = c.clone().into_active_model();
    am.assignee_id = Set(to);
    am.update(&app.db).await.unwrap();
}

async fn reload(app: &TestApp, c: &case::Model) -> case::Model {
    case::Entity::find_by_id(c.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

dual!(
    the_queue_row_shows_who_wrote_and_the_first_line_of_their_message,
    |app: TestApp| async move {
        app.seed_demo().await;
        let c = case_at(&app, app.clock_now(), "Kari Nordmann").await;
        let s = app.sign_in_as(Role::Handler).await;
        let r = app.get_as("/admin/saker", &s).await;
        assert_eq!(r.status, 200);
        let sel = format!("tr[data-reference='{}'] td.about", c.reference);
        assert_eq!(
            r.text(&format!("{sel} .who")).as_deref(),
            Some("Kari Nordmann")
        );
        assert_eq!(
            r.text(&format!("{sel} .preview")).as_deref(),
            Some("Ikke ring meg igjen, Kari Nordmann")
        );
    }
);

dual!(
    after_an_answer_the_handler_lands_on_the_oldest_due_case_of_theirs_or_unassigned,
    |app: TestApp| async move {
        app.seed_demo().await;
        let s = app.sign_in_as(Role::Handler).await;
        let _other = app.sign_in_as(Role::Manager).await;
        let me = user_id(&app, Role::Handler).await;
        let other = user_id(&app, Role::Manager).await;
        let t0 = app.clock_now() - Duration::hours(20);
        // Oldest, but someone else's: left out.
        let theirs = case_at(&app, t0, "Eldst").await;
        assign(&app, &theirs, Some(other)).await;
        // Unassigned, answer waiting to be sent: left out.
        let waiting = case_at(&app, t0 + Duration::hours(1), "Venter").await;
        let mut am = waiting.clone().into_active_model();
        am.delivery_flag = Set(Some("queued".into()));
        am.update(&app.db).await.unwrap();
        // Mine, due next: the one to land on.
        let mine = case_at(&app, t0 + Duration::hours(2), "Min").await;
        assign(&app, &mine, Some(me)).await;
        // Unassigned, due later.
        let later = case_at(&app, t0 + Duration::hours(3), "Senere").await;
        // The one answered now: unassigned.
        let now_case = case_at(&app, t0 + Duration::hours(4), "Denne").await;

        let r = app
            .post_as(
                &format!("/admin/saker/{}/svar", now_case.reference),
                &[("kanal", "email"), ("tekst", "Hei, vi har notert det.")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let to = r.header("location").unwrap();
        assert_eq!(
            to,
            format!(
                "/admin/saker/{}?ok=answered&fra={}",
                mine.reference, now_case.reference
            )
        );
        // Answering an unassigned case makes it the answerer's.
        assert_eq!(reload(&app, &now_case).await.assignee_id, Some(me));
        let page = app.get_as(&to, &s).await;
        assert_eq!(page.status, 200);
        assert!(
            page.text("#notice").unwrap().contains(&now_case.reference),
            "{:?}",
            page.text("#notice")
        );
        assert!(page.attr("#back-to-queue", "href").is_some());

        // Closing "mine" leads on to the unassigned one due later.
        let r = app
            .post_as(
                &format!("/admin/saker/{}/lukk", mine.reference),
                // The message asks not to be called: closing unreserved is confirmed.
                &[("lukkegrunn", "spam"), ("uten_reservasjon", "ja")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(
            r.header("location").unwrap(),
            format!(
                "/admin/saker/{}?ok=closed&fra={}",
                later.reference, mine.reference
            )
        );
        // Nothing left: the queue, with the outcome on top.
        let r = app
            .post_as(
                &format!("/admin/saker/{}/lukk", later.reference),
                &[("lukkegrunn", "spam"), ("uten_reservasjon", "ja")],
                &s,
            )
            .await;
        let to = r.header("location").unwrap();
        assert_eq!(
            to,
            format!("/admin/saker?ok=closed&fra={}", later.reference)
        );
        let q = app.get_as(&to, &s).await;
        assert!(q.text("#notice").unwrap().contains(&later.reference));
    }
);

dual!(
    norm_4_4_4_a_handler_reserves_the_consumers_own_number_from_the_case_audited_and_noted,
    |app: TestApp| async move {
        app.seed_demo().await;
        let c = case_at(&app, app.clock_now(), "Kari").await;
        let s = app.sign_in_as(Role::Handler).await;
        let page = app
            .get_as(&format!("/admin/saker/{}", c.reference), &s)
            .await;
        // The phone number in its written form, the caller number too.
        assert!(
            page.text(".consumer-phone")
                .unwrap()
                .starts_with("+47 912 34 567"),
            "{:?}",
            page.text(".consumer-phone")
        );
        assert_eq!(
            page.text(".called-from").as_deref(),
            Some("+47 21 00 00 10")
        );
        let r = app
            .post_as(&format!("/admin/saker/{}/reserver", c.reference), &[], &s)
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let rows = reservation::Entity::find().all(&app.db).await.unwrap();
        // The consumer's own number, never the number that called them.
        assert!(rows.iter().any(|r| r.e164 == "+4791234567"));
        assert!(!rows.iter().any(|r| r.e164 == "+4721000010"));
        let audit = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("reservation.add"))
            .one(&app.db)
            .await
            .unwrap()
            .expect("audited");
        assert_eq!(audit.object_id.as_deref(), Some(c.reference.as_str()));
        assert!(audit.actor_id.is_some());
        let notes = message::Entity::find()
            .filter(message::Column::CaseId.eq(c.id))
            .filter(message::Column::Direction.eq(Direction::Note))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(notes.len(), 1);
        let page = app.get_as(&r.header("location").unwrap(), &s).await;
        assert!(page.text("#notice").is_some());
        // A second time: still one row, said so.
        let r = app
            .post_as(&format!("/admin/saker/{}/reserver", c.reference), &[], &s)
            .await;
        assert!(
            r.header("location")
                .unwrap()
                .ends_with("ok=reserved-already")
        );
        let n = reservation::Entity::find()
            .filter(reservation::Column::E164.eq("+4791234567"))
            .all(&app.db)
            .await
            .unwrap()
            .len();
        assert_eq!(n, 1);
        // A case without a phone number: refused on the case page.
        let mut am = c.clone().into_active_model();
        am.consumer_phone = Set(None);
        am.update(&app.db).await.unwrap();
        let r = app
            .post_as(&format!("/admin/saker/{}/reserver", c.reference), &[], &s)
            .await;
        assert_eq!(r.status, 422);
        assert!(r.text("#notice").is_some());
    }
);

dual!(
    text_blocks_are_kept_by_admins_and_inserted_into_an_answer_by_handlers,
    |app: TestApp| async move {
        app.seed_demo().await;
        let c = case_at(&app, app.clock_now(), "Kari").await;
        let handler = app.sign_in_as(Role::Handler).await;
        let admin = app.sign_in_as(Role::Admin).await;
        let block = [
            ("tittel", "Reservert"),
            ("tekst", "Nummeret ditt er reservert."),
        ];
        // Handlers and managers may not edit them.
        assert_eq!(
            app.post_as("/admin/tekstbiter", &block, &handler)
                .await
                .status,
            403
        );
        let manager = app.sign_in_as(Role::Manager).await;
        assert_eq!(app.get_as("/admin/tekstbiter", &manager).await.status, 403);
        // An empty one is refused with every error in the summary.
        let r = app
            .post_as(
                "/admin/tekstbiter",
                &[("tittel", ""), ("tekst", "")],
                &admin,
            )
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.count("#error-summary li"), 2);
        assert_eq!(r.count("#error-summary[tabindex='-1'][autofocus]"), 1);
        let r = app.post_as("/admin/tekstbiter", &block, &admin).await;
        assert_eq!(r.status, 303, "{}", r.body);
        // The save says it saved, in the admin's language.
        let to = r.header("location").unwrap();
        assert_eq!(to, "/admin/tekstbiter?ok=saved");
        let nb = app.get_as(&format!("{to}&lang=nb"), &admin).await;
        assert_eq!(nb.text("#notice").unwrap(), "Tekstbiten er lagret.");
        let en = app.get_as(&format!("{to}&lang=en"), &admin).await;
        assert_eq!(
            en.text("#notice").unwrap(),
            "The text block has been saved."
        );
        let saved = entity::text_block::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        // The handler sees it on the case and inserts it after their own words.
        let page = app
            .get_as(&format!("/admin/saker/{}", c.reference), &handler)
            .await;
        assert_eq!(page.count("#tekstbit option[value]:not([value=''])"), 1);
        let r = app
            .post_as(
                &format!("/admin/saker/{}/tekstbit", c.reference),
                &[
                    ("kanal", "email"),
                    ("tekst", "Hei Kari,"),
                    ("tekstbit", &saved.id.to_string()),
                ],
                &handler,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let draft = answer_box(&r);
        assert_eq!(draft, "Hei Kari,\n\nNummeret ditt er reservert.");
        // Nothing was sent.
        let outbound = message::Entity::find()
            .filter(message::Column::CaseId.eq(c.id))
            .filter(message::Column::Direction.eq(Direction::Outbound))
            .all(&app.db)
            .await
            .unwrap();
        assert!(outbound.is_empty());
        // The admin changes it; the change is audited.
        let r = app
            .post_as(
                &format!("/admin/tekstbiter/{}", saved.id),
                &[("tittel", "Reservert"), ("tekst", "Endret.")],
                &admin,
            )
            .await;
        assert_eq!(r.status, 303);
        let n = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("text_block.save"))
            .all(&app.db)
            .await
            .unwrap()
            .len();
        assert_eq!(n, 2);
    }
);

dual!(
    text_block_placeholders_are_filled_and_an_answer_holding_one_is_refused,
    |app: TestApp| async move {
        app.seed_demo().await;
        let c = case_at(&app, app.clock_now(), "Kari").await;
        let handler = app.sign_in_as(Role::Handler).await;
        let block = entity::text_block::ActiveModel {
            title: Set("Hilsen".into()),
            body: Set("Hei {navn}! Saken {referanse} svarer vi innen {frist}.".into()),
            updated_at: Set(app.clock_now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let r = app
            .post_as(
                &format!("/admin/saker/{}/tekstbit", c.reference),
                &[
                    ("kanal", "email"),
                    ("tekst", ""),
                    ("tekstbit", &block.id.to_string()),
                ],
                &handler,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let draft = answer_box(&r);
        let due = c
            .due_at
            .with_timezone(&chrono_tz::Europe::Oslo)
            .format("%d.%m.%Y kl. %H:%M");
        assert_eq!(
            draft,
            format!("Hei Kari! Saken {} svarer vi innen {due}.", c.reference)
        );
        // An answer still holding a placeholder is refused, the text kept.
        for lang in ["nb", "en"] {
            let typed = "Hei {navn}, takk for meldingen.";
            let r = app
                .post_as(
                    &format!("/admin/saker/{}/svar?lang={lang}", c.reference),
                    &[("kanal", "email"), ("tekst", typed)],
                    &handler,
                )
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            let summary = r.text("#notice").unwrap_or_default();
            let expected = if lang == "nb" {
                "plassholder"
            } else {
                "placeholder"
            };
            assert!(summary.contains(expected), "{summary}");
            let kept = answer_box(&r);
            assert_eq!(kept, typed);
        }
        let outbound = message::Entity::find()
            .filter(message::Column::CaseId.eq(c.id))
            .filter(message::Column::Direction.eq(Direction::Outbound))
            .all(&app.db)
            .await
            .unwrap();
        assert!(outbound.is_empty());
    }
);

dual!(
    dates_and_phone_numbers_follow_the_language_of_the_page,
    |app: TestApp| async move {
        app.seed_demo().await;
        let c = case_at(&app, app.clock_now(), "Kari").await;
        let s = app.sign_in_as(Role::Handler).await;
        let local = app.clock_now().with_timezone(&chrono_tz::Europe::Oslo);
        let nb = app
            .get_as(&format!("/admin/saker/{}?lang=nb", c.reference), &s)
            .await;
        let en = app
            .get_as(&format!("/admin/saker/{}?lang=en", c.reference), &s)
            .await;
        let received = |r: &crate::support::TestResponse| {
            r.doc()
                .select(&scraper::Selector::parse(".facts dd").unwrap())
                .next()
                .unwrap()
                .text()
                .collect::<String>()
        };
        assert!(
            received(&nb).starts_with(&local.format("%d.%m.%Y kl.").to_string()),
            "{}",
            received(&nb)
        );
        assert!(
            received(&en).starts_with(&local.format("%d/%m/%Y at").to_string()),
            "{}",
            received(&en)
        );
        for r in [&nb, &en] {
            assert_eq!(r.text(".called-from").as_deref(), Some("+47 21 00 00 10"));
        }
    }
);

dual!(
    seed_demo_shows_filled_charts_a_norm_overview_kept_and_broken_and_a_queue_in_every_state,
    |app: TestApp| async move {
        app.seed_demo().await;
        assert!(
            innsyn::seed_showcase::seed(&app.db, app.clock_now())
                .await
                .unwrap()
        );
        // Twice is once.
        assert!(
            !innsyn::seed_showcase::seed(&app.db, app.clock_now())
                .await
                .unwrap()
        );
        let s = app.sign_in_as(Role::Admin).await;
        let q = app.get_as("/admin/saker", &s).await;
        for state in ["on_time", "at_risk", "breached"] {
            assert!(
                q.count(&format!("tr.case-row.{state}")) >= 1,
                "no {state} case"
            );
        }
        let closed = app.get_as("/admin/saker?status=closed", &s).await;
        assert!(closed.count("tr.case-row") >= 2);
        let stats = app.get_as("/admin/statistikk", &s).await;
        assert_eq!(stats.status, 200);
        assert!(stats.count("svg.chart rect.bar") > 40);
        assert!(stats.text("#period").unwrap().contains("30"));
        let norm = app.get_as("/admin/norm", &s).await;
        assert!(norm.count("tr.norm-check.red") >= 1, "{}", norm.body);
        assert!(norm.count("tr.norm-check.green") >= 1, "{}", norm.body);
    }
);

dual!(
    the_audit_log_says_in_words_who_did_what_to_which_case_and_filters_by_person_action_and_date,
    |app: TestApp| async move {
        app.seed_demo().await;
        let c = case_at(&app, app.clock_now(), "Kari").await;
        let h = app.sign_in_as(Role::Handler).await;
        app.post_as(&format!("/admin/saker/{}/reserver", c.reference), &[], &h)
            .await;
        let a = app.sign_in_as(Role::Admin).await;
        let today = app
            .clock_now()
            .with_timezone(&chrono_tz::Europe::Oslo)
            .date_naive();
        let r = app
            .get_as(
                &format!(
                    "/admin/logg?actor=handler&action=reservation.add&fra={today}&til={today}"
                ),
                &a,
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.count(".audit-row"), 1, "{}", r.body);
        assert_eq!(
            r.text(".audit-row .action").as_deref(),
            Some("Reserverte nummer")
        );
        assert_eq!(
            r.attr(".audit-row .object a", "href"),
            Some(format!("/admin/saker/{}", c.reference))
        );
        // Another day: nothing.
        let yesterday = today.pred_opt().unwrap();
        let r = app
            .get_as(
                &format!("/admin/logg?action=reservation.add&fra={yesterday}&til={yesterday}"),
                &a,
            )
            .await;
        assert_eq!(r.count(".audit-row"), 0);
        // In English too.
        let r = app
            .get_as("/admin/logg?action=reservation.add&lang=en", &a)
            .await;
        assert_eq!(
            r.text(".audit-row .action").as_deref(),
            Some("Reserved a number")
        );
    }
);

dual!(
    the_erasure_confirmation_error_sits_next_to_its_checkbox_and_sign_in_names_the_centre,
    |app: TestApp| async move {
        app.seed_demo().await;
        case_at(&app, app.clock_now(), "Kari").await;
        let a = app.sign_in_as(Role::Admin).await;
        let r = app
            .post_as(
                "/admin/personopplysninger/slett",
                &[("q", "kari@example.no")],
                &a,
            )
            .await;
        assert_eq!(r.count("#bekreft-error"), 1, "{}", r.body);
        assert_eq!(r.count("#q-error"), 0);
        assert_eq!(
            r.attr("#bekreft", "aria-describedby").as_deref(),
            Some("bekreft-error")
        );
        let login = app.get("/admin/login").await;
        assert_eq!(
            login.text("#centre-name").as_deref(),
            Some(innsyn::seed::DEMO_CENTRE)
        );
    }
);

dual!(
    after_a_failed_sign_in_the_password_field_has_the_focus,
    |app: TestApp| async move {
        let page = app.get("/admin/login").await;
        assert_eq!(page.count("#epost[autofocus]"), 1);
        assert_eq!(page.count("#passord[autofocus]"), 0);
        let r = app
            .post_form(
                "/admin/login",
                &[
                    ("epost", "nobody@example.no"),
                    ("passord", "wrong password!"),
                ],
            )
            .await;
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(r.count("#passord[autofocus]"), 1);
        assert_eq!(r.count("#epost[autofocus]"), 0);
    }
);

/// The answer box's text as the page gives it, whitespace and all.
fn answer_box(r: &TestResponse) -> String {
    r.doc()
        .select(&scraper::Selector::parse("#tekst").unwrap())
        .next()
        .unwrap()
        .text()
        .collect()
}
