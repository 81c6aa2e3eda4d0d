//! A person's access and erasure requests (GDPR articles 15 and 17; norm 7
//! and 8.2.1 d): everything held about one phone number or e-mail address,
//! wherever it is. Every table that can hold a person's number, address or
//! words is listed in [`COVERED`]; a test walks the schema and fails when a
//! table is neither there nor on its allow-list.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use entity::enums::{CaseStatus, Channel, Direction, ReservationSource};
use entity::{
    abandoned_call, attachment, case, client, client_reservation, inbound_event, mail_outbox,
    message, recording, reservation,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::domain::email::EmailAddress;
use crate::domain::phone::E164;
use crate::domain::privacy::audit::{self, Actor, Entry};
use crate::domain::privacy::retention::{self, TwilioDeleter};
use crate::sms::Twilio;

pub mod export;
mod wash_files;

/// Every table that can hold a person's number, address or words, and how
/// access and erasure reach it. The schema walk test holds this against the
/// live schema.
pub const COVERED: &[(&str, &str)] = &[
    ("cases", "by the consumer's phone or e-mail; erased whole"),
    ("messages", "with their case"),
    ("attachments", "with their message"),
    (
        "recordings",
        "with their case; deleted at Twilio or tombstoned",
    ),
    (
        "reservations",
        "by the number and the numbers in the person's cases; kept unless withdrawn",
    ),
    (
        "client_reservations",
        "by the same numbers; kept: the client's own register",
    ),
    (
        "abandoned_calls",
        "by the same numbers; kept until the agent-required period ends",
    ),
    (
        "mail_outbox",
        "by the address and by the person's cases; erased",
    ),
    (
        "inbound_events",
        "by the delivery ids of the person's messages and recordings; erased",
    ),
    (
        "wash_jobs",
        "back-office washes whose list or result holds the number; erased whole",
    ),
    (
        "wash_job_chunks",
        "the lists and results of those washes, read piece by piece; erased with their job",
    ),
];

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

#[derive(Clone, Debug)]
pub struct HeldMessage {
    pub direction: Direction,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    pub body: String,
    pub attachments: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct HeldRecording {
    pub sid: String,
    pub at: DateTime<Utc>,
    pub duration_secs: i32,
    pub deleted: bool,
}

#[derive(Clone, Debug)]
pub struct HeldCase {
    pub reference: String,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub status: CaseStatus,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub called_from: Option<String>,
    pub messages: Vec<HeldMessage>,
    pub recordings: Vec<HeldRecording>,
}

/// An entry in the centre's own reservation register (norm 4.4.4).
#[derive(Clone, Debug)]
pub struct HeldReservation {
    pub number: String,
    pub source: ReservationSource,
    pub since: DateTime<Utc>,
}

/// An entry in one client's own reservation register.
#[derive(Clone, Debug)]
pub struct HeldClientReservation {
    pub client: String,
    pub number: String,
    pub since: DateTime<Utc>,
}

/// A call the dialer abandoned (norm 4.6.3).
#[derive(Clone, Debug)]
pub struct HeldAbandoned {
    pub number: String,
    pub at: DateTime<Utc>,
    /// Until when the record protects the number; the purge deletes it then.
    pub kept_until: DateTime<Utc>,
}

/// An e-mail to the person waiting in the outbox.
#[derive(Clone, Debug)]
pub struct HeldMail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub queued_at: DateTime<Utc>,
}

/// What kind of delivery a provider made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum DeliveryKind {
    Sms,
    Mail,
    Recording,
    Transcription,
}

impl DeliveryKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A webhook delivery recorded under the provider's id (to recognise
/// retries), with the answer given to it.
#[derive(Clone, Debug)]
pub struct HeldDelivery {
    pub kind: DeliveryKind,
    pub at: DateTime<Utc>,
    key: String,
}

/// A calling list uploaded for a wash (or its result) that holds one of
/// the numbers.
#[derive(Clone, Debug)]
pub struct HeldWashFile {
    pub uploaded_at: Option<DateTime<Utc>>,
    place: WashPlace,
}

/// Where such a list is.
#[derive(Clone, Debug)]
enum WashPlace {
    /// A back-office wash job's stored list or result.
    Job(String),
    /// An upload file in the temporary directory.
    File(PathBuf),
}

/// Everything held about a subject.
#[derive(Clone, Debug)]
pub struct Held {
    pub subject: String,
    pub cases: Vec<HeldCase>,
    pub reservations: Vec<HeldReservation>,
    pub client_reservations: Vec<HeldClientReservation>,
    pub abandoned_calls: Vec<HeldAbandoned>,
    pub mail: Vec<HeldMail>,
    pub deliveries: Vec<HeldDelivery>,
    pub wash_files: Vec<HeldWashFile>,
    /// Copies of the cases in the search index (Meilisearch), when one is
    /// configured: they go with the cases.
    pub search_index_copies: usize,
    pub generated_at: DateTime<Utc>,
}

impl Held {
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
            && self.reservations.is_empty()
            && self.client_reservations.is_empty()
            && self.abandoned_calls.is_empty()
            && self.mail.is_empty()
            && self.deliveries.is_empty()
            && self.wash_files.is_empty()
    }
}

/// Where outside the database a person's data can be.
pub struct Places<'a> {
    /// Whether a search index keeps copies of cases.
    pub search_index: bool,
    /// Where back-office washes keep their files.
    pub wash_dir: &'a Path,
    /// Days an abandoned-call record protects a number (norm 4.6.3).
    pub abandoned_days: u32,
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

/// The subject's number and every number found in their cases.
fn numbers_of(s: &Subject, cases: &[case::Model]) -> Vec<String> {
    let mut out: Vec<String> = cases
        .iter()
        .filter_map(|c| c.consumer_phone.clone())
        .collect();
    if let Subject::Phone(p) = s {
        out.push(p.as_str().to_string());
    }
    out.sort();
    out.dedup();
    out
}

/// The keys under which the deliveries that made these cases were recorded.
async fn delivery_keys(
    conn: &impl ConnectionTrait,
    cases: &[case::Model],
) -> Result<Vec<HeldDelivery>, DbErr> {
    let ids: Vec<i32> = cases.iter().map(|c| c.id).collect();
    let mut keys: Vec<String> = cases.iter().filter_map(|c| c.source_key.clone()).collect();
    let external: Vec<Option<String>> = message::Entity::find()
        .select_only()
        .column(message::Column::ExternalId)
        .filter(message::Column::CaseId.is_in(ids.clone()))
        .filter(message::Column::Direction.eq(Direction::Inbound))
        .into_tuple()
        .all(conn)
        .await?;
    for e in external.into_iter().flatten() {
        keys.push(format!("sms:{e}"));
        keys.push(format!("mail:{e}"));
    }
    let sids: Vec<String> = recording::Entity::find()
        .select_only()
        .column(recording::Column::Sid)
        .filter(recording::Column::CaseId.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    let mut cond = Condition::any();
    for sid in &sids {
        keys.push(format!("rec:{sid}"));
        cond = cond.add(inbound_event::Column::Key.starts_with(format!("tr:{sid}:")));
    }
    keys.sort();
    keys.dedup();
    let rows = inbound_event::Entity::find()
        .filter(cond.add(inbound_event::Column::Key.is_in(keys)))
        .order_by_asc(inbound_event::Column::CreatedAt)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|e| {
            let kind = match e.key.split_once(':')?.0 {
                "sms" => DeliveryKind::Sms,
                "mail" => DeliveryKind::Mail,
                "rec" => DeliveryKind::Recording,
                "tr" => DeliveryKind::Transcription,
                _ => return None,
            };
            Some(HeldDelivery {
                kind,
                at: e.created_at,
                key: e.key,
            })
        })
        .collect())
}

/// Mail waiting for the person: to their address, or to an address given
/// in one of their cases. (Alerts to staff about their cases are not theirs;
/// those go with the cases.)
async fn mail_of(
    conn: &impl ConnectionTrait,
    s: &Subject,
    cases: &[case::Model],
) -> Result<Vec<mail_outbox::Model>, DbErr> {
    let mut addresses: Vec<String> = cases
        .iter()
        .filter_map(|c| c.consumer_email.clone())
        .collect();
    if let Subject::Email(e) = s {
        addresses.push(e.clone());
    }
    if addresses.is_empty() {
        return Ok(Vec::new());
    }
    mail_outbox::Entity::find()
        .filter(mail_outbox::Column::ToAddr.is_in(addresses))
        .order_by_asc(mail_outbox::Column::Id)
        .all(conn)
        .await
}

async fn held_cases(
    conn: &impl ConnectionTrait,
    cases: Vec<case::Model>,
) -> Result<Vec<HeldCase>, DbErr> {
    let mut out = Vec::new();
    for c in cases {
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
                direction: m.direction,
                channel: m.channel,
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
        out.push(HeldCase {
            reference: c.reference,
            channel: c.channel,
            received_at: c.received_at,
            status: c.status,
            name: c.consumer_name,
            phone: c.consumer_phone,
            email: c.consumer_email,
            called_from: c.called_from,
            messages,
            recordings,
        });
    }
    Ok(out)
}

/// Everything held about `s`, in the database and in `places`.
pub async fn find(
    conn: &impl ConnectionTrait,
    s: &Subject,
    places: &Places<'_>,
    now: DateTime<Utc>,
) -> Result<Held, DbErr> {
    let cases = cases_of(conn, s).await?;
    let numbers = numbers_of(s, &cases);
    let deliveries = delivery_keys(conn, &cases).await?;
    let mail = mail_of(conn, s, &cases)
        .await?
        .into_iter()
        .map(|m| HeldMail {
            to: m.to_addr,
            subject: m.subject,
            body: m.body,
            queued_at: m.created_at,
        })
        .collect();
    let reservations = reservation::Entity::find()
        .filter(reservation::Column::E164.is_in(numbers.clone()))
        .order_by_asc(reservation::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| HeldReservation {
            number: r.e164,
            source: r.source,
            since: r.created_at,
        })
        .collect();
    let rows = client_reservation::Entity::find()
        .filter(client_reservation::Column::E164.is_in(numbers.clone()))
        .order_by_asc(client_reservation::Column::CreatedAt)
        .all(conn)
        .await?;
    let names: std::collections::HashMap<i32, String> = client::Entity::find()
        .filter(client::Column::Id.is_in(rows.iter().map(|r| r.client_id).collect::<Vec<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let client_reservations = rows
        .into_iter()
        .map(|r| HeldClientReservation {
            client: names.get(&r.client_id).cloned().unwrap_or_default(),
            number: r.e164,
            since: r.created_at,
        })
        .collect();
    let keep = Duration::days(i64::from(places.abandoned_days));
    let abandoned_calls = abandoned_call::Entity::find()
        .filter(abandoned_call::Column::E164.is_in(numbers.clone()))
        .order_by_asc(abandoned_call::Column::At)
        .all(conn)
        .await?
        .into_iter()
        .map(|a| HeldAbandoned {
            number: a.e164,
            at: a.at,
            kept_until: a.at + keep,
        })
        .collect();
    let mut wash_files = wash_files::holding_jobs(conn, &numbers).await?;
    wash_files.extend(wash_files::holding(places.wash_dir, &numbers).await);
    Ok(Held {
        subject: match s {
            Subject::Phone(p) => p.as_str().to_string(),
            Subject::Email(e) => e.clone(),
        },
        search_index_copies: if places.search_index { cases.len() } else { 0 },
        cases: held_cases(conn, cases).await?,
        reservations,
        client_reservations,
        abandoned_calls,
        mail,
        deliveries,
        wash_files,
        generated_at: now,
    })
}

/// A staff member looks up everything held about the person in `query` (a
/// phone number or an e-mail address), audited as `action`
/// (`subject.search`, `subject.export`; counts only, never the subject).
pub async fn look_up(
    conn: &impl ConnectionTrait,
    query: &str,
    places: &Places<'_>,
    action: &str,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<(Subject, Held), crate::domain::Error> {
    let subject =
        Subject::parse(query).ok_or(crate::domain::Error::invalid("q", "subject-error-query"))?;
    let held = find(conn, &subject, places, now).await?;
    audit_access(conn, action, &held, by, now).await?;
    Ok((subject, held))
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
            "cases={} reservations={} client_reservations={} abandoned_calls={} mail={} deliveries={} wash_files={}",
            held.cases.len(),
            held.reservations.len(),
            held.client_reservations.len(),
            held.abandoned_calls.len(),
            held.mail.len(),
            held.deliveries.len(),
            held.wash_files.len(),
        )),
    )
    .await
}

/// What an erasure did, and what it kept and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    pub cases: usize,
    /// Deleted at Twilio.
    pub recordings: usize,
    /// Twilio did not answer: deleted here, kept as a tombstone (no
    /// personal data) that the retention purge retries until Twilio confirms.
    pub recordings_pending: usize,
    pub mail: usize,
    pub deliveries: usize,
    pub wash_files: usize,
    /// Index copies queued for removal with the cases.
    pub search_index_copies: usize,
    /// Withdrawn from the internal register at the person's request.
    pub reservations: usize,
    /// Kept in the internal register: it protects the person (norm 4.4.4).
    pub reservations_kept: usize,
    /// Kept in clients' own registers: each client keeps its register.
    pub client_reservations_kept: usize,
    /// Kept until the agent-required period ends (norm 4.6.3).
    pub abandoned_calls_kept: usize,
    pub abandoned_kept_until: Option<DateTime<Utc>>,
}

/// Erases the subject's cases, messages, attachments, recordings (at Twilio
/// too, or as a tombstone the purge retries), the mail waiting for them,
/// the delivery records of their messages, the search index copies and any
/// calling list being washed that holds their number. The anonymous
/// statistical facts stay. Opt-outs are never dropped silently: the
/// internal reservation goes only when the person withdraws it, and the
/// result says what was kept and why.
pub async fn erase(
    db: &DatabaseConnection,
    twilio: &Twilio,
    s: &Subject,
    places: &Places<'_>,
    withdraw_reservation: bool,
    by: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<Erased> {
    let held = find(db, s, places, now).await?;
    let cases = cases_of(db, s).await?;
    let numbers = numbers_of(s, &cases);
    let ids: Vec<i32> = cases.iter().map(|c| c.id).collect();
    let recs = recording::Entity::find()
        .filter(recording::Column::CaseId.is_in(ids))
        .filter(recording::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let mut deleter = TwilioDeleter::new(twilio);
    let mut pending = Vec::new();
    for r in &recs {
        if !deleter.delete(&r.sid).await {
            pending.push((r.sid.clone(), now));
        }
    }
    let mail = mail_of(db, s, &cases).await?;
    let txn = crate::db::begin_write(db).await?;
    retention::tombstone(&txn, &pending, deleter.last_error.as_deref()).await?;
    retention::delete_cases(&txn, &cases).await?;
    mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::Id.is_in(mail.iter().map(|m| m.id).collect::<Vec<_>>()))
        .exec(&txn)
        .await?;
    inbound_event::Entity::delete_many()
        .filter(inbound_event::Column::Key.is_in(held.deliveries.iter().map(|d| d.key.clone())))
        .exec(&txn)
        .await?;
    let mut reservations = 0;
    if withdraw_reservation {
        reservations = reservation::Entity::delete_many()
            .filter(reservation::Column::E164.is_in(numbers))
            .exec(&txn)
            .await?
            .rows_affected as usize;
        if reservations > 0 {
            crate::domain::dialer::registers::bump(&txn).await?;
        }
    }
    let erased = Erased {
        cases: cases.len(),
        recordings: recs.len().saturating_sub(pending.len()),
        recordings_pending: pending.len(),
        mail: mail.len(),
        deliveries: held.deliveries.len(),
        wash_files: held.wash_files.len(),
        search_index_copies: held.search_index_copies,
        reservations,
        reservations_kept: held.reservations.len().saturating_sub(reservations),
        client_reservations_kept: held.client_reservations.len(),
        abandoned_calls_kept: held.abandoned_calls.len(),
        abandoned_kept_until: held.abandoned_calls.iter().map(|a| a.kept_until).max(),
    };
    audit::record(
        &txn,
        now,
        by,
        Entry::new("subject.erase").detail(format!(
            "cases={} recordings={} recordings_pending={} mail={} deliveries={} wash_files={} reservations_withdrawn={} reservations_kept={} client_reservations_kept={} abandoned_calls_kept={}",
            erased.cases,
            erased.recordings,
            erased.recordings_pending,
            erased.mail,
            erased.deliveries,
            erased.wash_files,
            erased.reservations,
            erased.reservations_kept,
            erased.client_reservations_kept,
            erased.abandoned_calls_kept,
        )),
    )
    .await?;
    let jobs: Vec<String> = held
        .wash_files
        .iter()
        .filter_map(|w| match &w.place {
            WashPlace::Job(id) => Some(id.clone()),
            WashPlace::File(_) => None,
        })
        .collect();
    crate::domain::dialer::wash_jobs::delete_in(&txn, &jobs).await?;
    txn.commit().await?;
    for w in &held.wash_files {
        if let WashPlace::File(p) = &w.place {
            let _ = std::fs::remove_file(p);
        }
    }
    Ok(erased)
}
