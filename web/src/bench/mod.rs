//! `innsyn bench ...`: performance figures printed, never asserted in tests.

pub mod intake;
pub mod queue;
pub mod search;
pub mod stats;
pub mod wash;

mod harness;

pub use harness::Backend;
