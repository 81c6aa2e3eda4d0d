//! Outgoing e-mail: queued in the outbox table inside the caller's
//! transaction, delivered over SMTP by the outbox job.

use chrono::{DateTime, Utc};
use entity::mail_outbox;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

pub struct NewMail {
    pub case_id: Option<i32>,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Message-ID this mail answers (without angle brackets).
    pub in_reply_to: Option<String>,
    /// Earlier Message-IDs of the thread, space-separated, without brackets.
    pub references: Option<String>,
}

/// The domain part of the sender, used to make Message-IDs.
fn sender_domain(mail_from: &str) -> String {
    mail_from
        .parse::<Mailbox>()
        .map(|m| m.email.domain().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// A fresh Message-ID (without angle brackets) in the sender's domain.
pub fn new_message_id(mail_from: &str) -> String {
    format!("{}@{}", uuid::Uuid::new_v4(), sender_domain(mail_from))
}

/// Queues a mail; returns its Message-ID (without angle brackets).
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    mail: NewMail,
    mail_from: &str,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let message_id = new_message_id(mail_from);
    enqueue_with_id(conn, mail, message_id.clone(), None, now).await?;
    Ok(message_id)
}

/// Queues the mail that delivers `dialogue_message_id` (a message in a
/// case's dialogue, whose delivery state the outbox job keeps).
pub async fn enqueue_with_id(
    conn: &impl ConnectionTrait,
    mail: NewMail,
    message_id: String,
    dialogue_message_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    mail_outbox::ActiveModel {
        channel: Set(CHANNEL_EMAIL.into()),
        dialogue_message_id: Set(dialogue_message_id),
        parked: Set(false),
        case_id: Set(mail.case_id),
        to_addr: Set(mail.to),
        subject: Set(mail.subject),
        body: Set(mail.body),
        message_id: Set(message_id.clone()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        in_reply_to: Set(mail.in_reply_to),
        references_hdr: Set(mail.references),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub const CHANNEL_EMAIL: &str = "email";
pub const CHANNEL_SMS: &str = "sms";

/// Queues an SMS answer (sent by the outbox job, never inside a request).
pub async fn enqueue_sms(
    conn: &impl ConnectionTrait,
    case_id: i32,
    to: &str,
    body: &str,
    dialogue_message_id: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    mail_outbox::ActiveModel {
        channel: Set(CHANNEL_SMS.into()),
        dialogue_message_id: Set(Some(dialogue_message_id)),
        parked: Set(false),
        case_id: Set(Some(case_id)),
        to_addr: Set(to.to_string()),
        subject: Set(String::new()),
        body: Set(body.to_string()),
        message_id: Set(format!("sms-{}", uuid::Uuid::new_v4())),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        in_reply_to: Set(None),
        references_hdr: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Why a mail was not taken, and whether trying again could help.
#[derive(Debug)]
pub struct SendError {
    pub message: String,
    /// The server refused it for good (a 5xx answer): retrying the same
    /// mail will not help, so it waits for a handler.
    pub permanent: bool,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The SMTP side. Without `SMTP_URL` mail stays queued.
#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Mailer> {
        let transport = match smtp_url {
            Some(u) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(u)?
                    .timeout(Some(std::time::Duration::from_secs(10)))
                    .build(),
            ),
            None => None,
        };
        Ok(Mailer {
            transport,
            from: from.parse()?,
        })
    }

    pub fn is_configured(&self) -> bool {
        self.transport.is_some()
    }

    pub async fn send(&self, row: &mail_outbox::Model) -> Result<(), SendError> {
        let Some(t) = &self.transport else {
            return Err(SendError {
                message: "no SMTP_URL configured".into(),
                permanent: false,
            });
        };
        let msg = self.build(row).map_err(|e| SendError {
            message: e.to_string(),
            permanent: true,
        })?;
        t.send(msg).await.map_err(|e| SendError {
            permanent: e.is_permanent(),
            message: e.to_string(),
        })?;
        Ok(())
    }

    fn build(&self, row: &mail_outbox::Model) -> anyhow::Result<Message> {
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(row.to_addr.parse()?)
            .subject(row.subject.clone())
            .message_id(Some(format!("<{}>", row.message_id)));
        if let Some(r) = &row.in_reply_to {
            b = b.in_reply_to(format!("<{r}>"));
        }
        if let Some(refs) = &row.references_hdr {
            let v = refs
                .split_whitespace()
                .map(|id| format!("<{id}>"))
                .collect::<Vec<_>>()
                .join(" ");
            b = b.references(v);
        }
        Ok(b.header(ContentType::TEXT_PLAIN).body(row.body.clone())?)
    }
}
