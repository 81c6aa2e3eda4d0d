//! Outgoing e-mail waiting to be delivered. A row is written in the same
//! transaction as whatever caused the mail, so an unreachable mail server
//! never loses it; the dispatcher deletes the row once the server accepted it.
//! SMS answers go through the same table (`channel = sms`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub case_id: Option<i32>,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    /// Message-ID header value, without angle brackets.
    pub message_id: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// A dispatcher that claimed the row owns it until then.
    pub claimed_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    /// Message-ID this mail answers (without angle brackets).
    pub in_reply_to: Option<String>,
    /// The References header, space-separated ids without brackets.
    pub references_hdr: Option<String>,
    /// `email` or `sms` (then `to_addr` is the E.164 number, `subject` empty).
    pub channel: String,
    /// The message in a case's dialogue this row delivers, if any.
    pub dialogue_message_id: Option<i32>,
    /// Refused for good (Twilio said no): waits for a handler's retry.
    pub parked: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
