//! The REST API under `/api/v1`, and its OpenAPI document generated from these handlers.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tutti_app::store::workspaces::Member;
use tutti_domain::{Action, InputError};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

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

pub(crate) fn err(ctx: &Ctx) -> impl Fn(tutti_app::AppError) -> WebError + '_ {
    move |e| WebError::new(e, true, ctx.locale)
}

/// Reads a JSON body, turning a malformed one into a `bad_request` error.
pub(crate) fn body<T>(ctx: &Ctx, payload: Result<Json<T>, JsonRejection>) -> Result<T, WebError> {
    payload
        .map(|Json(v)| v)
        .map_err(|rejection| WebError::bad_request(rejection.body_text(), true, ctx.locale))
}

/// A required string property of a JSON body.
pub(crate) fn required(value: Option<String>, field: &'static str) -> Result<String, tutti_app::AppError> {
    value.ok_or_else(|| {
        InputError::new(field, "required", format!("the property \"{field}\" is required")).into()
    })
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

/// The error envelope of every API failure.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorResponse {
    error: ErrorBody,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable identifier (`email_invalid`, `forbidden`, `not_found`, …).
    code: String,
    /// A sentence saying what is wrong.
    message: String,
    /// The property at fault, when the input is.
    field: Option<String>,
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorResponse)))]
async fn me(Extension(ctx): Extension<Ctx>) -> Json<MeResponse> {
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
async fn workspaces(
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
async fn list_members(
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
async fn add_member(
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
async fn change_role(
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
async fn remove_member(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, user)): Path<(String, String)>,
) -> Result<StatusCode, WebError> {
    state.app.remove_member(&ctx.actor(), &slug, &user).await.map_err(err(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token: tutti token create, or Settings → API tokens"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tutti API", description = "The REST API of Tutti, the social media team platform. Authenticate with `Authorization: Bearer <token>`."),
    paths(me, workspaces, list_members, add_member, change_role, remove_member,
          crate::api_listening::list_queries, crate::api_listening::add_query, crate::api_listening::mentions,
          crate::api_listening::report, crate::api_listening::add_rule, crate::api_listening::alerts,
          crate::api_listening::crisis_on, crate::api_listening::crisis_off,
          crate::api_posts::list_posts, crate::api_posts::get_post, crate::api_posts::create_post,
          crate::api_posts::approve_post, crate::api_posts::send_back_post,
          crate::api_inbox::list, crate::api_inbox::one, crate::api_inbox::reply, crate::api_inbox::status,
          crate::api_moderation::list_rules, crate::api_moderation::add_rule, crate::api_moderation::set_enabled,
          crate::api_moderation::dry_run, crate::api_moderation::log, crate::api_moderation::undo,
          crate::api_moderation::moderate_item, crate::api_moderation::offenders,
          crate::api_people::list_people, crate::api_people::get_person, crate::api_people::tag_person,
          crate::api_people::add_note, crate::api_people::set_field, crate::api_people::merge,
          crate::api_people::split, crate::api_people::list_segments, crate::api_people::save_segment,
          crate::api_people::export_segment,
          crate::api_feedback::list_feedback, crate::api_feedback::set_category, crate::api_feedback::report),
    components(schemas(MeResponse, WorkspaceResponse, MemberResponse, AddMemberRequest, ChangeRoleRequest, ErrorResponse, ErrorBody,
                       crate::api_listening::QueryResponse, crate::api_listening::AddQueryRequest,
                       crate::api_listening::AddRuleRequest, crate::api_listening::CrisisRequest,
                       crate::api_posts::PostResponse, crate::api_posts::PostChannel, crate::api_posts::PostAuthor,
                       crate::api_posts::PostLink, crate::api_posts::CreatePostRequest, crate::api_posts::ChannelRef,
                       crate::api_posts::UtmRequest, crate::api_posts::SendBackRequest,
                       crate::api_inbox::ConversationResponse, crate::api_inbox::ItemResponse,
                       crate::api_inbox::ConversationDetail, crate::api_inbox::ReplyRequest,
                       crate::api_inbox::StatusRequest,
                       crate::api_moderation::RuleConditions, crate::api_moderation::RuleActionBody,
                       crate::api_moderation::RuleResponse, crate::api_moderation::RuleRequest,
                       crate::api_moderation::EnabledRequest, crate::api_moderation::DryRunRequest,
                       crate::api_moderation::DryRunHit, crate::api_moderation::DryRunResponse,
                       crate::api_moderation::LogEntryResponse, crate::api_moderation::ModerateRequest,
                       crate::api_moderation::ModerateResponse, crate::api_moderation::OffenderResponse,
                       crate::api_people::PersonResponse, crate::api_people::IdentityResponse,
                       crate::api_people::NoteResponse, crate::api_people::FieldResponse,
                       crate::api_people::InteractionResponse, crate::api_people::MonthSentiment,
                       crate::api_people::ProfileResponse, crate::api_people::TagsRequest,
                       crate::api_people::TagsResponse, crate::api_people::NoteRequest,
                       crate::api_people::NoteCreated, crate::api_people::FieldRequest,
                       crate::api_people::MergeRequest, crate::api_people::SplitRequest,
                       crate::api_people::SegmentFilter, crate::api_people::SegmentResponse,
                       crate::api_people::SegmentRequest,
                       crate::api_feedback::FeedbackItemResponse, crate::api_feedback::CategoryCountResponse,
                       crate::api_feedback::IssueResponse, crate::api_feedback::FeedbackResponse,
                       crate::api_feedback::CategoryRequest)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
struct ApiDoc;

/// The OpenAPI document.
pub async fn openapi_json() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}
