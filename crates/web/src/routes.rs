//! The route table: every route with the access it needs, and the one guard that enforces it.

use axum::body::Body;
use axum::extract::{ConnectInfo, RawPathParams, Request, State};
use axum::handler::Handler;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{on, MethodFilter};
use axum::Router;
use std::net::IpAddr;
use tutti_app::{Actor, AppError, CurrentUser, WorkspaceAccess};
use tutti_domain::{Action, Locale};

use crate::error::WebError;
use crate::i18n::Tr;
use crate::AppState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in person.
    SignedIn,
    /// A person signed in through the browser (session cookie): managing one's credentials
    /// (API tokens, password, two-factor sign-in). An API token is refused here, so that a
    /// leaked token cannot mint others or outlive its revocation.
    Session,
    /// An instance-wide action (instance administrators).
    Instance(Action),
    /// A workspace action, checked against the caller's role in the `{workspace}` of the path.
    Workspace(Action),
}

/// One registered route.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: Method,
    /// Path pattern, with `{workspace}` and other parameters.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

/// Builds the router while recording each route's spec.
#[derive(Debug)]
pub struct RouteTable {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
    state: AppState,
}

impl RouteTable {
    /// An empty table whose guards use `state`.
    pub fn new(state: AppState) -> RouteTable {
        RouteTable { router: Router::new(), specs: Vec::new(), state }
    }

    fn add<H, T>(mut self, method: Method, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("standard method");
        let route = on(filter, handler).route_layer(from_fn_with_state((self.state.clone(), access), guard));
        self.router = self.router.route(path, route);
        self.specs.push(RouteSpec { method, path, access });
        self
    }

    /// Registers a GET route.
    pub fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::GET, path, access, handler)
    }

    /// Registers a POST route.
    pub fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::POST, path, access, handler)
    }

    /// Registers a PATCH route.
    pub fn patch<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::PATCH, path, access, handler)
    }

    /// Registers a PUT route.
    pub fn put<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::PUT, path, access, handler)
    }

    /// Registers a DELETE route.
    pub fn delete<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::DELETE, path, access, handler)
    }

    /// The router and the list of routes.
    pub fn finish(self) -> (Router<AppState>, Vec<RouteSpec>) {
        (self.router, self.specs)
    }
}

/// What the guard learned about the caller, for the handler.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The signed-in person, if any.
    pub user: Option<CurrentUser>,
    /// The session cookie's secret, when signed in by cookie.
    pub session_token: Option<String>,
    /// The API token, when signed in by one.
    pub api_token: Option<String>,
    /// The CSRF token forms must carry (session's, or the pre-session cookie's).
    pub csrf: String,
    /// The language of the response.
    pub locale: Locale,
    /// The workspace of the path and the caller's role there, for workspace routes.
    pub access: Option<WorkspaceAccess>,
    /// The client's address.
    pub client: String,
}

impl Ctx {
    /// The actor for use cases; only valid on routes that require a signed-in caller.
    pub fn actor(&self) -> Actor {
        Actor::User(self.user.clone().expect("route requires a signed-in caller"))
    }

    /// The signed-in person; only valid on routes that require one.
    pub fn me(&self) -> &CurrentUser {
        self.user.as_ref().expect("route requires a signed-in caller")
    }

    /// A translator for the response's language.
    pub fn tr(&self) -> Tr {
        Tr::new(self.locale)
    }

    /// The workspace access; only valid on workspace routes.
    pub fn ws(&self) -> &WorkspaceAccess {
        self.access.as_ref().expect("workspace route")
    }
}

pub(crate) const SESSION_COOKIE: &str = "tutti_session";
pub(crate) const CSRF_COOKIE: &str = "tutti_csrf";

/// The value of a cookie in the request.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The one guard: resolves the caller, checks CSRF, checks access, then runs the handler.
async fn guard(State((state, access)): State<(AppState, Access)>, request: Request, next: Next) -> Response {
    match check(&state, access, request).await {
        Ok((request, new_cookie)) => {
            let mut response = next.run(request).await;
            if let Some(value) = new_cookie {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(response) => response,
    }
}

async fn check(
    state: &AppState,
    access: Access,
    request: Request,
) -> Result<(Request, Option<HeaderValue>), Response> {
    let api = is_api(request.uri().path());
    let headers = request.headers().clone();
    let accept_locale = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language)
        .unwrap_or(Locale::En);
    let fail = |err: AppError, locale: Locale| WebError::new(err, api, locale).into_response();
    let client = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| client_address(c.0.ip(), &headers, &state.config.trusted_proxies).to_string())
        .unwrap_or_else(|| "local".into());

    // Who is calling: a bearer token (API clients) or a session cookie (browsers).
    let mut user = None;
    let mut session_token = None;
    let mut session_csrf = None;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(secret) = bearer {
        match state.app.token_user(secret.trim()).await {
            Ok(Some(u)) => user = Some(u),
            Ok(None) => {
                return Err(fail(
                    AppError::Unauthenticated("the API token is invalid or revoked"),
                    accept_locale,
                ))
            }
            Err(e) => return Err(fail(e, accept_locale)),
        }
    } else if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        match state.app.session_user(token).await {
            Ok(Some((u, csrf))) => {
                user = Some(u);
                session_token = Some(token.to_owned());
                session_csrf = Some(csrf);
            }
            Ok(None) => {}
            Err(e) => return Err(fail(e, accept_locale)),
        }
    }
    let locale = user
        .as_ref()
        .and_then(|u| u.locale.as_deref())
        .and_then(|l| Locale::parse(l, "locale").ok())
        .unwrap_or(accept_locale);

    // The CSRF token: the session's, or a pre-session cookie (double submit) for sign-in forms.
    let (csrf, new_cookie) = match (&session_csrf, cookie(&headers, CSRF_COOKIE)) {
        (Some(c), _) => (c.clone(), None),
        (None, Some(c)) if c.len() == 64 => (c.to_owned(), None),
        _ => {
            let fresh = tutti_app::secrets::new_secret("");
            let secure = if state.config.secure_cookies { "; Secure" } else { "" };
            let value = HeaderValue::from_str(&format!(
                "{CSRF_COOKIE}={fresh}; Path=/; HttpOnly; SameSite=Lax{secure}"
            ))
            .expect("ascii cookie");
            (fresh, Some(value))
        }
    };

    if access != Access::Public && user.is_none() {
        if api {
            return Err(fail(
                AppError::Unauthenticated("sign in or send an API token (Authorization: Bearer …)"),
                locale,
            ));
        }
        let next = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let target = format!("/login?next={}", form_urlencoded(next));
        return Err(Redirect::to(&target).into_response());
    }

    if access == Access::Session && bearer.is_some() {
        return Err(WebError::session_required(api, locale).into_response());
    }

    let mut request = request;
    let state_changing = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if state_changing && bearer.is_none() {
        let (sent, rebuilt) = sent_csrf(request).await?;
        request = rebuilt;
        let expected =
            if session_csrf.is_some() || new_cookie.is_none() { Some(csrf.as_str()) } else { None };
        let ok = matches!((sent.as_deref(), expected), (Some(s), Some(e)) if tutti_app::secrets::constant_time_eq(s, e));
        if !ok {
            return Err(WebError::csrf(api, locale).into_response());
        }
    }

    let mut ws_access = None;
    match access {
        Access::Public | Access::SignedIn | Access::Session => {}
        Access::Instance(action) => {
            let actor = Actor::User(user.clone().expect("checked above"));
            if let Err(e) = state.app.require(&actor, action).await {
                return Err(fail(e, locale));
            }
        }
        Access::Workspace(action) => {
            let slug = workspace_param(&mut request).await.unwrap_or_default();
            let actor = Actor::User(user.clone().expect("checked above"));
            match state.app.workspace_access(&actor, &slug, action).await {
                Ok(a) => ws_access = Some(a),
                Err(e) => return Err(fail(e, locale)),
            }
        }
    }

    let api_token = bearer.map(|b| b.trim().to_owned());
    request.extensions_mut().insert(Ctx {
        user,
        session_token,
        api_token,
        csrf,
        locale,
        access: ws_access,
        client,
    });
    Ok((request, new_cookie))
}

/// The client's address: the peer, or, when the peer is a trusted reverse proxy, the
/// rightmost address of `X-Forwarded-For` that is not itself a trusted proxy (the leftmost
/// entries are whatever the client chose to send).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for entry in forwarded.into_iter().rev() {
        // Anything unreadable was written by the client, not by a proxy: stop there.
        let Ok(ip) = entry.trim().parse::<IpAddr>() else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// The `{workspace}` parameter of the matched path.
async fn workspace_param(request: &mut Request) -> Option<String> {
    use axum::extract::FromRequestParts;
    let (mut parts, body) = std::mem::replace(request, Request::new(Body::empty())).into_parts();
    let params = RawPathParams::from_request_parts(&mut parts, &()).await.ok();
    let slug = params.and_then(|p| p.iter().find(|(k, _)| *k == "workspace").map(|(_, v)| v.to_owned()));
    *request = Request::from_parts(parts, body);
    slug
}

/// The CSRF token a request carries: the `X-CSRF-Token` header (htmx) or the `csrf` field of
/// a form. The body is read and put back for the handler.
async fn sent_csrf(request: Request) -> Result<(Option<String>, Request), Response> {
    if let Some(v) = request.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return Ok((Some(v.to_owned()), request));
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if let Ok(boundary) = multer::parse_boundary(&content_type) {
        return multipart_csrf(request, boundary).await;
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok((None, request));
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response())?;
    let sent = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|fields| fields.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v));
    Ok((sent, Request::from_parts(parts, Body::from(bytes))))
}

/// The `csrf` field of a multipart form (a post with images sent without JavaScript); the
/// body is kept whole for the handler.
async fn multipart_csrf(request: Request, boundary: String) -> Result<(Option<String>, Request), Response> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 5 * 1024 * 1024)
        .await
        .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response())?;
    let stream = futures_util::stream::once(std::future::ready(Ok::<_, std::io::Error>(bytes.clone())));
    let mut form = multer::Multipart::new(stream, boundary);
    let mut sent = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("csrf") {
            sent = field.text().await.ok();
            break;
        }
    }
    Ok((sent, Request::from_parts(parts, Body::from(bytes))))
}

fn form_urlencoded(value: &str) -> String {
    serde_urlencoded::to_string([("", value)]).map(|s| s[1..].to_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_rightmost_untrusted_forwarded_address_behind_a_trusted_proxy() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let cases: &[(&str, Option<&str>, &str)] = &[
            // An untrusted peer: its own address, whatever it claims.
            ("203.0.113.9", Some("198.51.100.1"), "203.0.113.9"),
            ("203.0.113.9", None, "203.0.113.9"),
            // A trusted proxy: the address it saw.
            ("10.0.0.2", Some("198.51.100.1"), "198.51.100.1"),
            // The client's own forged entries on the left are skipped.
            ("10.0.0.2", Some("1.2.3.4, 198.51.100.1"), "198.51.100.1"),
            // A chain of trusted proxies.
            ("10.0.0.2", Some("198.51.100.1, 10.0.0.7"), "198.51.100.1"),
            // Garbage stops the walk at the last address a proxy wrote.
            ("10.0.0.2", Some("evil, 198.51.100.1"), "198.51.100.1"),
            ("10.0.0.2", Some("198.51.100.1, nonsense"), "10.0.0.2"),
            // Nothing forwarded: the proxy itself.
            ("10.0.0.2", None, "10.0.0.2"),
            ("::1", Some("2001:db8::5"), "2001:db8::5"),
        ];
        for (peer, xff, expected) in cases {
            let mut headers = HeaderMap::new();
            if let Some(v) = xff {
                headers.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
            }
            assert_eq!(client_address(ip(peer), &headers, &trusted), ip(expected), "{peer} {xff:?}");
        }
    }
}
