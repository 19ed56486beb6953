//! The workspace shell: the switcher, creating a workspace, the overview, and the areas to come.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_domain::Action;

use super::{form_error, form_status, layout, page_err, render, see_other, FieldError, Layout};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

/// The areas that later capabilities fill, in navigation order.
pub const AREAS: [&str; 5] = ["calendar", "inbox", "listening", "community", "analytics"];

pub fn routes(t: RouteTable) -> RouteTable {
    let ws = Access::Workspace(Action::ViewWorkspace);
    t.get("/", Access::SignedIn, home)
        .get("/workspaces", Access::SignedIn, switcher)
        .post("/workspaces", Access::Instance(Action::CreateWorkspace), create)
        .get("/w/{workspace}", ws, overview)
        .post("/w/{workspace}/notices/read", ws, read_notices)
        .get("/w/{workspace}/analytics", ws, |s: State<AppState>, c: Extension<Ctx>| area(s, c, "analytics"))
}

async fn home(State(state): State<AppState>, Extension(ctx): Extension<Ctx>) -> Result<Response, WebError> {
    let list = state.app.list_workspaces(&ctx.actor()).await.map_err(|e| page_err(e, &ctx))?;
    match list.iter().find(|(_, role)| role.is_some()) {
        Some((ws, _)) => Ok(see_other(&format!("/w/{}", ws.slug))),
        None => Ok(see_other("/workspaces")),
    }
}

#[derive(Template)]
#[template(path = "workspaces.html")]
struct SwitcherPage {
    l: Layout,
    name: String,
    timezone: String,
    error: FieldError,
}

async fn switcher(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    let l = layout(&state, &ctx, ctx.tr().t("workspaces-title"), "workspaces").await?;
    let tz = ctx.me().timezone.clone();
    render(
        StatusCode::OK,
        &SwitcherPage { l, name: String::new(), timezone: tz, error: FieldError::default() },
    )
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
}

async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<CreateForm>,
) -> Result<Response, WebError> {
    match state.app.create_workspace(&ctx.actor(), &form.name, &form.timezone).await {
        Ok(ws) => Ok(see_other(&format!("/w/{}/team", ws.slug))),
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let l = layout(&state, &ctx, ctx.tr().t("workspaces-title"), "workspaces").await?;
            let page = SwitcherPage { l, name: form.name, timezone: form.timezone, error };
            render(form_status(&page.error), &page)
        }
    }
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    l: Layout,
    slug: String,
    members: usize,
    areas: Vec<(&'static str, String, String, bool)>,
    /// Name, initials and translated role of each member.
    team: Vec<(String, String, String)>,
    /// The reader's role, translated.
    my_role: String,
    /// The reader's unread notices: what happened, the network's words, where to act.
    notices: Vec<(String, String, String)>,
}

async fn overview(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    let ws = ctx.ws().workspace.clone();
    let list = state.app.list_members(&ctx.actor(), &ws.slug).await.map_err(|e| page_err(e, &ctx))?;
    let t = ctx.tr();
    let members = list.len();
    let team =
        list.into_iter().map(|m| (super::initials(&m.name), super::role_label(&t, m.role), m.name)).collect();
    let my_role =
        ctx.ws().role.map(|r| super::role_label(&t, r)).unwrap_or_else(|| t.t("overview-instance-admin"));
    let can_listen = ctx.ws().allows(tutti_domain::Action::ViewListening);
    let can_write = ctx.ws().allows(tutti_domain::Action::WritePosts);
    let can_inbox = ctx.ws().allows(tutti_domain::Action::ViewInbox);
    let areas = AREAS
        .iter()
        .filter(|a| {
            (**a != "listening" || can_listen)
                && (**a != "calendar" || can_write)
                && (**a != "inbox" || can_inbox)
                && (**a != "community" || ctx.ws().allows(tutti_domain::Action::ViewCommunity))
        })
        .map(|a| {
            let live = matches!(*a, "listening" | "calendar" | "inbox" | "community");
            let text = t.t(&format!("area-{a}-{}", if live { "live" } else { "soon" }));
            (*a, t.t(&format!("nav-{a}")), text, live)
        })
        .collect();
    let notices = state
        .app
        .notices(&ctx.actor(), &ws.slug)
        .await
        .map_err(|e| page_err(e, &ctx))?
        .into_iter()
        .map(|n| {
            let handle = if n.kind != tutti_app::notices::CHANNEL_RECONNECT || n.subject.starts_with('@') {
                n.subject.clone()
            } else {
                format!("@{}", n.subject)
            };
            let what = t.t1(&format!("notice-{}", n.kind), "subject", &handle);
            // Only links inside Tutti are followed.
            let link =
                if n.link.starts_with('/') && !n.link.starts_with("//") { n.link } else { String::new() };
            (what, n.detail, link)
        })
        .collect();
    let l = layout(&state, &ctx, ws.name.clone(), "home").await?;
    render(StatusCode::OK, &OverviewPage { l, slug: ws.slug, members, areas, team, my_role, notices })
}

async fn read_notices(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    state.app.mark_notices_read(&ctx.actor(), &slug).await.map_err(|e| page_err(e, &ctx))?;
    Ok(see_other(&format!("/w/{slug}")))
}

#[derive(Template)]
#[template(path = "area.html")]
struct AreaPage {
    l: Layout,
    heading: String,
    soon: String,
}

async fn area(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    area: &'static str,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let heading = t.t(&format!("nav-{area}"));
    let soon = t.t(&format!("area-{area}-soon"));
    let l = layout(&state, &ctx, heading.clone(), area).await?;
    render(StatusCode::OK, &AreaPage { l, heading, soon })
}
