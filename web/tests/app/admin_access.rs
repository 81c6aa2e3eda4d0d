//! Back-office access: sign-in, roles on every route, CSRF, lockout, session rotation.

use chrono::Duration;
use entity::enums::{Channel, Role};
use entity::{audit_log, message};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::dual;
use crate::support::{CSRF, STAFF_PASSWORD, TestApp, session_cookie};

pub async fn open_case(app: &TestApp, email: Option<&str>, phone: Option<&str>) -> String {
    use innsyn::domain::cases::{NewCase, open_case};
    let c = open_case(
        &app.db,
        "K",
        NewCase {
            channel: Channel::Web,
            consumer_name: Some("Kari Nordmann".into()),
            consumer_phone: phone.map(|p| innsyn::domain::phone::E164::parse(p).unwrap()),
            consumer_email: email.map(|e| innsyn::domain::email::EmailAddress::parse(e).unwrap()),
            called_from: None,
            category: "unwanted_call".into(),
            body: "Dere ringte meg, hvorfor?".into(),
            source_key: None,
            received_at: app.clock_now(),
        },
    )
    .await
    .unwrap();
    c.reference
}

/// Every back-office route and the lowest role that may use it.
const ROUTES: &[(&str, &str, Role)] = &[
    ("GET", "/admin/saker", Role::Handler),
    ("GET", "/admin/saker/{ref}", Role::Handler),
    ("POST", "/admin/saker/{ref}/notat", Role::Handler),
    ("POST", "/admin/saker/{ref}/tildel", Role::Handler),
    ("POST", "/admin/saker/{ref}/kategori", Role::Handler),
    ("POST", "/admin/saker/{ref}/lukk", Role::Handler),
    ("POST", "/admin/saker/{ref}/gjenapne", Role::Handler),
    ("POST", "/admin/saker/{ref}/svar", Role::Handler),
    (
        "POST",
        "/admin/saker/{ref}/meldinger/1/send-igjen",
        Role::Handler,
    ),
    ("GET", "/admin/passord", Role::Handler),
    ("GET", "/admin/innstillinger", Role::Admin),
    ("POST", "/admin/innstillinger", Role::Admin),
    ("GET", "/admin/oppdragsgivere", Role::Admin),
    ("POST", "/admin/oppdragsgivere", Role::Admin),
    ("GET", "/admin/kampanjer", Role::Admin),
    ("POST", "/admin/kampanjer", Role::Admin),
    ("GET", "/admin/brukere", Role::Admin),
    ("POST", "/admin/brukere", Role::Admin),
    ("GET", "/admin/numre", Role::Admin),
    ("POST", "/admin/numre", Role::Admin),
    ("GET", "/admin/reservasjoner", Role::Admin),
    ("POST", "/admin/reservasjoner", Role::Admin),
    ("POST", "/admin/reservasjoner/1/fjern", Role::Admin),
    ("GET", "/admin/logg", Role::Admin),
    ("GET", "/admin/statistikk", Role::Manager),
    ("GET", "/admin/statistikk/eksport?format=csv", Role::Manager),
    ("GET", "/admin/norm", Role::Manager),
    ("GET", "/admin/oppbevaring", Role::Admin),
    ("POST", "/admin/oppbevaring", Role::Admin),
    ("POST", "/admin/saker/{ref}/hold", Role::Admin),
    ("POST", "/admin/saker/{ref}/slipp", Role::Admin),
    ("GET", "/admin/personopplysninger", Role::Admin),
    (
        "GET",
        "/admin/personopplysninger/eksport?q=kari@example.no",
        Role::Admin,
    ),
    ("POST", "/admin/personopplysninger/slett", Role::Admin),
    ("GET", "/admin/api-nokler", Role::Admin),
    ("POST", "/admin/api-nokler", Role::Admin),
    ("POST", "/admin/api-nokler/1/tilbakekall", Role::Admin),
    ("GET", "/admin/oppdragsgivere/1/reservasjoner", Role::Admin),
    (
        "POST",
        "/admin/oppdragsgivere/1/reservasjoner/tom",
        Role::Admin,
    ),
    (
        "POST",
        "/admin/oppdragsgivere/1/reservasjoner/last-opp",
        Role::Admin,
    ),
    ("GET", "/admin/vask", Role::Manager),
    ("POST", "/admin/vask/last-opp", Role::Manager),
    ("GET", "/admin/saker/{ref}/opptak/1", Role::Handler),
    ("POST", "/admin/saker/{ref}/opptak/1/slett", Role::Handler),
];

dual!(
    every_admin_route_answers_each_role_as_the_role_matrix_says,
    |app: TestApp| async move {
        app.seed_demo().await;
        let reference = open_case(&app, Some("kari@example.no"), None).await;
        let mut sessions = vec![(None, String::new())];
        for role in [Role::Handler, Role::Manager, Role::Admin] {
            sessions.push((Some(role), app.sign_in_as(role).await));
        }
        for (method, path, min) in ROUTES {
            let path = path.replace("{ref}", &reference);
            for (role, session) in &sessions {
                let r = if *method == "GET" {
                    app.get_as(&path, session).await
                } else {
                    app.post_as(&path, &[("tekst", "Hei"), ("kanal", "email")], session)
                        .await
                };
                match role {
                    None => {
                        assert_eq!(r.status, 303, "{method} {path} signed out");
                        assert!(
                            r.header("location").unwrap().starts_with("/admin/login"),
                            "{method} {path} signed out goes to sign-in"
                        );
                    }
                    Some(role) if role < min => {
                        assert_eq!(r.status, 403, "{method} {path} as {role:?}")
                    }
                    Some(role) => {
                        assert!(
                            r.status != 403 && r.status != 401 && r.status.as_u16() < 500,
                            "{method} {path} as {role:?} gave {}: {}",
                            r.status,
                            r.body
                        );
                        assert!(
                            !r.header("location")
                                .is_some_and(|l| l.starts_with("/admin/login")),
                            "{method} {path} as {role:?} sent to sign-in"
                        );
                    }
                }
            }
        }
    }
);

dual!(
    a_handler_sees_no_admin_links_and_is_refused_admin_pages,
    |app: TestApp| async move {
        let s = app.sign_in_as(Role::Handler).await;
        let r = app.get_as("/admin/saker", &s).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.count("a[href='/admin/brukere']"), 0);
        assert_eq!(app.get_as("/admin/brukere", &s).await.status, 403);
    }
);

dual!(
    a_state_changing_request_without_the_csrf_token_is_refused_and_changes_nothing,
    |app: TestApp| async move {
        let reference = open_case(&app, Some("kari@example.no"), None).await;
        let s = app.sign_in_as(Role::Handler).await;
        let before = message::Entity::find().count(&app.db).await.unwrap();
        let body = serde_urlencoded::to_string([("notat", "uten token")]).unwrap();
        let req = axum::http::Request::post(format!("/admin/saker/{reference}/notat"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("{s}; innsyn_csrf={CSRF}"))
            .body(axum::body::Body::from(body))
            .unwrap();
        let r = app.send(req).await;
        assert_eq!(r.status, 403);
        assert_eq!(
            message::Entity::find().count(&app.db).await.unwrap(),
            before
        );
        // The same with the token goes through.
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/notat"),
                &[("notat", "med token")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(
            message::Entity::find().count(&app.db).await.unwrap(),
            before + 1
        );
    }
);

dual!(
    repeated_failed_sign_ins_are_slowed_then_locked_and_the_user_is_told_when_to_retry,
    |app: TestApp| async move {
        app.sign_in_as(Role::Handler).await;
        let email = "handler@staff.example";
        async fn wrong(app: &TestApp) -> crate::support::TestResponse {
            let email = "handler@staff.example";
            app.post_form(
                "/admin/login",
                &[("epost", email), ("passord", "wrong password!")],
            )
            .await
        }
        assert_eq!(wrong(&app).await.status, 401);
        assert_eq!(wrong(&app).await.status, 401);
        // The third failure slows the account down: 30 seconds.
        let r = wrong(&app).await;
        assert_eq!(r.status, 429);
        assert!(
            r.text(".login-error").unwrap().contains("kl. 11:00:30"),
            "{}",
            r.body
        );
        // Even the right password waits until then.
        let right = [("epost", email), ("passord", STAFF_PASSWORD)];
        assert_eq!(app.post_form("/admin/login", &right).await.status, 429);
        app.clock.advance(Duration::seconds(31));
        assert_eq!(wrong(&app).await.status, 429); // fourth: slowed again
        app.clock.advance(Duration::seconds(31));
        // The fifth failure locks the account for 15 minutes.
        let r = wrong(&app).await;
        assert_eq!(r.status, 429);
        assert!(r.header("retry-after").unwrap().parse::<i64>().unwrap() >= 899);
        app.clock.advance(Duration::minutes(10));
        assert_eq!(app.post_form("/admin/login", &right).await.status, 429);
        app.clock.advance(Duration::minutes(6));
        let r = app.post_form("/admin/login", &right).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let failed = audit_log::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.action == "auth.failed" || a.action == "auth.locked")
            .count();
        assert!(failed >= 5, "failed sign-ins are audited");
    }
);

dual!(
    the_session_id_changes_at_sign_in_and_the_old_one_stops_working,
    |app: TestApp| async move {
        let first = app.sign_in_as(Role::Handler).await;
        assert_eq!(app.get_as("/admin/saker", &first).await.status, 200);
        // Signing in again from a browser holding `first` rotates the id.
        let fields = [
            ("epost", "handler@staff.example"),
            ("passord", STAFF_PASSWORD),
            ("csrf_token", CSRF),
        ];
        let r = app
            .post_form_raw(
                "/admin/login",
                &fields,
                None,
                &[("cookie", &format!("{first}; innsyn_csrf={CSRF}"))],
            )
            .await;
        assert_eq!(r.status, 303);
        let second = session_cookie(&r).expect("a new session cookie");
        assert_ne!(first, second);
        assert_eq!(app.get_as("/admin/saker", &second).await.status, 200);
        assert_eq!(app.get_as("/admin/saker", &first).await.status, 303);
        // The cookie is HttpOnly and SameSite.
        let raw = r
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("innsyn_session="))
            .unwrap()
            .to_string();
        assert!(
            raw.contains("HttpOnly") && raw.contains("SameSite=Lax"),
            "{raw}"
        );
        // Sign-out ends the session.
        let r = app.post_as("/admin/logout", &[], &second).await;
        assert_eq!(r.status, 303);
        assert_eq!(app.get_as("/admin/saker", &second).await.status, 303);
    }
);

dual!(
    a_one_time_password_must_be_replaced_before_anything_else,
    |app: TestApp| async move {
        let admin = app.sign_in_as(Role::Admin).await;
        let r = app
            .post_as(
                "/admin/brukere",
                &[("epost", "ny@staff.example"), ("rolle", "handler")],
                &admin,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let pw = r
            .text(".one-time-password code")
            .expect("the password is shown once");
        let r = app
            .post_form(
                "/admin/login",
                &[("epost", "ny@staff.example"), ("passord", &pw)],
            )
            .await;
        assert_eq!(r.header("location").as_deref(), Some("/admin/passord"));
        let s = session_cookie(&r).unwrap();
        assert_eq!(
            app.get_as("/admin/saker", &s)
                .await
                .header("location")
                .as_deref(),
            Some("/admin/passord")
        );
        let r = app
            .post_as(
                "/admin/passord",
                &[("passord", "kort"), ("gjenta", "kort")],
                &s,
            )
            .await;
        assert_eq!(r.status, 422);
        let r = app
            .post_as(
                "/admin/passord",
                &[
                    ("navarende_passord", &pw),
                    ("passord", "et langt nytt passord"),
                    ("gjenta", "et langt nytt passord"),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        // The session carries on under a renewed id.
        let s = session_cookie(&r).expect("a renewed session");
        assert_eq!(app.get_as("/admin/saker", &s).await.status, 200);
    }
);
