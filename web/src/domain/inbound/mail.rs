//! Inbound e-mail (norm 4.4.3): one function for the webhook and the MTA
//! pipe. Threads a reply into its case, else opens a case on the 24-hour
//! clock.
//! Auto-replies, bounces and list mail never open a case or get an answer.
//!
//! Knowing a case reference grants nothing: references are printed on
//! letters and receipts. A mail joins an existing case only when
//! - it answers one of our own outbound Message-IDs (In-Reply-To or
//!   References; they are random and only ever sent to the case's
//!   address), or
//! - it comes from the case's own consumer (addresses compared in their
//!   normalised form, see `email`) and names the case by the reference in
//!   its subject or by the Message-ID of an earlier mail in the case.
//!
//! Anyone else's mail opens a new case (its subject, reference included, is
//! the first line of that case's first message), and never adds to,
//! reopens or changes the other case. A closed case is reopened only by
//! its own consumer ([`cases::followup`]).

use chrono::{DateTime, Utc};
use entity::enums::{Channel, Direction};
use entity::{attachment, case, message};
use mail_parser::{MessageParser, MimeHeaders};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set,
};

use crate::domain::cases::{self, Followup, NewCase};
use crate::domain::email::EmailAddress;
use crate::domain::inbound;

mod parts;
pub use parts::{MailAttachment, clean_message_id};

#[cfg(test)]
mod corpus_tests;

/// Largest message accepted, all parts included.
pub const MAX_MAIL_BYTES: usize = 10 * 1024 * 1024;
/// Largest single attachment kept.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// Longest text kept from one message.
const MAX_TEXT_CHARS: usize = 50_000;

#[derive(Debug, PartialEq, Eq)]
pub enum MailOutcome {
    NewCase(String),
    Threaded(String),
    /// Seen before (same Message-ID): nothing changed.
    Duplicate,
    /// Not a person writing (auto-reply, bounce, list): nothing opened or sent.
    Ignored(&'static str),
}

impl MailOutcome {
    /// What the webhook answers and `innsyn ingest-mail` prints:
    /// `{"outcome": "new_case" | "threaded" | "duplicate" | "ignored", ...}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            MailOutcome::NewCase(r) => serde_json::json!({"outcome": "new_case", "reference": r}),
            MailOutcome::Threaded(r) => serde_json::json!({"outcome": "threaded", "reference": r}),
            MailOutcome::Duplicate => serde_json::json!({"outcome": "duplicate"}),
            MailOutcome::Ignored(why) => serde_json::json!({"outcome": "ignored", "reason": why}),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the message is larger than {0} bytes")]
    TooLarge(usize),
    #[error("an attachment is larger than {0} bytes")]
    AttachmentTooLarge(usize),
    #[error("the message could not be read as RFC 822 mail")]
    Unreadable,
    #[error("the message has no sender address")]
    NoSender,
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn header(msg: &mail_parser::Message<'_>, name: &str) -> Option<String> {
    msg.header_raw(name).map(|v| v.trim().to_lowercase())
}

/// Why a message is machine-made, if it is (RFC 3834, RFC 2369, bounces).
fn machine_made(msg: &mail_parser::Message<'_>, from: &str) -> Option<&'static str> {
    if header(msg, "Auto-Submitted").is_some_and(|v| v != "no") {
        return Some("auto-submitted");
    }
    if header(msg, "Precedence").is_some_and(|v| ["bulk", "junk", "list"].contains(&v.as_str())) {
        return Some("precedence");
    }
    if msg.header_raw("List-Id").is_some() || msg.header_raw("List-Unsubscribe").is_some() {
        return Some("mailing-list");
    }
    if msg.header_raw("X-Autoreply").is_some() || msg.header_raw("X-Autorespond").is_some() {
        return Some("auto-reply");
    }
    let local = from.split('@').next().unwrap_or("").to_lowercase();
    if ["mailer-daemon", "postmaster", "noreply", "no-reply"].contains(&local.as_str()) {
        return Some("mailer-daemon");
    }
    let ctype = msg.root_part().content_type();
    if ctype.is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    }) {
        return Some("delivery-report");
    }
    None
}

/// A case reference in a subject, e.g. `Re: [K-2026-000123] Svar`:
/// 1-4 capital letters, a dash, a four-digit year, a dash, six or more digits.
pub fn reference_in(subject: &str) -> Option<String> {
    let chars: Vec<char> = subject.chars().collect();
    for start in 0..chars.len() {
        if start > 0 && chars[start - 1].is_alphanumeric() {
            continue;
        }
        let letters = chars[start..]
            .iter()
            .take_while(|c| c.is_ascii_uppercase())
            .count();
        if !(1..=4).contains(&letters) {
            continue;
        }
        let mut i = start + letters;
        let digits_at = |i: usize| {
            chars[i.min(chars.len())..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count()
        };
        if chars.get(i) != Some(&'-') || digits_at(i + 1) != 4 || chars.get(i + 5) != Some(&'-') {
            continue;
        }
        i += 6;
        let seq = digits_at(i);
        if seq >= 6 && !chars.get(i + seq).is_some_and(|c| c.is_alphanumeric()) {
            return Some(chars[start..i + seq].iter().collect());
        }
    }
    None
}

fn ids(v: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    match v {
        mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
        mail_parser::HeaderValue::TextList(l) => l.iter().map(|s| s.to_string()).collect(),
        _ => vec![],
    }
}

/// At most this many Message-IDs of a References header are looked up.
const MAX_REFERENCES: usize = 100;

/// Whether `from` is the consumer of case `c`.
fn is_consumer(c: &case::Model, from: Option<&EmailAddress>) -> bool {
    let stored = c.consumer_email.as_deref().map(EmailAddress::parse);
    matches!((from, stored), (Some(f), Some(Ok(s))) if *f == s)
}

/// The case a mail belongs to, if any, and what it does to that case.
async fn thread_target(
    conn: &impl ConnectionTrait,
    msg: &mail_parser::Message<'_>,
    from: Option<&EmailAddress>,
) -> Result<Option<(case::Model, Followup)>, DbErr> {
    let mut refs = ids(msg.in_reply_to());
    refs.extend(ids(msg.references()));
    refs.truncate(MAX_REFERENCES);
    if !refs.is_empty() {
        let known = message::Entity::find()
            .filter(message::Column::ExternalId.is_in(refs))
            .filter(message::Column::Channel.eq(Channel::Email))
            .all(conn)
            .await?;
        // Our own answers first: their Message-IDs went to the case's
        // address only, so answering one is a reply in that dialogue.
        let (ours, theirs): (Vec<_>, Vec<_>) = known
            .into_iter()
            .partition(|m| m.direction == Direction::Outbound);
        if let Some(m) = ours.first()
            && let Some(c) = case::Entity::find_by_id(m.case_id).one(conn).await?
        {
            let consumer = is_consumer(&c, from);
            return Ok(Some((c.clone(), cases::followup(&c, consumer))));
        }
        // A consumer's own earlier Message-ID is no secret: only the
        // consumer may thread by it.
        for m in theirs.iter().filter(|m| m.direction == Direction::Inbound) {
            if let Some(c) = case::Entity::find_by_id(m.case_id).one(conn).await?
                && is_consumer(&c, from)
            {
                return Ok(Some((c.clone(), cases::followup(&c, true))));
            }
        }
    }
    if let Some(r) = msg.subject().and_then(reference_in)
        && let Some(c) = case::Entity::find()
            .filter(case::Column::Reference.eq(r))
            .one(conn)
            .await?
        && is_consumer(&c, from)
    {
        return Ok(Some((c.clone(), cases::followup(&c, true))));
    }
    Ok(None)
}

/// A message as read from its raw bytes, before anything is stored.
pub struct ReadMail<'a> {
    pub msg: mail_parser::Message<'a>,
    /// The sender's address (the first `From`).
    pub from_addr: String,
    /// Why it is machine-made (auto-reply, bounce, list), if it is.
    pub machine_made: Option<&'static str>,
    /// The plain text kept (at most 50,000 characters): every text part a
    /// reader sees, in order, separated by a blank line.
    pub text: String,
    /// Those text parts one by one (before the length limit).
    pub text_parts: Vec<String>,
    /// Every other part, with its real content type; forwarded and digest
    /// messages as `.eml` files named by their subject.
    pub attachments: Vec<MailAttachment>,
    /// Its Message-ID without control characters, or a made-up one when it
    /// has none.
    pub message_id: String,
}

impl ReadMail<'_> {
    /// What threads it into a case: a reference in the subject, and the
    /// message ids it answers (`In-Reply-To`, `References`).
    pub fn thread_hints(&self) -> (Option<String>, Vec<String>) {
        let mut refs = ids(self.msg.in_reply_to());
        refs.extend(ids(self.msg.references()));
        (self.msg.subject().and_then(reference_in), refs)
    }
}

/// Parses one raw message: the pure half of [`ingest`] (no database), so
/// the fuzz target `mime` reaches exactly what the MTA pipe and the webhook do.
pub fn read(raw: &[u8]) -> Result<ReadMail<'_>, MailError> {
    if raw.len() > MAX_MAIL_BYTES {
        return Err(MailError::TooLarge(MAX_MAIL_BYTES));
    }
    // A message without the blank line after its headers keeps its body,
    // and one without its closing boundary its decoded last part.
    let msg = match parts::with_closing_boundary(parts::with_header_separator(raw)) {
        std::borrow::Cow::Borrowed(raw) => MessageParser::default().parse(raw),
        std::borrow::Cow::Owned(fixed) => MessageParser::default()
            .parse(&fixed[..])
            .map(|m| m.into_owned()),
    }
    .ok_or(MailError::Unreadable)?;
    let from_addr = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .ok_or(MailError::NoSender)?
        .to_string();
    let machine_made = machine_made(&msg, &from_addr);
    let parts::Contents {
        texts: text_parts,
        attachments,
    } = parts::contents(&msg);
    if machine_made.is_none()
        && attachments
            .iter()
            .any(|a| a.data.len() > MAX_ATTACHMENT_BYTES)
    {
        return Err(MailError::AttachmentTooLarge(MAX_ATTACHMENT_BYTES));
    }
    // HTML is turned into plain text by the parser (tags dropped, entities
    // decoded); nothing of the HTML is ever rendered as HTML.
    let text: String = text_parts
        .iter()
        .filter(|t| !t.is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n\n")
        .chars()
        .take(MAX_TEXT_CHARS)
        .collect();
    let message_id = msg
        .message_id()
        .and_then(clean_message_id)
        .unwrap_or_else(|| format!("innsyn-{}", uuid::Uuid::new_v4()));
    Ok(ReadMail {
        msg,
        from_addr,
        machine_made,
        text,
        text_parts,
        attachments,
        message_id,
    })
}

/// The key that marks a mail as seen: its Message-ID with a digest of its
/// sender (normalised) and contents.
fn duplicate_key(
    message_id: &str,
    from_addr: &str,
    text: &str,
    attachments: &[MailAttachment],
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let sender = EmailAddress::parse(from_addr)
        .map(|a| a.as_str().to_string())
        .unwrap_or_else(|_| from_addr.to_lowercase());
    h.update(sender.as_bytes());
    h.update([0]);
    h.update(text.as_bytes());
    for a in attachments {
        h.update([0]);
        h.update(&a.data);
    }
    let digest = hex::encode(&h.finalize()[..8]);
    format!("mail:{message_id}:{digest}")
}

/// Reads one raw message and files it.
pub async fn ingest(
    db: &DatabaseConnection,
    prefix: &str,
    raw: &[u8],
    now: DateTime<Utc>,
) -> Result<MailOutcome, MailError> {
    let ReadMail {
        msg,
        from_addr,
        machine_made,
        text,
        attachments,
        message_id,
        ..
    } = read(raw)?;
    if let Some(why) = machine_made {
        return Ok(MailOutcome::Ignored(why));
    }
    let from = msg.from().and_then(|a| a.first());
    // A Message-ID is the sender's to choose: it marks a duplicate only with
    // the same sender and the same contents. The same id from another
    // sender, or with another text, is filed as a mail of its own.
    let key = duplicate_key(&message_id, &from_addr, &text, &attachments);
    let txn = crate::db::begin_write(db).await?;
    if inbound::claim(&txn, &key, now).await?.is_some() {
        txn.rollback().await?;
        return Ok(MailOutcome::Duplicate);
    }
    let sender = EmailAddress::parse(&from_addr).ok();
    let target = thread_target(&txn, &msg, sender.as_ref())
        .await?
        .filter(|(_, f)| *f != Followup::NewCase);
    let (first_message_id, outcome) = match target {
        Some((c, decision)) => {
            let m = cases::join(
                &txn,
                &c,
                decision,
                cases::Joining {
                    channel: Channel::Email,
                    body: text,
                    external_id: Some(message_id.clone()),
                    received_at: now,
                },
            )
            .await?;
            (m.id, MailOutcome::Threaded(c.reference))
        }
        None => {
            // The subject, with any reference it names, stays in the new
            // case's first message for the handler to see.
            let subject = msg.subject().unwrap_or("").trim();
            let body = if subject.is_empty() {
                text
            } else {
                format!("{subject}\n\n{text}")
            };
            let c = cases::open_case(
                &txn,
                prefix,
                NewCase {
                    channel: Channel::Email,
                    consumer_name: from.and_then(|a| a.name()).map(|n| n.trim().to_string()),
                    consumer_phone: None,
                    consumer_email: sender,
                    called_from: None,
                    category: "other".into(),
                    body,
                    source_key: Some(key.clone()),
                    received_at: now,
                },
            )
            .await?;
            let m = message::Entity::find()
                .filter(message::Column::CaseId.eq(c.id))
                .one(&txn)
                .await?
                .ok_or(DbErr::RecordNotFound("first message".into()))?;
            let mut am: message::ActiveModel = m.clone().into();
            am.external_id = Set(Some(message_id.clone()));
            am.update(&txn).await?;
            (m.id, MailOutcome::NewCase(c.reference))
        }
    };
    for a in attachments {
        attachment::ActiveModel {
            message_id: Set(first_message_id),
            filename: Set(a.filename.chars().take(200).collect()),
            content_type: Set(a.content_type.chars().take(128).collect()),
            size: Set(a.data.len() as i32),
            data: Set(a.data),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    inbound::answer(&txn, &key, "filed").await?;
    txn.commit().await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_found_in_reply_subjects() {
        assert_eq!(
            reference_in("Re: [K-2026-000123] Svar fra Nordlys").as_deref(),
            Some("K-2026-000123")
        );
        assert_eq!(
            reference_in("SV: K-2027-1234567").as_deref(),
            Some("K-2027-1234567")
        );
        assert_eq!(reference_in("Kvittering K-2026-12"), None);
        assert_eq!(reference_in("XK-2026-000123x").as_deref(), None);
        assert_eq!(
            reference_in("Svar på [K-2026-000001]").as_deref(),
            Some("K-2026-000001")
        );
        assert_eq!(reference_in("Klage på anrop i går"), None);
        assert_eq!(reference_in("Hei"), None);
    }
}
