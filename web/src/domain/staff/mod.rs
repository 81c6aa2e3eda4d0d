//! The people who work the back office (norm 7: personal data only for
//! signed-in staff, by role): users, roles, passwords, sign-in.

pub mod signin;
pub mod users;
