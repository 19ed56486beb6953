//! Tutti's HTTP server: the web UI (askama + htmx), the REST API, health and metrics.
//!
//! **Architecture Invariant:** this is the only crate that knows HTTP and HTML. It turns
//! requests into calls on [`tutti_app::App`] and the results into pages or JSON.
//!
//! Every route is registered through [`routes::RouteTable`] with the [`routes::Access`] it
//! needs; one middleware resolves the caller (session cookie or bearer token), checks CSRF on
//! state-changing requests, and checks the access against the domain policy before any handler
//! runs. The table is public so that a test can walk every route with every role.

mod api;
mod api_feedback;
mod api_inbox;
mod api_listening;
mod api_moderation;
mod api_people;
mod api_posts;
mod error;
mod format;
mod forms;
mod headers;
mod i18n;
mod ical;
mod links;
mod metrics;
mod ops;
mod pages;
pub mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

use tutti_app::App;

pub use error::WebError;
pub use ipnet::IpNet;
pub use routes::{Access, RouteSpec};

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
    app: App,
    config: Arc<WebConfig>,
    metrics: Arc<metrics::Metrics>,
}

impl AppState {
    /// Builds the state for a server.
    pub fn new(app: App, config: WebConfig) -> AppState {
        AppState { app, config: Arc::new(config), metrics: Arc::new(metrics::Metrics::new()) }
    }
}

impl AppState {
    /// The public address without a trailing slash, for links to share.
    pub(crate) fn public_url(&self) -> &str {
        self.config.public_url.trim_end_matches('/')
    }
}

/// Every route of Tutti, each with the access it needs.
fn table(state: AppState) -> routes::RouteTable {
    let t = routes::RouteTable::new(state);
    let t = ops::routes(t);
    let t = pages::routes(t);
    let t = api_inbox::routes(api_posts::routes(api_listening::routes(api::routes(t))));
    let t = api_feedback::routes(api_people::routes(api_moderation::routes(t)));
    links::routes(ical::routes(t)).get("/api/openapi.json", Access::Public, api::openapi_json)
}

/// The whole router, with the list of its routes and their access rules.
pub fn router(state: AppState) -> (axum::Router, Vec<RouteSpec>) {
    let table = table(state.clone());
    let (router, specs) = table.finish();
    let router = router
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(axum::middleware::from_fn_with_state(state.clone(), headers::secure))
        // Room for a post with four images of up to 1 MB each; other forms are small.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(5 * 1024 * 1024))
        .with_state(state);
    (router, specs)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (router, _) = router(state);
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
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
