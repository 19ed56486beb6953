//! What every handler can reach (`AppState`: the use cases, the server's settings, the
//! metrics) and the server's settings (`WebConfig`).

use std::sync::Arc;

use tutti_app::App;

use crate::metrics::Metrics;

/// Server settings.
#[derive(Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (on by default; browsers accept them on `http://localhost`).
    pub secure_cookies: bool,
    /// Send `Strict-Transport-Security` (when the public address is HTTPS).
    pub hsts: bool,
    /// The password `/metrics` asks for; without one, `/metrics` is not served.
    pub metrics_token: Option<String>,
    /// The address people open Tutti at: links to share (invitations, reports) start with it,
    /// never with the request's `Host` header, which the requester chooses.
    pub public_url: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client (addresses or CIDR blocks);
    /// from anyone else the header is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("secure_cookies", &self.secure_cookies)
            .field("hsts", &self.hsts)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "…"))
            .field("public_url", &self.public_url)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: true,
            hsts: false,
            metrics_token: None,
            public_url: "http://localhost:8080".into(),
            trusted_proxies: Vec::new(),
        }
    }
}

/// Reads a trusted proxy: an address (`10.0.0.2`, `::1`) or a block (`10.0.0.0/8`).
pub fn parse_trusted_proxy(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is neither an IP address nor a CIDR block"))
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) app: App,
    pub(crate) config: Arc<WebConfig>,
    pub(crate) metrics: Arc<Metrics>,
}

impl AppState {
    /// Builds the state for a server.
    pub fn new(app: App, config: WebConfig) -> AppState {
        AppState { app, config: Arc::new(config), metrics: Arc::new(Metrics::new()) }
    }
}

impl AppState {
    /// The public address without a trailing slash, for links to share.
    pub(crate) fn public_url(&self) -> &str {
        self.config.public_url.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_trusted_proxy_is_an_address_or_a_block() {
        for (text, net) in [("10.0.0.2", "10.0.0.2/32"), (" 10.0.0.0/8 ", "10.0.0.0/8"), ("::1", "::1/128")] {
            assert_eq!(super::parse_trusted_proxy(text).unwrap().to_string(), net);
        }
        for bad in ["", "localhost", "10.0.0.0/33", "10.0.0.2,10.0.0.3"] {
            assert!(super::parse_trusted_proxy(bad).unwrap_err().contains("neither"), "{bad:?}");
        }
    }
}
