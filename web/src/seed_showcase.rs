//! What `innsyn seed-demo` adds to the demo centre so a newcomer sees a
//! working day: 60 days of believable dialer figures (one campaign goes
//! over the 5 % limit on a few days, so the norm overview shows a broken
//! duty next to kept ones) and a handful of cases in every state: on time,
//! at risk, breached, answered, closed, closed without an answer.
//! Idempotent: nothing is added when the database already has cases.

use chrono::{DateTime, Duration, Utc};
use entity::enums::{CaseStatus, Channel, Delivery, Direction};
use entity::{campaign, case, message};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, Set,
};

use crate::domain::cases::{NewCase, open_case};
use crate::domain::email::EmailAddress;
use crate::domain::phone::E164;
use crate::domain::privacy::audit::Actor;
use crate::domain::stats::{self, DialerDay, Source};
use crate::domain::time::oslo_today;

/// Days of dialer figures.
pub const DAYS: i64 = 60;

/// A small deterministic generator: the same demo every time.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n.max(1) as u64) as i64
    }
}

/// The dialer's figures for the last [`DAYS`] days, every campaign; no
/// calls on Sundays, fewer on Saturdays.
pub fn figures(codes: &[String], now: DateTime<Utc>) -> Vec<DialerDay> {
    use chrono::{Datelike, Weekday};
    let today = oslo_today(now);
    let mut g = Lcg(17);
    let mut out = Vec::new();
    for back in (1..=DAYS).rev() {
        let date = today - Duration::days(back);
        let scale = match date.weekday() {
            Weekday::Sun => continue,
            Weekday::Sat => 3,
            _ => 10,
        };
        for (i, code) in codes.iter().enumerate() {
            let attempted = (900 + g.next(500)) * scale / 10;
            let answered = attempted * (50 + g.next(12)) / 100;
            let connected = answered * (93 + g.next(5)) / 100;
            // Mostly 1-4 % abandoned; the first campaign slips over 5 % on
            // a few days (norm 4.6.2), which the figures must show.
            let per_mille = if i == 0 && back % 13 == 4 {
                56 + g.next(20)
            } else {
                10 + g.next(30)
            };
            let abandoned = answered * per_mille / 1000;
            out.push(DialerDay {
                date,
                campaign: code.clone(),
                attempted,
                answered,
                connected,
                transferred: connected - abandoned,
                abandoned,
            });
        }
    }
    out
}

struct DemoCase {
    name: &'static str,
    email: Option<&'static str>,
    phone: Option<&'static str>,
    channel: Channel,
    category: &'static str,
    body: &'static str,
    /// Hours before now it came in.
    hours_ago: i64,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Answered,
    Closed,
    ClosedUnanswered,
}

const CASES: &[DemoCase] = &[
    DemoCase {
        name: "Kari Nordmann",
        email: Some("kari.nordmann@example.no"),
        phone: Some("+4791234567"),
        channel: Channel::Web,
        category: "unwanted_call",
        body: "Ikke ring meg igjen, takk.\nDere har ringt tre ganger denne uken.",
        hours_ago: 2,
        state: State::Open,
    },
    DemoCase {
        name: "Ola Hansen",
        email: Some("ola.hansen@example.no"),
        phone: None,
        channel: Channel::Email,
        category: "who_called",
        body: "Hvem ga dere nummeret mitt?\nJeg står ikke i noe register hos dere.",
        hours_ago: 19,
        state: State::Open,
    },
    DemoCase {
        name: "Siri Berg",
        email: None,
        phone: Some("+4748123456"),
        channel: Channel::Sms,
        category: "unwanted_call",
        body: "Stopp å ringe meg",
        hours_ago: 27,
        state: State::Open,
    },
    DemoCase {
        name: "Per Johansen",
        email: Some("per.johansen@example.no"),
        phone: Some("+4795556677"),
        channel: Channel::Web,
        category: "caller_conduct",
        body: "Selgeren var frekk og la på da jeg spurte hvem han ringte for.",
        hours_ago: 30,
        state: State::Answered,
    },
    DemoCase {
        name: "Ingrid Lie",
        email: Some("ingrid.lie@example.no"),
        phone: None,
        channel: Channel::Email,
        category: "other",
        body: "Hva betyr fastprisavtalen for meg som allerede er kunde?",
        hours_ago: 50,
        state: State::Closed,
    },
    DemoCase {
        name: "",
        email: None,
        phone: Some("+4799887766"),
        channel: Channel::Voicemail,
        category: "other",
        body: "(Beskjed uten innhold)",
        hours_ago: 70,
        state: State::ClosedUnanswered,
    },
];

/// Adds the figures and the cases; false when the database already had cases.
pub async fn seed(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<bool> {
    if case::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let camps = campaign::Entity::find().all(db).await?;
    let codes: Vec<String> = camps.iter().map(|c| c.code.clone()).collect();
    let system = Actor::default();
    stats::store(db, &figures(&codes, now), Source::Upload, &system, now)
        .await
        .map_err(|e| anyhow::anyhow!("demo figures: {e:?}"))?;
    for (i, d) in CASES.iter().enumerate() {
        let at = now - Duration::hours(d.hours_ago);
        let camp = camps.get(i % camps.len().max(1));
        let mut c = open_case(
            db,
            "K",
            NewCase {
                channel: d.channel,
                consumer_name: (!d.name.is_empty()).then(|| d.name.to_string()),
                consumer_phone: d.phone.map(E164::parse).transpose().ok().flatten(),
                consumer_email: d.email.map(EmailAddress::parse).transpose().ok().flatten(),
                called_from: None,
                category: d.category.into(),
                body: d.body.into(),
                source_key: Some(format!("demo-{i}")),
                received_at: at,
            },
        )
        .await?;
        if let Some(camp) = camp {
            let mut am = c.clone().into_active_model();
            am.campaign_id = Set(Some(camp.id));
            am.client_id = Set(Some(camp.client_id));
            c = am.update(db).await?;
        }
        let mut am = c.clone().into_active_model();
        match d.state {
            State::Open => continue,
            State::Answered | State::Closed => {
                let sent = at + Duration::hours(3);
                message::ActiveModel {
                    case_id: Set(c.id),
                    direction: Set(Direction::Outbound),
                    channel: Set(Channel::Email),
                    body: Set("Hei, takk for at du tok kontakt. Vi har sett på saken din.".into()),
                    created_at: Set(sent),
                    delivery: Set(Some(Delivery::Sent)),
                    delivery_at: Set(Some(sent)),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                am.first_response_at = Set(Some(sent));
                am.status = Set(if d.state == State::Closed {
                    am.closed_at = Set(Some(sent + Duration::hours(1)));
                    CaseStatus::Closed
                } else {
                    CaseStatus::Answered
                });
            }
            State::ClosedUnanswered => {
                am.status = Set(CaseStatus::Closed);
                am.closed_at = Set(Some(at + Duration::hours(1)));
                am.close_reason = Set(Some("spam".into()));
            }
        }
        am.update(db).await?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_days_of_figures_pass_the_import_checks_and_one_campaign_goes_over() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let f = figures(&["A".into(), "B".into()], now);
        assert!(f.len() > 90);
        assert!(
            f.iter()
                .all(|d| d.answered <= d.attempted && d.abandoned <= d.answered)
        );
        let over = |code: &str| {
            f.iter()
                .filter(|d| d.campaign == code && d.abandoned * 100 > d.answered * 5)
                .count()
        };
        assert!(over("A") > 0);
        assert_eq!(over("B"), 0);
    }
}
