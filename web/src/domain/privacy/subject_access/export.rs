//! The person's copy (GDPR article 15, norm 7) in words they understand:
//! every kind of data named and
//! explained, every stored code (channel, direction, status, source) given
//! as its label in the reader's language. The HTML document and the JSON
//! carry the same content.

use serde_json::{Value, json};

use super::Held;
use crate::i18n::Lang;

/// One kind of data in the copy: its name, how many, and what it is.
pub struct Kind {
    pub key: &'static str,
    pub title: String,
    pub about: String,
    pub count: usize,
}

/// The kinds held, in the order the copy shows them (empty ones left out).
pub fn kinds(held: &Held, lang: Lang) -> Vec<Kind> {
    let messages: usize = held.cases.iter().map(|c| c.messages.len()).sum();
    let recordings: usize = held.cases.iter().map(|c| c.recordings.len()).sum();
    [
        ("cases", held.cases.len()),
        ("messages", messages),
        ("recordings", recordings),
        ("reservations", held.reservations.len()),
        ("client_reservations", held.client_reservations.len()),
        ("abandoned_calls", held.abandoned_calls.len()),
        ("mail", held.mail.len()),
        ("deliveries", held.deliveries.len()),
        ("wash_files", held.wash_files.len()),
        ("search_index", held.search_index_copies),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(key, count)| Kind {
        key,
        title: lang.tk("held-kind", key),
        about: lang.tk("held-about", key),
        count,
    })
    .collect()
}

/// The JSON copy. The keys stay stable for programs; the values a person
/// reads are words in `lang`.
pub fn to_json(held: &Held, lang: Lang) -> Value {
    let contents: Vec<Value> = kinds(held, lang)
        .into_iter()
        .map(|k| json!({"kind": k.title, "count": k.count, "about": k.about}))
        .collect();
    let cases: Vec<Value> = held
        .cases
        .iter()
        .map(|c| {
            json!({
                "reference": c.reference,
                "channel": lang.tk("channel", c.channel.as_str()),
                "received_at": c.received_at,
                "status": lang.tk("held-status", status_code(c.status)),
                "name": c.name,
                "phone": c.phone,
                "email": c.email,
                "called_from": c.called_from,
                "messages": c.messages.iter().map(|m| json!({
                    "direction": lang.tk("held-direction", m.direction.as_str()),
                    "channel": lang.tk("channel", m.channel.as_str()),
                    "at": m.at,
                    "body": m.body,
                    "attachments": m.attachments,
                })).collect::<Vec<_>>(),
                "recordings": c.recordings.iter().map(|r| json!({
                    "sid": r.sid,
                    "at": r.at,
                    "duration_secs": r.duration_secs,
                    "deleted": r.deleted,
                    "state": lang.t(if r.deleted { "held-recording-deleted" } else { "held-recording-kept" }),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "subject": held.subject,
        "generated_at": held.generated_at,
        "language": lang.code(),
        "contents": contents,
        "cases": cases,
        "reservations": held.reservations.iter().map(|r| json!({
            "number": r.number,
            "source": lang.tk("held-source", r.source.as_str()),
            "since": r.since,
        })).collect::<Vec<_>>(),
        "client_reservations": held.client_reservations.iter().map(|r| json!({
            "client": r.client,
            "number": r.number,
            "since": r.since,
        })).collect::<Vec<_>>(),
        "abandoned_calls": held.abandoned_calls.iter().map(|a| json!({
            "number": a.number,
            "at": a.at,
            "kept_until": a.kept_until,
        })).collect::<Vec<_>>(),
        "outgoing_mail": held.mail.iter().map(|m| json!({
            "to": m.to,
            "subject": m.subject,
            "body": m.body,
            "queued_at": m.queued_at,
        })).collect::<Vec<_>>(),
        "deliveries": held.deliveries.iter().map(|d| json!({
            "kind": lang.tk("held-delivery", d.kind.as_str()),
            "at": d.at,
        })).collect::<Vec<_>>(),
        "wash_files": held.wash_files.iter().map(|w| json!({
            "uploaded_at": w.uploaded_at,
        })).collect::<Vec<_>>(),
        "search_index": {
            "copies": held.search_index_copies,
        },
    })
}

pub fn status_code(s: entity::enums::CaseStatus) -> &'static str {
    use entity::enums::CaseStatus;
    match s {
        CaseStatus::Open => "open",
        CaseStatus::Answered => "answered",
        CaseStatus::Closed => "closed",
    }
}
