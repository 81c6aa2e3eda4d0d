//! Phone numbers enter the program here, once, and leave as [`E164`].

use std::fmt;

use phonenumber::Mode;

mod written;

#[cfg(test)]
mod reference_tests;
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
    /// Eight digits, but in a range no Norwegian number is in.
    #[error("not a Norwegian number in use")]
    NotInUse,
    /// An extension after the number: innsyn stores whole numbers only.
    #[error("a number with an extension")]
    Extension,
}

impl PhoneError {
    /// The translation key of the message shown to the user.
    pub fn message_key(self) -> &'static str {
        match self {
            PhoneError::Empty => "phone-error-empty",
            PhoneError::NotANumber => "phone-error-not-a-number",
            PhoneError::Invalid => "phone-error-invalid",
            PhoneError::NotInUse => "phone-error-not-in-use",
            PhoneError::Extension => "phone-error-extension",
        }
    }
}

/// What libphonenumber would make of a number's digits.
enum Judged {
    Valid(String),
    /// Parsed, but not a number in use.
    Invalid(PhoneError),
    /// Not even parsed (no such country code, too short or too long): an
    /// extension after it changes nothing.
    Unparsable,
}

/// libphonenumber's general pattern for Norway: 5 digits from 0, or 8 from 2-9.
fn norwegian_shaped(d: &str) -> bool {
    let b = d.as_bytes();
    (b.len() == 5 && b[0] == b'0') || (b.len() == 8 && matches!(b[0], b'2'..=b'9'))
}

/// A Norwegian national number (digits after +47) judged by the metadata.
fn judge_norwegian(national: &str) -> Judged {
    let valid = match national.len() {
        8 => national.parse::<u32>().is_ok_and(valid_norwegian_national),
        // UAN numbers: 0[235-9]xxx.
        5 => {
            national.as_bytes()[0] == b'0' && !matches!(national.as_bytes()[1], b'0' | b'1' | b'4')
        }
        // libphonenumber refuses to parse a national number shorter than 2.
        0 | 1 => return Judged::Unparsable,
        n if n > 17 => return Judged::Unparsable,
        _ => false,
    };
    if valid {
        Judged::Valid(format!("+47{national}"))
    } else if national.len() == 8 {
        Judged::Invalid(PhoneError::NotInUse)
    } else {
        Judged::Invalid(PhoneError::Invalid)
    }
}

/// Digits after `+` or `00`: Norway by our table, other countries by the
/// `phonenumber` crate's metadata.
fn judge_international(d: &str) -> Judged {
    if let Some(national) = d.strip_prefix("47") {
        return judge_norwegian(national);
    }
    if d.len() > 17 {
        return Judged::Unparsable;
    }
    let Ok(n) = phonenumber::parse(None, format!("+{d}")) else {
        return Judged::Unparsable;
    };
    // A parse can succeed on an invalid number ("12345"): check it.
    if !phonenumber::is_valid(&n) {
        return Judged::Invalid(PhoneError::Invalid);
    }
    let e164 = n.format().mode(Mode::E164).to_string();
    // E.164 allows at most 15 digits; libphonenumber's metadata accepts
    // some longer ones (found by the `phone` fuzz target).
    if e164.len() > 16 {
        return Judged::Invalid(PhoneError::Invalid);
    }
    Judged::Valid(e164)
}

impl E164 {
    /// Parses any written form libphonenumber reads, as it reads it, with
    /// Norway the default region: "912 34 567", "0047 91234567",
    /// "+47 912 34 567", "tel:+47-912-34-567" and "tlf. ９１２３４５６７" are the
    /// same number, and "47 12 34 56" is +4747123456 (eight digits are
    /// always a national number). Norwegian numbers are judged by the
    /// ranges of libphonenumber 9.0.43 (see `valid_norwegian_national`),
    /// checked against `web/tests/fixtures/phone/`. A number with an
    /// extension is refused with its own message rather than guessed at.
    pub fn parse(input: &str) -> Result<E164, PhoneError> {
        let w = written::Written::read(input)?;
        let d = w.digits.as_str();
        let judged = if w.plus {
            judge_international(d)
        } else if let Some(rest) = d.strip_prefix("00")
            && !rest.starts_with('0')
        {
            // Norway's international prefix (not before a 0, as in libphonenumber).
            judge_international(rest)
        } else {
            // A national number, or 47 before one: libphonenumber takes 47
            // as the country code only when what follows looks Norwegian and
            // the whole does not, or the whole is too long.
            let national = match d.strip_prefix("47") {
                Some(rest) if (!norwegian_shaped(d) && norwegian_shaped(rest)) || d.len() > 8 => {
                    rest
                }
                _ => d,
            };
            judge_norwegian(national)
        };
        match (judged, w.extension) {
            (Judged::Unparsable, _) => Err(PhoneError::Invalid),
            (_, true) => Err(PhoneError::Extension),
            (Judged::Invalid(e), false) => Err(e),
            (Judged::Valid(e164), false) => Ok(E164(e164)),
        }
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
        // Norwegian mobile, toll-free and shared-cost numbers are written
        // 3-2-3 (`+47 912 34 567`, `+47 800 12 345`); the metadata's
        // international format groups every 8-digit number 2-2-2-2, which
        // is right only for landlines (`+47 21 00 00 10`).
        if let Some(national) = self.0.strip_prefix("+47")
            && national.len() == 8
            && national.bytes().all(|b| b.is_ascii_digit())
            && matches!(national.as_bytes()[0], b'4' | b'8' | b'9')
        {
            return format!(
                "+47 {} {} {}",
                &national[..3],
                &national[3..5],
                &national[5..]
            );
        }
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

/// Norway's country code.
const NO_CC: u64 = 47;

/// A number as one integer: the digits of its E.164 form ("+4791234567" is
/// 4791234567). E.164 has at most 15 digits and no leading zero, so this is
/// exact and unique; registers in memory are sorted `Vec<u64>` of these.
pub fn e164_key(e164: &str) -> Option<u64> {
    let digits = e164.strip_prefix('+')?;
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The E.164 text of a key made by [`e164_key`].
pub fn key_to_e164(key: u64) -> String {
    format!("+{key}")
}

/// True when an 8-digit Norwegian national number is valid. Mirrors the
/// NO (and, for 79, SJ) patterns of libphonenumber 9.0.43's metadata (the
/// `phonenumber` crate ships the older 9.0.33, which still calls all of
/// 4xxxxxxx mobile): validity depends on the first five digits only. The
/// fixture `web/tests/fixtures/phone/` (made by Python's `phonenumbers`)
/// checks every three-digit prefix, and every five-digit one under the
/// prefixes where the fifth digit matters.
fn valid_norwegian_national(n: u32) -> bool {
    let p2 = n / 1_000_000;
    let p3 = n / 100_000;
    let p4 = n / 10_000;
    let p5 = n / 1_000;
    match p2 {
        21..=24 | 31..=33 | 35 | 37 | 38 | 51..=53 | 55..=57 | 61..=64 | 66..=69 | 70..=79 => true,
        // Mobile: 40, 41, 45 (but not 4536), 46-48 and 90-99; 42-44 and 49 are not in use.
        40 | 41 | 46..=48 | 90..=99 => true,
        45 => p4 != 4536,
        80..=88 => {
            matches!(
                p3,
                800 | 801 | 820 | 829 | 880 | 850..=855 | 812 | 813 | 815
            ) || matches!(p5, 81000..=81089) // shared cost 810 00-06 and 20-89, UAN 810 07-19
        }
        _ => false,
    }
}

/// The fast path for the written forms a calling list mostly holds: eight
/// digits, optionally after `+47` or `0047`, with spaces anywhere. Answers
/// `None` for anything else (then use [`E164::parse`]); where it answers, it
/// agrees exactly with [`E164::parse`] and gives the number's [`e164_key`].
pub fn parse_common_norwegian(input: &str) -> Option<Result<u64, PhoneError>> {
    parse_common_norwegian_bytes(input.as_bytes())
}

/// [`parse_common_norwegian`] on bytes: the forms it answers for are ASCII,
/// so a wash need not check a line is UTF-8 before trying it.
pub fn parse_common_norwegian_bytes(b: &[u8]) -> Option<Result<u64, PhoneError>> {
    let mut start = 0;
    let mut end = b.len();
    while start < end && matches!(b[start], b' ' | b'\t' | b'\r' | b'\n') {
        start += 1;
    }
    while end > start && matches!(b[end - 1], b' ' | b'\t' | b'\r' | b'\n') {
        end -= 1;
    }
    let mut s = &b[start..end];
    let plus = s.first() == Some(&b'+');
    if plus {
        s = &s[1..];
        // "+ 47" and the like: leave to the parser.
        if s.first() == Some(&b' ') {
            return None;
        }
    }
    // The two commonest forms, `91234567` and `+4791234567`: their eight
    // digits read at once.
    let eight = match (plus, s.len()) {
        (false, 8) => eight_digits(s),
        (true, 10) if s.starts_with(b"47") => eight_digits(&s[2..]),
        _ => None,
    };
    if let Some(national) = eight {
        return norwegian_key(u64::from(national));
    }
    let mut value: u64 = 0;
    let mut count = 0usize;
    let mut last_space = false;
    for &c in s {
        match c {
            b'0'..=b'9' => {
                if count == 12 {
                    return None;
                }
                value = value * 10 + u64::from(c - b'0');
                count += 1;
                last_space = false;
            }
            b' ' => {
                // Runs of spaces: leave to the parser.
                if last_space {
                    return None;
                }
                last_space = true;
            }
            _ => return None,
        }
    }
    let national = match (plus, count) {
        (false, 8) => value,
        // "47" before eight digits is the country code.
        (false, 10) if value / 100_000_000 == NO_CC => value % 100_000_000,
        (false, 12) if value / 100_000_000 == 47 => value % 100_000_000,
        (true, 10) if value / 100_000_000 == NO_CC => value % 100_000_000,
        _ => return None,
    };
    norwegian_key(national)
}

/// The key of an eight-digit national number, as [`E164::parse`] would
/// judge it; `None` where the parser must decide.
fn norwegian_key(national: u64) -> Option<Result<u64, PhoneError>> {
    // The parser reads a leading 0 ("00" is an international prefix) its
    // own way: leave those to it. Eight digits from 47 are a national number.
    if national < 10_000_000 {
        return None;
    }
    let national = u32::try_from(national).ok()?;
    if valid_norwegian_national(national) {
        Some(Ok(NO_CC * 100_000_000 + u64::from(national)))
    } else {
        Some(Err(PhoneError::NotInUse))
    }
}

/// Eight ASCII digits as a number, read as one 64-bit word (SWAR: three
/// multiplications instead of eight steps); `None` unless all eight are
/// digits.
fn eight_digits(b: &[u8]) -> Option<u32> {
    let b: [u8; 8] = b.try_into().ok()?;
    let v = u64::from_le_bytes(b);
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    // Each byte 0x30..=0x3F, and still so with 6 added: 0x30..=0x39.
    if v & HIGH != ZEROS || v.wrapping_add(0x0606_0606_0606_0606) & HIGH != ZEROS {
        return None;
    }
    let mut v = v - ZEROS;
    // Pairs of digits, then fours, then all eight (the first byte is the
    // most significant digit).
    v = (v.wrapping_mul(10) + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    v = v.wrapping_mul(10_000) + (v >> 32);
    Some(v as u32)
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
    fn numbers_longer_than_e164s_15_digits_are_refused() {
        // Found by the `phone` fuzz target: the parser took 16 digits.
        assert_eq!(E164::parse("+4979661234949771"), Err(PhoneError::Invalid));
        assert!(E164::parse("+4930123456").is_ok());
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

    fn full(s: &str) -> Result<u64, PhoneError> {
        E164::parse(s).map(|e| e164_key(e.as_str()).expect("E.164 key"))
    }

    /// Written forms of one 8-digit national number: bare, +47, 0047, with
    /// spaces in random places.
    fn written_form(national: &str, rng: &mut impl rand::Rng) -> String {
        let prefix = ["", "+47", "0047", "+47 ", "0047 ", " ", "\t+47"][rng.random_range(0..7)];
        let mut s = String::from(prefix);
        for (i, c) in national.chars().enumerate() {
            if i > 0 && rng.random_bool(0.3) {
                s.push(' ');
            }
            s.push(c);
        }
        if rng.random_bool(0.2) {
            s.push_str(" \r");
        }
        s
    }

    #[test]
    fn eight_digits_read_at_once_read_as_one_by_one() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        for n in (0..100u32).chain((0..200_000).map(|_| rng.random_range(0..100_000_000))) {
            let s = format!("{n:08}");
            assert_eq!(eight_digits(s.as_bytes()), Some(n), "{s}");
        }
        for bad in [
            &b"1234567/"[..],
            b"1234567:",
            b"12 45678",
            b"\x0012345",
            b"1234567",
            b"123456789",
        ] {
            assert_eq!(eight_digits(bad), None, "{bad:?}");
        }
        // Every byte that is not a digit, in every place.
        for place in 0..8 {
            for c in (0..=255u8).filter(|c| !c.is_ascii_digit()) {
                let mut s = *b"12345678";
                s[place] = c;
                assert_eq!(eight_digits(&s), None, "{s:?}");
            }
        }
    }

    #[test]
    fn fast_path_agrees_with_the_full_parser() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x1457_2026);
        let mut fast_answers = 0;
        // Every five-digit prefix (validity depends on no more), bare.
        for prefix in 0..100_000u32 {
            let national = format!("{prefix:05}{:03}", rng.random_range(0..1000));
            if let Some(f) = parse_common_norwegian(&national) {
                fast_answers += 1;
                assert_eq!(f, full(&national), "{national:?}");
            }
        }
        assert!(fast_answers > 88_000, "{fast_answers}");
        // Random numbers in random written forms, and near misses.
        for _ in 0..30_000 {
            let national = format!("{:08}", rng.random_range(0..100_000_000u32));
            let mut s = written_form(&national, &mut rng);
            match rng.random_range(0..10) {
                0 => s.push(rng.random_range(b'0'..=b'9') as char),
                1 => {
                    s.remove(s.len() / 2);
                }
                2 => s.insert(0, '+'),
                3 => s = s.replace(' ', "  "),
                _ => {}
            }
            if let Some(f) = parse_common_norwegian(&s) {
                assert_eq!(f, full(&s), "{s:?}");
            }
        }
    }

    #[test]
    fn fast_path_reads_the_common_forms() {
        for s in [
            "91234567",
            "912 34 567",
            "+47 912 34 567",
            "0047 91234567",
            " +4791234567 ",
        ] {
            assert_eq!(parse_common_norwegian(s), Some(Ok(4_791_234_567)), "{s}");
        }
        assert_eq!(
            parse_common_norwegian("12345678"),
            Some(Err(PhoneError::NotInUse))
        );
        assert_eq!(
            parse_common_norwegian("47 12 34 56"),
            Some(Ok(4_747_123_456))
        );
        assert_eq!(
            parse_common_norwegian("4747123456"),
            Some(Ok(4_747_123_456))
        );
        assert_eq!(
            parse_common_norwegian("42 12 34 56"),
            Some(Err(PhoneError::NotInUse))
        );
        assert_eq!(parse_common_norwegian("+46 8 123 456 78"), None);
        assert_eq!(key_to_e164(4_791_234_567), "+4791234567");
    }
}
