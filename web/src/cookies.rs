//! Cookies in and out, with the `cookie` crate (the one tower-sessions uses):
//! a request's `Cookie` headers are parsed by it, and every `Set-Cookie` this
//! product writes is built by it.

use axum::http::{HeaderMap, HeaderValue, header};
use tower_sessions::cookie::Cookie;

/// The value of the cookie `name` the request carries (the first, if the
/// browser sent several), as sent.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// Adds `cookie` to the response headers as a `Set-Cookie`.
pub fn set(headers: &mut HeaderMap, cookie: &Cookie<'_>) {
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        headers.append(header::SET_COOKIE, v);
    }
}

/// True when the response already sets the cookie `name`.
pub fn is_set(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| Cookie::parse(v).ok())
        .any(|c| c.name() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for c in cookies {
            h.append(header::COOKIE, HeaderValue::from_str(c).unwrap());
        }
        h
    }

    #[test]
    fn reads_one_cookie_among_several_headers_and_pairs() {
        let h = headers(&["a=1; innsyn_csrf=tok", "lang=en"]);
        assert_eq!(get(&h, "innsyn_csrf").as_deref(), Some("tok"));
        assert_eq!(get(&h, "lang").as_deref(), Some("en"));
        assert_eq!(get(&h, "innsyn"), None);
        assert_eq!(get(&h, "missing"), None);
    }

    #[test]
    fn the_host_prefix_is_part_of_the_name() {
        let h = headers(&["__Host-innsyn_csrf=tok"]);
        assert_eq!(get(&h, "innsyn_csrf"), None);
        assert_eq!(get(&h, "__Host-innsyn_csrf").as_deref(), Some("tok"));
    }

    #[test]
    fn the_first_of_two_cookies_with_one_name_wins_and_broken_pairs_are_skipped() {
        let h = headers(&["garbage; lang=nb; lang=en"]);
        assert_eq!(get(&h, "lang").as_deref(), Some("nb"));
    }

    #[test]
    fn a_set_cookie_is_recognised_by_its_exact_name() {
        let mut h = HeaderMap::new();
        set(
            &mut h,
            &Cookie::build(("innsyn_csrf_x", "1")).path("/").build(),
        );
        assert!(!is_set(&h, "innsyn_csrf"));
        set(
            &mut h,
            &Cookie::build(("innsyn_csrf", "2")).path("/").build(),
        );
        assert!(is_set(&h, "innsyn_csrf"));
    }
}
