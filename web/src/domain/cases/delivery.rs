//! What became of each outbound message, and what that means for its case:
//! an answer counts (norm 4.4.3: status, `first_response_at`, the clock,
//! the statistics) only from the moment it actually went out, and an answer
//! that failed or was reported undelivered puts the case back in the queue
//! with its original deadline.

use chrono::{DateTime, Utc};
use entity::enums::{CaseStatus, Delivery, Direction};
use entity::{case, mail_outbox, message};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set,
};

/// Longest provider reason kept with a message.
const MAX_REASON_CHARS: usize = 500;

/// The queue marker of a case whose latest answer is in trouble.
pub fn flag_of(latest: Option<Delivery>) -> Option<&'static str> {
    match latest? {
        Delivery::Queued => Some("queued"),
        Delivery::Failed => Some("failed"),
        Delivery::Undelivered => Some("undelivered"),
        Delivery::Sent | Delivery::Delivered => None,
    }
}

/// Brings a case in line with its outbound messages: `first_response_at` is
/// the time the earliest answer that went out was sent; the case is in the
/// queue (open) while nothing went out or its latest answer failed or was
/// not delivered; the queue marker follows the latest answer.
pub async fn settle(conn: &impl ConnectionTrait, case_id: i32) -> Result<(), DbErr> {
    let Some(c) = case::Entity::find_by_id(case_id).one(conn).await? else {
        return Ok(());
    };
    let outs = message::Entity::find()
        .filter(message::Column::CaseId.eq(case_id))
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .order_by_asc(message::Column::CreatedAt)
        .order_by_asc(message::Column::Id)
        .all(conn)
        .await?;
    // Messages from before delivery states were kept went out when written.
    let answered_at = outs
        .iter()
        .filter(|m| m.delivery.is_none_or(Delivery::went_out))
        .map(|m| m.delivery_at.unwrap_or(m.created_at))
        .min();
    let latest = outs.last().and_then(|m| m.delivery);
    let lost = matches!(latest, Some(Delivery::Failed | Delivery::Undelivered));
    let status = match c.status {
        // Closed after an answer that then was lost: back in the queue.
        CaseStatus::Closed if lost && c.close_reason.is_none() => CaseStatus::Open,
        CaseStatus::Closed => CaseStatus::Closed,
        _ if answered_at.is_none() || lost => CaseStatus::Open,
        _ => CaseStatus::Answered,
    };
    let flag = flag_of(latest).map(str::to_string);
    if c.first_response_at == answered_at && c.status == status && c.delivery_flag == flag {
        return Ok(());
    }
    let reopened = c.status == CaseStatus::Closed && status != CaseStatus::Closed;
    let mut am = c.clone().into_active_model();
    am.first_response_at = Set(answered_at);
    am.status = Set(status);
    am.delivery_flag = Set(flag);
    if reopened {
        am.closed_at = Set(None);
    }
    am.update(conn).await?;
    crate::domain::search::enqueue(conn, crate::domain::search::Doc::Case(case_id)).await?;
    Ok(())
}

/// The mail server took it, or Twilio accepted it (`external_id`: Twilio's SID).
pub async fn mark_sent(
    conn: &impl ConnectionTrait,
    message_id: i32,
    external_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(m) = message::Entity::find_by_id(message_id).one(conn).await? else {
        return Ok(()); // erased meanwhile
    };
    if let Some(sid) = &external_id {
        serialise_sid(conn, sid).await?;
    }
    let case_id = m.case_id;
    let mut am = m.into_active_model();
    am.delivery = Set(Some(Delivery::Sent));
    am.delivery_at = Set(Some(now));
    am.delivery_error = Set(None);
    if external_id.is_some() {
        am.external_id = Set(external_id.clone());
    }
    am.update(conn).await?;
    settle(conn, case_id).await?;
    if let Some(sid) = &external_id {
        // Twilio's callback may have come before this was recorded.
        apply_kept_reports(conn, sid).await?;
    }
    Ok(())
}

/// The last attempt failed; `reason` is what the server or Twilio said.
pub async fn mark_failed(
    conn: &impl ConnectionTrait,
    message_id: i32,
    reason: &str,
) -> Result<(), DbErr> {
    let Some(m) = message::Entity::find_by_id(message_id).one(conn).await? else {
        return Ok(());
    };
    let case_id = m.case_id;
    let mut am = m.into_active_model();
    am.delivery = Set(Some(Delivery::Failed));
    am.delivery_error = Set(Some(reason.chars().take(MAX_REASON_CHARS).collect()));
    am.update(conn).await?;
    settle(conn, case_id).await
}

/// Twilio's `MessageStatus` in a status callback, as far as it changes
/// anything: the rest (queued, sending, sent, accepted ...) is what we know
/// already from the send.
pub fn reported(status: &str) -> Option<Delivery> {
    match status {
        "delivered" | "read" => Some(Delivery::Delivered),
        "undelivered" | "failed" => Some(Delivery::Undelivered),
        _ => None,
    }
}

/// What a status report did.
#[derive(Debug, PartialEq, Eq)]
pub enum ReportOutcome {
    /// The message's state changed.
    Applied,
    /// The report changes nothing (the message has its final word).
    Ignored,
    /// No message of ours has this SID (yet): Twilio's callback may
    /// outrun the recording of the send, see [`KEPT`].
    Unknown,
}

/// The answer kept (in `inbound_events`, under the report's key
/// `sms-status:{sid}:{status}`) for a report on an SID not recorded yet,
/// followed by Twilio's error code: [`mark_sent`] applies it when the send
/// is recorded.
pub const KEPT: &str = "kept:";

/// Keeps a status report and a send of the same SID apart on PostgreSQL
/// (a transaction-scoped advisory lock), so a report is either seen by the
/// send being recorded or finds the SID recorded. SQLite's write lock does
/// this already.
pub async fn serialise_sid(conn: &impl ConnectionTrait, sid: &str) -> Result<(), DbErr> {
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        conn.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtext($1))::text",
            [format!("sms-sid:{sid}").into()],
        ))
        .await?;
    }
    Ok(())
}

/// Applies the reports kept for `sid` before its send was recorded.
async fn apply_kept_reports(conn: &impl ConnectionTrait, sid: &str) -> Result<(), DbErr> {
    use entity::inbound_event;
    let prefix = format!("sms-status:{sid}:");
    let kept = inbound_event::Entity::find()
        .filter(inbound_event::Column::Key.starts_with(&prefix))
        .filter(inbound_event::Column::Response.starts_with(KEPT))
        .order_by_asc(inbound_event::Column::CreatedAt)
        .all(conn)
        .await?;
    for e in kept {
        let status = &e.key[prefix.len()..];
        let code = &e.response[KEPT.len()..];
        report(conn, sid, status, Some(code)).await?;
        inbound_event::Entity::update_many()
            .col_expr(
                inbound_event::Column::Response,
                sea_orm::sea_query::Expr::value("applied"),
            )
            .filter(inbound_event::Column::Key.eq(e.key.clone()))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Applies Twilio's report on the SMS with `sid`. Delivered never turns
/// back into undelivered or the other way round: the first final word
/// stands (Twilio may repeat or reorder callbacks).
pub async fn report(
    conn: &impl ConnectionTrait,
    sid: &str,
    status: &str,
    error_code: Option<&str>,
) -> Result<ReportOutcome, DbErr> {
    let Some(state) = reported(status) else {
        return Ok(ReportOutcome::Ignored);
    };
    let Some(m) = message::Entity::find()
        .filter(message::Column::ExternalId.eq(sid))
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .one(conn)
        .await?
    else {
        return Ok(ReportOutcome::Unknown);
    };
    if matches!(
        m.delivery,
        Some(Delivery::Delivered | Delivery::Undelivered)
    ) {
        return Ok(ReportOutcome::Ignored);
    }
    let case_id = m.case_id;
    let mut am = m.into_active_model();
    am.delivery = Set(Some(state));
    if state == Delivery::Undelivered {
        am.delivery_error = Set(Some(match error_code {
            Some(code) if !code.is_empty() => format!("Twilio {code}"),
            _ => "Twilio: undelivered".into(),
        }));
    }
    am.update(conn).await?;
    settle(conn, case_id).await?;
    Ok(ReportOutcome::Applied)
}

#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("no such outbound message on this case")]
    NotFound,
    #[error("the message went out; there is nothing to send again")]
    NotRetryable,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<RetryError> for crate::domain::Error {
    fn from(e: RetryError) -> Self {
        match e {
            RetryError::NotFound => crate::domain::Error::NotFound,
            RetryError::NotRetryable => crate::domain::Error::Refused("retry-error-sent"),
            RetryError::Db(e) => e.into(),
        }
    }
}

/// A staff member sends message `message_id` of case `c` again (`send-igjen`):
/// [`requeue`] and the audit entry, in one transaction. A message of another
/// case is not found; one that went out is refused.
pub async fn retry(
    db: &sea_orm::DatabaseConnection,
    c: &case::Model,
    message_id: i32,
    by: &crate::domain::privacy::audit::Actor,
    now: DateTime<Utc>,
) -> Result<message::Model, crate::domain::Error> {
    use crate::domain::privacy::audit::{self, Entry};
    let txn = crate::db::begin_write(db).await?;
    let m = requeue(&txn, c, message_id, now).await?;
    audit::record(
        &txn,
        now,
        by,
        Entry::new("case.answer.retry")
            .object("case", &c.reference)
            .detail(message_id.to_string()),
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// Sends a failed or undelivered message again: its outbox row is due now
/// (or a new one is written when the old one is gone).
pub async fn requeue(
    conn: &impl ConnectionTrait,
    c: &case::Model,
    message_id: i32,
    now: DateTime<Utc>,
) -> Result<message::Model, RetryError> {
    let m = message::Entity::find_by_id(message_id)
        .one(conn)
        .await?
        .filter(|m| m.case_id == c.id && m.direction == Direction::Outbound)
        .ok_or(RetryError::NotFound)?;
    if !matches!(
        m.delivery,
        Some(Delivery::Failed | Delivery::Undelivered | Delivery::Queued)
    ) {
        return Err(RetryError::NotRetryable);
    }
    let row = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::DialogueMessageId.eq(m.id))
        .one(conn)
        .await?;
    match row {
        Some(r) => {
            // A claim that has not lapsed is a send in flight: it is left
            // alone (clearing it would let a second dispatcher send the
            // same message while the first is still at it).
            let in_flight = r.claimed_until.is_some_and(|until| until >= now);
            let mut am = r.into_active_model();
            am.parked = Set(false);
            am.next_attempt_at = Set(now);
            if !in_flight {
                am.claimed_until = Set(None);
            }
            am.update(conn).await?;
        }
        None => match m.channel {
            entity::enums::Channel::Sms => {
                let to = c.consumer_phone.clone().ok_or(RetryError::NotRetryable)?;
                crate::mail::enqueue_sms(conn, c.id, &to, &m.body, m.id, now).await?;
            }
            _ => return Err(RetryError::NotRetryable),
        },
    }
    let mut am = m.into_active_model();
    am.delivery = Set(Some(Delivery::Queued));
    am.delivery_error = Set(None);
    let m = am.update(conn).await?;
    settle(conn, c.id).await?;
    Ok(m)
}
