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
