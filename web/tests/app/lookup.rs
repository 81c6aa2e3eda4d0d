use crate::dual;
use crate::support::TestApp;

dual!(
    norm_4_4_5_lookup_of_our_number_tells_centre_client_purpose_and_period,
    |app: TestApp| async move {
        app.seed_demo().await;
        for written in [
            "21000010",
            "21 00 00 10",
            "+47 21 00 00 10",
            "0047 21000010",
        ] {
            let r = app
                .get(&format!("/hvem-ringte?nummer={}", urlencode(written)))
                .await;
            assert_eq!(r.status, 200, "{written}");
            assert_eq!(
                r.text(".hit .centre-name").as_deref(),
                Some("Nordlys Kundedialog AS")
            );
            assert_eq!(
                r.text(".hit .client-name").as_deref(),
                Some("Vestlandsstraum AS")
            );
            assert!(r.text(".hit .purpose").unwrap().contains("fastprisavtale"));
            assert!(r.text(".hit .period").unwrap().contains('–'));
            assert_eq!(r.count(".hit a[href='/reservasjon']"), 1, "link to reserve");
            assert_eq!(
                r.count(".hit a[href='/klage?nummer=%2B4721000010']"),
                1,
                "link to complain"
            );
            // The input is kept as typed.
            assert_eq!(r.attr("input#nummer", "value").as_deref(), Some(written));
        }
    }
);

dual!(
    lookup_of_another_number_is_a_neutral_miss,
    |app: TestApp| async move {
        app.seed_demo().await;
        let r = app.get("/hvem-ringte?nummer=99887766").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.count(".hit"), 0);
        assert_eq!(
            r.text(".miss h2").as_deref(),
            Some("+47 998 87 766 er ikke et av våre numre")
        );
    }
);

dual!(
    lookup_of_an_invalid_number_is_400_with_the_parser_message_and_input_kept,
    |app: TestApp| async move {
        let r = app.get("/hvem-ringte?nummer=12345").await;
        assert_eq!(r.status, 400);
        assert!(
            r.text("#nummer-error")
                .unwrap()
                .contains("ikke et gyldig telefonnummer")
        );
        assert_eq!(r.attr("input#nummer", "value").as_deref(), Some("12345"));
        assert_eq!(
            r.attr("input#nummer", "aria-invalid").as_deref(),
            Some("true")
        );
        let en = app.get("/hvem-ringte?nummer=abc&lang=en").await;
        assert_eq!(en.status, 400);
        assert!(
            en.text("#nummer-error")
                .unwrap()
                .contains("does not look like a phone number")
        );
    }
);

dual!(
    lookup_with_htmx_answers_with_the_panel_only,
    |app: TestApp| async move {
        app.seed_demo().await;
        let r = app
            .get_with("/hvem-ringte?nummer=21000020", &[("hx-request", "true")])
            .await;
        assert_eq!(r.status, 200);
        assert!(!r.body.contains("<html"), "a fragment, not a page");
        let client: String = {
            let frag = scraper::Html::parse_fragment(&r.body);
            let sel = scraper::Selector::parse("section#lookup .hit .client-name").unwrap();
            frag.select(&sel)
                .next()
                .expect("result in panel")
                .text()
                .collect()
        };
        assert_eq!(client, "Stiftelsen Hjertelaget");
        // Without htmx the same address is a whole page.
        assert!(
            app.get("/hvem-ringte?nummer=21000020")
                .await
                .body
                .contains("<html")
        );
    }
);

dual!(
    norm_4_4_5_a_reused_number_is_explained_by_the_campaign_using_it_today_and_a_retired_one_by_its_last,
    |app: TestApp| async move {
        use chrono::NaiveDate;
        use entity::{caller_number, campaign, client};
        use sea_orm::{EntityTrait, Set};
        app.seed_demo().await;
        let clients = client::Entity::find().all(&app.db).await.unwrap();
        let camps = campaign::Entity::find().all(&app.db).await.unwrap();
        let of = |client_id: i32| camps.iter().find(|c| c.client_id == client_id).unwrap();
        let (first, second) = (of(clients[0].id), of(clients[1].id));
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let row = |e164: &str, camp: i32, from: NaiveDate, to: Option<NaiveDate>| {
            caller_number::ActiveModel {
                e164: Set(e164.into()),
                campaign_id: Set(camp),
                valid_from: Set(from),
                valid_to: Set(to),
                message: Set("Du ble ringt av Nordlys Kundedialog.".into()),
                created_at: Set(app.clock_now()),
                ..Default::default()
            }
        };
        // +4721999001: the first client's until June, the second's since July,
        // and the first client's again from December (today is 18 November
        // 2026: the newest row is not today's). +4721999002: retired in March.
        caller_number::Entity::insert_many([
            row("+4721999001", first.id, d(1, 1), Some(d(6, 30))),
            row("+4721999001", second.id, d(7, 1), Some(d(11, 30))),
            row("+4721999001", first.id, d(12, 1), None),
            row("+4721999002", first.id, d(1, 1), Some(d(3, 31))),
        ])
        .exec(&app.db)
        .await
        .unwrap();
        let r = app.get("/hvem-ringte?nummer=21999001").await;
        assert_eq!(r.text(".hit .client-name"), Some(clients[1].name.clone()));
        let r = app.get("/hvem-ringte?nummer=21999002").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.text(".hit .client-name"), Some(clients[0].name.clone()));
    }
);

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}
