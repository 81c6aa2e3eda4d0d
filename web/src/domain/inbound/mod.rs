//! Inbound calls and texts on the visible numbers: the answering machine's
//! message (norm 4.4.2), reservation by keypad or stop word (norm 4.4.4),
//! voicemail and SMS cases on the 24-hour clock (norm 4.4.3).
//!
//! Every provider delivery is claimed under its id first ([`claim`]), so a
//! retried webhook changes nothing and gets the same answer.

pub mod deliveries;
pub mod mail;

use chrono::{DateTime, Utc};
use entity::enums::{CaseStatus, Channel, Direction, ReservationSource};
use entity::{caller_number, case, inbound_event, message, recording};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::domain::cases::{self, NewCase};
use crate::domain::catalogue::centre::CentreInfo;
use crate::domain::dialer::reservations;
use crate::domain::phone::E164;
use crate::domain::time::oslo_today;

/// Claims a delivery. `Some(answer)` when it was handled before (answer
/// the same again); `None` when this call owns it and must [`answer`] it
/// inside the same transaction.
pub async fn claim(
    conn: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let inserted = inbound_event::Entity::insert(inbound_event::ActiveModel {
        key: Set(key.to_string()),
        response: Set(String::new()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(inbound_event::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if inserted == 1 {
        return Ok(None);
    }
    Ok(inbound_event::Entity::find_by_id(key.to_string())
        .one(conn)
        .await?
        .map(|e| e.response))
}

/// Stores the answer given to a claimed delivery.
pub async fn answer(conn: &impl ConnectionTrait, key: &str, response: &str) -> Result<(), DbErr> {
    inbound_event::Entity::update_many()
        .col_expr(
            inbound_event::Column::Response,
            sea_orm::sea_query::Expr::value(response.to_string()),
        )
        .filter(inbound_event::Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}

/// What the answering machine on `to` says: that number's own message, or
/// the centre's general one for a number that is not (or no longer) ours.
pub async fn greeting(
    conn: &impl ConnectionTrait,
    to: Option<&E164>,
    centre: &CentreInfo,
    now: DateTime<Utc>,
    general: impl Fn(&CentreInfo) -> String,
) -> Result<String, DbErr> {
    if let Some(to) = to {
        let today = oslo_today(now);
        let rows = caller_number::Entity::find()
            .filter(caller_number::Column::E164.eq(to.as_str()))
            .order_by_desc(caller_number::Column::ValidFrom)
            .all(conn)
            .await?;
        let current = rows
            .iter()
            .find(|r| r.valid_from <= today && r.valid_to.is_none_or(|t| t >= today))
            .or(rows.first());
        if let Some(r) = current
            && !r.message.trim().is_empty()
        {
            return Ok(r.message.clone());
        }
    }
    Ok(general(centre))
}

/// Keypad reservation (norm 4.4.4): the caller's own number, one row however
/// often it is pressed.
pub async fn reserve_caller(
    conn: &impl ConnectionTrait,
    from: &E164,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(
        reservations::reserve(conn, from, ReservationSource::Phone, now)
            .await?
            .newly_added,
    )
}

/// Twilio's standard opt-out words, and the Norwegian ones.
pub const STOP_WORDS: &[&str] = &[
    "STOPP",
    "STOP",
    "RESERVER",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
];

/// A text that is only a stop word, in any case, with spaces around it.
pub fn is_stop_word(body: &str) -> bool {
    let w = body.trim().to_uppercase();
    STOP_WORDS.contains(&w.as_str())
}

#[derive(Debug, PartialEq, Eq)]
pub enum SmsOutcome {
    Reserved,
    NewCase(String),
    AddedTo(String),
}

/// An inbound SMS: a stop word reserves; other text opens a case or joins
/// the sender's open one.
pub async fn inbound_sms(
    conn: &impl ConnectionTrait,
    prefix: &str,
    from: &E164,
    to: Option<E164>,
    body: &str,
    message_sid: &str,
    now: DateTime<Utc>,
) -> Result<SmsOutcome, DbErr> {
    if is_stop_word(body) {
        reservations::reserve(conn, from, ReservationSource::Sms, now).await?;
        return Ok(SmsOutcome::Reserved);
    }
    // Only the sender's own case: a text joins the case whose consumer has
    // this number. A case reference in the text grants nothing; it stays
    // in the words of whatever case the text opens or joins.
    let open = case::Entity::find()
        .filter(case::Column::ConsumerPhone.eq(from.as_str()))
        .filter(case::Column::Status.ne(CaseStatus::Closed))
        .order_by_desc(case::Column::ReceivedAt)
        .one(conn)
        .await?;
    if let Some(c) = open {
        cases::join(
            conn,
            &c,
            cases::followup(&c, true),
            cases::Joining {
                channel: Channel::Sms,
                body: body.to_string(),
                external_id: Some(message_sid.to_string()),
                received_at: now,
            },
        )
        .await?;
        return Ok(SmsOutcome::AddedTo(c.reference));
    }
    let c = cases::open_case(
        conn,
        prefix,
        NewCase {
            channel: Channel::Sms,
            consumer_name: None,
            consumer_phone: Some(from.clone()),
            consumer_email: None,
            called_from: to,
            category: "other".into(),
            body: body.to_string(),
            source_key: Some(format!("sms:{message_sid}")),
            received_at: now,
        },
    )
    .await?;
    Ok(SmsOutcome::NewCase(c.reference))
}

/// What Twilio tells us about a finished recording.
pub struct NewVoicemail {
    pub from: Option<E164>,
    pub to: Option<E164>,
    pub recording_sid: String,
    pub recording_url: String,
    pub duration_secs: i32,
}

/// A voicemail becomes a case (channel voicemail, due 24 hours after the call).
pub async fn voicemail(
    conn: &impl ConnectionTrait,
    prefix: &str,
    v: NewVoicemail,
    now: DateTime<Utc>,
) -> Result<case::Model, DbErr> {
    let c = cases::open_case(
        conn,
        prefix,
        NewCase {
            channel: Channel::Voicemail,
            consumer_name: None,
            consumer_phone: v.from,
            consumer_email: None,
            called_from: v.to,
            category: "other".into(),
            body: format!("(talemelding, {} sekunder)", v.duration_secs),
            source_key: Some(format!("rec:{}", v.recording_sid)),
            received_at: now,
        },
    )
    .await?;
    recording::ActiveModel {
        case_id: Set(c.id),
        sid: Set(v.recording_sid),
        url: Set(v.recording_url),
        duration_secs: Set(v.duration_secs),
        created_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(c)
}

/// Twilio's transcription of a recording joins the case as a message.
pub async fn transcription(
    conn: &impl ConnectionTrait,
    recording_sid: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let Some(rec) = recording::Entity::find()
        .filter(recording::Column::Sid.eq(recording_sid))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let Some(c) = case::Entity::find_by_id(rec.case_id).one(conn).await? else {
        return Ok(None);
    };
    message::ActiveModel {
        case_id: Set(c.id),
        direction: Set(Direction::Inbound),
        channel: Set(Channel::Voicemail),
        body: Set(text.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    crate::domain::search::enqueue(conn, crate::domain::search::Doc::Case(c.id)).await?;
    Ok(Some(c.reference))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_in_any_case_with_spaces_reserve_and_other_text_does_not() {
        for w in [
            "STOPP",
            "stopp",
            "  Stop ",
            "reserver",
            "UNSUBSCRIBE",
            "\tstopall\n",
        ] {
            assert!(is_stop_word(w), "{w:?}");
        }
        for w in ["stopp å ringe meg", "hvem er dere?", "", "STOPPE"] {
            assert!(!is_stop_word(w), "{w:?}");
        }
    }
}
