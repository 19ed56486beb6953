//! What the API's subjects share: errors in the API's shape (`err`, `body`, `required`,
//! `ErrorResponse`), text downloads, and the answers one subject embeds in another's: a post
//! (an inbox reply answers with the post that carries it) and a conversation (a person's
//! profile lists theirs).

use std::collections::HashMap;

use axum::extract::rejection::JsonRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tutti_app::store::inbox::Conversation;
use tutti_app::store::publishing::{Channel, Post};
use tutti_domain::InputError;
use utoipa::ToSchema;

use crate::error::WebError;
use crate::routes::Ctx;
use crate::AppState;

/// Turns a use case's error into the API's error envelope, in the caller's language.
pub fn err(ctx: &Ctx) -> impl Fn(tutti_app::AppError) -> WebError + '_ {
    move |e| WebError::new(e, true, ctx.locale)
}

/// Reads a JSON body, turning a malformed one into a `bad_request` error.
pub fn body<T>(ctx: &Ctx, payload: Result<Json<T>, JsonRejection>) -> Result<T, WebError> {
    payload
        .map(|Json(v)| v)
        .map_err(|rejection| WebError::bad_request(rejection.body_text(), true, ctx.locale))
}

/// A required string property of a JSON body.
pub fn required(value: Option<String>, field: &'static str) -> Result<String, tutti_app::AppError> {
    value.ok_or_else(|| {
        InputError::new(field, "required", format!("the property \"{field}\" is required")).into()
    })
}

/// A text body of the given content type.
pub fn text_response(body: String, content_type: &'static str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
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

/// A conversation of the inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationResponse {
    id: i64,
    channel_id: i64,
    /// The post (or `follow:<author>`) it hangs on.
    root: String,
    /// Whose thread with the brand it is: the person's network id (empty for the likes and
    /// reposts of a post).
    author_id: String,
    person_id: Option<i64>,
    person_name: String,
    /// The kind of its latest item from the community: reply, mention, quote, repost, like, follow.
    kind: String,
    excerpt: String,
    /// pos, neu, neg.
    sentiment: String,
    lang: String,
    toxicity: f64,
    /// open, pending, closed.
    status: String,
    priority: i64,
    assignee_id: Option<i64>,
    tags: Vec<String>,
    unanswered: bool,
    items: i64,
    /// RFC 3339.
    first_item_at: String,
    last_item_at: String,
    first_response_at: Option<String>,
}

/// A time as RFC 3339, as every answer writes it.
pub fn rfc3339(ms: i64) -> String {
    crate::format::iso(ms)
}

impl From<Conversation> for ConversationResponse {
    fn from(c: Conversation) -> Self {
        ConversationResponse {
            id: c.id,
            channel_id: c.channel_id,
            root: c.root_ref,
            author_id: c.author_id,
            person_id: c.person_id,
            person_name: c.person_name,
            kind: c.kind.to_string(),
            excerpt: c.excerpt,
            sentiment: c.sentiment.to_string(),
            lang: c.lang,
            toxicity: c.toxicity,
            status: c.status.to_string(),
            priority: c.priority,
            assignee_id: c.assignee_user_id,
            tags: c.tags,
            unanswered: c.unanswered,
            items: c.items,
            first_item_at: rfc3339(c.first_item_at),
            last_item_at: rfc3339(c.last_item_at),
            first_response_at: c.first_response_at.map(rfc3339),
        }
    }
}

/// The channel a post goes out through.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostChannel {
    id: i64,
    handle: String,
    /// `bluesky` or `mastodon`.
    network: String,
    /// `brand` (the brand's account) or `ambassador` (a member's own account).
    voice: String,
    /// For an ambassador channel: the member whose account it is.
    owner_user_id: Option<i64>,
}

/// Who wrote a post.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostAuthor {
    id: i64,
    /// The member's name (empty if they left the workspace).
    name: String,
}

/// A short link of a post and its clicks.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostLink {
    /// The code of `/l/{code}`.
    pub code: String,
    /// Where it leads.
    pub url: String,
    pub clicks: i64,
}

/// A post.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostResponse {
    id: i64,
    channel: PostChannel,
    text: String,
    /// Language tags (`fr`, `en`).
    langs: Vec<String>,
    /// One of draft, in_review, approved, scheduled, publishing, published, failed.
    status: String,
    /// When it is due (RFC 3339, UTC); null for as soon as possible.
    scheduled_at: Option<String>,
    /// When it was published (RFC 3339, UTC).
    published_at: Option<String>,
    /// The post on its network (an `at://` URI, a status id).
    remote_id: Option<String>,
    /// A link to it on its network.
    remote_url: Option<String>,
    /// For a failed post, the network's words; for a post sent back (a draft), the reviewer's
    /// comment.
    error: Option<String>,
    /// The post of the same channel this one continues (a thread).
    reply_to: Option<i64>,
    /// The record key (Bluesky) or `Idempotency-Key` (Mastodon) chosen when it was written.
    idempotency_key: String,
    author: Option<PostAuthor>,
    /// The short links of the post with their clicks (when one post is read or written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<PostLink>>,
}

/// What a post is read with: the workspace's channels and members' names.
pub struct PostContext {
    channels: Vec<Channel>,
    names: HashMap<i64, String>,
}

impl PostContext {
    pub async fn load(state: &AppState, ctx: &Ctx, slug: &str) -> Result<PostContext, WebError> {
        let actor = ctx.actor();
        let channels = state.app.channels(&actor, slug).await.map_err(err(ctx))?;
        let names = state
            .app
            .list_members(&actor, slug)
            .await
            .map_err(err(ctx))?
            .into_iter()
            .map(|m| (m.user_id, m.name))
            .collect();
        Ok(PostContext { channels, names })
    }

    pub fn post(&self, p: Post) -> PostResponse {
        let c = self.channels.iter().find(|c| c.id == p.channel_id);
        PostResponse {
            id: p.id,
            channel: PostChannel {
                id: p.channel_id,
                handle: c.map(|c| c.handle.clone()).unwrap_or_default(),
                network: c.map(|c| c.network.to_string()).unwrap_or_default(),
                voice: c.map(|c| c.voice.to_string()).unwrap_or_default(),
                owner_user_id: c.and_then(|c| c.owner_user_id),
            },
            text: p.text,
            langs: p.langs.split(',').map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
            status: p.status.to_string(),
            scheduled_at: p.scheduled_at.map(crate::format::iso),
            published_at: p.published_at.map(crate::format::iso),
            remote_id: p.remote_id,
            remote_url: p.remote_url,
            error: p.error.filter(|e| !e.trim().is_empty()),
            reply_to: p.reply_to_post_id,
            idempotency_key: p.idempotency_key,
            author: p
                .author_user_id
                .map(|id| PostAuthor { id, name: self.names.get(&id).cloned().unwrap_or_default() }),
            links: None,
        }
    }
}

/// A post as the API answers it (without its links).
pub async fn post_response(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    p: Post,
) -> Result<PostResponse, WebError> {
    Ok(PostContext::load(state, ctx, slug).await?.post(p))
}
