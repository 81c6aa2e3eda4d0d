//! The rules of the product, reachable from tests without HTTP.

pub mod api_tokens;
pub mod audit;
pub mod caller_numbers;
pub mod calling_hours;
pub mod campaigns;
pub mod case_work;
pub mod cases;
pub mod catalogue;
pub mod centre;
pub mod complaints;
pub mod email;
pub mod inbound;
pub mod inbound_mail;
pub mod lookup;
pub mod phone;
pub mod queue;
pub mod recordings;
pub mod registers;
pub mod reservations;
pub mod retention;
pub mod settings;
pub mod signin;
pub mod time;
pub mod users;
pub mod wash;
pub mod wash_runs;
