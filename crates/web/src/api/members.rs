//! The account and team part of the REST API: the signed-in account, the workspaces it can
//! open, and the members of a workspace (listed, added with an invitation, role changed,
//! removed).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tutti_app::store::workspaces::Member;
use tutti_domain::Action;
use utoipa::ToSchema;

use super::common::{body, err, required, ErrorResponse};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/api/v1/me", Access::SignedIn, me)
        .get("/api/v1/workspaces", Access::SignedIn, workspaces)
        .get("/api/v1/workspaces/{workspace}/members", Access::Workspace(Action::ViewMembers), list_members)
        .post("/api/v1/workspaces/{workspace}/members", Access::Workspace(Action::ManageTeam), add_member)
        .patch(
            "/api/v1/workspaces/{workspace}/members/{user}",
            Access::Workspace(Action::ManageTeam),
            change_role,
        )
        .delete(
            "/api/v1/workspaces/{workspace}/members/{user}",
            Access::Workspace(Action::ManageTeam),
            remove_member,
        )
}

/// The signed-in account.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    id: i64,
    email: String,
    name: String,
    /// Instance administrator.
    is_admin: bool,
    /// `fr`, `en`, or null to follow the browser.
    locale: Option<String>,
    timezone: String,
}

/// A workspace and the caller's role there.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceResponse {
    slug: String,
    name: String,
    timezone: String,
    /// The caller's role, or null for an instance admin who is not a member.
    role: Option<String>,
}

/// A member of a workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    user_id: i64,
    email: String,
    name: String,
    /// One of admin, smm, cm, analyst, contributor, product.
    role: String,
    /// False until an invited person sets their password.
    active: bool,
    /// Present when the person was new to Tutti: the invitation link's path, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation_path: Option<String>,
}

impl MemberResponse {
    fn from(m: Member, invitation: Option<String>) -> Self {
        MemberResponse {
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role.as_str().to_owned(),
            active: m.active,
            invitation_path: invitation.map(|s| format!("/invite/{s}")),
        }
    }
}

/// Adds a member.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddMemberRequest {
    email: Option<String>,
    /// One of admin, smm, cm, analyst, contributor, product.
    role: Option<String>,
}

/// Changes a member's role.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangeRoleRequest {
    /// One of admin, smm, cm, analyst, contributor, product.
    role: Option<String>,
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorResponse)))]
pub async fn me(Extension(ctx): Extension<Ctx>) -> Json<MeResponse> {
    let u = ctx.me().clone();
    Json(MeResponse {
        id: u.id,
        email: u.email,
        name: u.name,
        is_admin: u.is_admin,
        locale: u.locale,
        timezone: u.timezone,
    })
}

/// The workspaces the caller can open.
#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces",
    responses((status = 200, body = [WorkspaceResponse]), (status = 401, body = ErrorResponse)))]
pub async fn workspaces(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Vec<WorkspaceResponse>>, WebError> {
    let list = state.app.list_workspaces(&ctx.actor()).await.map_err(err(&ctx))?;
    Ok(Json(
        list.into_iter()
            .map(|(w, r)| WorkspaceResponse {
                slug: w.slug,
                name: w.name,
                timezone: w.timezone,
                role: r.map(|r| r.as_str().to_owned()),
            })
            .collect(),
    ))
}

/// The members of a workspace.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/members", tag = "team",
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 200, body = [MemberResponse]), (status = 401, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn list_members(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Result<Json<Vec<MemberResponse>>, WebError> {
    let members = state.app.list_members(&ctx.actor(), &slug).await.map_err(err(&ctx))?;
    Ok(Json(members.into_iter().map(|m| MemberResponse::from(m, None)).collect()))
}

/// Adds a person to a workspace; a person new to Tutti gets an invitation.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/members", tag = "team", request_body = AddMemberRequest,
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 201, body = MemberResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn add_member(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    payload: Result<Json<AddMemberRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = body(&ctx, payload)?;
    let email = required(req.email, "email").map_err(err(&ctx))?;
    let role = required(req.role, "role").map_err(err(&ctx))?;
    let added = state.app.add_member(&ctx.actor(), &slug, &email, &role).await.map_err(err(&ctx))?;
    Ok((StatusCode::CREATED, Json(MemberResponse::from(added.member, added.invitation))).into_response())
}

/// Changes a member's role.
#[utoipa::path(patch, path = "/api/v1/workspaces/{workspace}/members/{user}", tag = "team", request_body = ChangeRoleRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("user" = String, Path, description = "The member's account id or e-mail")),
    responses((status = 200, body = MemberResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
              (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn change_role(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, user)): Path<(String, String)>,
    payload: Result<Json<ChangeRoleRequest>, JsonRejection>,
) -> Result<Json<MemberResponse>, WebError> {
    let req = body(&ctx, payload)?;
    let role = required(req.role, "role").map_err(err(&ctx))?;
    let member = state.app.change_role(&ctx.actor(), &slug, &user, &role).await.map_err(err(&ctx))?;
    Ok(Json(MemberResponse::from(member, None)))
}

/// Removes a member from a workspace.
#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace}/members/{user}", tag = "team",
    params(("workspace" = String, Path, description = "The workspace's slug"), ("user" = String, Path, description = "The member's account id or e-mail")),
    responses((status = 204), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn remove_member(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, user)): Path<(String, String)>,
) -> Result<StatusCode, WebError> {
    state.app.remove_member(&ctx.actor(), &slug, &user).await.map_err(err(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}
