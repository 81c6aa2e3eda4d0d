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

/// Queues a mail; returns its Message-ID (without angle brackets).
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    mail: NewMail,
    mail_from: &str,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let message_id = format!("{}@{}", uuid::Uuid::new_v4(), sender_domain(mail_from));
    mail_outbox::ActiveModel {
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
    Ok(message_id)
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

    pub async fn send(&self, row: &mail_outbox::Model) -> anyhow::Result<()> {
        let Some(t) = &self.transport else {
            anyhow::bail!("no SMTP_URL configured");
        };
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
        let msg = b.header(ContentType::TEXT_PLAIN).body(row.body.clone())?;
        t.send(msg).await?;
        Ok(())
    }
}
