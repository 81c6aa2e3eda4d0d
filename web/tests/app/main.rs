//! Integration tests: each runs on a fresh SQLite and a fresh PostgreSQL database.

mod support;

mod admin_access;
mod answers;
mod catalogue_cache;
mod complaint;
mod concurrency;
mod cookies;
mod delivery;
mod dialer;
mod dialer_screens;
mod email_addresses;
mod errors;
mod handler_day;
mod hardening;
mod inbound_mail;
mod inbound_twilio;
mod lookup;
mod national;
mod open_data;
mod pages;
mod privacy;
mod public_site;
mod queue_pages;
mod rate_limit;
mod reservation;
mod retention;
mod schema;
mod search;
mod settings;
mod signin;
mod sla;
mod staff_users;
mod stats;
mod wash_jobs;
mod wash_preload;
