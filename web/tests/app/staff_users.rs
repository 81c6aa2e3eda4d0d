//! The admin's user list: what it shows of each user and what activation,
//! deactivation and a password reset change in the database (the user's
//! session rows, the audit log). `signin.rs` has the sign-in side.

use entity::enums::Role;
use entity::{audit_log, session};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::dual;
use crate::support::rows::user;
use crate::support::{TestApp, TestResponse, session_cookie};

const HANDLER: &str = "handler@staff.example";
const ADMIN: &str = "admin@staff.example";

/// Session rows in the database that belong to user `id`.
async fn sessions_of(app: &TestApp, id: i32) -> u64 {
    session::Entity::find()
        .filter(session::Column::UserId.eq(id))
        .count(&app.db)
        .await
        .unwrap()
}

/// The last audit entry about user `id`.
async fn last_audit(app: &TestApp, id: i32) -> audit_log::Model {
    audit_log::Entity::find()
        .filter(audit_log::Column::ObjectType.eq("user"))
        .filter(audit_log::Column::ObjectId.eq(id.to_string()))
        .order_by_desc(audit_log::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("an audit entry about the user")
}

/// The text of the status cell of `email`'s row on the users page.
fn status_of(page: &TestResponse, email: &str) -> Option<String> {
    page.text(&format!(
        "tr.user-row[data-email='{email}'] td:nth-child(3)"
    ))
}

fn form_count(page: &TestResponse, action: &str) -> usize {
    page.count(&format!("form[action='{action}'][method='post']"))
}

dual!(
    the_users_page_shows_each_users_state_and_offers_the_opposite_action,
    |app: TestApp| async move {
        app.sign_in_as(Role::Handler).await;
        let admin = app.sign_in_as(Role::Admin).await;
        let id = user(&app, HANDLER).await.id;
        let me = user(&app, ADMIN).await.id;
        let deactivate = format!("/admin/brukere/{id}/deaktiver");
        let activate = format!("/admin/brukere/{id}/aktiver");
        let page = app.get_as("/admin/brukere", &admin).await;
        assert_eq!(page.status, 200);
        assert_eq!(status_of(&page, HANDLER).as_deref(), Some("Aktiv"));
        assert_eq!(form_count(&page, &deactivate), 1);
        assert_eq!(form_count(&page, &activate), 0);
        assert_eq!(
            form_count(&page, &format!("/admin/brukere/{id}/nytt-passord")),
            1
        );
        // Admins cannot lock themselves out: no switch on their own row,
        // but they may reset their own password.
        assert_eq!(
            form_count(&page, &format!("/admin/brukere/{me}/deaktiver")),
            0
        );
        assert_eq!(
            form_count(&page, &format!("/admin/brukere/{me}/nytt-passord")),
            1
        );

        let r = app.post_as(&deactivate, &[], &admin).await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location").as_deref(), Some("/admin/brukere"));
        let page = app.get_as("/admin/brukere", &admin).await;
        assert_eq!(status_of(&page, HANDLER).as_deref(), Some("Deaktivert"));
        assert_eq!(form_count(&page, &deactivate), 0);
        assert_eq!(form_count(&page, &activate), 1);

        let r = app.post_as(&activate, &[], &admin).await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location").as_deref(), Some("/admin/brukere"));
        let page = app.get_as("/admin/brukere", &admin).await;
        assert_eq!(status_of(&page, HANDLER).as_deref(), Some("Aktiv"));
        assert_eq!(form_count(&page, &deactivate), 1);
    }
);

dual!(
    deactivation_deletes_the_users_session_rows_and_audits_how_many_ended,
    |app: TestApp| async move {
        app.sign_in_as(Role::Handler).await;
        app.sign_in_as(Role::Handler).await;
        let admin = app.sign_in_as(Role::Admin).await;
        let id = user(&app, HANDLER).await.id;
        let me = user(&app, ADMIN).await.id;
        assert_eq!(sessions_of(&app, id).await, 2);
        assert_eq!(sessions_of(&app, me).await, 1);

        app.post_as(&format!("/admin/brukere/{id}/deaktiver"), &[], &admin)
            .await;
        assert!(!user(&app, HANDLER).await.active);
        assert_eq!(sessions_of(&app, id).await, 0);
        assert_eq!(sessions_of(&app, me).await, 1, "the admin's own stays");
        let a = last_audit(&app, id).await;
        assert_eq!(a.action, "user.deactivate");
        assert_eq!(a.actor_id, Some(me));
        assert_eq!(a.actor_email.as_deref(), Some(ADMIN));
        assert_eq!(a.detail.as_deref(), Some("sessions_ended=2"));
        assert_eq!(a.at, app.clock_now());

        app.post_as(&format!("/admin/brukere/{id}/aktiver"), &[], &admin)
            .await;
        let u = user(&app, HANDLER).await;
        assert!(u.active);
        assert!(!u.must_change_password, "the old password still holds");
        assert_eq!(sessions_of(&app, id).await, 0, "no session comes back");
        let a = last_audit(&app, id).await;
        assert_eq!(a.action, "user.activate");
        assert_eq!(a.detail, None);
    }
);

dual!(
    a_password_reset_shows_that_users_one_time_password_once_and_ends_their_sessions,
    |app: TestApp| async move {
        app.sign_in_as(Role::Handler).await;
        let admin = app.sign_in_as(Role::Admin).await;
        let before = user(&app, HANDLER).await;
        let r = app
            .post_as(
                &format!("/admin/brukere/{}/nytt-passord", before.id),
                &[],
                &admin,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let notice = r.text(".notice").expect("the notice");
        assert!(notice.contains(HANDLER), "names the user: {notice}");
        let pw = r.text(".one-time-password code").expect("the password");
        assert!(pw.len() >= 12, "{pw}");
        assert!(r.header("cache-control").is_some_and(|v| v == "no-store"));

        let after = user(&app, HANDLER).await;
        assert!(after.must_change_password);
        assert!(after.active);
        assert_ne!(after.password_hash, before.password_hash);
        assert!(!after.password_hash.contains(&pw), "only a hash is stored");
        assert_eq!(sessions_of(&app, before.id).await, 0);
        let a = last_audit(&app, before.id).await;
        assert_eq!(a.action, "user.reset_password");
        assert_eq!(a.detail.as_deref(), Some("sessions_ended=1"));
        assert!(
            !a.detail.unwrap_or_default().contains(&pw),
            "the password is not in the log"
        );

        // Shown once: the list does not show it again.
        let page = app.get_as("/admin/brukere", &admin).await;
        assert_eq!(page.count(".one-time-password"), 0);
        assert!(!page.body.contains(&pw));
    }
);

dual!(
    an_admin_resetting_their_own_password_stays_signed_in_on_a_new_session_and_must_choose_one,
    |app: TestApp| async move {
        let admin = app.sign_in_as(Role::Admin).await;
        let me = user(&app, ADMIN).await.id;
        let r = app
            .post_as(&format!("/admin/brukere/{me}/nytt-passord"), &[], &admin)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.text(".one-time-password code").is_some());
        let renewed = session_cookie(&r).expect("the session carries on under a new id");
        assert_ne!(renewed, admin);
        assert!(user(&app, ADMIN).await.must_change_password);
        assert_eq!(sessions_of(&app, me).await, 1, "only the renewed one");
        // The old id is gone; the new one must choose a password first.
        let old = app.get_as("/admin/saker", &admin).await;
        assert!(
            old.header("location")
                .is_some_and(|l| l.starts_with("/admin/login"))
        );
        let new = app.get_as("/admin/saker", &renewed).await;
        assert_eq!(new.status, 303);
        assert_eq!(new.header("location").as_deref(), Some("/admin/passord"));
    }
);
