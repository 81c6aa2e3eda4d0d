//! Races in the background work, each made wide by a slow stand-in on
//! loopback: nothing sent twice, nothing deleted early, no report lost.

mod callbacks;
mod national;
mod outbox;
mod purge;
mod slow_twilio;
