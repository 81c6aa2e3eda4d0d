//! Admin settings: the answering-machine message check (norm 4.4.2), and the
//! internal register (norm 4.4.4).

use entity::enums::Role;
use entity::{audit_log, caller_number, reservation};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::dual;
use crate::support::TestApp;

async fn campaign_id(app: &TestApp) -> String {
    entity::campaign::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.code == "VS-FASTPRIS")
        .unwrap()
        .id
        .to_string()
}

dual!(
    norm_4_4_2_a_message_missing_any_required_fact_is_refused_and_a_complete_one_saved,
    |app: TestApp| async move {
        app.seed_demo().await;
        let s = app.sign_in_as(Role::Admin).await;
        let camp = campaign_id(&app).await;
        let centre = innsyn::domain::catalogue::centre::get(&app.db)
            .await
            .unwrap();
        let before = caller_number::Entity::find().count(&app.db).await.unwrap();
        let full = format!(
            "Hei, det var {} som ringte deg på vegne av Vestlandsstraum AS. Ring oss på {} om du lurer på noe.",
            centre.name, centre.contact_phone
        );
        let cases = [
            (
                full.replace(&centre.name, "et kundesenter"),
                "Meldingen må si hvilket senter som ringte",
            ),
            (
                full.replace("Vestlandsstraum AS", "en kunde"),
                "hvilken oppdragsgiver",
            ),
            (
                full.replace(&centre.contact_phone, "oss"),
                "telefonnummer eller en e-postadresse",
            ),
        ];
        for (message, expected) in cases {
            let r = app
                .post_as(
                    "/admin/numre",
                    &[
                        ("nummer", "21 00 00 77"),
                        ("kampanje", &camp),
                        ("gyldig_fra", "2026-11-01"),
                        ("melding", &message),
                    ],
                    &s,
                )
                .await;
            assert_eq!(r.status, 422, "{message}");
            let listed = r.text("#missing-facts").unwrap();
            assert!(listed.contains(expected), "{listed}");
            // The form keeps what was typed.
            assert_eq!(
                r.text("textarea#melding").as_deref(),
                Some(message.as_str())
            );
        }
        // By e-mail instead of phone is also fine.
        let by_mail = full.replace(&centre.contact_phone, &centre.contact_email);
        for message in [full.clone(), by_mail] {
            let r = app
                .post_as(
                    "/admin/numre",
                    &[
                        ("nummer", "21 00 00 77"),
                        ("kampanje", &camp),
                        ("gyldig_fra", "2026-11-01"),
                        ("melding", &message),
                    ],
                    &s,
                )
                .await;
            assert_eq!(r.status, 303, "{}", r.body);
        }
        assert_eq!(
            caller_number::Entity::find().count(&app.db).await.unwrap(),
            before + 2
        );
    }
);

dual!(
    a_norwegian_mobile_number_is_refused_as_a_caller_number,
    |app: TestApp| async move {
        app.seed_demo().await;
        let s = app.sign_in_as(Role::Admin).await;
        let camp = campaign_id(&app).await;
        let centre = innsyn::domain::catalogue::centre::get(&app.db)
            .await
            .unwrap();
        let message = format!(
            "{} ringte for Vestlandsstraum AS. Ring {}.",
            centre.name, centre.contact_phone
        );
        let r = app
            .post_as(
                "/admin/numre",
                &[
                    ("nummer", "912 34 567"),
                    ("kampanje", &camp),
                    ("gyldig_fra", "2026-11-01"),
                    ("melding", &message),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.text("#nummer-error").unwrap().contains("mobilnumre"));
        assert_eq!(r.attr("#nummer", "value").as_deref(), Some("912 34 567"));
    }
);

dual!(
    norm_4_4_4_staff_add_and_search_reservations_and_removing_one_needs_a_reason,
    |app: TestApp| async move {
        let s = app.sign_in_as(Role::Admin).await;
        let r = app
            .post_as("/admin/reservasjoner", &[("nummer", "22 33 44 55")], &s)
            .await;
        assert_eq!(r.status, 303);
        let r = app.get_as("/admin/reservasjoner?q=22334455", &s).await;
        assert_eq!(r.count(".reservation-row"), 1);
        let id = reservation::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .id;
        let r = app
            .post_as(
                &format!("/admin/reservasjoner/{id}/fjern"),
                &[("grunn", "")],
                &s,
            )
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(reservation::Entity::find().count(&app.db).await.unwrap(), 1);
        let r = app
            .post_as(
                &format!("/admin/reservasjoner/{id}/fjern"),
                &[("grunn", "Personen ba skriftlig om å bli ringt igjen")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(reservation::Entity::find().count(&app.db).await.unwrap(), 0);
        let log = audit_log::Entity::find().all(&app.db).await.unwrap();
        let removed = log
            .iter()
            .find(|a| a.action == "reservation.remove")
            .unwrap();
        assert!(removed.detail.as_deref().unwrap().contains("ba skriftlig"));
        // The audit log holds no phone number.
        assert!(log.iter().all(|a| !format!("{a:?}").contains("22334455")));
        let r = app.get_as("/admin/logg?action=reservation", &s).await;
        assert_eq!(r.count(".audit-row"), 2);
    }
);

dual!(
    admins_edit_the_centre_clients_and_campaigns_and_bad_input_is_kept_with_its_message,
    |app: TestApp| async move {
        let s = app.sign_in_as(Role::Admin).await;
        let r = app
            .post_as(
                "/admin/innstillinger",
                &[
                    ("navn", "Testsenteret AS"),
                    ("orgnr", "999 888 777"),
                    ("telefon", "abc"),
                    ("epost", "post@test.no"),
                    ("adresse", "Gate 1, 0150 Oslo"),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.attr("#navn", "value").as_deref(), Some("Testsenteret AS"));
        assert!(r.text("#telefon-error").is_some());
        let r = app
            .post_as(
                "/admin/innstillinger",
                &[
                    ("navn", "Testsenteret AS"),
                    ("orgnr", "999 888 777"),
                    ("telefon", "22 33 44 55"),
                    ("epost", "post@test.no"),
                    ("adresse", "Gate 1, 0150 Oslo"),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(
            innsyn::domain::catalogue::centre::get(&app.db)
                .await
                .unwrap()
                .name,
            "Testsenteret AS"
        );
        let r = app
            .post_as(
                "/admin/oppdragsgivere",
                &[
                    ("navn", "Ny kunde AS"),
                    ("orgnr", "123 456 789"),
                    ("beskrivelse", "Test"),
                    ("nettsted", ""),
                    ("aktiv", "on"),
                ],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        let client = entity::client::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let cid = client.id.to_string();
        let campaign = [
            ("oppdragsgiver", cid.as_str()),
            ("kode", "NY-1"),
            ("navn", "Vinter"),
            ("formal", "Vi ringer om strøm."),
            ("type_", "sales"),
            ("start", "2026-12-01"),
            ("slutt", "2026-11-01"),
            ("modus", "power"),
        ];
        let r = app.post_as("/admin/kampanjer", &campaign, &s).await;
        assert_eq!(r.status, 422, "an end before the start is refused");
        assert!(r.text("#slutt-error").is_some());
        let mut ok = campaign;
        ok[6] = ("slutt", "2027-02-01");
        assert_eq!(app.post_as("/admin/kampanjer", &ok, &s).await.status, 303);
        let r = app.get("/oppdragsgivere").await;
        assert!(r.body.contains("Ny kunde AS"));
    }
);
