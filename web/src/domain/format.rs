//! Numbers, shares and phone numbers as people write them: Norwegian in
//! `nb` (`12,5 %`, `12 345`), English in `en` (`12.5%`, `12,345`), phone
//! numbers in their written form (`+47 21 00 00 10`, mobiles `+47 912 34 567`).

use crate::domain::phone::E164;
use crate::i18n::Lang;

/// Non-breaking space: a number and its unit stay on one line.
const NBSP: char = '\u{a0}';

/// A share (0..1) as a percentage with one decimal.
pub fn percent(share: f64, lang: Lang) -> String {
    let s = format!("{:.1}", share * 100.0);
    match lang {
        Lang::Nb => format!("{}{NBSP}%", s.replace('.', ",")),
        Lang::En => format!("{s}%"),
    }
}

/// A whole number with its thousands grouped.
pub fn number(n: i64, lang: Lang) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = match lang {
        Lang::Nb => NBSP,
        Lang::En => ',',
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A stored phone number (E.164) in its written form; anything else as it is.
pub fn phone(stored: &str) -> String {
    match E164::parse(stored) {
        Ok(n) => n.display(),
        Err(_) => stored.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_numbers_follow_the_language() {
        assert_eq!(percent(0.125, Lang::Nb), "12,5\u{a0}%");
        assert_eq!(percent(0.125, Lang::En), "12.5%");
        assert_eq!(number(12345, Lang::Nb), "12\u{a0}345");
        assert_eq!(number(1234567, Lang::En), "1,234,567");
        assert_eq!(number(999, Lang::En), "999");
    }

    #[test]
    fn a_norwegian_number_is_written_in_groups() {
        assert_eq!(phone("+4721000010"), "+47 21 00 00 10");
        assert_eq!(phone("+4791234567"), "+47 912 34 567");
        assert_eq!(phone("+4741234567"), "+47 412 34 567");
        assert_eq!(phone("+4780012345"), "+47 800 12 345");
        assert_eq!(phone("not a number"), "not a number");
    }
}
