//! Personal data kept no longer than the norm allows and handed over or
//! erased on request (norm 4.4.3, 4.3, 7, 8.2), and the audit log of every
//! staff read and change that matters.

pub mod audit;
pub mod retention;
pub mod subject_access;
