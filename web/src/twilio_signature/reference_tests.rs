//! Signatures made and judged by Twilio's own helper library:
//! `web/tests/fixtures/twilio/signatures.json`, written by `generate.py`
//! next to it with the Python `twilio` package's RequestValidator.

use super::verify;

#[derive(serde::Deserialize)]
pub struct Fixture {
    pub twilio: String,
    pub auth_token: String,
    pub cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
pub struct Case {
    pub name: String,
    pub public_base_url: String,
    pub path: String,
    pub params: Vec<(String, String)>,
    pub signature: String,
    pub accept: bool,
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/twilio/signatures.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("fixture JSON")
}

#[test]
fn every_signature_is_judged_as_twilios_request_validator_judges_it() {
    let f = fixture();
    let mut agree = 0;
    let mut wrong = Vec::new();
    for c in &f.cases {
        let url = format!("{}{}", c.public_base_url, c.path);
        let body = serde_urlencoded::to_string(&c.params).unwrap();
        if verify(&f.auth_token, &url, body.as_bytes(), &c.signature) == c.accept {
            agree += 1;
        } else {
            wrong.push(format!("{url}: {} (Twilio: accept={})", c.name, c.accept));
        }
    }
    eprintln!(
        "twilio {}: {agree} of {} cases agree ({} accepted by Twilio)",
        f.twilio,
        f.cases.len(),
        f.cases.iter().filter(|c| c.accept).count()
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(f.cases.len() >= 60);
}
