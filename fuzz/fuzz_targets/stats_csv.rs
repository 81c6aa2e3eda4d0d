//! The statistics CSV import: any text gives rows or line errors, never a
//! panic, and every accepted date is in the supported range.
#![no_main]

use chrono::Datelike;
use innsyn::domain::stats::parse_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_csv(text) {
        Ok(rows) => {
            for r in rows {
                assert!((1900..=2200).contains(&r.date.year()), "{:?}", r.date);
            }
        }
        Err(errors) => assert!(!errors.is_empty()),
    }
});
