//! The people who work the back office: users, roles, passwords, sign-in.

pub mod signin;
pub mod users;
