//! A person's access and erasure requests (GDPR articles 15 and 17; norm 7
//! and 8.2.1 d): everything held about one phone number or e-mail address.

use chrono::{DateTime, Utc};
use entity::{attachment, case, message, recording, reservation};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;

use super::audit::{self, Actor, Entry};
use super::email::EmailAddress;
use super::phone::E164;
use super::retention;
use crate::sms::Twilio;

/// Who the request is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Phone(E164),
    Email(String),
}

impl Subject {
    /// A phone number in any written form, or an e-mail address.
    pub fn parse(s: &str) -> Option<Subject> {
        let s = s.trim();
        if s.contains('@') {
            EmailAddress::parse(s)
                .ok()
                .map(|e| Subject::Email(e.as_str().to_lowercase()))
        } else {
            E164::parse(s).ok().map(Subject::Phone)
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct HeldMessage {
    pub direction: &'static str,
    pub channel: &'static str,
    pub at: DateTime<Utc>,
    pub body: String,
    pub attachments: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct HeldRecording {
    pub sid: String,
    pub at: DateTime<Utc>,
    pub duration_secs: i32,
    pub deleted: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct HeldCase {
    pub reference: String,
    pub channel: &'static str,
    pub received_at: DateTime<Utc>,
    pub status: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub called_from: Option<String>,
    pub messages: Vec<HeldMessage>,
    pub recordings: Vec<HeldRecording>,
}

#[derive(Clone, Debug, Serialize)]
pub struct HeldReservation {
    pub number: String,
    pub source: &'static str,
    pub since: DateTime<Utc>,
}

/// Everything held about a subject.
#[derive(Clone, Debug, Serialize)]
pub struct Held {
    pub subject: String,
    pub cases: Vec<HeldCase>,
    pub reservations: Vec<HeldReservation>,
    /// Internal notes are part of the record but marked as such.
    pub generated_at: DateTime<Utc>,
}

impl Held {
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty() && self.reservations.is_empty()
    }
}

async fn cases_of(conn: &impl ConnectionTrait, s: &Subject) -> Result<Vec<case::Model>, DbErr> {
    let q = case::Entity::find().order_by_asc(case::Column::ReceivedAt);
    match s {
        Subject::Phone(p) => q.filter(case::Column::ConsumerPhone.eq(p.as_str())),
        Subject::Email(e) => q.filter(case::Column::ConsumerEmail.eq(e.as_str())),
    }
    .all(conn)
    .await
}

pub async fn find(
    conn: &impl ConnectionTrait,
    s: &Subject,
    now: DateTime<Utc>,
) -> Result<Held, DbErr> {
    let mut cases = Vec::new();
    for c in cases_of(conn, s).await? {
        let msgs = message::Entity::find()
            .filter(message::Column::CaseId.eq(c.id))
            .order_by_asc(message::Column::CreatedAt)
            .order_by_asc(message::Column::Id)
            .all(conn)
            .await?;
        let mut messages = Vec::new();
        for m in msgs {
            let files: Vec<String> = attachment::Entity::find()
                .select_only()
                .column(attachment::Column::Filename)
                .filter(attachment::Column::MessageId.eq(m.id))
                .into_tuple()
                .all(conn)
                .await?;
            messages.push(HeldMessage {
                direction: m.direction.as_str(),
                channel: m.channel.as_str(),
                at: m.created_at,
                body: m.body,
                attachments: files,
            });
        }
        let recordings = recording::Entity::find()
            .filter(recording::Column::CaseId.eq(c.id))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| HeldRecording {
                sid: r.sid,
                at: r.created_at,
                duration_secs: r.duration_secs,
                deleted: r.deleted_at.is_some(),
            })
            .collect();
        cases.push(HeldCase {
            reference: c.reference,
            channel: c.channel.as_str(),
            received_at: c.received_at,
            status: format!("{:?}", c.status).to_lowercase(),
            name: c.consumer_name,
            phone: c.consumer_phone,
            email: c.consumer_email,
            called_from: c.called_from,
            messages,
            recordings,
        });
    }
    let reservations = match s {
        Subject::Phone(p) => reservation::Entity::find()
            .filter(reservation::Column::E164.eq(p.as_str()))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| HeldReservation {
                number: r.e164,
                source: r.source.as_str(),
                since: r.created_at,
            })
            .collect(),
        Subject::Email(_) => vec![],
    };
    Ok(Held {
        subject: match s {
            Subject::Phone(p) => p.as_str().to_string(),
            Subject::Email(e) => e.clone(),
        },
        cases,
        reservations,
        generated_at: now,
    })
}

/// Audits a search or an export: counts only, never the subject.
pub async fn audit_access(
    conn: &impl ConnectionTrait,
    action: &str,
    held: &Held,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    audit::record(
        conn,
        now,
        by,
        Entry::new(action).detail(format!(
            "cases={} reservations={}",
            held.cases.len(),
            held.reservations.len()
        )),
    )
    .await
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Erased {
    pub cases: usize,
    pub recordings: usize,
    pub reservations: usize,
}

/// Erases the subject's cases, messages, attachments and recordings (at
/// Twilio too). The anonymous statistical facts stay; the reservation stays
/// unless the person withdraws it (it exists to protect them).
pub async fn erase(
    db: &DatabaseConnection,
    twilio: &Twilio,
    s: &Subject,
    withdraw_reservation: bool,
    by: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<Erased> {
    let cases = cases_of(db, s).await?;
    let ids: Vec<i32> = cases.iter().map(|c| c.id).collect();
    let recs = recording::Entity::find()
        .filter(recording::Column::CaseId.is_in(ids))
        .filter(recording::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    for r in &recs {
        twilio.delete_recording(&r.sid).await?;
    }
    let (txn, _write) = crate::db::begin_write(db).await?;
    retention::delete_cases(&txn, &cases).await?;
    let mut reservations = 0;
    if withdraw_reservation && let Subject::Phone(p) = s {
        reservations = reservation::Entity::delete_many()
            .filter(reservation::Column::E164.eq(p.as_str()))
            .exec(&txn)
            .await?
            .rows_affected as usize;
        if reservations > 0 {
            super::registers::bump(&txn).await?;
        }
    }
    let erased = Erased {
        cases: cases.len(),
        recordings: recs.len(),
        reservations,
    };
    audit::record(
        &txn,
        now,
        by,
        Entry::new("subject.erase").detail(format!(
            "cases={} recordings={} reservations_withdrawn={}",
            erased.cases, erased.recordings, erased.reservations
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(erased)
}
