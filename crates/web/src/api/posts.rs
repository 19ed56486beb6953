//! The publishing part of the REST API: posts listed, read with their short links' clicks,
//! written (with UTM tagging and short links, as the composer does), approved and sent back.
//! Errors have the shape of every API error, with the property at fault in `field`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use tutti_app::links::{LinkOptions, Utm};
use tutti_app::publishing::{find_channel, PostToWrite};
use tutti_app::store::publishing::Post;
use tutti_app::AppError;
use tutti_domain::{Action, InputError, Locale, PostStatus};
use utoipa::ToSchema;

use super::common::{body, err, required, ErrorResponse, PostContext, PostLink, PostResponse};
use crate::error::WebError;
use crate::forms::{parse_langs, public_base};
use crate::i18n::Tr;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let write = Access::Workspace(Action::WritePosts);
    let approve = Access::Workspace(Action::ApprovePosts);
    t.get("/api/v1/workspaces/{workspace}/posts", write, list_posts)
        .post("/api/v1/workspaces/{workspace}/posts", write, create_post)
        .get("/api/v1/workspaces/{workspace}/posts/{post}", write, get_post)
        .post("/api/v1/workspaces/{workspace}/posts/{post}/approve", approve, approve_post)
        .post("/api/v1/workspaces/{workspace}/posts/{post}/send-back", approve, send_back_post)
}

/// A post with its short links and their clicks.
async fn with_links(state: &AppState, ctx: &Ctx, slug: &str, p: Post) -> Result<PostResponse, WebError> {
    let id = p.id;
    let mut out = PostContext::load(state, ctx, slug).await?.post(p);
    let links = state.app.link_clicks(&ctx.actor(), slug).await.map_err(err(ctx))?;
    out.links = Some(
        links
            .into_iter()
            .filter(|(_, _, _, post)| *post == Some(id))
            .map(|(code, url, clicks, _)| PostLink { code, url, clicks })
            .collect(),
    );
    Ok(out)
}

/// Filters of the posts list.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct PostParams {
    /// Only posts in this state: draft, in_review, approved, scheduled, publishing, published,
    /// failed.
    status: Option<String>,
    /// At most this many (1–1000, default 100).
    limit: Option<i64>,
}

/// The posts of a workspace, latest due first (a post without a time counts at its writing).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/posts", tag = "publishing",
    params(("workspace" = String, Path, description = "The workspace's slug"), PostParams),
    responses((status = 200, body = [PostResponse]), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
              (status = 422, body = ErrorResponse)))]
pub async fn list_posts(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<PostParams>,
) -> Result<Json<Vec<PostResponse>>, WebError> {
    let status = match p.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse::<PostStatus>() {
            Ok(s) => Some(s),
            Err(_) => {
                let clipped: String = s.chars().take(40).collect();
                return Err(err(&ctx)(
                    InputError::new("status", "status_unknown", format!("{clipped:?} is not a post status"))
                        .into(),
                ));
            }
        },
    };
    let limit = p.limit.unwrap_or(100).clamp(1, 1000) as usize;
    let posts = state.app.posts(&ctx.actor(), &slug, 10_000).await.map_err(err(&ctx))?;
    let c = PostContext::load(&state, &ctx, &slug).await?;
    Ok(Json(
        posts
            .into_iter()
            .filter(|q| status.is_none_or(|s| q.status == s))
            .take(limit)
            .map(|q| c.post(q))
            .collect(),
    ))
}

/// One post, with its short links and their clicks.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/posts/{post}", tag = "publishing",
    params(("workspace" = String, Path, description = "The workspace's slug"), ("post" = i64, Path, description = "The post's id")),
    responses((status = 200, body = PostResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn get_post(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, post_id)): Path<(String, i64)>,
) -> Result<Json<PostResponse>, WebError> {
    let post = state.app.post(&ctx.actor(), &slug, post_id).await.map_err(err(&ctx))?;
    Ok(Json(with_links(&state, &ctx, &slug, post).await?))
}

/// A channel named by its id or its handle.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ChannelRef {
    /// The channel's id.
    Id(i64),
    /// The channel's handle (`brand.example.com`, `@brand@mastodon.example`).
    Handle(String),
}

/// UTM parameters added to every link of the text.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct UtmRequest {
    /// `utm_source`; empty: the channel's network.
    source: String,
    /// `utm_medium` (`social`).
    medium: String,
    /// `utm_campaign`.
    campaign: String,
}

/// Writes a post.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePostRequest {
    /// The channel, by id or handle.
    channel: Option<ChannelRef>,
    text: Option<String>,
    /// When to publish (RFC 3339, e.g. `2026-11-24T09:30:00+01:00`); absent for as soon as
    /// possible.
    at: Option<String>,
    /// Language tags (`fr`, `en`), at most three.
    #[serde(default)]
    langs: Vec<String>,
    /// The post of the same channel this one continues, as the next post of a thread.
    reply_to: Option<i64>,
    /// Take the channel's next free queue slot (then `at` must be absent).
    #[serde(default)]
    queue: bool,
    /// Tag every `http(s)` link of the text with these UTM parameters.
    utm: Option<UtmRequest>,
    /// Replace every link with a Tutti short link (`/l/{code}`) that counts its clicks.
    #[serde(default)]
    shorten: bool,
}

/// Writes a post. Someone who publishes without review schedules it; anyone else sends it for
/// review. Every limit is checked before anything is stored and the first problem answers 422
/// with its property in `field` (`channel`, `text`, `at`, `langs`, `reply_to`, …); the
/// networks' limits apply to the text with its links rewritten, and the editorial charter's
/// blocking findings refuse the post at `text`. Images are not taken by this endpoint: write
/// a post with images from the composer.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/posts", tag = "publishing", request_body = CreatePostRequest,
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 201, body = PostResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn create_post(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    payload: Result<Json<CreatePostRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = body(&ctx, payload)?;
    let channel = match req.channel {
        Some(ChannelRef::Id(id)) => id.to_string(),
        Some(ChannelRef::Handle(h)) => h,
        None => {
            let missing = InputError::new("channel", "required", "the property \"channel\" is required");
            return Err(err(&ctx)(missing.into()));
        }
    };
    let text = required(req.text, "text").map_err(err(&ctx))?;
    let langs = parse_langs(&req.langs.join(","), &Tr::new(Locale::En))
        .map_err(|e| err(&ctx)(AppError::Invalid(InputError::new("langs", "lang_invalid", e.message))))?;
    let mut utm = req.utm.map(|u| Utm {
        source: u.source.trim().to_owned(),
        medium: u.medium.trim().to_owned(),
        campaign: u.campaign.trim().to_owned(),
    });
    if let Some(utm) = utm.as_mut().filter(|u| u.source.is_empty()) {
        // An empty source is the channel's network, as in the composer.
        let channels = state.app.channels(&ctx.actor(), &slug).await.map_err(err(&ctx))?;
        utm.source =
            find_channel(&channels, channel.trim()).map(|c| c.network.to_string()).unwrap_or_default();
    }
    let post = PostToWrite {
        channel,
        text,
        at: req.at.filter(|a| !a.trim().is_empty()),
        langs,
        images: Vec::new(),
        reply_to: req.reply_to,
        queue: req.queue,
    };
    let options = LinkOptions { utm, shorten_base: req.shorten.then(|| public_base(&state)) };
    let now = tutti_app::store::now_ms();
    let written = state
        .app
        .create_post_with_links(&ctx.actor(), &slug, &post, &options, now)
        .await
        .map_err(err(&ctx))?;
    Ok((StatusCode::CREATED, Json(with_links(&state, &ctx, &slug, written).await?)).into_response())
}

/// Approves a post in review: it is scheduled (due at once if it had no time).
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/posts/{post}/approve", tag = "publishing",
    params(("workspace" = String, Path, description = "The workspace's slug"), ("post" = i64, Path, description = "The post's id")),
    responses((status = 200, body = PostResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
              (status = 409, body = ErrorResponse, description = "The post is not in review (`field: \"post\"`)")))]
pub async fn approve_post(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, post_id)): Path<(String, i64)>,
) -> Result<Json<PostResponse>, WebError> {
    let post = state.app.approve_post(&ctx.actor(), &slug, post_id).await.map_err(err(&ctx))?;
    Ok(Json(PostContext::load(&state, &ctx, &slug).await?.post(post)))
}

/// Sends a post back.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SendBackRequest {
    /// What to change (required, at most 2000 characters kept).
    comment: Option<String>,
}

/// Sends a post in review back to its author as a draft, with a comment (kept in `error`).
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/posts/{post}/send-back", tag = "publishing", request_body = SendBackRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("post" = i64, Path, description = "The post's id")),
    responses((status = 200, body = PostResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn send_back_post(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, post_id)): Path<(String, i64)>,
    payload: Result<Json<SendBackRequest>, JsonRejection>,
) -> Result<Json<PostResponse>, WebError> {
    let req = body(&ctx, payload)?;
    let comment = required(req.comment, "comment").map_err(err(&ctx))?;
    let post = state.app.send_back_post(&ctx.actor(), &slug, post_id, &comment).await.map_err(err(&ctx))?;
    Ok(Json(PostContext::load(&state, &ctx, &slug).await?.post(post)))
}
