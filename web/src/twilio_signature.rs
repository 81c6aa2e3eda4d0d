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

/// Checks a signature over the raw form body. Like Twilio's own validators,
/// it accepts a signature over `url` with the scheme's default port added or
/// removed (`https://host/…` and `https://host:443/…`; `http` and `:80`):
/// Twilio signs some webhooks over the URL with the port. Nothing else of
/// the URL may differ.
pub fn verify(auth_token: &str, url: &str, body: &[u8], signature: &str) -> bool {
    let Ok(params) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) else {
        return false;
    };
    let matches = |url: &str| {
        let expected = sign(auth_token, url, &params);
        expected.len() == signature.len()
            && bool::from(expected.as_bytes().ct_eq(signature.as_bytes()))
    };
    // Both forms are always computed, so the time taken says nothing.
    let as_given = matches(url);
    let other = default_port_toggled(url).is_some_and(|u| matches(&u));
    as_given | other
}

/// `url` with its scheme's default port added when it names no port, or
/// removed when it names the default one; `None` for another port or a URL
/// that is not http(s).
pub fn default_port_toggled(url: &str) -> Option<String> {
    let (scheme, default) = if url.starts_with("https://") {
        ("https://", "443")
    } else if url.starts_with("http://") {
        ("http://", "80")
    } else {
        return None;
    };
    let rest = &url[scheme.len()..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    // The port follows the last ':' after any IPv6 literal's ']'.
    let host_end = authority.rfind(']').map_or(0, |i| i + 1);
    match authority[host_end..].rfind(':').map(|i| host_end + i) {
        Some(colon) if &authority[colon + 1..] == default => {
            Some(format!("{scheme}{}{tail}", &authority[..colon]))
        }
        Some(_) => None,
        None => Some(format!("{scheme}{authority}:{default}{tail}")),
    }
}

#[cfg(test)]
mod reference_tests;

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

    #[test]
    fn the_default_port_is_added_or_removed_and_no_other() {
        let t = default_port_toggled;
        assert_eq!(
            t("https://h.no/a?b=1").as_deref(),
            Some("https://h.no:443/a?b=1")
        );
        assert_eq!(t("https://h.no:443/a").as_deref(), Some("https://h.no/a"));
        assert_eq!(t("http://h.no").as_deref(), Some("http://h.no:80"));
        assert_eq!(t("http://h.no:80/x").as_deref(), Some("http://h.no/x"));
        assert_eq!(t("http://[::1]/x").as_deref(), Some("http://[::1]:80/x"));
        assert_eq!(t("http://[::1]:80/x").as_deref(), Some("http://[::1]/x"));
        assert_eq!(t("https://h.no:80/a"), None);
        assert_eq!(t("https://h.no:8443/a"), None);
        assert_eq!(t("ftp://h.no/a"), None);
    }
}
