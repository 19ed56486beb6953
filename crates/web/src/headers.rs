//! Security headers on every response: a Content-Security-Policy that allows only Tutti's own
//! scripts and styles (no inline script, no `eval`, no framing), `nosniff`, a same-origin
//! referrer, and HSTS when Tutti is served over HTTPS.

use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// What the pages may load: Tutti's own scripts, styles and images, nothing inline, and no
/// page may frame them. Text from the networks is escaped in the templates; this is the second
/// wall if an escape is ever missed.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// Two years, sub-domains included, once the public address is HTTPS.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Adds the security headers to every response that does not set its own.
pub async fn secure(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed = [
        (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "same-origin"),
        (X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if state.config.hsts {
        headers.entry(STRICT_TRANSPORT_SECURITY).or_insert(HeaderValue::from_static(HSTS));
    }
    response
}
