//! Integration tests: each runs on a fresh SQLite and a fresh PostgreSQL database.

mod support;

mod complaint;
mod dialer;
mod lookup;
mod pages;
mod rate_limit;
mod reservation;
mod schema;
