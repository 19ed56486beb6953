//! Tutti's short links (`/l/{code}`): public, each visit counted, then sent on with a `302` to
//! the address stored with the post. The target is only ever a stored `http(s)://` URL: the
//! request names a code, never a place to go.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::routes::{Access, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/l/{code}", Access::Public, follow)
}

async fn follow(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "no such link\n").into_response();
    let Ok(url) = state.app.follow_link(&code).await else { return not_found() };
    let Ok(location) = HeaderValue::from_str(&url) else { return not_found() };
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer-when-downgrade")),
        ],
    )
        .into_response()
}
