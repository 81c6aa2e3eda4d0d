use entity::enums::ReservationSource;
use entity::reservation;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::dual;
use crate::support::{CSRF, TestApp};

dual!(
    norm_4_4_4_reserving_twice_gives_the_same_receipt_and_one_row,
    |app: TestApp| async move {
        let first = app
            .post_form("/reservasjon", &[("nummer", "912 34 567")])
            .await;
        assert_eq!(first.status, 200);
        assert_eq!(first.text("h1").as_deref(), Some("Du er reservert"));
        assert!(
            first
                .text(".receipt .lead")
                .unwrap()
                .contains("+47 912 34 567")
        );
        app.clock.advance(chrono::Duration::hours(3));
        let second = app
            .post_form("/reservasjon", &[("nummer", "+47 91234567")])
            .await;
        assert_eq!(second.status, 200);
        assert_eq!(
            first.text("main"),
            second.text("main"),
            "same friendly receipt"
        );
        let rows = reservation::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].e164, "+4791234567");
        assert_eq!(rows[0].source, ReservationSource::Web);
        assert_eq!(
            rows[0].created_at,
            crate::support::default_now(),
            "first date kept"
        );
    }
);

dual!(
    reserving_an_invalid_number_is_refused_with_the_message_and_input_kept,
    |app: TestApp| async move {
        let r = app.post_form("/reservasjon", &[("nummer", "123")]).await;
        assert_eq!(r.status, 400);
        assert!(
            r.text("#nummer-error")
                .unwrap()
                .contains("ikke et gyldig telefonnummer")
        );
        assert_eq!(r.attr("input#nummer", "value").as_deref(), Some("123"));
        let empty = app.post_form("/reservasjon", &[("nummer", "  ")]).await;
        assert_eq!(empty.status, 400);
        assert_eq!(
            empty.text("#nummer-error").as_deref(),
            Some("Skriv inn et telefonnummer.")
        );
        assert_eq!(reservation::Entity::find().count(&app.db).await.unwrap(), 0);
    }
);

dual!(
    a_post_without_the_csrf_token_is_refused_and_stores_nothing,
    |app: TestApp| async move {
        // No token at all.
        let r = app
            .post_form_raw("/reservasjon", &[("nummer", "91234567")], None, &[])
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(r.text("h1").as_deref(), Some("Skjemaet er utløpt"));
        // A cookie but a different token in the form (a forged cross-site post).
        let forged = "x".repeat(43);
        let r = app
            .post_form_raw(
                "/reservasjon",
                &[("nummer", "91234567"), ("csrf_token", &forged)],
                Some(CSRF),
                &[],
            )
            .await;
        assert_eq!(r.status, 403);
        // The right token, but from another site's page.
        let r = app
            .post_form_raw(
                "/reservasjon",
                &[("nummer", "91234567"), ("csrf_token", CSRF)],
                Some(CSRF),
                &[("origin", "https://evil.example")],
            )
            .await;
        assert_eq!(r.status, 403);
        let r = app
            .post_form_raw(
                "/klage",
                &[("telefon", "91234567"), ("melding", "hei")],
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(reservation::Entity::find().count(&app.db).await.unwrap(), 0);
        assert_eq!(
            entity::case::Entity::find().count(&app.db).await.unwrap(),
            0
        );
    }
);

dual!(
    a_page_hands_out_a_token_that_its_form_can_post_back,
    |app: TestApp| async move {
        let page = app.get("/reservasjon").await;
        let cookie = page.header("set-cookie").unwrap();
        let token = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("innsyn_csrf=")
            .to_string();
        assert_eq!(
            page.attr("input[name='csrf_token']", "value").as_deref(),
            Some(token.as_str())
        );
        let r = app
            .post_form_raw(
                "/reservasjon",
                &[("nummer", "91234567"), ("csrf_token", &token)],
                Some(&token),
                &[],
            )
            .await;
        assert_eq!(r.status, 200);
    }
);

dual!(
    norm_10_reservation_page_explains_national_client_and_internal_registers,
    |app: TestApp| async move {
        app.seed_demo().await;
        let r = app.get("/reservasjon").await;
        let rules = r.text("section[aria-labelledby='rules-heading']").unwrap();
        assert!(rules.contains("Reservasjonsregisteret i Brønnøysund"));
        assert!(rules.contains("Oppdragsgiverens eget register"));
        assert!(rules.contains("Internt reservasjonsregister hos Nordlys Kundedialog AS"));
        assert!(rules.contains("uansett hvilken oppdragsgiver"));
        assert!(
            rules.contains("hverdager mellom kl. 09 og 21"),
            "calling hours, norm 4.2 i"
        );
        assert_eq!(
            r.count("form[action='/reservasjon'][method='post'] input[name='nummer']"),
            1
        );
    }
);
