//! What a request says about itself: the language it wants and whether htmx
//! made it. Read by handlers, the error pages and the rate limits alike.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};

use crate::i18n::Lang;

/// The language chosen with the switch (`?lang=en`), if any.
pub fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

fn lang_from(uri: &Uri, headers: &HeaderMap) -> Lang {
    query_lang(uri.query())
        .or_else(|| crate::cookies::get(headers, LANG_COOKIE).and_then(|v| Lang::parse(&v)))
        .unwrap_or_default()
}

/// The cookie that remembers the language chosen with the switch.
pub const LANG_COOKIE: &str = "lang";

/// The language of a request: `?lang=` first, then the remembered choice,
/// then Norwegian bokmål.
pub fn lang_of(req: &Request) -> Lang {
    lang_from(req.uri(), req.headers())
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(lang_from(&parts.uri, &parts.headers))
    }
}

/// True for requests made by htmx, which get a fragment instead of a page.
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}
