//! Tutti's outbound HTTP client: every request to an address that comes from a person (an
//! alert webhook, a feed, a Mastodon instance, a Bluesky PDS) or from the network (a `did:web`
//! document, a PDS named in a DID document) goes through it, under the policy of
//! `tutti-addresses` (re-exported here).
//!
//! The policy is applied where it cannot be dodged:
//!
//! - **at connection time**: every [`Client`] resolves names through a resolver that refuses
//!   a name when any of its addresses is refused, so a name that pointed somewhere public when
//!   it was saved and points to `127.0.0.1` now (DNS rebinding) is refused when it is called;
//!   hosts written as IP literals, which never reach a resolver, are checked before each
//!   request is sent ([`Request::send`]);
//! - **on every redirect**: only redirects to the same host and port (or its `https` upgrade)
//!   are followed, at most [`ClientBuilder::redirects`] of them, each checked again;
//! - **when an address is saved** ([`Outbound::check_saved`]).
//!
//! A client also bounds what it reads ([`read_limited`]), and how long it waits (a connect
//! timeout and a total timeout, on by default), and never goes through the environment's
//! proxy (the proxy, not Tutti, would then choose where the request lands).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Host;

pub use tutti_addresses::{check_resolved, classify, Allowance, Outbound, Refused, Reserved};

/// The clients of a policy: `outbound.client()` (bring this trait into scope).
pub trait Clients {
    /// A client builder applying this policy.
    fn client(&self) -> ClientBuilder;
}

impl Clients for Outbound {
    fn client(&self) -> ClientBuilder {
        ClientBuilder {
            outbound: self.clone(),
            connect_timeout: Duration::from_secs(10),
            timeout: Some(Duration::from_secs(30)),
            redirects: 3,
            user_agent: None,
        }
    }
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
