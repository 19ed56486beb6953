//! One error type for every handler: JSON for the API, a page for the browser.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use tutti_app::AppError;
use tutti_domain::Locale;

use crate::i18n::Tr;

/// A failed request, rendered as JSON under `/api/` and as a page elsewhere.
#[derive(Debug)]
pub struct WebError {
    kind: Kind,
    api: bool,
    locale: Locale,
}

#[derive(Debug)]
enum Kind {
    App(AppError),
    Csrf,
    SessionRequired,
    BadRequest(String),
}

impl WebError {
    /// Wraps a use-case error.
    pub fn new(err: AppError, api: bool, locale: Locale) -> WebError {
        WebError { kind: Kind::App(err), api, locale }
    }

    /// A state-changing request without a valid CSRF token.
    pub fn csrf(api: bool, locale: Locale) -> WebError {
        WebError { kind: Kind::Csrf, api, locale }
    }

    /// A route for browser sessions only, called with an API token.
    pub fn session_required(api: bool, locale: Locale) -> WebError {
        WebError { kind: Kind::SessionRequired, api, locale }
    }

    /// A request the server cannot read (malformed JSON, wrong types).
    pub fn bad_request(message: impl Into<String>, api: bool, locale: Locale) -> WebError {
        WebError { kind: Kind::BadRequest(message.into()), api, locale }
    }

    fn parts(&self) -> (StatusCode, &'static str, String, Option<&'static str>) {
        match &self.kind {
            Kind::Csrf => (
                StatusCode::FORBIDDEN,
                "csrf",
                "the form has expired or did not come from Tutti; reload the page and try again".into(),
                None,
            ),
            Kind::SessionRequired => (
                StatusCode::FORBIDDEN,
                "session_required",
                "API tokens cannot manage credentials; sign in with the browser".into(),
                None,
            ),
            Kind::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone(), None),
            Kind::App(err) => match err {
                AppError::Invalid(e) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, e.code, e.message.clone(), Some(e.field))
                }
                AppError::Conflict(e) => (StatusCode::CONFLICT, e.code, e.message.clone(), Some(e.field)),
                AppError::Unauthenticated(m) => {
                    (StatusCode::UNAUTHORIZED, "unauthenticated", (*m).to_owned(), None)
                }
                AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", err.to_string(), None),
                AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", err.to_string(), None),
                AppError::RateLimited(_) => {
                    (StatusCode::TOO_MANY_REQUESTS, "rate_limited", err.to_string(), None)
                }
                AppError::TwoFactorRequired => {
                    (StatusCode::FORBIDDEN, "two_factor_required", err.to_string(), None)
                }
                AppError::Store(_) | AppError::Internal(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on the server; the error is in its log".into(),
                    None,
                ),
            },
        }
    }
}

impl From<(AppError, bool, Locale)> for WebError {
    fn from((err, api, locale): (AppError, bool, Locale)) -> Self {
        WebError::new(err, api, locale)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Tr,
    status: u16,
    title: String,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, code, message, field) = self.parts();
        if status.is_server_error() {
            if let Kind::App(err) = &self.kind {
                let mut chain = err.to_string();
                let mut source = std::error::Error::source(err);
                while let Some(s) = source {
                    chain.push_str(": ");
                    chain.push_str(&s.to_string());
                    source = s.source();
                }
                tracing::error!(error = %chain, "request failed");
            }
        }
        // A page of a workspace that requires two-factor sign-in leads to the enrolment page.
        if !self.api && matches!(self.kind, Kind::App(AppError::TwoFactorRequired)) {
            return axum::response::Redirect::to("/settings/two-factor?required=1").into_response();
        }
        let mut response = if self.api {
            let mut body = serde_json::json!({"error": {"code": code, "message": message}});
            if let Some(field) = field {
                body["error"]["field"] = field.into();
            }
            (status, axum::Json(body)).into_response()
        } else {
            let t = Tr::new(self.locale);
            let title = match status {
                StatusCode::FORBIDDEN => t.t("error-forbidden-title"),
                StatusCode::NOT_FOUND => t.t("error-not-found-title"),
                StatusCode::TOO_MANY_REQUESTS => t.t("error-rate-limited-title"),
                s if s.is_server_error() => t.t("error-internal-title"),
                _ => t.t("error-generic-title"),
            };
            let message = match &self.kind {
                Kind::App(AppError::Forbidden(_)) => t.t("error-forbidden"),
                Kind::App(AppError::NotFound(_)) => t.t("error-not-found"),
                Kind::Csrf => t.t("error-csrf"),
                Kind::SessionRequired => t.t("error-session-required"),
                _ => t.error(code, &message),
            };
            let page = ErrorPage { t, status: status.as_u16(), title, message };
            match page.render() {
                Ok(html) => (status, Html(html)).into_response(),
                Err(_) => (status, page.message).into_response(),
            }
        };
        if let Kind::App(AppError::RateLimited(secs)) = &self.kind {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}
