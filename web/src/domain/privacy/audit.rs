//! The append-only audit log of staff actions and API calls (norm 7, 8.2.1
//! d: who read or changed what). Rows name
//! the actor, the action and the object; never message text or numbers.

use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

/// Who did something.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub id: Option<i32>,
    pub email: Option<String>,
}

/// One audit entry.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub action: &'a str,
    pub object_type: Option<&'a str>,
    pub object_id: Option<String>,
    /// Counts and codes only, never personal data.
    pub detail: Option<String>,
}

impl<'a> Entry<'a> {
    pub fn new(action: &'a str) -> Self {
        Entry {
            action,
            object_type: None,
            object_id: None,
            detail: None,
        }
    }
    pub fn object(mut self, kind: &'a str, id: impl ToString) -> Self {
        self.object_type = Some(kind);
        self.object_id = Some(id.to_string());
        self
    }
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }
}

pub async fn record(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor: &Actor,
    e: Entry<'_>,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        at: Set(at),
        actor_id: Set(actor.id),
        actor_email: Set(actor.email.clone()),
        action: Set(e.action.to_string()),
        object_type: Set(e.object_type.map(str::to_string)),
        object_id: Set(e.object_id),
        detail: Set(e.detail),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Filters of the audit screen.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub side: Option<u64>,
    /// From this Oslo date (`YYYY-MM-DD`), inclusive.
    #[serde(default)]
    pub fra: String,
    /// To this Oslo date, inclusive.
    #[serde(default)]
    pub til: String,
}

pub const AUDIT_PAGE: u64 = 100;

/// Every action the log records, in the order the filter offers them.
pub const ACTIONS: &[&str] = &[
    "case.open",
    "case.answer",
    "case.answer.retry",
    "case.note",
    "case.assign",
    "case.category",
    "case.close",
    "case.reopen",
    "case.hold",
    "case.unhold",
    "recording.play",
    "recording.delete",
    "attachment.open",
    "reservation.add",
    "reservation.remove",
    "subject.search",
    "subject.export",
    "subject.erase",
    "stats.export",
    "stats.import",
    "wash.run",
    "wash.download",
    "text_block.save",
    "text_block.delete",
    "settings.centre",
    "settings.client",
    "settings.campaign",
    "settings.number",
    "client_register.import",
    "client_register.empty",
    "retention.policy",
    "user.create",
    "user.password",
    "api_token.create",
    "api_token.revoke",
    "auth.signin",
    "auth.signout",
    "auth.failed",
    "auth.locked",
    "api.wash",
    "api.abandoned",
    "api.stats_daily",
];

/// The UTC start of an Oslo day.
fn oslo_midnight(d: chrono::NaiveDate) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    chrono_tz::Europe::Oslo
        .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// One page of the log, newest first, and the number of pages.
pub async fn search(
    conn: &impl ConnectionTrait,
    f: &AuditFilter,
) -> Result<(Vec<audit_log::Model>, u64), DbErr> {
    let mut cond = Condition::all();
    if !f.action.trim().is_empty() {
        cond = cond.add(audit_log::Column::Action.starts_with(f.action.trim()));
    }
    if !f.actor.trim().is_empty() {
        cond = cond.add(audit_log::Column::ActorEmail.contains(f.actor.trim().to_lowercase()));
    }
    if let Some(t) = crate::domain::time::parse_date(&f.fra).and_then(oslo_midnight) {
        cond = cond.add(audit_log::Column::At.gte(t));
    }
    if let Some(t) = crate::domain::time::parse_date(&f.til)
        .and_then(|d| d.succ_opt())
        .and_then(oslo_midnight)
    {
        cond = cond.add(audit_log::Column::At.lt(t));
    }
    let pages = audit_log::Entity::find()
        .filter(cond)
        .order_by_desc(audit_log::Column::Id)
        .paginate(conn, AUDIT_PAGE);
    let n = pages.num_pages().await?;
    let rows = pages.fetch_page(f.side.unwrap_or(1).max(1) - 1).await?;
    Ok((rows, n))
}
