//! The product feedback part of the REST API: the items of a period with their categories,
//! the counts per category and the recurring issues with their trend; a category confirmed
//! or changed; the report of a period in Markdown or CSV, each item linked to its
//! conversation.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tutti_app::feedback::{trend, CategoryCount, Issue};
use tutti_app::store::feedback::FeedbackItem;
use tutti_domain::{Action, InputError};
use utoipa::ToSchema;

use super::common::{body, err, required, text_response, ErrorResponse};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

/// Registers the routes of this part of the API with the access each needs.
pub fn routes(t: RouteTable) -> RouteTable {
    let view = Access::Workspace(Action::ViewFeedback);
    t.get("/api/v1/workspaces/{workspace}/feedback", view, list_feedback)
        .post(
            "/api/v1/workspaces/{workspace}/feedback/items/{id}/category",
            Access::Workspace(Action::ManageFeedback),
            set_category,
        )
        .get("/api/v1/workspaces/{workspace}/feedback/report", view, report)
}

/// The period: days in the workspace's time zone, both included; by default the last 30 days.
fn period(ctx: &Ctx, from: &Option<String>, to: &Option<String>) -> (String, String) {
    tutti_app::feedback::last_30_days(
        &ctx.ws().workspace.timezone,
        from.as_deref().unwrap_or_default(),
        to.as_deref().unwrap_or_default(),
    )
}

/// An item of feedback.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackItemResponse {
    /// The item.
    id: i64,
    conversation_id: i64,
    /// The conversation in Tutti (`/w/{workspace}/inbox/{id}`).
    conversation_path: String,
    /// reply, mention, quote, dm.
    kind: String,
    person_id: Option<i64>,
    author_name: String,
    author_handle: String,
    text: String,
    /// pos, neu, neg.
    sentiment: String,
    /// complaint, bug, feature, question, praise, or null.
    category: Option<String>,
    /// Whether a person confirmed (or chose) the category.
    confirmed: bool,
    /// RFC 3339.
    at: String,
}

fn item_response(slug: &str, i: FeedbackItem) -> FeedbackItemResponse {
    FeedbackItemResponse {
        id: i.id,
        conversation_id: i.conversation_id,
        conversation_path: format!("/w/{slug}/inbox/{}", i.conversation_id),
        kind: i.kind.to_string(),
        person_id: i.person_id,
        author_name: i.author_name,
        author_handle: i.author_handle,
        text: i.text,
        sentiment: i.sentiment.to_string(),
        category: Some(i.category).filter(|c| !c.is_empty()),
        confirmed: i.confirmed,
        at: crate::format::iso(i.created_at),
    }
}

/// A category's counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryCountResponse {
    /// complaint, bug, feature, question, praise, or `none`.
    category: String,
    /// This period.
    count: i64,
    /// The period of the same length before.
    previous: i64,
    /// up, down or stable.
    trend: String,
}

impl From<CategoryCount> for CategoryCountResponse {
    fn from(c: CategoryCount) -> Self {
        CategoryCountResponse {
            trend: trend(c.count, c.previous).to_owned(),
            category: c.category,
            count: c.count,
            previous: c.previous,
        }
    }
}

/// A recurring issue: complaints and bugs sharing a significant term.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssueResponse {
    /// One or two shared terms.
    label: String,
    /// The term that groups it.
    term: String,
    /// Items this period.
    count: usize,
    /// Items of the period before holding the term.
    previous: usize,
    /// up, down or stable.
    trend: String,
    /// Its items' conversations.
    conversations: Vec<i64>,
}

impl From<Issue> for IssueResponse {
    fn from(i: Issue) -> Self {
        IssueResponse {
            trend: trend(i.count as i64, i.previous as i64).to_owned(),
            label: i.label,
            term: i.term,
            count: i.count,
            previous: i.previous,
            conversations: i.conversations,
        }
    }
}

/// The feedback of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackResponse {
    /// First day, `YYYY-MM-DD`.
    from: String,
    /// Last day, included.
    to: String,
    counts: Vec<CategoryCountResponse>,
    /// Biggest first.
    issues: Vec<IssueResponse>,
    /// The items matching `category` and `confirmed`, newest first (at most 500).
    items: Vec<FeedbackItemResponse>,
}

/// The period and filters of the feedback list.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct FeedbackParams {
    /// First day (`YYYY-MM-DD`, workspace time zone); default 29 days before `to`.
    from: Option<String>,
    /// Last day, included; default today.
    to: Option<String>,
    /// complaint, bug, feature, question, praise, or `none`.
    category: Option<String>,
    /// `true`: only confirmed categories; `false`: only suggested ones.
    confirmed: Option<String>,
}

/// The feedback of a period: counts per category and recurring issues with their trend
/// against the period before, and the items (filtered by category and confirmation).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/feedback", tag = "feedback",
    params(("workspace" = String, Path, description = "The workspace's slug"), FeedbackParams),
    responses((status = 200, body = FeedbackResponse), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn list_feedback(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<FeedbackParams>,
) -> Result<Json<FeedbackResponse>, WebError> {
    let (from, to) = period(&ctx, &p.from, &p.to);
    let confirmed = match p.confirmed.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("true") | Some("1") => Some(true),
        Some("false") | Some("0") => Some(false),
        Some(_) => {
            let e = InputError::new("confirmed", "boolean_invalid", "confirmed is true or false");
            return Err(err(&ctx)(e.into()));
        }
    };
    let category = p.category.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let actor = ctx.actor();
    let items =
        state.app.feedback(&actor, &slug, &from, &to, category, confirmed).await.map_err(err(&ctx))?;
    let r = state.app.feedback_report(&actor, &slug, &from, &to).await.map_err(err(&ctx))?;
    Ok(Json(FeedbackResponse {
        items: items.into_iter().map(|i| item_response(&r.slug, i)).collect(),
        counts: r.counts.into_iter().map(CategoryCountResponse::from).collect(),
        issues: r.issues.into_iter().map(IssueResponse::from).collect(),
        from: r.from,
        to: r.to,
    }))
}

/// A category to set.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CategoryRequest {
    /// complaint, bug, feature, question or praise.
    category: Option<String>,
}

/// Confirms or changes the category of an item (then marked confirmed). Audited.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/feedback/items/{id}/category", tag = "feedback", request_body = CategoryRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("id" = i64, Path, description = "The item's id")),
    responses((status = 204), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn set_category(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    payload: Result<Json<CategoryRequest>, JsonRejection>,
) -> Result<StatusCode, WebError> {
    let req = body(&ctx, payload)?;
    let category = required(req.category, "category").map_err(err(&ctx))?;
    state.app.set_feedback_category(&ctx.actor(), &slug, id, &category).await.map_err(err(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The period and format of the report.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct ReportParams {
    /// First day (`YYYY-MM-DD`, workspace time zone); default 29 days before `to`.
    from: Option<String>,
    /// Last day, included; default today.
    to: Option<String>,
    /// `md` (default) or `csv`.
    format: Option<String>,
}

/// The report of a period for the product team: counts per category, recurring issues and
/// every item linked to its conversation, in Markdown or CSV (a header row first).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/feedback/report", tag = "feedback",
    params(("workspace" = String, Path, description = "The workspace's slug"), ReportParams),
    responses((status = 200, description = "The report", content((String = "text/markdown"), (String = "text/csv"))),
              (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn report(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<ReportParams>,
) -> Result<Response, WebError> {
    let csv = match p.format.as_deref().map(str::trim) {
        None | Some("") | Some("md") => false,
        Some("csv") => true,
        Some(_) => {
            let e = InputError::new("format", "format_unknown", "the format is md or csv");
            return Err(err(&ctx)(e.into()));
        }
    };
    let (from, to) = period(&ctx, &p.from, &p.to);
    let r = state.app.feedback_report(&ctx.actor(), &slug, &from, &to).await.map_err(err(&ctx))?;
    let base = state.public_url().to_owned();
    Ok(if csv {
        text_response(r.csv(&base), "text/csv; charset=utf-8")
    } else {
        text_response(r.markdown(&base), "text/markdown; charset=utf-8")
    })
}
