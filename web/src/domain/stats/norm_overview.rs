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
    let late = sla.overall.inquiries - sla.overall.answered_within_24h;
    out.push(Check {
        section: "4.4.3",
        key: "norm-late-this-month",
        figure: format!("{late} / {}", sla.overall.inquiries),
        ok: late == 0,
        details: vec![],
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
    });
    Ok(out)
}
