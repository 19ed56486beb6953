//! A post's own page and the review list.
//!
//! The post page (`/w/{workspace}/posts/{post}`) shows everything about one post: its text, the
//! channel and voice it goes out through, its status and time in the workspace's zone, its
//! author, what the network said when it failed, the reviewer's comment when it was sent back,
//! the link to it once published, the thread it belongs to, and the clicks on its short links.
//! Someone who approves posts approves it or sends it back with a comment from there.
//!
//! The review list (`/w/{workspace}/review`) shows the posts waiting for review, oldest first,
//! each with an approve button for approvers.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use chrono::Timelike;
use serde::Deserialize;
use tutti_app::store::publishing::Post;
use tutti_domain::{Action, PostStatus};

use super::calendar::glyph;
use super::channel_views::{channel_views, member_names, ChannelView};
use super::common::{form_error, layout, page_err, render, see_other, zone, FieldError, Layout};
use crate::error::WebError;
use crate::format::{clock, excerpt, local, long_day};
use crate::i18n::Tr;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let write = Access::Workspace(Action::WritePosts);
    let approve = Access::Workspace(Action::ApprovePosts);
    t.get("/w/{workspace}/posts/{post}", write, post_page)
        .post("/w/{workspace}/posts/{post}/approve", approve, approve_post)
        .post("/w/{workspace}/posts/{post}/send-back", approve, send_back_post)
        .get("/w/{workspace}/review", write, review_page)
        .get("/w/{workspace}/review/count", write, review_count)
}

/// The longest time the review list reads back: every post in review, whenever it is due.
const ALL_TIME: (i64, i64) = (i64::MIN / 2, i64::MAX / 2);

/// A post's status as the calendar shows it: its glyph and its name in the reader's language.
pub(super) fn status_label(t: &Tr, status: PostStatus) -> (&'static str, String) {
    (glyph(status), t.t(&format!("post-status-{status}")))
}

/// When a post is due, in the workspace's zone: « dimanche 29 mars 2026, 10 h 00 ».
fn due(ms: i64, ctx: &Ctx) -> String {
    let at = local(ms, zone(ctx));
    format!("{}, {}", long_day(at.date_naive(), ctx.locale), clock(at.hour(), at.minute(), ctx.locale))
}

/// Another post of the thread, as a line linking to its page.
#[derive(Debug, Clone)]
pub struct ThreadLink {
    id: i64,
    glyph: &'static str,
    status_label: String,
    excerpt: String,
}

impl ThreadLink {
    fn of(p: &Post, t: &Tr) -> ThreadLink {
        let (glyph, status_label) = status_label(t, p.status);
        ThreadLink { id: p.id, glyph, status_label, excerpt: excerpt(&p.text, 80) }
    }
}

/// A short link of the post and its clicks.
#[derive(Debug, Clone)]
pub struct LinkView {
    code: String,
    url: String,
    clicks: i64,
}

/// A post as its page and the review list show it.
#[derive(Debug, Clone)]
pub struct PostView {
    id: i64,
    status: String,
    status_label: String,
    glyph: &'static str,
    text: String,
    excerpt: String,
    langs: String,
    network_name: &'static str,
    handle: String,
    voice: String,
    channel_reconnect: bool,
    /// When it is due (empty: as soon as possible), in the workspace's zone.
    when: String,
    iso: String,
    published: String,
    published_iso: String,
    author: String,
    /// The network's words, for a failed post.
    error: Option<String>,
    /// The reviewer's comment, for a post sent back.
    comment: Option<String>,
    /// The post on its network, only an `http(s)` address.
    remote_url: Option<String>,
}

fn post_view(
    p: &Post,
    channels: &HashMap<i64, &ChannelView>,
    names: &HashMap<i64, String>,
    ctx: &Ctx,
) -> PostView {
    let t = ctx.tr();
    let c = channels.get(&p.channel_id);
    let (glyph, status_label) = status_label(&t, p.status);
    let said = p.error.clone().filter(|e| !e.trim().is_empty());
    PostView {
        id: p.id,
        status: p.status.to_string(),
        status_label,
        glyph,
        text: p.text.clone(),
        excerpt: excerpt(&p.text, 200),
        langs: p.langs.replace(',', ", "),
        network_name: c.map(|c| c.network_name).unwrap_or(""),
        handle: c.map(|c| c.handle.clone()).unwrap_or_default(),
        voice: c.map(|c| c.voice.clone()).unwrap_or_default(),
        channel_reconnect: c.is_some_and(|c| c.needs_reconnect),
        when: p.scheduled_at.map(|ms| due(ms, ctx)).unwrap_or_default(),
        iso: crate::format::iso(p.scheduled_at.unwrap_or(p.created_at)),
        published: p.published_at.map(|ms| due(ms, ctx)).unwrap_or_default(),
        published_iso: p.published_at.map(crate::format::iso).unwrap_or_default(),
        author: p.author_user_id.and_then(|a| names.get(&a).cloned()).unwrap_or_default(),
        error: said.clone().filter(|_| p.status == PostStatus::Failed),
        comment: said.filter(|_| p.status == PostStatus::Draft),
        remote_url: p.remote_url.clone().filter(|u| tutti_app::links::is_web_url(u)),
    }
}

/// The channels of the workspace as shown, and its members' names.
async fn channels_and_names(
    state: &AppState,
    ctx: &Ctx,
) -> Result<(Vec<ChannelView>, HashMap<i64, String>), WebError> {
    let slug = &ctx.ws().workspace.slug;
    let channels = state.app.channels(&ctx.actor(), slug).await.map_err(|e| page_err(e, ctx))?;
    let names = member_names(state, ctx).await?;
    Ok((channel_views(&channels, &names, ctx), names))
}

// ---------------------------------------------------------------------------------------------
// The post page

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    l: Layout,
    slug: String,
    p: PostView,
    zone: String,
    parent: Option<ThreadLink>,
    children: Vec<ThreadLink>,
    links: Vec<LinkView>,
    /// Whether the reader may approve or send back this post now.
    can_review: bool,
    notice: String,
    error: FieldError,
    comment: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

async fn post_view_page(
    state: &AppState,
    ctx: &Ctx,
    post_id: i64,
    notice: &str,
    error: FieldError,
    comment: String,
) -> Result<PostPage, WebError> {
    let t = ctx.tr();
    let actor = ctx.actor();
    let slug = ctx.ws().workspace.slug.clone();
    let post = state.app.post(&actor, &slug, post_id).await.map_err(|e| page_err(e, ctx))?;
    let (views, names) = channels_and_names(state, ctx).await?;
    let by_id: HashMap<i64, &ChannelView> = views.iter().map(|c| (c.id, c)).collect();
    let parent = match post.reply_to_post_id {
        Some(id) => state.app.post(&actor, &slug, id).await.ok().map(|q| ThreadLink::of(&q, &t)),
        None => None,
    };
    let mut children: Vec<ThreadLink> = state
        .app
        .posts(&actor, &slug, 10_000)
        .await
        .map_err(|e| page_err(e, ctx))?
        .iter()
        .filter(|q| q.reply_to_post_id == Some(post.id))
        .map(|q| ThreadLink::of(q, &t))
        .collect();
    children.sort_by_key(|c| c.id);
    let links = state
        .app
        .link_clicks(&actor, &slug)
        .await
        .map_err(|e| page_err(e, ctx))?
        .into_iter()
        .filter(|(_, _, _, p)| *p == Some(post.id))
        .map(|(code, url, clicks, _)| LinkView { code, url, clicks })
        .collect();
    let notice = match notice {
        "approved" | "sent_back" => t.t(&format!("post-notice-{notice}")),
        _ => String::new(),
    };
    let p = post_view(&post, &by_id, &names, ctx);
    let l = layout(state, ctx, t.t1("post-title", "id", &post.id.to_string()), "calendar").await?;
    Ok(PostPage {
        l,
        slug,
        zone: zone(ctx).name().to_owned(),
        can_review: post.status == PostStatus::InReview && ctx.ws().allows(Action::ApprovePosts),
        p,
        parent,
        children,
        links,
        notice,
        error,
        comment,
    })
}

async fn post_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((_, post_id)): Path<(String, i64)>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let page = post_view_page(&state, &ctx, post_id, &q.notice, FieldError::default(), String::new()).await?;
    render(StatusCode::OK, &page)
}

/// The review forms: the comment of a post sent back, and where to come back to.
#[derive(Debug, Deserialize, Default)]
pub struct ReviewForm {
    #[serde(default)]
    comment: String,
    /// The text as the approver leaves it (absent, or unchanged, to approve as written).
    #[serde(default)]
    text: Option<String>,
    /// `review` to come back to the review list rather than the post's page.
    #[serde(default)]
    back: String,
}

/// After a review: back to the post's page (or the review list) with a notice, or the post's
/// page again with the error at its field.
async fn reviewed(
    state: &AppState,
    ctx: &Ctx,
    post_id: i64,
    form: ReviewForm,
    outcome: Result<Post, tutti_app::AppError>,
    notice: &str,
) -> Result<Response, WebError> {
    let slug = &ctx.ws().workspace.slug;
    match outcome {
        Ok(p) if form.back == "review" => {
            Ok(see_other(&format!("/w/{slug}/review?notice={notice}#post-{}", p.id)))
        }
        Ok(p) => Ok(see_other(&format!("/w/{slug}/posts/{}?notice={notice}", p.id))),
        Err(e) => {
            let error = form_error(e, ctx)?;
            let status = match error.field.as_str() {
                "" => StatusCode::FORBIDDEN,
                "post" => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let page = post_view_page(state, ctx, post_id, "", error, form.comment).await?;
            render(status, &page)
        }
    }
}

async fn approve_post(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, post_id)): Path<(String, i64)>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, WebError> {
    let outcome = match form.text.as_deref() {
        Some(text) => {
            let current = state.app.post(&ctx.actor(), &slug, post_id).await.map(|p| p.text);
            match current {
                Ok(t) if t.trim() != text.trim() => {
                    state.app.edit_and_approve_post(&ctx.actor(), &slug, post_id, text).await
                }
                _ => state.app.approve_post(&ctx.actor(), &slug, post_id).await,
            }
        }
        None => state.app.approve_post(&ctx.actor(), &slug, post_id).await,
    };
    reviewed(&state, &ctx, post_id, form, outcome, "approved").await
}

async fn send_back_post(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, post_id)): Path<(String, i64)>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, WebError> {
    let outcome = state.app.send_back_post(&ctx.actor(), &slug, post_id, &form.comment).await;
    reviewed(&state, &ctx, post_id, form, outcome, "sent_back").await
}

// ---------------------------------------------------------------------------------------------
// The review list

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    l: Layout,
    slug: String,
    zone: String,
    posts: Vec<PostView>,
    can_approve: bool,
    notice: String,
}

/// The posts in review, oldest first.
async fn in_review(state: &AppState, ctx: &Ctx) -> Result<Vec<Post>, WebError> {
    let slug = &ctx.ws().workspace.slug;
    let mut posts = state
        .app
        .calendar_posts(&ctx.actor(), slug, ALL_TIME.0, ALL_TIME.1, Some(PostStatus::InReview))
        .await
        .map_err(|e| page_err(e, ctx))?;
    posts.sort_by_key(|p| (p.created_at, p.id));
    Ok(posts)
}

async fn review_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let posts = in_review(&state, &ctx).await?;
    let (views, names) = channels_and_names(&state, &ctx).await?;
    let by_id: HashMap<i64, &ChannelView> = views.iter().map(|c| (c.id, c)).collect();
    let notice = match q.notice.as_str() {
        "approved" | "sent_back" => t.t(&format!("post-notice-{}", q.notice)),
        _ => String::new(),
    };
    let posts = posts.iter().map(|p| post_view(p, &by_id, &names, &ctx)).collect();
    let l = layout(&state, &ctx, t.t("review-title"), "review").await?;
    let page = ReviewPage {
        l,
        slug: ctx.ws().workspace.slug.clone(),
        zone: zone(&ctx).name().to_owned(),
        posts,
        can_approve: ctx.ws().allows(Action::ApprovePosts),
        notice,
    };
    render(StatusCode::OK, &page)
}

/// The calendar's "To review (N)" link, with its count (htmx swaps it in).
#[derive(Template)]
#[template(path = "review_count.html")]
struct ReviewCount {
    t: Tr,
    slug: String,
    count: usize,
}

async fn review_count(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    let count = in_review(&state, &ctx).await?.len();
    render(StatusCode::OK, &ReviewCount { t: ctx.tr(), slug: ctx.ws().workspace.slug.clone(), count })
}
