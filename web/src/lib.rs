//! innsyn: the transparency portal and inbound desk of a Norwegian call centre.

pub mod app;
pub mod bench;
pub mod clock;
pub mod config;
pub mod csrf;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod ratelimit;
pub mod routes;
pub mod seed;
pub mod state;
pub mod views;
