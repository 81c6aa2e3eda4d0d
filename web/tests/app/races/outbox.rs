//! The outbox sends each message once, also with two dispatchers (two
//! instances) and a Twilio that takes its time: a claim counts from the
//! moment it is taken, is checked against `parked` and `next_attempt_at`
//! when it is taken, and "Send igjen" leaves a send in flight alone.

use std::time::Duration;

use entity::enums::Role;
use entity::mail_outbox;
use innsyn::domain::cases::work::{self, Outbound};
use innsyn::domain::privacy::audit::Actor;
use innsyn::state::AppState;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

use super::slow_twilio::SlowTwilio;
use crate::admin_access::open_case;
use crate::dual;
use crate::support::TestApp;

/// Queues one SMS answer per body on a case of its own; returns the
/// references and the dialogue message ids.
async fn queue_sms(app: &TestApp, via: &AppState, bodies: &[&str]) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    for body in bodies {
        let reference = open_case(app, None, Some("912 34 567")).await;
        let view = work::load(&app.db, &reference).await.unwrap();
        let m = work::answer(
            &app.db,
            &Outbound {
                twilio: &via.twilio,
                mail_from: "kundeservice@nordlys.example",
                centre_name: "Nordlys",
            },
            &view,
            &Actor {
                id: None,
                email: Some("handler@staff.example".into()),
            },
            "sms",
            body,
            app.clock_now(),
        )
        .await
        .unwrap();
        out.push((reference, m.id));
    }
    out
}

fn dispatch(s: &AppState) -> tokio::task::JoinHandle<usize> {
    let s = s.clone();
    tokio::spawn(async move { innsyn::jobs::outbox::dispatch_due(&s).await.unwrap() })
}

fn assert_each_once(sent: &[String], bodies: &[&str]) {
    for b in bodies {
        let n = sent.iter().filter(|s| s == b).count();
        assert_eq!(n, 1, "{b:?} sent {n} times (all sent: {sent:?})");
    }
}

dual!(
    outbox_two_dispatchers_with_a_slow_twilio_send_each_sms_exactly_once,
    |app: TestApp| async move {
        let twilio = SlowTwilio::start(Duration::from_millis(700)).await;
        let (a, b) = (twilio.instance(&app), twilio.instance(&app));
        let bodies = ["Svar en", "Svar to", "Svar tre"];
        queue_sms(&app, &a, &bodies).await;
        let first = dispatch(&a);
        // The batch takes minutes: 4 pass during the first send, 2 more
        // during the second, and then another instance runs the outbox.
        twilio.arrived(1).await;
        app.clock.advance(chrono::Duration::minutes(4));
        twilio.arrived(2).await;
        app.clock.advance(chrono::Duration::minutes(2));
        let second = dispatch(&b);
        let total = first.await.unwrap() + second.await.unwrap();
        assert_each_once(&twilio.bodies(), &bodies);
        assert_eq!(total, 3);
        assert_eq!(
            mail_outbox::Entity::find()
                .all(&app.db)
                .await
                .unwrap()
                .len(),
            0
        );
    }
);

dual!(
    outbox_a_row_parked_while_a_batch_runs_is_not_sent_by_that_batch,
    |app: TestApp| async move {
        let twilio = SlowTwilio::start(Duration::from_millis(700)).await;
        let a = twilio.instance(&app);
        queue_sms(&app, &a, &["Svar en", "Svar to"]).await;
        let run = dispatch(&a);
        twilio.arrived(1).await;
        // Meanwhile another dispatcher tried the second and Twilio refused
        // it for good: it is parked, waiting for a handler.
        let rows = mail_outbox::Entity::find().all(&app.db).await.unwrap();
        let second = rows.iter().find(|r| r.body == "Svar to").unwrap().clone();
        let mut am = second.into_active_model();
        am.parked = Set(true);
        am.attempts = Set(1);
        am.update(&app.db).await.unwrap();
        assert_eq!(run.await.unwrap(), 1);
        assert_eq!(twilio.bodies(), vec!["Svar en".to_string()]);
    }
);

dual!(
    outbox_send_igjen_during_a_send_in_flight_does_not_send_it_twice,
    |app: TestApp| async move {
        let twilio = SlowTwilio::start(Duration::from_millis(1500)).await;
        let (a, b) = (twilio.instance(&app), twilio.instance(&app));
        let queued = queue_sms(&app, &a, &["Svar en"]).await;
        let (reference, message) = &queued[0];
        let run = dispatch(&a);
        twilio.arrived(1).await;
        // A handler presses "Send igjen" while Twilio is still at it (the
        // message shows "queued"), and another instance runs the outbox.
        let s = app.sign_in_as(Role::Handler).await;
        let r = app
            .post_as(
                &format!("/admin/saker/{reference}/meldinger/{message}/send-igjen"),
                &[],
                &s,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let other = dispatch(&b).await.unwrap();
        let first = run.await.unwrap();
        assert_eq!((first, other), (1, 0));
        assert_eq!(twilio.bodies(), vec!["Svar en".to_string()]);
        // The request's own kick (the regular stand-in) sent nothing either.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            app.twilio.requests().is_empty(),
            "{:?}",
            app.twilio.requests()
        );
    }
);
