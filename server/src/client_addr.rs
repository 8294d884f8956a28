//! The client's address, for limits kept per client: the TCP peer's address, unless the peer is one of
//! the `--trusted-proxy` networks. Then `X-Forwarded-For` is read from the right (the entry the nearest
//! proxy appended) and each trusted hop is passed over: the first entry that is not a trusted proxy is the
//! client. An entry that is not an address ends the walk there (the hop that wrote it is taken as the
//! client). Without `--trusted-proxy` the header is ignored, so a client cannot pick its own address.
//!
//! Limits count IPv6 clients by their /64 network ([`limit_key`]), as one host usually has a whole /64.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::hooks::Network;
use crate::state::AppState;

/// The calling client's address (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(client_ip(&parts.extensions, &parts.headers, &state.settings.trusted_proxies)))
    }
}

/// The client's address for a request with these extensions and headers. Without a peer address (a router
/// served without connect info, as in unit tests) every client is `0.0.0.0`.
pub fn client_ip(extensions: &Extensions, headers: &HeaderMap, trusted_proxies: &[Network]) -> IpAddr {
    let peer = match extensions.get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => addr.ip().to_canonical(),
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    forwarded_client(peer, headers, trusted_proxies)
}

/// The client behind `peer`, following `X-Forwarded-For` through trusted proxies only.
fn forwarded_client(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[Network]) -> IpAddr {
    let trusted = |ip: IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(peer) {
        return peer;
    }
    // Several headers count as one list, in order.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        if !trusted(client) {
            break;
        }
        match parse_entry(entry) {
            Some(ip) => client = ip,
            None => break,
        }
    }
    client
}

/// `203.0.113.7`, `2001:db8::1`, or with a port: `203.0.113.7:4711`, `[2001:db8::1]:4711`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let ip = entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))?;
    Some(ip.to_canonical())
}

/// What per-client limits count `ip` as: an IPv4 address itself, an IPv6 address by its /64.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    fn nets(list: &[&str]) -> Vec<Network> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_trusted() {
        let h = headers(&["10.0.0.1"]);
        assert_eq!(forwarded_client(ip("127.0.0.1"), &h, &[]), ip("127.0.0.1"));
        assert_eq!(forwarded_client(ip("192.0.2.9"), &h, &nets(&["127.0.0.1"])), ip("192.0.2.9"));
        assert_eq!(forwarded_client(ip("127.0.0.1"), &h, &nets(&["127.0.0.1"])), ip("10.0.0.1"));
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let trusted = nets(&["127.0.0.1", "10.1.0.0/16"]);
        // The client wrote "6.6.6.6" itself; the proxies appended the rest.
        let h = headers(&["6.6.6.6, 203.0.113.7", "10.1.2.3"]);
        assert_eq!(forwarded_client(ip("127.0.0.1"), &h, &trusted), ip("203.0.113.7"));
        // Every hop trusted: the left-most entry.
        let h = headers(&["10.1.0.5, 10.1.0.6"]);
        assert_eq!(forwarded_client(ip("127.0.0.1"), &h, &trusted), ip("10.1.0.5"));
        // Garbage ends the walk at the hop that wrote it.
        let h = headers(&["203.0.113.7, garbage, 10.1.0.6"]);
        assert_eq!(forwarded_client(ip("127.0.0.1"), &h, &trusted), ip("10.1.0.6"));
        // No header: the proxy itself.
        assert_eq!(forwarded_client(ip("127.0.0.1"), &HeaderMap::new(), &trusted), ip("127.0.0.1"));
    }

    #[test]
    fn ports_and_mapped_addresses_are_read() {
        let trusted = nets(&["127.0.0.1"]);
        let h = headers(&["[2001:db8::1]:4711"]);
        assert_eq!(forwarded_client(ip("127.0.0.1"), &h, &trusted), ip("2001:db8::1"));
        let h = headers(&["::ffff:203.0.113.7"]);
        assert_eq!(forwarded_client(ip("::ffff:127.0.0.1").to_canonical(), &h, &trusted), ip("203.0.113.7"));
        let h = headers(&["203.0.113.7:80"]);
        assert_eq!(forwarded_client(ip("127.0.0.1"), &h, &trusted), ip("203.0.113.7"));
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("2001:db8:1:2:bbbb::9")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(limit_key(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
    }
}
