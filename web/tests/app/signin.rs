//! Sessions end with the password (reset, change) and with deactivation;
//! sign-in limits hold under parallel guessing and never let one address
//! lock a staff member out; typed sign-in addresses stay out of the audit log;
//! the user routes (activate, deactivate, reset) are admin-only and work.

use std::sync::Arc;

use entity::enums::Role;
use entity::{audit_log, login_throttle, session};
use innsyn::config::Config;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::dual;
use crate::support::rows::user;
use crate::support::{CSRF, STAFF_PASSWORD, TestApp, TestResponse, session_cookie};

const HANDLER: &str = "handler@staff.example";
const NEW_PASSWORD: &str = "et helt nytt passord";

fn behind_a_proxy(c: &mut Config) {
    c.trusted_proxy_hops = 1;
}

/// A sign-in attempt from client address `ip` (behind the trusted proxy).
async fn sign_in_from(app: &TestApp, ip: &str, email: &str, password: &str) -> TestResponse {
    app.post_form_raw(
        "/admin/login",
        &[
            ("epost", email),
            ("passord", password),
            ("csrf_token", CSRF),
        ],
        Some(CSRF),
        &[("x-forwarded-for", ip)],
    )
    .await
}

/// Signed out: the gate sends the browser to the sign-in page.
fn is_signed_out(r: &TestResponse) -> bool {
    r.status == 303
        && r.header("location")
            .is_some_and(|l| l.starts_with("/admin/login"))
}

// ---------- sessions end with the password and with deactivation ----------

dual!(
    an_admins_password_reset_ends_every_session_of_the_user_and_the_old_session_cannot_choose_the_new_password,
    |app: TestApp| async move {
        let first = app.sign_in_as(Role::Handler).await;
        let second = app.sign_in_as(Role::Handler).await;
        assert_ne!(first, second);
        let admin = app.sign_in_as(Role::Admin).await;
        let id = user(&app, HANDLER).await.id;
        let r = app
            .post_as(&format!("/admin/brukere/{id}/nytt-passord"), &[], &admin)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let one_time = r.text(".one-time-password code").expect("shown once");
        for s in [&first, &second] {
            let r = app.get_as("/admin/saker", s).await;
            assert!(is_signed_out(&r), "{} {:?}", r.status, r.header("location"));
        }
        // The old session (which knows the old password) tries to choose one.
        let r = app
            .post_as(
                "/admin/passord",
                &[
                    ("navarende_passord", STAFF_PASSWORD),
                    ("passord", NEW_PASSWORD),
                    ("gjenta", NEW_PASSWORD),
                ],
                &first,
            )
            .await;
        assert!(is_signed_out(&r), "{} {:?}", r.status, r.header("location"));
        let r = app
            .post_form(
                "/admin/login",
                &[("epost", HANDLER), ("passord", NEW_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, 401, "the old session chose nothing");
        // The one-time password works, and asks for a new password.
        let r = app
            .post_form("/admin/login", &[("epost", HANDLER), ("passord", &one_time)])
            .await;
        assert_eq!(r.header("location").as_deref(), Some("/admin/passord"));
        // The admin's own session is untouched.
        assert_eq!(app.get_as("/admin/brukere", &admin).await.status, 200);
    }
);

dual!(
    changing_ones_password_ends_every_other_session_and_renews_this_ones_id,
    |app: TestApp| async move {
        let here = app.sign_in_as(Role::Handler).await;
        let elsewhere = app.sign_in_as(Role::Handler).await;
        let r = app
            .post_as(
                "/admin/passord",
                &[
                    ("navarende_passord", STAFF_PASSWORD),
                    ("passord", NEW_PASSWORD),
                    ("gjenta", NEW_PASSWORD),
                ],
                &here,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.header("location").as_deref(), Some("/admin/saker"));
        let renewed = session_cookie(&r).expect("a renewed session id");
        assert_ne!(renewed, here);
        assert_eq!(app.get_as("/admin/saker", &renewed).await.status, 200);
        assert!(is_signed_out(&app.get_as("/admin/saker", &here).await));
        assert!(is_signed_out(&app.get_as("/admin/saker", &elsewhere).await));
        let id = user(&app, HANDLER).await.id;
        assert_eq!(
            session::Entity::find()
                .filter(session::Column::UserId.eq(id))
                .count(&app.db)
                .await
                .unwrap(),
            1,
            "only the renewed session is left"
        );
        let r = app
            .post_form(
                "/admin/login",
                &[("epost", HANDLER), ("passord", NEW_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, 303, "the new password works");
    }
);

dual!(
    choosing_a_new_password_needs_the_current_one,
    |app: TestApp| async move {
        let s = app.sign_in_as(Role::Handler).await;
        for current in ["", "not my password at all"] {
            let r = app
                .post_as(
                    "/admin/passord",
                    &[
                        ("navarende_passord", current),
                        ("passord", NEW_PASSWORD),
                        ("gjenta", NEW_PASSWORD),
                    ],
                    &s,
                )
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert_eq!(
                r.text("#navarende_passord-error").as_deref(),
                Some("Dette er ikke passordet du bruker nå.")
            );
            assert_eq!(
                r.attr("#navarende_passord", "aria-invalid").as_deref(),
                Some("true")
            );
        }
        // Nothing changed: the session lives and the old password works.
        assert_eq!(app.get_as("/admin/saker", &s).await.status, 200);
        let r = app
            .post_form(
                "/admin/login",
                &[("epost", HANDLER), ("passord", STAFF_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, 303);
    }
);

dual!(
    deactivation_ends_the_users_sessions_and_reactivation_does_not_bring_them_back,
    |app: TestApp| async move {
        let s = app.sign_in_as(Role::Handler).await;
        let admin = app.sign_in_as(Role::Admin).await;
        let id = user(&app, HANDLER).await.id;
        let r = app
            .post_as(&format!("/admin/brukere/{id}/deaktiver"), &[], &admin)
            .await;
        assert_eq!(r.status, 303);
        assert!(is_signed_out(&app.get_as("/admin/saker", &s).await));
        let r = app
            .post_as(&format!("/admin/brukere/{id}/aktiver"), &[], &admin)
            .await;
        assert_eq!(r.status, 303);
        assert!(user(&app, HANDLER).await.active);
        assert!(
            is_signed_out(&app.get_as("/admin/saker", &s).await),
            "the old session stays ended"
        );
        // The user signs in afresh.
        let again = app.sign_in_as(Role::Handler).await;
        assert_eq!(app.get_as("/admin/saker", &again).await.status, 200);
    }
);

dual!(
    the_user_routes_are_admin_only_and_do_what_they_say,
    |app: TestApp| async move {
        let handler = app.sign_in_as(Role::Handler).await;
        let manager = app.sign_in_as(Role::Manager).await;
        let admin = app.sign_in_as(Role::Admin).await;
        let target = user(&app, HANDLER).await;
        let id = target.id;
        let routes = ["deaktiver", "aktiver", "nytt-passord"];
        // Signed out and below admin: refused, and nothing changes.
        for route in routes {
            let path = format!("/admin/brukere/{id}/{route}");
            let r = app.post_form(&path, &[]).await;
            assert!(is_signed_out(&r), "{path} signed out: {}", r.status);
            for s in [&handler, &manager] {
                assert_eq!(app.post_as(&path, &[], s).await.status, 403, "{path}");
            }
        }
        assert_eq!(user(&app, HANDLER).await, target, "nothing changed");
        assert_eq!(app.get_as("/admin/saker", &handler).await.status, 200);
        // An admin: each does its job, and is audited.
        let path = |r: &str| format!("/admin/brukere/{id}/{r}");
        assert_eq!(
            app.post_as(&path("deaktiver"), &[], &admin).await.status,
            303
        );
        assert!(!user(&app, HANDLER).await.active);
        let r = app
            .post_form(
                "/admin/login",
                &[("epost", HANDLER), ("passord", STAFF_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, 401, "a deactivated user cannot sign in");
        assert_eq!(app.post_as(&path("aktiver"), &[], &admin).await.status, 303);
        assert!(user(&app, HANDLER).await.active);
        let r = app.post_as(&path("nytt-passord"), &[], &admin).await;
        assert_eq!(r.status, 200);
        let one_time = r.text(".one-time-password code").expect("shown once");
        let after = user(&app, HANDLER).await;
        assert!(after.must_change_password);
        assert_ne!(after.password_hash, target.password_hash);
        let r = app
            .post_form(
                "/admin/login",
                &[("epost", HANDLER), ("passord", STAFF_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, 401, "the old password is gone");
        let r = app
            .post_form(
                "/admin/login",
                &[("epost", HANDLER), ("passord", &one_time)],
            )
            .await;
        assert_eq!(r.header("location").as_deref(), Some("/admin/passord"));
        let actions: Vec<String> = audit_log::Entity::find()
            .filter(audit_log::Column::ObjectId.eq(id.to_string()))
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
        for a in ["user.deactivate", "user.activate", "user.reset_password"] {
            assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
        }
        // An admin cannot deactivate themselves.
        let me = user(&app, "admin@staff.example").await.id;
        let r = app
            .post_as(&format!("/admin/brukere/{me}/deaktiver"), &[], &admin)
            .await;
        assert_eq!(r.status, 400);
        assert!(user(&app, "admin@staff.example").await.active);
    }
);

// ---------- sign-in limits ----------

dual!(
    sixty_parallel_wrong_passwords_from_one_address_give_no_5xx_and_at_most_three_checks,
    |app: TestApp| async move {
        app.sign_in_as(Role::Handler).await;
        let before = app.state.password_checks.count();
        let app = Arc::new(app);
        let tasks: Vec<_> = (0..60)
            .map(|_| {
                let a = app.clone();
                tokio::spawn(async move {
                    a.post_form(
                        "/admin/login",
                        &[("epost", HANDLER), ("passord", "wrong password!")],
                    )
                    .await
                    .status
                    .as_u16()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.expect("task"));
        }
        assert!(
            statuses.iter().all(|s| *s == 401 || *s == 429),
            "only 401 and 429: {statuses:?}"
        );
        let checks = app.state.password_checks.count() - before;
        assert!(checks <= 3, "{checks} password checks");
        assert!(statuses.iter().filter(|s| **s == 429).count() >= 57);
    }
);

dual!(
    a_wrong_password_from_one_address_never_blocks_the_right_one_from_another,
    configure = behind_a_proxy,
    |app: TestApp| async move {
        app.sign_in_as(Role::Handler).await;
        let attacker = "198.51.100.7";
        for _ in 0..10 {
            sign_in_from(&app, attacker, HANDLER, "wrong password!").await;
        }
        let r = sign_in_from(&app, attacker, HANDLER, STAFF_PASSWORD).await;
        assert_eq!(r.status, 429, "the guessing address is locked");
        // The owner at a new address (never signed in from) gets in.
        let r = sign_in_from(&app, "203.0.113.20", HANDLER, STAFF_PASSWORD).await;
        assert_eq!(r.status, 303, "{}", r.body);
        app.clock.advance(chrono::Duration::seconds(1));
        // And again from the first address used by the harness.
        let r = app
            .post_form(
                "/admin/login",
                &[("epost", HANDLER), ("passord", STAFF_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
);

dual!(
    the_account_wide_cap_slows_unknown_addresses_but_never_a_known_one,
    configure = behind_a_proxy,
    |app: TestApp| async move {
        app.sign_in_as(Role::Handler).await;
        let known = "203.0.113.5";
        let r = sign_in_from(&app, known, HANDLER, STAFF_PASSWORD).await;
        assert_eq!(r.status, 303);
        // A distributed attack: 30 addresses, 2 guesses each.
        let before = app.state.password_checks.count();
        let mut refused = 0;
        for i in 0..30 {
            for _ in 0..2 {
                let r = sign_in_from(&app, &format!("198.51.100.{i}"), HANDLER, "guess!").await;
                assert!(r.status == 401 || r.status == 429, "{}", r.status);
                refused += usize::from(r.status == 429);
            }
        }
        let checks = app.state.password_checks.count() - before;
        assert!(checks <= 20, "the cap holds: {checks} checks");
        assert!(refused >= 40, "{refused} refused");
        // A new address is slowed, even with the right password ...
        let r = sign_in_from(&app, "192.0.2.99", HANDLER, STAFF_PASSWORD).await;
        assert_eq!(r.status, 429);
        // ... but the address the owner signed in from before is not.
        let r = sign_in_from(&app, known, HANDLER, STAFF_PASSWORD).await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
);

dual!(
    one_address_trying_many_accounts_is_slowed_then_locked,
    configure = behind_a_proxy,
    |app: TestApp| async move {
        app.sign_in_as(Role::Handler).await;
        let sprayer = "198.51.100.66";
        let before = app.state.password_checks.count();
        let mut statuses = Vec::new();
        for i in 0..30 {
            let email = format!("person{i}@staff.example");
            statuses.push(
                sign_in_from(&app, sprayer, &email, "Sommer2026!")
                    .await
                    .status,
            );
        }
        let checks = app.state.password_checks.count() - before;
        assert!(checks <= 10, "{checks} checks for 30 accounts");
        assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
        // The address is held back even with a right password ...
        let r = sign_in_from(&app, sprayer, HANDLER, STAFF_PASSWORD).await;
        assert_eq!(r.status, 429);
        // ... nobody else is.
        let r = sign_in_from(&app, "203.0.113.30", HANDLER, STAFF_PASSWORD).await;
        assert_eq!(r.status, 303);
    }
);

// ---------- typed addresses stay out of the audit log ----------

dual!(
    typed_sign_in_addresses_are_kept_neither_in_the_audit_log_nor_in_the_counters,
    |app: TestApp| async move {
        app.sign_in_as(Role::Handler).await;
        let typed = "kari.nordmann@example.no";
        for email in [typed, typed, HANDLER] {
            let r = app
                .post_form("/admin/login", &[("epost", email), ("passord", "wrong!")])
                .await;
            assert_eq!(r.status, 401);
        }
        let failed: Vec<audit_log::Model> = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("auth.failed"))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(failed.len(), 3);
        for a in &failed {
            let all = format!("{a:?}");
            assert!(!all.contains("kari") && !all.contains("handler@"), "{all}");
            assert_eq!(a.actor_email, None);
        }
        // The same typed address gives the same pseudonym; a staff account
        // is named by its id.
        assert_eq!(failed[0].detail, failed[1].detail);
        assert_ne!(failed[0].detail, failed[2].detail);
        assert_eq!(failed[0].object_id, None);
        let id = user(&app, HANDLER).await.id;
        assert_eq!(failed[2].object_type.as_deref(), Some("user"));
        assert_eq!(failed[2].object_id, Some(id.to_string()));
        for t in login_throttle::Entity::find().all(&app.db).await.unwrap() {
            assert!(!t.key.contains('@'), "{}", t.key);
        }
    }
);

/// Existing rows: typed addresses leave the audit log (an attempt on a staff
/// account keeps the account as its object), throttle rows keyed on typed
/// addresses go, and sessions without an owner end.
async fn upgrading_removes_typed_addresses_from_the_audit_log(backend: crate::support::Backend) {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    let (url, cleanup) = crate::support::fresh_database(backend).await;
    let config = Config::from_source(&[("DATABASE_URL", url.as_str())]).unwrap();
    let db = innsyn::app::connect(&config).await.unwrap();
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261130_000012_signin_attempts")
        .expect("the migration is registered");
    Migrator::up(&db, Some(before as u32)).await.unwrap();
    for sql in [
        "INSERT INTO users (email, password_hash, role, active, must_change_password, created_at) \
         VALUES ('handler@staff.example', 'x', 'handler', TRUE, FALSE, '2026-11-01 10:00:00+00:00')",
        "INSERT INTO audit_log (at, actor_id, actor_email, action) VALUES \
         ('2026-11-01 10:00:00+00:00', NULL, 'kari.nordmann@example.no', 'auth.failed'), \
         ('2026-11-01 10:00:01+00:00', NULL, 'handler@staff.example', 'auth.locked'), \
         ('2026-11-01 10:00:02+00:00', 1, 'handler@staff.example', 'auth.signin')",
        "INSERT INTO login_throttle (key, failures, first_failure_at) \
         VALUES ('acct:kari.nordmann@example.no', 2, '2026-11-01 10:00:00+00:00')",
        "INSERT INTO sessions (id_hash, data, expires_at) VALUES ('abc', '{\"uid\":1}', '2099-01-01 00:00:00+00:00')",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
    Migrator::up(&db, None).await.unwrap();
    let rows = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].actor_email, None);
    assert_eq!(rows[0].object_id, None);
    assert_eq!(rows[1].actor_email, None);
    assert_eq!(rows[1].object_type.as_deref(), Some("user"));
    assert_eq!(rows[1].object_id.as_deref(), Some("1"));
    assert_eq!(
        rows[2].actor_email.as_deref(),
        Some("handler@staff.example"),
        "a staff member's own sign-in keeps its actor"
    );
    assert_eq!(login_throttle::Entity::find().count(&db).await.unwrap(), 0);
    assert_eq!(session::Entity::find().count(&db).await.unwrap(), 0);
    db.close().await.ok();
    cleanup.run().await;
}

#[tokio::test]
async fn upgrading_removes_typed_addresses_from_the_audit_log_sqlite() {
    upgrading_removes_typed_addresses_from_the_audit_log(crate::support::Backend::Sqlite).await
}

#[tokio::test]
async fn upgrading_removes_typed_addresses_from_the_audit_log_postgres() {
    upgrading_removes_typed_addresses_from_the_audit_log(crate::support::Backend::Postgres).await
}

dual!(
    a_neste_with_control_characters_or_pointing_off_site_signs_in_to_the_case_list,
    |app: TestApp| async move {
        app.sign_in_as(Role::Handler).await;
        for neste in [
            "/admin/saker\r\nSet-Cookie: x=1",
            "/admin/\u{1}",
            "//evil.example/admin/",
            "https://evil.example/admin/",
            "/\\evil.example",
        ] {
            let r = app
                .post_form_raw(
                    "/admin/login",
                    &[
                        ("epost", HANDLER),
                        ("passord", STAFF_PASSWORD),
                        ("neste", neste),
                        ("csrf_token", CSRF),
                    ],
                    Some(CSRF),
                    &[],
                )
                .await;
            assert_eq!(r.status, 303, "{neste:?}: {}", r.body);
            assert_eq!(
                r.header("location").as_deref(),
                Some("/admin/saker"),
                "{neste:?}"
            );
        }
    }
);
