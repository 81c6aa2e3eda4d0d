//! The record of each wash (norm 4.4.4, 10): the campaign's documentation
//! that its list was washed, when, by which token or user, and how many
//! numbers went in and came out; each run and each download of a result is audited.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{api_token, campaign, national_register_version, user, wash_run};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::domain::dialer::coverage::NationalUse;
use crate::domain::dialer::wash::{Registers, ReservedCounts};
use crate::domain::privacy::audit::{self, Actor, Entry};

fn campaign_detail(campaign_id: Option<i32>, count_in: u64, count_callable: u64) -> String {
    format!(
        "campaign_id={} in={count_in} callable={count_callable}",
        campaign_id.map_or("none".to_string(), |c| c.to_string())
    )
}

/// What a finished wash used and found: the campaign's documentation.
#[derive(Clone, Debug)]
pub struct WashRecord {
    pub campaign_id: Option<i32>,
    pub count_in: u64,
    pub count_callable: u64,
    pub reserved: ReservedCounts,
    pub national: NationalUse,
    /// The national copy read, when applied.
    pub national_version: Option<national_register_version::Model>,
    /// The internal and client registers' version counter.
    pub register_version: i64,
}

impl WashRecord {
    /// The record of a wash with `registers` and the decision `national`.
    pub fn of(
        campaign_id: Option<i32>,
        registers: &Registers,
        national: NationalUse,
        count_in: u64,
        count_callable: u64,
        reserved: ReservedCounts,
    ) -> WashRecord {
        WashRecord {
            campaign_id,
            count_in,
            count_callable,
            reserved,
            national,
            national_version: registers.national.as_ref().map(|n| n.version.clone()),
            register_version: registers.version,
        }
    }
}

/// Records a finished wash and audits it, in one transaction: `api.wash`
/// for a token, `wash.run` by `actor` for a user. Returns the run's id.
pub async fn record_run(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    by: WashedBy,
    actor: &Actor,
    r: &WashRecord,
) -> Result<i32, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let id = record(&txn, now, by, r).await?;
    let detail = format!(
        "{} national={} run={id}",
        campaign_detail(r.campaign_id, r.count_in, r.count_callable),
        r.national.code()
    );
    let entry = match by {
        WashedBy::Token(t) => Entry::new("api.wash").object("api_token", t),
        WashedBy::User(_) => Entry::new("wash.run"),
    };
    audit::record(&txn, now, actor, entry.detail(detail)).await?;
    txn.commit().await?;
    Ok(id)
}

/// Audits the download of a back-office wash's result (it holds phone numbers).
pub async fn record_download(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    by: &Actor,
    campaign_id: Option<i32>,
    count_in: u64,
    count_callable: u64,
) -> Result<(), DbErr> {
    audit::record(
        conn,
        now,
        by,
        Entry::new("wash.download").detail(campaign_detail(campaign_id, count_in, count_callable)),
    )
    .await
}

/// Who washed: a dialer through the API, or a user in the back office.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WashedBy {
    Token(i32),
    User(i32),
}

fn big(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub async fn record(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    by: WashedBy,
    r: &WashRecord,
) -> Result<i32, DbErr> {
    let (token_id, user_id) = match by {
        WashedBy::Token(t) => (Some(t), None),
        WashedBy::User(u) => (None, Some(u)),
    };
    let v = r.national_version.as_ref();
    let res = wash_run::Entity::insert(wash_run::ActiveModel {
        at: Set(at),
        token_id: Set(token_id),
        user_id: Set(user_id),
        campaign_id: Set(r.campaign_id),
        count_in: Set(big(r.count_in)),
        count_callable: Set(big(r.count_callable)),
        national: Set(Some(r.national.code().to_string())),
        national_version_id: Set(v.map(|v| v.id)),
        national_extract_date: Set(v.map(|v| v.extract_date)),
        national_checksum: Set(v.map(|v| v.checksum.clone())),
        register_version: Set(Some(r.register_version)),
        reserved_internal: Set(big(r.reserved.internal)),
        reserved_client: Set(big(r.reserved.client)),
        reserved_national: Set(big(r.reserved.national)),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    Ok(res.last_insert_id)
}

/// One wash run as the back office lists it.
#[derive(Clone, Debug)]
pub struct RunRow {
    pub id: i32,
    pub at: DateTime<Utc>,
    /// `CODE – name`, or None for a wash without a campaign.
    pub campaign: Option<String>,
    /// The token's name or the user's e-mail address.
    pub by: String,
    pub via_api: bool,
    pub count_in: i64,
    pub count_callable: i64,
    /// What the run did with the national register (see [`NationalUse`]);
    /// empty for runs from before it was in the wash.
    pub national: String,
    pub national_extract_date: Option<chrono::NaiveDate>,
    pub reserved_internal: i64,
    pub reserved_client: i64,
    pub reserved_national: i64,
    /// Whether the client's register was read (a campaign was given).
    pub client_applied: bool,
}

/// The latest `limit` wash runs, newest first.
pub async fn recent(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<RunRow>, DbErr> {
    let runs = wash_run::Entity::find()
        .order_by_desc(wash_run::Column::At)
        .order_by_desc(wash_run::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    let campaign_ids: Vec<i32> = runs.iter().filter_map(|r| r.campaign_id).collect();
    let token_ids: Vec<i32> = runs.iter().filter_map(|r| r.token_id).collect();
    let user_ids: Vec<i32> = runs.iter().filter_map(|r| r.user_id).collect();
    let campaigns: HashMap<i32, String> = campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(campaign_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, format!("{} – {}", c.code, c.name)))
        .collect();
    let tokens: HashMap<i32, String> = api_token::Entity::find()
        .filter(api_token::Column::Id.is_in(token_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let users: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    Ok(runs
        .into_iter()
        .map(|r| RunRow {
            id: r.id,
            at: r.at,
            campaign: r.campaign_id.and_then(|c| campaigns.get(&c).cloned()),
            by: match (r.token_id, r.user_id) {
                (Some(t), _) => tokens.get(&t).cloned().unwrap_or_default(),
                (None, Some(u)) => users.get(&u).cloned().unwrap_or_default(),
                (None, None) => String::new(),
            },
            via_api: r.token_id.is_some(),
            count_in: r.count_in,
            count_callable: r.count_callable,
            national: r.national.clone().unwrap_or_default(),
            national_extract_date: r.national_extract_date,
            reserved_internal: r.reserved_internal,
            reserved_client: r.reserved_client,
            reserved_national: r.reserved_national,
            client_applied: r.campaign_id.is_some(),
        })
        .collect())
}
