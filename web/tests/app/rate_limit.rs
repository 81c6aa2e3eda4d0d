use crate::support::{Backend, TestApp, run_with};

fn tight(c: &mut innsyn::config::Config) {
    c.rate_limit_lookup_per_minute = 3;
    c.rate_limit_forms_per_minute = 2;
}

async fn lookups_over_the_limit_get_429(app: TestApp) {
    for _ in 0..3 {
        assert_eq!(app.get("/hvem-ringte?nummer=21000010").await.status, 200);
    }
    let r = app.get("/hvem-ringte?nummer=21000010").await;
    assert_eq!(r.status, 429);
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(r.text("h1").as_deref(), Some("For mange forsøk"));
    // A forged X-Forwarded-For does not buy a fresh allowance: no proxy is trusted.
    let r = app
        .get_with(
            "/hvem-ringte?nummer=21000010",
            &[("x-forwarded-for", "198.51.100.9")],
        )
        .await;
    assert_eq!(r.status, 429);
    // Other pages are not limited.
    assert_eq!(app.get("/").await.status, 200);
}

async fn form_posts_over_the_limit_get_429_in_the_users_language(app: TestApp) {
    for _ in 0..2 {
        assert_eq!(
            app.post_form("/reservasjon", &[("nummer", "91234567")])
                .await
                .status,
            200
        );
    }
    let r = app
        .post_form("/reservasjon?lang=en", &[("nummer", "91234567")])
        .await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    assert_eq!(r.text("h1").as_deref(), Some("Too many attempts"));
    // Reading the form page is not a post and is not limited.
    assert_eq!(app.get("/reservasjon").await.status, 200);
}

#[tokio::test]
async fn lookups_over_the_limit_get_429_sqlite() {
    run_with(Backend::Sqlite, tight, lookups_over_the_limit_get_429).await
}
#[tokio::test]
async fn lookups_over_the_limit_get_429_postgres() {
    run_with(Backend::Postgres, tight, lookups_over_the_limit_get_429).await
}
#[tokio::test]
async fn form_posts_over_the_limit_get_429_sqlite() {
    run_with(
        Backend::Sqlite,
        tight,
        form_posts_over_the_limit_get_429_in_the_users_language,
    )
    .await
}
#[tokio::test]
async fn form_posts_over_the_limit_get_429_postgres() {
    run_with(
        Backend::Postgres,
        tight,
        form_posts_over_the_limit_get_429_in_the_users_language,
    )
    .await
}
