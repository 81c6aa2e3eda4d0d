//! The rules of the product, reachable from tests without HTTP, grouped by
//! capability. Nothing here knows about HTTP or HTML: handlers in
//! `routes/` call these services and draw their results.
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

pub mod cases;
pub mod catalogue;
pub mod dialer;
pub mod email;
pub mod inbound;
pub mod norm;
pub mod phone;
pub mod privacy;
pub mod search;
pub mod staff;
pub mod stats;
pub mod time;
