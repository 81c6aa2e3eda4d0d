//! How people write phone numbers, read the way libphonenumber reads them:
//! `tel:` URIs (RFC 3966), `tlf.`/`tel.` before the number, any Unicode
//! decimal digit, the punctuation libphonenumber allows (no-break and
//! zero-width spaces among it), and extensions, which innsyn refuses.

use super::PhoneError;

/// A written number reduced to its digits.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Written {
    /// A `+` (or a `tel:` URI's global number) came before the digits.
    pub plus: bool,
    /// ASCII digits only.
    pub digits: String,
    /// An extension followed the number (`ext 12`, `;ext=12`, `x 7`, `#12`).
    pub extension: bool,
}

/// The code points whose digit value is 0 in Unicode's decimal digits
/// (category Nd, Unicode 14 as Python's `unicodedata` has it): each starts a
/// run of ten, 0 to 9. libphonenumber reads every one of them as a digit.
const ND_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// The value of a Unicode decimal digit.
pub(super) fn digit_value(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8 - b'0');
    }
    let cp = c as u32;
    let i = ND_ZEROS.partition_point(|&z| z <= cp).checked_sub(1)?;
    let v = cp - ND_ZEROS[i];
    (v < 10).then_some(v as u8)
}

/// Punctuation libphonenumber allows between digits (its VALID_PUNCTUATION,
/// without `x`, which starts an extension). U+202F (narrow no-break space)
/// is not in it: libphonenumber refuses a number written with it, so do we.
fn is_punctuation(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '-'
            | '.'
            | '/'
            | '('
            | ')'
            | '['
            | ']'
            | '~'
            | '\u{a0}'
            | '\u{ad}'
            | '\u{200b}'
            | '\u{2060}'
            | '\u{3000}'
            | '\u{2010}'
            ..='\u{2015}'
                | '\u{2212}'
                | '\u{30fc}'
                | '\u{ff08}'
                | '\u{ff09}'
                | '\u{ff0d}'
                | '\u{ff0e}'
                | '\u{ff0f}'
                | '\u{ff3b}'
                | '\u{ff3d}'
                | '\u{ff5e}'
                | '\u{2053}'
                | '\u{223c}'
    )
}

/// Strips a case-insensitive ASCII prefix.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Where an extension starts (`ext`, `extension`, `x`, `#`), if one does:
/// the marker must follow the number and be followed by digits only.
fn split_extension(s: &str) -> Result<(&str, bool), PhoneError> {
    let lower = s.to_ascii_lowercase();
    let marker = ["ext", "#", "x"]
        .iter()
        .filter_map(|m| lower.find(m).map(|i| (i, m.len())))
        .min();
    let Some((i, len)) = marker else {
        return Ok((s, false));
    };
    let mut rest = &s[i + len..];
    if let Some(r) = strip_prefix_ci(rest, "ension") {
        rest = r;
    }
    let rest = rest.trim_start_matches(['.', ':', '=', ' ', '\u{a0}']);
    let ext_ok = !rest.trim_end().is_empty()
        && rest.trim_end().chars().all(|c| digit_value(c).is_some())
        && s[..i].chars().any(|c| digit_value(c).is_some());
    if ext_ok {
        Ok((&s[..i], true))
    } else {
        Err(PhoneError::NotANumber)
    }
}

impl Written {
    /// Reads a written number; `Err` only when it is no number at all.
    pub(super) fn read(input: &str) -> Result<Written, PhoneError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut context_plus: Option<String> = None;
        let mut extension = false;
        let number: &str = if let Some(uri) = strip_prefix_ci(s, "tel:") {
            // RFC 3966: number, then `;name=value` parameters.
            let mut parts = uri.split(';');
            let number = parts.next().unwrap_or("");
            for param in parts {
                let (name, value) = param.split_once('=').unwrap_or((param, ""));
                if name.eq_ignore_ascii_case("ext") {
                    extension = true;
                } else if name.eq_ignore_ascii_case("phone-context")
                    && let Some(cc) = value.strip_prefix('+')
                {
                    context_plus = Some(cc.to_string());
                }
            }
            number
        } else {
            // "tlf. 912 34 567", "Tel: +47 …", "telefon 22 …".
            let mut rest = s;
            for word in ["telefon", "tlf", "tel"] {
                if let Some(r) = strip_prefix_ci(rest, word) {
                    rest = r.trim_start_matches(['.', ':']);
                    break;
                }
            }
            let (number, ext) = split_extension(rest)?;
            extension = ext;
            number
        };
        let mut plus = false;
        let mut digits = String::with_capacity(number.len());
        for c in number.chars() {
            if let Some(d) = digit_value(c) {
                digits.push(char::from(b'0' + d));
            } else if matches!(c, '+' | '\u{ff0b}') && digits.is_empty() && !plus {
                plus = true;
            } else if !is_punctuation(c) {
                return Err(PhoneError::NotANumber);
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::NotANumber);
        }
        if !plus && let Some(cc) = context_plus {
            if cc.is_empty() || !cc.bytes().all(|b| b.is_ascii_digit()) {
                return Err(PhoneError::NotANumber);
            }
            digits.insert_str(0, &cc);
            plus = true;
        }
        Ok(Written {
            plus,
            digits,
            extension,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<(bool, String, bool), PhoneError> {
        Written::read(s).map(|w| (w.plus, w.digits, w.extension))
    }

    #[test]
    fn unicode_digits_read_as_their_values() {
        assert_eq!(digit_value('７'), Some(7));
        assert_eq!(digit_value('٣'), Some(3));
        assert_eq!(digit_value('۹'), Some(9));
        assert_eq!(digit_value('a'), None);
        assert_eq!(digit_value('\u{66a}'), None);
    }

    #[test]
    fn written_forms_reduce_to_digits() {
        let ok = |p: bool, d: &str| Ok((p, d.to_string(), false));
        assert_eq!(read("tel:+47-912-34-567"), ok(true, "4791234567"));
        assert_eq!(
            read("tel:91234567;phone-context=+47"),
            ok(true, "4791234567")
        );
        assert_eq!(read("tlf. 912 34 567"), ok(false, "91234567"));
        assert_eq!(read("Tel: +47 912 34 567"), ok(true, "4791234567"));
        assert_eq!(read("91\u{200b}23\u{a0}45 67"), ok(false, "91234567"));
        assert_eq!(read("＋４７ ９１２３４５６７"), ok(true, "4791234567"));
        assert_eq!(read("hello"), Err(PhoneError::NotANumber));
        assert_eq!(read("912 34 567 hei"), Err(PhoneError::NotANumber));
        assert_eq!(read("91 2+3"), Err(PhoneError::NotANumber));
        assert_eq!(read("91\u{202f}234567"), Err(PhoneError::NotANumber));
    }

    #[test]
    fn extensions_are_seen() {
        for s in [
            "912 34 567 ext 12",
            "912 34 567 ext. 12",
            "912 34 567 extension 12",
            "+47 91234567 x 7",
            "91234567#12",
            "tel:+4791234567;ext=12",
        ] {
            assert!(read(s).unwrap().2, "{s}");
        }
        assert_eq!(read("91234567 x"), Err(PhoneError::NotANumber));
    }

    #[test]
    fn any_mix_of_digits_letters_and_marks_reads_without_panicking() {
        use rand::{Rng, SeedableRng};
        let alphabet: Vec<char> = "0123456789 +-().#;=:xXetTlfEXT\u{a0}\u{200b}\u{202f}٣７ø"
            .chars()
            .collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(29);
        for _ in 0..50_000 {
            let len = rng.random_range(0..20);
            let s: String = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let _ = Written::read(&s);
            let parsed = super::super::E164::parse(&s);
            if let Some(fast) = super::super::parse_common_norwegian(&s) {
                assert_eq!(
                    fast.ok(),
                    parsed.ok().and_then(|e| super::super::e164_key(e.as_str())),
                    "{s:?}"
                );
            }
        }
    }
}
