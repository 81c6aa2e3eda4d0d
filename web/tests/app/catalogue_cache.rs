//! The public catalogue in memory (issue 19): the lookup, `/oppdragsgivere`,
//! every page's centre and the open data answer from a snapshot; a change
//! made on one instance reaches another within 2 seconds of its clock.

use chrono::Duration;
use entity::enums::Role;
use entity::{campaign, client};
use sea_orm::EntityTrait;

use crate::dual;
use crate::support::TestApp;

/// A new caller number for the demo campaign `VS-FASTPRIS`, through the
/// back office of `app` (a complete answering-machine message).
async fn add_number_in_back_office(app: &TestApp, written: &str) {
    let s = app.sign_in_as(Role::Admin).await;
    let camp = campaign::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.code == "VS-FASTPRIS")
        .unwrap();
    let centre = innsyn::domain::catalogue::centre::get(&app.db)
        .await
        .unwrap();
    let message = format!(
        "Hei, det var {} som ringte deg på vegne av Vestlandsstraum AS. Ring oss på {}.",
        centre.name, centre.contact_phone
    );
    let r = app
        .post_as(
            "/admin/numre",
            &[
                ("nummer", written),
                ("kampanje", &camp.id.to_string()),
                ("gyldig_fra", "2026-11-01"),
                ("melding", &message),
            ],
            &s,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

/// The client named `name` of what `/oppdragsgivere` lists on `app`.
async fn listed_clients(app: &TestApp) -> Vec<String> {
    let r = app.get("/oppdragsgivere").await;
    assert_eq!(r.status, 200);
    let d = r.doc();
    let s = scraper::Selector::parse("section.client h2").unwrap();
    d.select(&s).map(|e| e.text().collect()).collect()
}

async fn lookup_hit(app: &TestApp, nummer: &str) -> Option<String> {
    let r = app.get(&format!("/hvem-ringte?nummer={nummer}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.text(".hit .client-name")
}

dual!(
    a_number_added_on_one_instance_reaches_another_instances_lookup_after_one_second_and_within_two,
    |a: TestApp| async move {
        a.seed_demo().await;
        let b = a.another_instance().await;
        // B reads the catalogue once: the new number is not ours yet.
        assert_eq!(lookup_hit(&b, "21000077").await, None);
        let numbers_on_b = |r: &crate::support::TestResponse| r.count("a.number");
        let before = numbers_on_b(&b.get("/oppdragsgivere").await);

        add_number_in_back_office(&a, "21 00 00 77").await;
        // The instance that made the change sees it at once.
        assert_eq!(
            lookup_hit(&a, "21000077").await.as_deref(),
            Some("Vestlandsstraum AS")
        );
        // B answers from its snapshot until a second has passed on its clock.
        assert_eq!(lookup_hit(&b, "21000077").await, None);
        b.clock.advance(Duration::milliseconds(900));
        assert_eq!(lookup_hit(&b, "21000077").await, None);
        assert_eq!(numbers_on_b(&b.get("/oppdragsgivere").await), before);
        // Two seconds after the change, B has it: lookup and clients page.
        b.clock.advance(Duration::milliseconds(1100));
        assert_eq!(
            lookup_hit(&b, "21000077").await.as_deref(),
            Some("Vestlandsstraum AS")
        );
        let r = b.get("/oppdragsgivere").await;
        assert_eq!(numbers_on_b(&r), before + 1);
        assert_eq!(
            r.count("a.number[href='/hvem-ringte?nummer=%2B4721000077']"),
            1
        );
    }
);

dual!(
    a_client_and_the_centre_changed_on_one_instance_reach_another_instances_pages_within_two_seconds,
    |a: TestApp| async move {
        a.seed_demo().await;
        let b = a.another_instance().await;
        let all = listed_clients(&b).await;
        assert!(all.iter().any(|n| n == "Stiftelsen Hjertelaget"), "{all:?}");
        assert_eq!(
            b.get("/").await.text("footer strong").as_deref(),
            Some("Nordlys Kundedialog AS")
        );

        // A deactivates a client and renames the centre.
        let s = a.sign_in_as(Role::Admin).await;
        let hjerte = client::Entity::find()
            .all(&a.db)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.name == "Stiftelsen Hjertelaget")
            .unwrap();
        let r = a
            .post_as(
                &format!("/admin/oppdragsgivere/{}", hjerte.id),
                &[
                    ("navn", &hjerte.name),
                    ("orgnr", &hjerte.org_number),
                    ("beskrivelse", &hjerte.description),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let r = a
            .post_as(
                "/admin/innstillinger",
                &[
                    ("navn", "Nordlys Nye AS"),
                    ("orgnr", "923 456 789"),
                    ("telefon", "21 00 00 00"),
                    ("epost", "post@nordlys-kundedialog.example"),
                    ("adresse", "Storgata 1, 0155 Oslo"),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(!listed_clients(&a).await.contains(&hjerte.name));

        // B: still the snapshot half a second later, fresh two seconds later.
        b.clock.advance(Duration::milliseconds(500));
        assert!(listed_clients(&b).await.contains(&hjerte.name));
        b.clock.advance(Duration::milliseconds(1500));
        let now = listed_clients(&b).await;
        assert!(!now.contains(&hjerte.name), "{now:?}");
        assert_eq!(now.len(), all.len() - 1);
        assert_eq!(
            b.get("/hvem-ringte").await.text("footer strong").as_deref(),
            Some("Nordlys Nye AS")
        );
    }
);

dual!(
    the_open_data_tag_changes_on_another_instance_after_a_catalogue_change,
    |a: TestApp| async move {
        a.seed_demo().await;
        let b = a.another_instance().await;
        let first = b.get("/api/v1/numbers").await;
        let etag = first.header("etag").expect("ETag");
        let csv_tag = b.get("/api/v1/numbers.csv").await.header("etag").unwrap();

        add_number_in_back_office(&a, "21 00 00 77").await;
        let on_a = a.get("/api/v1/numbers").await;
        assert_ne!(on_a.header("etag").unwrap(), etag, "A sees its change");

        // B: the same list (304) until its next check, then the new one.
        let same = b
            .get_with("/api/v1/numbers", &[("if-none-match", &etag)])
            .await;
        assert_eq!(same.status, 304);
        b.clock.advance(Duration::seconds(2));
        let changed = b
            .get_with("/api/v1/numbers", &[("if-none-match", &etag)])
            .await;
        assert_eq!(changed.status, 200);
        assert_eq!(changed.header("etag"), on_a.header("etag"));
        assert!(
            changed.json()["numbers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["number"] == "+4721000077")
        );
        let csv = b
            .get_with("/api/v1/numbers.csv", &[("if-none-match", &csv_tag)])
            .await;
        assert_eq!(csv.status, 200);
        assert!(csv.body.contains("+4721000077"));
    }
);

dual!(
    a_lookup_keeps_answering_from_the_snapshot_when_the_database_goes_away,
    |a: TestApp| async move {
        a.seed_demo().await;
        let b = a.another_instance().await;
        assert_eq!(
            lookup_hit(&b, "21000010").await.as_deref(),
            Some("Vestlandsstraum AS")
        );
        // B's connection pool closes: every query of B's fails from now on.
        b.db.clone().close().await.unwrap();
        assert!(
            innsyn::domain::catalogue::memory::version(&b.db)
                .await
                .is_err(),
            "the database is away for B"
        );
        // Past the next check (which fails), B still explains its numbers.
        b.clock.advance(Duration::seconds(2));
        assert_eq!(
            lookup_hit(&b, "21000010").await.as_deref(),
            Some("Vestlandsstraum AS")
        );
        assert_eq!(lookup_hit(&b, "99887766").await, None, "a miss is a miss");
        b.clock.advance(Duration::seconds(5));
        let r = b.get("/hvem-ringte?nummer=21+00+00+10").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.text(".hit .centre-name").as_deref(),
            Some("Nordlys Kundedialog AS")
        );
    }
);

dual!(
    thirty_two_concurrent_lookups_on_a_cold_instance_and_across_a_reload_all_answer,
    |a: TestApp| async move {
        a.seed_demo().await;
        let b = a.another_instance().await;
        // The first 32 at once share one load.
        let all = futures_util::future::join_all((0..32).map(|i| {
            b.get(if i % 2 == 0 {
                "/hvem-ringte?nummer=21000010"
            } else {
                "/hvem-ringte?nummer=99887766"
            })
        }))
        .await;
        for (i, r) in all.iter().enumerate() {
            assert_eq!(r.status, 200);
            let hit = r.text(".hit .client-name");
            if i % 2 == 0 {
                assert_eq!(hit.as_deref(), Some("Vestlandsstraum AS"));
            } else {
                assert_eq!(hit, None);
            }
        }
        // A change, then 32 at once past the check: one reloads, the
        // others answer from the snapshot meanwhile; none fails.
        add_number_in_back_office(&a, "21 00 00 77").await;
        b.clock.advance(Duration::seconds(2));
        let all =
            futures_util::future::join_all((0..32).map(|_| b.get("/hvem-ringte?nummer=21000077")))
                .await;
        assert!(all.iter().all(|r| r.status == 200));
        assert_eq!(
            lookup_hit(&b, "21000077").await.as_deref(),
            Some("Vestlandsstraum AS")
        );
    }
);
