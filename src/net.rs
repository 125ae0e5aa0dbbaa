//! IP address ranges (`10.0.0.0/8`, `::1`), for the list of reverse proxies whose
//! `X-Forwarded-For` header is believed. Written out here to avoid a crate for twenty lines.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One address, or a CIDR block of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IpRangeError {
    #[error("not an IP address")]
    Address,
    #[error("prefix length must be a number up to {max}")]
    Prefix { max: u8 },
}

impl IpRange {
    /// True when `addr` lies inside the range. An IPv4 address seen as IPv4-mapped IPv6
    /// (`::ffff:10.0.0.1`, as dual-stack sockets report it) matches its IPv4 range.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => prefix_eq(&net.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(a)) => prefix_eq(&net.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

/// Whether the first `bits` bits of two addresses agree.
fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = usize::from(bits / 8);
    let rest = bits % 8;
    if a[..full] != b[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    a[full] & mask == b[full] & mask
}

impl FromStr for IpRange {
    type Err = IpRangeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let network: IpAddr = addr.parse().map_err(|_| IpRangeError::Address)?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or(IpRangeError::Prefix { max })?,
        };
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_cidr_block_contains_its_addresses_only() {
        let r: IpRange = "10.1.0.0/16".parse().unwrap();
        assert!(r.contains(ip("10.1.255.3")));
        assert!(!r.contains(ip("10.2.0.1")));
    }

    #[test]
    fn a_bare_address_is_a_range_of_one() {
        let r: IpRange = "192.168.0.7".parse().unwrap();
        assert!(r.contains(ip("192.168.0.7")));
        assert!(!r.contains(ip("192.168.0.8")));
    }

    #[test]
    fn an_odd_prefix_compares_the_partial_byte() {
        let r: IpRange = "172.16.0.0/12".parse().unwrap();
        assert!(r.contains(ip("172.31.255.255")));
        assert!(!r.contains(ip("172.32.0.0")));
    }

    #[test]
    fn ipv4_mapped_ipv6_matches_the_ipv4_range() {
        let r: IpRange = "127.0.0.0/8".parse().unwrap();
        assert!(r.contains(ip("::ffff:127.0.0.1")));
    }

    #[test]
    fn ipv6_ranges_work() {
        let r: IpRange = "fd00::/8".parse().unwrap();
        assert!(r.contains(ip("fd12::1")));
        assert!(!r.contains(ip("fe80::1")));
    }

    #[test]
    fn bad_ranges_are_refused() {
        assert_eq!(
            "10.0.0.0/33".parse::<IpRange>(),
            Err(IpRangeError::Prefix { max: 32 })
        );
        assert_eq!("proxy".parse::<IpRange>(), Err(IpRangeError::Address));
    }
}
