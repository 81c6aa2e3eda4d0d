//! Twilio webhooks on the visible numbers: signed exactly as Twilio signs,
//! TwiML checked as XML, idempotent on Twilio's ids.

use chrono::Duration;
use entity::enums::{Channel, ReservationSource, Role};
use entity::{audit_log, caller_number, case, message, recording, reservation};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};

use crate::dual;
use crate::support::{TestApp, twilio};

const DEMO_NUMBER: &str = "+4721000010";
const CALLER: &str = "+4791234567";

/// One TwiML element: name, attributes, text.
type Element = (String, Vec<(String, String)>, String);

/// The TwiML parsed as XML, every element in document order.
fn twiml(body: &str) -> Vec<Element> {
    let doc =
        roxmltree::Document::parse(body).unwrap_or_else(|e| panic!("invalid XML ({e}): {body}"));
    assert_eq!(doc.root_element().tag_name().name(), "Response");
    doc.descendants()
        .filter(|n| n.is_element())
        .map(|n| {
            (
                n.tag_name().name().to_string(),
                n.attributes()
                    .map(|a| (a.name().to_string(), a.value().to_string()))
                    .collect(),
                n.text().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn said(body: &str) -> Vec<String> {
    twiml(body)
        .into_iter()
        .filter(|(n, _, _)| n == "Say" || n == "Message")
        .map(|(_, _, t)| t)
        .collect()
}

dual!(
    norm_4_4_2_the_dialled_number_plays_its_message_as_valid_escaped_norwegian_twiml,
    |app: TestApp| async move {
        app.seed_demo().await;
        // A message with XML's special characters and Norwegian letters.
        let n = caller_number::Entity::find()
            .filter(caller_number::Column::E164.eq(DEMO_NUMBER))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let text = "Nordlys Kundedialog AS ringte for Vestlandsstraum & Co <vinter> – ring 22 33 44 55. Blåbær, ærlig og øl.";
        let mut am = n.into_active_model();
        am.message = Set(text.into());
        am.update(&app.db).await.unwrap();
        let r = app
            .twilio_post(
                "/webhooks/twilio/voice",
                &[("CallSid", "CA100"), ("From", CALLER), ("To", DEMO_NUMBER)],
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").unwrap().starts_with("text/xml"));
        let els = twiml(&r.body);
        let says: Vec<_> = els.iter().filter(|(n, _, _)| n == "Say").collect();
        assert_eq!(says[0].2, text, "the exact text survives escaping");
        assert!(
            says.iter()
                .all(|(_, a, _)| a.contains(&("language".into(), "nb-NO".into())))
        );
        let gather = els
            .iter()
            .find(|(n, _, _)| n == "Gather")
            .expect("a keypad menu");
        assert!(
            gather
                .1
                .contains(&("action".into(), "/webhooks/twilio/voice/meny".into()))
        );
    }
);

dual!(
    an_unknown_number_gets_the_centres_general_message,
    |app: TestApp| async move {
        app.seed_demo().await;
        let r = app
            .twilio_post(
                "/webhooks/twilio/voice",
                &[
                    ("CallSid", "CA101"),
                    ("From", CALLER),
                    ("To", "+4722998877"),
                ],
            )
            .await;
        let centre = innsyn::domain::catalogue::centre::get(&app.db)
            .await
            .unwrap();
        let first = said(&r.body).remove(0);
        assert!(
            first.contains(&centre.name) && first.contains(&centre.contact_phone),
            "{first}"
        );
    }
);

dual!(
    a_bad_missing_or_tampered_signature_is_refused_and_stores_nothing,
    |app: TestApp| async move {
        let params = [
            ("CallSid", "CA200"),
            ("From", CALLER),
            ("To", DEMO_NUMBER),
            ("RecordingSid", "RE00000000000000000000000000000200"),
            (
                "RecordingUrl",
                "https://api.twilio.com/x/RE00000000000000000000000000000200",
            ),
            ("RecordingDuration", "12"),
        ];
        let path = "/webhooks/twilio/voice/recording";
        let url = format!("{}{path}", app.state.config.public_base_url);
        let owned: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let good = innsyn::twilio_signature::sign(twilio::AUTH_TOKEN, &url, &owned);
        // Missing.
        assert_eq!(
            app.twilio_post_signed(path, &params, None).await.status,
            403
        );
        // Wrong key.
        let wrong = innsyn::twilio_signature::sign("not-the-token", &url, &owned);
        assert_eq!(
            app.twilio_post_signed(path, &params, Some(&wrong))
                .await
                .status,
            403
        );
        // Replayed with a changed parameter.
        let mut changed = params;
        changed[5] = ("RecordingDuration", "13");
        assert_eq!(
            app.twilio_post_signed(path, &changed, Some(&good))
                .await
                .status,
            403
        );
        // Signed for another path (the URL is part of the signature).
        assert_eq!(
            app.twilio_post_signed("/webhooks/twilio/sms", &params, Some(&good))
                .await
                .status,
            403
        );
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 0);
        assert_eq!(recording::Entity::find().count(&app.db).await.unwrap(), 0);
        // The right one goes through.
        assert_eq!(
            app.twilio_post_signed(path, &params, Some(&good))
                .await
                .status,
            200
        );
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 1);
    }
);

dual!(
    norm_4_4_4_keypad_reservation_makes_one_row_however_often_it_is_pressed,
    |app: TestApp| async move {
        let press = |sid: &'static str| {
            let app = &app;
            async move {
                app.twilio_post(
                    "/webhooks/twilio/voice/meny",
                    &[
                        ("CallSid", sid),
                        ("From", CALLER),
                        ("To", DEMO_NUMBER),
                        ("Digits", "2"),
                    ],
                )
                .await
            }
        };
        let first = press("CA300").await;
        assert_eq!(first.status, 200);
        assert!(said(&first.body)[0].contains("reservasjonsregister"));
        for _ in 0..3 {
            assert_eq!(
                press("CA300").await.body,
                first.body,
                "a retry answers the same"
            );
        }
        press("CA301").await;
        let rows = reservation::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].e164.as_str(), rows[0].source),
            (CALLER, ReservationSource::Phone)
        );
        // 1 records, after telling the caller why and for how long (norm 8.2.1).
        let r = app
            .twilio_post(
                "/webhooks/twilio/voice/meny",
                &[
                    ("CallSid", "CA302"),
                    ("From", CALLER),
                    ("To", DEMO_NUMBER),
                    ("Digits", "1"),
                ],
            )
            .await;
        let els = twiml(&r.body);
        assert!(els[1].2.contains("90 dager"), "{}", els[1].2);
        let rec = els
            .iter()
            .find(|(n, _, _)| n == "Record")
            .expect("a Record verb");
        assert!(
            rec.1
                .contains(&("action".into(), "/webhooks/twilio/voice/recording".into()))
        );
        // 3 hears the message again.
        let r = app
            .twilio_post(
                "/webhooks/twilio/voice/meny",
                &[
                    ("CallSid", "CA303"),
                    ("From", CALLER),
                    ("To", DEMO_NUMBER),
                    ("Digits", "3"),
                ],
            )
            .await;
        assert_eq!(twiml(&r.body)[1].2, "/webhooks/twilio/voice");
    }
);

dual!(
    norm_4_4_3_a_recording_delivered_100_times_makes_one_voicemail_case_due_in_24_hours,
    |app: TestApp| async move {
        app.seed_demo().await;
        let params = [
            ("CallSid", "CA400"),
            ("From", CALLER),
            ("To", DEMO_NUMBER),
            ("RecordingSid", "RE00000000000000000000000000000400"),
            (
                "RecordingUrl",
                "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE00000000000000000000000000000400",
            ),
            ("RecordingDuration", "17"),
        ];
        let first = app
            .twilio_post("/webhooks/twilio/voice/recording", &params)
            .await;
        for _ in 0..99 {
            let again = app
                .twilio_post("/webhooks/twilio/voice/recording", &params)
                .await;
            assert_eq!(again.body, first.body);
        }
        let cases = case::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(cases.len(), 1);
        let c = &cases[0];
        assert_eq!(c.channel, Channel::Voicemail);
        assert_eq!(c.due_at - c.received_at, Duration::hours(24));
        assert_eq!(c.consumer_phone.as_deref(), Some(CALLER));
        assert!(
            c.campaign_id.is_some(),
            "the dialled number ties it to its campaign"
        );
        let rec = recording::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (rec.sid.as_str(), rec.duration_secs),
            ("RE00000000000000000000000000000400", 17)
        );
        // A transcription joins the case as a message, once.
        for _ in 0..3 {
            app.twilio_post(
                "/webhooks/twilio/voice/transcription",
                &[
                    ("RecordingSid", "RE00000000000000000000000000000400"),
                    ("TranscriptionSid", "TR400"),
                    ("TranscriptionText", "Hei, ikke ring meg mer."),
                ],
            )
            .await;
        }
        let msgs = message::Entity::find()
            .filter(message::Column::CaseId.eq(c.id))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[1].body, "Hei, ikke ring meg mer.");
    }
);

dual!(
    a_recording_webhook_without_its_recording_id_is_refused_and_stores_nothing,
    |app: TestApp| async move {
        // Twilio always names the recording; a post without one is not
        // Twilio's (hardening.rs covers every webhook).
        let r = app
            .twilio_post("/webhooks/twilio/voice/recording", &[("CallSid", "CA500")])
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 0);
    }
);

dual!(
    norm_4_4_4_an_sms_stop_word_reserves_once_and_other_text_becomes_one_case,
    |app: TestApp| async move {
        let sms = |sid: &'static str, body: &'static str| {
            let app = &app;
            async move {
                app.twilio_post(
                    "/webhooks/twilio/sms",
                    &[
                        ("MessageSid", sid),
                        ("From", CALLER),
                        ("To", DEMO_NUMBER),
                        ("Body", body),
                    ],
                )
                .await
            }
        };
        let r = sms("SM1", "  stopp ").await;
        assert!(said(&r.body)[0].contains("reservasjonsregister"));
        sms("SM2", "STOP").await;
        let rows = reservation::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].source, ReservationSource::Sms);
        // Other text: one case, however often Twilio delivers it.
        let first = sms("SM3", "Hvem er dere?").await;
        for _ in 0..99 {
            assert_eq!(sms("SM3", "Hvem er dere?").await.body, first.body);
        }
        let cases = case::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].channel, Channel::Sms);
        assert!(said(&first.body)[0].contains(&cases[0].reference));
        // A second text joins the open case.
        sms("SM4", "Jeg venter på svar.").await;
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 1);
        assert_eq!(message::Entity::find().count(&app.db).await.unwrap(), 2);
    }
);

dual!(
    playing_a_recording_is_audited_and_deleting_it_deletes_it_at_twilio,
    |app: TestApp| async move {
        app.twilio_post(
            "/webhooks/twilio/voice/recording",
            &[
                ("CallSid", "CA600"),
                ("From", CALLER),
                ("To", DEMO_NUMBER),
                ("RecordingSid", "RE00000000000000000000000000000600"),
                (
                    "RecordingUrl",
                    "https://api.twilio.com/x/RE00000000000000000000000000000600",
                ),
                ("RecordingDuration", "5"),
            ],
        )
        .await;
        let c = case::Entity::find().one(&app.db).await.unwrap().unwrap();
        let rec = recording::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let path = format!("/admin/saker/{}/opptak/{}", c.reference, rec.id);
        // Signed out: no audio, no audit row.
        let r = app.get(&path).await;
        assert_eq!(r.status, 303);
        assert!(app.twilio.requests().is_empty());
        let s = app.sign_in_as(Role::Handler).await;
        let page = app
            .get_as(&format!("/admin/saker/{}", c.reference), &s)
            .await;
        assert_eq!(page.attr("audio", "src").as_deref(), Some(path.as_str()));
        let r = app.get_as(&path, &s).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body.as_bytes(), twilio::RECORDING_AUDIO);
        let plays = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("recording.play"))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(plays.len(), 1);
        assert_eq!(
            plays[0].actor_email.as_deref(),
            Some("handler@staff.example")
        );
        let got = app.twilio.requests();
        assert_eq!(got[0].method, "GET");
        assert!(
            got[0]
                .path
                .ends_with("/Recordings/RE00000000000000000000000000000600.mp3")
        );
        // Deleting deletes at Twilio, and the audio is gone here too.
        let r = app.post_as(&format!("{path}/slett"), &[], &s).await;
        assert_eq!(r.status, 303);
        let got = app.twilio.requests();
        assert_eq!(got.last().unwrap().method, "DELETE");
        assert!(
            got.last()
                .unwrap()
                .path
                .ends_with("/Recordings/RE00000000000000000000000000000600.json")
        );
        assert!(
            recording::Entity::find()
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
                .deleted_at
                .is_some()
        );
        assert_eq!(app.get_as(&path, &s).await.status, 404);
    }
);

dual!(
    an_sms_from_another_number_quoting_a_reference_opens_a_new_case,
    |app: TestApp| async move {
        let text = |sid: &'static str, from: &'static str, body: String| {
            let app = &app;
            async move {
                app.twilio_post(
                    "/webhooks/twilio/sms",
                    &[
                        ("MessageSid", sid),
                        ("From", from),
                        ("To", DEMO_NUMBER),
                        ("Body", body.as_str()),
                    ],
                )
                .await
            }
        };
        text("SM10", CALLER, "Hvem ringte meg?".into()).await;
        let kari = case::Entity::find().one(&app.db).await.unwrap().unwrap();
        let r = text(
            "SM11",
            "+4791234568",
            format!("Gjelder sak {}. Send meg alt.", kari.reference),
        )
        .await;
        let cases = case::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(cases.len(), 2, "a case of its own");
        let theirs = cases.iter().find(|c| c.id != kari.id).unwrap();
        assert_eq!(theirs.consumer_phone.as_deref(), Some("+4791234568"));
        assert!(said(&r.body)[0].contains(&theirs.reference));
        assert_eq!(
            case::Entity::find_by_id(kari.id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap(),
            kari,
            "Kari's case is as it was"
        );
        let in_karis = message::Entity::find()
            .filter(message::Column::CaseId.eq(kari.id))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(in_karis, 1);
    }
);
