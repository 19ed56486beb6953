//! The listening part of the REST API: saved queries (with column-precise errors for a
//! malformed query), mentions, reports, alert rules, alerts, and crisis mode.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tutti_app::listening::Period;
use tutti_app::store::listening::MentionFilter;
use tutti_domain::Action;
use utoipa::ToSchema;

use super::common::{body, err, required, ErrorResponse};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let view = Access::Workspace(Action::ViewListening);
    let manage = Access::Workspace(Action::ManageListening);
    t.get("/api/v1/workspaces/{workspace}/listening/queries", view, list_queries)
        .post("/api/v1/workspaces/{workspace}/listening/queries", manage, add_query)
        .get("/api/v1/workspaces/{workspace}/listening/queries/{query}/mentions", view, mentions)
        .get("/api/v1/workspaces/{workspace}/listening/queries/{query}/report", view, report)
        .post("/api/v1/workspaces/{workspace}/listening/queries/{query}/alert-rules", manage, add_rule)
        .get("/api/v1/workspaces/{workspace}/alerts", view, alerts)
        .put("/api/v1/workspaces/{workspace}/crisis", Access::Workspace(Action::ManageCrisis), crisis_on)
        .delete("/api/v1/workspaces/{workspace}/crisis", Access::Workspace(Action::ManageCrisis), crisis_off)
}

/// A saved listening query.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueryResponse {
    id: i64,
    name: String,
    query: String,
    /// `brand` or `competitor`.
    kind: String,
    active: bool,
}

impl From<tutti_app::store::listening::SavedQuery> for QueryResponse {
    fn from(q: tutti_app::store::listening::SavedQuery) -> Self {
        QueryResponse { id: q.id, name: q.name, query: q.query, kind: q.kind.to_string(), active: q.active }
    }
}

/// Saves a query.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddQueryRequest {
    name: Option<String>,
    /// In Tutti's query language; a malformed query is refused with its column.
    query: Option<String>,
    /// `brand` (default) or `competitor`.
    kind: Option<String>,
}

/// The listening queries of a workspace.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/listening/queries", tag = "listening",
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 200, body = [QueryResponse]), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn list_queries(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Result<Json<Vec<QueryResponse>>, WebError> {
    let list = state.app.list_queries(&ctx.actor(), &slug).await.map_err(err(&ctx))?;
    Ok(Json(list.into_iter().map(QueryResponse::from).collect()))
}

/// Saves a listening query. A malformed query answers 422 with `field: "query"` and a message
/// that starts with the column (`col 17: NEAR needs a term on both sides`).
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/listening/queries", tag = "listening", request_body = AddQueryRequest,
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 201, body = QueryResponse), (status = 403, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn add_query(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    payload: Result<Json<AddQueryRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = body(&ctx, payload)?;
    let name = required(req.name, "name").map_err(err(&ctx))?;
    let query = required(req.query, "query").map_err(err(&ctx))?;
    let kind = req.kind.unwrap_or_else(|| "brand".into());
    let saved = state.app.add_query(&ctx.actor(), &slug, &name, &query, &kind).await.map_err(err(&ctx))?;
    Ok((StatusCode::CREATED, Json(QueryResponse::from(saved))).into_response())
}

/// Filters of the mentions list.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct MentionParams {
    /// `neg`, `neu` or `pos`.
    sentiment: Option<String>,
    /// A language code.
    lang: Option<String>,
    /// `jetstream`, `firehose`, `mastodon` or `rss`.
    source: Option<String>,
    /// An author as stored.
    author: Option<String>,
    /// Only mentions stored after this id (for polling).
    after: Option<i64>,
    /// At most this many (1–1000, default 100).
    limit: Option<i64>,
}

/// The latest mentions of a query, newest first, as JSON objects with their enrichment.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/listening/queries/{query}/mentions", tag = "listening",
    params(("workspace" = String, Path, description = "The workspace's slug"), ("query" = i64, Path, description = "The query's id"), MentionParams),
    responses((status = 200, body = Object), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn mentions(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, query_id)): Path<(String, i64)>,
    Query(p): Query<MentionParams>,
) -> Result<Json<serde_json::Value>, WebError> {
    let filter = MentionFilter {
        sentiment: p.sentiment,
        lang: p.lang,
        source: p.source,
        author: p.author,
        since: None,
        after_id: p.after,
    };
    let (_, list) = state
        .app
        .mentions(&ctx.actor(), &slug, query_id, &filter, p.limit.unwrap_or(100))
        .await
        .map_err(err(&ctx))?;
    Ok(Json(serde_json::json!({ "mentions": list })))
}

/// The report's period.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct ReportParams {
    /// `24h`, `7d` (default) or `30d`.
    period: Option<String>,
}

/// Volume and sentiment over time, top authors, terms and hashtags, and share of voice.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/listening/queries/{query}/report", tag = "listening",
    params(("workspace" = String, Path, description = "The workspace's slug"), ("query" = i64, Path, description = "The query's id"), ReportParams),
    responses((status = 200, body = Object), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn report(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, query_id)): Path<(String, i64)>,
    Query(p): Query<ReportParams>,
) -> Result<Json<serde_json::Value>, WebError> {
    let period = Period::from_code(p.period.as_deref().unwrap_or_default());
    let r = state
        .app
        .listening_report(&ctx.actor(), &slug, query_id, period, tutti_app::store::now_ms())
        .await
        .map_err(err(&ctx))?;
    Ok(Json(serde_json::to_value(r).unwrap_or_default()))
}

/// Adds an alert rule.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddRuleRequest {
    /// `spike` or `keyword`.
    kind: Option<String>,
    /// For keyword rules, in the query language.
    keyword: Option<String>,
    /// Extra deliveries: `webhook`, `email`.
    #[serde(default)]
    deliver: Vec<String>,
}

/// Adds an alert rule to a query.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/listening/queries/{query}/alert-rules", tag = "listening", request_body = AddRuleRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("query" = i64, Path, description = "The query's id")),
    responses((status = 201, body = Object), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn add_rule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, query_id)): Path<(String, i64)>,
    payload: Result<Json<AddRuleRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = body(&ctx, payload)?;
    let kind = required(req.kind, "kind").map_err(err(&ctx))?;
    let rule = state
        .app
        .add_alert_rule(&ctx.actor(), &slug, query_id, &kind, req.keyword.as_deref(), &req.deliver)
        .await
        .map_err(err(&ctx))?;
    Ok((StatusCode::CREATED, Json(serde_json::to_value(rule).unwrap_or_default())).into_response())
}

/// The latest alerts of a workspace.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/alerts", tag = "listening",
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 200, body = Object), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn alerts(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Result<Json<serde_json::Value>, WebError> {
    let list = state.app.alerts(&ctx.actor(), &slug, None, 100).await.map_err(err(&ctx))?;
    Ok(Json(serde_json::json!({ "alerts": list })))
}

/// Why crisis mode is turned on.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct CrisisRequest {
    reason: Option<String>,
}

/// Turns crisis mode on (idempotent).
#[utoipa::path(put, path = "/api/v1/workspaces/{workspace}/crisis", tag = "crisis", request_body = CrisisRequest,
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 204), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn crisis_on(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    payload: Result<Json<CrisisRequest>, JsonRejection>,
) -> Result<StatusCode, WebError> {
    let reason = payload.map(|Json(r)| r.reason.unwrap_or_default()).unwrap_or_default();
    state.app.set_crisis(&ctx.actor(), &slug, true, &reason).await.map_err(err(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turns crisis mode off (idempotent).
#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace}/crisis", tag = "crisis",
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 204), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn crisis_off(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Result<StatusCode, WebError> {
    state.app.set_crisis(&ctx.actor(), &slug, false, "").await.map_err(err(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}
