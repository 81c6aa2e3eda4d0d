//! The rules of the product, reachable from tests without HTTP.

pub mod api_tokens;
pub mod audit;
pub mod calling_hours;
pub mod campaigns;
pub mod cases;
pub mod catalogue;
pub mod centre;
pub mod complaints;
pub mod email;
pub mod lookup;
pub mod phone;
pub mod registers;
pub mod reservations;
pub mod time;
pub mod users;
pub mod wash;
pub mod wash_runs;
