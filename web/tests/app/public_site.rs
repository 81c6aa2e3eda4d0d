//! The public site for a 70-year-old on a phone (issue 18): what matters
//! comes first in the page, errors and answers take focus, unknown numbers
//! get next steps, error pages keep language, centre and contact, and the
//! accessibility statement and the open-data page exist in both languages.

use crate::dual;
use crate::support::TestApp;

/// The position of the first element matching `sel` in document order.
fn position(r: &crate::support::TestResponse, sel: &str) -> usize {
    let doc = r.doc();
    let target = scraper::Selector::parse(sel).unwrap();
    let any = scraper::Selector::parse("*").unwrap();
    let id = doc
        .select(&target)
        .next()
        .unwrap_or_else(|| panic!("{sel}"))
        .id();
    doc.select(&any).position(|e| e.id() == id).unwrap()
}

dual!(
    reservation_form_comes_before_the_rules_and_an_error_opens_at_its_summary,
    |app: TestApp| async move {
        app.seed_demo().await;
        let r = app.get("/reservasjon").await;
        assert!(position(&r, "form[action='/reservasjon']") < position(&r, "#regler"));
        assert_eq!(
            r.count(".lead a[href='#rules-heading']"),
            1,
            "the rules one tap away"
        );
        let e = app.post_form("/reservasjon", &[("nummer", "12")]).await;
        assert_eq!(e.status, 400);
        // The summary is the first thing under the heading, focused on load.
        assert_eq!(e.attr(".error-summary", "autofocus").as_deref(), Some(""));
        assert_eq!(e.attr(".error-summary", "tabindex").as_deref(), Some("-1"));
        assert!(position(&e, ".error-summary") < position(&e, "form[action='/reservasjon']"));
        assert_eq!(e.count(".error-summary a[href='#nummer']"), 1);
        assert_eq!(e.attr("input#nummer", "value").as_deref(), Some("12"));
    }
);

dual!(
    lookup_answer_comes_before_the_form_and_takes_focus,
    |app: TestApp| async move {
        app.seed_demo().await;
        for (q, sel) in [
            ("21000010", ".result.hit h2"),
            ("22222222", ".result.miss h2"),
        ] {
            for htmx in [false, true] {
                let headers: &[(&str, &str)] = if htmx { &[("hx-request", "true")] } else { &[] };
                let r = app
                    .get_with(&format!("/hvem-ringte?nummer={q}"), headers)
                    .await;
                assert_eq!(r.status, 200);
                assert!(
                    position(&r, sel) < position(&r, "form[action='/hvem-ringte']"),
                    "{q}"
                );
                assert_eq!(r.attr(sel, "autofocus").as_deref(), Some(""), "{q}");
                assert_eq!(r.count("#lookup-result[aria-live='polite']"), 1);
            }
        }
        let bad = app.get("/hvem-ringte?nummer=abc").await;
        assert_eq!(bad.status, 400);
        assert_eq!(bad.attr("input#nummer", "autofocus").as_deref(), Some(""));
    }
);

dual!(
    an_unknown_number_gets_next_steps_not_a_dead_end,
    |app: TestApp| async move {
        app.seed_demo().await;
        for (lang, heading) in [("", "Hva kan du gjøre?"), ("&lang=en", "What can you do?")] {
            let r = app
                .get(&format!("/hvem-ringte?nummer=22222222{lang}"))
                .await;
            assert_eq!(r.text(".result.miss h3").as_deref(), Some(heading));
            assert_eq!(
                r.count(".result.miss a[href='https://www.brreg.no/reservasjon/']"),
                1,
                "the national register"
            );
            assert_eq!(
                r.count(".result.miss a[href='/reservasjon']"),
                1,
                "reserve with us anyway"
            );
            assert_eq!(
                r.count(".result.miss a[href='https://www.politiet.no/']"),
                1,
                "fraud: the police"
            );
            assert_eq!(
                r.count(".result.miss a[href='/klage?nummer=%2B4722222222']"),
                1,
                "fraud: tell us"
            );
        }
        // A hit warns about spoofing of our numbers too.
        let hit = app.get("/hvem-ringte?nummer=21000010").await;
        assert_eq!(hit.count(".result.hit .fraud-note"), 1);
    }
);

dual!(
    the_complaint_form_suggests_no_reason_the_consumer_did_not_choose,
    |app: TestApp| async move {
        for (lang, label) in [("", "Annet / vet ikke"), ("?lang=en", "Other / not sure")] {
            let r = app.get(&format!("/klage{lang}")).await;
            assert_eq!(
                r.attr("select#kategori option", "value").as_deref(),
                Some("other"),
                "first"
            );
            assert_eq!(
                r.attr("select#kategori option[selected]", "value")
                    .as_deref(),
                Some("other")
            );
            assert_eq!(
                r.text("select#kategori option[selected]").as_deref(),
                Some(label)
            );
            assert_eq!(r.count("select#kategori option[selected]"), 1);
        }
    }
);

dual!(
    error_pages_keep_the_language_the_centre_and_its_contact,
    |app: TestApp| async move {
        app.seed_demo().await;
        // Not found, in English by the query and by the remembered cookie.
        for (path, headers) in [
            ("/finnes-ikke?lang=en", vec![]),
            ("/finnes-ikke", vec![("cookie", "lang=en")]),
        ] {
            let r = app.get_with(path, &headers).await;
            assert_eq!(r.status, 404, "{path}");
            assert_eq!(
                r.attr("html", "lang").as_deref(),
                Some("en"),
                "{path} {headers:?}"
            );
            assert_eq!(r.text("h1").as_deref(), Some("Page not found"));
            assert_eq!(r.text(".brand").as_deref(), Some("Nordlys Kundedialog AS"));
            assert!(r.text("title").unwrap().contains("Nordlys Kundedialog AS"));
            assert_eq!(
                r.count(".error-contact a[href='mailto:post@nordlys-kundedialog.example']"),
                1
            );
            assert_eq!(r.count(".error-contact a[href^='tel:']"), 1);
        }
        // Forbidden (a form without its security token), in Norwegian.
        let r = app
            .post_form_raw("/klage", &[("melding", "x")], None, &[])
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(r.attr("html", "lang").as_deref(), Some("nb"));
        assert_eq!(r.text(".brand").as_deref(), Some("Nordlys Kundedialog AS"));
        assert_eq!(r.count(".error-contact a[href^='mailto:']"), 1);
    }
);

dual!(
    the_accessibility_statement_and_open_data_page_exist_in_both_languages_and_are_linked,
    |app: TestApp| async move {
        app.seed_demo().await;
        for (path, h1) in [
            ("/tilgjengelighet", "Tilgjengelighetserklæring"),
            ("/tilgjengelighet?lang=en", "Accessibility statement"),
            ("/apne-data", "Åpne data: numrene vi ringer fra"),
            ("/apne-data?lang=en", "Open data: the numbers we call from"),
        ] {
            let r = app.get(path).await;
            assert_eq!(r.status, 200, "{path}");
            assert_eq!(r.text("h1").as_deref(), Some(h1), "{path}");
        }
        let a11y = app.get("/tilgjengelighet").await;
        assert!(a11y.body.contains("WCAG 2.1"), "what it meets");
        assert!(a11y.body.contains("axe"), "how it is tested");
        assert!(a11y.count(".known-gaps li") >= 1, "known gaps");
        assert_eq!(
            a11y.count("main a[href='/klage']"),
            1,
            "reporting a problem becomes a case"
        );
        let od = app.get("/apne-data?lang=en").await;
        for href in [
            "/api/v1/numbers",
            "/api/v1/numbers.csv",
            "/api/v1/numbers/schema.json",
        ] {
            assert_eq!(od.count(&format!("main a[href='{href}']")), 1, "{href}");
        }
        assert!(od.body.contains("If-None-Match") && od.body.contains("retired"));
        // Every page's footer links to both; the clients page to open data.
        for path in [
            "/",
            "/oppdragsgivere",
            "/reservasjon",
            "/hvem-ringte",
            "/klage",
            "/personvern",
            "/finnes-ikke",
        ] {
            let r = app.get(path).await;
            assert_eq!(r.count("footer a[href='/tilgjengelighet']"), 1, "{path}");
            assert_eq!(r.count("footer a[href='/apne-data']"), 1, "{path}");
        }
        let clients = app.get("/oppdragsgivere").await;
        assert_eq!(clients.count("main a[href='/apne-data']"), 1);
    }
);

dual!(
    the_privacy_table_names_each_cell_for_narrow_screens,
    |app: TestApp| async move {
        for lang in ["", "?lang=en"] {
            let r = app.get(&format!("/personvern{lang}")).await;
            let cells = r.count("table.retention td");
            assert!(cells >= 8);
            assert_eq!(r.count("table.retention.stack td[data-label]"), cells);
        }
    }
);
