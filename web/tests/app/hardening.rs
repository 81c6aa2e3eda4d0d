//! Strangers and bad input: stalled connections are cut off over a real
//! socket, no date reaches a panic, a panic is a 500 page, caches and
//! browsers get the headers they need, Twilio posts without an id are
//! refused, and echoed formulas are neutralised.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use entity::enums::Role;
use entity::{case, inbound_event};
use innsyn::config::Config;
use innsyn::domain::dialer::api_tokens;
use sea_orm::{EntityTrait, PaginatorTrait};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

use crate::dual;
use crate::support::http::{https, serve};
use crate::support::{CSRF, TestApp};

/// Timeouts short enough for a test to watch them act (real time: these
/// are socket timeouts, not the domain clock).
fn short_timeouts(c: &mut Config) {
    c.http.header = Duration::from_millis(300);
    c.http.body = Duration::from_millis(300);
    c.http.upload_idle = Duration::from_secs(3);
}

/// Reads until the server closes the connection; what it said, or `None`
/// when it is still open after `within`.
async fn read_until_closed(s: &mut TcpStream, within: Duration) -> Option<String> {
    let mut got = Vec::new();
    let r = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    r.ok().map(|()| String::from_utf8_lossy(&got).into_owned())
}

dual!(
    a_connection_that_sends_half_a_header_is_closed,
    configure = short_timeouts,
    |app: TestApp| async move {
        let (addr, _stop) = serve(&app).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        let closed = read_until_closed(&mut s, Duration::from_secs(10)).await;
        assert!(
            closed.is_some(),
            "still open 10 s after a 0.3 s header timeout"
        );
        // A whole request on a new connection is still served.
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let answer = read_until_closed(&mut s, Duration::from_secs(10))
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
);

dual!(
    an_idle_keep_alive_connection_is_closed,
    configure = short_timeouts,
    |app: TestApp| async move {
        let (addr, _stop) = serve(&app).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        // The answer comes, the connection stays open for the next request,
        // then is closed once it has idled past the timeout.
        let said = read_until_closed(&mut s, Duration::from_secs(10)).await;
        let said = said.expect("the idle connection was never closed");
        assert!(said.starts_with("HTTP/1.1 200"), "{said}");
    }
);

dual!(
    a_trickled_form_or_webhook_body_gets_408,
    configure = short_timeouts,
    |app: TestApp| async move {
        let (addr, _stop) = serve(&app).await;
        for (path, extra) in [
            ("/klage", format!("Cookie: innsyn_csrf={CSRF}\r\n")),
            ("/webhooks/twilio/sms", String::new()),
            ("/admin/login", format!("Cookie: innsyn_csrf={CSRF}\r\n")),
        ] {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\n{extra}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nnavn=Ola"
            );
            s.write_all(head.as_bytes()).await.unwrap();
            let said = read_until_closed(&mut s, Duration::from_secs(10)).await;
            let said = said.unwrap_or_default();
            assert!(said.starts_with("HTTP/1.1 408"), "{path}: {said:?}");
        }
    }
);

dual!(
    a_streamed_wash_slower_than_the_body_timeout_still_finishes,
    configure = short_timeouts,
    |app: TestApp| async move {
        let (_, token) = api_tokens::create(&app.db, "slow-dialer", app.clock_now())
            .await
            .unwrap();
        let (addr, _stop) = serve(&app).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /api/v1/wash HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        // Three pieces 250 ms apart: 0.75 s in all, past the 0.3 s body
        // timeout of forms, within the wash's idle timeout per piece.
        for piece in ["22334455\n", "=1+1\n", "91234567\n"] {
            s.write_all(format!("{:x}\r\n{piece}\r\n", piece.len()).as_bytes())
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        s.write_all(b"0\r\n\r\n").await.unwrap();
        let said = read_until_closed(&mut s, Duration::from_secs(10))
            .await
            .unwrap();
        assert!(said.starts_with("HTTP/1.1 200"), "{said}");
        assert!(said.contains("22334455,+4722334455,callable"), "{said}");
        assert!(said.contains("'=1+1,,invalid"), "{said}");
        assert!(said.contains("91234567,+4791234567,callable"), "{said}");
    }
);

async fn boom() -> &'static str {
    panic!("boom")
}

#[tokio::test]
async fn a_panicking_handler_gives_a_500_page_not_a_dropped_connection() {
    let router: Router = Router::new()
        .route("/boom", get(boom))
        .layer(innsyn::routes::catch_panic());
    let resp = router
        .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&String::from_utf8_lossy(&body));
    let h1 = scraper::Selector::parse("h1").unwrap();
    assert!(
        doc.select(&h1).next().is_some(),
        "an error page, not an empty body"
    );
}

dual!(
    dates_outside_1900_to_2200_are_refused_with_a_4xx,
    |app: TestApp| async move {
        app.seed_demo().await;
        // at= on the public call window and on the wash.
        for at in [
            "0001-01-01T10:00:00Z",
            "2201-01-05T10:00:00Z",
            "1899-12-31T10:00:00Z",
        ] {
            let r = app.get(&format!("/api/v1/call-window?at={at}")).await;
            assert_eq!(r.status, 400, "{at}: {}", r.body);
        }
        assert_eq!(
            app.get("/api/v1/call-window?at=2200-06-01T10:00:00Z")
                .await
                .status,
            200
        );
        let (_, token) = api_tokens::create(&app.db, "d", app.clock_now())
            .await
            .unwrap();
        let r = app
            .send(
                Request::post("/api/v1/wash?at=0001-01-01T10:00:00Z")
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::from("22334455\n"))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        // The back-office wash's planned time: a negative year panicked.
        let s = app.sign_in_as(Role::Manager).await;
        for t in ["-0001-03-02T10:00", "2201-01-05T10:00", "0000-03-01T10:00"] {
            let r = app
                .post_multipart_as(
                    "/admin/vask/last-opp",
                    &s,
                    &[("tidspunkt", None, t), ("fil", Some("l.txt"), "22334455\n")],
                )
                .await;
            assert_eq!(r.status, 422, "{t}");
            assert!(r.text("#wash-error").unwrap().contains("1900"), "{t}");
        }
        // Statistics periods, on the page and in the API export.
        let r = app
            .get_as("/admin/statistikk?from=-0001-01-01&to=-0001-01-05", &s)
            .await;
        assert_eq!(r.status, 422);
        let r = app
            .send(
                Request::get("/api/v1/stats?from=0100-01-01&to=0100-01-05&format=json")
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        // A figure sent for year 3000 is refused, nothing stored.
        let r = app
            .send(
                Request::post("/api/v1/stats/daily")
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .body(Body::from(
                        r#"{"date":"3000-01-01","campaign":"VS-FASTPRIS","attempted":1,"answered":1,"connected":1,"transferred":0,"abandoned":0}"#,
                    ))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("1900-2200"), "{}", r.body);
    }
);

dual!(
    back_office_and_authenticated_api_answers_are_not_cached,
    |app: TestApp| async move {
        assert_eq!(
            app.get("/admin/login")
                .await
                .header("cache-control")
                .as_deref(),
            Some("no-store")
        );
        let s = app.sign_in_as(Role::Admin).await;
        for path in [
            "/admin/saker",
            "/admin/statistikk",
            "/admin/brukere",
            "/admin/finnes-ikke",
        ] {
            let r = app.get_as(path, &s).await;
            assert_eq!(
                r.header("cache-control").as_deref(),
                Some("no-store"),
                "{path}"
            );
        }
        let (_, token) = api_tokens::create(&app.db, "d", app.clock_now())
            .await
            .unwrap();
        let r = app
            .get_with(
                "/api/v1/stats?format=json",
                &[("authorization", &format!("Bearer {token}"))],
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
        // The public pages and the open data keep their own caching.
        assert_ne!(
            app.get("/").await.header("cache-control").as_deref(),
            Some("no-store")
        );
        assert_ne!(
            app.get("/api/v1/numbers")
                .await
                .header("cache-control")
                .as_deref(),
            Some("no-store")
        );
    }
);

dual!(
    every_answer_denies_unused_browser_features_and_http_gets_no_hsts,
    |app: TestApp| async move {
        for path in ["/", "/klage", "/admin/login", "/finnes-ikke"] {
            let r = app.get(path).await;
            let pp = r.header("permissions-policy").unwrap_or_default();
            for f in ["camera=()", "microphone=()", "geolocation=()", "payment=()"] {
                assert!(pp.contains(f), "{path}: {pp}");
            }
            assert_eq!(r.header("strict-transport-security"), None, "{path}");
        }
    }
);

dual!(
    over_https_hsts_is_sent_and_the_csrf_cookie_is_host_only,
    configure = https,
    |app: TestApp| async move {
        let r = app.get("/klage").await;
        assert_eq!(
            r.header("strict-transport-security").as_deref(),
            Some("max-age=31536000; includeSubDomains")
        );
        let cookie = r.header("set-cookie").unwrap();
        assert!(cookie.starts_with("__Host-innsyn_csrf="), "{cookie}");
        assert!(
            cookie.contains("; Path=/") && cookie.contains("; Secure"),
            "{cookie}"
        );
        assert!(!cookie.contains("Domain="), "{cookie}");
        // A post with that cookie and field goes through; one with only the
        // old name is refused over https.
        let token = cookie
            .trim_start_matches("__Host-innsyn_csrf=")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let ok = app
            .send(
                Request::post("/reservasjon")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("cookie", format!("__Host-innsyn_csrf={token}"))
                    .body(Body::from(format!("nummer=91234567&csrf_token={token}")))
                    .unwrap(),
            )
            .await;
        assert_ne!(ok.status, 403, "{}", ok.body);
        let old = app
            .post_form_raw(
                "/reservasjon",
                &[("nummer", "91234567"), ("csrf_token", CSRF)],
                Some(CSRF),
                &[],
            )
            .await;
        assert_eq!(old.status, 403);
    }
);

dual!(
    signing_in_rotates_the_csrf_token,
    |app: TestApp| async move {
        let email = "rot@staff.example";
        innsyn::domain::staff::users::create_user(
            &app.db,
            &innsyn::domain::email::EmailAddress::parse(email).unwrap(),
            Role::Handler,
            Some(crate::support::STAFF_PASSWORD),
            app.clock_now(),
        )
        .await
        .unwrap();
        let r = app
            .post_form(
                "/admin/login",
                &[
                    ("epost", email),
                    ("passord", crate::support::STAFF_PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let new = r
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("innsyn_csrf="))
            .map(|c| c.split(';').next().unwrap().to_string())
            .expect("a new CSRF cookie at sign-in");
        assert_ne!(new, CSRF);
        assert_eq!(new.len(), 43);
    }
);

dual!(
    twilio_posts_without_their_id_are_refused_and_store_nothing,
    |app: TestApp| async move {
        app.seed_demo().await;
        let from = ("From", "+4791234567");
        let to = ("To", "+4721000010");
        for (path, params) in [
            ("/webhooks/twilio/voice", vec![from, to]),
            (
                "/webhooks/twilio/voice/meny",
                vec![from, to, ("Digits", "2")],
            ),
            (
                "/webhooks/twilio/voice/recording",
                vec![("CallSid", "CA500"), from, to],
            ),
            (
                "/webhooks/twilio/voice/recording",
                vec![("RecordingSid", "RE../../Messages"), from, to],
            ),
            (
                "/webhooks/twilio/voice/transcription",
                vec![("TranscriptionText", "hei")],
            ),
            ("/webhooks/twilio/sms", vec![from, to, ("Body", "Hei")]),
            ("/webhooks/twilio/sms", vec![from, to, ("Body", "STOPP")]),
        ] {
            let r = app.twilio_post(path, &params).await;
            assert_eq!(r.status, 400, "{path} {params:?}: {}", r.body);
        }
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 0);
        assert_eq!(
            inbound_event::Entity::find().count(&app.db).await.unwrap(),
            0
        );
        assert_eq!(
            entity::reservation::Entity::find()
                .count(&app.db)
                .await
                .unwrap(),
            0
        );
    }
);

/// A list of `n` lines in the written forms a dialer sends, some reserved
/// (`91xxxxxx` with an even last digit), some not numbers.
fn mixed_list(n: u32) -> String {
    let mut list = String::with_capacity(n as usize * 14);
    for i in 0..n {
        let national = 91_000_000 + i;
        let line = match i % 5 {
            0 => format!("{national}"),
            1 => format!("+47{national}"),
            2 => format!(
                "{} {} {}",
                national / 100_000,
                national / 1000 % 100,
                national % 1000
            ),
            3 => format!("0047 {national}"),
            _ => format!("ikke-et-nummer-{i}"),
        };
        list.push_str(&line);
        list.push('\n');
    }
    list
}

dual!(
    norm_4_4_4_a_list_of_megabytes_sent_in_small_pieces_comes_back_byte_for_byte_as_one_thread_washes_it,
    |app: TestApp| async move {
        use innsyn::domain::dialer::{coverage, wash::Washer};
        for n in [91_000_000u32, 91_000_002, 91_123_456, 91_299_998] {
            let e = innsyn::domain::phone::E164::parse(&n.to_string()).unwrap();
            innsyn::domain::dialer::reservations::reserve(
                &app.db,
                &e,
                entity::enums::ReservationSource::Web,
                app.clock_now(),
            )
            .await
            .unwrap();
        }
        let (_, token) = api_tokens::create(&app.db, "dialer", app.clock_now())
            .await
            .unwrap();
        let list = mixed_list(300_000);
        assert!(list.len() > 3_000_000);
        // What one thread makes of the whole list at once.
        let now = app.clock_now();
        let (registers, _) = coverage::plan(&app.state.registers, &app.db, None, false, now, now, 14)
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap();
        let mut expected = Vec::new();
        let mut w = Washer::new(registers, false, &mut expected);
        w.feed(list.as_bytes(), &mut expected);
        w.finish(&mut expected);
        assert_eq!(w.count_in, 300_000);
        // Over a real socket, in pieces of 7 KB: they are gathered into
        // batches, washed two threads at a time, and sent in order.
        let (addr, _stop) = serve(&app).await;
        let pieces: Vec<Result<Vec<u8>, std::io::Error>> = list
            .as_bytes()
            .chunks(7 * 1024)
            .map(|c| Ok(c.to_vec()))
            .collect();
        let body = reqwest::Body::wrap_stream(futures_util::stream::iter(pieces));
        let r = reqwest::Client::new()
            .post(format!("http://{addr}/api/v1/wash"))
            .bearer_auth(&token)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let got = r.bytes().await.unwrap();
        assert!(got.len() == expected.len() && got[..] == expected[..], "the answers differ");
        let runs = entity::wash_run::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].count_in, 300_000);
        assert_eq!(runs[0].count_callable as u64, w.count_callable);
    }
);

dual!(
    a_dialer_that_goes_away_in_the_middle_of_a_list_gets_no_wash_recorded_and_the_next_wash_runs,
    |app: TestApp| async move {
        let (_, token) = api_tokens::create(&app.db, "dialer", app.clock_now())
            .await
            .unwrap();
        let (addr, _stop) = serve(&app).await;
        let list = mixed_list(400_000);
        let mut s = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /api/v1/wash HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
            list.len()
        );
        s.write_all(head.as_bytes()).await.unwrap();
        // Half the list, some of the answer read, then gone.
        s.write_all(&list.as_bytes()[..list.len() / 2])
            .await
            .unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        drop(s);
        // The next dialer's wash is answered whole and is the only one on
        // file.
        let r = reqwest::Client::new()
            .post(format!("http://{addr}/api/v1/wash"))
            .bearer_auth(&token)
            .body("22334455\n91234567\n")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap().lines().count(), 3);
        let runs = entity::wash_run::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(runs.len(), 1, "only the wash that was answered whole");
        assert_eq!(runs[0].count_in, 2);
    }
);
