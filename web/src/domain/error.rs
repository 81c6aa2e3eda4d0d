//! The one error of domain operations, and the field errors of a form.
//!
//! Every service in `domain/` that can refuse returns [`Error`]: invalid
//! input (with [`FieldErrors`]), not found, a rule that refuses the request,
//! a conflict with the current state, forbidden, or an internal failure.
//! The web layer wraps it and maps it once to a status and a page (HTML)
//! or JSON (the API); nothing here knows about HTTP.
//!
//! Messages are translation keys (`assets/i18n/<locale>/*.ftl`), so the page
//! shows them in the request's language.

use sea_orm::DbErr;

/// Field name (as in the form) → translation key of what is wrong with it,
/// in the order found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, &'static str)>);

impl FieldErrors {
    /// One field with one message.
    pub fn one(field: &'static str, key: &'static str) -> Self {
        FieldErrors(vec![(field, key)])
    }
    pub fn push(&mut self, field: &'static str, key: &'static str) {
        self.0.push((field, key));
    }
    /// Whether `field` has an error (for templates: mark the field).
    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }
    /// The first message key of `field`, or "".
    pub fn key(&self, field: &str) -> &'static str {
        self.get(field).unwrap_or("")
    }
    /// The first message key of `field`.
    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, k)| *k)
    }
    /// The first error: (field, message key).
    pub fn first(&self) -> Option<(&'static str, &'static str)> {
        self.0.first().copied()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Ok(())` when nothing was found wrong, else [`Error::Invalid`].
    pub fn into_result(self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self))
        }
    }
}

impl From<Vec<(&'static str, &'static str)>> for FieldErrors {
    fn from(v: Vec<(&'static str, &'static str)>) -> Self {
        FieldErrors(v)
    }
}

/// Why a domain operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input fails its checks: each field with what is wrong (422; a
    /// form is drawn again with the input kept and the fields marked).
    #[error("invalid input: {0:?}")]
    Invalid(FieldErrors),
    /// No such thing (an unknown id or reference): 404.
    #[error("not found")]
    NotFound,
    /// A rule refuses the request as asked (400), with the translation key
    /// of the rule's message: e.g. an admin cannot lock themselves out.
    #[error("refused: {0}")]
    Refused(&'static str),
    /// The request clashes with the current state (409), with the
    /// translation key of its message.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The actor may not do this (403).
    #[error("forbidden")]
    Forbidden,
    /// The database failed (500, logged with a reference).
    #[error(transparent)]
    Db(DbErr),
    /// Anything else that failed inside (500, logged with a reference).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// Invalid input on one field.
    pub fn invalid(field: &'static str, key: &'static str) -> Self {
        Error::Invalid(FieldErrors::one(field, key))
    }
    /// An internal failure described by `e` (the text is logged, never shown).
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Error::Internal(anyhow::anyhow!("{e}"))
    }
}

impl From<DbErr> for Error {
    /// A row sea-orm could not find is a missing thing, not a failure.
    fn from(e: DbErr) -> Self {
        match e {
            DbErr::RecordNotFound(_) => Error::NotFound,
            e => Error::Db(e),
        }
    }
}

impl From<FieldErrors> for Error {
    fn from(f: FieldErrors) -> Self {
        Error::Invalid(f)
    }
}

/// A domain result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_record_is_not_found_and_other_database_errors_stay_internal() {
        assert!(matches!(
            Error::from(DbErr::RecordNotFound("client".into())),
            Error::NotFound
        ));
        assert!(matches!(
            Error::from(DbErr::Custom("boom".into())),
            Error::Db(_)
        ));
    }

    #[test]
    fn field_errors_answer_per_field_and_turn_into_invalid() {
        let mut f = FieldErrors::default();
        assert!(f.clone().into_result().is_ok());
        f.push("navn", "form-error-required");
        f.push("navn", "second");
        assert!(f.has("navn") && !f.has("orgnr"));
        assert_eq!(f.key("navn"), "form-error-required");
        assert_eq!(f.key("orgnr"), "");
        assert!(matches!(f.into_result(), Err(Error::Invalid(_))));
    }
}
