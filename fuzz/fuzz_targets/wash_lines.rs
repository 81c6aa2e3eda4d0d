//! The wash/register line parser: any bytes, cut into any chunks, give one
//! verdict line per input line, the same whatever the chunking, and no
//! echoed invalid line starts a spreadsheet formula.
#![no_main]

use std::sync::Arc;

use innsyn::domain::dialer::registers::KeySet;
use innsyn::domain::dialer::wash::{Registers, Washer};
use libfuzzer_sys::fuzz_target;

fn registers() -> Registers {
    Registers {
        centre: Arc::new(KeySet::from_keys(vec![4_791_234_567])),
        client: Some(Arc::new(KeySet::from_keys(vec![4_722_334_455]))),
        abandoned: KeySet::from_keys(vec![4_741_234_567]),
    }
}

fn wash(input: &[u8], chunk: usize, only: bool) -> (Vec<u8>, u64) {
    let mut out = Vec::new();
    let mut w = Washer::new(registers(), only, &mut out);
    for c in input.chunks(chunk.max(1)) {
        w.feed(c, &mut out);
    }
    w.finish(&mut out);
    (out, w.count_in)
}

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, input)) = data.split_first() else {
        return;
    };
    let (whole, n) = wash(input, usize::MAX, false);
    let (chunked, m) = wash(input, usize::from(chunk % 17) + 1, false);
    assert_eq!(whole, chunked, "chunking changed the result");
    assert_eq!(n, m);
    let lines = whole.iter().filter(|&&c| c == b'\n').count() as u64;
    assert_eq!(lines, n + 1, "one verdict line per input line, plus the header");
    for line in whole.split(|&c| c == b'\n') {
        if line.ends_with(b",,invalid") {
            assert!(
                !line.starts_with(b"=")
                    && !line.starts_with(b"+")
                    && !line.starts_with(b"-")
                    && !line.starts_with(b"@"),
                "formula echoed: {:?}",
                String::from_utf8_lossy(line)
            );
        }
    }
    let _ = wash(input, usize::from(chunk % 5) + 1, true);
});
