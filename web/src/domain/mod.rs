//! The rules of the product, reachable from tests without HTTP, grouped by
//! capability. Nothing here knows about HTTP or HTML, and nothing here
//! imports the web layer (the state, the configuration, the jobs, the
//! routes, the views, sign-in, CSRF, the middleware or the web error): a
//! service takes the database, plain values and small structs of its own
//! (the Meilisearch settings, the retention run's options, the places a
//! person's data can be), and the clients it talks to (mail, Twilio).
//! Handlers in `routes/` call these services and draw their results; the
//! jobs run them on a schedule.
//!
//! - [`cases`]: a case from intake to answer on the 24-hour clock (norm 4.4.3).
//! - [`inbound`]: calls, texts and mail on the visible numbers (norm 4.4.2, 4.4.4).
//! - [`dialer`]: the reservation registers, the wash, calling hours, tokens (norm 4.2, 4.4.4, 4.6.3).
//! - [`catalogue`]: the centre, its clients, campaigns and numbers; "who called me?" (norm 4.4.1, 4.4.5).
//! - [`stats`]: daily figures per campaign and their exports (norm 4.3).
//! - [`privacy`]: retention, access and erasure, the audit log (norm 7, 8.2).
//! - [`staff`]: users and sign-in (norm 7).
//! - [`search`]: finding cases and clients (norm 4.4.3, 4.4.1 a).
//! - [`norm`]: every limit the norm sets and default the product chooses, with its clause.
//! - Value types: [`phone`], [`email`], [`time`].
//! - [`error`]: the one error every service returns, with a form's field errors.

pub mod cases;
pub mod catalogue;
pub mod dialer;
pub mod email;
pub mod error;
pub mod format;
pub mod inbound;
pub mod norm;
pub mod phone;
pub mod privacy;
pub mod search;
pub mod staff;
pub mod stats;
pub mod time;

pub use error::{Error, FieldErrors};
/// The names strum derives are the strings the API, the forms, the
/// templates and the database already use: they must not move.
#[cfg(test)]
mod enum_names {
    use crate::domain::cases::queue::SlaState;
    use crate::domain::cases::work::{
        ANSWERED_BY_PHONE, AnswerChannel, CLOSE_REASONS, CloseReason,
    };
    use crate::domain::catalogue::settings::KINDS;
    use crate::domain::dialer::calling_hours::Reason;
    use crate::domain::dialer::wash::Verdict;
    use crate::domain::privacy::subject_access::DeliveryKind;
    use crate::i18n::Lang;

    #[test]
    fn every_name_is_as_it_was() {
        let sla = [
            SlaState::OnTime,
            SlaState::AtRisk,
            SlaState::Breached,
            SlaState::Stopped,
        ];
        assert_eq!(
            sla.map(SlaState::as_str),
            ["on_time", "at_risk", "breached", "stopped"]
        );
        let v = [
            Verdict::Callable,
            Verdict::Reserved,
            Verdict::Invalid,
            Verdict::AgentRequired,
        ];
        assert_eq!(
            v.map(Verdict::as_str),
            ["callable", "reserved", "invalid", "agent-required"]
        );
        let r = [
            Reason::Weekend,
            Reason::PublicHoliday,
            Reason::Before09,
            Reason::After21,
        ];
        assert_eq!(
            r.map(Reason::code),
            ["weekend", "public_holiday", "before_09", "after_21"]
        );
        let k = [
            DeliveryKind::Sms,
            DeliveryKind::Mail,
            DeliveryKind::Recording,
            DeliveryKind::Transcription,
        ];
        assert_eq!(
            k.map(DeliveryKind::as_str),
            ["sms", "mail", "recording", "transcription"]
        );
        assert_eq!(
            CLOSE_REASONS,
            [
                "ingen-kontaktinfo",
                "duplikat",
                "spam",
                "besvart-per-telefon"
            ]
        );
        assert_eq!(CloseReason::Duplicate("K-1".into()).code(), "duplikat");
        assert_eq!(
            CloseReason::AnsweredByPhone(String::new()).code(),
            ANSWERED_BY_PHONE
        );
        assert_eq!(AnswerChannel::parse("email"), Some(AnswerChannel::Email));
        assert_eq!(AnswerChannel::parse("sms"), Some(AnswerChannel::Sms));
        assert_eq!(AnswerChannel::parse("Email"), None);
        assert_eq!((Lang::Nb.code(), Lang::En.code()), ("nb", "en"));
        assert_eq!(Lang::parse("no"), Some(Lang::Nb));
        assert_eq!(Lang::parse("nb"), Some(Lang::Nb));
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("de"), None);
        let kinds: Vec<&str> = KINDS.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            kinds,
            ["sales", "fundraising", "survey", "customer_service"]
        );
        assert_eq!(
            crate::domain::staff::users::parse_role("manager"),
            Some(entity::enums::Role::Manager)
        );
        assert_eq!(crate::domain::staff::users::parse_role("Admin"), None);
    }
}
