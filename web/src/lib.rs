//! innsyn: the transparency portal and inbound desk of a Norwegian call centre.

pub mod app;
pub mod auth;
pub mod bench;
pub mod clock;
pub mod config;
pub mod cookies;
pub mod csrf;
pub mod db;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod middleware;
pub mod ratelimit;
pub mod request;
pub mod routes;
pub mod scrub;
pub mod seed;
pub mod seed_showcase;
pub mod sms;
pub mod state;
pub mod twilio_ids;
pub mod twilio_signature;
pub mod views;
