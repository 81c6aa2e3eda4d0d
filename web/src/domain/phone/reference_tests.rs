//! domain::phone and the wash's fast path against Google's libphonenumber:
//! `web/tests/fixtures/phone/norwegian_numbers.jsonl`, written by
//! `generate.py` next to it with Python's `phonenumbers` (9.0.43).

use std::collections::BTreeMap;

use super::*;
use crate::domain::dialer::registers::parse_key_bytes;

#[derive(serde::Deserialize)]
struct Case {
    form: String,
    input: String,
    verdict: String,
    e164: Option<String>,
}

fn cases() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/phone/norwegian_numbers.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("fixture line"))
        .collect()
}

/// What libphonenumber's verdict is called here.
fn verdict_of(r: &Result<E164, PhoneError>) -> (&'static str, Option<String>) {
    match r {
        Ok(e) => ("valid", Some(e.as_str().to_string())),
        Err(PhoneError::Extension) => ("extension", None),
        Err(_) => ("invalid", None),
    }
}

#[test]
fn every_norwegian_prefix_in_every_written_form_agrees_with_libphonenumber() {
    let cases = cases();
    assert!(cases.len() > 24_000, "{}", cases.len());
    // form -> (lines, parser agrees, fast path answered, fast path agrees, wash agrees)
    let mut figures: BTreeMap<&str, [usize; 5]> = BTreeMap::new();
    let mut wrong = Vec::new();
    for c in &cases {
        let f = figures.entry(c.form.as_str()).or_default();
        f[0] += 1;
        let want = (c.verdict.as_str(), c.e164.clone());
        let got = verdict_of(&E164::parse(&c.input));
        if got == want {
            f[1] += 1;
        } else {
            wrong.push(format!(
                "parser {:?}: {got:?}, libphonenumber {want:?}",
                c.input
            ));
        }
        if let Some(fast) = parse_common_norwegian_bytes(c.input.as_bytes()) {
            f[2] += 1;
            let fast = verdict_of(&fast.map(|k| E164::from_stored(key_to_e164(k))));
            if fast == want {
                f[3] += 1;
            } else {
                wrong.push(format!(
                    "fast path {:?}: {fast:?}, libphonenumber {want:?}",
                    c.input
                ));
            }
        }
        // The wash: a key for a valid number, none for anything else.
        let wash = parse_key_bytes(c.input.as_bytes()).map(key_to_e164);
        let wash_want = (c.verdict == "valid").then(|| c.e164.clone().unwrap_or_default());
        if wash == wash_want {
            f[4] += 1;
        } else {
            wrong.push(format!(
                "wash {:?}: {wash:?}, libphonenumber {wash_want:?}",
                c.input
            ));
        }
    }
    let mut total = [0usize; 5];
    eprintln!("form: lines, parser agrees, fast path answers, fast path agrees, wash agrees");
    for (form, f) in &figures {
        eprintln!("{form}: {f:?}");
        for i in 0..5 {
            total[i] += f[i];
        }
    }
    eprintln!("total: {total:?}");
    assert!(
        wrong.is_empty(),
        "{} disagreements, first: {:#?}",
        wrong.len(),
        &wrong[..wrong.len().min(30)]
    );
    // The fast path answers the plain forms a calling list holds.
    assert!(total[2] >= 8_500, "{total:?}");
}
