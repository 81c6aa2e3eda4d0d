//! Inbound MIME, exactly as `innsyn ingest-mail` and `POST /webhooks/email`
//! read it before anything is stored: never a panic.
#![no_main]

use innsyn::domain::inbound::mail::read;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = read(data) {
        let (reference, ids) = m.thread_hints();
        let _ = (reference, ids.len(), m.text.chars().count(), m.from_addr.len());
        assert!(m.text.chars().count() <= 50_000);
        for part in m.msg.attachments() {
            let _ = part.contents().len();
        }
    }
});
