//! SLA alerts (norm 4.4.3): the assignee (or every handler) hears when a case
//! reaches 3/4 of its 24 hours (`norm::AT_RISK_AFTER`), managers hear when
//! it breaches. Each alert goes out once per case, also with several
//! instances running: a case is claimed by a conditional update
//! (`... WHERE at_risk_alerted_at IS NULL`) in the same transaction that
//! queues the mail. Only one transaction can flip the mark (PostgreSQL
//! re-checks the condition after the row lock; SQLite has one writer at a
//! time), so the loser queues nothing.

use chrono::{DateTime, Utc};
use entity::enums::{CaseStatus, Role};
use entity::{case, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::domain::norm::AT_RISK_BEFORE_DUE;
use crate::domain::time::oslo_datetime;
use crate::i18n::Lang;
use crate::mail::{self, NewMail};
use crate::state::AppState;

const BATCH: u64 = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Alert {
    AtRisk,
    Breached,
}

/// How many alerts of each kind this run sent.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sent {
    pub at_risk: usize,
    pub breached: usize,
}

async fn active_with_role(
    conn: &impl ConnectionTrait,
    role: Role,
) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Role.eq(role))
        .all(conn)
        .await
}

/// Who hears about a case: the assignee, else every handler (at risk);
/// the managers, else the admins (breached).
async fn recipients(
    conn: &impl ConnectionTrait,
    c: &case::Model,
    alert: Alert,
) -> Result<Vec<String>, DbErr> {
    let people = match alert {
        Alert::AtRisk => {
            let assignee = match c.assignee_id {
                Some(id) => user::Entity::find_by_id(id)
                    .one(conn)
                    .await?
                    .filter(|u| u.active),
                None => None,
            };
            match assignee {
                Some(u) => vec![u],
                None => active_with_role(conn, Role::Handler).await?,
            }
        }
        Alert::Breached => {
            let managers = active_with_role(conn, Role::Manager).await?;
            if managers.is_empty() {
                active_with_role(conn, Role::Admin).await?
            } else {
                managers
            }
        }
    };
    Ok(people.into_iter().map(|u| u.email).collect())
}

async fn alert_one(
    state: &AppState,
    c: &case::Model,
    alert: Alert,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let txn = crate::db::begin_write(&state.db).await?;
    let mark = match alert {
        Alert::AtRisk => case::Column::AtRiskAlertedAt,
        Alert::Breached => case::Column::BreachAlertedAt,
    };
    let claimed = case::Entity::update_many()
        .col_expr(mark, Expr::value(now))
        .filter(case::Column::Id.eq(c.id))
        .filter(mark.is_null())
        .filter(case::Column::Status.eq(CaseStatus::Open))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    let lang = Lang::Nb;
    let args = [
        ("reference", c.reference.clone()),
        ("deadline", oslo_datetime(c.due_at, lang)),
        (
            "link",
            format!(
                "{}/admin/saker/{}",
                state.config.public_base_url, c.reference
            ),
        ),
    ];
    let (subject, body) = match alert {
        Alert::AtRisk => ("alert-at-risk-subject", "alert-at-risk-body"),
        Alert::Breached => ("alert-breached-subject", "alert-breached-body"),
    };
    // The mail names the case, never the consumer or what they wrote.
    for to in recipients(&txn, c, alert).await? {
        mail::enqueue(
            &txn,
            NewMail {
                case_id: Some(c.id),
                to,
                subject: lang.ta(subject, &args),
                body: lang.ta(body, &args),
                in_reply_to: None,
                references: None,
            },
            &state.config.mail_from,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// One pass: alerts for every case that became at risk or passed its deadline.
pub async fn run(state: &AppState) -> Result<Sent, DbErr> {
    let now = state.clock.now();
    let risk_from = now + AT_RISK_BEFORE_DUE;
    let mut sent = Sent::default();
    let at_risk = case::Entity::find()
        .filter(case::Column::Status.eq(CaseStatus::Open))
        .filter(case::Column::AtRiskAlertedAt.is_null())
        .filter(case::Column::DueAt.gt(now))
        .filter(case::Column::DueAt.lte(risk_from))
        .order_by_asc(case::Column::DueAt)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    for c in &at_risk {
        if alert_one(state, c, Alert::AtRisk, now).await? {
            sent.at_risk += 1;
        }
    }
    let breached = case::Entity::find()
        .filter(case::Column::Status.eq(CaseStatus::Open))
        .filter(case::Column::BreachAlertedAt.is_null())
        .filter(case::Column::DueAt.lte(now))
        .order_by_asc(case::Column::DueAt)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    for c in &breached {
        if alert_one(state, c, Alert::Breached, now).await? {
            sent.breached += 1;
        }
    }
    if sent != Sent::default() {
        tracing::info!(
            at_risk = sent.at_risk,
            breached = sent.breached,
            "SLA alerts queued"
        );
        state.kick_outbox();
    }
    Ok(sent)
}
