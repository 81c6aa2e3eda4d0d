//! Daily statistics per campaign (norm 4.3): dialer figures imported from the
//! dialer, written complaints counted from the cases (and from the facts the
//! retention purge leaves), the abandoned-call rate against its limit
//! (norm 4.6.2), and SLA figures (norm 4.4.3).

pub mod charts;
pub mod export;
pub mod norm_overview;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Oslo;
use entity::enums::Channel;
use entity::{campaign, case, case_fact, client, daily_stat};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Set, Statement,
};
use serde::{Deserialize, Serialize};

use crate::domain::norm::ANSWER_WITHIN;
use crate::domain::privacy::audit::{self, Actor, Entry};
use crate::domain::privacy::retention::day_start;
use crate::domain::{Error, FieldErrors};

/// Abandoned calls ÷ answered (established) calls (norm 4.6.2). No answered
/// calls: no rate, not a division error.
pub fn abandoned_rate(abandoned: i64, answered: i64) -> Option<f64> {
    (answered > 0).then(|| abandoned as f64 / answered as f64)
}

/// Over the limit (a percentage, e.g. 5.0)? Exactly at the limit is allowed.
pub fn over_limit(rate: Option<f64>, limit_percent: f64) -> bool {
    rate.is_some_and(|r| r * 100.0 > limit_percent + 1e-9)
}

/// One imported line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialerDay {
    pub date: NaiveDate,
    pub campaign: String,
    pub attempted: i64,
    pub answered: i64,
    pub connected: i64,
    pub transferred: i64,
    pub abandoned: i64,
}

/// What is wrong with one line of an import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

fn check(d: &DialerDay) -> Option<String> {
    if !crate::domain::time::supported(d.date) {
        return Some(format!("date {} is outside the years 1900-2200", d.date));
    }
    let all = [
        d.attempted,
        d.answered,
        d.connected,
        d.transferred,
        d.abandoned,
    ];
    if all.iter().any(|v| *v < 0) {
        return Some("numbers cannot be negative".into());
    }
    if d.answered > d.attempted {
        return Some("more answered than attempted calls".into());
    }
    if d.abandoned > d.answered {
        return Some("more abandoned than answered calls".into());
    }
    None
}

/// Parses a dialer CSV: header `date,campaign,attempted,answered,connected,
/// transferred,abandoned`, separated by `;` or `,`. Every line is checked
/// before anything is stored.
pub fn parse_csv(text: &str) -> Result<Vec<DialerDay>, Vec<LineError>> {
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or("");
    let sep = if first.contains(';') { b';' } else { b',' };
    let mut r = csv::ReaderBuilder::new()
        .delimiter(sep)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let want = [
        "date",
        "campaign",
        "attempted",
        "answered",
        "connected",
        "transferred",
        "abandoned",
    ];
    let header: Vec<String> = match r.headers() {
        Ok(h) => h.iter().map(|s| s.to_lowercase()).collect(),
        Err(_) => vec![],
    };
    if header != want {
        return Err(vec![LineError {
            line: 1,
            message: format!("the header must be {}", want.join(",")),
        }]);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) => {
                errors.push(LineError {
                    line,
                    message: e.to_string(),
                });
                continue;
            }
        };
        if rec.iter().all(str::is_empty) {
            continue;
        }
        if rec.len() != 7 {
            errors.push(LineError {
                line,
                message: format!("expected 7 fields, found {}", rec.len()),
            });
            continue;
        }
        let Some(date) = crate::domain::time::parse_date(&rec[0]) else {
            errors.push(LineError {
                line,
                message: format!("not a date (YYYY-MM-DD, years 1900-2200): {:?}", &rec[0]),
            });
            continue;
        };
        let mut nums = [0i64; 5];
        let mut bad = None;
        for (j, n) in nums.iter_mut().enumerate() {
            match rec[j + 2].parse::<i64>() {
                Ok(v) => *n = v,
                Err(_) => {
                    bad = Some(format!(
                        "{} is not a whole number: {:?}",
                        want[j + 2],
                        &rec[j + 2]
                    ))
                }
            }
        }
        if let Some(m) = bad {
            errors.push(LineError { line, message: m });
            continue;
        }
        let d = DialerDay {
            date,
            campaign: rec[1].to_uppercase(),
            attempted: nums[0],
            answered: nums[1],
            connected: nums[2],
            transferred: nums[3],
            abandoned: nums[4],
        };
        if let Some(m) = check(&d) {
            errors.push(LineError { line, message: m });
            continue;
        }
        rows.push(d);
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Where imported figures came from, for the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A CSV file uploaded in the back office (lines numbered from 2).
    Upload,
    /// `POST /api/v1/stats/daily` with API token `token_id` (lines from 1).
    Api { token_id: i32 },
}

/// Why an import stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// What is wrong with each line.
    #[error("{} lines are wrong", .0.len())]
    Lines(Vec<LineError>),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<ImportError> for Error {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Lines(_) => {
                Error::Invalid(FieldErrors::one("fil", "stats-import-refused"))
            }
            ImportError::Db(e) => e.into(),
        }
    }
}

/// Stores the days, all or nothing; a day already there is replaced. The
/// import is audited (the number of rows) in the same transaction. Lines
/// are numbered from 2 for an upload (after the CSV header), from 1 for
/// the API.
pub async fn store(
    db: &DatabaseConnection,
    rows: &[DialerDay],
    source: Source,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<usize, ImportError> {
    let first_line = match source {
        Source::Upload => 2,
        Source::Api { .. } => 1,
    };
    let codes: HashMap<String, i32> = campaign::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.code.to_uppercase(), c.id))
        .collect();
    let mut errors = Vec::new();
    for (i, d) in rows.iter().enumerate() {
        if !codes.contains_key(&d.campaign.to_uppercase()) {
            errors.push(LineError {
                line: i + first_line,
                message: format!("no campaign with code {:?}", d.campaign),
            });
        } else if let Some(m) = check(d) {
            errors.push(LineError {
                line: i + first_line,
                message: m,
            });
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Lines(errors));
    }
    let txn = crate::db::begin_write(db).await?;
    for chunk in rows.chunks(500) {
        let models = chunk.iter().map(|d| daily_stat::ActiveModel {
            day: Set(d.date),
            campaign_id: Set(codes[&d.campaign.to_uppercase()]),
            attempted: Set(d.attempted),
            answered: Set(d.answered),
            connected: Set(d.connected),
            transferred: Set(d.transferred),
            abandoned: Set(d.abandoned),
            updated_at: Set(now),
            ..Default::default()
        });
        daily_stat::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([daily_stat::Column::Day, daily_stat::Column::CampaignId])
                    .update_columns([
                        daily_stat::Column::Attempted,
                        daily_stat::Column::Answered,
                        daily_stat::Column::Connected,
                        daily_stat::Column::Transferred,
                        daily_stat::Column::Abandoned,
                        daily_stat::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    let n = rows.len();
    let entry = match source {
        Source::Upload => Entry::new("stats.import"),
        Source::Api { token_id } => Entry::new("api.stats_daily").object("api_token", token_id),
    };
    audit::record(&txn, now, by, entry.detail(format!("rows={n}"))).await?;
    txn.commit().await?;
    Ok(n)
}

/// The figures of an export (`format`: `csv` (or empty), `xlsx`, `json`),
/// every row of the period the filter gives; the export is audited.
/// A period or format the export cannot give is refused.
pub async fn export(
    db: &DatabaseConnection,
    f: &StatsFilter,
    format: &str,
    limit_percent: f64,
    by: &Actor,
    now: DateTime<Utc>,
    people: Option<crate::i18n::Lang>,
) -> Result<export::Download, Error> {
    let fmt = export::FileFormat::parse(format).ok_or(Error::Refused("stats-error-format"))?;
    let p = f
        .period(crate::domain::time::oslo_today(now))
        .map_err(Error::Refused)?;
    let rows = daily(db, &p, limit_percent).await?;
    audit::record(
        db,
        now,
        by,
        Entry::new("stats.export").detail(format!(
            "format={} from={} to={} rows={}",
            fmt.name(),
            p.from,
            p.to,
            rows.len()
        )),
    )
    .await?;
    export::download(fmt, &p, rows, limit_percent, people).map_err(Error::internal)
}

/// Which figures to show.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct StatsFilter {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub oppdragsgiver: String,
    #[serde(default)]
    pub kampanje: String,
}

/// An export asked for: the filter and the format (`csv`, `xlsx`, `json`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExportQuery {
    #[serde(flatten)]
    pub f: StatsFilter,
    #[serde(default)]
    pub format: String,
}

/// The filter with its dates settled (default: the last 30 days).
#[derive(Clone, Debug)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub client: Option<i32>,
    pub campaign: Option<i32>,
}

impl StatsFilter {
    pub fn period(&self, today: NaiveDate) -> Result<Period, &'static str> {
        let parse = |s: &str| crate::domain::time::parse_date(s).ok_or(());
        let to = if self.to.trim().is_empty() {
            Ok(today)
        } else {
            parse(&self.to)
        };
        let from = if self.from.trim().is_empty() {
            Ok(today - Duration::days(29))
        } else {
            parse(&self.from)
        };
        match (from, to) {
            (Ok(f), Ok(t)) if f <= t && (t - f).num_days() <= 800 => Ok(Period {
                from: f,
                to: t,
                client: self.oppdragsgiver.parse().ok(),
                campaign: self.kampanje.parse().ok(),
            }),
            (Ok(_), Ok(_)) => Err("stats-error-period"),
            _ => Err("stats-error-date"),
        }
    }
}

/// One row of the daily table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayRow {
    pub date: NaiveDate,
    pub campaign_code: String,
    pub campaign: String,
    pub client: String,
    pub attempted: i64,
    pub answered: i64,
    pub connected: i64,
    pub transferred: i64,
    pub abandoned: i64,
    /// Written complaints that day (norm 4.3 f).
    pub complaints: i64,
    pub abandoned_rate: Option<f64>,
    pub over_limit_day: bool,
    /// The campaign's ISO week, taken together, is over the limit.
    pub over_limit_week: bool,
}

struct Names {
    campaigns: HashMap<i32, campaign::Model>,
    clients: HashMap<i32, String>,
}

async fn names(conn: &impl ConnectionTrait) -> Result<Names, DbErr> {
    Ok(Names {
        campaigns: campaign::Entity::find()
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect(),
        clients: client::Entity::find()
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
    })
}

fn written(ch: Channel) -> bool {
    matches!(ch, Channel::Web | Channel::Email | Channel::Sms)
}

fn campaign_ok(p: &Period, n: &Names, id: i32) -> bool {
    p.campaign.is_none_or(|c| c == id)
        && p.client
            .is_none_or(|cl| n.campaigns.get(&id).is_some_and(|c| c.client_id == cl))
}

/// Written complaints per (day, campaign), from live cases and purged facts.
async fn complaints(
    conn: &impl ConnectionTrait,
    p: &Period,
    n: &Names,
) -> Result<BTreeMap<(NaiveDate, i32), i64>, DbErr> {
    let start = day_start(p.from);
    let end = day_start(p.to + Duration::days(1));
    let mut out = BTreeMap::new();
    let live: Vec<(i32, DateTime<Utc>, Channel)> = case::Entity::find()
        .select_only()
        .columns([
            case::Column::CampaignId,
            case::Column::ReceivedAt,
            case::Column::Channel,
        ])
        .filter(case::Column::CampaignId.is_not_null())
        .filter(case::Column::ReceivedAt.gte(start))
        .filter(case::Column::ReceivedAt.lt(end))
        .into_tuple()
        .all(conn)
        .await?;
    for (camp, at, ch) in live {
        if written(ch) && campaign_ok(p, n, camp) {
            *out.entry((at.with_timezone(&Oslo).date_naive(), camp))
                .or_default() += 1;
        }
    }
    let facts = case_fact::Entity::find()
        .filter(case_fact::Column::CampaignId.is_not_null())
        .filter(case_fact::Column::ReceivedOn.gte(p.from))
        .filter(case_fact::Column::ReceivedOn.lte(p.to))
        .all(conn)
        .await?;
    for f in facts {
        let camp = f.campaign_id.unwrap_or_default();
        if written(f.channel) && campaign_ok(p, n, camp) {
            *out.entry((f.received_on, camp)).or_default() += 1;
        }
    }
    Ok(out)
}

fn week_of(d: NaiveDate) -> (i32, u32) {
    let w = d.iso_week();
    (w.year(), w.week())
}

/// A day's dialer figures: day, campaign, attempted, answered, connected,
/// transferred, abandoned.
type Figures = (NaiveDate, i32, i64, i64, i64, i64, i64);

/// The dialer figures of the period (and campaign), in no set order.
async fn figures(conn: &impl ConnectionTrait, p: &Period) -> Result<Vec<Figures>, DbErr> {
    if conn.get_database_backend() == DbBackend::Sqlite {
        // On SQLite, sqlx hands rows over one at a time from its worker
        // thread: 250-300 ms for a year of 200 campaigns (73,000 rows),
        // most of the CSV export. SQLite builds them into one JSON array
        // in C instead, read in one go (about a third of the time).
        let mut sql = String::from(
            "SELECT json_group_array(json_array(day, campaign_id, attempted, answered, \
             connected, transferred, abandoned)) FROM daily_stats WHERE day >= ? AND day <= ?",
        );
        let mut values: Vec<sea_orm::Value> = vec![p.from.into(), p.to.into()];
        if let Some(c) = p.campaign {
            sql.push_str(" AND campaign_id = ?");
            values.push(c.into());
        }
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                sql,
                values,
            ))
            .await?;
        let json: String = match row {
            Some(r) => r.try_get_by_index(0)?,
            None => return Ok(Vec::new()),
        };
        return serde_json::from_str(&json)
            .map_err(|e| DbErr::Custom(format!("daily figures from SQLite: {e}")));
    }
    let mut q = daily_stat::Entity::find()
        .filter(daily_stat::Column::Day.gte(p.from))
        .filter(daily_stat::Column::Day.lte(p.to));
    if let Some(c) = p.campaign {
        q = q.filter(daily_stat::Column::CampaignId.eq(c));
    }
    // Only the columns the rows need: no id, no updated_at (parsing a
    // timestamp per row was a good part of the time for 73,000 rows).
    q.select_only()
        .columns([
            daily_stat::Column::Day,
            daily_stat::Column::CampaignId,
            daily_stat::Column::Attempted,
            daily_stat::Column::Answered,
            daily_stat::Column::Connected,
            daily_stat::Column::Transferred,
            daily_stat::Column::Abandoned,
        ])
        .into_tuple()
        .all(conn)
        .await
}

/// Every (day, campaign) with dialer figures or complaints in the period,
/// ordered by day then campaign code.
pub async fn daily(
    conn: &impl ConnectionTrait,
    p: &Period,
    limit_percent: f64,
) -> Result<Vec<DayRow>, DbErr> {
    let n = names(conn).await?;
    let stats = figures(conn, p).await?;
    let mut complaints = complaints(conn, p, &n).await?;
    let mut rows: Vec<DayRow> = Vec::with_capacity(stats.len());
    let row = |date: NaiveDate, camp: i32, figures: (i64, i64, i64, i64, i64), complaints: i64| {
        let c = n.campaigns.get(&camp);
        let (att, ans, con, tra, aba) = figures;
        let rate = abandoned_rate(aba, ans);
        DayRow {
            date,
            campaign_code: c.map(|c| c.code.clone()).unwrap_or_default(),
            campaign: c.map(|c| c.name.clone()).unwrap_or_default(),
            client: c
                .and_then(|c| n.clients.get(&c.client_id).cloned())
                .unwrap_or_default(),
            attempted: att,
            answered: ans,
            connected: con,
            transferred: tra,
            abandoned: aba,
            complaints,
            abandoned_rate: rate,
            over_limit_day: over_limit(rate, limit_percent),
            over_limit_week: false,
        }
    };
    for (day, camp, att, ans, con, tra, aba) in stats {
        if !campaign_ok(p, &n, camp) {
            continue;
        }
        let k = complaints.remove(&(day, camp)).unwrap_or(0);
        rows.push(row(day, camp, (att, ans, con, tra, aba), k));
    }
    for ((day, camp), k) in complaints {
        rows.push(row(day, camp, Default::default(), k));
    }
    // The week rule: abandoned ÷ answered over each campaign's ISO week.
    let mut weeks: HashMap<(String, (i32, u32)), (i64, i64)> = HashMap::new();
    for r in &rows {
        let e = weeks
            .entry((r.campaign_code.clone(), week_of(r.date)))
            .or_default();
        e.0 += r.abandoned;
        e.1 += r.answered;
    }
    for r in &mut rows {
        let (a, b) = weeks[&(r.campaign_code.clone(), week_of(r.date))];
        r.over_limit_week = over_limit(abandoned_rate(a, b), limit_percent);
    }
    rows.sort_by(|a, b| (a.date, &a.campaign_code).cmp(&(b.date, &b.campaign_code)));
    Ok(rows)
}

/// Sums of a set of rows.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    pub attempted: i64,
    pub answered: i64,
    pub connected: i64,
    pub transferred: i64,
    pub abandoned: i64,
    pub complaints: i64,
    pub abandoned_rate: Option<f64>,
}

pub fn totals(rows: &[DayRow]) -> Totals {
    let mut t = Totals::default();
    for r in rows {
        t.attempted += r.attempted;
        t.answered += r.answered;
        t.connected += r.connected;
        t.transferred += r.transferred;
        t.abandoned += r.abandoned;
        t.complaints += r.complaints;
    }
    t.abandoned_rate = abandoned_rate(t.abandoned, t.answered);
    t
}

/// Per ISO week (Monday): complaints, abandoned rate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WeekRow {
    pub monday: NaiveDate,
    pub complaints: i64,
    pub abandoned_rate: Option<f64>,
    pub answered_within: Option<f64>,
}

pub fn weekly(rows: &[DayRow]) -> Vec<WeekRow> {
    let mut w: BTreeMap<NaiveDate, (i64, i64, i64)> = BTreeMap::new();
    for r in rows {
        let monday = r.date - Duration::days(r.date.weekday().num_days_from_monday() as i64);
        let e = w.entry(monday).or_default();
        e.0 += r.complaints;
        e.1 += r.abandoned;
        e.2 += r.answered;
    }
    w.into_iter()
        .map(|(monday, (k, a, b))| WeekRow {
            monday,
            complaints: k,
            abandoned_rate: abandoned_rate(a, b),
            answered_within: None,
        })
        .collect()
}

/// SLA figures for one group (norm 4.4.3).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Sla {
    pub group: String,
    pub inquiries: u64,
    pub answered_within_24h: u64,
    /// Closed without an answer (spam, duplicate, no contact): counted
    /// apart, never as answered.
    pub closed_without_answer: u64,
    /// Share answered within 24 hours, of those whose 24 hours have passed or that were answered.
    pub share_within: Option<f64>,
    pub median_first_answer_secs: Option<i64>,
    pub p90_first_answer_secs: Option<i64>,
}

fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    // Nearest rank.
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// (channel, client, campaign, answered within?, seconds to first answer,
/// day received, closed without an answer?) of each decided inquiry.
type Inquiry = (
    String,
    String,
    String,
    bool,
    Option<i64>,
    Option<NaiveDate>,
    bool,
);

async fn inquiries(
    conn: &impl ConnectionTrait,
    p: &Period,
    now: DateTime<Utc>,
) -> Result<Vec<Inquiry>, DbErr> {
    let n = names(conn).await?;
    let label = |camp: Option<i32>| {
        let c = camp.and_then(|c| n.campaigns.get(&c));
        (
            c.map(|c| c.name.clone()).unwrap_or_else(|| "–".into()),
            c.and_then(|c| n.clients.get(&c.client_id).cloned())
                .unwrap_or_else(|| "–".into()),
        )
    };
    let keep = |camp: Option<i32>| match camp {
        Some(c) => campaign_ok(p, &n, c),
        None => p.campaign.is_none() && p.client.is_none(),
    };
    let mut out = Vec::new();
    let start = day_start(p.from);
    let end = day_start(p.to + Duration::days(1));
    for c in case::Entity::find()
        .filter(case::Column::ReceivedAt.gte(start))
        .filter(case::Column::ReceivedAt.lt(end))
        .all(conn)
        .await?
    {
        if !keep(c.campaign_id) {
            continue;
        }
        let secs = c
            .first_response_at
            .map(|t| (t - c.received_at).num_seconds());
        let unanswered_close = crate::domain::cases::work::closed_without_answer(&c);
        if secs.is_none() && now < c.due_at && !unanswered_close {
            continue; // still on the clock: not decided yet
        }
        let (camp, cl) = label(c.campaign_id);
        out.push((
            c.channel.as_str().to_string(),
            cl,
            camp,
            secs.is_some_and(|s| s <= ANSWER_WITHIN.num_seconds()),
            secs,
            Some(c.received_at.with_timezone(&Oslo).date_naive()),
            unanswered_close,
        ));
    }
    for f in case_fact::Entity::find()
        .filter(case_fact::Column::ReceivedOn.gte(p.from))
        .filter(case_fact::Column::ReceivedOn.lte(p.to))
        .all(conn)
        .await?
    {
        if !keep(f.campaign_id) {
            continue;
        }
        let (camp, cl) = label(f.campaign_id);
        out.push((
            f.channel.as_str().to_string(),
            cl,
            camp,
            f.answered_within24h && !f.closed_without_answer,
            f.first_response_secs,
            Some(f.received_on),
            f.closed_without_answer,
        ));
    }
    Ok(out)
}

fn sla_of(group: String, items: &[&Inquiry]) -> Sla {
    let mut secs: Vec<i64> = items.iter().filter_map(|i| i.4).collect();
    secs.sort_unstable();
    let within = items.iter().filter(|i| i.3).count() as u64;
    Sla {
        group,
        inquiries: items.len() as u64,
        answered_within_24h: within,
        closed_without_answer: items.iter().filter(|i| i.6).count() as u64,
        share_within: (!items.is_empty()).then(|| within as f64 / items.len() as f64),
        median_first_answer_secs: percentile(&secs, 0.5),
        p90_first_answer_secs: percentile(&secs, 0.9),
    }
}

/// SLA figures overall and per channel, client and campaign.
pub struct SlaReport {
    pub overall: Sla,
    pub by_channel: Vec<Sla>,
    pub by_client: Vec<Sla>,
    pub by_campaign: Vec<Sla>,
    /// Share answered within 24 hours, per ISO week (Monday).
    pub weekly_share: BTreeMap<NaiveDate, f64>,
}

pub async fn sla(
    conn: &impl ConnectionTrait,
    p: &Period,
    now: DateTime<Utc>,
) -> Result<SlaReport, DbErr> {
    let all = inquiries(conn, p, now).await?;
    let refs: Vec<&Inquiry> = all.iter().collect();
    let group = |key: fn(&Inquiry) -> &String| {
        let mut g: BTreeMap<String, Vec<&Inquiry>> = BTreeMap::new();
        for i in &all {
            g.entry(key(i).clone()).or_default().push(i);
        }
        g.into_iter()
            .map(|(k, v)| sla_of(k, &v))
            .collect::<Vec<_>>()
    };
    let mut weeks: BTreeMap<NaiveDate, (u64, u64)> = BTreeMap::new();
    for i in &all {
        if let Some(d) = i.5 {
            let monday = d - Duration::days(d.weekday().num_days_from_monday() as i64);
            let e = weeks.entry(monday).or_default();
            e.0 += u64::from(i.3);
            e.1 += 1;
        }
    }
    Ok(SlaReport {
        overall: sla_of("".into(), &refs),
        by_channel: group(|i| &i.0),
        by_client: group(|i| &i.1),
        by_campaign: group(|i| &i.2),
        weekly_share: weeks
            .into_iter()
            .map(|(k, (w, n))| (k, w as f64 / n as f64))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_4_6_2_abandoned_rate_over_at_and_under_the_limit_and_zero_answered() {
        assert_eq!(abandoned_rate(5, 100), Some(0.05));
        assert!(
            !over_limit(abandoned_rate(5, 100), 5.0),
            "exactly at 5% is allowed"
        );
        assert!(over_limit(abandoned_rate(6, 100), 5.0));
        assert!(!over_limit(abandoned_rate(4, 100), 5.0));
        assert!(
            over_limit(abandoned_rate(4, 100), 3.0),
            "a stricter limit is a setting"
        );
        assert_eq!(abandoned_rate(0, 0), None);
        assert!(
            !over_limit(abandoned_rate(3, 0), 5.0),
            "no answered calls: no rate"
        );
    }

    #[test]
    fn a_csv_with_one_bad_line_names_it_and_gives_nothing() {
        let ok = "date;campaign;attempted;answered;connected;transferred;abandoned\n2026-11-01;VS-FASTPRIS;100;60;55;50;2\n";
        assert_eq!(parse_csv(ok).unwrap().len(), 1);
        let comma = "date,campaign,attempted,answered,connected,transferred,abandoned\n2026-11-01,VS-FASTPRIS,100,60,55,50,2\n";
        assert_eq!(parse_csv(comma).unwrap()[0].answered, 60);
        let bad = format!(
            "{ok}2026-11-02;VS-FASTPRIS;100;sixty;55;50;2\n2026-11-03;VS-FASTPRIS;10;20;5;5;1\n"
        );
        let e = parse_csv(&bad).unwrap_err();
        assert_eq!(e.iter().map(|e| e.line).collect::<Vec<_>>(), vec![3, 4]);
        assert!(e[0].message.contains("answered"));
        assert!(parse_csv("dato;kampanje\n").is_err());
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 0.5), Some(5));
        assert_eq!(percentile(&v, 0.9), Some(9));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
