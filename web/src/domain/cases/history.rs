//! A case's history (saksforløp): what happened to it, in order, derived
//! from the case, its messages and the audit log; no table of its own.

use chrono::{DateTime, Utc};
use entity::enums::{CaseStatus, Channel, Delivery, Direction};
use entity::{audit_log, case, message};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::dialer::reservations;
use crate::domain::phone::E164;

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The inquiry came in (or came in again after a close without answer).
    Received,
    /// The consumer wrote (again).
    ConsumerWrote(Channel),
    /// Assigned to a user (by id), or to nobody.
    Assigned(Option<i32>),
    /// Category changed to the code.
    Category(String),
    /// An answer was queued on the channel.
    AnswerQueued(Channel),
    /// Sent again after a failure.
    AnswerRetried,
    /// The answer's present delivery state, when it left the queue.
    AnswerState(Channel, Delivery),
    /// An answer by telephone was recorded.
    AnsweredByPhone,
    /// An internal note.
    Note,
    /// The number went into the reservation register from this case.
    Reserved,
    /// Closed, with the reason code when it had no sent answer.
    Closed(Option<String>),
    Reopened,
}

impl Event {
    /// The translation key's last part (`history-<key>`).
    pub fn key(&self) -> &'static str {
        match self {
            Event::Received => "received",
            Event::ConsumerWrote(_) => "consumer-wrote",
            Event::Assigned(Some(_)) => "assigned",
            Event::Assigned(None) => "unassigned",
            Event::Category(_) => "category",
            Event::AnswerQueued(_) => "answer-queued",
            Event::AnswerRetried => "answer-retried",
            Event::AnswerState(_, Delivery::Sent) => "answer-sent",
            Event::AnswerState(_, Delivery::Delivered) => "answer-delivered",
            Event::AnswerState(_, Delivery::Failed) => "answer-failed",
            Event::AnswerState(_, Delivery::Undelivered) => "answer-undelivered",
            Event::AnswerState(_, Delivery::Queued) => "answer-queued",
            Event::AnsweredByPhone => "answered-by-phone",
            Event::Note => "note",
            Event::Reserved => "reserved",
            Event::Closed(_) => "closed",
            Event::Reopened => "reopened",
        }
    }
}

/// One line of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub event: Event,
    /// Who did it (a staff member's address), when staff did.
    pub by: Option<String>,
}

/// The audit entries about case `reference` that the history shows
/// (reading a case is audited too, but is not something that happened to it).
async fn audit_of(
    conn: &impl ConnectionTrait,
    reference: &str,
) -> Result<Vec<audit_log::Model>, DbErr> {
    audit_log::Entity::find()
        .filter(audit_log::Column::ObjectType.eq("case"))
        .filter(audit_log::Column::ObjectId.eq(reference))
        .filter(audit_log::Column::Action.is_in([
            "case.assign",
            "case.category",
            "case.close",
            "case.reopen",
            "case.answer.retry",
            "reservation.add",
        ]))
        .order_by_asc(audit_log::Column::At)
        .order_by_asc(audit_log::Column::Id)
        .all(conn)
        .await
}

/// The history of case `c` with its `messages`, oldest first. `email_of`
/// names a staff member by id.
pub async fn of(
    conn: &impl ConnectionTrait,
    c: &case::Model,
    messages: &[message::Model],
    email_of: impl Fn(i32) -> Option<String>,
) -> Result<Vec<Entry>, DbErr> {
    let mut out = vec![Entry {
        at: c.received_at,
        event: Event::Received,
        by: None,
    }];
    for (i, m) in messages.iter().enumerate() {
        let by = m.author_id.and_then(&email_of);
        match m.direction {
            // The first message is the inquiry itself.
            Direction::Inbound if i > 0 => out.push(Entry {
                at: m.created_at,
                event: Event::ConsumerWrote(m.channel),
                by: None,
            }),
            Direction::Inbound => {}
            Direction::Note => out.push(Entry {
                at: m.created_at,
                event: Event::Note,
                by,
            }),
            Direction::Outbound if m.channel == Channel::Phone => out.push(Entry {
                at: m.created_at,
                event: Event::AnsweredByPhone,
                by,
            }),
            Direction::Outbound => {
                out.push(Entry {
                    at: m.created_at,
                    event: Event::AnswerQueued(m.channel),
                    by,
                });
                if let (Some(d), Some(at)) = (m.delivery, m.delivery_at)
                    && d != Delivery::Queued
                {
                    out.push(Entry {
                        at,
                        event: Event::AnswerState(m.channel, d),
                        by: None,
                    });
                }
            }
        }
    }
    let mut closed_seen = false;
    for a in audit_of(conn, &c.reference).await? {
        let event = match a.action.as_str() {
            "case.assign" => Event::Assigned(a.detail.and_then(|d| d.parse().ok())),
            "case.category" => Event::Category(a.detail.unwrap_or_default()),
            "case.close" => {
                closed_seen = true;
                Event::Closed(a.detail)
            }
            "case.reopen" => Event::Reopened,
            "case.answer.retry" => Event::AnswerRetried,
            "reservation.add" => Event::Reserved,
            _ => continue,
        };
        out.push(Entry {
            at: a.at,
            event,
            by: a.actor_email.or_else(|| a.actor_id.and_then(&email_of)),
        });
    }
    // A case closed outside the back office (an import, the demo) has no
    // audit entry: its close still shows, by nobody named.
    if !closed_seen
        && c.status == CaseStatus::Closed
        && let Some(at) = c.closed_at
    {
        out.push(Entry {
            at,
            event: Event::Closed(c.close_reason.clone()),
            by: None,
        });
    }
    // Stable: events at the same moment keep the order they were made in.
    out.sort_by_key(|e| e.at);
    Ok(out)
}

/// The last close of the history, if the case is closed: when and by whom.
pub fn last_close(history: &[Entry]) -> Option<&Entry> {
    history
        .iter()
        .rev()
        .find(|e| matches!(e.event, Event::Closed(_)))
}

/// The consumer's number is in the internal register: since when, and who
/// reserved it from this case (when it was done here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reserved {
    pub at: DateTime<Utc>,
    pub by: Option<String>,
}

/// Whether case `c`'s number is reserved, with the reservation from this
/// case in `history` when there is one.
pub async fn reserved(
    conn: &impl ConnectionTrait,
    c: &case::Model,
    history: &[Entry],
) -> Result<Option<Reserved>, DbErr> {
    let Some(n) = c
        .consumer_phone
        .as_deref()
        .and_then(|p| E164::parse(p).ok())
    else {
        return Ok(None);
    };
    let Some(row) = reservations::find(conn, &n).await? else {
        return Ok(None);
    };
    let here = history.iter().rev().find(|e| e.event == Event::Reserved);
    Ok(Some(match here {
        Some(e) => Reserved {
            at: e.at,
            by: e.by.clone(),
        },
        None => Reserved {
            at: row.created_at,
            by: None,
        },
    }))
}
