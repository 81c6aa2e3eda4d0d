//! The national register: one import at a time, enforced by the database
//! (the screen and the command line alike), a flip that deletes only the
//! copy it replaces, and no planned call time in the past to make an old
//! copy usable.

use entity::{national_register_version, national_reservation};
use innsyn::domain::dialer::national::{self, ImportError};
use innsyn::domain::privacy::audit::Actor;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::dual;
use crate::national::{date, try_import as import};
use crate::support::TestApp;
use crate::support::dialer::{token, wash};

dual!(
    national_a_second_import_while_one_runs_is_refused_and_the_copy_in_use_stays_whole,
    |app: TestApp| async move {
        // An upload began an import and is reading its file (at
        // the wall clock's time, which the command line below goes by).
        let first = national::begin_import(&app.db, date("2026-11-17"), "test", chrono::Utc::now())
            .await
            .unwrap();
        // A second import (another upload, or the command line) meanwhile.
        let second = import(&app, "2026-11-16", "93000001\n").await;
        assert!(matches!(second, Err(ImportError::Busy)), "{second:?}");
        let cli = std::process::Command::new(env!("CARGO_BIN_EXE_innsyn"))
            .args(["import-national-register", "--extract-date", "2026-11-16"])
            .env("DATABASE_URL", &app.state.config.database_url)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(!cli.status.success(), "the command line is refused too");
        assert!(
            String::from_utf8_lossy(&cli.stderr).contains("another import"),
            "{}",
            String::from_utf8_lossy(&cli.stderr)
        );
        // The first import finishes: its whole copy is the one in use.
        let r = national::import_into(
            &app.db,
            first.clone(),
            "92000001\n92000002\n92000003\n".as_bytes(),
            &Actor::default(),
            app.clock_now(),
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(r.count, 3);
        let current = national::current(&app.db).await.unwrap().unwrap();
        assert_eq!(current.id, first.id);
        let rows = national_reservation::Entity::find()
            .filter(national_reservation::Column::VersionId.eq(first.id))
            .count(&app.db)
            .await
            .unwrap();
        assert!(rows == 3, "the copy in use holds all its numbers ({rows})");
        assert_eq!(
            national_register_version::Entity::find()
                .filter(national_register_version::Column::State.eq("importing"))
                .count(&app.db)
                .await
                .unwrap(),
            0
        );
        // And the next import may start.
        import(&app, "2026-11-18", "93000001\n").await.unwrap();
    }
);

dual!(
    national_a_flip_deletes_the_numbers_of_the_copy_it_replaces_and_no_others,
    |app: TestApp| async move {
        let old = import(&app, "2026-11-01", "91000001\n").await.unwrap();
        // Numbers of a version that is neither replaced nor failed (as an
        // import under way holds) are not the flip's to delete.
        let other = national::begin_import(&app.db, date("2026-11-02"), "test", app.clock_now())
            .await
            .unwrap();
        national_reservation::ActiveModel {
            version_id: Set(other.id),
            number: Set(94_000_001),
        }
        .insert(&app.db)
        .await
        .unwrap();
        let mut am: national_register_version::ActiveModel = other.clone().into();
        am.state = Set("kept".into());
        am.update(&app.db).await.unwrap();
        let new = import(&app, "2026-11-17", "92000001\n").await.unwrap();
        let count_of = |id: i32| {
            national_reservation::Entity::find()
                .filter(national_reservation::Column::VersionId.eq(id))
                .count(&app.db)
        };
        assert_eq!(count_of(old.version_id).await.unwrap(), 0, "replaced: gone");
        assert_eq!(count_of(new.version_id).await.unwrap(), 1);
        assert_eq!(
            count_of(other.id).await.unwrap(),
            1,
            "not the flip's to delete"
        );
    }
);

dual!(
    wash_with_a_planned_time_in_the_past_is_refused_and_cannot_launder_a_stale_copy,
    |app: TestApp| async move {
        // The test clock: 18 November 2026. The copy is 50 days old.
        let t = token(&app).await;
        import(&app, "2026-09-29", "93000001\n").await.unwrap();
        let now = wash(&app, &t, "", "93000001\n").await;
        assert_eq!(now.status, 409);
        assert_eq!(now.json()["error"], "national_register_stale");
        // Planned 40 days ago (a Friday, within calling hours).
        let past = wash(&app, &t, "?at=2026-10-09T10:00:00%2B02:00", "93000001\n").await;
        assert_eq!(past.status, 400, "{}", past.body);
        assert_eq!(past.json()["error"], "at_in_past");
        assert!(
            past.json()["message"]
                .as_str()
                .unwrap()
                .contains("in the past")
        );
    }
);
