//! Twilio's resource ids (SIDs): two capital letters naming the kind, then
//! 32 lower-case hexadecimal digits (`RE` + 32 hex is a recording).

/// True when `s` is a Twilio SID of the kind `prefix` (`RE`, `CA`, `SM`...).
pub fn is_sid(s: &str, prefix: &str) -> bool {
    s.len() == 34
        && s.starts_with(prefix)
        && s[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || (b'A'..=b'F').contains(&b))
}

/// A recording id fit to go into a REST URL.
pub fn is_recording_sid(s: &str) -> bool {
    is_sid(s, "RE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_re_and_32_hex_digits_is_a_recording_id() {
        assert!(is_recording_sid("RE0123456789abcdef0123456789abcdef"));
        assert!(!is_recording_sid("RE0123456789abcdef0123456789abcde"));
        assert!(!is_recording_sid("CA0123456789abcdef0123456789abcdef"));
        assert!(!is_recording_sid("RE0123456789abcdef0123456789abcdeg"));
        assert!(!is_recording_sid("RE../../Accounts/x/Messages0123456"));
        assert!(!is_recording_sid("RE200"));
        assert!(!is_recording_sid(""));
        // Multi-byte text of the right byte length must not panic on slicing.
        assert!(!is_recording_sid("REææææææææææææææææ"));
    }
}
