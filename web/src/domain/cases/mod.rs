//! Cases (henvendelser) and the 24-hour answer clock of norm 4.4.3.

pub mod complaints;
pub mod delivery;
pub mod handling;
pub mod history;
pub mod queue;
pub mod reach;
pub mod recordings;
pub mod text_blocks;
pub mod work;

use chrono::{DateTime, Datelike, Utc};
use entity::enums::{CaseStatus, Channel, Direction};
use entity::{case, message};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, QueryFilter, Set, TransactionTrait,
};

use crate::domain::catalogue::lookup;
use crate::domain::email::EmailAddress;
use crate::domain::norm::ANSWER_WITHIN;
use crate::domain::phone::E164;

/// The deadline of a case received at `received_at` (norm 4.4.3).
pub fn due_at(received_at: DateTime<Utc>) -> DateTime<Utc> {
    received_at + ANSWER_WITHIN
}

/// What it takes to open a case.
#[derive(Clone, Debug)]
pub struct NewCase {
    pub channel: Channel,
    pub consumer_name: Option<String>,
    pub consumer_phone: Option<E164>,
    pub consumer_email: Option<EmailAddress>,
    pub called_from: Option<E164>,
    pub category: String,
    pub body: String,
    /// Idempotency key of the delivery that creates the case.
    pub source_key: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// Formats a case reference: `K-2026-000123`.
pub fn format_reference(prefix: &str, year: i32, seq: i64) -> String {
    format!("{prefix}-{year}-{seq:06}")
}

/// Takes the next number of `year`'s sequence, atomically on both backends.
async fn next_sequence(conn: &impl ConnectionTrait, year: i32) -> Result<i64, DbErr> {
    let table = Alias::new("case_sequences");
    let (y, last) = (Alias::new("year"), Alias::new("last_value"));
    let stmt = Query::insert()
        .into_table(table.clone())
        .columns([y.clone(), last.clone()])
        .values_panic([year.into(), 1.into()])
        .on_conflict(
            OnConflict::column(y)
                .value(last.clone(), Expr::col((table, last.clone())).add(1))
                .to_owned(),
        )
        .returning_col(last)
        .to_owned();
    let row = conn
        .query_one(&stmt)
        .await?
        .ok_or_else(|| DbErr::Custom("case sequence returned no row".into()))?;
    let v: i32 = row.try_get("", "last_value")?;
    Ok(i64::from(v))
}

/// Finds the case a delivery already created, so a retry answers the same.
pub async fn find_by_source_key(
    conn: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<case::Model>, DbErr> {
    case::Entity::find()
        .filter(case::Column::SourceKey.eq(key))
        .one(conn)
        .await
}

fn oslo_year(t: DateTime<Utc>) -> i32 {
    t.with_timezone(&chrono_tz::Europe::Oslo).year()
}

/// On PostgreSQL: the reference of a case received at `received_at`, taken
/// in a short transaction of its own, before the case's transaction begins;
/// `None` on SQLite (there [`open_case`] takes it in the case's transaction).
///
/// Why: the year's counter is one row. Taken inside the case's transaction,
/// its lock is held until that transaction's commit has reached the disk,
/// so every complaint waited for the one before it to be flushed (about
/// 500 a second at most, whatever the number of clients). Here the lock is
/// held for one statement, and this transaction's commit does not wait for
/// the disk (`synchronous_commit` off): the case's own commit flushes the
/// write-ahead log up to and including this counter, so a case that exists
/// after a crash always has its number counted. A case whose transaction
/// then fails leaves a gap in the numbers, never a number used twice.
/// SQLite has one writer at a time anyway.
pub async fn take_reference_apart(
    db: &DatabaseConnection,
    prefix: &str,
    received_at: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(None);
    }
    let year = oslo_year(received_at);
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL synchronous_commit TO OFF")
        .await?;
    let seq = next_sequence(&txn, year).await?;
    txn.commit().await?;
    Ok(Some(format_reference(prefix, year, seq)))
}

/// Opens a case with its first inbound message. Run it inside a transaction.
pub async fn open_case(
    conn: &impl ConnectionTrait,
    prefix: &str,
    new: NewCase,
) -> Result<case::Model, DbErr> {
    let year = oslo_year(new.received_at);
    let seq = next_sequence(conn, year).await?;
    open_case_as(conn, format_reference(prefix, year, seq), new).await
}

/// [`open_case`] with a reference already taken ([`take_reference_apart`]).
pub async fn open_case_as(
    conn: &impl ConnectionTrait,
    reference: String,
    new: NewCase,
) -> Result<case::Model, DbErr> {
    let ours = match &new.called_from {
        Some(n) => lookup::caller_number_for(conn, n).await?,
        None => None,
    };
    let c = case::ActiveModel {
        reference: Set(reference),
        source_key: Set(new.source_key),
        channel: Set(new.channel),
        consumer_name: Set(new.consumer_name),
        consumer_phone: Set(new.consumer_phone.map(E164::into_string)),
        consumer_email: Set(new.consumer_email.map(|e| e.as_str().to_string())),
        called_from: Set(new.called_from.map(E164::into_string)),
        caller_number_id: Set(ours.as_ref().map(|o| o.caller_number_id)),
        campaign_id: Set(ours.as_ref().map(|o| o.campaign_id)),
        client_id: Set(ours.as_ref().map(|o| o.client_id)),
        category: Set(new.category),
        status: Set(CaseStatus::Open),
        received_at: Set(new.received_at),
        due_at: Set(due_at(new.received_at)),
        first_response_at: Set(None),
        closed_at: Set(None),
        assignee_id: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    message::ActiveModel {
        case_id: Set(c.id),
        direction: Set(Direction::Inbound),
        channel: Set(new.channel),
        body: Set(new.body),
        created_at: Set(new.received_at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    crate::domain::search::enqueue(conn, crate::domain::search::Doc::Case(c.id)).await?;
    Ok(c)
}

/// What an inbound message that names case `c` (by its reference, a
/// Message-ID, or the sender's own open case) does to that case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Followup {
    /// The message joins the case as it stands.
    Join,
    /// The message joins the case and opens it again with this status;
    /// `closed_at` is cleared, so the retention clock starts again at the
    /// next close (the dialogue is kept 6 months from then, norm 4.4.3).
    Reopen(CaseStatus),
    /// The message does not belong in this case: it opens a new one.
    NewCase,
}

/// The one rule for what a message does to a case it may belong to.
/// Only the case's own consumer reopens a closed case; anyone else who
/// writes into a closed case gets a case of their own, and the closed one
/// stays as it was. (Whether a stranger may join an open case at all is
/// decided by how the case was found: see `inbound_mail`.)
pub fn followup(c: &case::Model, from_consumer: bool) -> Followup {
    match (c.status, from_consumer) {
        (CaseStatus::Closed, true) => Followup::Reopen(if c.first_response_at.is_some() {
            // Back in dialogue; the 24-hour clock stays stopped once answered.
            CaseStatus::Answered
        } else {
            CaseStatus::Open
        }),
        (CaseStatus::Closed, false) => Followup::NewCase,
        _ => Followup::Join,
    }
}

/// An inbound message joining an existing case.
pub struct Joining {
    pub channel: Channel,
    pub body: String,
    /// The provider's id of the message (Message-ID, Twilio's sid).
    pub external_id: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// Adds `m` to case `c` as [`followup`] decided (`Join` or `Reopen`; a
/// `NewCase` decision is the caller's to act on and is refused here).
/// Run it inside a transaction.
pub async fn join(
    conn: &impl ConnectionTrait,
    c: &case::Model,
    decision: Followup,
    m: Joining,
) -> Result<message::Model, DbErr> {
    if decision == Followup::NewCase {
        return Err(DbErr::Custom(
            "a message that opens a new case cannot join one".into(),
        ));
    }
    let received_at = m.received_at;
    let msg = message::ActiveModel {
        case_id: Set(c.id),
        direction: Set(Direction::Inbound),
        channel: Set(m.channel),
        body: Set(m.body),
        created_at: Set(m.received_at),
        external_id: Set(m.external_id),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    if let Followup::Reopen(status) = decision {
        // Closed without an answer, it comes back as a new inquiry with a
        // fresh 24-hour deadline (norm 4.4.3); see `reopened_by_consumer`.
        let mut am = crate::domain::cases::work::reopened_by_consumer(c, received_at);
        am.status = Set(status);
        am.update(conn).await?;
    }
    crate::domain::search::enqueue(conn, crate::domain::search::Doc::Case(c.id)).await?;
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Oslo;

    fn a_case(status: CaseStatus, answered: bool) -> case::Model {
        let t = Utc.with_ymd_and_hms(2026, 11, 18, 10, 0, 0).unwrap();
        case::Model {
            id: 1,
            reference: "K-2026-000001".into(),
            source_key: None,
            channel: Channel::Email,
            consumer_name: None,
            consumer_phone: None,
            consumer_email: Some("kari@example.no".into()),
            called_from: None,
            caller_number_id: None,
            campaign_id: None,
            client_id: None,
            category: "other".into(),
            status,
            received_at: t,
            due_at: due_at(t),
            first_response_at: answered.then_some(t),
            closed_at: (status == CaseStatus::Closed).then_some(t),
            assignee_id: None,
            at_risk_alerted_at: None,
            breach_alerted_at: None,
            legal_hold_reason: None,
            legal_hold_at: None,
            delivery_flag: None,
            close_reason: None,
            duplicate_of: None,
        }
    }

    #[test]
    fn only_the_consumer_reopens_a_closed_case_and_anyone_else_gets_a_new_one() {
        let closed = a_case(CaseStatus::Closed, true);
        assert_eq!(
            followup(&closed, true),
            Followup::Reopen(CaseStatus::Answered)
        );
        assert_eq!(
            followup(&a_case(CaseStatus::Closed, false), true),
            Followup::Reopen(CaseStatus::Open)
        );
        assert_eq!(followup(&closed, false), Followup::NewCase);
        for status in [CaseStatus::Open, CaseStatus::Answered] {
            assert_eq!(followup(&a_case(status, true), true), Followup::Join);
            assert_eq!(followup(&a_case(status, true), false), Followup::Join);
        }
    }

    #[test]
    fn references_are_prefix_year_and_six_digits() {
        assert_eq!(format_reference("K", 2026, 123), "K-2026-000123");
        assert_eq!(format_reference("K", 2027, 1_234_567), "K-2027-1234567");
    }

    #[test]
    fn norm_4_4_3_deadline_is_24_hours_even_across_spring_forward() {
        // 28 March 2026 12:00 in Oslo is CET; the clocks go forward that night.
        let received = Oslo
            .with_ymd_and_hms(2026, 3, 28, 12, 0, 0)
            .unwrap()
            .to_utc();
        let due = due_at(received);
        assert_eq!(due - received, chrono::Duration::hours(24));
        // 24 real hours later the Oslo wall clock reads 13:00.
        assert_eq!(
            due.with_timezone(&Oslo).format("%H:%M").to_string(),
            "13:00"
        );
    }
}
