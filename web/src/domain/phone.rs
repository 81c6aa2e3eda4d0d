//! Phone numbers enter the program here, once, and leave as [`E164`].

use std::fmt;

use phonenumber::{Mode, country};
use serde::Serialize;

/// A valid phone number in E.164 form, e.g. `+4791234567`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct E164(String);

/// Why a written number was refused. Each maps to a translated message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("no number given")]
    Empty,
    #[error("not a phone number")]
    NotANumber,
    #[error("not a valid phone number")]
    Invalid,
}

impl PhoneError {
    /// The translation key of the message shown to the user.
    pub fn message_key(self) -> &'static str {
        match self {
            PhoneError::Empty => "phone-error-empty",
            PhoneError::NotANumber => "phone-error-not-a-number",
            PhoneError::Invalid => "phone-error-invalid",
        }
    }
}

impl E164 {
    /// Parses any common written form; Norway is the default region, so
    /// "912 34 567", "0047 91234567" and "+47 912 34 567" are the same number.
    pub fn parse(input: &str) -> Result<E164, PhoneError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        // Only what people write in numbers: digits, spaces, + - ( ) . /
        // (phonenumber would read vanity letters as digits).
        let number_like = s
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().-/\u{a0}".contains(c));
        if !number_like || !s.chars().any(|c| c.is_ascii_digit()) {
            return Err(PhoneError::NotANumber);
        }
        // Number-like but unparsable (too short, too long): not a valid number.
        let n = phonenumber::parse(Some(country::Id::NO), s).map_err(|_| PhoneError::Invalid)?;
        // A parse can succeed on an invalid number ("12345"): check it.
        if !phonenumber::is_valid(&n) {
            return Err(PhoneError::Invalid);
        }
        Ok(E164(n.format().mode(Mode::E164).to_string()))
    }

    /// Wraps a value read back from the database, where only parsed numbers are stored.
    pub fn from_stored(s: String) -> E164 {
        E164(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Human form: "+47 21 00 00 00".
    pub fn display(&self) -> String {
        phonenumber::parse(None, &self.0)
            .map(|n| n.format().mode(Mode::International).to_string())
            .unwrap_or_else(|_| self.0.clone())
    }

    /// For logs: never the full number.
    pub fn redacted(&self) -> Redacted<'_> {
        Redacted(&self.0)
    }

    /// True for a Norwegian mobile number.
    pub fn is_norwegian_mobile(&self) -> bool {
        let Ok(n) = phonenumber::parse(None, &self.0) else {
            return false;
        };
        n.code().value() == 47
            && n.number_type(&phonenumber::metadata::DATABASE) == phonenumber::Type::Mobile
    }
}

/// A number with all but the country code and last two digits hidden.
pub struct Redacted<'a>(&'a str);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let head: String = s.chars().take(3).collect();
        let tail: String = s
            .chars()
            .rev()
            .take(2)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        write!(f, "{head}…{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_norwegian_forms_become_one_e164() {
        for s in [
            "912 34 567",
            "+47 912 34 567",
            "0047 91234567",
            "91234567",
            " +4791234567 ",
        ] {
            assert_eq!(E164::parse(s).unwrap().as_str(), "+4791234567", "{s}");
        }
        assert_eq!(E164::parse("22 33 44 55").unwrap().as_str(), "+4722334455");
    }

    #[test]
    fn foreign_numbers_with_plus_work() {
        assert_eq!(
            E164::parse("+46 8 123 456 78").unwrap().as_str(),
            "+46812345678"
        );
        assert_eq!(
            E164::parse("+44 20 7946 0958").unwrap().as_str(),
            "+442079460958"
        );
    }

    #[test]
    fn what_is_not_a_valid_number_is_refused_with_its_reason() {
        assert_eq!(E164::parse("   "), Err(PhoneError::Empty));
        assert_eq!(E164::parse("hello"), Err(PhoneError::NotANumber));
        assert_eq!(E164::parse("12345"), Err(PhoneError::Invalid));
        assert_eq!(E164::parse("+47 1"), Err(PhoneError::Invalid));
    }

    #[test]
    fn redacted_form_hides_the_subscriber_part() {
        let n = E164::parse("91234567").unwrap();
        let r = n.redacted().to_string();
        assert!(!r.contains("912345"), "{r}");
        assert!(r.ends_with("67"));
    }

    #[test]
    fn norwegian_mobiles_are_told_apart_from_landlines() {
        assert!(E164::parse("912 34 567").unwrap().is_norwegian_mobile());
        assert!(!E164::parse("22 33 44 55").unwrap().is_norwegian_mobile());
    }
}
