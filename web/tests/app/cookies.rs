//! The cookies the product sets keep their names and attributes (they are
//! built with the `cookie` crate), and a page drawn over https reads the
//! `__Host-` CSRF cookie, error pages included.

use axum::body::Body;
use axum::http::Request;

use crate::dual;
use crate::support::http::https;
use crate::support::{CSRF, STAFF_PASSWORD, TestApp, TestResponse, session_cookie};

/// Every `Set-Cookie` of `r` whose cookie is `name`.
fn set_cookie(r: &TestResponse, name: &str) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// The attributes of a `Set-Cookie` value, without its name=value pair.
fn attributes(raw: &str) -> Vec<String> {
    let mut a: Vec<String> = raw
        .split(';')
        .skip(1)
        .map(|s| s.trim().to_string())
        .collect();
    a.sort();
    a
}

dual!(
    the_csrf_and_language_cookies_keep_their_names_and_attributes_over_http,
    |app: TestApp| async move {
        let r = app.get("/klage?lang=en").await;
        let csrf = set_cookie(&r, "innsyn_csrf").expect("a CSRF cookie");
        assert_eq!(attributes(&csrf), ["HttpOnly", "Path=/", "SameSite=Lax"]);
        let token = csrf["innsyn_csrf=".len()..].split(';').next().unwrap();
        assert_eq!(token.len(), 43);
        assert_eq!(
            r.attr("input[name='csrf_token']", "value").as_deref(),
            Some(token)
        );
        let lang = set_cookie(&r, "lang").expect("the language is remembered");
        assert!(lang.starts_with("lang=en;"), "{lang}");
        assert_eq!(
            attributes(&lang),
            ["Max-Age=31536000", "Path=/", "SameSite=Lax"]
        );
        // A request that already has a token gets no new one.
        let again = app
            .get_with(
                "/klage",
                &[("cookie", &format!("innsyn_csrf={CSRF}; lang=en"))],
            )
            .await;
        assert_eq!(set_cookie(&again, "innsyn_csrf"), None);
        assert_eq!(
            again.attr("input[name='csrf_token']", "value").as_deref(),
            Some(CSRF)
        );
        assert_eq!(again.attr("html", "lang").as_deref(), Some("en"));
    }
);

dual!(
    over_https_the_cookies_are_secure_and_an_admin_error_page_carries_the_host_token,
    configure = https,
    |app: TestApp| async move {
        let r = app.get("/admin/login").await;
        let csrf = set_cookie(&r, "__Host-innsyn_csrf").expect("a __Host- CSRF cookie");
        assert_eq!(
            attributes(&csrf),
            ["HttpOnly", "Path=/", "SameSite=Lax", "Secure"]
        );
        assert_eq!(set_cookie(&r, "innsyn_csrf"), None);

        innsyn::domain::staff::users::create_user(
            &app.db,
            &innsyn::domain::email::EmailAddress::parse("admin@staff.example").unwrap(),
            entity::enums::Role::Admin,
            Some(STAFF_PASSWORD),
            app.clock_now(),
        )
        .await
        .unwrap();
        let host = format!("__Host-innsyn_csrf={CSRF}");
        let body = serde_urlencoded::to_string([
            ("epost", "admin@staff.example"),
            ("passord", STAFF_PASSWORD),
            ("csrf_token", CSRF),
        ])
        .unwrap();
        let r = app
            .send(
                Request::post("/admin/login")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("cookie", &host)
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let session = session_cookie(&r).expect("a session");
        let raw = set_cookie(&r, "innsyn_session").unwrap();
        assert!(
            raw.contains("; Secure") && raw.contains("HttpOnly"),
            "{raw}"
        );
        // Sign-in rotates the token, under the same name.
        let rotated = set_cookie(&r, "__Host-innsyn_csrf").expect("a new token");
        let token = rotated["__Host-innsyn_csrf=".len()..]
            .split(';')
            .next()
            .unwrap()
            .to_string();
        assert_ne!(token, CSRF);

        // An unknown case: the back office's 404 page, whose sign-out form
        // must carry the token of the cookie the browser holds.
        let cookies = format!("{session}; __Host-innsyn_csrf={token}");
        let r = app
            .get_with("/admin/saker/K-1999-999999", &[("cookie", &cookies)])
            .await;
        assert_eq!(r.status, 404);
        assert_eq!(
            r.attr("input[name='csrf_token']", "value").as_deref(),
            Some(token.as_str()),
            "{}",
            r.body
        );
    }
);
