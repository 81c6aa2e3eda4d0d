//! Issue 31, a norm overview that tells the truth: spam and duplicates are
//! not inquiries, a missing national register is a warning wherever it is
//! shown, failing rows link to what lies behind them, and a row for the
//! calling days of norm 4.2 i.

use chrono::{Duration, NaiveDate};
use entity::enums::{Channel, Role};
use entity::{campaign, daily_stat};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::dual;
use crate::support::TestApp;

dual!(
    norm_4_4_3_spam_and_duplicates_are_not_inquiries_on_the_norm_overview,
    |app: TestApp| async move {
        use innsyn::domain::cases::{NewCase, open_case};
        let c = open_case(
            &app.db,
            "K",
            NewCase {
                channel: Channel::Voicemail,
                consumer_name: None,
                consumer_phone: None,
                consumer_email: None,
                called_from: None,
                category: "other".into(),
                body: "Kjøp billige klokker".into(),
                source_key: None,
                received_at: app.clock_now() - Duration::hours(30),
            },
        )
        .await
        .unwrap();
        let s = app.sign_in_as(Role::Handler).await;
        let r = app
            .post_as(
                &format!("/admin/saker/{}/lukk", c.reference),
                &[("lukkegrunn", "spam")],
                &s,
            )
            .await;
        assert_eq!(r.status, 303);
        let m = app.sign_in_as(Role::Manager).await;
        let page = app.get_as("/admin/norm", &m).await;
        let row = "tr[data-key='norm-late-this-month']";
        assert_eq!(
            page.text(&format!("{row} .figure")).as_deref(),
            Some("0 / 0")
        );
        assert_eq!(page.count(&format!("{row}.green")), 1);
        let apart = page.text(&format!("{row} .apart")).unwrap();
        assert!(apart.contains("Spam") && apart.contains('1'), "{apart}");
    }
);

dual!(
    norm_4_2_i_call_attempts_on_a_saturday_make_the_calling_days_row_red_with_the_campaign_and_a_link,
    |app: TestApp| async move {
        app.seed_demo().await;
        let m = app.sign_in_as(Role::Manager).await;
        let camp = campaign::Entity::find().all(&app.db).await.unwrap()[0].clone();
        let row = "tr[data-key='norm-calling-days']";
        let before = app.get_as("/admin/norm", &m).await;
        assert_eq!(before.count(row), 1);
        let was = before.text(&format!("{row} .figure")).unwrap();
        let was: i64 = was.parse().unwrap();
        // Saturday 14 November 2026.
        let saturday = NaiveDate::from_ymd_opt(2026, 11, 14).unwrap();
        // Replace whatever the demo has that day, to know the figure.
        use sea_orm::{ColumnTrait, QueryFilter};
        let existing = daily_stat::Entity::find()
            .filter(daily_stat::Column::Day.eq(saturday))
            .filter(daily_stat::Column::CampaignId.eq(camp.id))
            .one(&app.db)
            .await
            .unwrap();
        let added = match existing {
            Some(d) if d.attempted > 0 => 0,
            Some(d) => {
                daily_stat::Entity::delete_by_id(d.id)
                    .exec(&app.db)
                    .await
                    .unwrap();
                1
            }
            None => 1,
        };
        if added == 1 {
            daily_stat::ActiveModel {
                day: Set(saturday),
                campaign_id: Set(camp.id),
                attempted: Set(40),
                answered: Set(10),
                connected: Set(10),
                transferred: Set(0),
                abandoned: Set(0),
                updated_at: Set(app.clock_now()),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
        let page = app.get_as("/admin/norm", &m).await;
        assert_eq!(
            page.text(&format!("{row} .figure")).unwrap(),
            (was + added).to_string()
        );
        assert_eq!(page.count(&format!("{row}.red")), 1);
        assert!(page.text(row).unwrap().contains(&camp.code));
        assert_eq!(
            page.attr(&format!("{row} a.behind"), "href").as_deref(),
            Some("/admin/statistikk")
        );
    }
);

dual!(
    norm_4_2_i_no_call_attempts_on_rest_days_keeps_the_calling_days_row_green,
    |app: TestApp| async move {
        let m = app.sign_in_as(Role::Manager).await;
        let page = app.get_as("/admin/norm", &m).await;
        let row = "tr[data-key='norm-calling-days']";
        assert_eq!(page.text(&format!("{row} .figure")).as_deref(), Some("0"));
        assert_eq!(page.count(&format!("{row}.green")), 1);
        assert_eq!(
            page.count(&format!("{row} a.behind")),
            0,
            "nothing behind a kept duty"
        );
    }
);

dual!(
    a_missing_national_register_is_shown_as_a_warning_never_as_success,
    |app: TestApp| async move {
        let m = app.sign_in_as(Role::Manager).await;
        for path in ["/admin/norm", "/admin/vask"] {
            let page = app.get_as(path, &m).await;
            assert_eq!(page.status, 200, "{path}");
            assert_eq!(page.count("#national-notice.notice.warn"), 1, "{path}");
        }
        let a = app.sign_in_as(Role::Admin).await;
        let page = app.get_as("/admin/nasjonalt-register", &a).await;
        assert_eq!(page.count("#national-warning.warn"), 1);
    }
);
