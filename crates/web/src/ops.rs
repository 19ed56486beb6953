//! Operations routes: health, readiness, metrics, and the static assets; and the middleware
//! that counts and times every request for the metrics.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use crate::routes::{Access, RouteTable};
use crate::AppState;

/// Registers the operations routes.
pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/healthz", Access::Public, healthz)
        .get("/readyz", Access::Public, readyz)
        .get("/metrics", Access::Public, metrics)
        .get("/static/app.css", Access::Public, css)
        .get("/static/htmx.min.js", Access::Public, htmx)
        .get("/static/app.js", Access::Public, app_js)
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready when the database answers. The reason it does not goes to the log, not to the caller:
/// a database error can name hosts, users and paths.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.app.store().ping().await {
        Ok(()) => (StatusCode::OK, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

/// Prometheus metrics, for a scraper that sends the operator's `--metrics-token` as the
/// password of HTTP basic authentication (any user name; Prometheus's `basic_auth`). Without a
/// token configured the route answers 404, as if it did not exist. Bearer tokens stay the API's:
/// a person's API token does not open the metrics.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok())
        .and_then(|pair| String::from_utf8(pair).ok())
        .and_then(|pair| pair.split_once(':').map(|(_, password)| password.to_owned()))
        .unwrap_or_default();
    if !same_secret(sent.as_bytes(), expected.as_bytes()) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"metrics\"")])
            .into_response();
    }
    let body = state.metrics.render(state.app.store().pool_stats(), state.app.store().uses());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// Compares two secrets in a time that does not depend on where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const CACHE: &str = "public, max-age=3600";

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, CACHE)],
        include_str!("../static/app.css"),
    )
}

async fn htmx() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, CACHE)],
        include_str!("../static/htmx.min.js"),
    )
}

async fn app_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, CACHE)],
        include_str!("../static/app.js"),
    )
}

/// Counts and times every request under its route pattern (never its raw path, so that
/// workspace names and ids do not explode the label set).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().as_str().to_owned();
    let start = Instant::now();
    let response = next.run(request).await;
    let elapsed = start.elapsed().as_secs_f64();
    state.metrics.record(&route, &method, response.status().as_str(), elapsed);
    response
}
