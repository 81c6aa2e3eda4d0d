//! E-mail addresses enter the program here, and leave it normalised.
//!
//! An address is stored and compared in one form: the whole address
//! lower-cased, local part included. RFC 5321 lets a mail server treat
//! `Kari@` and `kari@` as different mailboxes, but no mail system a
//! consumer uses does, and a person who typed their address with capitals
//! once and without them the next time is the same person: their access
//! and erasure request must find both, and their reply must thread into
//! their case. Answers therefore go to the lower-cased address. Lower-casing
//! is Unicode-aware (`str::to_lowercase`), so it agrees with itself on
//! both databases (SQLite's `lower()` folds A-Z only); the migration that
//! normalised the rows stored before this rule uses the same function.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a valid e-mail address")]
pub struct EmailError;

impl EmailAddress {
    pub fn parse(input: &str) -> Result<EmailAddress, EmailError> {
        let s = input.trim();
        if s.len() > 254 || s.contains(char::is_whitespace) {
            return Err(EmailError);
        }
        let addr: lettre::Address = s.parse().map_err(|_| EmailError)?;
        // A consumer's address must be reachable on the internet: require a dot
        // in the domain (lettre accepts "a@b").
        if !addr.domain().contains('.') {
            return Err(EmailError);
        }
        Ok(EmailAddress(normalise(addr.as_ref())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The stored form of an address that already passed the parser.
fn normalise(valid: &str) -> String {
    valid.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_parse_and_junk_does_not() {
        assert_eq!(
            EmailAddress::parse(" ola@example.no ").unwrap().as_str(),
            "ola@example.no"
        );
        for bad in [
            "",
            "ola",
            "ola@",
            "@example.no",
            "ola @example.no",
            "ola@localhost",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_address_is_the_same_whatever_capitals_were_typed() {
        let a = EmailAddress::parse(" Kari.Nordmann@Example.NO").unwrap();
        assert_eq!(a.as_str(), "kari.nordmann@example.no");
        assert_eq!(a, EmailAddress::parse("KARI.NORDMANN@example.no").unwrap());
        // Beyond A-Z too: SQLite's lower() would leave these alone.
        assert_eq!(
            EmailAddress::parse("ÅSE.ØDEGÅRD@Eksempel.no")
                .unwrap()
                .as_str(),
            "åse.ødegård@eksempel.no"
        );
    }
}
