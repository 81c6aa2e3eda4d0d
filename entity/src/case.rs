//! A case (henvendelse): one inquiry from a consumer, on the 24-hour clock.

use sea_orm::entity::prelude::*;

use crate::enums::{CaseStatus, Channel};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Human reference, e.g. `K-2026-000123`.
    #[sea_orm(unique)]
    pub reference: String,
    /// Idempotency key of whatever created the case (form submission id,
    /// provider message id), so a retried delivery makes no second case.
    #[sea_orm(unique)]
    pub source_key: Option<String>,
    pub channel: Channel,
    pub consumer_name: Option<String>,
    pub consumer_phone: Option<String>,
    pub consumer_email: Option<String>,
    /// The number that called the consumer, as E.164, when given.
    pub called_from: Option<String>,
    pub caller_number_id: Option<i32>,
    pub campaign_id: Option<i32>,
    pub client_id: Option<i32>,
    pub category: String,
    pub status: CaseStatus,
    pub received_at: DateTimeUtc,
    /// received_at + 24 hours (norm 4.4.3).
    pub due_at: DateTimeUtc,
    pub first_response_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub assignee_id: Option<i32>,
    /// When the 75% warning went out (once per case).
    pub at_risk_alerted_at: Option<DateTimeUtc>,
    /// When the breach warning went out (once per case).
    pub breach_alerted_at: Option<DateTimeUtc>,
    /// A legal hold keeps the case past its retention date (with the reason).
    pub legal_hold_reason: Option<String>,
    pub legal_hold_at: Option<DateTimeUtc>,
    /// The latest answer's trouble, shown in the queue: `queued`, `failed`
    /// or `undelivered`; none once it was sent.
    pub delivery_flag: Option<String>,
    /// Why a case was closed without a sent answer (`lukkegrunn`).
    pub close_reason: Option<String>,
    /// The other case's reference when closed as a duplicate.
    pub duplicate_of: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::message::Entity")]
    Message,
}

impl Related<super::message::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Message.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
