//! Back-office access: sign-in, roles on every route, CSRF, lockout, session rotation.

use axum::http::Method;
use chrono::Duration;
use entity::enums::{Channel, ReservationSource, Role};
use entity::{audit_log, message};
use innsyn::routes::{self, Gate};
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

/// Real rows for the path parameters, so each route reaches its handler's
/// work rather than a not-found.
struct Ids {
    reference: String,
    message: i32,
    recording: i32,
    attachment: i32,
    client: i32,
    campaign: i32,
    number: i32,
    reservation: i32,
    token: i32,
    /// A user no session of the test belongs to (deactivated, reset...).
    user: i32,
    text_block: i32,
}

async fn seed_ids(app: &TestApp) -> Ids {
    use entity::{api_token, attachment, caller_number, campaign, client, recording, reservation};
    use innsyn::domain::phone::E164;
    use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
    app.seed_demo().await;
    let reference = open_case(app, Some("kari@example.no"), Some("+4791234567")).await;
    let case = entity::case::Entity::find()
        .filter(entity::case::Column::Reference.eq(&reference))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let message = message::Entity::find()
        .filter(message::Column::CaseId.eq(case.id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the case's first message");
    let recording = recording::ActiveModel {
        case_id: Set(case.id),
        sid: Set("RE00000000000000000000000000000777".into()),
        url: Set("https://api.twilio.com/x/RE00000000000000000000000000000777".into()),
        duration_secs: Set(10),
        created_at: Set(app.clock_now()),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let attachment = attachment::ActiveModel {
        message_id: Set(message.id),
        filename: Set("brev.pdf".into()),
        content_type: Set("application/pdf".into()),
        size: Set(4),
        data: Set(b"%PDF".to_vec()),
        created_at: Set(app.clock_now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    innsyn::domain::dialer::reservations::reserve(
        &app.db,
        &E164::parse("+4791112222").unwrap(),
        ReservationSource::Web,
        app.clock_now(),
    )
    .await
    .unwrap();
    let (token, _) = innsyn::domain::dialer::api_tokens::create(&app.db, "matrix", app.clock_now())
        .await
        .unwrap();
    let (user, _) = innsyn::domain::staff::users::create_user(
        &app.db,
        &innsyn::domain::email::EmailAddress::parse("other@staff.example").unwrap(),
        Role::Handler,
        Some(STAFF_PASSWORD),
        app.clock_now(),
    )
    .await
    .unwrap();
    Ids {
        reference,
        message: message.id,
        recording: recording.id,
        attachment: attachment.id,
        client: client::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .expect("seed_demo makes one")
            .id,
        campaign: campaign::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .expect("seed_demo makes one")
            .id,
        number: caller_number::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .expect("seed_demo makes one")
            .id,
        reservation: reservation::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .id,
        token: api_token::Entity::find_by_id(token.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .id,
        user: user.id,
        text_block: innsyn::domain::cases::text_blocks::save(
            &app.db,
            None,
            "Reservert",
            "Vi har reservert nummeret ditt.",
            &Default::default(),
            app.clock_now(),
        )
        .await
        .unwrap()
        .id,
    }
}

/// `path` from the route table with its parameters filled from `ids`, and
/// the query some GETs need to do their work.
fn concrete(path: &str, ids: &Ids) -> String {
    // Which row an `{id}` names depends on where it stands.
    let id_of = [
        (
            "/admin/saker/{reference}/meldinger/{id}",
            ids.message.to_string(),
        ),
        (
            "/admin/saker/{reference}/opptak/{id}",
            ids.recording.to_string(),
        ),
        (
            "/admin/saker/{reference}/vedlegg/{id}",
            ids.attachment.to_string(),
        ),
        ("/admin/oppdragsgivere/{id}", ids.client.to_string()),
        ("/admin/kampanjer/{id}", ids.campaign.to_string()),
        ("/admin/numre/{id}", ids.number.to_string()),
        ("/admin/reservasjoner/{id}", ids.reservation.to_string()),
        ("/admin/api-nokler/{id}", ids.token.to_string()),
        ("/admin/brukere/{id}", ids.user.to_string()),
        ("/admin/tekstbiter/{id}", ids.text_block.to_string()),
        // Wash jobs live in memory, per user: an unknown one is a 404
        // after the gate.
        ("/admin/vask/{id}", "no-such-job".to_string()),
        // A wash run's receipt: an unknown run is a 404 after the gate.
        ("/admin/vask/kjoring/{id}", "999999".to_string()),
    ];
    let mut p = path
        .replace("{reference}", &ids.reference)
        .replace("{*path}", "css/site.css");
    if let Some((_, id)) = id_of.iter().find(|(prefix, _)| path.starts_with(prefix)) {
        p = p.replace("{id}", id);
    }
    assert!(
        !p.contains('{'),
        "{path}: a parameter this test cannot fill yet: add it to `concrete`"
    );
    let query = match path {
        "/admin/statistikk/eksport" => "?format=csv",
        "/admin/personopplysninger/eksport" => "?q=kari@example.no",
        _ => "",
    };
    format!("{p}{query}")
}

fn sent_to_sign_in(r: &crate::support::TestResponse) -> bool {
    r.header("location")
        .is_some_and(|l| l.starts_with("/admin/login"))
}

/// A request with a method, optional headers and a form body (POST).
async fn call(
    app: &TestApp,
    method: &Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> crate::support::TestResponse {
    let mut b = axum::http::Request::builder()
        .method(method.clone())
        .uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    app.send(b.body(axum::body::Body::from(body.to_string())).unwrap())
        .await
}

/// A request as a signed-in user (or signed out with `session` empty), a
/// POST as a form with the CSRF token.
async fn as_user(
    app: &TestApp,
    method: &Method,
    path: &str,
    session: &str,
) -> crate::support::TestResponse {
    if method == Method::GET {
        app.get_as(path, session).await
    } else {
        app.post_as(path, &[("tekst", "Hei"), ("kanal", "email")], session)
            .await
    }
}

dual!(
    every_staff_route_in_the_table_answers_each_role_as_its_gate_says,
    |app: TestApp| async move {
        let ids = seed_ids(&app).await;
        let mut sessions = vec![(None, String::new())];
        for role in [Role::Handler, Role::Manager, Role::Admin] {
            sessions.push((Some(role), app.sign_in_as(role).await));
        }
        let mut checked = 0;
        for route in routes::table() {
            let Gate::Staff(min) = route.gate else {
                continue;
            };
            let path = concrete(route.path, &ids);
            for method in &route.methods {
                for (role, session) in &sessions {
                    let r = as_user(&app, method, &path, session).await;
                    match role {
                        None => {
                            assert_eq!(r.status, 303, "{method} {path} signed out");
                            assert!(
                                sent_to_sign_in(&r),
                                "{method} {path} signed out goes to sign-in"
                            );
                        }
                        Some(role) if *role < min => {
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
                                !sent_to_sign_in(&r),
                                "{method} {path} as {role:?} sent to sign-in"
                            );
                        }
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 200, "only {checked} checks: is the table empty?");
    }
);

dual!(
    every_other_route_in_the_table_answers_as_its_gate_says,
    |app: TestApp| async move {
        let ids = seed_ids(&app).await;
        let (_, token) =
            innsyn::domain::dialer::api_tokens::create(&app.db, "gate", app.clock_now())
                .await
                .unwrap();
        let bearer = format!("Bearer {token}");
        let mail_bearer = format!("Bearer {}", crate::support::INBOUND_EMAIL_TOKEN);
        let mail = "From: kari@example.no\r\nTo: kundeservice@nordlys.example\r\nSubject: Hei\r\nMessage-ID: <gate@example.no>\r\n\r\nDere ringte meg.\r\n";
        // As `serve` does at start: the registers in memory, so `/readyz`
        // answers ready (its 503 while loading is proved in `wash_preload`).
        app.state.registers.refresh(&app.db).await.unwrap();
        for route in routes::table() {
            let path = concrete(route.path, &ids);
            for method in &route.methods {
                let post = *method == Method::POST;
                match route.gate {
                    Gate::Staff(_) => {} // the test above
                    Gate::Public | Gate::SignIn => {
                        // The sign-in form gets the credentials of a real user.
                        let fields = [
                            ("tekst", "Hei"),
                            ("epost", "other@staff.example"),
                            ("passord", STAFF_PASSWORD),
                        ];
                        let r = if post {
                            app.post_form(&path, &fields).await
                        } else {
                            app.get(&path).await
                        };
                        assert!(
                            r.status != 401 && r.status != 403 && r.status.as_u16() < 500,
                            "{method} {path} signed out gave {}: {}",
                            r.status,
                            r.body
                        );
                        if route.gate == Gate::Public {
                            assert!(!sent_to_sign_in(&r), "{method} {path} signed out");
                        }
                        if !post {
                            assert_eq!(r.status, 200, "{method} {path}: {}", r.body);
                        }
                    }
                    Gate::ApiToken => {
                        let r = call(&app, method, &path, &[], "").await;
                        assert_eq!(r.status, 401, "{method} {path} without a token");
                        assert_eq!(r.json()["error"], "unauthorized", "{method} {path}");
                        let r = call(
                            &app,
                            method,
                            &path,
                            &[("authorization", "Bearer inn_wrong")],
                            "",
                        )
                        .await;
                        assert_eq!(r.status, 401, "{method} {path} with a wrong token");
                        let r = call(&app, method, &path, &[("authorization", &bearer)], "").await;
                        assert!(
                            r.status != 401 && r.status != 403 && r.status.as_u16() < 500,
                            "{method} {path} with a token gave {}: {}",
                            r.status,
                            r.body
                        );
                    }
                    Gate::TwilioSignature => {
                        let params = [("MessageSid", "SM0GATE"), ("CallSid", "CA0GATE")];
                        let r = app.twilio_post_signed(&path, &params, None).await;
                        assert_eq!(r.status, 403, "{method} {path} unsigned");
                        let r = app
                            .twilio_post_signed(&path, &params, Some("c2lnbmF0dXJl"))
                            .await;
                        assert_eq!(r.status, 403, "{method} {path} wrongly signed");
                        let r = app.twilio_post(&path, &params).await;
                        assert!(
                            r.status != 403 && r.status.as_u16() < 500,
                            "{method} {path} signed gave {}: {}",
                            r.status,
                            r.body
                        );
                    }
                    Gate::MailSecret => {
                        let r = call(&app, method, &path, &[], mail).await;
                        assert_eq!(r.status, 401, "{method} {path} without the secret");
                        let r = call(
                            &app,
                            method,
                            &path,
                            &[("authorization", "Bearer nope")],
                            mail,
                        )
                        .await;
                        assert_eq!(r.status, 401, "{method} {path} with a wrong secret");
                        let r = call(
                            &app,
                            method,
                            &path,
                            &[("authorization", &mail_bearer)],
                            mail,
                        )
                        .await;
                        assert_eq!(r.status, 200, "{method} {path}: {}", r.body);
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
