//! E-mail addresses are one address whatever capitals were typed: stored
//! normalised (rows from before migrated), found by access, erasure and
//! search however the address is written.

use entity::case;
use entity::enums::Role;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::admin_access::open_case;
use crate::dual;
use crate::inbound_mail::deliver;
use crate::support::rows::exists;
use crate::support::{self, Backend, TestApp};

fn mail_from(from: &str, id: &str) -> Vec<u8> {
    format!("From: {from}\r\nSubject: Anrop\r\nMessage-ID: <{id}>\r\n\r\nIkke ring meg.\r\n")
        .into_bytes()
}

async fn reference_of(app: &TestApp, raw: Vec<u8>) -> String {
    let r = deliver(app, raw).await;
    assert_eq!(r.json()["outcome"], "new_case", "{}", r.body);
    r.json()["reference"].as_str().unwrap().to_string()
}

dual!(
    access_and_erasure_find_an_address_whatever_capitals_were_typed_or_stored,
    |app: TestApp| async move {
        // Kari wrote once with capitals, once (on the form) without.
        let by_mail =
            reference_of(&app, mail_from("Kari <Kari@Example.NO>", "k1@example.no")).await;
        let by_form = open_case(&app, Some("kari@example.no"), None).await;
        let other = open_case(&app, Some("kari@example.net"), None).await;
        let s = app.sign_in_as(Role::Admin).await;
        for typed in ["kari@example.no", "Kari@Example.NO", "KARI@EXAMPLE.NO"] {
            let r = app
                .get_as(
                    &format!("/admin/personopplysninger/eksport?q={typed}&format=json"),
                    &s,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(r.body.contains(&by_mail), "{typed} finds the mailed case");
            assert!(r.body.contains(&by_form), "{typed} finds the form's case");
            assert!(!r.body.contains(&other), "nothing of another person");
        }
        let r = app
            .post_as(
                "/admin/personopplysninger/slett",
                &[("q", "kAri@example.No"), ("bekreft", "on")],
                &s,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            !exists(&app, &by_mail).await,
            "erased, though typed with capitals"
        );
        assert!(!exists(&app, &by_form).await);
        assert!(exists(&app, &other).await, "the other person's case stays");
    }
);

dual!(
    search_by_address_finds_a_case_whatever_capitals_beyond_a_to_z,
    |app: TestApp| async move {
        // SQLite's lower() folds A-Z only: "Å" stayed "Å" in a stored
        // address and no query in lower case could find it.
        let åse = open_case(&app, Some("ÅSE.ØDEGÅRD@Eksempel.no"), None).await;
        let s = app.sign_in_as(Role::Handler).await;
        for q in [
            "åse.ødegård@eksempel.no",
            "ÅSE.ØDEGÅRD@EKSEMPEL.NO",
            "Åse.Ødegård",
        ] {
            let qs = serde_urlencoded::to_string([("q", q)]).unwrap();
            let r = app.get_as(&format!("/admin/saker?{qs}"), &s).await;
            assert_eq!(r.status, 200);
            let found = r.attr("tr.case-row", "data-reference");
            assert_eq!(found.as_deref(), Some(åse.as_str()), "{q}");
        }
    }
);

/// Runs every migration before the address migration, stores rows the way
/// older code did, then runs the rest.
async fn the_address_migration_lower_cases_rows_already_stored(backend: Backend) {
    let (url, cleanup) = support::fresh_database(backend).await;
    let config = innsyn::config::Config::from_source(&[("DATABASE_URL", url.as_str())]).unwrap();
    let db = innsyn::app::connect(&config).await.unwrap();
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261130_000010_email_normalised")
        .unwrap();
    Migrator::up(&db, Some(before as u32)).await.unwrap();
    for sql in [
        "INSERT INTO cases (reference, channel, consumer_email, category, status, received_at, due_at) \
         VALUES ('K-2026-000001', 'email', 'Kari@Example.NO', 'other', 'closed', '2026-11-01T10:00:00Z', '2026-11-02T10:00:00Z')",
        "INSERT INTO cases (reference, channel, consumer_email, category, status, received_at, due_at) \
         VALUES ('K-2026-000002', 'email', 'ÅSE@Eksempel.no', 'other', 'open', '2026-11-01T10:00:00Z', '2026-11-02T10:00:00Z')",
        "INSERT INTO cases (reference, channel, category, status, received_at, due_at) \
         VALUES ('K-2026-000003', 'sms', 'other', 'open', '2026-11-01T10:00:00Z', '2026-11-02T10:00:00Z')",
        "INSERT INTO mail_outbox (to_addr, subject, body, message_id, attempts, next_attempt_at, created_at) \
         VALUES ('Kari@Example.NO', 's', 'b', 'm1@nordlys.example', 0, '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z')",
        "INSERT INTO users (email, password_hash, role, active, must_change_password, created_at) \
         VALUES ('Ola@Nordlys.Example', 'x', 'handler', true, false, '2026-11-01T10:00:00Z')",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
    Migrator::up(&db, None).await.unwrap();
    let emails: Vec<Option<String>> = case::Entity::find()
        .order_by_asc(case::Column::Id)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.consumer_email)
        .collect();
    assert_eq!(
        emails,
        [
            Some("kari@example.no".into()),
            Some("åse@eksempel.no".into()),
            None
        ]
    );
    let outbox = entity::mail_outbox::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outbox.to_addr, "kari@example.no");
    let user = entity::user::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.email, "ola@nordlys.example");
    // And the migrated rows are found the way a person types them.
    let typed = innsyn::domain::email::EmailAddress::parse("KARI@example.no").unwrap();
    let found = case::Entity::find()
        .filter(case::Column::ConsumerEmail.eq(typed.as_str()))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(found, 1);
    db.close().await.ok();
    cleanup.run().await;
}

#[tokio::test]
async fn the_address_migration_lower_cases_rows_already_stored_sqlite() {
    the_address_migration_lower_cases_rows_already_stored(Backend::Sqlite).await
}

#[tokio::test]
async fn the_address_migration_lower_cases_rows_already_stored_postgres() {
    the_address_migration_lower_cases_rows_already_stored(Backend::Postgres).await
}
