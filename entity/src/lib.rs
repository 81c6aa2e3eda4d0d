//! Database tables of innsyn, as sea-orm entities. No business rules live here:
//! those are in `web/src/domain`.

pub mod abandoned_call;
pub mod api_token;
pub mod attachment;
pub mod audit_log;
pub mod caller_number;
pub mod campaign;
pub mod case;
pub mod case_fact;
pub mod centre;
pub mod client;
pub mod client_reservation;
pub mod daily_stat;
pub mod enums;
pub mod inbound_event;
pub mod login_throttle;
pub mod mail_outbox;
pub mod message;
pub mod national_register_version;
pub mod national_reservation;
pub mod open_data_version;
pub mod receipt_key;
pub mod recording;
pub mod recording_tombstone;
pub mod register_version;
pub mod reservation;
pub mod retention_run;
pub mod retention_settings;
pub mod search_job;
pub mod session;
pub mod signin_key;
pub mod signin_known_address;
pub mod text_block;
pub mod user;
pub mod wash_job;
pub mod wash_job_chunk;
pub mod wash_run;

pub mod prelude {
    pub use super::caller_number::Entity as CallerNumber;
    pub use super::campaign::Entity as Campaign;
    pub use super::case::Entity as Case;
    pub use super::centre::Entity as Centre;
    pub use super::client::Entity as Client;
    pub use super::mail_outbox::Entity as MailOutbox;
    pub use super::message::Entity as Message;
    pub use super::reservation::Entity as Reservation;
    pub use super::user::Entity as User;
}
