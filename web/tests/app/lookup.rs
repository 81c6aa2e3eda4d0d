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
            Some("+47 99 88 77 66 er ikke et av våre numre")
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

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}
