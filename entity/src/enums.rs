//! Closed sets of values stored as short strings.
//!
//! Each enum's stored string is its `sea_orm(string_value)`; strum derives
//! the same names as `&'static str` (`IntoStaticStr`, for translation keys
//! and CSS classes) and the parser (`EnumString`, `"web".parse()`). The test
//! below holds the two to each other for every variant.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

/// How an inquiry reached the centre (henvendelseskanal).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    IntoStaticStr,
    EnumString,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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

/// Where a reservation (do-not-call entry) came from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    IntoStaticStr,
    EnumString,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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

/// Where a case stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    IntoStaticStr,
    EnumString,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    IntoStaticStr,
    EnumString,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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

/// What a campaign is for.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    IntoStaticStr,
    EnumString,
    VariantArray,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    IntoStaticStr,
    EnumString,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
    IntoStaticStr,
    EnumString,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    IntoStaticStr,
    EnumString,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
    /// Sent and not since reported lost: the answer counts (norm 4.4.3).
    pub fn went_out(self) -> bool {
        matches!(self, Delivery::Sent | Delivery::Delivered)
    }
}

/// `as_str()`: the stored name as `&'static str`, for the templates and
/// handlers that build translation keys and CSS classes from it.
macro_rules! as_str {
    ($($t:ty),*) => {$(
        impl $t {
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
    )*};
}
as_str!(
    Channel,
    ReservationSource,
    Direction,
    CampaignKind,
    Delivery
);

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::str::FromStr;

    use sea_orm::Iterable;

    use super::*;

    /// strum's names are exactly the strings in the database, both ways.
    fn same_names<E>()
    where
        E: ActiveEnum<Value = String> + Iterable + Copy + Debug + PartialEq,
        E: Into<&'static str> + FromStr,
    {
        for v in E::iter() {
            let name: &'static str = v.into();
            assert_eq!(name, v.to_value(), "{v:?}");
            assert!(E::from_str(name).ok() == Some(v), "{name} parses back");
        }
        assert!(E::from_str("no such name").is_err());
    }

    #[test]
    fn enum_names_are_the_stored_strings() {
        same_names::<Channel>();
        same_names::<ReservationSource>();
        same_names::<CaseStatus>();
        same_names::<Direction>();
        same_names::<CampaignKind>();
        same_names::<DialerMode>();
        same_names::<Role>();
        same_names::<Delivery>();
        assert_eq!(CampaignKind::VARIANTS.len(), CampaignKind::iter().count());
        assert_eq!(CampaignKind::CustomerService.as_str(), "customer_service");
    }
}
