//! The analytics part of the REST API: the overview of a period against the one before it,
//! the post table and one post's curve, the channels' audience, the team's response times and
//! a channel's best times to post. Every read takes the same period (`range`, or `from`–`to`)
//! and filters (`channel`, `author`, `pillar`, `campaign`) as the dashboards.

use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tutti_app::analytics::{Audience, ChannelName, Filters, Period, PostLine};
use tutti_domain::kpi::{Change, SentimentShare, Slot, Spread};
use tutti_domain::{Action, InputError};
use utoipa::{IntoParams, ToSchema};

use super::common::{err, rfc3339, ErrorResponse};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

/// Registers the routes of this part of the API with the access each needs.
pub fn routes(t: RouteTable) -> RouteTable {
    let view = Access::Workspace(Action::ViewAnalytics);
    t.get("/api/v1/workspaces/{workspace}/analytics/summary", view, summary)
        .get("/api/v1/workspaces/{workspace}/analytics/posts", view, posts)
        .get("/api/v1/workspaces/{workspace}/analytics/posts/{post}", view, post)
        .get("/api/v1/workspaces/{workspace}/analytics/channels", view, channels)
        .get("/api/v1/workspaces/{workspace}/analytics/team", view, team)
        .get("/api/v1/workspaces/{workspace}/analytics/best-times", view, best_times)
}

/// The period and filters every analytics read takes.
#[derive(Debug, Deserialize, Default, IntoParams)]
pub struct AnalyticsParams {
    /// `7d`, `30d` (default) or `90d`, ending today in the workspace's time zone; or `custom`
    /// with `from` and `to`.
    range: Option<String>,
    /// First day (`YYYY-MM-DD`), for a custom period (a bound alone makes it custom).
    from: Option<String>,
    /// Last day, included; default today.
    to: Option<String>,
    /// A channel's handle.
    channel: Option<String>,
    /// An author's e-mail.
    author: Option<String>,
    /// A pillar of the editorial charter.
    pillar: Option<String>,
    /// A campaign (the `utm_campaign` of a post's links).
    campaign: Option<String>,
}

/// The post table's period, filters, sort and page.
#[derive(Debug, Deserialize, Default, IntoParams)]
pub struct PostsParams {
    /// As for the summary.
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
    channel: Option<String>,
    author: Option<String>,
    pillar: Option<String>,
    campaign: Option<String>,
    /// `published` (default), `engagements`, `likes`, `reposts`, `replies` or `rate`.
    sort: Option<String>,
    /// `desc` (default) or `asc`.
    order: Option<String>,
    /// 1 to 500; default 50.
    limit: Option<String>,
    /// Rows to skip; default 0.
    offset: Option<String>,
}

/// A channel's best times: which channel.
#[derive(Debug, Deserialize, Default, IntoParams)]
pub struct BestTimesParams {
    /// The channel's handle (required).
    channel: Option<String>,
    /// How many best slots, 1 to 20; default 3.
    slots: Option<String>,
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or_default()
}

fn filters(
    channel: &Option<String>,
    author: &Option<String>,
    pillar: &Option<String>,
    campaign: &Option<String>,
) -> Filters {
    Filters {
        channel: text(channel).to_owned(),
        author: text(author).to_owned(),
        pillar: text(pillar).to_owned(),
        campaign: text(campaign).to_owned(),
    }
}

/// A whole number given as text, within `range`, or an error naming `field`.
fn number(
    v: &Option<String>,
    field: &'static str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, tutti_app::AppError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some(s) => s.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            InputError::new(
                field,
                "number_invalid",
                format!("{field} is a whole number from {} to {}", range.start(), range.end()),
            )
            .into()
        }),
    }
}

/// The summary of the period and filters of `p` (what `summary` and `channels` answer from).
async fn summary_of(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    p: &AnalyticsParams,
) -> Result<tutti_app::analytics::Summary, WebError> {
    let period = period(state, ctx, slug, &p.range, &p.from, &p.to).await?;
    let f = filters(&p.channel, &p.author, &p.pillar, &p.campaign);
    state.app.analytics_summary(&ctx.actor(), slug, &period, &f).await.map_err(err(ctx))
}

async fn period(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    range: &Option<String>,
    from: &Option<String>,
    to: &Option<String>,
) -> Result<Period, WebError> {
    let now = tutti_app::store::now_ms();
    state
        .app
        .analytics_period(&ctx.actor(), slug, text(range), text(from), text(to), now)
        .await
        .map_err(err(ctx))
}

/// A period of days.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodResponse {
    /// First day, `YYYY-MM-DD` in the workspace's time zone.
    from: String,
    /// Last day, included.
    to: String,
    /// Its first instant (RFC 3339).
    start: String,
    /// The instant after its last (RFC 3339).
    end: String,
}

impl From<&Period> for PeriodResponse {
    fn from(p: &Period) -> Self {
        PeriodResponse {
            from: p.first_day.clone(),
            to: p.last_day.clone(),
            start: rfc3339(p.from),
            end: rfc3339(p.to),
        }
    }
}

/// How a figure moved against the previous period of the same length.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeResponse {
    /// `current − previous`.
    delta: f64,
    /// `delta ÷ previous`; null when the previous figure is zero.
    rate: Option<f64>,
}

impl From<Change> for ChangeResponse {
    fn from(c: Change) -> Self {
        ChangeResponse { delta: c.delta, rate: c.rate }
    }
}

/// Moves against the previous period.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesResponse {
    posts: ChangeResponse,
    engagements: ChangeResponse,
    /// Null when either period has no rate.
    engagement_rate: Option<ChangeResponse>,
    clicks: ChangeResponse,
    follower_growth: ChangeResponse,
    /// Null when either period has no answered conversation.
    median_first_response_s: Option<ChangeResponse>,
}

/// Shares of positive, neutral and negative texts, each 0 to 1 (null when there are none).
#[derive(Debug, Serialize, ToSchema)]
pub struct SentimentResponse {
    positive: Option<f64>,
    neutral: Option<f64>,
    negative: Option<f64>,
}

impl From<SentimentShare> for SentimentResponse {
    fn from(s: SentimentShare) -> Self {
        SentimentResponse { positive: s.positive, neutral: s.neutral, negative: s.negative }
    }
}

/// One day of the overview.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayResponse {
    /// `YYYY-MM-DD`.
    day: String,
    posts: i64,
    engagements: i64,
    engagement_rate: Option<f64>,
}

/// A channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelNameResponse {
    id: i64,
    handle: String,
    /// `bluesky` or `mastodon`.
    network: String,
}

impl From<&ChannelName> for ChannelNameResponse {
    fn from(c: &ChannelName) -> Self {
        ChannelNameResponse { id: c.id, handle: c.handle.clone(), network: c.network.clone() }
    }
}

/// A channel's followers on one day.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowersDay {
    /// `YYYY-MM-DD` (UTC day of the count).
    day: String,
    followers: i64,
}

/// A channel's audience over the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct AudienceResponse {
    channel: ChannelNameResponse,
    /// Followers at the period's end (the latest count).
    followers: Option<i64>,
    /// Net followers gained over the period.
    growth: Option<i64>,
    /// `growth ÷ followers at the start`.
    growth_rate: Option<f64>,
    series: Vec<FollowersDay>,
}

impl From<&Audience> for AudienceResponse {
    fn from(a: &Audience) -> Self {
        AudienceResponse {
            channel: (&a.channel).into(),
            followers: a.followers,
            growth: a.growth.map(|g| g.net),
            growth_rate: a.growth.and_then(|g| g.rate),
            series: a
                .series
                .iter()
                .map(|(day, followers)| FollowersDay { day: day.clone(), followers: *followers })
                .collect(),
        }
    }
}

/// A published post and its latest counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostLineResponse {
    id: i64,
    channel_id: i64,
    /// Its channel's handle.
    channel: String,
    author_user_id: Option<i64>,
    text: String,
    remote_url: Option<String>,
    /// RFC 3339.
    published_at: String,
    likes: i64,
    reposts: i64,
    replies: i64,
    quotes: i64,
    /// likes + reposts + replies + quotes.
    engagements: i64,
    /// The channel's followers when it was published.
    followers_at_publish: Option<i64>,
    /// `engagements ÷ followers_at_publish`.
    engagement_rate: Option<f64>,
    /// When its counts were taken (RFC 3339).
    counts_at: Option<String>,
    pillar: Option<String>,
    campaign: Option<String>,
    /// Clicks on its short links.
    clicks: i64,
}

impl From<&PostLine> for PostLineResponse {
    fn from(p: &PostLine) -> Self {
        let r = &p.row;
        PostLineResponse {
            id: r.id,
            channel_id: r.channel_id,
            channel: p.channel.clone(),
            author_user_id: r.author_user_id,
            text: r.text.clone(),
            remote_url: r.remote_url.clone(),
            published_at: rfc3339(r.published_at),
            likes: r.likes,
            reposts: r.reposts,
            replies: r.replies,
            quotes: r.quotes,
            engagements: r.engagements,
            followers_at_publish: r.followers_at_publish,
            engagement_rate: p.engagement_rate,
            counts_at: r.counts_at.map(rfc3339),
            pillar: r.pillar.clone(),
            campaign: r.campaign.clone(),
            clicks: r.clicks,
        }
    }
}

/// A pillar's share of the period's posts against its target.
#[derive(Debug, Serialize, ToSchema)]
pub struct PillarResponse {
    /// Null for the posts in no pillar of the charter.
    name: Option<String>,
    posts: i64,
    /// Share of the period's posts, 0 to 1.
    actual: f64,
    /// The charter's target share.
    target: Option<f64>,
}

/// A listening query's mentions in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoiceResponse {
    name: String,
    /// `brand` or `competitor`.
    kind: String,
    mentions: i64,
}

/// The overview of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryResponse {
    period: PeriodResponse,
    /// Followers at the period's end across the channels shown.
    followers: i64,
    follower_growth: i64,
    follower_growth_rate: Option<f64>,
    posts: i64,
    cadence_per_week: Option<f64>,
    engagements: i64,
    likes: i64,
    reposts: i64,
    replies: i64,
    quotes: i64,
    /// Engagements ÷ followers at publication (weighted), 0 to 1.
    engagement_rate: Option<f64>,
    clicks: i64,
    clicks_per_thousand: Option<f64>,
    /// Inbox: median first response, seconds.
    median_first_response_s: Option<i64>,
    p90_first_response_s: Option<i64>,
    median_resolution_s: Option<i64>,
    response_rate: Option<f64>,
    inbox_sentiment: SentimentResponse,
    mention_sentiment: SentimentResponse,
    /// The brand's mentions ÷ the brand's and its competitors'.
    share_of_voice: Option<f64>,
    changes: ChangesResponse,
    daily: Vec<DayResponse>,
    channels: Vec<AudienceResponse>,
    /// The 5 posts with the most engagements.
    top_posts: Vec<PostLineResponse>,
    /// The 5 with the fewest.
    bottom_posts: Vec<PostLineResponse>,
    pillars: Vec<PillarResponse>,
    voices: Vec<VoiceResponse>,
}

/// The overview of a period against the period of the same length before it: audience,
/// posts, engagement, clicks, inbox response times, sentiment, share of voice, each day's
/// figures, the best and weakest posts and the pillar mix.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/analytics/summary", tag = "analytics",
    params(("workspace" = String, Path, description = "The workspace's slug"), AnalyticsParams),
    responses((status = 200, body = SummaryResponse), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn summary(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<AnalyticsParams>,
) -> Result<Json<SummaryResponse>, WebError> {
    let s = summary_of(&state, &ctx, &slug, &p).await?;
    let c = s.changes;
    Ok(Json(SummaryResponse {
        period: (&s.period).into(),
        followers: s.followers,
        follower_growth: s.follower_growth,
        follower_growth_rate: s.follower_growth_rate,
        posts: s.posts,
        cadence_per_week: s.cadence_per_week,
        engagements: s.engagements,
        likes: s.counts.likes,
        reposts: s.counts.reposts,
        replies: s.counts.replies,
        quotes: s.counts.quotes,
        engagement_rate: s.engagement_rate,
        clicks: s.clicks,
        clicks_per_thousand: s.clicks_per_thousand,
        median_first_response_s: s.median_first_response_s,
        p90_first_response_s: s.p90_first_response_s,
        median_resolution_s: s.median_resolution_s,
        response_rate: s.response_rate,
        inbox_sentiment: s.inbox_sentiment.into(),
        mention_sentiment: s.mention_sentiment.into(),
        share_of_voice: s.share_of_voice,
        changes: ChangesResponse {
            posts: c.posts.into(),
            engagements: c.engagements.into(),
            engagement_rate: c.engagement_rate.map(Into::into),
            clicks: c.clicks.into(),
            follower_growth: c.follower_growth.into(),
            median_first_response_s: c.median_first_response_s.map(Into::into),
        },
        daily: s
            .daily
            .iter()
            .map(|d| DayResponse {
                day: d.day.clone(),
                posts: d.posts,
                engagements: d.engagements,
                engagement_rate: d.engagement_rate,
            })
            .collect(),
        channels: s.channels.iter().map(Into::into).collect(),
        top_posts: s.top_posts.iter().map(Into::into).collect(),
        bottom_posts: s.bottom_posts.iter().map(Into::into).collect(),
        pillars: s
            .pillars
            .iter()
            .map(|p| PillarResponse {
                name: Some(p.name.clone()).filter(|n| !n.is_empty()),
                posts: p.posts,
                actual: p.actual,
                target: p.target,
            })
            .collect(),
        voices: s
            .voices
            .iter()
            .map(|v| VoiceResponse { name: v.name.clone(), kind: v.kind.clone(), mentions: v.mentions })
            .collect(),
    }))
}

/// A page of the post table.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostsResponse {
    period: PeriodResponse,
    posts: Vec<PostLineResponse>,
}

/// The posts published in the period with their latest counts, sorted and a page at a time.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/analytics/posts", tag = "analytics",
    params(("workspace" = String, Path, description = "The workspace's slug"), PostsParams),
    responses((status = 200, body = PostsResponse), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn posts(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<PostsParams>,
) -> Result<Json<PostsResponse>, WebError> {
    let period = period(&state, &ctx, &slug, &p.range, &p.from, &p.to).await?;
    let ascending = match text(&p.order).trim() {
        "" | "desc" => false,
        "asc" => true,
        _ => {
            return Err(err(&ctx)(
                InputError::new("order", "order_unknown", "the order is asc or desc").into(),
            ))
        }
    };
    let limit = number(&p.limit, "limit", 50, 1..=500).map_err(err(&ctx))?;
    let offset = number(&p.offset, "offset", 0, 0..=1_000_000).map_err(err(&ctx))?;
    let f = filters(&p.channel, &p.author, &p.pillar, &p.campaign);
    let lines = state
        .app
        .analytics_posts(&ctx.actor(), &slug, &period, &f, text(&p.sort), ascending, limit, offset)
        .await
        .map_err(err(&ctx))?;
    Ok(Json(PostsResponse { period: (&period).into(), posts: lines.iter().map(Into::into).collect() }))
}

/// A post's counts at one moment.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotResponse {
    /// RFC 3339.
    taken_at: String,
    /// The schedule's point (0: 5 min, 1: 1 h, 2: 6 h, 3: 24 h, 4: 7 d, 5: 30 d), or -1 when
    /// taken on request.
    step: i64,
    likes: i64,
    reposts: i64,
    replies: i64,
    quotes: i64,
    engagements: i64,
}

/// A post's counts and its growth curve.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostAnalyticsResponse {
    post: PostLineResponse,
    /// Oldest first.
    snapshots: Vec<SnapshotResponse>,
}

/// One published post's latest counts and every snapshot taken of them (its growth curve).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/analytics/posts/{post}", tag = "analytics",
    params(("workspace" = String, Path, description = "The workspace's slug"), ("post" = i64, Path, description = "The post's id")),
    responses((status = 200, body = PostAnalyticsResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn post(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Json<PostAnalyticsResponse>, WebError> {
    let a = state.app.analytics_post(&ctx.actor(), &slug, id).await.map_err(err(&ctx))?;
    Ok(Json(PostAnalyticsResponse {
        post: (&a.line).into(),
        snapshots: a
            .snapshots
            .iter()
            .map(|s| SnapshotResponse {
                taken_at: rfc3339(s.taken_at),
                step: s.step,
                likes: s.likes,
                reposts: s.reposts,
                replies: s.replies,
                quotes: s.quotes,
                engagements: s.likes + s.reposts + s.replies + s.quotes,
            })
            .collect(),
    }))
}

/// The channels' audience over a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelsResponse {
    period: PeriodResponse,
    /// Followers at the period's end across the channels shown.
    followers: i64,
    follower_growth: i64,
    channels: Vec<AudienceResponse>,
}

/// Each channel's followers over the period, day by day, and its growth (the audience part of
/// the summary).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/analytics/channels", tag = "analytics",
    params(("workspace" = String, Path, description = "The workspace's slug"), AnalyticsParams),
    responses((status = 200, body = ChannelsResponse), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn channels(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<AnalyticsParams>,
) -> Result<Json<ChannelsResponse>, WebError> {
    let s = summary_of(&state, &ctx, &slug, &p).await?;
    Ok(Json(ChannelsResponse {
        period: (&s.period).into(),
        followers: s.followers,
        follower_growth: s.follower_growth,
        channels: s.channels.iter().map(Into::into).collect(),
    }))
}

/// The median and 90th percentile of durations, seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpreadResponse {
    count: usize,
    median: i64,
    p90: i64,
}

impl From<Spread> for SpreadResponse {
    fn from(s: Spread) -> Self {
        SpreadResponse { count: s.count, median: s.median, p90: s.p90 }
    }
}

/// Response times of a set of conversations.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimesResponse {
    /// Conversations that asked for an answer.
    conversations: i64,
    answered: i64,
    /// Time to the first answer.
    first_response: Option<SpreadResponse>,
    /// Time to closing.
    resolution: Option<SpreadResponse>,
    /// Answered later than the SLA, or unanswered past it.
    sla_breaches: i64,
}

/// The app's response times (a type it does not name outside), field by field.
macro_rules! times {
    ($t:expr) => {{
        let t = &$t;
        TimesResponse {
            conversations: t.asked,
            answered: t.answered,
            first_response: t.first_response.map(Into::into),
            resolution: t.resolution.map(Into::into),
            sla_breaches: t.sla_breaches,
        }
    }};
}

/// A member's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberTeamResponse {
    /// Null: conversations nobody answered nor was assigned.
    user_id: Option<i64>,
    name: String,
    times: TimesResponse,
    /// Inbox and moderation actions they took.
    actions: i64,
}

/// A channel's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelTeamResponse {
    channel: ChannelNameResponse,
    times: TimesResponse,
}

/// The team's figures over a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamResponse {
    period: PeriodResponse,
    sla_minutes: i64,
    all: TimesResponse,
    members: Vec<MemberTeamResponse>,
    channels: Vec<ChannelTeamResponse>,
    /// Actions taken by moderation rules.
    rule_actions: i64,
}

/// The conversations that began in the period, per member and per channel: how many, how
/// many answered, first response and resolution times, SLA breaches, actions taken.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/analytics/team", tag = "analytics",
    params(("workspace" = String, Path, description = "The workspace's slug"), AnalyticsParams),
    responses((status = 200, body = TeamResponse), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn team(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<AnalyticsParams>,
) -> Result<Json<TeamResponse>, WebError> {
    let period = period(&state, &ctx, &slug, &p.range, &p.from, &p.to).await?;
    let t = state.app.analytics_team(&ctx.actor(), &slug, &period).await.map_err(err(&ctx))?;
    Ok(Json(TeamResponse {
        period: (&t.period).into(),
        sla_minutes: t.sla_minutes,
        all: times!(t.all),
        members: t
            .members
            .iter()
            .map(|m| MemberTeamResponse {
                user_id: m.user_id,
                name: m.name.clone(),
                times: times!(m.times),
                actions: m.actions,
            })
            .collect(),
        channels: t
            .channels
            .iter()
            .map(|c| ChannelTeamResponse { channel: (&c.channel).into(), times: times!(c.times) })
            .collect(),
        rule_actions: t.rule_actions,
    }))
}

/// A weekday × hour cell.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotResponse {
    /// Monday 0 … Sunday 6, in the workspace's time zone.
    weekday: u8,
    /// 0 … 23, in the workspace's time zone.
    hour: u8,
    /// Posts published then.
    posts: i64,
    /// Their engagement rate.
    rate: Option<f64>,
    /// The community's activity then (inbox items and mentions).
    activity: i64,
}

impl From<&Slot> for SlotResponse {
    fn from(s: &Slot) -> Self {
        SlotResponse { weekday: s.weekday, hour: s.hour, posts: s.posts, rate: s.rate, activity: s.activity }
    }
}

/// A channel's best times.
#[derive(Debug, Serialize, ToSchema)]
pub struct BestTimesResponse {
    channel: ChannelNameResponse,
    /// The zone of the weekdays and hours.
    time_zone: String,
    /// `engagement_rate` (the channel's own posts), `community_activity` (too few posts: when
    /// the community is active) or `nothing`.
    basis: String,
    /// The channel's measured posts of the last 180 days.
    posts: i64,
    /// Best first.
    best: Vec<SlotResponse>,
    /// Every cell, Monday 0:00 first (168).
    grid: Vec<SlotResponse>,
}

/// A channel's best times to post: its posts' engagement rate by weekday and hour over the
/// last 180 days, or when its community is active when too few posts say it.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/analytics/best-times", tag = "analytics",
    params(("workspace" = String, Path, description = "The workspace's slug"), BestTimesParams),
    responses((status = 200, body = BestTimesResponse), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn best_times(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<BestTimesParams>,
) -> Result<Json<BestTimesResponse>, WebError> {
    let slots = number(&p.slots, "slots", 3, 1..=20).map_err(err(&ctx))?;
    let b = state
        .app
        .best_times(&ctx.actor(), &slug, text(&p.channel), slots as usize)
        .await
        .map_err(err(&ctx))?;
    let basis =
        serde_json::to_value(b.basis).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    Ok(Json(BestTimesResponse {
        channel: (&b.channel).into(),
        time_zone: b.time_zone,
        basis,
        posts: b.posts,
        best: b.best.iter().map(Into::into).collect(),
        grid: b.grid.iter().map(Into::into).collect(),
    }))
}
