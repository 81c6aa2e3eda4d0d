//! The purge chooses again, inside the transaction that deletes, what is
//! still expired: a case reopened by its consumer's reply, or put on
//! legal hold, while Twilio takes its time deleting recordings stays.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use entity::enums::{CaseStatus, Channel, Role};
use entity::{case, recording};
use innsyn::domain::cases::{self, Joining, NewCase, open_case};
use innsyn::domain::privacy::retention::{self, RunOptions};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

use super::slow_twilio::SlowTwilio;
use crate::dual;
use crate::support::TestApp;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

/// A case closed in January 2025 (long past its time), with a recording.
async fn expired_case_with_recording(app: &TestApp, phone: &str, sid: &str) -> case::Model {
    let c = open_case(
        &app.db,
        "K",
        NewCase {
            channel: Channel::Sms,
            consumer_name: Some("Kari".into()),
            consumer_phone: Some(innsyn::domain::phone::E164::parse(phone).unwrap()),
            consumer_email: None,
            called_from: None,
            category: "unwanted_call".into(),
            body: "Dere ringte meg".into(),
            source_key: None,
            received_at: at(2025, 1, 1),
        },
    )
    .await
    .unwrap();
    recording::ActiveModel {
        case_id: Set(c.id),
        sid: Set(sid.into()),
        url: Set(format!("https://api.twilio.com/recordings/{sid}")),
        duration_secs: Set(30),
        created_at: Set(at(2025, 1, 1)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let mut am = c.into_active_model();
    am.first_response_at = Set(Some(at(2025, 1, 1) + chrono::Duration::hours(1)));
    am.status = Set(CaseStatus::Closed);
    am.closed_at = Set(Some(at(2025, 1, 2)));
    am.update(&app.db).await.unwrap()
}

async fn status_of(app: &TestApp, id: i32) -> Option<CaseStatus> {
    case::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .map(|c| c.status)
}

dual!(
    purge_keeps_a_case_reopened_by_a_reply_or_put_on_hold_while_twilio_deletes_recordings,
    |app: TestApp| async move {
        let twilio = SlowTwilio::start(Duration::from_millis(1000)).await;
        let slow = twilio.instance(&app);
        let reopened =
            expired_case_with_recording(&app, "91234561", "RE00000000000000000000000000000001")
                .await;
        let held =
            expired_case_with_recording(&app, "91234562", "RE00000000000000000000000000000002")
                .await;
        let gone =
            expired_case_with_recording(&app, "91234563", "RE00000000000000000000000000000003")
                .await;
        let today = innsyn::domain::time::oslo_today(app.clock_now());
        let now = app.clock_now();
        let db = app.db.clone();
        let purge = tokio::spawn(async move {
            retention::run(&db, &slow.twilio, today, now, RunOptions::default())
                .await
                .unwrap()
        });
        // While Twilio deletes the first recording, Kari replies to her
        // closed case (it reopens) and an admin puts another on hold.
        twilio.arrived(1).await;
        let txn = innsyn::db::begin_write(&app.db).await.unwrap();
        cases::join(
            &txn,
            &reopened,
            cases::followup(&reopened, true),
            Joining {
                channel: Channel::Sms,
                body: "Jeg ble oppringt igjen i dag!".into(),
                external_id: Some("SMreply0001".into()),
                received_at: app.clock_now(),
            },
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        let s = app.sign_in_as(Role::Admin).await;
        let r = app
            .post_as(
                &format!("/admin/saker/{}/hold", held.reference),
                &[("grunn", "Tvist hos Forbrukertilsynet")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let receipt = purge.await.unwrap();
        assert_eq!(receipt["cases"].count, 1, "only the case nobody touched");
        assert_eq!(
            status_of(&app, reopened.id).await,
            Some(CaseStatus::Answered)
        );
        assert_eq!(status_of(&app, held.id).await, Some(CaseStatus::Closed));
        assert_eq!(status_of(&app, gone.id).await, None);
    }
);
