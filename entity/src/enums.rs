//! Closed sets of values stored as short strings.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How an inquiry reached the centre (henvendelseskanal).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[sea_orm(string_value = "web")]
    Web,
    #[sea_orm(string_value = "email")]
    Email,
    #[sea_orm(string_value = "sms")]
    Sms,
    #[sea_orm(string_value = "voicemail")]
    Voicemail,
    #[sea_orm(string_value = "phone")]
    Phone,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Voicemail => "voicemail",
            Channel::Phone => "phone",
        }
    }
}

/// Where a reservation (do-not-call entry) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ReservationSource {
    #[sea_orm(string_value = "web")]
    Web,
    #[sea_orm(string_value = "sms")]
    Sms,
    #[sea_orm(string_value = "phone")]
    Phone,
    #[sea_orm(string_value = "staff")]
    Staff,
    #[sea_orm(string_value = "import")]
    Import,
}

impl ReservationSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationSource::Web => "web",
            ReservationSource::Sms => "sms",
            ReservationSource::Phone => "phone",
            ReservationSource::Staff => "staff",
            ReservationSource::Import => "import",
        }
    }
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Received, no answer yet: the 24-hour clock runs.
    #[sea_orm(string_value = "open")]
    Open,
    /// Answered at least once; still open for dialogue.
    #[sea_orm(string_value = "answered")]
    Answered,
    #[sea_orm(string_value = "closed")]
    Closed,
}

/// Who wrote a message in a case's dialogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the consumer.
    #[sea_orm(string_value = "inbound")]
    Inbound,
    /// An individual answer to the consumer.
    #[sea_orm(string_value = "outbound")]
    Outbound,
    /// Internal note, never sent.
    #[sea_orm(string_value = "note")]
    Note,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Note => "note",
        }
    }
}

/// What a campaign is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    #[sea_orm(string_value = "sales")]
    Sales,
    #[sea_orm(string_value = "fundraising")]
    Fundraising,
    #[sea_orm(string_value = "survey")]
    Survey,
    #[sea_orm(string_value = "customer_service")]
    CustomerService,
}

impl CampaignKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignKind::Sales => "sales",
            CampaignKind::Fundraising => "fundraising",
            CampaignKind::Survey => "survey",
            CampaignKind::CustomerService => "customer_service",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum DialerMode {
    #[sea_orm(string_value = "power")]
    Power,
    #[sea_orm(string_value = "predictive")]
    Predictive,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[sea_orm(string_value = "handler")]
    Handler,
    #[sea_orm(string_value = "manager")]
    Manager,
    #[sea_orm(string_value = "admin")]
    Admin,
}

/// Where an outbound message stands (the screen tells the truth: "sent"
/// only once the mail server or Twilio took it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// In the outbox, not yet taken by the mail server or Twilio.
    #[sea_orm(string_value = "queued")]
    Queued,
    /// Taken by the mail server, or accepted by Twilio.
    #[sea_orm(string_value = "sent")]
    Sent,
    /// The last attempt failed (the reason is kept); retried or retryable.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Twilio reports it reached the phone.
    #[sea_orm(string_value = "delivered")]
    Delivered,
    /// Twilio reports it did not reach the phone.
    #[sea_orm(string_value = "undelivered")]
    Undelivered,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Queued => "queued",
            Delivery::Sent => "sent",
            Delivery::Failed => "failed",
            Delivery::Delivered => "delivered",
            Delivery::Undelivered => "undelivered",
        }
    }
    /// Sent and not since reported lost: the answer counts (norm 4.4.3).
    pub fn went_out(self) -> bool {
        matches!(self, Delivery::Sent | Delivery::Delivered)
    }
}
