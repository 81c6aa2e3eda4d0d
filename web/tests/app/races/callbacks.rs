//! A Twilio status callback that arrives before the outbox recorded the
//! send (Twilio answers the send, then reports at once) is kept and applied
//! when the send is recorded: an undelivered answer puts the case back in
//! the queue.

use std::time::Duration;

use entity::enums::{CaseStatus, Delivery, Direction};
use entity::{case, message};
use innsyn::domain::cases::work::{self, Outbound};
use innsyn::domain::privacy::audit::Actor;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::slow_twilio::SlowTwilio;
use crate::admin_access::open_case;
use crate::dual;
use crate::support::TestApp;

const STATUS: &str = "/webhooks/twilio/sms/status";

dual!(
    status_callback_that_outruns_the_send_is_applied_when_the_send_is_recorded,
    |app: TestApp| async move {
        let twilio = SlowTwilio::start(Duration::from_millis(1000)).await;
        let slow = twilio.instance(&app);
        let reference = open_case(&app, None, Some("912 34 567")).await;
        let view = work::load(&app.db, &reference).await.unwrap();
        work::answer(
            &app.db,
            &Outbound {
                twilio: &slow.twilio,
                mail_from: "kundeservice@nordlys.example",
                centre_name: "Nordlys",
            },
            &view,
            &Actor {
                id: None,
                email: Some("handler@staff.example".into()),
            },
            "sms",
            "Hei, her er svaret.",
            app.clock_now(),
        )
        .await
        .unwrap();
        let s = slow.clone();
        let run =
            tokio::spawn(async move { innsyn::jobs::outbox::dispatch_due(&s).await.unwrap() });
        // Twilio took the message (the stand-in's first SID) and reports
        // it undelivered before the outbox has written the SID down.
        twilio.arrived(1).await;
        let sid = format!("SM{:032}", 1);
        let params = [
            ("MessageSid", sid.as_str()),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30003"),
            ("AccountSid", crate::support::twilio::ACCOUNT_SID),
        ];
        let r = app.twilio_post(STATUS, &params).await;
        assert!(r.status.is_success(), "{} {}", r.status, r.body);
        assert_eq!(run.await.unwrap(), 1);
        let m = message::Entity::find()
            .filter(message::Column::Direction.eq(Direction::Outbound))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.external_id.as_deref(), Some(sid.as_str()));
        assert_eq!(m.delivery, Some(Delivery::Undelivered));
        assert_eq!(m.delivery_error.as_deref(), Some("Twilio 30003"));
        let c = case::Entity::find()
            .filter(case::Column::Reference.eq(reference.as_str()))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.status, CaseStatus::Open, "back in the queue");
        assert_eq!(c.delivery_flag.as_deref(), Some("undelivered"));
        // Twilio repeating the report changes nothing.
        let r = app.twilio_post(STATUS, &params).await;
        assert!(r.status.is_success());
    }
);
