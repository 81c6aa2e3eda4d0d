//! Working a case in the back office: the dialogue, individual answers by
//! e-mail or SMS (norm 4.4.3: each written for this one case, the first one
//! stops the clock), internal notes, assignment, category, close and reopen.

use chrono::{DateTime, Utc};
use entity::enums::{CaseStatus, Channel, Delivery, Direction};
use entity::{campaign, case, client, message};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};

use crate::domain::Error;
use crate::domain::cases::complaints::CATEGORIES;
use crate::domain::norm::ANSWER_WITHIN;
use crate::domain::privacy::audit::{self, Actor, Entry};
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

/// Case `reference` with everything its page shows; an unknown reference
/// is not found.
pub async fn load(conn: &impl ConnectionTrait, reference: &str) -> Result<CaseView, Error> {
    let c = find(conn, reference).await?.ok_or(Error::NotFound)?;
    Ok(view(conn, c).await?)
}

/// A staff member opens case `reference`: its view, and the opening in the
/// audit log (who read which case, norm 8.2).
pub async fn open_for(
    conn: &impl ConnectionTrait,
    reference: &str,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<CaseView, Error> {
    let v = load(conn, reference).await?;
    audit::record(
        conn,
        now,
        by,
        Entry::new("case.open").object("case", &v.case.reference),
    )
    .await?;
    Ok(v)
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

/// The form's `kanal`: `email` or `sms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum AnswerChannel {
    Email,
    Sms,
}

impl AnswerChannel {
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer is empty")]
    Empty,
    #[error("the answer is too long")]
    TooLong,
    #[error("the answer still holds a placeholder")]
    Placeholder,
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
            AnswerError::Placeholder => "answer-error-placeholder",
            AnswerError::NoEmail => "answer-error-no-email",
            AnswerError::NoPhone => "answer-error-no-phone",
            AnswerError::Sms(_) => "answer-error-sms",
            AnswerError::Db(_) => "answer-error-internal",
        }
    }
    /// The form field to mark.
    pub fn field(&self) -> &'static str {
        match self {
            AnswerError::Empty | AnswerError::TooLong | AnswerError::Placeholder => "tekst",
            _ => "kanal",
        }
    }
}

impl From<AnswerError> for Error {
    fn from(e: AnswerError) -> Self {
        match e {
            AnswerError::Db(e) => e.into(),
            e => Error::invalid(e.field(), e.message_key()),
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

/// Writes an outbound answer as queued, in the caller's transaction; the
/// case counts as answered only once the outbox job sent it (norm 4.4.3,
/// `domain::cases::delivery`).
async fn record_answer(
    conn: &impl ConnectionTrait,
    c: &case::Model,
    by: &Actor,
    channel: Channel,
    body: &str,
    external_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<message::Model, DbErr> {
    let m = message::ActiveModel {
        case_id: Set(c.id),
        direction: Set(Direction::Outbound),
        channel: Set(channel),
        body: Set(body.to_string()),
        created_at: Set(now),
        external_id: Set(external_id),
        author_id: Set(by.id),
        delivery: Set(Some(Delivery::Queued)),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    crate::domain::search::enqueue(conn, crate::domain::search::Doc::Case(c.id)).await?;
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

/// Queues one individual answer for one case (e-mail or SMS: both leave
/// through the outbox job, never inside the request), by the channel named
/// in the form (`kanal`: `email` or `sms`).
pub async fn answer(
    db: &DatabaseConnection,
    out: &Outbound<'_>,
    view: &CaseView,
    by: &Actor,
    channel: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<message::Model, Error> {
    let channel =
        AnswerChannel::parse(channel).ok_or(Error::invalid("kanal", "answer-error-channel"))?;
    Ok(queue_answer(db, out, view, by, channel, body, now).await?)
}

async fn queue_answer(
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
    if super::text_blocks::placeholder_left(body).is_some() {
        return Err(AnswerError::Placeholder);
    }
    let c = &view.case;
    let (txn, m) = match channel {
        AnswerChannel::Email => {
            if body.chars().count() > MAX_ANSWER_CHARS {
                return Err(AnswerError::TooLong);
            }
            let to = c.consumer_email.clone().ok_or(AnswerError::NoEmail)?;
            let ids = thread_ids(&view.messages);
            let message_id = mail::new_message_id(out.mail_from);
            let txn = crate::db::begin_write(db).await?;
            let m = record_answer(
                &txn,
                c,
                by,
                Channel::Email,
                body,
                Some(message_id.clone()),
                now,
            )
            .await?;
            mail::enqueue_with_id(
                &txn,
                NewMail {
                    case_id: Some(c.id),
                    to,
                    subject: answer_subject(&c.reference, out.centre_name),
                    body: body.to_string(),
                    in_reply_to: ids.last().cloned(),
                    references: (!ids.is_empty()).then(|| ids.join(" ")),
                },
                message_id,
                Some(m.id),
                now,
            )
            .await?;
            (txn, m)
        }
        AnswerChannel::Sms => {
            if body.chars().count() > MAX_SMS_CHARS {
                return Err(AnswerError::TooLong);
            }
            let to = c.consumer_phone.clone().ok_or(AnswerError::NoPhone)?;
            if !out.twilio.sms_configured() {
                return Err(AnswerError::Sms(SmsError::NotConfigured));
            }
            let txn = crate::db::begin_write(db).await?;
            let m = record_answer(&txn, c, by, Channel::Sms, body, None, now).await?;
            mail::enqueue_sms(&txn, c.id, &to, body, m.id, now).await?;
            (txn, m)
        }
    };
    // Answering an unassigned case makes it the answerer's.
    if c.assignee_id.is_none()
        && let Some(me) = by.id
    {
        let taken = case::Entity::update_many()
            .col_expr(case::Column::AssigneeId, Expr::value(me))
            .filter(case::Column::Id.eq(c.id))
            .filter(case::Column::AssigneeId.is_null())
            .exec(&txn)
            .await?;
        if taken.rows_affected == 1 {
            audit::record(
                &txn,
                now,
                by,
                Entry::new("case.assign")
                    .object("case", &c.reference)
                    .detail(me.to_string()),
            )
            .await?;
        }
    }
    crate::domain::cases::delivery::settle(&txn, c.id).await?;
    txn.commit().await?;
    Ok(m)
}

/// An internal note: kept with the case, never sent.
pub async fn add_note(
    db: &DatabaseConnection,
    c: &case::Model,
    by: &Actor,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AnswerError::Empty.into());
    }
    if body.chars().count() > MAX_ANSWER_CHARS {
        return Err(AnswerError::TooLong.into());
    }
    let txn = crate::db::begin_write(db).await?;
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
    crate::domain::search::enqueue(&txn, crate::domain::search::Doc::Case(c.id)).await?;
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
    Reopen,
}

impl Change {
    /// Assignment as the form names it (`til`): a user id, `me` (`me_id`),
    /// or empty for nobody.
    pub fn assign(til: &str, me_id: i32) -> Result<Change, Error> {
        Ok(Change::Assign(match til {
            "" => None,
            "me" => Some(me_id),
            other => Some(
                other
                    .parse()
                    .map_err(|_| Error::Refused("case-error-assignee"))?,
            ),
        }))
    }
}

/// Changes case `c`'s assignee, category or status; audited in the same
/// transaction. An assignee must be an active user, a category one of
/// [`CATEGORIES`]; anything else is refused.
pub async fn change(
    db: &DatabaseConnection,
    c: &case::Model,
    by: &Actor,
    what: Change,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    match &what {
        Change::Assign(Some(id)) => {
            let active = entity::user::Entity::find_by_id(*id)
                .one(db)
                .await?
                .is_some_and(|u| u.active);
            if !active {
                return Err(Error::Refused("case-error-assignee"));
            }
        }
        Change::Category(cat) if !CATEGORIES.contains(&cat.as_str()) => {
            return Err(Error::Refused("case-error-category"));
        }
        _ => {}
    }
    let txn = crate::db::begin_write(db).await?;
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
        Change::Reopen => {
            // Back in dialogue; the clock stays stopped once it was answered.
            am.status = Set(if c.first_response_at.is_some() {
                CaseStatus::Answered
            } else {
                CaseStatus::Open
            });
            am.closed_at = Set(None);
            am.close_reason = Set(None);
            am.duplicate_of = Set(None);
            ("case.reopen", None)
        }
    };
    am.update(&txn).await?;
    crate::domain::search::enqueue(&txn, crate::domain::search::Doc::Case(c.id)).await?;
    let mut e = Entry::new(action).object("case", &c.reference);
    e.detail = detail;
    audit::record(&txn, now, by, e).await?;
    txn.commit().await?;
    Ok(())
}

/// Why a case with no sent answer is closed (`lukkegrunn`); the code is
/// what `cases.close_reason` stores.
#[derive(Clone, Debug, PartialEq, Eq, strum::IntoStaticStr, strum::VariantNames)]
pub enum CloseReason {
    /// `ingen-kontaktinfo`: no way to reach the person.
    #[strum(serialize = "ingen-kontaktinfo")]
    NoContact,
    /// `duplikat`: the same inquiry as another case (its reference).
    #[strum(serialize = "duplikat")]
    Duplicate(String),
    /// `spam`
    #[strum(serialize = "spam")]
    Spam,
    /// `besvart-per-telefon`: answered by telephone, with what was said.
    /// An individual answer (norm 4.4.3): it counts as answered.
    #[strum(serialize = "besvart-per-telefon")]
    AnsweredByPhone(String),
}

/// Every close reason's code, in the order the form offers them.
pub const CLOSE_REASONS: &[&str] = <CloseReason as strum::VariantNames>::VARIANTS;

impl CloseReason {
    pub fn code(&self) -> &'static str {
        self.into()
    }
}

/// `close_reason` of a case answered by telephone: that is an answer.
pub const ANSWERED_BY_PHONE: &str = "besvart-per-telefon";

/// Closed without an answer: the statistics count it apart, never as
/// answered within 24 hours.
pub fn closed_without_answer(c: &case::Model) -> bool {
    c.first_response_at.is_none()
        && c.close_reason
            .as_deref()
            .is_some_and(|r| r != ANSWERED_BY_PHONE)
}

/// Why a close was refused; the form field it concerns.
#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    #[error("a case with no sent answer needs a reason to be closed")]
    ReasonMissing,
    #[error("a duplicate needs the other case's reference")]
    DuplicateMissing,
    #[error("no other case has that reference")]
    DuplicateUnknown,
    #[error("what was said on the telephone is missing")]
    NoteMissing,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl CloseError {
    pub fn message_key(&self) -> &'static str {
        match self {
            CloseError::ReasonMissing => "close-error-reason",
            CloseError::DuplicateMissing => "close-error-duplicate",
            CloseError::DuplicateUnknown => "close-error-duplicate-unknown",
            CloseError::NoteMissing => "close-error-note",
            CloseError::Db(_) => "answer-error-internal",
        }
    }
    /// The form field to mark.
    pub fn field(&self) -> &'static str {
        match self {
            CloseError::DuplicateMissing | CloseError::DuplicateUnknown => "duplikat_av",
            CloseError::NoteMissing => "lukk-notat",
            _ => "lukkegrunn",
        }
    }
}

impl From<CloseError> for Error {
    fn from(e: CloseError) -> Self {
        match e {
            CloseError::Db(e) => e.into(),
            e => Error::invalid(e.field(), e.message_key()),
        }
    }
}

/// Parses the close form: `lukkegrunn` with `duplikat_av` or `notat`.
pub fn parse_close_reason(
    code: &str,
    duplicate_of: &str,
    note: &str,
) -> Result<Option<CloseReason>, Error> {
    Ok(Some(match code.trim() {
        "" => return Ok(None),
        "ingen-kontaktinfo" => CloseReason::NoContact,
        "spam" => CloseReason::Spam,
        "duplikat" => {
            let r = duplicate_of.trim().to_uppercase();
            if r.is_empty() {
                return Err(CloseError::DuplicateMissing.into());
            }
            CloseReason::Duplicate(r)
        }
        "besvart-per-telefon" => {
            let n = note.trim();
            if n.is_empty() {
                return Err(CloseError::NoteMissing.into());
            }
            if n.chars().count() > MAX_ANSWER_CHARS {
                return Err(CloseError::NoteMissing.into());
            }
            CloseReason::AnsweredByPhone(n.to_string())
        }
        _ => return Err(CloseError::ReasonMissing.into()),
    }))
}

/// Closes a case. One whose answer went out closes as it is; one with no
/// sent answer needs a reason. Answered by telephone writes the call as an
/// answer in the dialogue and counts as answered now (norm 4.4.3).
pub async fn close(
    db: &DatabaseConnection,
    c: &case::Model,
    by: &Actor,
    reason: Option<CloseReason>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let answered = c.first_response_at.is_some();
    let reason = match (answered, reason) {
        (true, _) => None,
        (false, None) => return Err(CloseError::ReasonMissing.into()),
        (false, Some(r)) => Some(r),
    };
    if let Some(CloseReason::Duplicate(other)) = &reason {
        let found = find(db, other).await?;
        if found.is_none_or(|o| o.id == c.id) {
            return Err(CloseError::DuplicateUnknown.into());
        }
    }
    let txn = crate::db::begin_write(db).await?;
    let mut am = c.clone().into_active_model();
    am.status = Set(CaseStatus::Closed);
    am.closed_at = Set(Some(now));
    am.close_reason = Set(reason.as_ref().map(|r| r.code().to_string()));
    am.duplicate_of = Set(match &reason {
        Some(CloseReason::Duplicate(o)) => Some(o.clone()),
        _ => None,
    });
    if let Some(CloseReason::AnsweredByPhone(note)) = &reason {
        message::ActiveModel {
            case_id: Set(c.id),
            direction: Set(Direction::Outbound),
            channel: Set(Channel::Phone),
            body: Set(note.clone()),
            created_at: Set(now),
            author_id: Set(by.id),
            delivery: Set(Some(Delivery::Sent)),
            delivery_at: Set(Some(now)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        am.first_response_at = Set(Some(now));
    }
    am.update(&txn).await?;
    crate::domain::search::enqueue(&txn, crate::domain::search::Doc::Case(c.id)).await?;
    let mut e = Entry::new("case.close").object("case", &c.reference);
    e.detail = reason.as_ref().map(|r| r.code().to_string());
    audit::record(&txn, now, by, e).await?;
    txn.commit().await?;
    Ok(())
}

/// A consumer wrote again to a closed case. Closed without an answer, it
/// opens again as a new inquiry with a fresh 24-hour deadline (norm 4.4.3);
/// closed after an answer, it is back in dialogue with its clock stopped.
pub fn reopened_by_consumer(c: &case::Model, now: DateTime<Utc>) -> case::ActiveModel {
    let mut am = c.clone().into_active_model();
    am.closed_at = Set(None);
    if closed_without_answer(c) {
        am.status = Set(CaseStatus::Open);
        am.received_at = Set(now);
        am.due_at = Set(now + ANSWER_WITHIN);
        am.close_reason = Set(None);
        am.duplicate_of = Set(None);
        am.at_risk_alerted_at = Set(None);
        am.breach_alerted_at = Set(None);
    } else {
        am.status = Set(CaseStatus::Answered);
    }
    am
}
