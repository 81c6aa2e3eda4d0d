//! What the dialer asks and is told (norm 4.2 i, 4.4.4, 4.6.3): the
//! reservation registers, washing a calling list against them, calling
//! hours, abandoned calls, and the API tokens the dialer signs in with.

pub mod abandoned;
pub mod api_tokens;
pub mod calling_hours;
pub mod campaigns;
pub mod client_registers;
pub mod coverage;
pub mod national;
pub mod receipts;
pub mod registers;
pub mod reservations;
pub mod wash;
pub mod wash_jobs;
pub mod wash_runs;
pub mod wash_stream;
