//! Operations routes: health, readiness, metrics, and the static assets.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;

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

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.app.store().ping().await {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, format!("database unavailable: {e}\n"))
        }
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state.metrics.render(state.app.store().pool_stats());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
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
