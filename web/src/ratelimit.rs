//! Per-address rate limits on the public lookup and on every public POST.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::connect_info::MockConnectInfo;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Config;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;

#[derive(Clone)]
pub struct RateLimits {
    lookup: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    forms: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    trusted_proxy_hops: usize,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl RateLimits {
    pub fn new(c: &Config) -> Self {
        RateLimits {
            lookup: Arc::new(RateLimiter::keyed(per_minute(
                c.rate_limit_lookup_per_minute,
            ))),
            forms: Arc::new(RateLimiter::keyed(per_minute(
                c.rate_limit_forms_per_minute,
            ))),
            trusted_proxy_hops: c.trusted_proxy_hops,
        }
    }

    pub fn retain_recent(&self) {
        self.lookup.retain_recent();
        self.forms.retain_recent();
    }

    /// The client's address. X-Forwarded-For is read only when proxies are
    /// configured, and then from the right: each trusted proxy appends the
    /// address it saw, so the entry `hops` from the end is the one the
    /// outermost proxy saw. Entries left of it are the client's own claims.
    pub fn client_ip(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        if self.trusted_proxy_hops > 0 {
            let chain: Vec<&str> = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .collect();
            if chain.len() >= self.trusted_proxy_hops
                && let Ok(ip) = chain[chain.len() - self.trusted_proxy_hops].parse()
            {
                return Some(ip);
            }
        }
        peer
    }
}

fn check(
    limiter: &DefaultKeyedRateLimiter<IpAddr>,
    ip: IpAddr,
    lang: Lang,
) -> Result<(), AppError> {
    limiter.check_key(&ip).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        AppError::RateLimited {
            retry_after_secs: wait.as_secs() + 1,
            lang,
        }
    })
}

fn peer(req: &Request) -> Option<IpAddr> {
    peer_of(req.extensions())
}

fn peer_of(ext: &axum::http::Extensions) -> Option<IpAddr> {
    ext.get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip())
        // In-process tests give the address through MockConnectInfo.
        .or_else(|| ext.get::<MockConnectInfo<SocketAddr>>().map(|m| m.0.ip()))
}

/// Middleware: the lookup limit.
pub async fn limit_lookup(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, AppError> {
    let lang = crate::request::lang_of(&req);
    if let Some(ip) = state.limits.client_ip(req.headers(), peer(&req)) {
        check(&state.limits.lookup, ip, lang)?;
    }
    Ok(next.run(req).await)
}

/// Middleware: the lookup limit, answering in JSON (public API endpoints).
pub async fn limit_lookup_json(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(ip) = state.limits.client_ip(req.headers(), peer(&req))
        && let Err(e) = check(&state.limits.lookup, ip, Lang::En)
    {
        return e.into_json_response();
    }
    next.run(req).await
}

/// Middleware: the limit on public form posts (GETs pass).
pub async fn limit_forms(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, AppError> {
    if req.method() == Method::POST {
        let lang = crate::request::lang_of(&req);
        if let Some(ip) = state.limits.client_ip(req.headers(), peer(&req)) {
            check(&state.limits.forms, ip, lang)?;
        }
    }
    Ok(next.run(req).await)
}

/// The client's address as the rate limits see it (proxy-aware), for
/// handlers that key other things by it (sign-in throttling).
pub struct ClientAddr(pub Option<IpAddr>);

impl axum::extract::FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            state
                .limits
                .client_ip(&parts.headers, peer_of(&parts.extensions)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(hops: usize) -> RateLimits {
        let mut c = Config::from_source(&[]).unwrap();
        c.trusted_proxy_hops = hops;
        RateLimits::new(&c)
    }

    #[test]
    fn forwarded_for_is_ignored_without_a_trusted_proxy() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "1.2.3.4".parse().unwrap());
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(limits(0).client_ip(&h, Some(peer)), Some(peer));
    }

    #[test]
    fn behind_one_proxy_the_rightmost_entry_counts_not_the_clients_claim() {
        let mut h = HeaderMap::new();
        // The client forged 6.6.6.6; the proxy appended what it saw.
        h.insert("x-forwarded-for", "6.6.6.6, 203.0.113.7".parse().unwrap());
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(
            limits(1).client_ip(&h, Some(peer)),
            Some("203.0.113.7".parse().unwrap())
        );
    }
}
