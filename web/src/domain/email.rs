//! E-mail addresses enter the program here.

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
        Ok(EmailAddress(addr.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
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
}
