//! The dialer API: calling hours, tokens, the wash, abandoned calls.

use axum::body::Body;
use axum::http::Request;
use entity::{api_token, audit_log, campaign, wash_run};
use innsyn::domain::phone::E164;
use innsyn::domain::{dialer::api_tokens, dialer::registers};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::dual;
use crate::support::dialer::reserve;
use crate::support::{TestApp, TestResponse};

async fn new_token(app: &TestApp) -> (i32, String) {
    let (row, token) = api_tokens::create(&app.db, "dialer-test", app.clock_now())
        .await
        .unwrap();
    (row.id, token)
}

async fn post_api(app: &TestApp, path: &str, token: Option<&str>, body: &str) -> TestResponse {
    let mut b = Request::post(path).header("content-type", "text/plain");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    app.send(b.body(Body::from(body.to_string())).unwrap())
        .await
}

async fn wash_runs(app: &TestApp) -> u64 {
    wash_run::Entity::find().count(&app.db).await.unwrap()
}

dual!(
    norm_4_2_i_call_window_api_answers_allowed_reason_holiday_and_next_time,
    |app: TestApp| async move {
        // Maundy Thursday 2026 at noon.
        let r = app
            .get("/api/v1/call-window?at=2026-04-02T12:00:00%2B02:00")
            .await;
        assert_eq!(r.status, 200);
        let j = r.json();
        assert_eq!(j["allowed"], false);
        assert_eq!(j["reason"], "public_holiday");
        assert_eq!(j["holiday"], "Skjærtorsdag");
        assert_eq!(j["next_allowed_at"], "2026-04-07T09:00:00+02:00");
        // 20:59 Oslo on a Wednesday in winter, given in UTC.
        let j = app
            .get("/api/v1/call-window?at=2026-11-18T19:59:00Z")
            .await
            .json();
        assert_eq!(j["allowed"], true);
        assert!(j["reason"].is_null() && j["holiday"].is_null());
        let j = app
            .get("/api/v1/call-window?at=2026-11-18T20:00:00Z")
            .await
            .json();
        assert_eq!(j["reason"], "after_21");
        assert_eq!(j["next_allowed_at"], "2026-11-19T09:00:00+01:00");
        // Saturday 17 May 2025... a Saturday and Grunnlovsdag: the holiday is named.
        let j = app
            .get("/api/v1/call-window?at=2025-05-17T10:00:00%2B02:00")
            .await
            .json();
        assert_eq!(j["holiday"], "Grunnlovsdag");
        assert_eq!(j["next_allowed_at"], "2025-05-19T09:00:00+02:00");
        // Without `at`: now (the test clock, Wednesday 11:00 in Oslo).
        let j = app.get("/api/v1/call-window").await.json();
        assert_eq!(j["allowed"], true);
        assert_eq!(j["next_allowed_at"], "2026-11-18T11:00:00+01:00");
    }
);

dual!(
    norm_4_2_i_call_window_refuses_a_bad_time_with_a_clear_json_message,
    |app: TestApp| async move {
        let r = app.get("/api/v1/call-window?at=tomorrow").await;
        assert_eq!(r.status, 400);
        let j = r.json();
        assert_eq!(j["error"], "bad_at");
        assert!(j["message"].as_str().unwrap().contains("RFC 3339"));
    }
);

dual!(
    norm_4_2_i_the_reservation_page_states_the_calling_hours,
    |app: TestApp| async move {
        let r = app.get("/reservasjon").await;
        assert!(
            r.body
                .contains("Vi ringer bare på hverdager mellom kl. 09 og 21")
        );
    }
);

dual!(
    norm_4_4_4_wash_gives_every_verdict_in_input_order_and_reports_invalid_lines,
    |app: TestApp| async move {
        let (_, token) = new_token(&app).await;
        reserve(&app, "91234567").await;
        let r = post_api(
            &app,
            "/api/v1/abandoned",
            Some(&token),
            r#"{"numbers": ["+47 412 34 567", "not a number"]}"#,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["recorded"], 1);
        assert_eq!(r.json()["invalid"], 1);
        let input = "22 33 44 55\n912 34 567\nhello\n0047 41234567\n\n+46 8 123 456 78\n12345\n";
        let r = post_api(&app, "/api/v1/wash", Some(&token), input).await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").unwrap().starts_with("text/csv"));
        assert_eq!(
            r.body,
            "number,e164,verdict\n\
             22 33 44 55,+4722334455,callable\n\
             912 34 567,+4791234567,reserved\n\
             hello,,invalid\n\
             0047 41234567,+4741234567,agent-required\n\
             ,,invalid\n\
             +46 8 123 456 78,+46812345678,callable\n\
             12345,,invalid\n"
        );
        let only = post_api(&app, "/api/v1/wash?only=callable", Some(&token), input).await;
        assert_eq!(only.body, "+4722334455\n+46812345678\n");
        // CSV with a header naming the `number` column.
        let csv = "id;number;name\n1;912 34 567;Ola\n2;+47 22 33 44 55;Kari\n";
        let r = post_api(&app, "/api/v1/wash", Some(&token), csv).await;
        assert_eq!(
            r.body,
            "number,e164,verdict\n912 34 567,+4791234567,reserved\n+47 22 33 44 55,+4722334455,callable\n"
        );
    }
);

dual!(
    norm_4_4_4_a_reservation_made_on_the_web_is_seen_by_the_next_wash,
    |app: TestApp| async move {
        let (_, token) = new_token(&app).await;
        reserve(&app, "22 33 44 66").await; // the register is loaded and cached
        let before = post_api(&app, "/api/v1/wash", Some(&token), "93000001\n").await;
        assert_eq!(
            before.body,
            "number,e164,verdict\n93000001,+4793000001,callable\n"
        );
        let r = app
            .post_form("/reservasjon", &[("nummer", "930 00 001")])
            .await;
        assert_eq!(r.status, 200);
        let after = post_api(&app, "/api/v1/wash", Some(&token), "93000001\n").await;
        assert_eq!(
            after.body,
            "number,e164,verdict\n93000001,+4793000001,reserved\n"
        );
    }
);

dual!(
    norm_4_4_4_a_client_register_applies_only_to_that_clients_campaigns,
    |app: TestApp| async move {
        app.seed_demo().await;
        let (_, token) = new_token(&app).await;
        let vs = campaign::Entity::find()
            .filter(campaign::Column::Code.eq("VS-FASTPRIS"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let report = registers::import_client_register(
            &app.db,
            vs.client_id,
            "number\n934 56 789\nnonsense\n+47 934 56 789\n".as_bytes(),
            app.clock_now(),
        )
        .await
        .unwrap();
        assert_eq!(report.added, 1);
        assert_eq!(report.invalid_lines, vec![3]);
        let line = "93456789\n";
        let own = post_api(
            &app,
            "/api/v1/wash?campaign=VS-FASTPRIS",
            Some(&token),
            line,
        )
        .await;
        assert!(own.body.ends_with(",reserved\n"), "{}", own.body);
        let other = post_api(&app, "/api/v1/wash?campaign=HL-GIVER", Some(&token), line).await;
        assert!(other.body.ends_with(",callable\n"), "{}", other.body);
        let none = post_api(&app, "/api/v1/wash", Some(&token), line).await;
        assert!(none.body.ends_with(",callable\n"), "{}", none.body);
        let unknown = post_api(&app, "/api/v1/wash?campaign=NOPE", Some(&token), line).await;
        assert_eq!(unknown.status, 404);
        // The run is on file for the campaign.
        let runs = wash_run::Entity::find()
            .filter(wash_run::Column::CampaignId.eq(vs.id))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!((runs[0].count_in, runs[0].count_callable), (1, 0));
    }
);

dual!(
    norm_4_4_4_a_client_register_is_read_as_csv_quoted_fields_and_all,
    |app: TestApp| async move {
        app.seed_demo().await;
        let vs = campaign::Entity::find()
            .filter(campaign::Column::Code.eq("VS-FASTPRIS"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        // The number in the second column, quoted; the other fields hold
        // the delimiter in quotes, doubled quotes and a lone quote.
        let csv = "\"Navn, fullt\";\"Nummer\";Merknad\n\
                   \"Nordmann, Ola\";\"934 56 789\";ok\n\
                   O\"Brien;934 56 780;\n\
                   Kari;\"\"\"934 56 781\"\"\";\"sa \"\"nei\"\"\"\n\
                   Per;ikke et nummer;\n";
        let report = registers::import_client_register(
            &app.db,
            vs.client_id,
            csv.as_bytes(),
            app.clock_now(),
        )
        .await
        .unwrap();
        assert_eq!(report.added, 3);
        // Line numbers count the header as line 1.
        assert_eq!(report.invalid_lines, vec![5]);
    }
);

dual!(
    norm_4_6_3_abandoned_numbers_need_an_agent_for_the_configured_days,
    |app: TestApp| async move {
        let (_, token) = new_token(&app).await;
        let r = post_api(&app, "/api/v1/abandoned", Some(&token), "912 34 568\n").await;
        assert_eq!(r.json()["recorded"], 1);
        let w = post_api(&app, "/api/v1/wash", Some(&token), "91234568").await;
        assert!(w.body.ends_with(",agent-required\n"), "{}", w.body);
        app.clock.advance(chrono::Duration::days(31));
        let w = post_api(&app, "/api/v1/wash", Some(&token), "91234568").await;
        assert!(w.body.ends_with(",callable\n"), "{}", w.body);
    }
);

dual!(
    norm_4_2_i_a_wash_for_a_forbidden_time_is_refused_and_nothing_washed,
    |app: TestApp| async move {
        let (_, token) = new_token(&app).await;
        let r = post_api(
            &app,
            "/api/v1/wash?at=2026-11-21T12:00:00%2B01:00",
            Some(&token),
            "91234567\n",
        )
        .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["reason"], "weekend");
        assert_eq!(r.json()["next_allowed_at"], "2026-11-23T09:00:00+01:00");
        assert_eq!(wash_runs(&app).await, 0);
        let ok = post_api(
            &app,
            "/api/v1/wash?at=2026-11-23T09:00:00%2B01:00",
            Some(&token),
            "91234567\n",
        )
        .await;
        assert_eq!(ok.status, 200);
    }
);

dual!(
    api_tokens_missing_wrong_or_revoked_get_401_and_nothing_is_processed,
    |app: TestApp| async move {
        let (id, token) = new_token(&app).await;
        let wrong = format!("{}x", &token[..token.len() - 1]);
        for t in [None, Some("not-a-token"), Some(wrong.as_str())] {
            let r = post_api(&app, "/api/v1/wash", t, "91234567\n").await;
            assert_eq!(r.status, 401, "{t:?}");
            assert_eq!(r.json()["error"], "unauthorized");
            let r = post_api(&app, "/api/v1/abandoned", t, "91234567\n").await;
            assert_eq!(r.status, 401);
        }
        assert!(
            api_tokens::revoke(&app.db, id, app.clock_now())
                .await
                .unwrap()
        );
        let r = post_api(&app, "/api/v1/wash", Some(&token), "91234567\n").await;
        assert_eq!(r.status, 401);
        assert_eq!(wash_runs(&app).await, 0);
        assert_eq!(
            entity::abandoned_call::Entity::find()
                .count(&app.db)
                .await
                .unwrap(),
            0
        );
        assert_eq!(audit_log::Entity::find().count(&app.db).await.unwrap(), 0);
    }
);

dual!(
    every_wash_is_recorded_and_audited_against_its_token_without_numbers,
    |app: TestApp| async move {
        let (id, token) = new_token(&app).await;
        let r = post_api(&app, "/api/v1/wash", Some(&token), "91234567\nx\n").await;
        assert_eq!(r.status, 200);
        let runs = wash_run::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].token_id, Some(id));
        assert_eq!(runs[0].user_id, None);
        assert_eq!((runs[0].count_in, runs[0].count_callable), (2, 1));
        let audit = audit_log::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "api.wash");
        assert_eq!(audit[0].object_type.as_deref(), Some("api_token"));
        assert_eq!(audit[0].object_id, Some(id.to_string()));
        let detail = audit[0].detail.clone().unwrap();
        assert!(
            detail.contains("in=2") && !detail.contains("9123"),
            "{detail}"
        );
        let t = api_token::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.last_used_at, Some(app.clock_now()));
    }
);

dual!(
    the_stored_token_is_not_the_token_but_its_sha256,
    |app: TestApp| async move {
        let (id, token) = new_token(&app).await;
        assert!(token.starts_with("inn_"));
        let row = api_token::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(row.token_hash, token);
        assert!(!row.token_hash.contains(&token[4..]));
        use sha2::Digest;
        assert_eq!(
            row.token_hash,
            hex::encode(sha2::Sha256::digest(token.as_bytes()))
        );
    }
);

dual!(
    norm_4_4_4_a_long_list_comes_back_whole_and_in_order,
    |app: TestApp| async move {
        let (_, token) = new_token(&app).await;
        reserve(&app, "90000002").await;
        let lines_in: Vec<String> = (0..30_000u32)
            .map(|i| {
                if i % 1000 == 999 {
                    "???".to_string()
                } else {
                    (90_000_000 + i).to_string()
                }
            })
            .collect();
        let input = lines_in.join("\n");
        let r = post_api(&app, "/api/v1/wash", Some(&token), &input).await;
        assert_eq!(r.status, 200);
        let out: Vec<&str> = r.body.lines().collect();
        assert_eq!(out.len(), 30_001);
        for (o, i) in out[1..].iter().zip(&lines_in) {
            let expected = match i.as_str() {
                "???" => "???,,invalid".to_string(),
                "90000002" => "90000002,+4790000002,reserved".to_string(),
                n => format!("{n},+47{n},callable"),
            };
            assert_eq!(*o, expected);
        }
        let runs = wash_run::Entity::find().all(&app.db).await.unwrap();
        assert_eq!((runs[0].count_in, runs[0].count_callable), (30_000, 29_969));
    }
);

dual!(
    the_call_window_is_rate_limited_with_a_json_answer,
    configure = |c| c.rate_limit_lookup_per_minute = 2,
    |app: TestApp| async move {
        for _ in 0..2 {
            assert_eq!(app.get("/api/v1/call-window").await.status, 200);
        }
        let r = app.get("/api/v1/call-window").await;
        assert_eq!(r.status, 429);
        assert!(r.header("retry-after").is_some());
        assert_eq!(r.json()["error"], "ratelimit");
    }
);

dual!(
    the_register_in_memory_catches_up_on_additions_and_notices_removals,
    |app: TestApp| async move {
        use innsyn::domain::phone::e164_key;
        let key = |n: &str| e164_key(E164::parse(n).unwrap().as_str()).unwrap();
        reserve(&app, "91111111").await;
        let s1 = app.state.registers.centre(&app.db).await.unwrap();
        assert!(s1.contains(key("91111111")));
        reserve(&app, "92222222").await;
        let s2 = app.state.registers.centre(&app.db).await.unwrap();
        assert!(s2.contains(key("91111111")) && s2.contains(key("92222222")));
        assert!(
            !s1.contains(key("92222222")),
            "a wash in progress keeps its copy"
        );
        // A row removed outside the domain functions, then a write: the row
        // count no longer adds up, so the register is read whole again.
        entity::reservation::Entity::delete_many()
            .filter(entity::reservation::Column::E164.eq("+4791111111"))
            .exec(&app.db)
            .await
            .unwrap();
        reserve(&app, "93333333").await;
        let s3 = app.state.registers.centre(&app.db).await.unwrap();
        assert!(!s3.contains(key("91111111")));
        assert!(s3.contains(key("92222222")) && s3.contains(key("93333333")));
        assert_eq!(s3.len(), 2);
    }
);

dual!(
    call_window_accepts_the_documented_years_in_the_callers_own_offset,
    |app: TestApp| async move {
        for ok in ["1900-01-01T00:00:00%2B01:00", "2200-12-31T23:59:59-05:00"] {
            let r = app.get(&format!("/api/v1/call-window?at={ok}")).await;
            assert_eq!(r.status, 200, "{ok}: {}", r.body);
        }
        for bad in ["1899-12-31T23:59:59%2B01:00", "2201-01-01T00:00:00%2B14:00"] {
            let r = app.get(&format!("/api/v1/call-window?at={bad}")).await;
            assert_eq!(r.status, 400, "{bad}: {}", r.body);
        }
    }
);
