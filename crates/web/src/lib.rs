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
mod state;

use std::net::SocketAddr;

pub use error::WebError;
pub use ipnet::IpNet;
pub use routes::{Access, RouteSpec};
pub use state::{parse_trusted_proxy, AppState, WebConfig};

/// Every route of Tutti, each with the access it needs.
fn table(state: AppState) -> routes::RouteTable {
    let t = routes::RouteTable::new(state);
    let t = ops::routes(t);
    let t = pages::routes(t);
    let t = api::routes(t);
    links::routes(ical::routes(t)).get("/api/openapi.json", Access::Public, api::openapi_json)
}

/// The whole router, with the list of its routes and their access rules.
pub fn router(state: AppState) -> (axum::Router, Vec<RouteSpec>) {
    let table = table(state.clone());
    let (router, specs) = table.finish();
    let router = router
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::track))
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
