//! One page an auditor from the norm's board can be shown (norm 4.1, 4.3,
//! 4.4.1, 4.4.2, 4.4.3, 4.6.2): each duty the software carries, its live
//! figure, and whether it is met.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use entity::{caller_number, campaign, client, daily_stat};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashSet;

use crate::domain::catalogue::caller_numbers::missing_facts;
use crate::domain::norm::{self, ANSWER_WITHIN};
use crate::domain::stats::{self, Period};
use crate::domain::time::oslo_today;
use crate::domain::{cases::queue, catalogue::centre, privacy::retention};

/// One duty: norm section, translation key, live figure, met or not, details.
#[derive(Clone, Debug)]
pub struct Check {
    pub section: &'static str,
    pub key: &'static str,
    pub figure: String,
    pub ok: bool,
    pub details: Vec<String>,
    /// Where what lies behind a failing figure is shown.
    pub link: Option<&'static str>,
    /// Spam and duplicates left out of the figure (they are not inquiries).
    pub apart: Option<u64>,
}

/// Cases received from `from` through `to` (Oslo dates) and closed as spam
/// or as a duplicate of another case: not inquiries (norm 4.4.3).
async fn spam_and_duplicates(
    conn: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<u64, DbErr> {
    use chrono_tz::Europe::Oslo;
    let since = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - Duration::days(1);
    let rows: Vec<DateTime<Utc>> = entity::case::Entity::find()
        .select_only()
        .column(entity::case::Column::ReceivedAt)
        .filter(entity::case::Column::CloseReason.is_in(["spam", "duplikat"]))
        .filter(entity::case::Column::FirstResponseAt.is_null())
        .filter(entity::case::Column::ReceivedAt.gte(since))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|t| t.with_timezone(&Oslo).date_naive())
        .filter(|d| *d >= from && *d <= to)
        .count() as u64)
}

pub async fn checks(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit_percent: f64,
) -> Result<Vec<Check>, DbErr> {
    let today = oslo_today(now);
    let mut out = Vec::new();

    // 4.4.3: the oldest unanswered inquiry against 24 hours.
    let c = queue::counters(conn, now).await?;
    let age = c.oldest.map(|t| now - t);
    out.push(Check {
        section: "4.4.3",
        key: "norm-oldest",
        figure: age
            .map(|a| format!("{} t {} min", a.num_hours(), a.num_minutes() % 60))
            .unwrap_or_else(|| "–".into()),
        ok: age.is_none_or(|a| a < ANSWER_WITHIN),
        details: vec![],
        apart: None,
        link: Some("/admin/saker?status=breached"),
    });

    // 4.4.3: inquiries this month answered late (or not at all in 24 hours).
    let month_start = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let sla = stats::sla(
        conn,
        &Period {
            from: month_start,
            to: today,
            client: None,
            campaign: None,
        },
        now,
    )
    .await?;
    // Spam and duplicates are not inquiries: counted apart, never late.
    let not_inquiries = spam_and_duplicates(conn, month_start, today).await?;
    let inquiries = sla.overall.inquiries.saturating_sub(not_inquiries);
    let late = inquiries.saturating_sub(sla.overall.answered_within_24h);
    out.push(Check {
        section: "4.4.3",
        key: "norm-late-this-month",
        figure: format!("{late} / {inquiries}"),
        ok: late == 0,
        details: vec![],
        apart: Some(not_inquiries),
        link: Some("/admin/statistikk"),
    });

    // 4.4.3 + privacy: written dialogue past its date still stored (must be 0).
    let p = retention::policy(conn).await?;
    let due = retention::preview(conn, &p, today, norm::DEFAULT_AGENT_REQUIRED_DAYS).await?;
    let overdue = due.get("cases").map(|k| k.count).unwrap_or(0);
    out.push(Check {
        section: "4.4.3",
        key: "norm-retention-overdue",
        figure: overdue.to_string(),
        ok: overdue == 0,
        details: vec![],
        apart: None,
        link: Some("/admin/oppbevaring"),
    });

    // 4.4.3: a case must be findable to be answered in time. Documents the
    // search server has not confirmed yet (the figure); red when some failed.
    let backlog = crate::domain::search::backlog(conn).await?;
    out.push(Check {
        section: "4.4.3",
        key: "norm-search-backlog",
        figure: backlog.waiting.to_string(),
        ok: backlog.failing == 0,
        details: vec![],
        apart: None,
        link: None,
    });

    // 4.3: statistics coverage for the last 12 months, per campaign.
    let from = today
        .checked_sub_months(Months::new(norm::MIN_STATS_MONTHS.unsigned_abs()))
        .unwrap_or(today);
    let yesterday = today - Duration::days(1);
    let have: HashSet<(i32, NaiveDate)> = daily_stat::Entity::find()
        .select_only()
        .columns([daily_stat::Column::CampaignId, daily_stat::Column::Day])
        .filter(daily_stat::Column::Day.gte(from))
        .into_tuple::<(i32, NaiveDate)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let mut gaps = Vec::new();
    for camp in campaign::Entity::find().all(conn).await? {
        let start = camp.starts_on.max(from);
        let end = camp.ends_on.unwrap_or(yesterday).min(yesterday);
        let mut missing = 0;
        let mut d = start;
        while d <= end {
            if !have.contains(&(camp.id, d)) {
                missing += 1;
            }
            d += Duration::days(1);
        }
        if missing > 0 {
            gaps.push(format!("{}: {missing}", camp.code));
        }
    }
    out.push(Check {
        section: "4.3",
        key: "norm-stats-coverage",
        figure: gaps.len().to_string(),
        ok: gaps.is_empty(),
        details: gaps,
        apart: None,
        link: Some("/admin/statistikk"),
    });

    // 4.2 i: no calls on Saturdays, Sundays or public holidays. Days with
    // call attempts on such a day in the imported daily figures, per
    // campaign, over the same 12 months (red when any).
    let codes: std::collections::HashMap<i32, String> = campaign::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.code))
        .collect();
    let attempted: Vec<(i32, NaiveDate)> = daily_stat::Entity::find()
        .select_only()
        .columns([daily_stat::Column::CampaignId, daily_stat::Column::Day])
        .filter(daily_stat::Column::Day.gte(from))
        .filter(daily_stat::Column::Attempted.gt(0))
        .into_tuple()
        .all(conn)
        .await?;
    let mut off_days: std::collections::BTreeMap<String, i64> = Default::default();
    for (campaign_id, day) in attempted {
        if !crate::domain::dialer::calling_hours::is_calling_day(day) {
            let code = codes
                .get(&campaign_id)
                .cloned()
                .unwrap_or_else(|| campaign_id.to_string());
            *off_days.entry(code).or_default() += 1;
        }
    }
    let total: i64 = off_days.values().sum();
    out.push(Check {
        section: "4.2 i",
        key: "norm-calling-days",
        figure: total.to_string(),
        ok: total == 0,
        details: off_days
            .iter()
            .map(|(code, n)| format!("{code}: {n}"))
            .collect(),
        apart: None,
        link: Some("/admin/statistikk"),
    });

    // 4.6.2: campaigns over the abandoned limit in the last 30 days.
    let rows = stats::daily(
        conn,
        &Period {
            from: today - Duration::days(norm::ABANDONED_OVERVIEW_DAYS),
            to: today,
            client: None,
            campaign: None,
        },
        limit_percent,
    )
    .await?;
    let mut over: Vec<String> = rows
        .iter()
        .filter(|r| r.over_limit_day || r.over_limit_week)
        .map(|r| r.campaign_code.clone())
        .collect();
    over.sort();
    over.dedup();
    out.push(Check {
        section: "4.6.2",
        key: "norm-abandoned",
        figure: over.len().to_string(),
        ok: over.is_empty(),
        details: over,
        apart: None,
        link: Some("/admin/statistikk"),
    });

    // 4.4.2: caller numbers whose message lacks a required fact.
    let info = centre::get(conn).await?;
    let camps: std::collections::HashMap<i32, campaign::Model> = campaign::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let clients: std::collections::HashMap<i32, String> = client::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut lacking = Vec::new();
    for n in caller_number::Entity::find().all(conn).await? {
        if n.valid_to.is_some_and(|t| t < today) {
            continue;
        }
        let names: Vec<String> = camps
            .get(&n.campaign_id)
            .and_then(|c| clients.get(&c.client_id).cloned())
            .into_iter()
            .collect();
        if !missing_facts(&n.message, &info, &names).is_empty() {
            lacking.push(n.e164);
        }
    }
    out.push(Check {
        section: "4.4.2",
        key: "norm-messages",
        figure: lacking.len().to_string(),
        ok: lacking.is_empty(),
        details: lacking,
        apart: None,
        link: Some("/admin/numre"),
    });

    // 4.4.1: the public pages have what they must show.
    let active = client::Entity::find()
        .filter(client::Column::Active.eq(true))
        .all(conn)
        .await?
        .len();
    out.push(Check {
        section: "4.4.1",
        key: "norm-public-pages",
        figure: active.to_string(),
        ok: info.configured && active > 0,
        details: vec![
            "/oppdragsgivere".into(),
            "/reservasjon".into(),
            "/hvem-ringte".into(),
            "/klage".into(),
        ],
        apart: None,
        link: Some("/admin/oppdragsgivere"),
    });
    Ok(out)
}
