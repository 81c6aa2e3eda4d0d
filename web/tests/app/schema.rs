use migration::{Migrator, MigratorTrait};

use crate::support::{self, Backend};

async fn migrations_go_down_and_up_again(backend: Backend) {
    let (url, cleanup) = support::fresh_database(backend).await;
    let config = innsyn::config::Config::from_source(&[("DATABASE_URL", url.as_str())]).unwrap();
    let db = innsyn::app::connect(&config).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    Migrator::down(&db, None).await.unwrap();
    assert!(
        !Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::up(&db, None).await.unwrap();
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    db.close().await.ok();
    cleanup.run().await;
}

#[tokio::test]
async fn migrations_go_down_and_up_again_sqlite() {
    migrations_go_down_and_up_again(Backend::Sqlite).await
}

#[tokio::test]
async fn migrations_go_down_and_up_again_postgres() {
    migrations_go_down_and_up_again(Backend::Postgres).await
}

#[tokio::test]
async fn serve_refuses_an_unmigrated_postgres_schema_with_a_clear_message() {
    let (url, cleanup) = support::fresh_database(Backend::Postgres).await;
    let config = innsyn::config::Config::from_source(&[("DATABASE_URL", url.as_str())]).unwrap();
    let db = innsyn::app::connect(&config).await.unwrap();
    let err = innsyn::app::ensure_schema(&db, &config)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("innsyn migrate"), "{err}");
    db.close().await.ok();
    cleanup.run().await;
}

#[tokio::test]
async fn serve_migrates_sqlite_by_itself() {
    let (url, cleanup) = support::fresh_database(Backend::Sqlite).await;
    let config = innsyn::config::Config::from_source(&[("DATABASE_URL", url.as_str())]).unwrap();
    let db = innsyn::app::connect(&config).await.unwrap();
    innsyn::app::ensure_schema(&db, &config).await.unwrap();
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    db.close().await.ok();
    cleanup.run().await;
}

/// The URLs of the databases the failing tests below were given.
static GIVEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn panics_after_noting_its_database(config: &mut innsyn::config::Config) {
    GIVEN.lock().unwrap().push(config.database_url.clone());
    panic!("a test that fails while setting up");
}

/// A test that panics (here before its body runs, where no explicit
/// clean-up is reached) still leaves no database behind, and the template
/// copy it was given had every migration applied.
async fn a_failing_test_leaves_no_database_behind(backend: Backend) {
    let r = tokio::spawn(support::run_with(
        backend,
        panics_after_noting_its_database,
        |_| async {},
    ))
    .await;
    assert!(r.is_err_and(|e| e.is_panic()));
    let scheme = match backend {
        Backend::Sqlite => "sqlite:",
        Backend::Postgres => "postgres",
    };
    let url = GIVEN
        .lock()
        .unwrap()
        .iter()
        .find(|u| u.starts_with(scheme))
        .cloned()
        .expect("the database was given");
    match backend {
        Backend::Sqlite => {
            let path = url
                .strip_prefix("sqlite://")
                .and_then(|u| u.split('?').next())
                .unwrap();
            assert!(!std::path::Path::new(path).exists(), "{path} is left");
        }
        Backend::Postgres => {
            let name = url.rsplit('/').next().unwrap().to_string();
            let admin = sea_orm::Database::connect(
                std::env::var("TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            )
            .await
            .unwrap();
            use sea_orm::ConnectionTrait;
            let left = admin
                .query_all_raw(sea_orm::Statement::from_string(
                    admin.get_database_backend(),
                    format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
                ))
                .await
                .unwrap();
            admin.close().await.ok();
            assert!(left.is_empty(), "database {name} is left");
        }
    }
    // A copy of the template is migrated through.
    let (url, cleanup) = support::migrated_database(backend).await;
    let config = innsyn::config::Config::from_source(&[("DATABASE_URL", url.as_str())]).unwrap();
    let db = innsyn::app::connect(&config).await.unwrap();
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    db.close().await.ok();
    drop(cleanup);
}

#[tokio::test]
async fn a_failing_test_leaves_no_database_behind_sqlite() {
    a_failing_test_leaves_no_database_behind(Backend::Sqlite).await
}

#[tokio::test]
async fn a_failing_test_leaves_no_database_behind_postgres() {
    a_failing_test_leaves_no_database_behind(Backend::Postgres).await
}
