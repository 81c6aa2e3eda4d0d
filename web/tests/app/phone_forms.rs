//! Issue 29, phone numbers: the lookup, the reservation form and the wash
//! read numbers as libphonenumber does (see web/tests/fixtures/phone/).

use axum::body::Body;
use axum::http::Request;
use innsyn::domain::dialer::api_tokens;

use crate::dual;
use crate::support::TestApp;

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

dual!(
    an_eight_digit_number_in_the_47_range_is_reserved_as_a_national_number,
    |app: TestApp| async move {
        let r = app
            .post_form("/reservasjon", &[("nummer", "47 12 34 56")])
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.text("h1").as_deref(), Some("Du er reservert"));
        assert!(r.text(".receipt .lead").unwrap().contains("+47 471 23 456"));
        for written in [
            "tel:+47-471-23-456",
            "tlf. ４７１２３４５６",
            "47\u{a0}12\u{200b}34 56",
        ] {
            let again = app.post_form("/reservasjon", &[("nummer", written)]).await;
            assert_eq!(again.status, 200, "{written}: {}", again.body);
        }
        let lookup = app.get("/hvem-ringte?nummer=47123456").await;
        assert_eq!(lookup.status, 200);
    }
);

dual!(
    a_number_in_a_range_not_in_use_is_refused_in_both_languages,
    |app: TestApp| async move {
        for path in [
            "/hvem-ringte?nummer=42+12+34+56",
            "/hvem-ringte?nummer=49123456",
        ] {
            let r = app.get(path).await;
            assert_eq!(r.status, 400, "{path}");
            assert_eq!(
                r.text("#nummer-error").as_deref(),
                Some("Dette er ikke et norsk telefonnummer i bruk. Sjekk sifrene."),
                "{path}"
            );
        }
        let en = app.get("/hvem-ringte?nummer=43123456&lang=en").await;
        assert_eq!(en.status, 400);
        assert_eq!(
            en.text("#nummer-error").as_deref(),
            Some("This is not a Norwegian phone number in use. Check the digits.")
        );
        let r = app
            .post_form("/reservasjon", &[("nummer", "+47 44 12 34 56")])
            .await;
        assert_eq!(r.status, 400);
        assert!(
            r.text("#nummer-error")
                .unwrap()
                .contains("ikke et norsk telefonnummer i bruk")
        );
    }
);

dual!(
    a_number_with_an_extension_gets_its_own_message_not_a_guess,
    |app: TestApp| async move {
        for written in [
            "912 34 567 ext 12",
            "tel:+4791234567;ext=12",
            "91234567 x 7",
        ] {
            let r = app
                .get(&format!("/hvem-ringte?nummer={}", urlencode(written)))
                .await;
            assert_eq!(r.status, 400, "{written}");
            assert!(
                r.text("#nummer-error")
                    .unwrap()
                    .contains("uten internnummer"),
                "{written}"
            );
            assert_eq!(r.attr("input#nummer", "value").as_deref(), Some(written));
            let en = app
                .get(&format!(
                    "/hvem-ringte?nummer={}&lang=en",
                    urlencode(written)
                ))
                .await;
            assert!(
                en.text("#nummer-error")
                    .unwrap()
                    .contains("without its extension")
            );
            let form = app.post_form("/reservasjon", &[("nummer", written)]).await;
            assert_eq!(form.status, 400, "{written}");
            assert!(
                form.text("#nummer-error")
                    .unwrap()
                    .contains("uten internnummer")
            );
        }
    }
);

dual!(
    the_wash_reads_numbers_as_libphonenumber_does,
    |app: TestApp| async move {
        let (_, token) = api_tokens::create(&app.db, "phone-test", app.clock_now())
            .await
            .unwrap();
        // An invalid line echoed from a + is quoted against spreadsheet formulas.
        let input = "47 12 34 56\n42123456\n4747123456\n+47 49 12 34 56\ntel:+47-912-34-567\n912 34 567 ext 12\n";
        let r = app
            .send(
                Request::post("/api/v1/wash")
                    .header("content-type", "text/plain")
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::from(input))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body,
            "number,e164,verdict\n\
             47 12 34 56,+4747123456,callable\n\
             42123456,,invalid\n\
             4747123456,+4747123456,callable\n\
             '+47 49 12 34 56,,invalid\n\
             tel:+47-912-34-567,+4791234567,callable\n\
             912 34 567 ext 12,,invalid\n"
        );
    }
);
