//! The public complaint form (norm 4.4.3, 6.2): from what the person typed
//! to a case on the 24-hour clock and a receipt.

use chrono::{DateTime, Utc};
use entity::enums::Channel;
use sea_orm::{DatabaseConnection, DbErr};
use serde::Deserialize;

use crate::domain::FieldErrors;
use crate::domain::cases::{self, NewCase};
use crate::domain::email::EmailAddress;
use crate::domain::phone::E164;
use crate::domain::time::oslo_datetime;
use crate::i18n::Lang;
use crate::mail;

/// Complaint categories, as stored; their labels are translated (`category-<code>`).
pub const CATEGORIES: &[&str] = &[
    "unwanted_call",
    "reserved_but_called",
    "who_called",
    "caller_conduct",
    "privacy",
    "other",
];

pub const MAX_MESSAGE_CHARS: usize = 5000;
pub const MAX_NAME_CHARS: usize = 200;

/// The form as typed, field names as on the page.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ComplaintInput {
    #[serde(default)]
    pub navn: String,
    #[serde(default)]
    pub telefon: String,
    #[serde(default)]
    pub epost: String,
    #[serde(default)]
    pub nummer: String,
    #[serde(default)]
    pub kategori: String,
    #[serde(default)]
    pub melding: String,
    /// One id per rendered form, so a double submit makes one case.
    #[serde(default)]
    pub skjema_id: String,
}

/// A complaint that passed every check.
#[derive(Clone, Debug)]
pub struct Complaint {
    pub name: Option<String>,
    pub phone: Option<E164>,
    pub email: Option<EmailAddress>,
    pub called_from: Option<E164>,
    pub category: &'static str,
    pub message: String,
    pub submission_id: Option<String>,
}

fn optional(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty()).then_some(s)
}

pub fn validate(input: &ComplaintInput) -> Result<Complaint, FieldErrors> {
    let mut errors = Vec::new();
    let name = optional(&input.navn).map(str::to_string);
    if name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
    {
        errors.push(("navn", "complaint-error-name-long"));
    }
    let phone = match optional(&input.telefon).map(E164::parse) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            errors.push(("telefon", e.message_key()));
            None
        }
    };
    let email = match optional(&input.epost).map(EmailAddress::parse) {
        None => None,
        Some(Ok(e)) => Some(e),
        Some(Err(_)) => {
            errors.push(("epost", "complaint-error-email"));
            None
        }
    };
    if optional(&input.telefon).is_none() && optional(&input.epost).is_none() {
        errors.push(("telefon", "complaint-error-contact"));
        errors.push(("epost", "complaint-error-contact"));
    }
    let called_from = match optional(&input.nummer).map(E164::parse) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            errors.push(("nummer", e.message_key()));
            None
        }
    };
    let category = CATEGORIES
        .iter()
        .copied()
        .find(|c| *c == input.kategori.trim())
        .unwrap_or("other");
    let message = input.melding.trim().to_string();
    if message.is_empty() {
        errors.push(("melding", "complaint-error-message-empty"));
    } else if message.chars().count() > MAX_MESSAGE_CHARS {
        errors.push(("melding", "complaint-error-message-long"));
    }
    let submission_id = uuid::Uuid::parse_str(input.skjema_id.trim())
        .ok()
        .map(|u| u.to_string());
    if !errors.is_empty() {
        return Err(FieldErrors(errors));
    }
    Ok(Complaint {
        name,
        phone,
        email,
        called_from,
        category,
        message,
        submission_id,
    })
}

#[derive(Clone, Debug)]
pub struct Receipt {
    pub reference: String,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub email_receipt: bool,
}

/// Saves the complaint as a case (with its receipt e-mail queued in the same
/// transaction) and returns the receipt. A repeated submission of the same
/// form returns the first receipt.
pub async fn submit(
    db: &DatabaseConnection,
    reference_prefix: &str,
    mail_from: &str,
    complaint: Complaint,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<Receipt, DbErr> {
    let source_key = complaint.submission_id.as_ref().map(|s| format!("web:{s}"));
    let existing = |c: entity::case::Model| Receipt {
        reference: c.reference,
        received_at: c.received_at,
        due_at: c.due_at,
        email_receipt: c.consumer_email.is_some(),
    };
    // A form sent again: the first receipt, before a number is taken.
    if let Some(key) = &source_key
        && let Some(c) = cases::find_by_source_key(db, key).await?
    {
        return Ok(existing(c));
    }
    let reference = cases::take_reference_apart(db, reference_prefix, now).await?;
    let txn = crate::db::begin_write(db).await?;
    if let Some(key) = &source_key
        && let Some(c) = cases::find_by_source_key(&txn, key).await?
    {
        return Ok(existing(c));
    }
    let email = complaint.email.clone();
    let new = NewCase {
        channel: Channel::Web,
        consumer_name: complaint.name,
        consumer_phone: complaint.phone,
        consumer_email: complaint.email,
        called_from: complaint.called_from,
        category: complaint.category.to_string(),
        body: complaint.message,
        source_key,
        received_at: now,
    };
    let case = match reference {
        Some(r) => cases::open_case_as(&txn, r, new).await?,
        None => cases::open_case(&txn, reference_prefix, new).await?,
    };
    if let Some(to) = &email {
        let args = [
            ("reference", case.reference.clone()),
            ("deadline", oslo_datetime(case.due_at, lang)),
        ];
        mail::enqueue(
            &txn,
            mail::NewMail {
                case_id: Some(case.id),
                to: to.as_str().to_string(),
                subject: lang.ta("receipt-mail-subject", &args),
                body: lang.ta("receipt-mail-body", &args),
                in_reply_to: None,
                references: None,
            },
            mail_from,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Receipt {
        reference: case.reference,
        received_at: case.received_at,
        due_at: case.due_at,
        email_receipt: email.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ComplaintInput {
        ComplaintInput {
            telefon: "912 34 567".into(),
            melding: "Dere ringte meg".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_complaint_needs_a_phone_or_an_email() {
        let mut i = input();
        i.telefon.clear();
        let e = validate(&i).unwrap_err();
        assert_eq!(e.get("telefon"), Some("complaint-error-contact"));
        i.epost = "kari@example.no".into();
        assert!(validate(&i).is_ok());
    }

    #[test]
    fn the_number_that_called_is_optional_but_parsed() {
        let mut i = input();
        assert!(validate(&i).unwrap().called_from.is_none());
        i.nummer = "21 00 00 00".into();
        assert_eq!(
            validate(&i).unwrap().called_from.unwrap().as_str(),
            "+4721000000"
        );
        i.nummer = "123".into();
        assert_eq!(
            validate(&i).unwrap_err().get("nummer"),
            Some("phone-error-invalid")
        );
    }

    #[test]
    fn unknown_category_becomes_other_and_empty_message_is_refused() {
        let mut i = input();
        i.kategori = "<script>".into();
        assert_eq!(validate(&i).unwrap().category, "other");
        i.melding = "   ".into();
        assert_eq!(
            validate(&i).unwrap_err().get("melding"),
            Some("complaint-error-message-empty")
        );
    }
}
