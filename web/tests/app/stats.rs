//! Statistics for managers (norm 4.3, 4.6.2, 4.4.3) and the norm overview.

use axum::body::Body;
use axum::http::Request;
use chrono::Duration;
use entity::enums::{CaseStatus, Channel, Role};
use entity::{campaign, case, daily_stat};
use innsyn::domain::cases::{NewCase, open_case};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, PaginatorTrait, Set};

use crate::dual;
use crate::support::http::{UploadForm, upload};
use crate::support::{CSRF, TestApp, TestResponse};

const HEADER: &str = "date;campaign;attempted;answered;connected;transferred;abandoned\n";

async fn stored(app: &TestApp) -> Vec<daily_stat::Model> {
    daily_stat::Entity::find().all(&app.db).await.unwrap()
}

dual!(
    norm_4_3_a_dialer_csv_is_stored_whole_or_not_at_all_and_reimport_replaces_the_day,
    |app: TestApp| async move {
        app.seed_demo().await;
        let s = app.sign_in_as(Role::Manager).await;
        let good = format!(
            "{HEADER}2026-11-16;VS-FASTPRIS;1000;600;550;540;20\n2026-11-16;HL-GIVER;300;200;190;185;4\n"
        );
        let r = upload(&app, &s, UploadForm::Statistics, &good).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.text("#import-result").unwrap().contains('2'));
        assert_eq!(stored(&app).await.len(), 2);
        // One bad line: nothing stored, the line named.
        let bad = format!(
            "{HEADER}2026-11-17;VS-FASTPRIS;1000;600;550;540;20\n2026-11-17;NOPE;1;1;1;1;0\n2026-11-17;HL-GIVER;x;1;1;1;0\n"
        );
        let r = upload(&app, &s, UploadForm::Statistics, &bad).await;
        assert_eq!(r.status, 422);
        let errors: Vec<String> = r
            .doc()
            .select(&scraper::Selector::parse(".import-error").unwrap())
            .map(|e| e.text().collect())
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("Linje 4"), "{errors:?}");
        assert_eq!(stored(&app).await.len(), 2, "nothing half-imported");
        // Unknown campaign code: refused with its line.
        let unknown = format!("{HEADER}2026-11-17;NOPE;1;1;1;1;0\n");
        let r = upload(&app, &s, UploadForm::Statistics, &unknown).await;
        assert!(r.text(".import-error").unwrap().starts_with("Linje 2"));
        // Re-importing a day replaces it.
        let again = format!("{HEADER}2026-11-16;VS-FASTPRIS;1000;600;550;540;33\n");
        assert_eq!(
            upload(&app, &s, UploadForm::Statistics, &again)
                .await
                .status,
            200
        );
        let rows = stored(&app).await;
        assert_eq!(rows.len(), 2);
        assert_eq!(rows.iter().map(|r| r.abandoned).max(), Some(33));
        // A handler may not import.
        let h = app.sign_in_as(Role::Handler).await;
        assert_eq!(
            upload(&app, &h, UploadForm::Statistics, &good).await.status,
            403
        );
    }
);

dual!(
    norm_4_6_2_the_page_flags_a_campaign_over_the_abandoned_limit_and_not_one_at_it,
    |app: TestApp| async move {
        app.seed_demo().await;
        let s = app.sign_in_as(Role::Manager).await;
        // 6% over, 5% at the limit, no answered calls at all.
        let csv = format!(
            "{HEADER}2026-11-16;VS-FASTPRIS;200;100;90;90;6\n2026-11-16;HL-GIVER;200;100;95;95;5\n2026-11-16;NFP-HUSHOLDNING;10;0;0;0;0\n"
        );
        upload(&app, &s, UploadForm::Statistics, &csv).await;
        let r = app
            .get_as("/admin/statistikk?from=2026-11-16&to=2026-11-16", &s)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let row = |code: &str| format!("tr.day-row[data-campaign='{code}']");
        assert_eq!(
            r.attr(&row("VS-FASTPRIS"), "class").as_deref(),
            Some("day-row over")
        );
        assert_eq!(
            r.attr(&row("HL-GIVER"), "class").as_deref(),
            Some("day-row")
        );
        assert_eq!(
            r.text(&format!("{} .rate", row("NFP-HUSHOLDNING")))
                .as_deref(),
            Some("–")
        );
        assert_eq!(r.text("tr.totals .abandoned").as_deref(), Some("11"));
        assert_eq!(r.count("svg.chart"), 3);
        assert_eq!(r.count("svg.chart line.limit"), 1);
    }
);

async fn complaint_case(
    app: &TestApp,
    campaign_id: i32,
    client_id: i32,
    received: chrono::DateTime<chrono::Utc>,
    answered_after: Option<Duration>,
    closed: bool,
) -> case::Model {
    let c = open_case(
        &app.db,
        "K",
        NewCase {
            channel: Channel::Web,
            consumer_name: Some("Ola".into()),
            consumer_phone: None,
            consumer_email: Some(
                innsyn::domain::email::EmailAddress::parse("ola@example.no").unwrap(),
            ),
            called_from: None,
            category: "unwanted_call".into(),
            body: "klage".into(),
            source_key: None,
            received_at: received,
        },
    )
    .await
    .unwrap();
    let mut am = c.into_active_model();
    am.campaign_id = Set(Some(campaign_id));
    am.client_id = Set(Some(client_id));
    am.first_response_at = Set(answered_after.map(|d| received + d));
    if closed {
        am.status = Set(CaseStatus::Closed);
        am.closed_at = Set(Some(received + Duration::days(1)));
    }
    am.update(&app.db).await.unwrap()
}

dual!(
    norm_4_3_complaint_counts_and_sla_figures_survive_the_retention_purge,
    |app: TestApp| async move {
        app.seed_demo().await;
        let camp = campaign::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .remove(0);
        let t = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 2, 10, 0, 0).unwrap();
        complaint_case(
            &app,
            camp.id,
            camp.client_id,
            t,
            Some(Duration::hours(2)),
            true,
        )
        .await;
        complaint_case(
            &app,
            camp.id,
            camp.client_id,
            t,
            Some(Duration::hours(30)),
            true,
        )
        .await;
        complaint_case(
            &app,
            camp.id,
            camp.client_id,
            t + Duration::days(1),
            Some(Duration::hours(5)),
            true,
        )
        .await;
        let s = app.sign_in_as(Role::Manager).await;
        let url = "/admin/statistikk?from=2026-03-01&to=2026-03-31";
        let before = app.get_as(url, &s).await;
        assert_eq!(before.text("tr.totals .complaints").as_deref(), Some("3"));
        let share = before.text("tr.sla-overall .share").unwrap();
        // Norwegian format in nb (a non-breaking space before the sign).
        assert_eq!(share.replace('\u{a0}', " "), "66,7 %");
        let counts = innsyn::domain::privacy::retention::run(
            &app.db,
            &app.state.twilio,
            innsyn::domain::time::oslo_today(app.clock_now()),
            app.clock_now(),
            Default::default(),
        )
        .await
        .unwrap();
        assert_eq!(counts["cases"].count, 3);
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 0);
        let after = app.get_as(url, &s).await;
        assert_eq!(
            after.text("tr.totals .complaints"),
            before.text("tr.totals .complaints")
        );
        assert_eq!(after.text("tr.sla-overall"), before.text("tr.sla-overall"));
        assert_eq!(after.count("tr.day-row"), before.count("tr.day-row"));
    }
);

dual!(
    the_xlsx_export_reads_back_as_the_page_and_the_csv_neutralises_formulas,
    |app: TestApp| async move {
        app.seed_demo().await;
        let mut c = campaign::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .remove(0)
            .into_active_model();
        c.name = Set("=cmd|' /C calc'!A0".into());
        let c = c.update(&app.db).await.unwrap();
        let s = app.sign_in_as(Role::Manager).await;
        let csv = format!(
            "{HEADER}2026-11-16;{code};1000;600;550;540;20\n2026-11-17;{code};900;500;450;440;30\n",
            code = c.code
        );
        upload(&app, &s, UploadForm::Statistics, &csv).await;
        let q = "from=2026-11-16&to=2026-11-17";
        let page = app.get_as(&format!("/admin/statistikk?{q}"), &s).await;
        let csv = app
            .get_as(&format!("/admin/statistikk/eksport?{q}&format=csv"), &s)
            .await;
        assert_eq!(csv.status, 200);
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].contains(";'=cmd|"), "{}", lines[1]);
        assert!(!lines[1].contains(";=cmd"));
        // XLSX: read back with calamine.
        let req = Request::get(format!("/admin/statistikk/eksport?{q}&format=xlsx"))
            .header("cookie", format!("{s}; innsyn_csrf={CSRF}"))
            .body(Body::empty())
            .unwrap();
        let resp = tower::ServiceExt::oneshot(app.raw_router(), req)
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        use calamine::{Reader, Xlsx};
        let mut wb: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = wb.worksheet_range("Daglig").unwrap();
        let num = |r: usize, col: usize| sheet.get((r, col)).unwrap().to_string();
        assert_eq!(
            num(1, 5),
            page.text("tr[data-date='2026-11-16'] .answered").unwrap()
        );
        assert_eq!(
            num(2, 8),
            page.text("tr[data-date='2026-11-17'] .abandoned").unwrap()
        );
        assert_eq!(num(3, 4), page.text("tr.totals .attempted").unwrap());
        assert_eq!(
            sheet.get((1, 2)).unwrap().to_string(),
            "'=cmd|' /C calc'!A0"
        );
        assert!(wb.sheet_names().contains(&"Uke".to_string()));
        // Every export is audited.
        let log = entity::audit_log::Entity::find()
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(log.iter().filter(|a| a.action == "stats.export").count(), 2);
    }
);

dual!(
    the_stats_api_takes_figures_and_exports_with_a_token_and_refuses_without,
    |app: TestApp| async move {
        app.seed_demo().await;
        let (_, token) =
            innsyn::domain::dialer::api_tokens::create(&app.db, "dialer", app.clock_now())
                .await
                .unwrap();
        let post = |auth: Option<String>, body: &'static str| {
            let mut b =
                Request::post("/api/v1/stats/daily").header("content-type", "application/json");
            if let Some(a) = auth {
                b = b.header("authorization", a);
            }
            b.body(Body::from(body)).unwrap()
        };
        let body = r#"[{"date":"2026-11-16","campaign":"VS-FASTPRIS","attempted":10,"answered":8,"connected":8,"transferred":7,"abandoned":1}]"#;
        assert_eq!(app.send(post(None, body)).await.status, 401);
        assert_eq!(
            app.send(post(Some("Bearer inn_wrong".into()), body))
                .await
                .status,
            401
        );
        assert_eq!(stored(&app).await.len(), 0);
        let r = app.send(post(Some(format!("Bearer {token}")), body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(stored(&app).await.len(), 1);
        let bad = r#"{"date":"2026-11-16","campaign":"VS-FASTPRIS","attempted":1,"answered":8,"connected":8,"transferred":7,"abandoned":1}"#;
        let r = app.send(post(Some(format!("Bearer {token}")), bad)).await;
        assert_eq!(r.status, 422);
        let r = app
            .get_with(
                "/api/v1/stats?from=2026-11-16&to=2026-11-16&format=json",
                &[("authorization", &format!("Bearer {token}"))],
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["totals"]["answered"], 8);
        assert_eq!(app.get("/api/v1/stats?format=json").await.status, 401);
    }
);

dual!(
    the_norm_overview_turns_red_for_each_seeded_violation_and_green_when_fixed,
    |app: TestApp| async move {
        app.seed_demo().await;
        let s = app.sign_in_as(Role::Manager).await;
        let status = |r: &TestResponse, key: &str| {
            r.attr(&format!("tr.norm-check[data-key='{key}']"), "class")
                .unwrap()
        };
        // Violations: a case 25 hours old, a campaign over the limit, a number whose message lacks facts.
        let camp = campaign::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .remove(0);
        complaint_case(
            &app,
            camp.id,
            camp.client_id,
            app.clock_now() - Duration::hours(25),
            None,
            false,
        )
        .await;
        let csv = format!(
            "{HEADER}{};{};100;100;90;90;9\n",
            (app.clock_now() - Duration::days(2)).date_naive(),
            camp.code
        );
        upload(&app, &s, UploadForm::Statistics, &csv).await;
        let n = entity::caller_number::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let mut am = n.clone().into_active_model();
        am.message = Set("Hei, vi ringte deg.".into());
        let n_bad = am.update(&app.db).await.unwrap();
        let r = app.get_as("/admin/norm", &s).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(status(&r, "norm-oldest"), "norm-check red");
        assert_eq!(status(&r, "norm-late-this-month"), "norm-check red");
        assert_eq!(status(&r, "norm-abandoned"), "norm-check red");
        assert_eq!(status(&r, "norm-messages"), "norm-check red");
        assert_eq!(status(&r, "norm-stats-coverage"), "norm-check red");
        assert_eq!(status(&r, "norm-public-pages"), "norm-check green");
        // Fix them.
        let c = case::Entity::find().one(&app.db).await.unwrap().unwrap();
        let mut am = c.into_active_model();
        am.first_response_at = Set(Some(app.clock_now() - Duration::hours(24)));
        am.status = Set(CaseStatus::Answered);
        am.update(&app.db).await.unwrap();
        let fixed = format!(
            "{HEADER}{};{};100;100;96;96;4\n",
            (app.clock_now() - Duration::days(2)).date_naive(),
            camp.code
        );
        upload(&app, &s, UploadForm::Statistics, &fixed).await;
        let original = n.message.clone();
        let mut am = n_bad.into_active_model();
        am.message = Set(original);
        am.update(&app.db).await.unwrap();
        let r = app.get_as("/admin/norm", &s).await;
        assert_eq!(status(&r, "norm-oldest"), "norm-check green");
        assert_eq!(status(&r, "norm-abandoned"), "norm-check green");
        assert_eq!(status(&r, "norm-messages"), "norm-check green");
    }
);

dual!(
    the_back_office_xlsx_speaks_the_managers_language_and_its_csv_opens_in_excel_while_the_api_stays_as_documented,
    |app: TestApp| async move {
        app.seed_demo().await;
        let s = app.sign_in_as(Role::Manager).await;
        let code = campaign::Entity::find().all(&app.db).await.unwrap()[0].code.clone();
        let csv = format!("{HEADER}2026-11-16;{code};1000;600;550;540;20\n");
        upload(&app, &s, UploadForm::Statistics, &csv).await;
        let q = "from=2026-11-16&to=2026-11-16";
        let xlsx_headers = |lang: &'static str| {
            let app = &app;
            let s = s.clone();
            async move {
                let req = Request::get(format!("/admin/statistikk/eksport?{q}&format=xlsx&lang={lang}"))
                    .header("cookie", format!("{s}; innsyn_csrf={CSRF}"))
                    .body(Body::empty())
                    .unwrap();
                let resp = tower::ServiceExt::oneshot(app.raw_router(), req).await.unwrap();
                assert_eq!(resp.status(), 200);
                let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
                use calamine::{Reader, Xlsx};
                let mut wb: Xlsx<_> =
                    calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
                let sheet = wb.worksheet_range("Daglig").unwrap();
                (0..4).map(|c| sheet.get((0, c)).unwrap().to_string()).collect::<Vec<_>>()
            }
        };
        assert_eq!(xlsx_headers("nb").await, ["Dato", "Kampanjekode", "Kampanje", "Oppdragsgiver"]);
        assert_eq!(xlsx_headers("en").await, ["Date", "Campaign code", "Campaign", "Client"]);
        // The back office's CSV starts with the UTF-8 byte order mark.
        let r = app
            .get_as(&format!("/admin/statistikk/eksport?{q}&format=csv"), &s)
            .await;
        assert!(r.body.starts_with('\u{feff}'), "{:?}", &r.body[..10]);
        // The API's CSV is exactly as documented: no mark, the column codes.
        let (_, token) = innsyn::domain::dialer::api_tokens::create(&app.db, "dialer", app.clock_now())
            .await
            .unwrap();
        let r = app
            .send(
                Request::get(format!("/api/v1/stats?{q}&format=csv"))
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(r.body.starts_with("date;campaign;campaign_name;client;"), "{}", r.body);
    }
);

dual!(
    an_export_holds_exactly_the_days_of_its_period_and_the_campaign_asked_for,
    |app: TestApp| async move {
        app.seed_demo().await;
        let s = app.sign_in_as(Role::Manager).await;
        let camps = campaign::Entity::find().all(&app.db).await.unwrap();
        let (a, b) = (&camps[0], &camps[1]);
        let mut csv = String::from(HEADER);
        for day in 14..=18 {
            csv.push_str(&format!(
                "2026-11-{day};{};{};600;550;540;{day}\n",
                a.code,
                1000 + day
            ));
            csv.push_str(&format!(
                "2026-11-{day};{};{};300;290;280;1\n",
                b.code,
                500 + day
            ));
        }
        assert_eq!(
            upload(&app, &s, UploadForm::Statistics, &csv).await.status,
            200
        );
        let days = |kampanje: String| {
            let app = &app;
            let s = s.clone();
            async move {
                let r = app
                    .get_as(
                        &format!("/admin/statistikk/eksport?from=2026-11-15&to=2026-11-17{kampanje}&format=csv"),
                        &s,
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
                r.body
                    .trim_start_matches('\u{feff}')
                    .lines()
                    .skip(1)
                    .map(|l| {
                        let f: Vec<&str> = l.split(';').collect();
                        format!("{} {} {} {}", f[0], f[1], f[4], f[8])
                    })
                    .collect::<Vec<_>>()
            }
        };
        // Both ends of the period count; days outside do not; ordered by
        // day, then campaign code.
        let mut both = Vec::new();
        for day in 15..=17 {
            let mut pair = [
                format!("2026-11-{day} {} {} {day}", a.code, 1000 + day),
                format!("2026-11-{day} {} {} 1", b.code, 500 + day),
            ];
            pair.sort();
            both.extend(pair);
        }
        assert_eq!(days(String::new()).await, both);
        let only_a: Vec<String> = (15..=17)
            .map(|day| format!("2026-11-{day} {} {} {day}", a.code, 1000 + day))
            .collect();
        assert_eq!(days(format!("&kampanje={}", a.id)).await, only_a);
    }
);
