//! The phone-number parser: never panics, and the fast path for common
//! Norwegian forms agrees exactly with the full parser wherever it answers.
#![no_main]

use innsyn::domain::phone::{E164, e164_key, parse_common_norwegian};
use innsyn::domain::dialer::registers::parse_key;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let full = E164::parse(s);
    let full_key = full.as_ref().ok().and_then(|e| e164_key(e.as_str()));
    if let Ok(e) = &full {
        assert!(full_key.is_some(), "an E.164 number always has a key");
        let _ = e.display();
        let _ = e.redacted().to_string();
        let _ = e.is_norwegian_mobile();
    }
    if let Some(fast) = parse_common_norwegian(s) {
        assert_eq!(fast.ok(), full_key, "fast path disagrees with the parser on {s:?}");
    }
    assert_eq!(parse_key(s), full_key, "parse_key disagrees with the parser on {s:?}");
});
