//! The wash's registers in memory: loaded at start before `/readyz` says
//! ready, refreshed in the background when a register changes, and the
//! wash over a real socket with `Expect: 100-continue` (curl's default for
//! bodies over 1 MB).

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use entity::campaign;
use innsyn::domain::dialer::{national, registers};
use innsyn::domain::privacy::audit::Actor;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::dual;
use crate::support::TestApp;
use crate::support::dialer::{reserve, token, wash};
use crate::support::http::serve;

/// Polls `/readyz` until it answers 200; panics after 20 s.
async fn wait_ready(app: &TestApp) {
    tokio::time::timeout(Duration::from_secs(20), async {
        while app.get("/readyz").await.status != 200 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("ready within 20 s");
}

dual!(
    readyz_is_not_ready_until_the_registers_are_loaded_and_healthz_answers_at_once,
    |app: TestApp| async move {
        reserve(&app, "912 34 567").await;
        assert_eq!(app.get("/healthz").await.status, 200);
        let r = app.get("/readyz").await;
        assert_eq!(
            (r.status.as_u16(), r.body.as_str()),
            (503, "loading the reservation registers")
        );
        assert!(!app.state.registers.is_ready());
        // What `serve` starts: the load in the background, then a refresh
        // every second.
        let task = innsyn::jobs::register_refresh(&app.state);
        wait_ready(&app).await;
        task.abort();
        let r = app.get("/readyz").await;
        assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "ready"));
        // The register is in memory at the version the database holds.
        let v = registers::version(&app.db).await.unwrap();
        assert_eq!(app.state.registers.loaded_version(), Some(v));
    }
);

dual!(
    norm_4_4_4_a_reservation_is_in_the_copy_in_memory_after_the_background_refresh,
    |app: TestApp| async move {
        let t = token(&app).await;
        app.state.registers.refresh(&app.db).await.unwrap();
        let before = registers::version(&app.db).await.unwrap();
        let r = app
            .post_form("/reservasjon", &[("nummer", "930 00 001")])
            .await;
        assert_eq!(r.status, 200);
        let after = registers::version(&app.db).await.unwrap();
        assert!(after > before, "a reservation moves the version counter");
        assert_eq!(app.state.registers.loaded_version(), Some(before));
        // The refresh (what the background task runs every second) reads
        // the new row: the wash then finds its copy current.
        app.state.registers.refresh(&app.db).await.unwrap();
        assert_eq!(app.state.registers.loaded_version(), Some(after));
        let w = wash(&app, &t, "", "93000001\n93000002\n").await;
        assert_eq!(
            w.body,
            "number,e164,verdict\n93000001,+4793000001,reserved\n93000002,+4793000002,callable\n"
        );
    }
);

dual!(
    norm_4_4_4_a_wash_between_a_reservation_and_the_refresh_still_sees_it,
    |app: TestApp| async move {
        let t = token(&app).await;
        app.state.registers.refresh(&app.db).await.unwrap();
        reserve(&app, "930 00 003").await;
        // No refresh yet: the wash sees the counter moved and brings the
        // copy up to date itself rather than answer from a stale copy.
        let w = wash(&app, &t, "", "93000003\n").await;
        assert!(w.body.ends_with(",reserved\n"), "{}", w.body);
    }
);

dual!(
    a_reservation_made_on_one_instance_reaches_the_other_instances_copy_by_its_refresh,
    |app: TestApp| async move {
        let other = app.another_instance().await;
        let t = token(&app).await;
        other.state.registers.refresh(&other.db).await.unwrap();
        let r = app
            .post_form("/reservasjon", &[("nummer", "930 00 004")])
            .await;
        assert_eq!(r.status, 200);
        other.state.registers.refresh(&other.db).await.unwrap();
        assert_eq!(
            other.state.registers.loaded_version(),
            Some(registers::version(&app.db).await.unwrap())
        );
        let w = wash(&other, &t, "", "93000004\n").await;
        assert!(w.body.ends_with(",reserved\n"), "{}", w.body);
    }
);

dual!(
    a_client_register_washed_against_is_reloaded_by_the_refresh_after_an_import,
    |app: TestApp| async move {
        app.seed_demo().await;
        let t = token(&app).await;
        let vs = campaign::Entity::find()
            .filter(campaign::Column::Code.eq("VS-FASTPRIS"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        app.state.registers.refresh(&app.db).await.unwrap();
        let w = wash(&app, &t, "?campaign=VS-FASTPRIS", "93456789\n").await;
        assert!(w.body.ends_with(",callable\n"), "{}", w.body);
        registers::import_client_register(
            &app.db,
            vs.client_id,
            "934 56 789\n".as_bytes(),
            app.clock_now(),
        )
        .await
        .unwrap();
        app.state.registers.refresh(&app.db).await.unwrap();
        let fresh = app
            .state
            .registers
            .client(&app.db, vs.client_id)
            .await
            .unwrap();
        assert_eq!(fresh.len(), 1);
        let w = wash(&app, &t, "?campaign=VS-FASTPRIS", "93456789\n").await;
        assert!(w.body.ends_with(",reserved\n"), "{}", w.body);
    }
);

dual!(
    a_national_copy_imported_elsewhere_is_loaded_by_the_refresh,
    |app: TestApp| async move {
        let t = token(&app).await;
        app.state.registers.refresh(&app.db).await.unwrap();
        assert!(
            app.state
                .registers
                .national
                .get(&app.db)
                .await
                .unwrap()
                .is_none()
        );
        let today = innsyn::domain::time::oslo_today(app.clock_now());
        national::import(
            &app.db,
            today,
            "+47 930 00 005\n".as_bytes(),
            &Actor::default(),
            "test",
            app.clock_now(),
            &mut |_| {},
        )
        .await
        .unwrap();
        app.state.registers.refresh(&app.db).await.unwrap();
        let w = wash(&app, &t, "?detail=true", "93000005\n93000006\n").await;
        assert_eq!(w.header("x-national-register").as_deref(), Some("applied"));
        assert_eq!(
            w.body,
            "number,e164,verdict,register\n\
             93000005,+4793000005,reserved,national\n\
             93000006,+4793000006,callable,\n"
        );
    }
);

dual!(
    norm_4_6_3_abandoned_calls_count_with_the_registers_preloaded,
    |app: TestApp| async move {
        let t = token(&app).await;
        app.state.registers.refresh(&app.db).await.unwrap();
        let req = Request::post("/api/v1/abandoned")
            .header("authorization", format!("Bearer {t}"))
            .body(Body::from("912 34 568\n"))
            .unwrap();
        assert_eq!(app.send(req).await.json()["recorded"], 1);
        // Abandoned calls do not move the register version; the wash reads
        // them for its own time window, so no refresh is needed.
        let w = wash(&app, &t, "", "91234568\n").await;
        assert!(w.body.ends_with(",agent-required\n"), "{}", w.body);
        let days = app.state.config.abandoned_agent_required_days;
        app.clock
            .advance(chrono::Duration::days(i64::from(days)) - chrono::Duration::minutes(1));
        let w = wash(&app, &t, "", "91234568\n").await;
        assert!(w.body.ends_with(",agent-required\n"), "{}", w.body);
        app.clock.advance(chrono::Duration::minutes(2));
        let w = wash(&app, &t, "", "91234568\n").await;
        assert!(w.body.ends_with(",callable\n"), "{}", w.body);
    }
);

/// Reads from `sock` into `buf` until it holds `needle`; panics after 10 s
/// or at the end of the stream.
async fn read_until(sock: &mut tokio::net::TcpStream, buf: &mut Vec<u8>, needle: &[u8]) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while !buf.windows(needle.len()).any(|w| w == needle) {
            let mut chunk = [0u8; 4096];
            let n = sock.read(&mut chunk).await.unwrap();
            assert!(
                n > 0,
                "connection closed; got {:?}",
                String::from_utf8_lossy(buf)
            );
            buf.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "waited 10 s for {:?}; got {:?}",
            String::from_utf8_lossy(needle),
            String::from_utf8_lossy(buf)
        )
    });
}

/// The body of a chunked HTTP/1.1 answer.
fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = b.windows(2).position(|w| w == b"\r\n").expect("chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&b[..end]).unwrap().trim(), 16)
            .expect("hex chunk size");
        b = &b[end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

dual!(
    a_client_that_sends_expect_100_continue_gets_it_before_sending_the_list,
    |app: TestApp| async move {
        let t = token(&app).await;
        reserve(&app, "912 34 567").await;
        let (addr, stop) = serve(&app).await;
        let body = "912 34 567\n22 33 44 55\nhallo\n";
        let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /api/v1/wash HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {t}\r\n\
             Content-Type: text/plain\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\
             Connection: close\r\n\r\n",
            body.len()
        );
        sock.write_all(head.as_bytes()).await.unwrap();
        // Nothing of the list is sent yet: the server must invite it.
        let mut got = Vec::new();
        read_until(&mut sock, &mut got, b"\r\n\r\n").await;
        assert!(
            got.starts_with(b"HTTP/1.1 100 Continue\r\n\r\n"),
            "{:?}",
            String::from_utf8_lossy(&got)
        );
        got.drain(..b"HTTP/1.1 100 Continue\r\n\r\n".len());
        sock.write_all(body.as_bytes()).await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), sock.read_to_end(&mut got))
            .await
            .expect("the answer within 10 s")
            .unwrap();
        let text = String::from_utf8_lossy(&got).into_owned();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        let split = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        assert!(
            text[..split]
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{text}"
        );
        assert_eq!(
            String::from_utf8(dechunk(&got[split + 4..])).unwrap(),
            "number,e164,verdict\n\
             912 34 567,+4791234567,reserved\n\
             22 33 44 55,+4722334455,callable\n\
             hallo,,invalid\n"
        );
        let _ = stop.send(());
    }
);

dual!(
    a_client_with_a_wrong_token_is_refused_before_it_sends_the_list,
    |app: TestApp| async move {
        let (addr, stop) = serve(&app).await;
        let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /api/v1/wash HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer inn_wrong\r\n\
             Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n"
        );
        sock.write_all(head.as_bytes()).await.unwrap();
        let mut got = Vec::new();
        read_until(&mut sock, &mut got, b"\r\n\r\n").await;
        assert!(
            got.starts_with(b"HTTP/1.1 401 "),
            "{:?}",
            String::from_utf8_lossy(&got)
        );
        let _ = stop.send(());
    }
);
