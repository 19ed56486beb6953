//! The start of the day: the overview of a workspace for its reader, the search of the top bar,
//! the alerts page with acknowledgement, and the crisis switch with its confirmation.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use chrono::Timelike;
use serde::Deserialize;
use tutti_app::desk::Overview;
use tutti_app::store::desk::{Hit, PostLine};
use tutti_domain::Action;

use super::calendar::glyph;
use super::common::{layout, page_err, render, see_other, zone, Layout};
use super::listening::{alert_views, AlertView};
use crate::error::WebError;
use crate::format::{self, clock, excerpt, local};
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let ws = Access::Workspace(Action::ViewWorkspace);
    t.get("/w/{workspace}", ws, overview)
        .get("/w/{workspace}/search", ws, search)
        .get("/w/{workspace}/alerts", Access::Workspace(Action::ViewListening), alerts_page)
        .post(
            "/w/{workspace}/alerts/{alert}/acknowledge",
            Access::Workspace(Action::ManageListening),
            acknowledge,
        )
        .get("/w/{workspace}/crisis", Access::Workspace(Action::ManageCrisis), crisis_page)
}

/// A post in a block of the overview.
pub struct PostRow {
    href: String,
    time: String,
    when: String,
    iso: String,
    network: &'static str,
    handle: String,
    excerpt: String,
    status: String,
    status_label: String,
    glyph: &'static str,
    /// The network's words on a failure, or the reviewer's comment.
    note: String,
    author: String,
}

/// The rows of a block; `today` shows the time alone (the block is the day's), other blocks
/// the date too.
fn post_rows(posts: &[PostLine], ctx: &Ctx, held: bool, today: bool) -> Vec<PostRow> {
    let t = ctx.tr();
    let tz = zone(ctx);
    let slug = &ctx.ws().workspace.slug;
    posts
        .iter()
        .map(|p| {
            let at = p.scheduled_at.unwrap_or(p.updated_at);
            let l = local(at, tz);
            // During a crisis nothing goes out: a scheduled post is held, not "scheduled".
            let (status, status_label) = if held && p.status == tutti_domain::PostStatus::Scheduled {
                ("held".to_owned(), t.t("post-status-held"))
            } else {
                (p.status.to_string(), t.t(&format!("post-status-{}", p.status)))
            };
            PostRow {
                href: format!("/w/{slug}/posts/{}", p.id),
                time: if today {
                    clock(l.hour(), l.minute(), ctx.locale)
                } else {
                    format::datetime(at, tz.name(), ctx.locale)
                },
                when: format::datetime(at, tz.name(), ctx.locale),
                iso: format::iso(at),
                network: p.network.name(),
                handle: p.handle.clone(),
                excerpt: excerpt(&p.text, 120),
                glyph: if status == "held" { "⏸" } else { glyph(p.status) },
                status,
                status_label,
                note: p.error.as_deref().map(|e| excerpt(e, 200)).unwrap_or_default(),
                author: p.author.clone(),
            }
        })
        .collect()
}

/// One line of "what waits for me": a count, what it is, where to act on it.
pub struct Waiting {
    count: i64,
    label: String,
    href: String,
    /// Shown as a warning (late, negative).
    warn: bool,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    l: Layout,
    slug: String,
    /// The reader's role, translated.
    my_role: String,
    /// The reader's unread notices: what happened, the network's words, where to act.
    notices: Vec<(String, String, String)>,
    /// What waits for the reader in the inbox and listening (empty when they see neither).
    waiting: Vec<Waiting>,
    can_inbox: bool,
    can_listen: bool,
    can_channels: bool,
    today: Option<Vec<PostRow>>,
    failed: Option<Vec<PostRow>>,
    broken: Vec<(String, &'static str, String)>,
    to_approve: Option<Vec<PostRow>>,
    review_count: i64,
    /// More posts wait for approval than the block lists.
    approve_more: bool,
    /// More posts failed than the block lists.
    failed_more: bool,
    my_waiting: Vec<PostRow>,
    my_sent_back: Vec<PostRow>,
    has_my_review: bool,
    alerts: Option<Vec<AlertView>>,
    alerts_open: i64,
    crisis_reason: String,
    /// This week's numbers: (label, value), for those who lead the team.
    week: Option<Vec<(String, String)>>,
    /// The team: name, initials, role.
    team: Vec<(String, String, String)>,
    members: usize,
}

/// A whole number in the reader's locale: « 12 345 », "12,345".
fn number(n: i64, locale: tutti_domain::Locale) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = match locale {
        tutti_domain::Locale::Fr => "\u{202F}",
        tutti_domain::Locale::En => ",",
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    if n < 0 {
        format!("−{out}")
    } else {
        out
    }
}

async fn overview(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    let actor = ctx.actor();
    let ws = ctx.ws().workspace.clone();
    let slug = ws.slug.clone();
    let t = ctx.tr();
    let o: Overview = state.app.overview(&actor, &slug).await.map_err(|e| page_err(e, &ctx))?;
    // The sidebar's counts are the overview's too: counted once, with the page's layout.
    let l = layout(&state, &ctx, ws.name.clone(), "home").await?;
    let held = o.crisis.is_some();
    let can = |a: Action| ctx.ws().allows(a);
    let c = l.counts;
    let mut waiting = Vec::new();
    if can(Action::ViewInbox) {
        let inbox = format!("/w/{slug}/inbox");
        waiting.push(Waiting {
            count: c.inbox_mine,
            label: t.t("overview-inbox-mine"),
            href: format!("{inbox}?assignee=me"),
            warn: false,
        });
        waiting.push(Waiting {
            count: c.inbox_unassigned,
            label: t.t("overview-inbox-unassigned"),
            href: format!("{inbox}?assignee=none"),
            warn: false,
        });
        let sla = o.sla_minutes.unwrap_or(60);
        let sla = if sla.is_positive() && sla % 60 == 0 {
            t.t1("overview-hours", "n", &(sla / 60).to_string())
        } else {
            t.t1("overview-minutes", "n", &sla.to_string())
        };
        waiting.push(Waiting {
            count: c.sla_breaches,
            label: t.t1("overview-inbox-late", "sla", &sla),
            href: format!("{inbox}?unanswered=1"),
            warn: c.sla_breaches > 0,
        });
    }
    if let Some((n, neg)) = o.mentions_today {
        waiting.push(Waiting {
            count: n,
            label: t.t("overview-mentions-today"),
            href: format!("/w/{slug}/listening"),
            warn: false,
        });
        if neg > 0 {
            waiting.push(Waiting {
                count: neg,
                label: t.t("overview-mentions-negative"),
                href: format!("/w/{slug}/listening"),
                warn: true,
            });
        }
    }
    let broken = o
        .broken
        .unwrap_or_default()
        .into_iter()
        .map(|b| (b.handle, b.network.name(), excerpt(&b.message, 200)))
        .collect();
    let has_my_review = o.my_review.is_some();
    let my = o.my_review.unwrap_or_default();
    let alerts = match o.alerts {
        Some(list) => {
            let queries = state.app.list_queries(&actor, &slug).await.map_err(|e| page_err(e, &ctx))?;
            let mut views = alert_views(list, &queries, &ctx);
            let can_ack = can(Action::ManageListening);
            for v in &mut views {
                v.can_acknowledge = can_ack;
            }
            Some(views)
        }
        None => None,
    };
    let week = o.week.map(|w| {
        vec![
            (t.t("overview-week-published"), number(w.published, ctx.locale)),
            (t.t("overview-week-answered"), number(w.answered, ctx.locale)),
            (t.t("overview-week-mentions"), number(w.mentions, ctx.locale)),
        ]
    });
    let members = state.app.list_members(&actor, &slug).await.map_err(|e| page_err(e, &ctx))?;
    let team: Vec<_> = members
        .into_iter()
        .map(|m| (super::common::initials(&m.name), super::common::role_label(&t, m.role), m.name))
        .collect();
    let my_role = ctx
        .ws()
        .role
        .map(|r| super::common::role_label(&t, r))
        .unwrap_or_else(|| t.t("overview-instance-admin"));
    let notices = notices(&state, &ctx).await?;
    let page = OverviewPage {
        my_role,
        notices,
        waiting,
        can_inbox: can(Action::ViewInbox),
        can_listen: can(Action::ViewListening),
        can_channels: can(Action::ManageChannels),
        today: o.today.as_deref().map(|p| post_rows(p, &ctx, held, true)),
        failed: o.failed.as_deref().map(|p| post_rows(p, &ctx, held, false)),
        broken,
        to_approve: o.to_approve.as_deref().map(|p| post_rows(p, &ctx, held, false)),
        review_count: c.review,
        approve_more: o.to_approve.as_ref().is_some_and(|p| c.review > p.len() as i64),
        failed_more: o.failed.as_ref().is_some_and(|p| c.failed_posts > p.len() as i64),
        my_waiting: post_rows(&my.waiting, &ctx, held, false),
        my_sent_back: post_rows(&my.sent_back, &ctx, held, false),
        has_my_review,
        alerts,
        alerts_open: c.alerts_open,
        crisis_reason: o.crisis.map(|c| c.reason).unwrap_or_default(),
        week,
        members: team.len(),
        team,
        slug,
        l,
    };
    render(StatusCode::OK, &page)
}

/// The reader's unread notices: what happened, the network's words, where to act.
async fn notices(state: &AppState, ctx: &Ctx) -> Result<Vec<(String, String, String)>, WebError> {
    let t = ctx.tr();
    Ok(state
        .app
        .notices(&ctx.actor(), &ctx.ws().workspace.slug)
        .await
        .map_err(|e| page_err(e, ctx))?
        .into_iter()
        .map(|n| {
            let handle = if n.kind != tutti_app::notices::CHANNEL_RECONNECT || n.subject.starts_with('@') {
                n.subject.clone()
            } else {
                format!("@{}", n.subject)
            };
            let what = t.t1(&format!("notice-{}", n.kind), "subject", &handle);
            // Only links inside Tutti are followed.
            let link =
                if n.link.starts_with('/') && !n.link.starts_with("//") { n.link } else { String::new() };
            (what, n.detail, link)
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Search

#[derive(Debug, Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// One result as shown: its title, its text, a detail, where it opens.
pub struct ResultRow {
    title: String,
    text: String,
    detail: String,
    href: String,
}

/// A group of results: its heading, its rows, where to see more.
pub struct ResultGroup {
    key: &'static str,
    heading: String,
    rows: Vec<ResultRow>,
    more: String,
    more_label: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    l: Layout,
    slug: String,
    query: String,
    groups: Vec<ResultGroup>,
    /// The query was too short to search.
    too_short: bool,
    found: bool,
}

async fn search(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let slug = ctx.ws().workspace.slug.clone();
    let query: String = q.q.trim().chars().take(tutti_app::desk::SEARCH_MAX_CHARS).collect();
    let results = state.app.search(&ctx.actor(), &slug, &query).await.map_err(|e| page_err(e, &ctx))?;
    let tz = ctx.me().timezone.clone();
    let when = |ms: i64| format::datetime(ms, &tz, ctx.locale);
    let mut groups = Vec::new();
    let mut group =
        |key: &'static str, hits: Option<Vec<Hit>>, row: &dyn Fn(Hit) -> ResultRow, more: String| {
            if let Some(hits) = hits {
                groups.push(ResultGroup {
                    key,
                    heading: t.t(&format!("search-group-{key}")),
                    rows: hits.into_iter().map(row).collect(),
                    more,
                    more_label: t.t(&format!("search-open-{key}")),
                });
            }
        };
    group(
        "people",
        results.people,
        &|h| ResultRow {
            title: if h.title.is_empty() { h.text.clone() } else { h.title },
            text: h.text,
            detail: when(h.at),
            href: format!("/w/{slug}/people/{}", h.id),
        },
        format!("/w/{slug}/community"),
    );
    group(
        "conversations",
        results.conversations,
        &|h| ResultRow {
            title: if h.title.is_empty() { t.t("search-someone") } else { h.title },
            text: excerpt(&h.text, 160),
            detail: format!("{} · {}", t.t(&format!("inbox-status-{}", h.extra)), when(h.at)),
            href: format!("/w/{slug}/inbox?status=all&c={}", h.id),
        },
        format!("/w/{slug}/inbox"),
    );
    group(
        "posts",
        results.posts,
        &|h| ResultRow {
            title: h.title,
            text: excerpt(&h.text, 160),
            detail: format!("{} · {}", t.t(&format!("post-status-{}", h.extra)), when(h.at)),
            href: format!("/w/{slug}/posts/{}", h.id),
        },
        format!("/w/{slug}/calendar"),
    );
    group(
        "mentions",
        results.mentions,
        &|h| ResultRow {
            title: h.title,
            text: excerpt(&h.text, 160),
            detail: when(h.at),
            href: format!("/w/{slug}/listening/{}", h.extra),
        },
        format!("/w/{slug}/listening"),
    );
    let too_short = query.chars().count() < 2;
    let found = groups.iter().any(|g| !g.rows.is_empty());
    let mut l = layout(&state, &ctx, t.t("search-title"), "search").await?;
    l.search = query.clone();
    render(StatusCode::OK, &SearchPage { l, slug: slug.clone(), query, groups, too_short, found })
}

// ---------------------------------------------------------------------------------------------
// Alerts

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    l: Layout,
    slug: String,
    alerts: Vec<AlertView>,
    open: i64,
}

async fn alerts_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    let actor = ctx.actor();
    let slug = ctx.ws().workspace.slug.clone();
    let queries = state.app.list_queries(&actor, &slug).await.map_err(|e| page_err(e, &ctx))?;
    let alerts = state.app.alerts(&actor, &slug, None, 100).await.map_err(|e| page_err(e, &ctx))?;
    let ids: Vec<i64> = alerts.iter().map(|a| a.id).collect();
    let acks = state.app.alert_acknowledgements(&actor, &slug, &ids).await.map_err(|e| page_err(e, &ctx))?;
    let t = ctx.tr();
    let can_ack = ctx.ws().allows(Action::ManageListening);
    let mut views = alert_views(alerts, &queries, &ctx);
    for v in &mut views {
        match acks.iter().find(|k| k.alert_id == v.a.id) {
            Some(k) => {
                let when = format::datetime(k.at, &ctx.me().timezone, ctx.locale);
                v.acknowledged = if k.by.is_empty() {
                    t.t1("alert-acknowledged-at", "when", &when)
                } else {
                    t.targs("alert-acknowledged-by", &[("name", &k.by), ("when", &when)])
                };
            }
            None => v.can_acknowledge = can_ack,
        }
    }
    let l = layout(&state, &ctx, t.t("alerts-title"), "alerts").await?;
    let open = l.counts.alerts_open;
    render(StatusCode::OK, &AlertsPage { l, alerts: views, slug, open })
}

#[derive(Debug, Deserialize)]
pub struct BackForm {
    #[serde(default)]
    back: String,
}

async fn acknowledge(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, alert)): Path<(String, i64)>,
    Form(form): Form<BackForm>,
) -> Result<Response, WebError> {
    state.app.acknowledge_alert(&ctx.actor(), &slug, alert).await.map_err(|e| page_err(e, &ctx))?;
    // Back where the button was: the overview or the alerts page.
    Ok(see_other(&if form.back == "home" {
        format!("/w/{slug}")
    } else {
        format!("/w/{slug}/alerts#alert-{alert}")
    }))
}

// ---------------------------------------------------------------------------------------------
// Crisis mode, with a confirmation

#[derive(Debug, Deserialize, Default)]
pub struct CrisisQuery {
    #[serde(default)]
    on: String,
    /// The alert that suggested it, whose headline is the reason offered.
    #[serde(default)]
    alert: Option<i64>,
}

#[derive(Template)]
#[template(path = "crisis.html")]
struct CrisisPage {
    l: Layout,
    slug: String,
    /// Whether the page turns crisis mode on (else off).
    turn_on: bool,
    /// Whether crisis mode is on now.
    is_on: bool,
    reason: String,
    /// Posts that wait while it is on.
    held: usize,
}

async fn crisis_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<CrisisQuery>,
) -> Result<Response, WebError> {
    let actor = ctx.actor();
    let slug = ctx.ws().workspace.slug.clone();
    let crisis = state.app.crisis(&actor, &slug).await.map_err(|e| page_err(e, &ctx))?;
    let is_on = crisis.is_some();
    let turn_on = match q.on.as_str() {
        "1" => true,
        "0" => false,
        _ => !is_on,
    };
    let reason = match (&crisis, q.alert) {
        (Some(c), _) => c.reason.clone(),
        (None, Some(id)) if ctx.ws().allows(Action::ViewListening) => {
            let alerts = state.app.alerts(&actor, &slug, None, 100).await.map_err(|e| page_err(e, &ctx))?;
            let queries = state.app.list_queries(&actor, &slug).await.map_err(|e| page_err(e, &ctx))?;
            let alerts = alerts.into_iter().filter(|a| a.id == id).collect();
            alert_views(alerts, &queries, &ctx).into_iter().next().map(|v| v.headline).unwrap_or_default()
        }
        _ => String::new(),
    };
    let l = layout(&state, &ctx, ctx.tr().t("crisis-title"), "home").await?;
    let held = usize::try_from(l.counts.scheduled).unwrap_or_default();
    render(StatusCode::OK, &CrisisPage { l, slug, turn_on, is_on, reason, held })
}
