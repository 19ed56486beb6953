//! The inbox (D2, D3): one list of every channel's conversations, filtered, with the
//! conversation beside it; status, assignment, tags, replies (the voice named before
//! sending), likes and reposts, all without a full page load; new conversations arrive live
//! (server-sent events); power users work from the keyboard (`j`/`k`, `r`, `a`, `e`, `o`, `t`).
//!
//! Everything that came from a network (names, handles, texts) is rendered escaped, with
//! `dir="auto"` and `<bdi>` so that right-to-left or mixed text stays readable and inert.

use std::collections::HashMap;
use std::convert::Infallible;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_app::inbox::ReplyToWrite;
use tutti_app::store::inbox::{Conversation, Filter, Item};
use tutti_app::store::publishing::{Channel, Post};
use tutti_app::AppError;
use tutti_domain::{
    Action, ActionStatus, AssignmentMode, ChannelVoice, ConversationStatus, ItemKind, Network, PostStatus,
};

use super::common::{form_error, is_htmx, layout, page_err, render, FieldError, Layout};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let view = Access::Workspace(Action::ViewInbox);
    let handle = Access::Workspace(Action::HandleInbox);
    t.get("/w/{workspace}/inbox", view, inbox_page)
        .get("/w/{workspace}/inbox/events", view, events)
        .get("/w/{workspace}/inbox/{conversation}", view, conversation_page)
        .post("/w/{workspace}/inbox/{conversation}/status", handle, set_status)
        .post("/w/{workspace}/inbox/{conversation}/assign", handle, assign)
        .post("/w/{workspace}/inbox/{conversation}/tags", handle, tag)
        .post("/w/{workspace}/inbox/{conversation}/reply/start", handle, start_reply)
        .post("/w/{workspace}/inbox/{conversation}/reply", handle, reply)
        .post(
            "/w/{workspace}/inbox/items/{item}/category",
            Access::Workspace(Action::ManageFeedback),
            classify,
        )
        .post("/w/{workspace}/inbox/items/{item}/{action}", handle, act)
        .post("/w/{workspace}/inbox-sla", Access::Workspace(Action::ApprovePosts), set_sla)
        .post("/w/{workspace}/inbox/{conversation}/notes", handle, add_note)
        .post("/w/{workspace}/inbox/{conversation}/escalate", handle, escalate)
        .post("/w/{workspace}/inbox/{conversation}/priority", handle, set_priority)
        .get("/w/{workspace}/inbox/{conversation}/saved/{saved}", handle, saved_reply)
        .post("/w/{workspace}/inbox-saved-replies", handle, add_saved_reply)
        .post("/w/{workspace}/inbox-views", view, save_view)
        .post("/w/{workspace}/inbox-assignment", Access::Workspace(Action::ApprovePosts), set_assignment)
        .get("/w/{workspace}/inbox-settings", Access::Workspace(Action::ApprovePosts), settings_page)
}

/// The filters, as the list's query string carries them.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct InboxQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    sentiment: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    unanswered: String,
    /// The conversation shown beside the list.
    #[serde(default)]
    c: Option<i64>,
    /// Paging: `last_item_at:id` of the last row shown.
    #[serde(default)]
    before: String,
}

impl InboxQuery {
    fn filter(&self, me: i64) -> Filter {
        let some = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        Filter {
            // The default view: what is open.
            status: match self.status.as_str() {
                "all" => None,
                s => Some(s.parse().unwrap_or(ConversationStatus::Open)),
            },
            channel_id: self.channel.parse().ok(),
            kind: some(&self.kind).and_then(|k| k.parse().ok()).filter(|k| ItemKind::INCOMING.contains(k)),
            sentiment: some(&self.sentiment).and_then(|s| s.parse().ok()),
            lang: some(&self.lang),
            tag: some(&self.tag).map(|t| t.to_lowercase()),
            assignee: match self.assignee.as_str() {
                "me" => Some(Some(me)),
                "none" => Some(None),
                _ => None,
            },
            unanswered: self.unanswered == "1",
            person_id: None,
        }
    }

    /// The query string of the filters (without the conversation and paging).
    fn query_string(&self) -> String {
        let pairs = [
            ("status", &self.status),
            ("channel", &self.channel),
            ("kind", &self.kind),
            ("sentiment", &self.sentiment),
            ("lang", &self.lang),
            ("tag", &self.tag),
            ("assignee", &self.assignee),
            ("unanswered", &self.unanswered),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", urlencoding(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn urlencoding(v: &str) -> String {
    serde_urlencoded::to_string([("", v)]).map(|s| s[1..].to_owned()).unwrap_or_default()
}

/// A row of the list.
pub struct Row {
    id: i64,
    person: String,
    channel: String,
    kind: String,
    kind_label: String,
    sentiment: String,
    sentiment_label: String,
    excerpt: String,
    when: String,
    when_iso: String,
    status: String,
    status_label: String,
    assignee: String,
    unanswered: bool,
    /// « due in 12 min », "late by 2 h", or empty when answered.
    sla: String,
    late: bool,
    toxic: bool,
    tags: Vec<String>,
}

/// An item of the conversation as shown.
pub struct ItemView {
    id: i64,
    kind: String,
    kind_label: String,
    who: String,
    handle: String,
    text: String,
    when: String,
    when_iso: String,
    sentiment: String,
    sentiment_label: String,
    toxic: bool,
    sent: bool,
    /// Whether a reply can answer it (one of the person's messages with a post).
    answerable: bool,
    /// For a reply of the brand: who wrote the message it answers, and its beginning.
    answers: Option<(String, String)>,
    /// For a reply of the brand: its state and the network's words when it failed.
    sent_status: String,
    sent_error: String,
    can_act: bool,
    /// like and repost, each with whether it is done.
    acts: Vec<(&'static str, bool)>,
    /// Whether the reader may confirm its product-feedback category here.
    can_classify: bool,
    /// Its category (empty when none) and whether someone confirmed it.
    category: String,
    category_confirmed: bool,
    /// The categories to choose from: value, label, chosen.
    categories: Vec<(&'static str, String, bool)>,
}

/// The brand's post a conversation answers, shown above it.
pub struct ContextView {
    text: String,
    when: String,
    when_iso: String,
    url: String,
}

/// The conversation pane.
#[derive(Template)]
#[template(path = "inbox_conversation.html")]
pub struct ConversationPane {
    l: Layout,
    slug: String,
    c: Conversation,
    channel: String,
    voice: String,
    ambassador: Option<String>,
    items: Vec<ItemView>,
    seen_items: i64,
    can_handle: bool,
    status_label: String,
    assignee: String,
    tags: String,
    replying: Option<String>,
    error: FieldError,
    draft: String,
    notice: String,
    max: usize,
    /// Internal notes: author, time, text.
    notes: Vec<(String, String, String)>,
    /// Saved replies: id and label.
    saved: Vec<(i64, String)>,
    /// Whether the reader moderates (hide, mute, block, report).
    can_moderate: bool,
    /// The brand's post it answers, when Tutti published it.
    context: Option<ContextView>,
    /// The messages a reply can answer, latest first: id and label.
    targets: Vec<(i64, String)>,
    /// The one the reply answers (the person's latest unless another was picked).
    target: i64,
    /// The list, with its filters: where the back link leads on a narrow screen.
    back: String,
}

impl ConversationPane {
    /// The statuses the conversation can move to.
    fn moves(&self) -> Vec<&'static str> {
        ConversationStatus::ALL.iter().filter(|s| **s != self.c.status).map(|s| s.as_str()).collect()
    }
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    l: Layout,
    slug: String,
    rows: Vec<Row>,
    q: InboxQuery,
    qs: String,
    next: String,
    channels: Vec<(i64, String)>,
    pane: Option<ConversationPane>,
    sla: i64,
    /// Whether the reader may change the inbox's settings (assignment, SLA).
    can_settings: bool,
    statuses: Vec<(&'static str, String)>,
    kinds: Vec<(&'static str, String)>,
    /// The reader's saved views: name and query string.
    views: Vec<(String, String)>,
}

/// The inbox's settings, for SMMs and admins: how conversations are assigned, the SLA.
#[derive(Template)]
#[template(path = "inbox_settings.html")]
struct InboxSettingsPage {
    l: Layout,
    slug: String,
    sla: i64,
    /// The assignment rule: manual or round_robin.
    assignment: AssignmentMode,
    saved: bool,
}

#[derive(Template)]
#[template(path = "inbox_list.html")]
struct InboxList {
    l: Layout,
    slug: String,
    rows: Vec<Row>,
    qs: String,
    next: String,
}

fn channel_label(c: &Channel) -> String {
    if c.handle.starts_with('@') {
        c.handle.clone()
    } else {
        format!("@{}", c.handle)
    }
}

fn ago(ctx: &Ctx, ms: i64, now: i64) -> String {
    let t = ctx.tr();
    let mins = (now - ms).max(0) / 60_000;
    match mins {
        0 => t.t("inbox-now"),
        1..=59 => t.t1("inbox-minutes", "n", &mins.to_string()),
        60..=1439 => t.t1("inbox-hours", "n", &(mins / 60).to_string()),
        _ => crate::format::datetime(ms, &ctx.ws().workspace.timezone, ctx.locale),
    }
}

fn duration(ctx: &Ctx, minutes: i64) -> String {
    let t = ctx.tr();
    if minutes < 60 {
        t.t1("inbox-duration-min", "n", &minutes.max(1).to_string())
    } else if minutes < 48 * 60 {
        t.t1("inbox-duration-h", "n", &(minutes / 60).to_string())
    } else {
        t.t1("inbox-duration-d", "n", &(minutes / 1440).to_string())
    }
}

struct Lookups {
    channels: HashMap<i64, Channel>,
    names: HashMap<i64, String>,
    sla: i64,
}

async fn lookups(state: &AppState, ctx: &Ctx) -> Result<Lookups, WebError> {
    let slug = &ctx.ws().workspace.slug;
    let actor = ctx.actor();
    let channels = state.app.inbox_channels(&actor, slug).await.map_err(|e| page_err(e, ctx))?;
    let members = state.app.list_members(&actor, slug).await.map_err(|e| page_err(e, ctx))?;
    let sla = state.app.inbox_sla(&actor, slug).await.map_err(|e| page_err(e, ctx))?;
    Ok(Lookups {
        channels: channels.into_iter().map(|c| (c.id, c)).collect(),
        names: members.into_iter().map(|m| (m.user_id, m.name)).collect(),
        sla,
    })
}

fn row(ctx: &Ctx, k: &Lookups, c: &Conversation, now: i64) -> Row {
    let t = ctx.tr();
    let due = c.first_item_at + k.sla * 60_000;
    let (sla, late) = if !c.unanswered || c.status == ConversationStatus::Closed {
        (String::new(), false)
    } else if now > due {
        (t.t1("inbox-sla-late", "d", &duration(ctx, (now - due) / 60_000)), true)
    } else {
        (t.t1("inbox-sla-left", "d", &duration(ctx, (due - now) / 60_000)), false)
    };
    Row {
        id: c.id,
        person: if c.person_name.is_empty() { "?".into() } else { c.person_name.clone() },
        // The account, when there are several to tell apart.
        channel: if k.channels.len() > 1 {
            k.channels.get(&c.channel_id).map(channel_label).unwrap_or_default()
        } else {
            String::new()
        },
        kind: c.kind.to_string(),
        kind_label: t.t(&format!("inbox-kind-{}", c.kind)),
        sentiment: c.sentiment.to_string(),
        sentiment_label: t.t(&format!("sentiment-{}", c.sentiment)),
        excerpt: c.excerpt.chars().take(160).collect(),
        when: ago(ctx, c.last_item_at, now),
        when_iso: crate::format::iso(c.last_item_at),
        status: c.status.to_string(),
        status_label: t.t(&format!("inbox-state-{}", c.status)),
        assignee: c.assignee_user_id.and_then(|u| k.names.get(&u).cloned()).unwrap_or_default(),
        unanswered: c.unanswered,
        sla,
        late,
        toxic: c.toxicity >= tutti_app::inbox::TOXIC_AT,
        tags: c.tags.clone(),
    }
}

async fn rows_for(
    state: &AppState,
    ctx: &Ctx,
    k: &Lookups,
    q: &InboxQuery,
) -> Result<(Vec<Row>, String), WebError> {
    let slug = &ctx.ws().workspace.slug;
    let before = q.before.split_once(':').and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
    let list = state
        .app
        .inbox(&ctx.actor(), slug, &q.filter(ctx.me().id), before, 50)
        .await
        .map_err(|e| page_err(e, ctx))?;
    let now = tutti_app::store::now_ms();
    let next = if list.len() == 50 {
        list.last().map(|c| format!("{}:{}", c.last_item_at, c.id)).unwrap_or_default()
    } else {
        String::new()
    };
    Ok((list.iter().map(|c| row(ctx, k, c, now)).collect(), next))
}

/// What the last action on a conversation left to show: an error at its field with the text
/// typed, or a notice.
#[derive(Debug, Default)]
struct Outcome {
    error: FieldError,
    draft: String,
    notice: String,
    /// The message the reply being written answers, when the writer picked one.
    target: Option<i64>,
}

async fn pane(
    state: &AppState,
    ctx: &Ctx,
    k: &Lookups,
    l: Layout,
    id: i64,
    outcome: Outcome,
) -> Result<ConversationPane, WebError> {
    let Outcome { error, draft, notice, target } = outcome;
    let t = ctx.tr();
    let slug = ctx.ws().workspace.slug.clone();
    let actor = ctx.actor();
    let (c, items, posts) = state.app.conversation(&actor, &slug, id).await.map_err(|e| page_err(e, ctx))?;
    let context = state.app.conversation_context(&actor, &slug, id).await.map_err(|e| page_err(e, ctx))?;
    let actions = state.app.conversation_actions(&actor, &slug, id).await.map_err(|e| page_err(e, ctx))?;
    let posts: HashMap<i64, Post> = posts.into_iter().map(|p| (p.id, p)).collect();
    let now = tutti_app::store::now_ms();
    let home = k.channels.get(&c.channel_id);
    let me = ctx.me().id;
    let ambassador = home.and_then(|h| {
        k.channels.values().find(|x| x.network == h.network && x.owner_user_id == Some(me)).map(channel_label)
    });
    let voice = match home {
        Some(h) if h.owner_user_id.is_some() => t.t1(
            "compose-voice-ambassador",
            "name",
            h.owner_user_id.and_then(|o| k.names.get(&o)).map(String::as_str).unwrap_or("?"),
        ),
        _ => t.t("compose-voice-brand"),
    };
    let can_handle = ctx.ws().allows(Action::HandleInbox);
    let can_classify = ctx.ws().allows(Action::ManageFeedback);
    let answerable: Vec<&Item> = tutti_app::inbox::answerable_items(&c, &items);
    let by_id: HashMap<i64, &Item> = items.iter().map(|i| (i.id, i)).collect();
    let who = |i: &Item| {
        if i.author_name.is_empty() {
            i.author_handle.clone()
        } else {
            i.author_name.clone()
        }
    };
    let beginning = |text: &str| {
        let mut b: String = text.chars().take(60).collect();
        if text.chars().count() > 60 {
            b.push('…');
        }
        b.replace('\n', " ")
    };
    let views = items
        .iter()
        .map(|i: &Item| {
            let post = i.post_id.and_then(|p| posts.get(&p));
            let done = |a: &str| {
                actions.iter().any(|x| x.item_id == i.id && x.action == a && x.status != ActionStatus::Failed)
            };
            ItemView {
                id: i.id,
                kind: i.kind.to_string(),
                kind_label: t.t(&format!("inbox-kind-{}", i.kind)),
                who: if i.kind == ItemKind::Sent {
                    i.author_name.clone()
                } else if i.author_name.is_empty() {
                    i.author_handle.clone()
                } else {
                    i.author_name.clone()
                },
                handle: if i.author_handle.is_empty() {
                    String::new()
                } else {
                    format!("@{}", i.author_handle)
                },
                text: i.text.clone(),
                when: ago(ctx, i.created_at, now),
                when_iso: crate::format::iso(i.created_at),
                sentiment: i.sentiment.to_string(),
                sentiment_label: t.t(&format!("sentiment-{}", i.sentiment)),
                toxic: i.toxicity >= tutti_app::inbox::TOXIC_AT,
                sent: i.kind == ItemKind::Sent,
                answerable: answerable.iter().any(|a| a.id == i.id),
                answers: i.answers_item_id.and_then(|a| by_id.get(&a)).map(|a| (who(a), beginning(&a.text))),
                sent_status: post.map(|p| t.t(&format!("post-status-{}", p.status))).unwrap_or_default(),
                sent_error: post
                    .filter(|p| p.status == PostStatus::Failed)
                    .and_then(|p| p.error.clone())
                    .unwrap_or_default(),
                can_act: can_handle && i.post_ref.is_some() && i.kind != ItemKind::Sent,
                acts: vec![("like", done("like")), ("repost", done("repost"))],
                can_classify: can_classify && i.kind.is_answerable(),
                category: i.category.clone(),
                category_confirmed: i.category_confirmed,
                categories: tutti_app::feedback::CATEGORIES
                    .iter()
                    .map(|c| (*c, t.t(&format!("feedback-cat-{c}")), i.category == *c))
                    .collect(),
            }
        })
        .collect();
    let replying = c
        .replying
        .filter(|(u, until)| *u != me && *until > now)
        .map(|(u, _)| k.names.get(&u).cloned().unwrap_or_default());
    let notes = state
        .app
        .notes(&actor, &slug, id)
        .await
        .map_err(|e| page_err(e, ctx))?
        .into_iter()
        .map(|n| {
            let who = n.author_user_id.and_then(|u| k.names.get(&u).cloned()).unwrap_or_default();
            (who, ago(ctx, n.created_at, now), n.body)
        })
        .collect();
    let saved = state
        .app
        .saved_replies(&actor, &slug)
        .await
        .map_err(|e| page_err(e, ctx))?
        .into_iter()
        .map(|r| (r.id, if r.lang.is_empty() { r.name } else { format!("{} ({})", r.name, r.lang) }))
        .collect();
    let network = home.map_or(Network::Bluesky, |h| h.network);
    let default = tutti_app::inbox::default_target(&c, &items).map(|i| i.id).unwrap_or_default();
    let target = target.filter(|t| answerable.iter().any(|a| a.id == *t)).unwrap_or(default);
    let targets = answerable
        .iter()
        .rev()
        .map(|i| {
            let when = ago(ctx, i.created_at, now);
            let label = t.targs(
                "inbox-reply-target-option",
                &[("who", &who(i)), ("when", &when), ("text", &beginning(&i.text))],
            );
            (i.id, label)
        })
        .collect();
    let context = context.map(|p| {
        let at = p.published_at.unwrap_or(p.created_at);
        ContextView {
            text: p.text,
            when: crate::format::datetime(at, &ctx.ws().workspace.timezone, ctx.locale),
            when_iso: crate::format::iso(at),
            url: p.remote_url.unwrap_or_default(),
        }
    });
    Ok(ConversationPane {
        context,
        targets,
        target,
        back: format!("/w/{slug}/inbox"),
        l,
        slug,
        channel: home.map(channel_label).unwrap_or_default(),
        voice,
        ambassador,
        seen_items: c.items,
        status_label: t.t(&format!("inbox-state-{}", c.status)),
        assignee: c.assignee_user_id.and_then(|u| k.names.get(&u).cloned()).unwrap_or_default(),
        tags: c.tags.join(", "),
        c,
        items: views,
        can_handle,
        replying,
        error,
        draft,
        notice,
        notes,
        saved,
        can_moderate: ctx.ws().allows(Action::ManageModeration),
        max: tutti_networks::limits(network).text_max,
    })
}

async fn full_page(
    state: &AppState,
    ctx: &Ctx,
    q: InboxQuery,
    pane_id: Option<i64>,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let k = lookups(state, ctx).await?;
    let (rows, next) = rows_for(state, ctx, &k, &q).await?;
    let l = layout(state, ctx, t.t("inbox-title"), "inbox").await?;
    let pane = match pane_id.or(q.c) {
        Some(id) => Some(pane(state, ctx, &k, l.clone(), id, Outcome::default()).await?),
        None => None,
    };
    let mut channels: Vec<(i64, String)> = k.channels.values().map(|c| (c.id, channel_label(c))).collect();
    channels.sort_by(|a, b| a.1.cmp(&b.1));
    let page = InboxPage {
        l,
        slug: ctx.ws().workspace.slug.clone(),
        rows,
        qs: q.query_string(),
        next,
        channels,
        pane,
        sla: k.sla,
        can_settings: ctx.ws().allows(Action::ApprovePosts),
        statuses: ConversationStatus::ALL
            .iter()
            .map(|s| (s.as_str(), t.t(&format!("inbox-status-{s}"))))
            .collect(),
        kinds: ItemKind::INCOMING.iter().map(|s| (s.as_str(), t.t(&format!("inbox-kind-{s}")))).collect(),
        views: state
            .app
            .inbox_views(&ctx.actor(), &ctx.ws().workspace.slug)
            .await
            .map_err(|e| page_err(e, ctx))?
            .into_iter()
            .map(|v| (v.name, v.query))
            .collect(),
        q,
    };
    render(StatusCode::OK, &page)
}

async fn inbox_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Query(q): Query<InboxQuery>,
) -> Result<Response, WebError> {
    // htmx asks for the list alone when the filters change or new conversations arrive.
    if is_htmx(&headers) && headers.get("hx-target").and_then(|v| v.to_str().ok()) == Some("inbox-list") {
        let k = lookups(&state, &ctx).await?;
        let (rows, next) = rows_for(&state, &ctx, &k, &q).await?;
        let l = layout(&state, &ctx, ctx.tr().t("inbox-title"), "inbox").await?;
        let list = InboxList { l, slug: ctx.ws().workspace.slug.clone(), rows, qs: q.query_string(), next };
        return render(StatusCode::OK, &list);
    }
    full_page(&state, &ctx, q, None).await
}

async fn conversation_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<InboxQuery>,
) -> Result<Response, WebError> {
    if is_htmx(&headers) {
        let k = lookups(&state, &ctx).await?;
        let l = layout(&state, &ctx, ctx.tr().t("inbox-title"), "inbox").await?;
        let p = pane(&state, &ctx, &k, l, id, Outcome::default()).await?;
        return render(StatusCode::OK, &p);
    }
    full_page(&state, &ctx, q, Some(id)).await
}

/// After an action: the pane again (htmx), or the inbox page with the conversation.
async fn after(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    id: i64,
    result: Result<String, AppError>,
    draft: String,
) -> Result<Response, WebError> {
    after_answering(state, ctx, headers, id, result, draft, None).await
}

/// [`after`], keeping the message the reply answers when the writer picked one.
async fn after_answering(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    id: i64,
    result: Result<String, AppError>,
    draft: String,
    target: Option<i64>,
) -> Result<Response, WebError> {
    let (status, error, notice, draft) = match result {
        Ok(notice) => (StatusCode::OK, FieldError::default(), notice, String::new()),
        Err(e) => {
            let error = form_error(e, ctx)?;
            (super::common::form_status(&error), error, String::new(), draft)
        }
    };
    if !is_htmx(headers) && status == StatusCode::OK {
        return Ok(super::common::see_other(&format!("/w/{}/inbox/{id}", ctx.ws().workspace.slug)));
    }
    let k = lookups(state, ctx).await?;
    let l = layout(state, ctx, ctx.tr().t("inbox-title"), "inbox").await?;
    let target = if error.message.is_empty() { None } else { target };
    let p = pane(state, ctx, &k, l, id, Outcome { error, draft, notice, target }).await?;
    let mut r = render(status, &p)?;
    if status == StatusCode::OK {
        // The list shows the change too.
        r.headers_mut().insert("hx-trigger", axum::http::HeaderValue::from_static("inbox-changed"));
    }
    Ok(r)
}

#[derive(Debug, Deserialize)]
pub struct ValueForm {
    #[serde(default)]
    value: String,
}

async fn set_status(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<ValueForm>,
) -> Result<Response, WebError> {
    let r = state.app.set_conversation_status(&ctx.actor(), &slug, id, &f.value).await;
    let notice =
        ctx.tr().t1("inbox-status-set", "status", &ctx.tr().t(&format!("inbox-state-{}", f.value.trim())));
    after(&state, &ctx, &headers, id, r.map(|_| notice), String::new()).await
}

async fn assign(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<ValueForm>,
) -> Result<Response, WebError> {
    let r = state.app.assign_conversation(&ctx.actor(), &slug, id, &f.value).await;
    let notice = ctx.tr().t("inbox-assigned");
    after(&state, &ctx, &headers, id, r.map(|_| notice), String::new()).await
}

async fn tag(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<ValueForm>,
) -> Result<Response, WebError> {
    let r = state.app.tag_conversation(&ctx.actor(), &slug, id, &f.value).await;
    let notice = ctx.tr().t("inbox-tagged");
    after(&state, &ctx, &headers, id, r.map(|_| notice), String::new()).await
}

async fn start_reply(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let other = state.app.start_reply(&ctx.actor(), &slug, id).await.map_err(|e| page_err(e, &ctx))?;
    let html = match other {
        Some(name) => format!(
            "<p class=\"notice small\" role=\"status\">{}</p>",
            askama::filters::escape(
                &ctx.tr().t1("inbox-someone-replying", "name", &name),
                askama::filters::Html
            )
            .map(|e| e.to_string())
            .unwrap_or_default()
        ),
        None => String::new(),
    };
    Ok((StatusCode::OK, axum::response::Html(html)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    voice: String,
    #[serde(default)]
    seen_items: Option<i64>,
    /// The message answered (empty: the person's latest).
    #[serde(default)]
    item: String,
}

async fn reply(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<ReplyForm>,
) -> Result<Response, WebError> {
    let target = f.item.trim().parse::<i64>().ok();
    let r = ReplyToWrite {
        text: f.text.clone(),
        item_id: target,
        as_ambassador: f.voice == ChannelVoice::Ambassador.as_str(),
        seen_items: f.seen_items,
    };
    let t = ctx.tr();
    let result = state.app.reply(&ctx.actor(), &slug, id, &r).await.map(|p| {
        if p.status == PostStatus::InReview {
            t.t("inbox-reply-review")
        } else {
            t.t("inbox-reply-sent")
        }
    });
    after_answering(&state, &ctx, &headers, id, result, f.text, target).await
}

async fn act(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path((slug, item, action)): Path<(String, i64, String)>,
) -> Result<Response, WebError> {
    let done = state.app.act_on_item(&ctx.actor(), &slug, item, &action).await;
    if let Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_))) = done {
        return Err(page_err(e, &ctx));
    }
    let conversation =
        state.app.item_conversation(&ctx.actor(), &slug, item).await.map_err(|e| page_err(e, &ctx))?;
    let notice = ctx.tr().t(&format!("inbox-{}-asked", if action == "repost" { "repost" } else { "like" }));
    after(&state, &ctx, &headers, conversation, done.map(|_| notice), String::new()).await
}

#[derive(Debug, Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    category: String,
}

/// Confirms or changes an item's product-feedback category from the conversation pane.
async fn classify(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path((slug, item)): Path<(String, i64)>,
    Form(f): Form<CategoryForm>,
) -> Result<Response, WebError> {
    let done = state.app.set_feedback_category(&ctx.actor(), &slug, item, &f.category).await;
    if let Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_))) = done {
        return Err(page_err(e, &ctx));
    }
    let conversation =
        state.app.item_conversation(&ctx.actor(), &slug, item).await.map_err(|e| page_err(e, &ctx))?;
    let notice = ctx.tr().t("inbox-category-saved");
    after(&state, &ctx, &headers, conversation, done.map(|_| notice), String::new()).await
}

#[derive(Debug, Deserialize)]
pub struct SlaForm {
    #[serde(default)]
    sla: String,
}

async fn set_sla(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Form(f): Form<SlaForm>,
) -> Result<Response, WebError> {
    state.app.set_inbox_sla(&ctx.actor(), &slug, &f.sla).await.map_err(|e| page_err(e, &ctx))?;
    Ok(super::common::see_other(&format!("/w/{slug}/inbox-settings?saved=1")))
}

/// Server-sent events: `moved` with the ids of conversations that moved, looked up when the
/// change feed says the workspace's inbox changed (see [`super::live`]); the page reloads its
/// list when one arrives. The stream ends after a sign-out, a password change or a revoked
/// token, and when the person leaves the workspace.
async fn events(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let since = tutti_app::store::now_ms();
    super::live::stream(state, &ctx, slug, Action::ViewInbox, super::live::Watch::Inbox { since })
}

async fn add_note(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<ValueForm>,
) -> Result<Response, WebError> {
    let r = state.app.add_note(&ctx.actor(), &slug, id, &f.value).await;
    let t = ctx.tr();
    let result = r.map(|n| {
        if n == 0 {
            t.t("inbox-note-saved")
        } else {
            t.t1("inbox-note-notified", "n", &n.to_string())
        }
    });
    after(&state, &ctx, &headers, id, result, String::new()).await
}

async fn escalate(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let r = state.app.escalate(&ctx.actor(), &slug, id).await.map(|_| ctx.tr().t("inbox-escalated"));
    after(&state, &ctx, &headers, id, r, String::new()).await
}

async fn set_priority(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<ValueForm>,
) -> Result<Response, WebError> {
    let r = state
        .app
        .set_conversation_priority(&ctx.actor(), &slug, id, &f.value)
        .await
        .map(|_| ctx.tr().t("inbox-priority-set"));
    after(&state, &ctx, &headers, id, r, String::new()).await
}

#[derive(Template)]
#[template(
    source = "<textarea id=\"reply-text\" name=\"text\" rows=\"4\" dir=\"auto\" maxlength=\"5000\" data-reply-text data-max=\"{{ max }}\" aria-describedby=\"reply-count\">{{ text }}</textarea>",
    ext = "html"
)]
struct ReplyBox {
    text: String,
    max: usize,
}

/// A saved reply filled in for the conversation's person, as the reply box.
async fn saved_reply(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id, saved)): Path<(String, i64, i64)>,
) -> Result<Response, WebError> {
    let text =
        state.app.fill_saved_reply(&ctx.actor(), &slug, id, saved).await.map_err(|e| page_err(e, &ctx))?;
    // The counter's limit is the strictest network's until the box is sent with its channel.
    let max = Network::ALL.iter().map(|n| tutti_networks::limits(*n).text_max).min().unwrap_or_default();
    render(StatusCode::OK, &ReplyBox { text, max })
}

#[derive(Debug, Deserialize)]
pub struct SavedForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    body: String,
}

async fn add_saved_reply(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Form(f): Form<SavedForm>,
) -> Result<Response, WebError> {
    match state.app.add_saved_reply(&ctx.actor(), &slug, &f.name, &f.lang, &f.body).await {
        Ok(_) => Ok(super::common::see_other(&format!("/w/{slug}/inbox?saved=1"))),
        Err(e) => Err(page_err(e, &ctx)),
    }
}

#[derive(Debug, Deserialize)]
pub struct ViewForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

async fn save_view(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Form(f): Form<ViewForm>,
) -> Result<Response, WebError> {
    match state.app.save_inbox_view(&ctx.actor(), &slug, &f.name, &f.query).await {
        Ok(()) => {
            Ok(super::common::see_other(&format!("/w/{slug}/inbox?{}", f.query.trim_start_matches('?'))))
        }
        Err(e) => Err(page_err(e, &ctx)),
    }
}

async fn set_assignment(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Form(f): Form<ValueForm>,
) -> Result<Response, WebError> {
    match state.app.set_assignment_rule(&ctx.actor(), &slug, &f.value).await {
        Ok(()) => Ok(super::common::see_other(&format!("/w/{slug}/inbox-settings?saved=1"))),
        Err(e) => Err(page_err(e, &ctx)),
    }
}

#[derive(Debug, Deserialize)]
pub struct SettingsQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// The inbox's settings (SMMs and admins): how new conversations are assigned, and the
/// first-answer SLA.
async fn settings_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<SettingsQuery>,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let slug = ctx.ws().workspace.slug.clone();
    let actor = ctx.actor();
    let sla = state.app.inbox_sla(&actor, &slug).await.map_err(|e| page_err(e, &ctx))?;
    let assignment = state.app.assignment_rule(&actor, &slug).await.map_err(|e| page_err(e, &ctx))?;
    let l = layout(&state, &ctx, t.t("inbox-settings-title"), "inbox").await?;
    render(StatusCode::OK, &InboxSettingsPage { l, slug, sla, assignment, saved: q.saved.is_some() })
}
