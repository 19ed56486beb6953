//! The team of a workspace (invite, change role, remove) and its audit log.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_app::store::audit::AuditEntry;
use tutti_app::store::workspaces::Member;
use tutti_app::AuditQuery;
use tutti_domain::{Action, Role};

use super::common::{
    form_error, form_status, is_htmx, layout, page_err, render, role_label, see_other, FieldError, Layout,
};
use crate::error::WebError;
use crate::format;
use crate::i18n::Tr;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let manage = Access::Workspace(Action::ManageTeam);
    t.get("/w/{workspace}/team", manage, team_page)
        .post("/w/{workspace}/team", manage, invite)
        .post("/w/{workspace}/team/{user}/role", manage, change_role)
        .post("/w/{workspace}/team/{user}/remove", manage, remove)
        .post(
            "/w/{workspace}/team/two-factor",
            Access::Workspace(Action::ManageWorkspace),
            require_two_factor,
        )
        .get("/w/{workspace}/audit", Access::Workspace(Action::ViewAudit), audit_page)
}

/// A role choice in a `<select>`.
#[derive(Debug, Clone)]
pub struct RoleOption {
    value: &'static str,
    label: String,
    selected: bool,
}

fn role_options(t: &Tr, selected: Option<Role>, can_admins: bool) -> Vec<RoleOption> {
    Role::ALL
        .into_iter()
        .filter(|r| can_admins || *r != Role::Admin || selected == Some(Role::Admin))
        .map(|r| RoleOption { value: r.as_str(), label: role_label(t, r), selected: selected == Some(r) })
        .collect()
}

#[derive(Template)]
#[template(path = "team_row.html")]
struct TeamRow {
    t: Tr,
    slug: String,
    m: Member,
    initial: String,
    roles: Vec<RoleOption>,
    role_name: String,
    editable: bool,
    is_me: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    l: Layout,
    slug: String,
    rows: Vec<String>,
    count: usize,
    roles: Vec<RoleOption>,
    email: String,
    error: FieldError,
    invitation: Option<(String, String)>,
    /// Said after adding someone who waits for another workspace's invitation.
    notice: Option<String>,
    /// Whether the workspace requires two-factor sign-in, for those who may change it.
    two_factor: Option<bool>,
}

fn row(ctx: &Ctx, m: Member, error: Option<String>) -> TeamRow {
    let t = ctx.tr();
    let access = ctx.ws();
    let can_admins = access.allows(Action::ManageAdmins);
    TeamRow {
        slug: access.workspace.slug.clone(),
        roles: role_options(&t, Some(m.role), can_admins),
        role_name: role_label(&t, m.role),
        editable: can_admins || m.role != Role::Admin,
        is_me: ctx.user.as_ref().is_some_and(|u| u.id == m.user_id),
        initial: super::common::initials(&m.name),
        t,
        m,
        error,
    }
}

async fn team_view(
    state: &AppState,
    ctx: &Ctx,
    email: String,
    error: FieldError,
    invitation: Option<(String, String)>,
) -> Result<TeamPage, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    let members = state.app.list_members(&ctx.actor(), &slug).await.map_err(|e| page_err(e, ctx))?;
    let count = members.len();
    let rows = members
        .into_iter()
        .map(|m| row(ctx, m, None).render())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| page_err(tutti_app::AppError::Internal(e.to_string()), ctx))?;
    let t = ctx.tr();
    let l = layout(state, ctx, t.t("team-title"), "team").await?;
    let roles = role_options(&t, Some(Role::Cm), ctx.ws().allows(Action::ManageAdmins));
    let two_factor =
        ctx.ws().allows(Action::ManageWorkspace).then_some(ctx.ws().workspace.require_two_factor);
    Ok(TeamPage { l, slug, rows, count, roles, email, error, invitation, notice: None, two_factor })
}

async fn team_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    let page = team_view(&state, &ctx, String::new(), FieldError::default(), None).await?;
    render(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

async fn invite(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<InviteForm>,
) -> Result<Response, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    match state.app.add_member(&ctx.actor(), &slug, &form.email, &form.role).await {
        Ok(added) => {
            let invitation = added.invitation.map(|secret| {
                (added.member.email.clone(), format!("{}/invite/{secret}", state.public_url()))
            });
            let mut page = team_view(&state, &ctx, String::new(), FieldError::default(), invitation).await?;
            if added.awaiting_other_invitation {
                page.notice = Some(ctx.tr().t1("team-invited-elsewhere", "email", &added.member.email));
            }
            render(StatusCode::OK, &page)
        }
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let page = team_view(&state, &ctx, form.email, error, None).await?;
            render(form_status(&page.error), &page)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

async fn change_role(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, user)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<RoleForm>,
) -> Result<Response, WebError> {
    let result = state.app.change_role(&ctx.actor(), &slug, &user, &form.role).await;
    member_result(&state, &ctx, &slug, &user, &headers, result.map(Some)).await
}

async fn remove(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, user)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let result = state.app.remove_member(&ctx.actor(), &slug, &user).await;
    member_result(&state, &ctx, &slug, &user, &headers, result.map(|_| None)).await
}

/// Answers a change to one member: the new row for htmx, the team page otherwise.
async fn member_result(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    user: &str,
    headers: &HeaderMap,
    result: Result<Option<Member>, tutti_app::AppError>,
) -> Result<Response, WebError> {
    let htmx = is_htmx(headers);
    match result {
        Ok(Some(m)) if htmx => Ok(Html(row(ctx, m, None).render().unwrap_or_default()).into_response()),
        Ok(None) if htmx => Ok(Html(String::new()).into_response()),
        Ok(_) => Ok(see_other(&format!("/w/{slug}/team"))),
        Err(e) => {
            let error = form_error(e, ctx)?;
            if htmx {
                let members =
                    state.app.list_members(&ctx.actor(), slug).await.map_err(|e| page_err(e, ctx))?;
                if let Some(m) =
                    members.into_iter().find(|m| m.user_id.to_string() == user || m.email == user)
                {
                    // htmx swaps only 2xx answers by default; the row carries the error.
                    return Ok(
                        Html(row(ctx, m, Some(error.message)).render().unwrap_or_default()).into_response()
                    );
                }
            }
            let status = form_status(&error);
            let page = team_view(state, ctx, String::new(), error, None).await?;
            render(status, &page)
        }
    }
}

/// One audit entry as shown.
#[derive(Debug, Clone)]
pub struct AuditView {
    when: String,
    iso: String,
    actor: String,
    action: String,
    action_code: String,
    target: String,
    changes: Vec<(String, String, String)>,
    /// The exact time, for the hover.
    exact: String,
}

#[derive(Template)]
#[template(path = "audit_rows.html")]
struct AuditRows {
    t: Tr,
    entries: Vec<AuditView>,
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    l: Layout,
    slug: String,
    rows: String,
    action: String,
    actor: String,
    from: String,
    to: String,
    actions: Vec<(&'static str, String)>,
    error: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone)]
pub struct AuditParams {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: Option<i64>,
}

async fn audit_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Query(p): Query<AuditParams>,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let ws = ctx.ws().workspace.clone();
    let tz = ctx.me().timezone.clone();
    let mut error = None;
    let mut day = |value: &str, field: &str| {
        if value.trim().is_empty() {
            return None;
        }
        let parsed = format::day_start(value, &tz);
        if parsed.is_none() {
            error = Some(t.t1("audit-bad-date", "field", &t.t(field)));
        }
        parsed
    };
    let from = day(&p.from, "audit-from");
    let to = day(&p.to, "audit-to").map(|d| d + 24 * 3600 * 1000);
    let query = AuditQuery {
        action: Some(p.action.clone()),
        actor: Some(p.actor.clone()),
        from,
        to,
        before_id: p.before,
        limit: 50,
    };
    let entries = state.app.audit_log(&ctx.actor(), &ws.slug, &query).await.map_err(|e| page_err(e, &ctx))?;
    let more = (entries.len() == 50).then(|| {
        let last = entries.last().map(|e| e.id).unwrap_or_default();
        let q = serde_urlencoded::to_string([
            ("action", &p.action),
            ("actor", &p.actor),
            ("from", &p.from),
            ("to", &p.to),
            ("before", &last.to_string()),
        ])
        .unwrap_or_default();
        format!("/w/{}/audit?{q}", ws.slug)
    });
    let entries = entries.into_iter().map(|e: AuditEntry| {
        let label = t.t(&format!("audit-action-{}", e.action.replace('.', "-")));
        AuditView {
            when: format::datetime(e.at, &tz, ctx.locale),
            exact: format!("{} ({tz})", format::datetime(e.at, &tz, ctx.locale)),
            iso: format::iso(e.at),
            actor: e.actor,
            action: label,
            action_code: e.action,
            target: e.target,
            changes: super::audit_values::changes(e.before.as_deref(), e.after.as_deref(), &t, &tz),
        }
    });
    let rows = AuditRows { t, entries: entries.collect(), more };
    let rows_html =
        rows.render().map_err(|e| page_err(tutti_app::AppError::Internal(e.to_string()), &ctx))?;
    // A filter change or "load more" from htmx only needs the rows.
    if is_htmx(&headers) && headers.get("hx-target").and_then(|v| v.to_str().ok()) == Some("audit-rows") {
        return Ok(Html(rows_html).into_response());
    }
    let actions =
        ["", "member.", "workspace.", "access.", "listening.", "token.", "user.", "invitation.", "instance."]
            .into_iter()
            .map(|a| {
                (
                    a,
                    t.t(&format!(
                        "audit-filter-{}",
                        if a.is_empty() { "all" } else { a.trim_end_matches('.') }
                    )),
                )
            })
            .collect();
    let l = layout(&state, &ctx, t.t("audit-title"), "audit").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(
        status,
        &AuditPage {
            l,
            slug: ws.slug,
            rows: rows_html,
            action: p.action,
            actor: p.actor,
            from: p.from,
            to: p.to,
            actions,
            error,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct TwoFactorForm {
    #[serde(default)]
    required: String,
}

/// Requires (or stops requiring) two-factor sign-in of the workspace's members.
async fn require_two_factor(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<TwoFactorForm>,
) -> Result<Response, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    let required = form.required == "1";
    match state.app.set_two_factor_required(&ctx.actor(), &slug, required).await {
        Ok(()) => Ok(see_other(&format!("/w/{slug}/team"))),
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let page = team_view(&state, &ctx, String::new(), error, None).await?;
            render(form_status(&page.error), &page)
        }
    }
}
