//! A staff session ends 8 hours after its last use, not after sign-in: each
//! use moves the end on (written at most once a minute), by the app's clock.

use chrono::Duration;
use entity::enums::Role;
use entity::session;
use sea_orm::EntityTrait;

use crate::dual;
use crate::support::{TestApp, TestResponse};

fn is_signed_out(r: &TestResponse) -> bool {
    r.status == 303
        && r.header("location")
            .is_some_and(|l| l.starts_with("/admin/login"))
}

async fn expires_at(app: &TestApp) -> chrono::DateTime<chrono::Utc> {
    let rows = session::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    rows[0].expires_at
}

dual!(
    a_staff_session_in_use_lives_past_8_hours_and_ends_8_hours_after_its_last_use,
    |app: TestApp| async move {
        let s = app.sign_in_as(Role::Handler).await;
        assert_eq!(expires_at(&app).await, app.clock_now() + Duration::hours(8));
        // A shift: a use every 7 hours keeps it alive.
        for _ in 0..2 {
            app.clock.advance(Duration::hours(7));
            let r = app.get_as("/admin", &s).await;
            assert!(
                !is_signed_out(&r),
                "{} {:?}",
                r.status,
                r.header("location")
            );
            assert_eq!(expires_at(&app).await, app.clock_now() + Duration::hours(8));
        }
        // Uses within a minute of the last write do not write again.
        let written = expires_at(&app).await;
        app.clock.advance(Duration::seconds(30));
        assert!(!is_signed_out(&app.get_as("/admin", &s).await));
        assert_eq!(expires_at(&app).await, written);
        app.clock.advance(Duration::seconds(31));
        assert!(!is_signed_out(&app.get_as("/admin", &s).await));
        assert_eq!(expires_at(&app).await, app.clock_now() + Duration::hours(8));
        // Then 8 hours without use: signed out.
        app.clock.advance(Duration::hours(8) + Duration::minutes(1));
        assert!(is_signed_out(&app.get_as("/admin", &s).await));
    }
);
