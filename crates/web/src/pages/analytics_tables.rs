//! The analytics tables (F2, F3): the post table of a period (sortable by its column headers,
//! a page at a time), one post's growth curve with its snapshots, the team's response times
//! per member and per channel; and their CSV downloads.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use tutti_app::analytics::{self as analytics, Period};
use tutti_domain::Action;

use super::analytics::{csv_download, duration, head, int, post_view, AnalyticsQuery, Head, PostView};
use super::analytics_charts::{self as charts, Series};
use super::common::{form_error, layout, page_err, render, Layout};
use crate::error::WebError;
use crate::format;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

/// Posts per page of the table.
const PAGE: i64 = 25;
/// The most rows a download holds.
const DOWNLOAD_ROWS: i64 = 10_000;

pub fn routes(t: RouteTable) -> RouteTable {
    let view = Access::Workspace(Action::ViewAnalytics);
    t.get("/w/{workspace}/analytics/posts", view, posts_page)
        .get("/w/{workspace}/analytics/posts.csv", view, posts_csv)
        .get("/w/{workspace}/analytics/posts/{post}", view, post_page)
        .get("/w/{workspace}/analytics/team", view, team_page)
        .get("/w/{workspace}/analytics/team.csv", view, team_csv)
}

/// The columns the table sorts by: key and message.
const SORTS: [(&str, &str); 6] = [
    ("published", "analytics-published"),
    ("likes", "analytics-likes"),
    ("reposts", "analytics-reposts"),
    ("replies", "analytics-replies"),
    ("engagements", "analytics-engagements"),
    ("rate", "analytics-rate"),
];

/// A sortable column header.
pub struct SortHead {
    pub label: String,
    pub href: String,
    /// `ascending`, `descending` or empty.
    pub aria: &'static str,
    pub arrow: &'static str,
    /// Whether the column holds numbers (aligned right).
    pub numeric: bool,
}

/// A row of the post table.
pub struct Row {
    pub post: PostView,
    pub published: String,
    pub likes: String,
    pub reposts: String,
    pub replies: String,
    pub clicks: String,
}

#[derive(Template)]
#[template(path = "analytics_posts.html")]
struct PostsPage {
    l: Layout,
    h: Head,
    heads: Vec<SortHead>,
    rows: Vec<Row>,
    prev: Option<String>,
    next: Option<String>,
    page: i64,
    /// The sort and order, for the download.
    sort_qs: String,
}

/// The sort and order of `q`: a known column (published by default) and whether ascending.
fn sort_of(q: &AnalyticsQuery) -> (String, bool) {
    let sort = q.sort.trim();
    let sort = if sort.is_empty() { "published" } else { sort };
    (sort.to_owned(), q.order.trim() == "asc")
}

async fn posts_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Response, WebError> {
    let (mut h, period) = head(&state, &ctx, q, "posts").await?;
    let t = ctx.tr();
    let (locale, tz) = (ctx.locale, ctx.ws().workspace.timezone.clone());
    let (mut sort, mut ascending) = sort_of(&h.q);
    let page = h.q.page.trim().parse::<i64>().unwrap_or(1).clamp(1, 10_000);
    let (actor, slug) = (ctx.actor(), h.slug.clone());
    let read = |sort: String, ascending: bool, filters: analytics::Filters| {
        let (state, actor, slug, period) = (state.clone(), actor.clone(), slug.clone(), period.clone());
        async move {
            state
                .app
                .analytics_posts(
                    &actor,
                    &slug,
                    &period,
                    &filters,
                    &sort,
                    ascending,
                    PAGE + 1,
                    (page - 1) * PAGE,
                )
                .await
        }
    };
    let mut lines = match read(sort.clone(), ascending, h.q.filters()).await {
        Ok(lines) => lines,
        Err(e) => {
            h.error = form_error(e, &ctx)?;
            (sort, ascending) = ("published".to_owned(), false);
            read(sort.clone(), false, Default::default()).await.map_err(|e| page_err(e, &ctx))?
        }
    };
    let more = lines.len() as i64 > PAGE;
    lines.truncate(PAGE as usize);
    let order = if ascending { "asc" } else { "desc" };
    let heads = SORTS
        .iter()
        .map(|(key, msg)| {
            let current = *key == sort;
            let next_order = if current && !ascending { "asc" } else { "desc" };
            SortHead {
                label: t.t(msg),
                href: format!(
                    "/w/{slug}/analytics/posts?{}",
                    h.q.with(&[("sort", key), ("order", next_order)])
                ),
                aria: match (current, ascending) {
                    (true, true) => "ascending",
                    (true, false) => "descending",
                    _ => "",
                },
                arrow: match (current, ascending) {
                    (true, true) => "▲",
                    (true, false) => "▼",
                    _ => "",
                },
                numeric: *key != "published",
            }
        })
        .collect();
    let page_link = |p: i64| {
        let p = p.to_string();
        format!("/w/{slug}/analytics/posts?{}", h.q.with(&[("sort", &sort), ("order", order), ("page", &p)]))
    };
    let rows = lines
        .iter()
        .map(|p| Row {
            post: post_view(p, &tz, locale),
            published: format::datetime(p.row.published_at, &tz, locale),
            likes: int(p.row.likes, locale),
            reposts: int(p.row.reposts, locale),
            replies: int(p.row.replies, locale),
            clicks: int(p.row.clicks, locale),
        })
        .collect();
    let status = if h.error.message.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = PostsPage {
        l: layout(&state, &ctx, t.t("analytics-posts-title"), "analytics").await?,
        heads,
        rows,
        prev: (page > 1).then(|| page_link(page - 1)),
        next: more.then(|| page_link(page + 1)),
        page,
        sort_qs: serde_urlencoded::to_string([("sort", sort.as_str()), ("order", order)]).unwrap_or_default(),
        h,
    };
    render(status, &view)
}

async fn posts_csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Response, WebError> {
    let period = period_for_download(&state, &ctx, &q).await?;
    let (sort, ascending) = sort_of(&q);
    let lines = state
        .app
        .analytics_posts(
            &ctx.actor(),
            &ctx.ws().workspace.slug,
            &period,
            &q.filters(),
            &sort,
            ascending,
            DOWNLOAD_ROWS,
            0,
        )
        .await
        .map_err(|e| page_err(e, &ctx))?;
    Ok(csv_download(analytics::export::posts_csv(&lines), "posts", &period))
}

async fn period_for_download(state: &AppState, ctx: &Ctx, q: &AnalyticsQuery) -> Result<Period, WebError> {
    let now = tutti_app::store::now_ms();
    state
        .app
        .analytics_period(&ctx.actor(), &ctx.ws().workspace.slug, &q.range, &q.from, &q.to, now)
        .await
        .map_err(|e| page_err(e, ctx))
}

/// A snapshot as the post's table shows it.
pub struct SnapshotRow {
    pub when: String,
    pub after: String,
    pub likes: String,
    pub reposts: String,
    pub replies: String,
    pub quotes: String,
    pub total: String,
}

#[derive(Template)]
#[template(path = "analytics_post.html")]
struct PostPage {
    l: Layout,
    slug: String,
    qs: String,
    post: PostView,
    /// The whole text.
    text: String,
    /// Its address on the network, when it is a web address.
    remote_url: Option<String>,
    pillar: String,
    campaign: String,
    likes: String,
    reposts: String,
    replies: String,
    quotes: String,
    clicks: String,
    followers: String,
    curve: Series,
    snapshots: Vec<SnapshotRow>,
}

async fn post_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let (locale, tz) = (ctx.locale, ctx.ws().workspace.timezone.clone());
    let a = state.app.analytics_post(&ctx.actor(), &slug, id).await.map_err(|e| page_err(e, &ctx))?;
    let r = &a.line.row;
    let published = r.published_at;
    let after = |at: i64| duration(Some((at - published) / 1000), locale);
    let totals: Vec<i64> = a.snapshots.iter().map(|s| s.likes + s.reposts + s.replies + s.quotes).collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    let values: Vec<Option<f64>> = totals.iter().map(|v| Some(*v as f64)).collect();
    let curve = Series {
        lines: vec![charts::line("line-0", t.t("analytics-engagements"), &values, max as f64, |i| {
            format!(
                "{}: {}",
                t.t1("analytics-after", "d", &after(a.snapshots[i].taken_at)),
                t.t1("analytics-n-engagements", "n", &int(totals[i], locale))
            )
        })],
        ticks: charts::ticks(a.snapshots.len(), |i| after(a.snapshots[i].taken_at)),
        top_left: int(max, locale),
        ..Default::default()
    };
    let snapshots = a
        .snapshots
        .iter()
        .zip(&totals)
        .map(|(s, total)| SnapshotRow {
            when: format::datetime(s.taken_at, &tz, locale),
            after: after(s.taken_at),
            likes: int(s.likes, locale),
            reposts: int(s.reposts, locale),
            replies: int(s.replies, locale),
            quotes: int(s.quotes, locale),
            total: int(*total, locale),
        })
        .collect();
    let remote_url = r
        .remote_url
        .clone()
        .filter(|u| (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= 2000);
    let view = PostPage {
        l: layout(&state, &ctx, t.t("analytics-post-title"), "analytics").await?,
        slug,
        qs: q.query_string(),
        post: post_view(&a.line, &tz, locale),
        text: format::excerpt(&r.text, 3000),
        remote_url,
        pillar: r.pillar.clone().unwrap_or_default(),
        campaign: r.campaign.clone().unwrap_or_default(),
        likes: int(r.likes, locale),
        reposts: int(r.reposts, locale),
        replies: int(r.replies, locale),
        quotes: int(r.quotes, locale),
        clicks: int(r.clicks, locale),
        followers: r.followers_at_publish.map(|f| int(f, locale)).unwrap_or_else(|| "—".into()),
        curve,
        snapshots,
    };
    render(StatusCode::OK, &view)
}

/// A line of the team tables.
pub struct TeamRow {
    pub name: String,
    pub asked: String,
    pub answered: String,
    pub median: String,
    pub p90: String,
    pub resolution: String,
    pub breaches: String,
    /// Empty for a channel.
    pub actions: String,
    /// Whether it has breaches (to mark them).
    pub late: bool,
}

/// A team line from a name, a set of response times (the app's `Times`, named by its fields)
/// and the actions taken.
macro_rules! team_row {
    ($name:expr, $times:expr, $actions:expr, $locale:expr) => {{
        let (times, locale) = (&$times, $locale);
        TeamRow {
            name: $name,
            asked: int(times.asked, locale),
            answered: int(times.answered, locale),
            median: duration(times.first_response.map(|s| s.median), locale),
            p90: duration(times.first_response.map(|s| s.p90), locale),
            resolution: duration(times.resolution.map(|s| s.median), locale),
            breaches: int(times.sla_breaches, locale),
            actions: $actions,
            late: times.sla_breaches > 0,
        }
    }};
}

#[derive(Template)]
#[template(path = "analytics_team.html")]
struct TeamPage {
    l: Layout,
    h: Head,
    sla: String,
    all: TeamRow,
    members: Vec<TeamRow>,
    channels: Vec<TeamRow>,
    rule_actions: String,
}

async fn team_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Response, WebError> {
    let (h, period) = head(&state, &ctx, q, "team").await?;
    let t = ctx.tr();
    let locale = ctx.locale;
    let team =
        state.app.analytics_team(&ctx.actor(), &h.slug, &period).await.map_err(|e| page_err(e, &ctx))?;
    let nobody = t.t("analytics-nobody");
    let members = team
        .members
        .iter()
        .map(|m| {
            let name = if m.name.is_empty() { nobody.clone() } else { m.name.clone() };
            team_row!(name, m.times, int(m.actions, locale), locale)
        })
        .collect();
    let channels = team
        .channels
        .iter()
        .map(|c| team_row!(c.channel.handle.clone(), c.times, String::new(), locale))
        .collect();
    let status = if h.error.message.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = TeamPage {
        l: layout(&state, &ctx, t.t("analytics-team-title"), "analytics").await?,
        sla: duration(Some(team.sla_minutes * 60), locale),
        all: team_row!(t.t("analytics-everyone"), team.all, String::new(), locale),
        members,
        channels,
        rule_actions: int(team.rule_actions, locale),
        h,
    };
    render(status, &view)
}

async fn team_csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Response, WebError> {
    let period = period_for_download(&state, &ctx, &q).await?;
    let team = state
        .app
        .analytics_team(&ctx.actor(), &ctx.ws().workspace.slug, &period)
        .await
        .map_err(|e| page_err(e, &ctx))?;
    Ok(csv_download(analytics::export::team_csv(&team), "team", &period))
}
