//! Which address a request comes from, for per-client limits. `X-Forwarded-For` is trivially
//! forged, so it is only read when the peer itself is a configured trusted proxy.

use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::net::IpRange;

/// The client address: the peer, unless the peer is a trusted proxy; then the right-most
/// `X-Forwarded-For` entry that is not a trusted proxy either (entries further left were
/// written by the client and prove nothing).
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(sock) = hop.parse::<std::net::SocketAddr>() {
        return Some(sock.ip());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        h
    }

    fn proxies() -> Vec<IpRange> {
        vec!["10.0.0.0/8".parse().unwrap()]
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let got = resolve(ip("203.0.113.9"), &xff("198.51.100.1"), &[]);
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let got = resolve(ip("203.0.113.9"), &xff("198.51.100.1"), &proxies());
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_last_untrusted_hop_is_the_client() {
        let got = resolve(
            ip("10.0.0.2"),
            &xff("1.1.1.1, 198.51.100.1, 10.0.0.5"),
            &proxies(),
        );
        assert_eq!(got, ip("198.51.100.1"));
    }

    #[test]
    fn a_garbled_hop_stops_the_walk_at_the_last_good_address() {
        let got = resolve(ip("10.0.0.2"), &xff("198.51.100.1, junk"), &proxies());
        assert_eq!(got, ip("10.0.0.2"));
    }

    #[test]
    fn hops_with_ports_are_understood() {
        let got = resolve(ip("10.0.0.2"), &xff("[2001:db8::1]:4711"), &proxies());
        assert_eq!(got, ip("2001:db8::1"));
    }
}
