//! The editorial calendar (month, week and list, filtered by channel and status), where a post
//! moves to another day by drag and drop or, from the keyboard, by a small form.
//!
//! Every date a person types or reads here is in the **workspace's** time zone: the calendar
//! is the brand's, whoever reads it (see `crate::format` and `crate::forms`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use chrono::{Datelike, Duration, NaiveDate, Timelike};
use serde::Deserialize;
use tutti_app::store::publishing::Post;
use tutti_domain::{Action, Locale, PostStatus};

use super::channel_views::{channel_views, member_names, ChannelView};
use super::common::{form_error, is_htmx, layout, page_err, render, see_other, zone, FieldError, Layout};
use crate::error::WebError;
use crate::format::{
    clock, date_day_month, date_start, excerpt, local, long_day, month_title, short_weekday,
};
use crate::forms::{local_instant, parse_local};
use crate::i18n::Tr;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

/// The states a post is filtered by on the calendar, in the order of its life.
const STATUSES: [PostStatus; 5] = [
    PostStatus::InReview,
    PostStatus::Scheduled,
    PostStatus::Publishing,
    PostStatus::Published,
    PostStatus::Failed,
];

pub fn routes(t: RouteTable) -> RouteTable {
    let write = Access::Workspace(Action::WritePosts);
    t.get("/w/{workspace}/calendar", write, calendar_page).post(
        "/w/{workspace}/posts/{post}/reschedule",
        write,
        reschedule,
    )
}

/// The instant a post is placed at on the calendar: when it is due, or when it was written if
/// it goes out as soon as possible.
pub(super) fn placed_at(p: &Post) -> i64 {
    p.scheduled_at.unwrap_or(p.created_at)
}

/// The calendar's query string.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct CalQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    notice: String,
    #[serde(default)]
    post: String,
}

/// A post as a calendar card.
#[derive(Debug, Clone)]
pub struct Card {
    id: i64,
    status: String,
    status_label: String,
    glyph: &'static str,
    time: String,
    iso: String,
    when: String,
    network_name: &'static str,
    handle: String,
    voice: String,
    ambassador: bool,
    channel_reconnect: bool,
    author: String,
    excerpt: String,
    text: String,
    /// The text for the tooltip, cut short.
    hover: String,
    error: Option<String>,
    remote_url: Option<String>,
    movable: bool,
    /// The current local time, for the move form (`2026-03-29T10:00`).
    move_value: String,
    /// The local day (`2026-03-29`).
    day: String,
    /// The local hour (0–23), the row of the week's time grid.
    hour: u32,
    highlight: bool,
}

/// One day of the grid.
#[derive(Debug, Clone)]
pub struct Day {
    date: String,
    num: u32,
    label: String,
    head: String,
    in_range: bool,
    today: bool,
    past: bool,
    cards: Vec<Card>,
}

impl Day {
    /// The cards of hour `h` (the week's time grid).
    fn at(&self, h: impl std::borrow::Borrow<u32>) -> Vec<&Card> {
        let h = *h.borrow();
        self.cards.iter().filter(|c| c.hour == h).collect()
    }
}

/// The hours the week's time grid shows: the working day, stretched to the posts outside it.
fn grid_hours(days: &[Day], locale: Locale) -> Vec<(u32, String)> {
    let hours = days.iter().flat_map(|d| d.cards.iter().map(|c| c.hour));
    let (first, last) = hours.fold((8, 20), |(a, b), h| (a.min(h), b.max(h)));
    (first..=last).map(|h| (h, crate::format::hour(h, locale))).collect()
}

/// The calendar as drawn.
#[derive(Debug, Clone)]
pub struct Cal {
    view: &'static str,
    date: String,
    title: String,
    prev: String,
    next: String,
    today: String,
    weekdays: Vec<String>,
    weeks: Vec<Vec<Day>>,
    days: Vec<Day>,
    /// The rows of the week's time grid: (hour, label).
    hours: Vec<(u32, String)>,
    channel: String,
    status: String,
    /// `&channel=…&status=…`, for links that keep the filters.
    filters: String,
    /// The query string to come back to after moving a post.
    back: String,
    total: usize,
    zone: String,
    notice: String,
    error: FieldError,
    error_post: i64,
    failed: Vec<Card>,
    failed_count: usize,
    reconnect: Vec<ChannelView>,
}

impl Cal {
    /// The link to the calendar at `date` in `view`, keeping the filters.
    fn link(&self, view: &str, date: &str) -> String {
        format!("?view={view}&date={date}{}", self.filters)
    }

    /// Whether the error shown is about post `id`.
    fn error_on(&self, id: &i64) -> Option<&str> {
        (self.error_post == *id && !self.error.message.is_empty()).then_some(self.error.message.as_str())
    }
}

/// The glyph of a post's status on the calendar and everywhere a post is listed.
pub(super) fn glyph(status: PostStatus) -> &'static str {
    match status {
        PostStatus::Draft => "○",
        PostStatus::InReview => "◐",
        PostStatus::Approved => "●",
        PostStatus::Scheduled => "◷",
        PostStatus::Publishing => "↻",
        PostStatus::Published => "✓",
        PostStatus::Failed => "⚠",
    }
}

fn urlencode(v: &str) -> String {
    serde_urlencoded::to_string([("", v)]).map(|s| s[1..].to_owned()).unwrap_or_default()
}

/// Everything the calendar needs to draw one period.
struct CalInput<'a> {
    q: &'a CalQuery,
    error: FieldError,
    error_post: i64,
}

async fn calendar(state: &AppState, ctx: &Ctx, input: CalInput<'_>) -> Result<Cal, WebError> {
    let t = ctx.tr();
    let locale = ctx.locale;
    let actor = ctx.actor();
    let access = ctx.ws();
    let slug = access.workspace.slug.clone();
    let tz = zone(ctx);
    let q = input.q;
    let now = tutti_app::store::now_ms();
    let today = local(now, tz).date_naive();
    let anchor = NaiveDate::parse_from_str(q.date.trim(), "%Y-%m-%d").unwrap_or(today);
    let view: &'static str = match q.view.as_str() {
        "week" => "week",
        "list" => "list",
        _ => "month",
    };
    let monday = |d: NaiveDate| d - Duration::days(d.weekday().num_days_from_monday() as i64);
    let first = anchor.with_day(1).unwrap_or(anchor);
    let next_month = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    let prev_month = first.checked_sub_months(chrono::Months::new(1)).unwrap_or(first);
    // The days drawn, and the period they belong to.
    let (start, end, in_start, in_end, prev, next, title) = match view {
        "week" => {
            let s = monday(anchor);
            let e = s + Duration::days(7);
            let last = e - Duration::days(1);
            let title = match locale {
                Locale::Fr => {
                    format!(
                        "{} – {} {}",
                        date_day_month(s, locale),
                        date_day_month(last, locale),
                        last.year()
                    )
                }
                Locale::En => {
                    format!(
                        "{} – {}, {}",
                        date_day_month(s, locale),
                        date_day_month(last, locale),
                        last.year()
                    )
                }
            };
            (s, e, s, e, s - Duration::days(7), e, title)
        }
        "list" => (first, next_month, first, next_month, prev_month, next_month, month_title(first, locale)),
        _ => {
            let s = monday(first);
            let last = next_month - Duration::days(1);
            let e = monday(last) + Duration::days(7);
            (s, e, first, next_month, prev_month, next_month, month_title(first, locale))
        }
    };
    let channel_filter: Option<i64> = q.channel.trim().parse().ok();
    let status_filter = STATUSES.iter().copied().find(|s| *s == q.status.trim());
    let posts = state
        .app
        .calendar_posts(&actor, &slug, date_start(start, tz), date_start(end, tz), status_filter)
        .await
        .map_err(|e| page_err(e, ctx))?;
    let posts: Vec<Post> =
        posts.into_iter().filter(|p| channel_filter.is_none_or(|c| p.channel_id == c)).collect();
    let channels = state.app.channels(&actor, &slug).await.map_err(|e| page_err(e, ctx))?;
    let names = member_names(state, ctx).await?;
    let views = channel_views(&channels, &names, ctx);
    let by_id: HashMap<i64, &ChannelView> = views.iter().map(|c| (c.id, c)).collect();
    let can_approve = access.allows(Action::ApprovePosts);
    let me = ctx.me().id;
    let highlight: Option<i64> = q.post.trim().parse().ok();
    let card = |p: &Post| {
        let at = local(placed_at(p), tz);
        let c = by_id.get(&p.channel_id);
        let own = p.author_user_id == Some(me);
        Card {
            id: p.id,
            status: p.status.to_string(),
            status_label: t.t(&format!("post-status-{}", p.status)),
            glyph: glyph(p.status),
            time: clock(at.hour(), at.minute(), locale),
            iso: crate::format::iso(placed_at(p)),
            when: crate::format::datetime(placed_at(p), tz.name(), locale),
            network_name: c.map(|c| c.network_name).unwrap_or(""),
            handle: c.map(|c| c.handle.clone()).unwrap_or_default(),
            voice: c.map(|c| c.voice.clone()).unwrap_or_default(),
            ambassador: c.is_some_and(|c| c.ambassador),
            channel_reconnect: c.is_some_and(|c| c.needs_reconnect),
            author: p.author_user_id.and_then(|a| names.get(&a).cloned()).unwrap_or_default(),
            excerpt: excerpt(&p.text, 140),
            hover: excerpt(&p.text, 500),
            text: p.text.clone(),
            error: p.error.clone().filter(|e| !e.trim().is_empty()),
            remote_url: p
                .remote_url
                .clone()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            movable: matches!(p.status, PostStatus::Scheduled | PostStatus::InReview | PostStatus::Failed)
                && (own || can_approve),
            move_value: at.format("%Y-%m-%dT%H:%M").to_string(),
            day: at.format("%Y-%m-%d").to_string(),
            hour: at.hour(),
            highlight: highlight == Some(p.id),
        }
    };
    let mut by_day: HashMap<NaiveDate, Vec<Card>> = HashMap::new();
    for p in &posts {
        by_day.entry(local(placed_at(p), tz).date_naive()).or_default().push(card(p));
    }
    let mut days = Vec::new();
    let mut d = start;
    while d < end {
        let wd = d.weekday().num_days_from_monday() as usize;
        days.push(Day {
            date: d.format("%Y-%m-%d").to_string(),
            num: d.day(),
            label: long_day(d, locale),
            head: format!("{} {}", short_weekday(wd, locale), d.day()),
            in_range: d >= in_start && d < in_end,
            today: d == today,
            past: d < today,
            cards: by_day.remove(&d).unwrap_or_default(),
        });
        d += Duration::days(1);
    }
    // An error about a post that is not drawn in this period is said above the calendar.
    let shown = days.iter().any(|d| d.cards.iter().any(|c| c.id == input.error_post));
    let error_post = if shown { input.error_post } else { 0 };
    let weeks = if view == "month" { days.chunks(7).map(<[Day]>::to_vec).collect() } else { Vec::new() };
    if view == "list" {
        days.retain(|d| !d.cards.is_empty());
    }
    // Failed posts anywhere in the calendar are shown above it, whatever the period.
    let failed = state
        .app
        .calendar_posts(&actor, &slug, i64::MIN / 2, i64::MAX / 2, Some(PostStatus::Failed))
        .await
        .map_err(|e| page_err(e, ctx))?;
    let failed_count = failed.len();
    let failed = failed.iter().rev().take(5).map(card).collect();
    let mut filters = String::new();
    if let Some(c) = channel_filter {
        filters.push_str(&format!("&channel={c}"));
    }
    if let Some(s) = status_filter {
        filters.push_str(&format!("&status={s}"));
    }
    let date = anchor.format("%Y-%m-%d").to_string();
    let notice = match q.notice.as_str() {
        "scheduled" | "review" | "moved" => t.t(&format!("calendar-notice-{}", q.notice)),
        _ => String::new(),
    };
    Ok(Cal {
        view,
        back: format!("view={view}&date={date}{filters}"),
        date,
        title,
        prev: prev.format("%Y-%m-%d").to_string(),
        next: next.format("%Y-%m-%d").to_string(),
        today: today.format("%Y-%m-%d").to_string(),
        weekdays: (0..7).map(|i| short_weekday(i, locale)).collect(),
        weeks,
        total: posts.len(),
        hours: if view == "week" { grid_hours(&days, locale) } else { Vec::new() },
        days,
        channel: channel_filter.map(|c| c.to_string()).unwrap_or_default(),
        status: status_filter.map(PostStatus::as_str).unwrap_or_default().to_owned(),
        filters,
        zone: tz.name().to_owned(),
        notice,
        error: input.error,
        error_post,
        failed,
        failed_count,
        reconnect: views.iter().filter(|c| c.needs_reconnect).cloned().collect(),
    })
}

/// The words of the page that the calendar's body needs, without the whole layout.
#[derive(Debug, Clone)]
pub struct Lite {
    t: Tr,
    csrf: String,
    /// Since when crisis mode holds posts back, if it does (cards say "held", not "scheduled").
    crisis: Option<String>,
}

/// The words of the calendar's body, with the workspace's crisis state.
async fn lite(state: &AppState, ctx: &Ctx, t: Tr) -> Result<Lite, WebError> {
    let crisis =
        state.app.crisis(&ctx.actor(), &ctx.ws().workspace.slug).await.map_err(|e| page_err(e, ctx))?;
    Ok(Lite { t, csrf: ctx.csrf.clone(), crisis: crisis.map(|c| c.since.to_string()) })
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    l: Layout,
    slug: String,
    c: Cal,
    channels: Vec<ChannelView>,
    statuses: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "calendar_body.html")]
struct CalendarBody {
    l: Lite,
    slug: String,
    c: Cal,
}

async fn calendar_full(
    state: &AppState,
    ctx: &Ctx,
    q: &CalQuery,
    error: FieldError,
    error_post: i64,
) -> Result<CalendarPage, WebError> {
    let t = ctx.tr();
    let slug = ctx.ws().workspace.slug.clone();
    let c = calendar(state, ctx, CalInput { q, error, error_post }).await?;
    let channels = state.app.channels(&ctx.actor(), &slug).await.map_err(|e| page_err(e, ctx))?;
    let names = member_names(state, ctx).await?;
    let l = layout(state, ctx, t.t("calendar-title"), "calendar").await?;
    Ok(CalendarPage {
        l,
        slug,
        c,
        channels: channel_views(&channels, &names, ctx),
        statuses: STATUSES.iter().map(|s| (s.as_str(), t.t(&format!("post-status-{s}")))).collect(),
    })
}

async fn calendar_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<CalQuery>,
) -> Result<Response, WebError> {
    let page = calendar_full(&state, &ctx, &q, FieldError::default(), 0).await?;
    render(StatusCode::OK, &page)
}

/// Moving a post: a new local date and time (`at`, the keyboard form), or a new day (`date`,
/// dropped there) at the same time of day.
#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    at: String,
    #[serde(default)]
    date: String,
    /// The calendar's query string to come back to.
    #[serde(default)]
    back: String,
}

async fn reschedule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, post_id)): Path<(String, i64)>,
    headers: HeaderMap,
    Form(form): Form<MoveForm>,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let tz = zone(&ctx);
    let mut back: CalQuery = serde_urlencoded::from_str(&form.back).unwrap_or_default();
    back.notice.clear();
    back.post.clear();
    let htmx = is_htmx(&headers);
    let wanted = if !form.at.trim().is_empty() {
        parse_local(&form.at, &t)
    } else if let Ok(day) = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d") {
        // The same time of day as before, on the day it was dropped on.
        let post = state.app.post(&ctx.actor(), &slug, post_id).await.map_err(|e| page_err(e, &ctx))?;
        Ok(day.and_time(local(placed_at(&post), tz).time()))
    } else {
        Err(FieldError { field: "at".into(), message: t.t("error-date_invalid") })
    };
    let now = tutti_app::store::now_ms();
    let outcome: Result<Post, FieldError> = match wanted.and_then(|n| local_instant(tz, n, &t)) {
        Err(e) => Err(e),
        Ok(at) => {
            match state.app.reschedule_post(&ctx.actor(), &slug, post_id, &at.to_rfc3339(), now).await {
                Ok(p) => Ok(p),
                Err(e) => Err(form_error(e, &ctx)?),
            }
        }
    };
    match outcome {
        Ok(moved) => {
            let day = local(placed_at(&moved), tz).date_naive().format("%Y-%m-%d").to_string();
            if htmx {
                back.notice = "moved".into();
                back.post = moved.id.to_string();
                let c = calendar(
                    &state,
                    &ctx,
                    CalInput { q: &back, error: FieldError::default(), error_post: 0 },
                )
                .await?;
                render(StatusCode::OK, &CalendarBody { l: lite(&state, &ctx, t).await?, slug, c })
            } else {
                let view = if back.view.is_empty() { "month" } else { back.view.as_str() };
                let mut to = format!("/w/{slug}/calendar?view={}&date={day}", urlencode(view));
                if !back.channel.is_empty() {
                    to.push_str(&format!("&channel={}", urlencode(&back.channel)));
                }
                if !back.status.is_empty() {
                    to.push_str(&format!("&status={}", urlencode(&back.status)));
                }
                to.push_str(&format!("&notice=moved&post={}#post-{}", moved.id, moved.id));
                Ok(see_other(&to))
            }
        }
        Err(error) => {
            let status = match error.field.as_str() {
                "" => StatusCode::FORBIDDEN,
                "post" => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            if htmx {
                let c = calendar(&state, &ctx, CalInput { q: &back, error, error_post: post_id }).await?;
                render(status, &CalendarBody { l: lite(&state, &ctx, t).await?, slug, c })
            } else {
                let page = calendar_full(&state, &ctx, &back, error, post_id).await?;
                render(status, &page)
            }
        }
    }
}
