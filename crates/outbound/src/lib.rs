//! The outbound HTTP policy: which addresses Tutti calls when the address comes from a person
//! (an alert webhook, a feed, a Mastodon instance, a Bluesky PDS) or from the network (a
//! `did:web` document, a PDS named in a DID document).
//!
//! # The rule
//!
//! Tutti calls public addresses only. Loopback, private, carrier-grade NAT, link-local,
//! unique-local, multicast, unspecified, broadcast, documentation, benchmarking and reserved
//! ranges are refused, in IPv4, in IPv6 and in IPv6 forms that carry an IPv4 address
//! (`::ffff:127.0.0.1`, NAT64, 6to4), and so are the cloud metadata addresses
//! ([`classify`]). The rule is applied where it cannot be dodged:
//!
//! - **at connection time**: every [`Client`] resolves names through a resolver that refuses
//!   a name when any of its addresses is refused, so a name that pointed somewhere public when
//!   it was saved and points to `127.0.0.1` now (DNS rebinding) is refused when it is called;
//!   hosts written as IP literals, which never reach a resolver, are checked before each
//!   request is sent ([`Request::send`]);
//! - **on every redirect**: only redirects to the same host and port (or its `https` upgrade)
//!   are followed, at most [`ClientBuilder::redirects`] of them, each checked again;
//! - **when an address is saved** ([`Outbound::check_saved`]), so that a person gets an
//!   error naming the field instead of deliveries that fail later.
//!
//! A client also bounds what it reads ([`read_limited`]), and how long it waits (a connect
//! timeout and a total timeout, on by default), and never goes through the environment's
//! proxy (the proxy, not Tutti, would then choose where the request lands).
//!
//! # The operator's allowances
//!
//! Self-hosters run their Mastodon instance on their LAN: the operator allows such hosts by
//! name, `HOST` or `HOST:PORT` ([`Allowance`]), with `--allow-private-host` or
//! `TUTTI_ALLOW_PRIVATE_HOSTS`. An allowed host is called whatever it resolves to. There is no
//! switch that allows everything: tests allow the hosts of their local servers one by one.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
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

    fn allows(&self, host: &Host<&str>, port: Option<u16>) -> bool {
        self.allowed.iter().any(|a| a.matches_host(host) && (a.port.is_none() || a.port == port))
    }

    /// Whether a name is allowed on some port (the resolver does not see ports).
    fn allows_name(&self, name: &str) -> bool {
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

    /// A client builder applying this policy.
    pub fn client(&self) -> ClientBuilder {
        ClientBuilder {
            outbound: self.clone(),
            connect_timeout: Duration::from_secs(10),
            timeout: Some(Duration::from_secs(30)),
            redirects: 3,
            user_agent: None,
        }
    }
}

fn check_ip(host: &str, ip: IpAddr) -> Result<(), Refused> {
    match classify(ip) {
        Some(reason) => Err(Refused::Address { host: host.to_owned(), reason }),
        None => Ok(()),
    }
}

fn check_resolved(name: &str, addrs: impl Iterator<Item = IpAddr>) -> Result<(), Refused> {
    for address in addrs {
        if let Some(reason) = classify(address) {
            return Err(Refused::Resolved { host: name.to_owned(), address, reason });
        }
    }
    Ok(())
}

/// The resolver of every policy client: the system's, then refusing a name when any of its
/// addresses is refused, unless the operator allowed the name.
#[derive(Debug)]
struct GuardedResolver {
    outbound: Outbound,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let outbound = self.outbound.clone();
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if !outbound.allows_name(&name) {
                check_resolved(&name, addrs.iter().map(SocketAddr::ip))?;
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Builds a [`Client`] under an [`Outbound`] policy.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    outbound: Outbound,
    connect_timeout: Duration,
    timeout: Option<Duration>,
    redirects: usize,
    user_agent: Option<String>,
}

impl ClientBuilder {
    /// How long a connection may take to open (10 s by default).
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = limit;
        self
    }

    /// How long a request may take in all, reading its answer included (30 s by default).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// No total time limit, for streams that stay open (they keep an idle timeout of their own).
    pub fn no_total_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// How many same-host redirects to follow (3 by default; 0 follows none: the redirect is
    /// the answer).
    pub fn redirects(mut self, max: usize) -> Self {
        self.redirects = max;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, agent: &str) -> Self {
        self.user_agent = Some(agent.to_owned());
        self
    }

    /// The client.
    pub fn build(self) -> Result<Client, reqwest::Error> {
        let max = self.redirects;
        let outbound = self.outbound.clone();
        let redirect = if max == 0 {
            reqwest::redirect::Policy::none()
        } else {
            reqwest::redirect::Policy::custom(move |attempt| {
                let to = attempt.url().clone();
                let from = attempt.previous().first().cloned();
                let refused = |why| Refused::Redirect { to: to.to_string(), why };
                if attempt.previous().len() > max {
                    return attempt.error(refused("too many redirects"));
                }
                let Some(from) = from else { return attempt.follow() };
                let same_origin = from.host() == to.host()
                    && (from.scheme(), from.port_or_known_default())
                        == (to.scheme(), to.port_or_known_default());
                let upgrade = from.host() == to.host()
                    && from.scheme() == "http"
                    && to.scheme() == "https"
                    && from.port().is_none()
                    && to.port().is_none();
                if !same_origin && !upgrade {
                    return attempt.error(refused("it leads to another host"));
                }
                // Same host, so a name goes through the resolver again; an IP literal is
                // checked here (it was allowed when the first request was sent).
                let host = to.host().expect("redirect URLs have a host");
                if !outbound.allows(&host, to.port_or_known_default()) {
                    let ip = match host {
                        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
                        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
                        Host::Domain(_) => None,
                    };
                    if let Some(reason) = ip.and_then(classify) {
                        return attempt.error(Refused::Address { host: host.to_string(), reason });
                    }
                }
                attempt.follow()
            })
        };
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { outbound: self.outbound.clone() }))
            .connect_timeout(self.connect_timeout)
            .redirect(redirect);
        if let Some(limit) = self.timeout {
            builder = builder.timeout(limit);
        }
        if let Some(agent) = &self.user_agent {
            builder = builder.user_agent(agent);
        }
        Ok(Client { http: builder.build()?, outbound: self.outbound })
    }
}

/// An HTTP client under the policy. Cheap to clone; its requests are sent by
/// [`Request::send`], which checks them first.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    outbound: Outbound,
}

impl Client {
    /// A request of any method.
    pub fn request(&self, method: reqwest::Method, url: impl reqwest::IntoUrl) -> Request {
        Request { inner: self.http.request(method, url), client: self.clone() }
    }

    /// A `GET`.
    pub fn get(&self, url: impl reqwest::IntoUrl) -> Request {
        self.request(reqwest::Method::GET, url)
    }

    /// A `POST`.
    pub fn post(&self, url: impl reqwest::IntoUrl) -> Request {
        self.request(reqwest::Method::POST, url)
    }

    /// A `PUT`.
    pub fn put(&self, url: impl reqwest::IntoUrl) -> Request {
        self.request(reqwest::Method::PUT, url)
    }

    /// A `DELETE`.
    pub fn delete(&self, url: impl reqwest::IntoUrl) -> Request {
        self.request(reqwest::Method::DELETE, url)
    }

    /// The policy it applies.
    pub fn outbound(&self) -> &Outbound {
        &self.outbound
    }
}

/// A request being built; [`Request::send`] checks its address and sends it.
#[derive(Debug)]
pub struct Request {
    inner: reqwest::RequestBuilder,
    client: Client,
}

impl Request {
    /// Adds a header.
    pub fn header<K, V>(self, key: K, value: V) -> Request
    where
        HeaderName: TryFrom<K>,
        <HeaderName as TryFrom<K>>::Error: Into<http::Error>,
        HeaderValue: TryFrom<V>,
        <HeaderValue as TryFrom<V>>::Error: Into<http::Error>,
    {
        self.map(|r| r.header(key, value))
    }

    /// Adds headers.
    pub fn headers(self, headers: HeaderMap) -> Request {
        self.map(|r| r.headers(headers))
    }

    /// Adds query parameters.
    pub fn query<T: serde::Serialize + ?Sized>(self, query: &T) -> Request {
        self.map(|r| r.query(query))
    }

    /// A JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(self, body: &T) -> Request {
        self.map(|r| r.json(body))
    }

    /// A form body.
    pub fn form<T: serde::Serialize + ?Sized>(self, body: &T) -> Request {
        self.map(|r| r.form(body))
    }

    /// A raw body.
    pub fn body<T: Into<reqwest::Body>>(self, body: T) -> Request {
        self.map(|r| r.body(body))
    }

    /// `Authorization: Bearer`.
    pub fn bearer_auth<T: fmt::Display>(self, token: T) -> Request {
        self.map(|r| r.bearer_auth(token))
    }

    /// A time limit for this request (instead of the client's).
    pub fn timeout(self, limit: Duration) -> Request {
        self.map(|r| r.timeout(limit))
    }

    /// Anything else reqwest's builder does.
    pub fn map(self, f: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder) -> Request {
        Request { inner: f(self.inner), client: self.client }
    }

    /// Checks the address against the policy, then sends the request.
    pub async fn send(self) -> Result<reqwest::Response, Error> {
        let request = self.inner.build()?;
        self.client.outbound.check(request.url()).await?;
        Ok(self.client.http.execute(request).await?)
    }
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The policy refused the address (before the request, at connection time, or on a
    /// redirect).
    #[error("refused: {0}")]
    Refused(Refused),
    /// The request failed otherwise.
    #[error(transparent)]
    Http(reqwest::Error),
}

impl From<Refused> for Error {
    fn from(r: Refused) -> Error {
        Error::Refused(r)
    }
}

impl From<reqwest::Error> for Error {
    /// Finds a refusal of the resolver or the redirect policy in the error's causes.
    fn from(e: reqwest::Error) -> Error {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(c) = cause {
            if let Some(refused) = c.downcast_ref::<Refused>() {
                return Error::Refused(refused.clone());
            }
            cause = c.source();
        }
        Error::Http(e)
    }
}

impl Error {
    /// The policy refused the address: retrying will not help until the address changes.
    pub fn is_refused(&self) -> bool {
        matches!(self, Error::Refused(_))
    }

    /// The request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Http(e) if e.is_timeout())
    }

    /// The connection could not be made.
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Http(e) if e.is_connect())
    }
}

/// Why [`read_limited`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is longer than the limit.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// Reading failed.
    #[error(transparent)]
    Http(#[from] reqwest::Error),
}

/// Reads a response's body, refusing it as soon as it exceeds `max` bytes (a declared
/// `Content-Length` over the limit is refused before anything is read).
pub async fn read_limited(response: &mut reqwest::Response, max: usize) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(BodyError::TooLarge(max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests;
