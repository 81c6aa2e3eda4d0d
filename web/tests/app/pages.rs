use entity::{caller_number, client};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::dual;
use crate::support::TestApp;

dual!(
    each_public_page_renders_in_norwegian_by_default,
    |app: TestApp| async move {
        app.seed_demo().await;
        for (path, h1) in [
            ("/", "Ble du ringt av Nordlys Kundedialog AS?"),
            ("/oppdragsgivere", "Våre oppdragsgivere"),
            ("/reservasjon", "Reservasjon mot telefonsalg"),
            ("/hvem-ringte", "Hvem ringte meg?"),
            ("/klage", "Send oss en klage"),
            ("/personvern", "Personvern"),
        ] {
            let r = app.get(path).await;
            assert_eq!(r.status, 200, "{path}");
            assert_eq!(r.attr("html", "lang").as_deref(), Some("nb"), "{path}");
            assert_eq!(r.text("h1").as_deref(), Some(h1), "{path}");
            // Every page links to the language switch and the main pages.
            assert_eq!(
                r.attr("a.lang-switch", "hreflang").as_deref(),
                Some("en"),
                "{path}"
            );
            // The switch is named in the language it leads to.
            assert_eq!(
                r.text("a.lang-switch").as_deref(),
                Some("English"),
                "{path}"
            );
            assert_eq!(r.count("nav a"), 6, "{path}");
        }
    }
);

dual!(
    home_has_a_who_called_box_named_nummer_that_goes_to_hvem_ringte,
    |app: TestApp| async move {
        let r = app.get("/").await;
        assert_eq!(
            r.attr("form[action='/hvem-ringte']", "method").as_deref(),
            Some("get")
        );
        assert_eq!(
            r.count("form[action='/hvem-ringte'] input[name='nummer']"),
            1
        );
        assert_eq!(
            r.count("a[href='/reservasjon']"),
            2,
            "nav and the reserve card"
        );
        assert_eq!(r.count("a[href='/klage']"), 2, "nav and the complaint card");
    }
);

dual!(
    language_switch_renders_english_and_remembers_the_choice,
    |app: TestApp| async move {
        let r = app.get("/klage?lang=en").await;
        assert_eq!(r.attr("html", "lang").as_deref(), Some("en"));
        assert_eq!(r.text("h1").as_deref(), Some("Send us a complaint"));
        let cookie = r
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("lang="))
            .expect("language cookie");
        assert!(cookie.starts_with("lang=en;"), "{cookie}");
        let again = app.get_with("/personvern", &[("cookie", "lang=en")]).await;
        assert_eq!(again.text("h1").as_deref(), Some("Privacy"));
        assert_eq!(
            again.attr("a.lang-switch", "hreflang").as_deref(),
            Some("nb")
        );
    }
);

dual!(
    norm_4_4_1_a_clients_page_lists_active_clients_with_purpose_period_and_numbers,
    |app: TestApp| async move {
        app.seed_demo().await;
        // An inactive client is not shown.
        client::ActiveModel {
            name: Set("Nedlagt Kunde AS".into()),
            org_number: Set("900 000 000".into()),
            description: Set("Gammel".into()),
            website: Set(None),
            active: Set(false),
            created_at: Set(app.clock_now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let r = app.get("/oppdragsgivere").await;
        assert_eq!(r.status, 200);
        let names: Vec<String> = {
            let d = r.doc();
            let s = scraper::Selector::parse("section.client h2").unwrap();
            d.select(&s).map(|e| e.text().collect()).collect()
        };
        assert_eq!(
            names,
            [
                "Norsk Forbrukerpanel AS",
                "Stiftelsen Hjertelaget",
                "Vestlandsstraum AS"
            ]
        );
        assert!(
            r.body.contains("tilby fastprisavtale på strøm"),
            "purpose shown"
        );
        let numbers: Vec<String> = {
            let d = r.doc();
            let s = scraper::Selector::parse("a.number").unwrap();
            d.select(&s).map(|e| e.text().collect()).collect()
        };
        assert_eq!(numbers.len(), 4);
        assert!(
            numbers.contains(&"+47 21 00 00 10".to_string()),
            "{numbers:?}"
        );
        assert_eq!(r.count("article.campaign"), 3);
        assert!(
            r.text("article.campaign dd:nth-of-type(3)")
                .unwrap()
                .contains('–'),
            "period"
        );
    }
);

dual!(
    open_data_api_lists_every_number_in_use_with_client_and_purpose,
    |app: TestApp| async move {
        app.seed_demo().await;
        // A number whose period ended is not listed.
        let any = caller_number::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let mut old: caller_number::ActiveModel = any.clone().into();
        old.id = sea_orm::ActiveValue::NotSet;
        old.e164 = Set("+4722334455".into());
        old.valid_to = Set(Some(chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()));
        old.valid_from = Set(chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        old.insert(&app.db).await.unwrap();

        let r = app.get("/api/v1/numbers").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("access-control-allow-origin").as_deref(),
            Some("*")
        );
        let j = r.json();
        let nums = j["numbers"].as_array().unwrap();
        assert_eq!(nums.len(), 4);
        let first = nums
            .iter()
            .find(|n| n["number"] == "+4721000010")
            .expect("demo number");
        assert_eq!(first["client"], "Vestlandsstraum AS");
        assert_eq!(first["centre"], "Nordlys Kundedialog AS");
        assert_eq!(first["kind"], "sales");
        assert!(
            first["purpose"]
                .as_str()
                .unwrap()
                .contains("fastprisavtale")
        );
        assert!(nums.iter().all(|n| n["number"] != "+4722334455"));
    }
);

dual!(health_and_readiness_answer, |app: TestApp| async move {
    assert_eq!(app.get("/healthz").await.status, 200);
    // `serve` loads the registers at start; ready once they are in memory.
    app.state.registers.refresh(&app.db).await.unwrap();
    let r = app.get("/readyz").await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "ready"));
    app.db.clone().close().await.unwrap();
    assert_eq!(
        app.get("/readyz").await.status,
        503,
        "a closed database is not ready"
    );
});

dual!(
    every_page_carries_security_headers_and_unknown_paths_are_404,
    |app: TestApp| async move {
        let r = app.get("/").await;
        let csp = r.header("content-security-policy").unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        let cookie = r.header("set-cookie").unwrap();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let nf = app.get("/finnes-ikke").await;
        assert_eq!(nf.status, 404);
        assert_eq!(nf.text("h1").as_deref(), Some("Siden finnes ikke"));
        let css = app.get("/assets/css/site.css").await;
        assert_eq!(css.status, 200);
        assert!(css.header("content-type").unwrap().starts_with("text/css"));
    }
);

dual!(
    privacy_page_states_retention_periods,
    |app: TestApp| async move {
        let r = app.get("/personvern").await;
        assert!(r.text(".retention-dialogue").unwrap().contains("6 måneder"));
        assert!(
            r.text(".retention-recordings")
                .unwrap()
                .contains("90 dager")
        );
        assert!(
            r.text(".retention-statistics")
                .unwrap()
                .contains("12 måneder")
        );
    }
);
