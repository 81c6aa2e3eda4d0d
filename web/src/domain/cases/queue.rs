//! The SLA queue: every unanswered case, sorted by deadline, with its state
//! on the 24-hour clock (norm 4.4.3).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::enums::{CaseStatus, Channel};
use entity::{campaign, case, client, user};
use sea_orm::sea_query::{Condition, Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Deserialize;

use crate::domain::norm::AT_RISK_BEFORE_DUE;

pub const PAGE_SIZE: u64 = 50;

/// A case's state on the clock; its name (`on_time`, `at_risk` ...) is the
/// CSS class and translation key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum SlaState {
    OnTime,
    AtRisk,
    Breached,
    /// Answered: the clock has stopped.
    Stopped,
}

impl SlaState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Where a case stands on the clock at `now`.
pub fn sla_state(c: &case::Model, now: DateTime<Utc>) -> SlaState {
    if c.first_response_at.is_some() || c.status != CaseStatus::Open {
        SlaState::Stopped
    } else if now >= c.due_at {
        SlaState::Breached
    } else if now >= c.due_at - AT_RISK_BEFORE_DUE {
        SlaState::AtRisk
    } else {
        SlaState::OnTime
    }
}

/// Time left as "5 t 12 min"; negative when overdue.
pub fn time_left(due: DateTime<Utc>, now: DateTime<Utc>) -> (bool, i64, i64) {
    let d = due - now;
    let overdue = d < Duration::zero();
    let mins = d.num_minutes().abs();
    (overdue, mins / 60, mins % 60)
}

/// The queue's filters, as in the query string.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct QueueFilter {
    #[serde(default)]
    pub kanal: String,
    #[serde(default)]
    pub oppdragsgiver: String,
    #[serde(default)]
    pub kampanje: String,
    /// on_time, at_risk, breached, answered, closed; empty: every unanswered case.
    #[serde(default)]
    pub status: String,
    /// A user id, or `none` for unassigned.
    #[serde(default)]
    pub tildelt: String,
    #[serde(default)]
    pub mine: Option<String>,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub side: Option<u64>,
}

impl QueueFilter {
    pub fn page(&self) -> u64 {
        Ord::max(self.side.unwrap_or(1), 1)
    }
    pub fn mine(&self) -> bool {
        self.mine.as_deref().is_some_and(|v| !v.is_empty())
    }
    /// The query string of these filters at `page` (for links and live refresh).
    pub fn at(&self, page: impl std::borrow::Borrow<u64>) -> String {
        self.query(Some(*page.borrow()))
    }

    /// The query string of these filters.
    pub fn query(&self, page: Option<u64>) -> String {
        let mut kv: Vec<(&str, String)> = vec![
            ("kanal", self.kanal.clone()),
            ("oppdragsgiver", self.oppdragsgiver.clone()),
            ("kampanje", self.kampanje.clone()),
            ("status", self.status.clone()),
            ("tildelt", self.tildelt.clone()),
            ("q", self.q.clone()),
        ];
        if self.mine() {
            kv.push(("mine", "1".into()));
        }
        if let Some(p) = page {
            kv.push(("side", p.to_string()));
        }
        kv.retain(|(_, v)| !v.is_empty());
        serde_urlencoded::to_string(kv).unwrap_or_default()
    }
}

fn channel(s: &str) -> Option<Channel> {
    [
        Channel::Web,
        Channel::Email,
        Channel::Sms,
        Channel::Voicemail,
        Channel::Phone,
    ]
    .into_iter()
    .find(|c| c.as_str() == s)
}

/// `status = 'open'` written out, not bound as a parameter: the partial
/// indexes of open cases (`WHERE status = 'open'`) serve a statement only
/// when the planner can see the value. PostgreSQL plans a prepared statement
/// for its parameters five times, then may switch to one generic plan, which
/// cannot use them: the last page of 100,000 cases went from 20 ms to 110 ms.
fn is_open() -> SimpleExpr {
    Expr::cust("\"cases\".\"status\" = 'open'")
}

/// The queue's filters as a condition. `hits`: the case ids a search server
/// found for `q`; without them the database matches `q` itself.
fn condition(
    f: &QueueFilter,
    me: i32,
    now: DateTime<Utc>,
    hits: Option<&[i32]>,
    backend: sea_orm::DbBackend,
) -> Condition {
    let risk_from = now + AT_RISK_BEFORE_DUE;
    let mut c = Condition::all();
    c = match f.status.as_str() {
        "answered" => c.add(case::Column::Status.eq(CaseStatus::Answered)),
        "closed" => c.add(case::Column::Status.eq(CaseStatus::Closed)),
        "breached" => c.add(is_open()).add(case::Column::DueAt.lte(now)),
        "at_risk" => c
            .add(is_open())
            .add(case::Column::DueAt.gt(now))
            .add(case::Column::DueAt.lte(risk_from)),
        "on_time" => c.add(is_open()).add(case::Column::DueAt.gt(risk_from)),
        _ => c.add(is_open()),
    };
    if let Some(ch) = channel(&f.kanal) {
        c = c.add(case::Column::Channel.eq(ch));
    }
    if let Ok(id) = f.oppdragsgiver.parse::<i32>() {
        c = c.add(case::Column::ClientId.eq(id));
    }
    if let Ok(id) = f.kampanje.parse::<i32>() {
        c = c.add(case::Column::CampaignId.eq(id));
    }
    if f.mine() {
        c = c.add(case::Column::AssigneeId.eq(me));
    } else if f.tildelt == "none" {
        c = c.add(case::Column::AssigneeId.is_null());
    } else if let Ok(id) = f.tildelt.parse::<i32>() {
        c = c.add(case::Column::AssigneeId.eq(id));
    }
    match hits {
        Some(ids) => c = c.add(case::Column::Id.is_in(ids.to_vec())),
        None => {
            if let Some(text) = crate::domain::search::db::case_condition(&f.q, backend) {
                c = c.add(text);
            }
        }
    }
    c
}

/// The counters on top of the queue.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub open: i64,
    pub at_risk: i64,
    pub breached: i64,
    /// When the oldest unanswered case came in.
    pub oldest: Option<DateTime<Utc>>,
}

pub async fn counters(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Counters, DbErr> {
    let risk_from = now + AT_RISK_BEFORE_DUE;
    let open = || case::Entity::find().filter(is_open());
    // Three counts over ranges of the (status, due_at) index: each walks only
    // the index entries it counts (one pass with SUM(CASE ...) reads every
    // open case's row and took twice as long with 100,000 open cases).
    let total = open().count(conn).await?;
    let breached = open()
        .filter(case::Column::DueAt.lte(now))
        .count(conn)
        .await?;
    let at_risk = open()
        .filter(case::Column::DueAt.gt(now))
        .filter(case::Column::DueAt.lte(risk_from))
        .count(conn)
        .await?;
    let oldest = open()
        .order_by_asc(case::Column::DueAt)
        .one(conn)
        .await?
        .map(|c| c.received_at);
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    Ok(Counters {
        open: n(total),
        at_risk: n(at_risk),
        breached: n(breached),
        oldest,
    })
}

/// How many cases `f` matches when the counters already say it: the queue
/// with no filter but a state (the page then skips counting again).
fn known_total(f: &QueueFilter, c: &Counters, hits: Option<&[i32]>) -> Option<u64> {
    let unfiltered = hits.is_none()
        && f.q.trim().is_empty()
        && channel(&f.kanal).is_none()
        && f.oppdragsgiver.parse::<i32>().is_err()
        && f.kampanje.parse::<i32>().is_err()
        && !f.mine()
        && f.tildelt != "none"
        && f.tildelt.parse::<i32>().is_err();
    if !unfiltered {
        return None;
    }
    let n = match f.status.as_str() {
        "answered" | "closed" => return None,
        "breached" => c.breached,
        "at_risk" => c.at_risk,
        "on_time" => c.open - c.at_risk - c.breached,
        _ => c.open,
    };
    u64::try_from(n).ok()
}

/// One row of the queue, names resolved.
#[derive(Clone, Debug)]
pub struct QueueRow {
    pub case: case::Model,
    pub state: SlaState,
    pub client: Option<String>,
    pub campaign: Option<String>,
    pub assignee: Option<String>,
}

pub struct QueuePage {
    pub rows: Vec<QueueRow>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
}

/// Names of clients, campaigns and staff, by id (small tables).
pub struct Names {
    pub clients: HashMap<i32, String>,
    pub campaigns: HashMap<i32, String>,
    pub users: HashMap<i32, String>,
}

pub async fn names(conn: &impl ConnectionTrait) -> Result<Names, DbErr> {
    Ok(Names {
        clients: client::Entity::find()
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        campaigns: campaign::Entity::find()
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        users: user::Entity::find()
            .all(conn)
            .await?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect(),
    })
}

pub async fn page(
    conn: &impl ConnectionTrait,
    f: &QueueFilter,
    me: i32,
    now: DateTime<Utc>,
    names: &Names,
    hits: Option<&[i32]>,
    counters: Option<&Counters>,
) -> Result<QueuePage, DbErr> {
    let cond = condition(f, me, now, hits, conn.get_database_backend());
    let total = match counters.and_then(|c| known_total(f, c, hits)) {
        Some(n) => n,
        None => {
            case::Entity::find()
                .filter(cond.clone())
                .count(conn)
                .await?
        }
    };
    let pages = Ord::max(total.div_ceil(PAGE_SIZE), 1);
    let page = Ord::min(f.page(), pages);
    let order_desc = matches!(f.status.as_str(), "answered" | "closed");
    // The page's ids first, from the index alone where one holds the order
    // (the open cases' (due_at, id)): the rows skipped over are never read.
    // Then only those rows.
    let mut q = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .filter(cond);
    q = if order_desc {
        q.order_by_desc(case::Column::ReceivedAt)
    } else {
        q.order_by_asc(case::Column::DueAt)
    };
    let ids: Vec<i32> = q
        .order_by_asc(case::Column::Id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .into_tuple()
        .all(conn)
        .await?;
    let mut by_id: HashMap<i32, case::Model> = case::Entity::find()
        .filter(case::Column::Id.is_in(ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    // In the page's order; a case deleted between the two reads is left out.
    let cases = ids.iter().filter_map(|id| by_id.remove(id));
    let rows = cases
        .map(|c| QueueRow {
            state: sla_state(&c, now),
            client: c.client_id.and_then(|i| names.clients.get(&i).cloned()),
            campaign: c.campaign_id.and_then(|i| names.campaigns.get(&i).cloned()),
            assignee: c.assignee_id.and_then(|i| names.users.get(&i).cloned()),
            case: c,
        })
        .collect();
    Ok(QueuePage {
        rows,
        page,
        pages,
        total,
    })
}
