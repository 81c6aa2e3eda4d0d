//! Our numbers as open data (norm 4.4.5): `/api/v1/numbers` keeps its
//! fields and gains a documented schema, a CSV form, conditional GET and the
//! numbers retired within 12 months.

use chrono::{Duration, NaiveDate};
use entity::enums::Role;
use entity::{caller_number, campaign, client};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::Value;

use crate::dual;
use crate::support::{TestApp, today};

/// The fields `/api/v1/numbers` gave before the schema; they stay.
const SHIPPED: &[&str] = &[
    "number",
    "centre",
    "centre_org_number",
    "client",
    "client_org_number",
    "campaign",
    "purpose",
    "kind",
    "valid_from",
    "valid_to",
];

/// A second period of an existing campaign's number row, as another
/// number: `e164`, ended on `valid_to`.
async fn add_number(app: &TestApp, e164: &str, from: NaiveDate, to: Option<NaiveDate>) {
    let any = caller_number::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: caller_number::ActiveModel = any.into();
    row.id = sea_orm::ActiveValue::NotSet;
    row.e164 = Set(e164.into());
    row.valid_from = Set(from);
    row.valid_to = Set(to);
    row.insert(&app.db).await.unwrap();
}

dual!(
    norm_4_4_5_the_schema_documents_every_field_the_list_gives_and_old_fields_stay,
    |app: TestApp| async move {
        app.seed_demo().await;
        // A logo set in the back office's client editor is published.
        let admin = app.sign_in_as(Role::Admin).await;
        let vs = client::Entity::find()
            .filter(client::Column::Name.eq("Vestlandsstraum AS"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let path = format!("/admin/oppdragsgivere/{}", vs.id);
        let page = app.get_as(&path, &admin).await;
        assert_eq!(
            page.count("input#logo[name='logo']"),
            1,
            "the editor has the field"
        );
        let bad = app
            .post_as(
                &path,
                &[
                    ("navn", "Vestlandsstraum AS"),
                    ("orgnr", "912 345 678"),
                    ("aktiv", "on"),
                    ("logo", "http://x.example/l.png"),
                ],
                &admin,
            )
            .await;
        assert!(
            bad.count("#logo-error") == 1,
            "http is refused: {}",
            bad.status
        );
        app.post_as(
            &path,
            &[
                ("navn", "Vestlandsstraum AS"),
                ("orgnr", "912 345 678"),
                ("aktiv", "on"),
                ("nettsted", vs.website.as_deref().unwrap_or("")),
                ("beskrivelse", &vs.description),
                ("logo", "https://vestlandsstraum.example/logo.png"),
            ],
            &admin,
        )
        .await;
        let a_day_ago = today(&app) - Duration::days(1);
        add_number(
            &app,
            "+4722334455",
            a_day_ago - Duration::days(60),
            Some(a_day_ago),
        )
        .await;

        let schema = app.get("/api/v1/numbers/schema.json").await;
        assert_eq!(schema.status, 200);
        assert_eq!(
            schema.header("content-type").as_deref(),
            Some("application/schema+json")
        );
        assert_eq!(
            schema.header("access-control-allow-origin").as_deref(),
            Some("*")
        );
        let schema = schema.json();
        let top = schema["properties"].as_object().unwrap();
        let def = &schema["$defs"]["number"];
        let props = def["properties"].as_object().unwrap();
        let required: Vec<&str> = def["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for f in SHIPPED {
            assert!(required.contains(f), "{f} is required in the schema");
        }

        let r = app.get("/api/v1/numbers").await;
        assert_eq!(r.status, 200);
        let j = r.json();
        for key in j.as_object().unwrap().keys() {
            assert!(top.contains_key(key), "top-level {key} is documented");
        }
        assert_eq!(j["schema_version"], "1.1");
        assert!(
            j["schema"]
                .as_str()
                .unwrap()
                .ends_with("/api/v1/numbers/schema.json")
        );
        let all: Vec<&Value> = j["numbers"]
            .as_array()
            .unwrap()
            .iter()
            .chain(j["retired"].as_array().unwrap())
            .collect();
        assert_eq!(all.len(), 5, "4 in use, 1 retired");
        for n in &all {
            let o = n.as_object().unwrap();
            for k in o.keys() {
                assert!(props.contains_key(k), "{k} is documented");
            }
            for k in &required {
                assert!(o.contains_key(*k), "{k} is present in {n}");
            }
            let e164 = o["number"].as_str().unwrap();
            assert!(
                e164.starts_with('+') && e164[1..].chars().all(|c| c.is_ascii_digit()),
                "{e164}"
            );
            assert!(!o["call_reason"].as_str().unwrap().contains('\n'));
        }
        // The logo where set, absent elsewhere (Rich Call Data `icn`).
        for n in &all {
            let logo = n.get("client_logo_url").and_then(Value::as_str);
            if n["client"] == "Vestlandsstraum AS" {
                assert_eq!(logo, Some("https://vestlandsstraum.example/logo.png"));
            } else {
                assert_eq!(logo, None, "{n}");
            }
        }
    }
);

dual!(
    norm_4_4_5_the_csv_has_one_row_per_number_with_a_status,
    |app: TestApp| async move {
        app.seed_demo().await;
        let a_day_ago = today(&app) - Duration::days(1);
        add_number(
            &app,
            "+4722334455",
            a_day_ago - Duration::days(60),
            Some(a_day_ago),
        )
        .await;
        let r = app.get("/api/v1/numbers.csv").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("text/csv; charset=utf-8")
        );
        assert_eq!(
            r.header("access-control-allow-origin").as_deref(),
            Some("*")
        );
        let mut rd = csv::Reader::from_reader(r.body.as_bytes());
        let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(header[0], "status");
        for f in SHIPPED {
            assert!(header.iter().any(|h| h == f), "{f} is a column");
        }
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let status: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (&r[col("number")], &r[col("status")]))
            .collect();
        assert_eq!(
            status.iter().filter(|(_, s)| *s == "active").count(),
            4,
            "{status:?}"
        );
        assert_eq!(
            status
                .iter()
                .filter(|(_, s)| *s == "retired")
                .collect::<Vec<_>>(),
            [&("+4722334455", "retired")]
        );
        // The same numbers as the JSON.
        let j = app.get("/api/v1/numbers").await.json();
        let json_active: Vec<&str> = j["numbers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["number"].as_str().unwrap())
            .collect();
        let csv_active: Vec<&str> = status
            .iter()
            .filter(|(_, s)| *s == "active")
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(json_active, csv_active);
        let vs = rows
            .iter()
            .find(|r| &r[col("number")] == "+4721000010")
            .unwrap();
        assert_eq!(&vs[col("client")], "Vestlandsstraum AS");
        let in_json = j["numbers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["number"] == "+4721000010")
            .unwrap();
        assert_eq!(
            &vs[col("valid_to")],
            in_json["valid_to"].as_str().unwrap_or(""),
            "a date, or empty when open-ended"
        );
    }
);

dual!(
    open_data_answers_304_until_the_catalogue_or_the_date_changes,
    |app: TestApp| async move {
        app.seed_demo().await;
        let first = app.get("/api/v1/numbers").await;
        let etag = first.header("etag").expect("ETag");
        let modified = first.header("last-modified").expect("Last-Modified");
        assert!(modified.ends_with(" GMT"), "{modified}");

        // Asked again with the tag: 304, no body, the same validators.
        let again = app
            .get_with("/api/v1/numbers", &[("if-none-match", &etag)])
            .await;
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag").as_deref(), Some(etag.as_str()));
        assert_eq!(
            again.header("access-control-allow-origin").as_deref(),
            Some("*")
        );
        let since = app
            .get_with("/api/v1/numbers", &[("if-modified-since", &modified)])
            .await;
        assert_eq!(since.status, 304);
        // A later request the same day: the tag holds (generated_at changes, the tag does not).
        app.clock.advance(Duration::hours(2));
        let later = app.get("/api/v1/numbers").await;
        assert_eq!(later.status, 200);
        assert_eq!(later.header("etag").as_deref(), Some(etag.as_str()));
        assert_eq!(
            later.header("last-modified").as_deref(),
            Some(modified.as_str())
        );
        assert_ne!(later.json()["generated_at"], first.json()["generated_at"]);

        // The catalogue changes: a new tag and a later Last-Modified.
        let camp = campaign::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let mut am: campaign::ActiveModel = camp.into();
        am.purpose = Set("Vi ringer for å fortelle om nye priser.".into());
        am.update(&app.db).await.unwrap();
        app.catalogue_changed().await;
        let changed = app
            .get_with("/api/v1/numbers", &[("if-none-match", &etag)])
            .await;
        assert_eq!(changed.status, 200);
        let etag2 = changed.header("etag").unwrap();
        assert_ne!(etag2, etag);
        let modified2 = changed.header("last-modified").unwrap();
        assert_ne!(modified2, modified);
        let old_since = app
            .get_with("/api/v1/numbers", &[("if-modified-since", &modified)])
            .await;
        assert_eq!(old_since.status, 200, "modified since the old date");
        let new_since = app
            .get_with("/api/v1/numbers", &[("if-modified-since", &modified2)])
            .await;
        assert_eq!(new_since.status, 304);

        // The CSV has validators of its own.
        let csv = app.get("/api/v1/numbers.csv").await;
        let csv_tag = csv.header("etag").unwrap();
        assert_ne!(csv_tag, etag2);
        let csv_again = app
            .get_with("/api/v1/numbers.csv", &[("if-none-match", &csv_tag)])
            .await;
        assert_eq!(csv_again.status, 304);

        // The date changes: a new tag (what is in use may have changed).
        app.clock.advance(Duration::days(1));
        let tomorrow = app
            .get_with("/api/v1/numbers", &[("if-none-match", &etag2)])
            .await;
        assert_eq!(tomorrow.status, 200);
        assert_ne!(tomorrow.header("etag").unwrap(), etag2);
    }
);

dual!(
    norm_4_4_5_a_number_retired_last_month_stays_explained_for_12_months,
    |app: TestApp| async move {
        app.seed_demo().await;
        let t = today(&app);
        // Retired a month ago; retired 13 months ago; a number in use with an
        // older, ended period of its own.
        add_number(
            &app,
            "+4722334455",
            t - Duration::days(400),
            Some(t - Duration::days(30)),
        )
        .await;
        add_number(
            &app,
            "+4722334466",
            t - Duration::days(600),
            Some(t - Duration::days(400)),
        )
        .await;
        add_number(
            &app,
            "+4721000010",
            t - Duration::days(600),
            Some(t - Duration::days(300)),
        )
        .await;

        let j = app.get("/api/v1/numbers").await.json();
        let numbers: Vec<&str> = j["numbers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["number"].as_str().unwrap())
            .collect();
        let retired = j["retired"].as_array().unwrap();
        assert_eq!(
            numbers.len(),
            4,
            "the active list stays as documented: {numbers:?}"
        );
        assert!(!numbers.contains(&"+4722334455"));
        assert_eq!(retired.len(), 1, "{retired:?}");
        let r = &retired[0];
        assert_eq!(r["number"], "+4722334455");
        assert_eq!(r["valid_to"], (t - Duration::days(30)).to_string());
        assert!(
            r["client"].as_str().is_some_and(|c| !c.is_empty()),
            "with its last campaign's client"
        );
        assert!(r["purpose"].as_str().is_some_and(|c| !c.is_empty()));

        // Twelve months after its last day it leaves the list.
        app.clock.advance(Duration::days(365 - 30 + 1));
        let j = app.get("/api/v1/numbers").await.json();
        assert!(
            j["retired"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["number"] != "+4722334455"),
            "{}",
            j["retired"]
        );
    }
);

dual!(
    thirty_two_first_requests_at_once_agree_on_one_tag_and_one_last_modified,
    |app: TestApp| async move {
        app.seed_demo().await;
        // The first request of a new list version writes its time; 32 at
        // once get no error and one answer.
        let all = futures_util::future::join_all((0..32).map(|_| app.get("/api/v1/numbers"))).await;
        assert!(
            all.iter().all(|r| r.status == 200),
            "{:?}",
            all.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        let tags: std::collections::BTreeSet<_> = all.iter().map(|r| r.header("etag")).collect();
        let times: std::collections::BTreeSet<_> =
            all.iter().map(|r| r.header("last-modified")).collect();
        assert_eq!((tags.len(), times.len()), (1, 1), "{tags:?} {times:?}");
    }
);
