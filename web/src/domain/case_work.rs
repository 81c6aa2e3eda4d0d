//! Working a case in the back office: the dialogue, individual answers by
//! e-mail or SMS (norm 4.4.3: each written for this one case, the first one
//! stops the clock), internal notes, assignment, category, close and reopen.

use chrono::{DateTime, Utc};
use entity::enums::{CaseStatus, Channel, Direction};
use entity::{campaign, case, client, message};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};

use super::audit::{self, Actor, Entry};
use crate::mail::{self, NewMail};
use crate::sms::{SmsError, Twilio};

pub const MAX_ANSWER_CHARS: usize = 10_000;
/// An SMS answer longer than this is refused (Twilio's limit is 1600).
pub const MAX_SMS_CHARS: usize = 1_600;

/// A case with everything its page shows.
pub struct CaseView {
    pub case: case::Model,
    pub messages: Vec<message::Model>,
    pub client: Option<client::Model>,
    pub campaign: Option<campaign::Model>,
}

pub async fn find(
    conn: &impl ConnectionTrait,
    reference: &str,
) -> Result<Option<case::Model>, DbErr> {
    case::Entity::find()
        .filter(case::Column::Reference.eq(reference.trim().to_uppercase()))
        .one(conn)
        .await
}

pub async fn view(conn: &impl ConnectionTrait, c: case::Model) -> Result<CaseView, DbErr> {
    let messages = message::Entity::find()
        .filter(message::Column::CaseId.eq(c.id))
        .order_by_asc(message::Column::CreatedAt)
        .order_by_asc(message::Column::Id)
        .all(conn)
        .await?;
    let client = match c.client_id {
        Some(id) => client::Entity::find_by_id(id).one(conn).await?,
        None => None,
    };
    let campaign = match c.campaign_id {
        Some(id) => campaign::Entity::find_by_id(id).one(conn).await?,
        None => None,
    };
    Ok(CaseView {
        case: c,
        messages,
        client,
        campaign,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerChannel {
    Email,
    Sms,
}

impl AnswerChannel {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(AnswerChannel::Email),
            "sms" => Some(AnswerChannel::Sms),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer is empty")]
    Empty,
    #[error("the answer is too long")]
    TooLong,
    #[error("the case has no e-mail address")]
    NoEmail,
    #[error("the case has no phone number")]
    NoPhone,
    #[error(transparent)]
    Sms(#[from] SmsError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl AnswerError {
    /// Translation key of the message shown to the handler.
    pub fn message_key(&self) -> &'static str {
        match self {
            AnswerError::Empty => "answer-error-empty",
            AnswerError::TooLong => "answer-error-long",
            AnswerError::NoEmail => "answer-error-no-email",
            AnswerError::NoPhone => "answer-error-no-phone",
            AnswerError::Sms(_) => "answer-error-sms",
            AnswerError::Db(_) => "answer-error-internal",
        }
    }
}

/// The subject of every e-mail answer carries the reference, so a reply
/// finds its way back to the case.
pub fn answer_subject(reference: &str, centre: &str) -> String {
    format!("[{reference}] Svar fra {centre}")
}

/// Message-IDs of the e-mail dialogue so far, oldest first.
fn thread_ids(messages: &[message::Model]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m.channel == Channel::Email && m.direction != Direction::Note)
        .filter_map(|m| m.external_id.clone())
        .collect()
}

/// Marks the first answer (norm 4.4.3: it stops the clock) and writes the
/// message, in the caller's transaction.
async fn record_answer(
    conn: &impl ConnectionTrait,
    c: &case::Model,
    by: &Actor,
    channel: Channel,
    body: &str,
    external_id: String,
    now: DateTime<Utc>,
) -> Result<message::Model, DbErr> {
    let m = message::ActiveModel {
        case_id: Set(c.id),
        direction: Set(Direction::Outbound),
        channel: Set(channel),
        body: Set(body.to_string()),
        created_at: Set(now),
        external_id: Set(Some(external_id)),
        author_id: Set(by.id),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    super::search::enqueue(conn, super::search::Doc::Case(c.id)).await?;
    let mut am = c.clone().into_active_model();
    if c.first_response_at.is_none() {
        am.first_response_at = Set(Some(now));
    }
    if c.status == CaseStatus::Open {
        am.status = Set(CaseStatus::Answered);
    }
    am.update(conn).await?;
    audit::record(
        conn,
        now,
        by,
        Entry::new("case.answer")
            .object("case", &c.reference)
            .detail(channel.as_str()),
    )
    .await?;
    Ok(m)
}

/// Everything an answer needs from outside the database.
pub struct Outbound<'a> {
    pub twilio: &'a Twilio,
    pub mail_from: &'a str,
    pub centre_name: &'a str,
}

/// Sends one individual answer for one case.
pub async fn answer(
    db: &DatabaseConnection,
    out: &Outbound<'_>,
    view: &CaseView,
    by: &Actor,
    channel: AnswerChannel,
    body: &str,
    now: DateTime<Utc>,
) -> Result<message::Model, AnswerError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AnswerError::Empty);
    }
    let c = &view.case;
    match channel {
        AnswerChannel::Email => {
            if body.chars().count() > MAX_ANSWER_CHARS {
                return Err(AnswerError::TooLong);
            }
            let to = c.consumer_email.clone().ok_or(AnswerError::NoEmail)?;
            let ids = thread_ids(&view.messages);
            let (txn, _write) = crate::db::begin_write(db).await?;
            let message_id = mail::enqueue(
                &txn,
                NewMail {
                    case_id: Some(c.id),
                    to,
                    subject: answer_subject(&c.reference, out.centre_name),
                    body: body.to_string(),
                    in_reply_to: ids.last().cloned(),
                    references: (!ids.is_empty()).then(|| ids.join(" ")),
                },
                out.mail_from,
                now,
            )
            .await?;
            let m = record_answer(&txn, c, by, Channel::Email, body, message_id, now).await?;
            txn.commit().await?;
            Ok(m)
        }
        AnswerChannel::Sms => {
            if body.chars().count() > MAX_SMS_CHARS {
                return Err(AnswerError::TooLong);
            }
            let to = c.consumer_phone.clone().ok_or(AnswerError::NoPhone)?;
            let sid = out.twilio.send_sms(&to, body).await?;
            let (txn, _write) = crate::db::begin_write(db).await?;
            let m = record_answer(&txn, c, by, Channel::Sms, body, sid, now).await?;
            txn.commit().await?;
            Ok(m)
        }
    }
}

/// An internal note: kept with the case, never sent.
pub async fn add_note(
    db: &DatabaseConnection,
    c: &case::Model,
    by: &Actor,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), AnswerError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AnswerError::Empty);
    }
    if body.chars().count() > MAX_ANSWER_CHARS {
        return Err(AnswerError::TooLong);
    }
    let (txn, _write) = crate::db::begin_write(db).await?;
    message::ActiveModel {
        case_id: Set(c.id),
        direction: Set(Direction::Note),
        channel: Set(c.channel),
        body: Set(body.to_string()),
        created_at: Set(now),
        author_id: Set(by.id),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    super::search::enqueue(&txn, super::search::Doc::Case(c.id)).await?;
    audit::record(
        &txn,
        now,
        by,
        Entry::new("case.note").object("case", &c.reference),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A change of a case's bookkeeping, audited.
pub enum Change {
    Assign(Option<i32>),
    Category(String),
    Close,
    Reopen,
}

pub async fn change(
    db: &DatabaseConnection,
    c: &case::Model,
    by: &Actor,
    what: Change,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let (txn, _write) = crate::db::begin_write(db).await?;
    let mut am = c.clone().into_active_model();
    let (action, detail) = match what {
        Change::Assign(uid) => {
            am.assignee_id = Set(uid);
            ("case.assign", uid.map(|u| u.to_string()))
        }
        Change::Category(cat) => {
            am.category = Set(cat.clone());
            ("case.category", Some(cat))
        }
        Change::Close => {
            am.status = Set(CaseStatus::Closed);
            am.closed_at = Set(Some(now));
            ("case.close", None)
        }
        Change::Reopen => {
            // Back in dialogue; the clock stays stopped once it was answered.
            am.status = Set(if c.first_response_at.is_some() {
                CaseStatus::Answered
            } else {
                CaseStatus::Open
            });
            am.closed_at = Set(None);
            ("case.reopen", None)
        }
    };
    am.update(&txn).await?;
    super::search::enqueue(&txn, super::search::Doc::Case(c.id)).await?;
    let mut e = Entry::new(action).object("case", &c.reference);
    e.detail = detail;
    audit::record(&txn, now, by, e).await?;
    txn.commit().await
}
