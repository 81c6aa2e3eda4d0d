//! Issue 29: Twilio's webhooks over HTTP with signatures made by Twilio's
//! own helper library (web/tests/fixtures/twilio/, RequestValidator):
//! the configured public URL with the scheme's default port added or
//! removed is accepted, anything else is 403.

use innsyn::config::Config;

use crate::dual;
use crate::support::{TestApp, twilio};

#[derive(serde::Deserialize)]
struct Fixture {
    auth_token: String,
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    public_base_url: String,
    path: String,
    params: Vec<(String, String)>,
    signature: String,
    accept: bool,
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/twilio/signatures.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Posts every case made for the app's configured public URL.
async fn webhooks_agree_with_twilio(app: TestApp) {
    app.seed_demo().await;
    let f = fixture();
    assert_eq!(f.auth_token, twilio::AUTH_TOKEN);
    let base = app.state.config.public_base_url.clone();
    let cases: Vec<&Case> = f
        .cases
        .iter()
        .filter(|c| c.public_base_url == base)
        .collect();
    assert_eq!(cases.len(), 15, "{base}");
    for c in cases {
        let params: Vec<(&str, &str)> = c
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = app
            .twilio_post_signed(&c.path, &params, Some(&c.signature))
            .await;
        if c.accept {
            assert_eq!(r.status, 200, "{base}: {} accepted by Twilio", c.name);
        } else {
            assert_eq!(r.status, 403, "{base}: {} refused by Twilio", c.name);
        }
    }
}

fn https(c: &mut Config) {
    c.public_base_url = "https://innsyn.example.no".into();
}
fn https_443(c: &mut Config) {
    c.public_base_url = "https://innsyn.example.no:443".into();
}
fn http(c: &mut Config) {
    c.public_base_url = "http://innsyn.example.no".into();
}
fn http_80(c: &mut Config) {
    c.public_base_url = "http://innsyn.example.no:80".into();
}

dual!(
    twilio_signatures_over_https_with_or_without_443,
    configure = https,
    webhooks_agree_with_twilio
);
dual!(
    twilio_signatures_with_443_configured,
    configure = https_443,
    webhooks_agree_with_twilio
);
dual!(
    twilio_signatures_over_http_with_or_without_80,
    configure = http,
    webhooks_agree_with_twilio
);
dual!(
    twilio_signatures_with_80_configured,
    configure = http_80,
    webhooks_agree_with_twilio
);
