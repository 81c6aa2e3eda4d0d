//! The rules of the product, reachable from tests without HTTP.

pub mod cases;
pub mod catalogue;
pub mod centre;
pub mod complaints;
pub mod email;
pub mod lookup;
pub mod phone;
pub mod reservations;
pub mod time;
pub mod users;
