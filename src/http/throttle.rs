//! The rate-limit middleware of the API routes: one budget per client address and one per
//! bearer token, both checked before the handler (and so before any database work) runs.
//! Over budget: 429 with `Retry-After` and a GraphQL-shaped `RATE_LIMITED` error.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::client_ip;
use super::limiter::{Decision, Key, Limiter, Rate};
use crate::clock::SharedClock;
use crate::config::{IpRange, RateLimitSettings};
use crate::error::ErrorCode;

/// What the middleware needs: the buckets, the clock that refills them, who may forward.
#[derive(Debug)]
pub struct Throttle {
    limiter: Limiter,
    clock: SharedClock,
    trusted_proxies: Vec<IpRange>,
}

impl Throttle {
    pub fn new(
        settings: &RateLimitSettings,
        trusted_proxies: &[IpRange],
        clock: SharedClock,
    ) -> Self {
        let rate = |per_minute: u32| {
            (per_minute > 0).then(|| Rate {
                per_minute,
                capacity: settings.burst.unwrap_or(per_minute).max(1),
            })
        };
        Self {
            limiter: Limiter::new(
                rate(settings.per_ip_per_minute),
                rate(settings.per_user_per_minute),
                settings.max_keys,
            ),
            clock,
            trusted_proxies: trusted_proxies.to_vec(),
        }
    }

    /// The budgets this request spends from.
    fn keys(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Vec<Key> {
        let mut keys = Vec::with_capacity(2);
        if let Some(peer) = peer {
            let ip = client_ip::resolve(peer.ip(), headers, &self.trusted_proxies);
            keys.push(Key::Ip(ip));
        }
        if let Some(token) = bearer(headers) {
            let digest = Sha256::digest(token.as_bytes());
            let mut id = [0u8; 16];
            id.copy_from_slice(&digest[..16]);
            keys.push(Key::User(id));
        }
        keys
    }
}

/// The token of an `Authorization: Bearer …` header, whether or not it is valid: checking
/// validity would cost a database lookup, which is what the limit protects.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?
        .trim();
    (!token.is_empty()).then_some(token)
}

/// Runs the request when every budget it spends from has a token left.
pub async fn limit(State(throttle): State<Arc<Throttle>>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    let keys = throttle.keys(peer, req.headers());
    let now_ms = throttle.clock.now().timestamp_millis();
    match throttle.limiter.check(&keys, now_ms) {
        Decision::Allowed => next.run(req).await,
        Decision::Limited { retry_after_secs } => {
            tracing::debug!(
                peer = ?peer,
                path = %req.uri().path(),
                retry_after_secs,
                "rate limited"
            );
            too_many_requests(retry_after_secs)
        }
    }
}

/// 429 with `Retry-After` and the error shape every client already parses.
fn too_many_requests(retry_after_secs: u64) -> Response {
    let body = json!({ "errors": [{
        "message": format!("too many requests; retry in {retry_after_secs} s"),
        "extensions": { "code": ErrorCode::RateLimited.as_str(), "retryAfter": retry_after_secs },
    }] });
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    let headers = resp.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}
