//! What every page shares: the layout around a signed-in page (workspace switcher, sidebar
//! and its counts, crisis banner), rendering a template, page and form errors, redirects, the
//! session cookie, and the workspace's time zone.

use askama::Template;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use tutti_app::{AppError, CurrentUser};
use tutti_domain::{Action, Role};

use crate::error::WebError;
pub use crate::forms::FieldError;
use crate::i18n::Tr;
use crate::routes::Ctx;
use crate::AppState;

/// A workspace in the switcher.
#[derive(Debug, Clone)]
pub struct WsLink {
    /// URL identifier.
    pub slug: String,
    /// Name.
    pub name: String,
    /// First letter of the name, for the avatar.
    pub initial: String,
    /// The reader's role there, translated (empty for an instance admin who is not a member).
    pub role: String,
}

/// What the layout shows around every page.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Translator.
    pub t: Tr,
    /// Page title.
    pub title: String,
    /// CSRF token for forms and htmx.
    pub csrf: String,
    /// The signed-in person.
    pub user: Option<CurrentUser>,
    /// Initials for the avatar.
    pub initials: String,
    /// Workspaces for the switcher.
    pub workspaces: Vec<WsLink>,
    /// The current workspace.
    pub current: Option<WsLink>,
    /// Which navigation entry is active.
    pub nav: &'static str,
    /// Whether the team entry shows.
    pub can_team: bool,
    /// Whether the audit entry shows.
    pub can_audit: bool,
    /// Whether the editorial charter entry shows (those who may change it).
    pub can_charter: bool,
    /// Whether the calendar entry is live for the reader (they may write posts).
    pub can_write: bool,
    /// Whether the reader may create workspaces.
    pub can_create: bool,
    /// Whether the listening entry is live for the reader.
    pub can_listen: bool,
    /// Whether the reader may open the inbox.
    pub can_inbox: bool,
    /// Whether the reader may open the community.
    pub can_community: bool,
    /// Whether the reader may read the product feedback.
    pub can_feedback: bool,
    /// Whether the reader may moderate (the Moderation entry).
    pub can_moderate: bool,
    /// Whether the reader may read the analytics.
    pub can_analytics: bool,
    /// Since when the current workspace is in crisis mode, formatted, if it is.
    pub crisis: Option<String>,
    /// Whether the reader may turn crisis mode on or off here.
    pub can_crisis: bool,
    /// What waits in the current workspace, for the sidebar's counts (zero outside one).
    pub counts: tutti_app::store::desk::Counts,
    /// The search of the top bar, as typed (on the search page).
    pub search: String,
}

impl Layout {
    /// Whether `key` is the active navigation entry (for `aria-current`).
    pub fn is(&self, key: &str) -> bool {
        self.nav == key
    }

    /// A sidebar count read aloud: « 3 waiting », "2 failed".
    pub fn nav_count(&self, key: &str, n: impl std::borrow::Borrow<i64>) -> String {
        self.t.tn(key, "count", &usize::try_from(*n.borrow()).unwrap_or_default())
    }

    /// The inbox's waiting conversations: the reader's and those of no one.
    pub fn inbox_waiting(&self) -> i64 {
        self.counts.inbox_mine + self.counts.inbox_unassigned
    }
}

/// A role's name in the reader's language.
pub fn role_label(t: &Tr, role: Role) -> String {
    t.t(&format!("role-{}", role.as_str()))
}

pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|w| w.chars().next()).take(2).flat_map(char::to_uppercase).collect()
}

/// Builds the layout for a signed-in page.
pub async fn layout(
    state: &AppState,
    ctx: &Ctx,
    title: String,
    nav: &'static str,
) -> Result<Layout, WebError> {
    let t = ctx.tr();
    let actor = ctx.actor();
    let list = state.app.list_workspaces(&actor).await.map_err(|e| page_err(e, ctx))?;
    let link = |w: &tutti_app::store::workspaces::Workspace, r: Option<Role>| WsLink {
        slug: w.slug.clone(),
        name: w.name.clone(),
        initial: initials(&w.name).chars().next().map(String::from).unwrap_or_default(),
        role: r.map(|r| role_label(&t, r)).unwrap_or_default(),
    };
    let workspaces: Vec<WsLink> = list.iter().map(|(w, r)| link(w, *r)).collect();
    let current = ctx.access.as_ref().map(|a| link(&a.workspace, a.role));
    let user = ctx.user.clone();
    let crisis = match &ctx.access {
        Some(a) => state
            .app
            .crisis(&actor, &a.workspace.slug)
            .await
            .map_err(|e| page_err(e, ctx))?
            .map(|c| crate::format::datetime(c.since, &ctx.me().timezone, ctx.locale)),
        None => None,
    };
    // One statement counts what waits, for every entry of the sidebar.
    let counts = match &ctx.access {
        Some(a) => state.app.desk_counts(&actor, &a.workspace.slug).await.map_err(|e| page_err(e, ctx))?,
        None => Default::default(),
    };
    Ok(Layout {
        counts,
        search: String::new(),
        crisis,
        can_crisis: ctx.access.as_ref().is_some_and(|a| a.allows(Action::ManageCrisis)),
        t,
        title,
        csrf: ctx.csrf.clone(),
        initials: user.as_ref().map(|u| initials(&u.name)).unwrap_or_default(),
        can_create: actor.require(Action::CreateWorkspace).is_ok(),
        user,
        workspaces,
        current,
        nav,
        can_team: ctx.access.as_ref().is_some_and(|a| a.allows(Action::ManageTeam)),
        can_audit: ctx.access.as_ref().is_some_and(|a| a.allows(Action::ViewAudit)),
        can_charter: ctx.access.as_ref().is_some_and(|a| a.allows(Action::ApprovePosts)),
        can_write: ctx.access.as_ref().is_some_and(|a| a.allows(Action::WritePosts)),
        can_listen: ctx.access.as_ref().is_some_and(|a| a.allows(Action::ViewListening)),
        can_inbox: ctx.access.as_ref().is_some_and(|a| a.allows(Action::ViewInbox)),
        can_community: ctx.access.as_ref().is_some_and(|a| a.allows(Action::ViewCommunity)),
        can_feedback: ctx.access.as_ref().is_some_and(|a| a.allows(Action::ViewFeedback)),
        can_moderate: ctx.access.as_ref().is_some_and(|a| a.allows(Action::ManageModeration)),
        can_analytics: ctx.access.as_ref().is_some_and(|a| a.allows(Action::ViewAnalytics)),
    })
}

/// The layout of pages shown before sign-in.
pub fn bare_layout(ctx: &Ctx, title: String) -> Layout {
    Layout {
        t: ctx.tr(),
        title,
        csrf: ctx.csrf.clone(),
        user: None,
        initials: String::new(),
        workspaces: Vec::new(),
        current: None,
        nav: "",
        can_team: false,
        can_audit: false,
        can_charter: false,
        can_write: false,
        can_create: false,
        can_listen: false,
        can_inbox: false,
        can_community: false,
        can_feedback: false,
        can_moderate: false,
        can_analytics: false,
        crisis: None,
        can_crisis: false,
        counts: Default::default(),
        search: String::new(),
    }
}

/// The workspace's time zone (Paris if the stored name is unknown, as elsewhere).
pub fn zone(ctx: &Ctx) -> chrono_tz::Tz {
    crate::format::zone_named(&ctx.ws().workspace.timezone)
}

/// Renders a template into a response with `status`.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Result<Response, WebError> {
    let html = page.render().map_err(|e| {
        WebError::new(AppError::Internal(format!("template: {e}")), false, tutti_domain::Locale::En)
    })?;
    Ok((status, Html(html)).into_response())
}

/// A page-flavoured error.
pub fn page_err(err: AppError, ctx: &Ctx) -> WebError {
    WebError::new(err, false, ctx.locale)
}

/// Turns input errors into a message for the form; passes other errors on.
pub fn form_error(err: AppError, ctx: &Ctx) -> Result<FieldError, WebError> {
    let t = ctx.tr();
    match &err {
        AppError::Invalid(e) | AppError::Conflict(e) => {
            Ok(FieldError { field: e.field.to_owned(), message: t.error(e.code, &e.message) })
        }
        AppError::Forbidden(_) => Ok(FieldError { field: String::new(), message: t.t("error-forbidden") }),
        _ => Err(page_err(err, ctx)),
    }
}

/// The status a form re-rendered with an error answers with.
pub fn form_status(err: &FieldError) -> StatusCode {
    if err.field.is_empty() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// A redirect after a successful form (303, so the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Whether the request came from htmx.
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// Only local paths may be redirect targets after sign-in: a single `/` first, then printable
/// ASCII without a backslash. Browsers drop tabs and newlines from a `Location` and read `\` as
/// `/`, so `/\t/evil.example` or `/\\evil.example` would leave the site; anything doubtful
/// goes to `/`.
pub fn safe_next(next: &str) -> &str {
    let bytes = next.as_bytes();
    let local = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && bytes.iter().all(|&b| b.is_ascii_graphic() && b != b'\\');
    if local {
        next
    } else {
        "/"
    }
}

/// The `Set-Cookie` value that stores a session (or clears it with `None`).
pub fn session_cookie(state: &AppState, session: Option<(&str, i64)>) -> HeaderValue {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let value = match session {
        Some((token, expires_at)) => {
            let max_age = ((expires_at - tutti_app::store::now_ms()) / 1000).max(0);
            format!(
                "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
                crate::routes::SESSION_COOKIE
            )
        }
        None => {
            format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", crate::routes::SESSION_COOKIE)
        }
    };
    HeaderValue::from_str(&value).expect("ascii cookie")
}

/// Adds a session cookie to a response.
pub fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        for good in ["/", "/w/acme-studio/inbox", "/settings?tab=tokens#x", "/w/a%2Fb", "/%5Cevil"] {
            assert_eq!(safe_next(good), good, "{good:?}");
        }
        for evil in [
            "",
            "//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "/\u{0}/evil.example",
            "/\u{85}/evil.example",
            "/\u{a0}/evil.example",
            "/\u{3000}/evil.example",
            "/x\\..\\..\\evil",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "evil.example",
            " /settings",
            "/settings\u{7f}",
        ] {
            assert_eq!(safe_next(evil), "/", "{evil:?}");
        }
    }
}
