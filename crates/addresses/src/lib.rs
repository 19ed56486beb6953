//! The addresses Tutti may call when the address comes from a person (an alert webhook, a
//! feed, a Mastodon instance, a Bluesky PDS) or from the network (a `did:web` document, a PDS
//! named in a DID document): the rule, the operator's allowances and the checks, with no HTTP
//! client (that is `tutti-outbound`, which applies this policy to every request it sends).
//!
//! # The rule
//!
//! Tutti calls public addresses only. Loopback, private, carrier-grade NAT, link-local,
//! unique-local, multicast, unspecified, broadcast, documentation, benchmarking and reserved
//! ranges are refused, in IPv4, in IPv6 and in IPv6 forms that carry an IPv4 address
//! (`::ffff:127.0.0.1`, NAT64, 6to4), and so are the cloud metadata addresses
//! ([`classify`]). [`Outbound::check`] is the check made before each request;
//! [`Outbound::check_saved`] the one made when a person saves an address, so that they get an
//! error naming the field instead of deliveries that fail later.
//!
//! # The operator's allowances
//!
//! Self-hosters run their Mastodon instance on their LAN: the operator allows such hosts by
//! name, `HOST` or `HOST:PORT` ([`Allowance`]), with `--allow-private-host` or
//! `TUTTI_ALLOW_PRIVATE_HOSTS`. An allowed host is called whatever it resolves to. There is no
//! switch that allows everything: tests allow the hosts of their local servers one by one.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

/// Why an address is not called: the range it falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    /// `0.0.0.0`, `::`.
    Unspecified,
    /// `0.0.0.0/8` ("this network").
    ThisNetwork,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `10/8`, `172.16/12`, `192.168/16`, and local-use NAT64 `64:ff9b:1::/48`.
    Private,
    /// `100.64/10`, carrier-grade NAT.
    SharedAddressSpace,
    /// `169.254/16`, `fe80::/10`.
    LinkLocal,
    /// `fc00::/7`.
    UniqueLocal,
    /// A cloud provider's instance metadata service (`169.254.169.254`, `fd00:ec2::254`,
    /// `168.63.129.16`, `100.100.100.200`, `192.0.0.192`, `169.254.170.2`).
    Metadata,
    /// `224/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `198.18/15`, `2001:2::/48`.
    Benchmarking,
    /// `192.0.0/24`, `2001::/23` (protocol assignments, Teredo).
    ProtocolAssignment,
    /// Anything else that is not globally routable unicast: `240/4`, `192.88.99/24`,
    /// IPv4-compatible IPv6, `100::/64`, site-local `fec0::/10`, IPv6 outside `2000::/3`.
    Other,
}

impl Reserved {
    /// The range's name, as written in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Reserved::Unspecified => "unspecified",
            Reserved::ThisNetwork => "\"this network\"",
            Reserved::Loopback => "loopback",
            Reserved::Private => "private",
            Reserved::SharedAddressSpace => "carrier-grade NAT",
            Reserved::LinkLocal => "link-local",
            Reserved::UniqueLocal => "unique-local",
            Reserved::Metadata => "cloud metadata",
            Reserved::Multicast => "multicast",
            Reserved::Broadcast => "broadcast",
            Reserved::Documentation => "documentation",
            Reserved::Benchmarking => "benchmarking",
            Reserved::ProtocolAssignment => "special-purpose",
            Reserved::Other => "reserved",
        }
    }
}

impl fmt::Display for Reserved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const METADATA_V4: [Ipv4Addr; 5] = [
    Ipv4Addr::new(169, 254, 169, 254), // AWS, GCP, Azure, OpenStack, DigitalOcean…
    Ipv4Addr::new(169, 254, 170, 2),   // AWS ECS task metadata
    Ipv4Addr::new(168, 63, 129, 16),   // Azure wire server (a public address)
    Ipv4Addr::new(100, 100, 100, 200), // Alibaba Cloud
    Ipv4Addr::new(192, 0, 0, 192),     // Oracle Cloud
];
const METADATA_V6: [Ipv6Addr; 1] = [Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)]; // AWS

fn in_v4(ip: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], bits: u32) -> bool {
    let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
    let net = Ipv6Addr::new(net[0], net[1], net[2], net[3], net[4], net[5], net[6], net[7]);
    u128::from(ip) & mask == u128::from(net) & mask
}

/// The range that makes `ip` an address Tutti does not call, or `None` for a public address.
pub fn classify(ip: IpAddr) -> Option<Reserved> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Reserved> {
    let table: [([u8; 4], u32, Reserved); 17] = [
        ([0, 0, 0, 0], 32, Reserved::Unspecified),
        ([0, 0, 0, 0], 8, Reserved::ThisNetwork),
        ([127, 0, 0, 0], 8, Reserved::Loopback),
        ([10, 0, 0, 0], 8, Reserved::Private),
        ([172, 16, 0, 0], 12, Reserved::Private),
        ([192, 168, 0, 0], 16, Reserved::Private),
        ([100, 64, 0, 0], 10, Reserved::SharedAddressSpace),
        ([169, 254, 0, 0], 16, Reserved::LinkLocal),
        ([192, 0, 0, 0], 24, Reserved::ProtocolAssignment),
        ([192, 0, 2, 0], 24, Reserved::Documentation),
        ([198, 51, 100, 0], 24, Reserved::Documentation),
        ([203, 0, 113, 0], 24, Reserved::Documentation),
        ([198, 18, 0, 0], 15, Reserved::Benchmarking),
        ([192, 88, 99, 0], 24, Reserved::Other),
        ([224, 0, 0, 0], 4, Reserved::Multicast),
        ([255, 255, 255, 255], 32, Reserved::Broadcast),
        ([240, 0, 0, 0], 4, Reserved::Other),
    ];
    if METADATA_V4.contains(&ip) {
        return Some(Reserved::Metadata);
    }
    table.iter().find(|(net, bits, _)| in_v4(ip, *net, *bits)).map(|(_, _, r)| *r)
}

fn classify_v6(ip: Ipv6Addr) -> Option<Reserved> {
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if METADATA_V6.contains(&ip) {
        return Some(Reserved::Metadata);
    }
    if ip.is_unspecified() {
        return Some(Reserved::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Reserved::Loopback);
    }
    // ::ffff:a.b.c.d, IPv4-mapped: the IPv4 address is what is reached.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    // ::a.b.c.d, IPv4-compatible (deprecated): refused whatever it embeds.
    if in_v6(ip, [0; 8], 96) {
        return Some(classify_v4(embedded(s[6], s[7])).unwrap_or(Reserved::Other));
    }
    // 64:ff9b::/96, NAT64: the embedded IPv4 address is what is reached.
    if in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        return classify_v4(embedded(s[6], s[7]));
    }
    // 2002::/16, 6to4: the IPv4 address in bits 16 to 48 is what is reached.
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        return classify_v4(embedded(s[1], s[2]));
    }
    let table: [([u16; 8], u32, Reserved); 10] = [
        ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, Reserved::Private),
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, Reserved::Other),
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, Reserved::Documentation),
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, Reserved::Documentation),
        ([0x2001, 2, 0, 0, 0, 0, 0, 0], 48, Reserved::Benchmarking),
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, Reserved::ProtocolAssignment),
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, Reserved::UniqueLocal),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, Reserved::LinkLocal),
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, Reserved::Other),
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, Reserved::Multicast),
    ];
    if let Some((_, _, r)) = table.iter().find(|(net, bits, _)| in_v6(ip, *net, *bits)) {
        return Some(*r);
    }
    // Global unicast is 2000::/3; everything else is reserved by IANA.
    (!in_v6(ip, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3)).then_some(Reserved::Other)
}

/// A host the operator allows although it may resolve to a private address: `HOST` (any
/// port) or `HOST:PORT`; IPv6 addresses in brackets (`[fd00::1]:8443`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    host: AllowedHost,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AllowedHost {
    Name(String),
    Ip(IpAddr),
}

impl Allowance {
    /// The host and port of `url` (its scheme's port when it names none): what tests and
    /// operator-typed addresses allow.
    pub fn of_url(url: &str) -> Result<Allowance, String> {
        let parsed = Url::parse(url.trim()).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
        let host = match parsed.host() {
            Some(Host::Domain(d)) => AllowedHost::Name(normal_name(d)),
            Some(Host::Ipv4(ip)) => AllowedHost::Ip(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => AllowedHost::Ip(IpAddr::V6(ip)),
            None => return Err(format!("{url:?} has no host")),
        };
        Ok(Allowance { host, port: parsed.port_or_known_default() })
    }

    fn matches_host(&self, host: &Host<&str>) -> bool {
        match (&self.host, host) {
            (AllowedHost::Name(a), Host::Domain(d)) => *a == normal_name(d),
            (AllowedHost::Ip(a), Host::Ipv4(ip)) => *a == IpAddr::V4(*ip),
            (AllowedHost::Ip(a), Host::Ipv6(ip)) => *a == IpAddr::V6(*ip),
            _ => false,
        }
    }
}

fn normal_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl FromStr for Allowance {
    type Err = String;

    fn from_str(text: &str) -> Result<Allowance, String> {
        let text = text.trim();
        let bad = || format!("{text:?}: expected HOST or HOST:PORT (an IPv6 address in brackets)");
        let parse_port = |p: &str| p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad);
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (v6, after) = rest.split_once(']').ok_or_else(bad)?;
            let ip = v6.parse::<Ipv6Addr>().map_err(|_| bad())?;
            let port = match after {
                "" => None,
                p => Some(parse_port(p.strip_prefix(':').ok_or_else(bad)?)?),
            };
            (AllowedHost::Ip(IpAddr::V6(ip)), port)
        } else if let Ok(ip) = text.parse::<IpAddr>() {
            (AllowedHost::Ip(ip), None)
        } else {
            let (host, port) = match text.rsplit_once(':') {
                Some((h, p)) => (h, Some(parse_port(p)?)),
                None => (text, None),
            };
            let host = match host.parse::<IpAddr>() {
                Ok(ip) => AllowedHost::Ip(ip),
                Err(_) => {
                    let name = normal_name(host);
                    let ok = !name.is_empty()
                        && name.len() <= 253
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
                    if !ok {
                        return Err(bad());
                    }
                    AllowedHost::Name(name)
                }
            };
            (host, port)
        };
        Ok(Allowance { host, port })
    }
}

impl fmt::Display for Allowance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.host, self.port) {
            (AllowedHost::Name(n), None) => write!(f, "{n}"),
            (AllowedHost::Name(n), Some(p)) => write!(f, "{n}:{p}"),
            (AllowedHost::Ip(ip), None) => write!(f, "{ip}"),
            (AllowedHost::Ip(IpAddr::V6(ip)), Some(p)) => write!(f, "[{ip}]:{p}"),
            (AllowedHost::Ip(ip), Some(p)) => write!(f, "{ip}:{p}"),
        }
    }
}

/// Why an address was not called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not an `http` or `https` URL with a host.
    #[error("{0}")]
    Invalid(String),
    /// The host is an IP address in a refused range.
    #[error("{host} is a {reason} address, which Tutti does not call")]
    Address {
        /// The host as written.
        host: String,
        /// Its range.
        reason: Reserved,
    },
    /// The host's name resolves to an address in a refused range.
    #[error("{host} resolves to {address}, a {reason} address, which Tutti does not call")]
    Resolved {
        /// The name.
        host: String,
        /// The refused address it resolves to.
        address: IpAddr,
        /// Its range.
        reason: Reserved,
    },
    /// A redirect to another host, or one too many.
    #[error("redirect to {to} not followed: {why}")]
    Redirect {
        /// Where the redirect pointed.
        to: String,
        /// Why it was not followed.
        why: &'static str,
    },
}

/// The outbound policy: the public internet, plus the hosts the operator allows. Cheap to
/// clone; the default allows no private host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbound {
    allowed: Arc<Vec<Allowance>>,
}

impl Outbound {
    /// Public addresses only.
    pub fn strict() -> Outbound {
        Outbound::default()
    }

    /// Public addresses and these hosts.
    pub fn allowing(allowed: impl IntoIterator<Item = Allowance>) -> Outbound {
        Outbound::default().with(allowed)
    }

    /// The same policy, allowing these hosts too.
    pub fn with(&self, more: impl IntoIterator<Item = Allowance>) -> Outbound {
        let mut allowed = self.allowed.as_ref().clone();
        for a in more {
            if !allowed.contains(&a) {
                allowed.push(a);
            }
        }
        Outbound { allowed: Arc::new(allowed) }
    }

    /// The same policy, allowing the host and port of each URL (addresses the operator typed,
    /// local servers in tests). A URL that does not parse allows nothing.
    pub fn with_urls<'a>(&self, urls: impl IntoIterator<Item = &'a str>) -> Outbound {
        self.with(urls.into_iter().filter_map(|u| Allowance::of_url(u).ok()))
    }

    /// The hosts allowed, as the operator wrote them.
    pub fn allowed(&self) -> &[Allowance] {
        &self.allowed
    }

    /// Reads a comma-separated list of allowances (`TUTTI_ALLOW_PRIVATE_HOSTS`).
    pub fn parse_list(text: &str) -> Result<Vec<Allowance>, String> {
        text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::parse).collect()
    }

    /// Whether the operator allowed this host on this port.
    pub fn allows(&self, host: &Host<&str>, port: Option<u16>) -> bool {
        self.allowed.iter().any(|a| a.matches_host(host) && (a.port.is_none() || a.port == port))
    }

    /// Whether a name is allowed on some port (the resolver does not see ports).
    pub fn allows_name(&self, name: &str) -> bool {
        self.allowed.iter().any(|a| a.matches_host(&Host::Domain(name)))
    }

    fn parse(url: &str) -> Result<Url, Refused> {
        let parsed = Url::parse(url.trim()).map_err(|e| Refused::Invalid(format!("not a URL: {e}")))?;
        Outbound::check_shape(&parsed)?;
        Ok(parsed)
    }

    fn check_shape(url: &Url) -> Result<(), Refused> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refused::Invalid(format!("the scheme {} is not http or https", url.scheme())));
        }
        if url.host().is_none() {
            return Err(Refused::Invalid("the address has no host".into()));
        }
        Ok(())
    }

    /// The check made before each request: the scheme, and the host when it is an IP address
    /// (names are checked by the resolver when the connection is made). A name the operator
    /// allowed on other ports only is resolved here and checked like any name.
    pub async fn check(&self, url: &Url) -> Result<(), Refused> {
        Outbound::check_shape(url)?;
        let host = url.host().expect("checked above");
        if self.allows(&host, url.port_or_known_default()) {
            return Ok(());
        }
        match host {
            Host::Ipv4(ip) => check_ip(&host.to_string(), IpAddr::V4(ip)),
            Host::Ipv6(ip) => check_ip(&host.to_string(), IpAddr::V6(ip)),
            Host::Domain(name) if self.allows_name(name) => {
                let port = url.port_or_known_default().unwrap_or(0);
                match tokio::net::lookup_host((name, port)).await {
                    Ok(addrs) => check_resolved(name, addrs.map(|a| a.ip())),
                    // The connection will fail the same way.
                    Err(_) => Ok(()),
                }
            }
            Host::Domain(_) => Ok(()),
        }
    }

    /// The check made when a person saves an address: its shape, its host, and what its name
    /// resolves to now (a name that does not resolve is accepted: it is checked again, like
    /// every address, each time it is called).
    pub async fn check_saved(&self, url: &str) -> Result<(), Refused> {
        let parsed = Outbound::parse(url)?;
        self.check(&parsed).await?;
        let host = parsed.host().expect("checked above");
        let port = parsed.port_or_known_default();
        match host {
            Host::Domain(name) if !self.allows(&host, port) => {
                let lookup = tokio::net::lookup_host((name, port.unwrap_or(0)));
                match tokio::time::timeout(Duration::from_secs(5), lookup).await {
                    Ok(Ok(addrs)) => check_resolved(name, addrs.map(|a| a.ip())),
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }
}

fn check_ip(host: &str, ip: IpAddr) -> Result<(), Refused> {
    match classify(ip) {
        Some(reason) => Err(Refused::Address { host: host.to_owned(), reason }),
        None => Ok(()),
    }
}

/// Refuses a name when any address it resolves to is in a refused range.
pub fn check_resolved(name: &str, addrs: impl Iterator<Item = IpAddr>) -> Result<(), Refused> {
    for address in addrs {
        if let Some(reason) = classify(address) {
            return Err(Refused::Resolved { host: name.to_owned(), address, reason });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
