//! The workspace shell: the switcher, creating a workspace (the first one right after setup),
//! and the notices.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_domain::Action;

use super::common::{form_error, form_status, layout, page_err, render, see_other, FieldError, Layout};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let ws = Access::Workspace(Action::ViewWorkspace);
    t.get("/", Access::SignedIn, home)
        .get("/workspaces", Access::SignedIn, switcher)
        .post("/workspaces", Access::Instance(Action::CreateWorkspace), create)
        .post("/w/{workspace}/notices/read", ws, read_notices)
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
    language: String,
    /// The IANA zones to choose from, grouped by region: (region, [(zone, label)]).
    zones: Vec<(String, Vec<(&'static str, String)>)>,
    error: FieldError,
}

/// Every IANA zone people live in (`Region/City`, plus UTC), grouped by region, cities in
/// alphabetical order, labelled `City` (underscores read as spaces).
fn zone_groups() -> Vec<(String, Vec<(&'static str, String)>)> {
    const REGIONS: [&str; 9] =
        ["Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"];
    let mut groups: Vec<(String, Vec<(&'static str, String)>)> =
        REGIONS.iter().map(|r| ((*r).to_owned(), Vec::new())).collect();
    for tz in chrono_tz::TZ_VARIANTS {
        let name = tz.name();
        let Some((region, city)) = name.split_once('/') else { continue };
        if let Some(g) = groups.iter_mut().find(|(r, _)| r == region) {
            g.1.push((name, city.replace('_', " ").replace('/', " / ")));
        }
    }
    for g in &mut groups {
        g.1.sort_by(|a, b| a.1.cmp(&b.1));
    }
    groups.push(("UTC".to_owned(), vec![("UTC", "UTC".to_owned())]));
    groups
}

async fn switcher(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    let l = layout(&state, &ctx, ctx.tr().t("workspaces-title"), "workspaces").await?;
    let tz = ctx.me().timezone.clone();
    let language = ctx.locale.as_str().to_owned();
    render(
        StatusCode::OK,
        &SwitcherPage {
            l,
            name: String::new(),
            timezone: tz,
            language,
            zones: zone_groups(),
            error: FieldError::default(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
    /// The team's language (`fr`, `en`); empty keeps none.
    #[serde(default)]
    language: String,
}

async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<CreateForm>,
) -> Result<Response, WebError> {
    let first = state.app.list_workspaces(&ctx.actor()).await.map_err(|e| page_err(e, &ctx))?.is_empty();
    let created = if form.language.trim().is_empty() {
        state.app.create_workspace(&ctx.actor(), &form.name, &form.timezone).await
    } else {
        state.app.create_workspace_in(&ctx.actor(), &form.name, &form.timezone, &form.language).await
    };
    match created {
        // The first workspace opens on its overview, which says what to do next; later ones on
        // their team, to invite people.
        Ok(ws) if first => Ok(see_other(&format!("/w/{}", ws.slug))),
        Ok(ws) => Ok(see_other(&format!("/w/{}/team", ws.slug))),
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let l = layout(&state, &ctx, ctx.tr().t("workspaces-title"), "workspaces").await?;
            let page = SwitcherPage {
                l,
                name: form.name,
                timezone: form.timezone,
                language: form.language,
                zones: zone_groups(),
                error,
            };
            render(form_status(&page.error), &page)
        }
    }
}

async fn read_notices(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    state.app.mark_notices_read(&ctx.actor(), &slug).await.map_err(|e| page_err(e, &ctx))?;
    Ok(see_other(&format!("/w/{slug}")))
}
