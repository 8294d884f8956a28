//! Which callback URLs the server may call. A callback must be an absolute `http` or `https` URL without
//! credentials in it; it may not reach loopback, private, link-local or other non-public addresses unless
//! the server's `--callback-allow` networks include them — so an API key holder cannot make the server
//! call into the network it runs in. The server's own listening address is always allowed (calling it
//! carries no credentials), which is how the demo's FAQ bot runs inside the server.
//!
//! Host names are checked when the call is made, against every address they resolve to (see
//! [`CallbackResolver`]); literal addresses are checked when the URL is set and again at each call.

use confab_protocol::limits::MAX_URL_LEN;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

/// A network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// Whether `ip` is inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Network {
    type Err = String;

    /// `10.0.0.0/8`, `::1/128`, or a single address.
    fn from_str(text: &str) -> Result<Self, String> {
        let (addr, prefix) = text.trim().split_once('/').map_or((text.trim(), None), |(a, p)| (a, Some(p)));
        let addr = canonical(IpAddr::from_str(addr).map_err(|_| format!("{text:?} is not an address or network"))?);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("{text:?}: bad prefix length"))?,
            None => max,
        };
        Ok(Self { addr, prefix })
    }
}

/// IPv4-mapped IPv6 addresses as IPv4, so one rule covers both.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// True for addresses on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

/// True for IPv4 addresses on the public internet.
fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

/// True for IPv6 addresses on the public internet; one that carries an IPv4 address (see [`embedded_v4`])
/// is as public as that address.
fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let [first, second, ..] = ip.segments();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inside some sites)
        || (first == 0x64 && second == 0xff9b)) // NAT64 for local use (64:ff9b:1::/48), and the rest of 64:ff9b::/32
}

/// The IPv4 address a translated or tunnelled IPv6 address leads to: the last 32 bits of IPv4-compatible
/// `::/96` and of NAT64 `64:ff9b::/96`, bits 16 to 48 of 6to4 `2002::/16`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    match ip.segments() {
        [0, 0, 0, 0, 0, 0, ..] | [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(Ipv4Addr::from(bits as u32)),
        [0x2002, ..] => Some(Ipv4Addr::from((bits >> 80) as u32)),
        _ => None,
    }
}

/// The server's callback rules.
#[derive(Debug, Clone, Default)]
pub struct CallbackPolicy {
    allowed: Vec<Network>,
    own: Option<SocketAddr>,
}

impl CallbackPolicy {
    /// Public addresses plus `allowed` networks, plus the server's own `own` address.
    pub fn new(allowed: Vec<Network>, own: Option<SocketAddr>) -> Self {
        Self { allowed, own }
    }

    /// Whether a host name may resolve to `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allowed.iter().any(|n| n.contains(ip))
    }

    fn is_own(&self, ip: IpAddr, port: u16) -> bool {
        let Some(own) = self.own else { return false };
        let ip = canonical(ip);
        own.port() == port
            && (canonical(own.ip()) == ip || (own.ip().is_unspecified() && (ip.is_loopback() || ip == Ipv4Addr::LOCALHOST)))
    }

    /// The URL, if the server may call it; else why not, as a sentence.
    pub fn check(&self, url: &str) -> Result<Url, String> {
        if url.len() > MAX_URL_LEN {
            return Err(format!("is longer than {MAX_URL_LEN} bytes"));
        }
        let parsed = Url::parse(url).map_err(|e| format!("is not an absolute URL ({e})"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("must not carry credentials (use basic auth fields instead)".into());
        }
        let port = parsed.port_or_known_default().unwrap_or(80);
        match parsed.host() {
            None => Err("has no host".into()),
            Some(url::Host::Ipv4(ip)) => self.check_literal(IpAddr::V4(ip), port).map(|()| parsed),
            Some(url::Host::Ipv6(ip)) => self.check_literal(IpAddr::V6(ip), port).map(|()| parsed),
            Some(url::Host::Domain(name)) if name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost") => {
                Err("points at this machine (localhost); use an allowed address".into())
            }
            Some(url::Host::Domain(_)) => Ok(parsed),
        }
    }

    fn check_literal(&self, ip: IpAddr, port: u16) -> Result<(), String> {
        if self.allows(ip) || self.is_own(ip, port) {
            Ok(())
        } else {
            Err(format!("points at {ip}, an address this server may not call (see --callback-allow)"))
        }
    }
}

/// Resolves callback host names, keeping only the addresses the policy allows: a name that resolves to a
/// private address cannot be used to reach it.
#[derive(Debug, Clone)]
pub struct CallbackResolver {
    /// The rules.
    pub policy: Arc<CallbackPolicy>,
}

impl Resolve for CallbackResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| policy.allows(a.ip())).collect();
            if allowed.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} resolves to no address this server may call").into();
                return Err(err);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_loopback_addresses_are_refused_unless_allowed() {
        let policy = CallbackPolicy::default();
        assert!(policy.check("https://bots.example.com/hook").is_ok());
        assert!(policy.check("http://93.184.216.34/x").is_ok());
        for url in ["http://127.0.0.1/x", "http://10.1.2.3/", "http://[::1]:80/", "http://169.254.169.254/latest",
            "http://[::ffff:192.168.0.1]/", "http://localhost:9000/", "http://0.0.0.0/", "http://100.64.0.1/"] {
            assert!(policy.check(url).is_err(), "{url} should be refused");
        }
        let lan: Network = "10.0.0.0/8".parse().unwrap();
        let policy = CallbackPolicy::new(vec![lan, "::1".parse().unwrap()], None);
        assert!(policy.check("http://10.1.2.3/").is_ok());
        assert!(policy.check("http://[::1]/").is_ok());
        assert!(policy.check("http://192.168.1.1/").is_err());
    }

    #[test]
    fn bad_urls_are_refused_with_a_reason() {
        let policy = CallbackPolicy::default();
        assert!(policy.check("ftp://example.com/").unwrap_err().contains("http"));
        assert!(policy.check("/relative").unwrap_err().contains("absolute"));
        assert!(policy.check("https://user:pw@example.com/").unwrap_err().contains("credentials"));
    }

    #[test]
    fn the_servers_own_address_is_allowed() {
        let policy = CallbackPolicy::new(Vec::new(), Some("0.0.0.0:8080".parse().unwrap()));
        assert!(policy.check("http://127.0.0.1:8080/demo/faq-bot").is_ok());
        assert!(policy.check("http://127.0.0.1:8081/").is_err());
    }

    fn refused(policy: &CallbackPolicy, urls: &[&str]) {
        for url in urls {
            assert!(policy.check(url).is_err(), "{url} should be refused");
        }
    }

    fn allowed(policy: &CallbackPolicy, urls: &[&str]) {
        for url in urls {
            assert!(policy.check(url).is_ok(), "{url} should be allowed: {:?}", policy.check(url));
        }
    }

    #[test]
    fn ipv4_compatible_addresses_are_checked_as_their_ipv4() {
        let policy = CallbackPolicy::default();
        refused(&policy, &["http://[::127.0.0.1]/", "http://[::7f00:1]/", "http://[::10.0.0.1]/", "http://[::169.254.169.254]/",
            "http://[::]/", "http://[::1]/"]);
        allowed(&policy, &["http://[::93.184.216.34]/"]);
        allowed(&CallbackPolicy::new(vec!["::/96".parse().unwrap()], None), &["http://[::127.0.0.1]/"]);
    }

    #[test]
    fn nat64_addresses_are_checked_as_their_ipv4_and_local_use_nat64_is_refused() {
        let policy = CallbackPolicy::default();
        refused(&policy, &["http://[64:ff9b::7f00:1]/", "http://[64:ff9b::10.1.2.3]/", "http://[64:ff9b::192.168.0.1]/"]);
        allowed(&policy, &["http://[64:ff9b::93.184.216.34]/"]);
        refused(&policy, &["http://[64:ff9b:1::5db8:d822]/", "http://[64:ff9b:1:ffff::1]/"]);
        let lan = CallbackPolicy::new(vec!["64:ff9b::/96".parse().unwrap(), "64:ff9b:1::/48".parse().unwrap()], None);
        allowed(&lan, &["http://[64:ff9b::7f00:1]/", "http://[64:ff9b:1::a00:1]/"]);
    }

    #[test]
    fn six_to_four_addresses_are_checked_as_their_ipv4() {
        let policy = CallbackPolicy::default();
        refused(&policy, &["http://[2002:7f00:1::]/", "http://[2002:a00:1::1]/", "http://[2002:c0a8:101::]/"]);
        allowed(&policy, &["http://[2002:5db8:d822::1]/"]);
        allowed(&CallbackPolicy::new(vec!["2002::/16".parse().unwrap()], None), &["http://[2002:7f00:1::]/"]);
    }

    #[test]
    fn site_local_ipv6_is_refused_unless_allowed() {
        let policy = CallbackPolicy::default();
        refused(&policy, &["http://[fec0::1]/", "http://[feff:1::2]/"]);
        allowed(&policy, &["http://[2606:2800:220:1:248:1893:25c8:1946]/"]);
        allowed(&CallbackPolicy::new(vec!["fec0::/10".parse().unwrap()], None), &["http://[fec0::1]/"]);
    }

    #[test]
    fn ietf_protocol_assignments_are_refused_unless_allowed() {
        let policy = CallbackPolicy::default();
        refused(&policy, &["http://192.0.0.8/", "http://192.0.0.170/", "http://[::ffff:192.0.0.9]/"]);
        allowed(&policy, &["http://192.0.1.1/"]);
        allowed(&CallbackPolicy::new(vec!["192.0.0.0/24".parse().unwrap()], None), &["http://192.0.0.8/"]);
    }

    #[test]
    fn the_resolver_rule_covers_embedded_addresses_too() {
        let policy = CallbackPolicy::default();
        for ip in ["::127.0.0.1", "64:ff9b::a00:1", "64:ff9b:1::5db8:d822", "2002:7f00:1::", "fec0::1", "192.0.0.8"] {
            assert!(!policy.allows(ip.parse().unwrap()), "{ip} should not be allowed");
        }
        assert!(policy.allows("64:ff9b::5db8:d822".parse().unwrap()), "DNS64 answers for public hosts still work");
    }

    #[test]
    fn networks_parse_and_match() {
        let net: Network = "192.168.0.0/16".parse().unwrap();
        assert!(net.contains("192.168.7.7".parse().unwrap()));
        assert!(!net.contains("192.169.0.1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Network>().is_err());
        assert!("nope".parse::<Network>().is_err());
    }
}
