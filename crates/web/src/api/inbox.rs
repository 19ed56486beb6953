//! The inbox part of the REST API: conversations (filtered, paged), one conversation with its
//! items, replies (with the same guard and crisis rules as the page), status, assignment and
//! tags.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tutti_app::inbox::ReplyToWrite;
use tutti_app::store::inbox::{Filter, Item};
use tutti_domain::{Action, ConversationStatus, InputError, UnknownWord};
use utoipa::ToSchema;

use super::common::{
    body, err, post_response, required, rfc3339, ConversationResponse, ErrorResponse, PostResponse,
};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let view = Access::Workspace(Action::ViewInbox);
    let handle = Access::Workspace(Action::HandleInbox);
    t.get("/api/v1/workspaces/{workspace}/inbox", view, list)
        .get("/api/v1/workspaces/{workspace}/inbox/{conversation}", view, one)
        .post("/api/v1/workspaces/{workspace}/inbox/{conversation}/reply", handle, reply)
        .post("/api/v1/workspaces/{workspace}/inbox/{conversation}/status", handle, status)
}

/// An item of a conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResponse {
    id: i64,
    /// reply, mention, quote, repost, like, follow, or `sent` for the brand's reply.
    kind: String,
    author_id: String,
    author_handle: String,
    author_name: String,
    text: String,
    lang: String,
    sentiment: String,
    toxicity: f64,
    /// The author's post on the network.
    post: Option<String>,
    /// For `sent`: the post (publisher's queue) that carries the reply.
    post_id: Option<i64>,
    /// For `sent`: the item of the conversation it answers.
    answers_item_id: Option<i64>,
    at: String,
}

impl From<Item> for ItemResponse {
    fn from(i: Item) -> Self {
        ItemResponse {
            id: i.id,
            kind: i.kind.to_string(),
            author_id: i.author_id,
            author_handle: i.author_handle,
            author_name: i.author_name,
            text: i.text,
            lang: i.lang,
            sentiment: i.sentiment.to_string(),
            toxicity: i.toxicity,
            post: i.post_ref,
            post_id: i.post_id,
            answers_item_id: i.answers_item_id,
            at: rfc3339(i.created_at),
        }
    }
}

/// A conversation with its items, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationDetail {
    conversation: ConversationResponse,
    items: Vec<ItemResponse>,
}

/// Filters of the inbox list.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct InboxParams {
    /// open (default), pending, closed or all.
    status: Option<String>,
    channel: Option<i64>,
    kind: Option<String>,
    sentiment: Option<String>,
    lang: Option<String>,
    tag: Option<String>,
    /// `me`, `none`, or a member's id.
    assignee: Option<String>,
    /// Only those without an answer.
    unanswered: Option<bool>,
    /// Paging: `last_item_at_ms:id` of the last conversation of the previous page.
    before: Option<String>,
    /// 1–200, default 50.
    limit: Option<i64>,
}

/// The inbox: conversations, latest first.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/inbox", tag = "inbox",
    params(("workspace" = String, Path, description = "The workspace's slug"), InboxParams),
    responses((status = 200, body = [ConversationResponse]), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<InboxParams>,
) -> Result<Json<Vec<ConversationResponse>>, WebError> {
    let status = match p.status.as_deref().map(str::trim) {
        None | Some("") => Some(ConversationStatus::Open),
        Some("all") => None,
        Some(s) => match s.parse::<ConversationStatus>() {
            Ok(s) => Some(s),
            Err(_) => {
                let e =
                    InputError::new("status", "status_unknown", "the status is open, pending, closed or all");
                return Err(err(&ctx)(e.into()));
            }
        },
    };
    let assignee = match p.assignee.as_deref() {
        None | Some("") => None,
        Some("me") => Some(Some(ctx.me().id)),
        Some("none") => Some(None),
        Some(id) => Some(Some(id.parse::<i64>().map_err(|_| {
            err(&ctx)(
                tutti_domain::InputError::new(
                    "assignee",
                    "assignee_unknown",
                    "the assignee is me, none or a member's id",
                )
                .into(),
            )
        })?)),
    };
    let filter = Filter {
        status,
        channel_id: p.channel,
        kind: word(p.kind, "kind").map_err(|e| err(&ctx)(e.into()))?,
        sentiment: word(p.sentiment, "sentiment").map_err(|e| err(&ctx)(e.into()))?,
        lang: p.lang,
        tag: p.tag.map(|t| t.to_lowercase()),
        assignee,
        unanswered: p.unanswered.unwrap_or(false),
        person_id: None,
    };
    let before = p
        .before
        .as_deref()
        .and_then(|b| b.split_once(':'))
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
    let list = state
        .app
        .inbox(&ctx.actor(), &slug, &filter, before, p.limit.unwrap_or(50))
        .await
        .map_err(err(&ctx))?;
    Ok(Json(list.into_iter().map(ConversationResponse::from).collect()))
}

/// One conversation and its items.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/inbox/{conversation}", tag = "inbox",
    params(("workspace" = String, Path, description = "The workspace's slug"), ("conversation" = i64, Path, description = "The conversation's id")),
    responses((status = 200, body = ConversationDetail), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn one(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Json<ConversationDetail>, WebError> {
    let (c, items, _) = state.app.conversation(&ctx.actor(), &slug, id).await.map_err(err(&ctx))?;
    Ok(Json(ConversationDetail {
        conversation: c.into(),
        items: items.into_iter().map(ItemResponse::from).collect(),
    }))
}

/// A reply to write.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReplyRequest {
    text: Option<String>,
    /// `brand` (default) or `ambassador` (the caller's own account on that network).
    #[serde(rename = "as")]
    voice: Option<String>,
    /// The item answered, one of the conversation's person's messages; their latest when
    /// absent.
    item: Option<i64>,
    /// How many items the caller has seen: a reply by someone else since then refuses this one (409).
    seen_items: Option<i64>,
}

/// Replies in a conversation: a post answering the item, sent by the publisher (or held for the
/// SMM during a crisis). Someone else replying answers 409.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/inbox/{conversation}/reply", tag = "inbox", request_body = ReplyRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("conversation" = i64, Path, description = "The conversation's id")),
    responses((status = 201, body = PostResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn reply(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    payload: Result<Json<ReplyRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = body(&ctx, payload)?;
    let text = required(req.text, "text").map_err(err(&ctx))?;
    let as_ambassador = match req.voice.as_deref() {
        None | Some("brand") => false,
        Some("ambassador") => true,
        Some(_) => {
            let e = tutti_domain::InputError::new("as", "voice_unknown", "\"as\" is brand or ambassador");
            return Err(err(&ctx)(e.into()));
        }
    };
    let r = ReplyToWrite { text, item_id: req.item, as_ambassador, seen_items: req.seen_items };
    let post = state.app.reply(&ctx.actor(), &slug, id, &r).await.map_err(err(&ctx))?;
    let response = post_response(&state, &ctx, &slug, post).await?;
    Ok((StatusCode::CREATED, Json(response)).into_response())
}

/// A new status.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusRequest {
    /// open, pending or closed.
    status: Option<String>,
}

/// Changes a conversation's status.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/inbox/{conversation}/status", tag = "inbox", request_body = StatusRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("conversation" = i64, Path, description = "The conversation's id")),
    responses((status = 204), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn status(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    payload: Result<Json<StatusRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = body(&ctx, payload)?;
    let s = required(req.status, "status").map_err(err(&ctx))?;
    state.app.set_conversation_status(&ctx.actor(), &slug, id, &s).await.map_err(err(&ctx))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A filter's word (`kind`, `sentiment`): empty means any; a value Tutti does not know is
/// refused with the field's name.
fn word<T: std::str::FromStr<Err = UnknownWord>>(
    value: Option<String>,
    field: &'static str,
) -> Result<Option<T>, InputError> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().map_err(|e: UnknownWord| e.for_field(field)))
        .transpose()
}
