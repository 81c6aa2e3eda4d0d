//! Twilio webhook forms: the signature check on raw bytes and the form
//! decode. Never a panic; a body that decodes verifies against its own
//! signature and not against another; the SID check never panics.
#![no_main]

use innsyn::twilio_ids::{is_recording_sid, is_sid};
use innsyn::twilio_signature::{sign, verify};
use libfuzzer_sys::fuzz_target;

const TOKEN: &str = "12345";
const URL: &str = "https://innsyn.example/webhooks/twilio/sms?x=1";

fuzz_target!(|data: &[u8]| {
    // First line: a signature as presented; the rest: the form body.
    let (sig, body) = match data.iter().position(|&c| c == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let sig = String::from_utf8_lossy(sig);
    let _ = verify(TOKEN, URL, body, &sig);
    if let Ok(params) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) {
        let good = sign(TOKEN, URL, &params);
        assert!(verify(TOKEN, URL, body, &good));
        assert!(!verify("54321", URL, body, &good));
        for (k, v) in &params {
            let _ = (is_sid(v, k.get(..2).unwrap_or("SM")), is_recording_sid(v));
        }
    }
});
