//! Twilio's webhook signature: base64(HMAC-SHA1(auth token, full URL + every
//! POST parameter sorted by name, name then value)), compared in constant time.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// The signature Twilio sends for `url` and these form parameters.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut mac =
        Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key length");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks a signature over the raw form body.
pub fn verify(auth_token: &str, url: &str, body: &[u8], signature: &str) -> bool {
    let Ok(params) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) else {
        return false;
    };
    let expected = sign(auth_token, url, &params);
    expected.len() == signature.len() && bool::from(expected.as_bytes().ct_eq(signature.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Twilio's published example (its helper libraries test with it).
    #[test]
    fn twilios_published_example_vector_matches() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(sign("12345", url, &params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        let body = b"Digits=1234&To=%2B18005551212&From=%2B14158675309&Caller=%2B14158675309&CallSid=CA1234567890ABCDE";
        assert!(verify("12345", url, body, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        // The query string is part of what is signed.
        assert!(!verify(
            "12345",
            "https://mycompany.com/myapp.php?foo=1",
            body,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        // A changed parameter, another token, a forged value: all refused.
        let changed = b"Digits=9999&To=%2B18005551212&From=%2B14158675309&Caller=%2B14158675309&CallSid=CA1234567890ABCDE";
        assert!(!verify(
            "12345",
            url,
            changed,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verify("54321", url, body, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(!verify("12345", url, body, ""));
    }

    /// Twilio's vector for repeated parameters: sorted by name, then value.
    #[test]
    fn repeated_parameters_follow_twilios_vector() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = p(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        assert_eq!(sign("12345", url, &params), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    }
}
