//! One error model: an unknown id is a 404 page, a broken rule a 4xx with
//! its message, and every `/api/` error (an unknown API path too) one JSON
//! shape, `{"error": code, "message": text}`.

use axum::body::Body;
use axum::http::Request;
use entity::enums::Role;
use entity::{audit_log, client, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::admin_access::open_case;
use crate::dual;
use crate::support::{TestApp, TestResponse};

/// The back-office "not found" page, in Norwegian.
fn is_not_found_page(r: &TestResponse, what: &str) {
    assert_eq!(r.status, 404, "{what}: {}", r.body);
    assert_eq!(r.count(".admin-header"), 1, "{what}: in the back office");
    assert_eq!(r.text("h1").as_deref(), Some("Siden finnes ikke"), "{what}");
}

/// An API error in the one shape: the status, the code, a message.
fn is_api_error(r: &TestResponse, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "JSON: {:?}",
        r.header("content-type")
    );
    let j = r.json();
    assert_eq!(j["error"], code, "{j}");
    assert!(
        j["message"].as_str().is_some_and(|m| !m.is_empty()),
        "a message: {j}"
    );
}

dual!(
    an_unknown_id_on_an_admin_edit_or_update_is_404_and_changes_nothing,
    |app: TestApp| async move {
        app.seed_demo().await;
        let s = app.sign_in_as(Role::Admin).await;
        let audits_before = audit_log::Entity::find().count(&app.db).await.unwrap();
        let clients_before = client::Entity::find().count(&app.db).await.unwrap();
        for path in [
            "/admin/oppdragsgivere/99999",
            "/admin/kampanjer/99999",
            "/admin/numre/99999",
            "/admin/oppdragsgivere/99999/reservasjoner",
        ] {
            is_not_found_page(&app.get_as(path, &s).await, path);
        }
        let posts: &[(&str, &[(&str, &str)])] = &[
            (
                "/admin/oppdragsgivere/99999",
                &[("navn", "Finnes Ikke AS"), ("orgnr", "999999999")],
            ),
            (
                "/admin/kampanjer/99999",
                &[("navn", "x"), ("kode", "NOPE"), ("formal", "x")],
            ),
            (
                "/admin/numre/99999",
                &[("nummer", "21 00 00 77"), ("melding", "x")],
            ),
            ("/admin/brukere/99999/aktiver", &[]),
            ("/admin/brukere/99999/deaktiver", &[]),
            ("/admin/brukere/99999/nytt-passord", &[]),
            ("/admin/api-nokler/99999/tilbakekall", &[("bekreft", "on")]),
            (
                "/admin/reservasjoner/99999/fjern",
                &[("grunn", "Personen ba om det skriftlig")],
            ),
            (
                "/admin/saker/K-1999-999999/hold",
                &[("grunn", "Tvist hos Forbrukertilsynet")],
            ),
            ("/admin/saker/K-1999-999999/slipp", &[]),
            (
                "/admin/oppdragsgivere/99999/reservasjoner/tom",
                &[("bekreft", "on")],
            ),
            (
                "/admin/saker/K-1999-999999/kategori",
                &[("kategori", "other")],
            ),
        ];
        for (path, fields) in posts {
            is_not_found_page(&app.post_as(path, fields, &s).await, path);
        }
        assert_eq!(
            client::Entity::find().count(&app.db).await.unwrap(),
            clients_before
        );
        assert_eq!(
            audit_log::Entity::find().count(&app.db).await.unwrap(),
            audits_before,
            "nothing done, nothing audited"
        );
    }
);

dual!(
    a_broken_rule_is_a_4xx_with_its_message_in_the_request_language,
    |app: TestApp| async move {
        app.seed_demo().await;
        let admin = app.sign_in_as(Role::Admin).await;
        let me = user::Entity::find()
            .filter(user::Column::Email.eq("admin@staff.example"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        // An admin cannot lock themselves out.
        let r = app
            .post_as(&format!("/admin/brukere/{}/deaktiver", me.id), &[], &admin)
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(r.count(".admin-header"), 1);
        assert!(
            r.text(".error-page p")
                .unwrap()
                .contains("Du kan ikke endre din egen tilgang"),
            "{}",
            r.body
        );
        let r = app
            .post_as(
                &format!("/admin/brukere/{}/deaktiver?lang=en", me.id),
                &[],
                &admin,
            )
            .await;
        assert_eq!(r.status, 400);
        assert!(
            r.text(".error-page p")
                .unwrap()
                .contains("You cannot change your own access"),
            "{}",
            r.body
        );
        // A category the product does not know.
        let reference = open_case(&app, Some("kari@example.no"), None).await;
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/kategori"),
                &[("kategori", "tull")],
                &admin,
            )
            .await;
        assert_eq!(r.status, 400);
        assert!(
            r.text(".error-page p")
                .unwrap()
                .contains("Velg en av kategoriene"),
            "{}",
            r.body
        );
        // Assigning to nobody that exists.
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/tildel"),
                &[("til", "99999")],
                &admin,
            )
            .await;
        assert_eq!(r.status, 400);
        assert!(r.text(".error-page p").unwrap().contains("aktiv bruker"));
        // A form that fails its checks is drawn again, 422, input kept.
        let r = app
            .post_as("/admin/reservasjoner", &[("nummer", "12 34")], &admin)
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.attr("#nummer", "value").as_deref(), Some("12 34"));
        assert_eq!(r.attr("#nummer", "aria-invalid").as_deref(), Some("true"));
    }
);

async fn api_get(app: &TestApp, path: &str, token: Option<&str>) -> TestResponse {
    let mut b = Request::get(path);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    app.send(b.body(Body::empty()).unwrap()).await
}

dual!(
    every_api_error_has_one_json_shape_and_an_unknown_api_path_is_a_json_404,
    |app: TestApp| async move {
        app.seed_demo().await;
        // Unknown paths and methods under /api/.
        is_api_error(&api_get(&app, "/api/v1/nope", None).await, 404, "notfound");
        is_api_error(
            &api_get(&app, "/api/v2/numbers", None).await,
            404,
            "notfound",
        );
        let r = app
            .send(Request::post("/api/v1/nope").body(Body::from("x")).unwrap())
            .await;
        is_api_error(&r, 404, "notfound");
        is_api_error(
            &api_get(&app, "/api/v1/wash", None).await,
            405,
            "method_not_allowed",
        );
        // Elsewhere an unknown path is still the page.
        let r = app.get("/finnes-ikke").await;
        assert_eq!(r.status, 404);
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
        // The codes already shipped stay, each with a message.
        let r = api_get(&app, "/api/v1/call-window?at=never", None).await;
        is_api_error(&r, 400, "bad_at");
        let r = api_get(&app, "/api/v1/stats", None).await;
        is_api_error(&r, 401, "unauthorized");
        assert!(r.header("www-authenticate").is_some());
        let (_, token) = innsyn::domain::dialer::api_tokens::create(&app.db, "d", app.clock_now())
            .await
            .unwrap();
        let r = api_get(&app, "/api/v1/stats?format=pdf", Some(&token)).await;
        is_api_error(&r, 400, "badrequest");
        assert_eq!(
            r.json()["message"],
            "The export format must be csv, xlsx or json."
        );
        let r = api_get(&app, "/api/v1/stats?from=2026-13-01", Some(&token)).await;
        is_api_error(&r, 400, "badrequest");
        let r = app
            .send(
                Request::post("/api/v1/wash?campaign=FINNES-IKKE")
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::from("22334455\n"))
                    .unwrap(),
            )
            .await;
        is_api_error(&r, 404, "unknown_campaign");
        // A body over the limit.
        let r = app
            .send(
                Request::get("/api/v1/numbers")
                    .body(Body::from(vec![b'x'; innsyn::routes::MAX_BODY_BYTES + 1]))
                    .unwrap(),
            )
            .await;
        is_api_error(&r, 413, "too_large");
        assert!(
            r.json()["message"]
                .as_str()
                .unwrap()
                .contains("larger than")
        );
    }
);

dual!(
    an_error_page_is_drawn_once_by_the_layer_in_the_request_language,
    |app: TestApp| async move {
        app.seed_demo().await;
        for (path, lang, title) in [
            ("/finnes-ikke", "nb", "Siden finnes ikke"),
            ("/finnes-ikke?lang=en", "en", "Page not found"),
        ] {
            let r = app.get(path).await;
            assert_eq!(r.status, 404, "{path}");
            // One document: the error carries what to say, the layer draws it.
            assert_eq!(r.body.matches("<html").count(), 1, "{path}: {}", r.body);
            assert_eq!(r.attr("html", "lang").as_deref(), Some(lang), "{path}");
            assert_eq!(r.count("h1"), 1, "{path}");
            assert_eq!(r.text("h1").as_deref(), Some(title), "{path}");
            // Drawn with the centre (the layer reads it; the error cannot).
            assert_eq!(r.count(".error-contact"), 1, "{path}");
        }
        // An htmx request gets the bare words, not a page inside its target.
        let r = app
            .get_with("/finnes-ikke", &[("hx-request", "true")])
            .await;
        assert_eq!(r.status, 404);
        assert!(!r.body.contains("<html"), "{}", r.body);
        assert_eq!(r.text("h1").as_deref(), Some("Siden finnes ikke"));
    }
);

/// The rules know nothing of HTTP or HTML, and layers point down: the
/// domain names nothing of the web layer above it.
#[test]
fn no_file_in_the_domain_imports_axum_askama_or_the_web_layer() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain"),
        &mut files,
    );
    assert!(files.len() > 20, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for word in [
            "axum",
            "askama",
            "crate::state",
            "crate::jobs",
            "crate::config",
            "crate::routes",
            "crate::views",
            "crate::auth",
            "crate::csrf",
            "crate::middleware",
            "AppError",
            "AppState",
        ] {
            assert!(!text.contains(word), "{} mentions {word}", f.display());
        }
    }
}
