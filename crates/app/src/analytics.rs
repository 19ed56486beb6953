//! Analytics (F1–F3, C5): the Social Media Manager's numbers, read from what the worker
//! collects (`worker::analytics`) and from the inbox and listening, with the KPIs of
//! `tutti_domain::kpi`.
//!
//! - [`App::analytics_summary`]: the overview of a period, against the period before it.
//! - [`App::analytics_posts`] and [`App::analytics_post`]: the post table and one post's curve.
//! - [`App::analytics_team`]: response and resolution times per member and per channel.
//! - [`App::best_times`]: engagement rate by weekday × hour in the workspace's time zone.
//!
//! Reading needs [`Action::ViewAnalytics`]; the collection's own rules (what a snapshot
//! records, when the next one is due) are the pure functions at the top, used by the worker.

pub mod collect;
pub mod export;
mod team;

use chrono::TimeZone;
use serde::Serialize;
use tutti_domain::kpi::{self, Change, Counts, Growth, SentimentShare, Slot};
use tutti_domain::{Action, InputError};
use tutti_store::analytics::{
    self as store, ChannelDay, PostFilter, PostRow, PostSort, PostTotals, Snapshot,
};
use tutti_store::{publishing, DAY_MS};

use crate::{Actor, App, AppError, WorkspaceAccess};

pub use team::{BestTimes, ChannelTeam, MemberTeam, Team};

/// The schedule's point after `step` for a post published at `published_at`, seen at `now`:
/// the first later point still ahead, with its time; `(len, None)` once the schedule is over
/// (a post measured late skips the points it missed rather than taking them all at once).
pub fn next_point(published_at: i64, step: i64, now: i64) -> (i64, Option<i64>) {
    let points = &kpi::SNAPSHOT_AFTER_MS;
    let mut next = (step + 1).max(0) as usize;
    while next < points.len() && published_at + points[next] <= now {
        next += 1;
    }
    (next as i64, points.get(next).map(|after| published_at + after))
}

/// The `utm_campaign` of the first link among `urls` that has one, decoded.
pub fn campaign_of<'a>(urls: impl IntoIterator<Item = &'a str>) -> Option<String> {
    urls.into_iter().find_map(|url| {
        let query = url.split_once('?')?.1;
        let query = query.split('#').next().unwrap_or_default();
        let value = query.split('&').find_map(|pair| pair.strip_prefix("utm_campaign="))?;
        let decoded = percent_decode(value);
        let decoded = decoded.trim();
        (!decoded.is_empty()).then(|| decoded.chars().take(100).collect())
    })
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A period of days: `[from, to)` in ms, and the days as the workspace names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// The first instant, ms.
    pub from: i64,
    /// The instant after the last, ms.
    pub to: i64,
    /// The first day, `YYYY-MM-DD` in the workspace's time zone.
    pub first_day: String,
    /// The last day, included.
    pub last_day: String,
    /// The first instant of the period before it: as many whole days, ending where this one
    /// begins (a clock change between them makes it an hour longer or shorter).
    pub previous_from: i64,
}

impl Period {
    /// The period of as many days just before this one, `[from, to)` in ms.
    pub fn previous(&self) -> (i64, i64) {
        (self.previous_from, self.from)
    }

    /// Its length in whole days (at least 1).
    pub fn days(&self) -> i64 {
        ((self.to - self.from + DAY_MS / 2) / DAY_MS).max(1)
    }
}

/// The period a dashboard shows: `range` is `7d`, `30d` (the default) or `90d`, ending today
/// in `tz`; or `custom` with days `from` and `to` (both included, `YYYY-MM-DD`). A custom
/// bound given without a range makes it custom.
pub fn period(range: &str, from: &str, to: &str, tz: &str, now: i64) -> Result<Period, AppError> {
    let zone: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let today = zone.timestamp_millis_opt(now).single().map(|d| d.date_naive()).unwrap_or_default();
    let custom = range.trim() == "custom"
        || (range.trim().is_empty() && !(from.trim().is_empty() && to.trim().is_empty()));
    let (first, last) = if custom {
        let day = |v: &str, field: &'static str| {
            chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .map_err(|_| InputError::new(field, "day_invalid", "a day is written YYYY-MM-DD"))
        };
        (day(from, "from")?, if to.trim().is_empty() { today } else { day(to, "to")? })
    } else {
        let days = match range.trim() {
            "" | "30d" => 30,
            "7d" => 7,
            "90d" => 90,
            _ => {
                return Err(
                    InputError::new("range", "range_unknown", "the period is 7d, 30d, 90d or custom").into()
                )
            }
        };
        (today - chrono::Duration::days(days - 1), today)
    };
    let (a, b) = crate::feedback::period(&first.to_string(), &last.to_string(), tz)?;
    let before = first - chrono::Duration::days((last - first).num_days() + 1);
    let previous_from = zone
        .from_local_datetime(&before.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(a - (b - a), |t| t.timestamp_millis());
    Ok(Period { from: a, to: b, first_day: first.to_string(), last_day: last.to_string(), previous_from })
}

/// The filters of a dashboard, as typed (empty = all).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Filters {
    /// A channel's handle.
    #[serde(default)]
    pub channel: String,
    /// An author's e-mail.
    #[serde(default)]
    pub author: String,
    /// A pillar's name.
    #[serde(default)]
    pub pillar: String,
    /// A campaign.
    #[serde(default)]
    pub campaign: String,
}

/// What the dashboards' filters offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choices {
    /// The workspace's channels.
    pub channels: Vec<ChannelName>,
    /// The charter's pillars.
    pub pillars: Vec<String>,
    /// The campaigns named by the workspace's posts.
    pub campaigns: Vec<String>,
}

/// A channel as the dashboards name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelName {
    /// Its id.
    pub id: i64,
    /// Its handle.
    pub handle: String,
    /// Its network's stored name.
    pub network: String,
}

/// The overview of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The period.
    pub period: Period,
    /// Followers now (at the period's end) across the channels shown.
    pub followers: i64,
    /// Net followers gained over the period.
    pub follower_growth: i64,
    /// `follower_growth` ÷ the followers at the period's start.
    pub follower_growth_rate: Option<f64>,
    /// Posts published.
    pub posts: i64,
    /// Posts per week.
    pub cadence_per_week: Option<f64>,
    /// Interactions on them.
    pub engagements: i64,
    /// Their counts, split.
    pub counts: Counts,
    /// Interactions ÷ followers at publication (weighted).
    pub engagement_rate: Option<f64>,
    /// Clicks on their short links.
    pub clicks: i64,
    /// Clicks per 1,000 followers.
    pub clicks_per_thousand: Option<f64>,
    /// Median first response in the inbox, seconds.
    pub median_first_response_s: Option<i64>,
    /// 90th percentile of the first response, seconds.
    pub p90_first_response_s: Option<i64>,
    /// Median resolution time, seconds.
    pub median_resolution_s: Option<i64>,
    /// Answered conversations ÷ those that asked for an answer.
    pub response_rate: Option<f64>,
    /// Sentiment of the inbox's messages.
    pub inbox_sentiment: SentimentShare,
    /// Sentiment of the brand's mentions (listening).
    pub mention_sentiment: SentimentShare,
    /// The brand's share of voice against its competitors' queries.
    pub share_of_voice: Option<f64>,
    /// Against the previous period of the same length.
    pub changes: Changes,
    /// Each day's posts, interactions and rate.
    pub daily: Vec<DayFigures>,
    /// Each channel's audience.
    pub channels: Vec<Audience>,
    /// The best posts of the period.
    pub top_posts: Vec<PostLine>,
    /// The weakest.
    pub bottom_posts: Vec<PostLine>,
    /// The pillars' actual shares against the charter's targets.
    pub pillars: Vec<PillarMix>,
    /// Mentions per listening query.
    pub voices: Vec<Voice>,
}

/// Moves against the previous period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Changes {
    /// Posts.
    pub posts: Change,
    /// Interactions.
    pub engagements: Change,
    /// Engagement rate (in points of the fraction).
    pub engagement_rate: Option<Change>,
    /// Clicks.
    pub clicks: Change,
    /// Net followers gained.
    pub follower_growth: Change,
    /// Median first response.
    pub median_first_response_s: Option<Change>,
}

/// One day of the overview's series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayFigures {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Posts published that day.
    pub posts: i64,
    /// Their interactions.
    pub engagements: i64,
    /// Their engagement rate.
    pub engagement_rate: Option<f64>,
}

/// A channel's audience over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audience {
    /// The channel.
    pub channel: ChannelName,
    /// Followers at the period's end (the latest count).
    pub followers: Option<i64>,
    /// Growth over the period.
    pub growth: Option<Growth>,
    /// `(YYYY-MM-DD, followers)` of each day counted.
    pub series: Vec<(String, i64)>,
}

/// A post in a list of the overview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostLine {
    /// The post's counts.
    #[serde(flatten)]
    pub row: PostRow,
    /// Its channel's handle.
    pub channel: String,
    /// Its engagement rate.
    pub engagement_rate: Option<f64>,
}

/// A pillar's share of the period's posts and its target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PillarMix {
    /// The pillar (empty: posts in no pillar).
    pub name: String,
    /// Posts in it.
    pub posts: i64,
    /// Their share of the period's posts.
    pub actual: f64,
    /// The charter's target share, for its pillars.
    pub target: Option<f64>,
}

/// A listening query's mentions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Voice {
    /// The query's name.
    pub name: String,
    /// `brand` or `competitor`.
    pub kind: String,
    /// Mentions in the period.
    pub mentions: i64,
}

/// A post's page: its counts and its curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostAnalytics {
    /// The post.
    #[serde(flatten)]
    pub line: PostLine,
    /// Its snapshots, oldest first.
    pub snapshots: Vec<Snapshot>,
}

/// The UTC offset of `tz` at `at`, ms (the dashboards' days start at the workspace's
/// midnight at the offset of the period's end).
pub(crate) fn offset_ms(tz: &str, at: i64) -> i64 {
    use chrono::Offset;
    let zone: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    zone.timestamp_millis_opt(at)
        .single()
        .map(|d| i64::from(d.offset().fix().local_minus_utc()) * 1000)
        .unwrap_or(0)
}

/// `YYYY-MM-DD` of a day number counted from the epoch.
pub(crate) fn day_name(day: i64) -> String {
    chrono::DateTime::from_timestamp_millis(day * DAY_MS)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn line(row: PostRow, channels: &[ChannelName]) -> PostLine {
    let channel =
        channels.iter().find(|c| c.id == row.channel_id).map(|c| c.handle.clone()).unwrap_or_default();
    let engagement_rate = kpi::engagement_rate(row.engagements, row.followers_at_publish);
    PostLine { row, channel, engagement_rate }
}

impl App {
    /// The workspace's channels, as dashboards name them.
    async fn channel_names(&self, workspace_id: i64) -> Result<Vec<ChannelName>, AppError> {
        let channels = publishing::channels_of(&mut *self.store.conn().await?, workspace_id).await?;
        Ok(channels
            .into_iter()
            .map(|c| ChannelName { id: c.id, handle: c.handle, network: c.network.as_str().to_owned() })
            .collect())
    }

    /// Turns typed filters into the store's, naming the field of a value that matches nothing.
    async fn post_filter(
        &self,
        access: &WorkspaceAccess,
        period: &Period,
        f: &Filters,
        channels: &[ChannelName],
    ) -> Result<PostFilter, AppError> {
        let given = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let channel_id = match given(&f.channel) {
            None => None,
            Some(h) => Some(channel_named(channels, &h)?.id),
        };
        let author_user_id = match given(&f.author) {
            None => None,
            Some(email) => {
                let members =
                    tutti_store::workspaces::members(&mut *self.store.conn().await?, access.workspace.id)
                        .await?;
                Some(
                    members
                        .iter()
                        .find(|m| m.email.eq_ignore_ascii_case(&email))
                        .map(|m| m.user_id)
                        .ok_or_else(|| {
                            InputError::new(
                                "author",
                                "author_unknown",
                                "no member of this workspace has this e-mail",
                            )
                        })?,
                )
            }
        };
        Ok(PostFilter {
            workspace_id: access.workspace.id,
            from: period.from,
            to: period.to,
            channel_id,
            author_user_id,
            pillar: given(&f.pillar),
            campaign: given(&f.campaign),
        })
    }

    /// The overview of a period (see [`period`]) with `filters`.
    pub async fn analytics_summary(
        &self,
        actor: &Actor,
        slug: &str,
        period: &Period,
        filters: &Filters,
    ) -> Result<Summary, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewAnalytics).await?;
        let ws = access.workspace.id;
        let tz = access.workspace.timezone.clone();
        let channels = self.channel_names(ws).await?;
        let f = self.post_filter(&access, period, filters, &channels).await?;
        let (pa, pb) = period.previous();
        let prev = PostFilter { from: pa, to: pb, ..f.clone() };
        let mut db = self.store.conn().await?;
        let offset = offset_ms(&tz, period.to - 1);
        let days = store::daily_totals(&mut db, &f, offset).await?;
        // The period's sums are its days' (one pass over the period's posts, not two).
        let totals = days.iter().fold(PostTotals::default(), |sum, (_, t)| sum.plus(t));
        let before = store::post_totals(&mut db, &prev).await?;
        let clicks = store::clicks(&mut db, &f).await?;
        let clicks_before = store::clicks(&mut db, &prev).await?;
        let daily = days
            .into_iter()
            .map(|(day, t)| DayFigures {
                day: day_name(day),
                posts: t.posts,
                engagements: t.engagements,
                engagement_rate: ratio(t.rated_engagements, t.rated_followers),
            })
            .collect();

        // Audience: each channel's series over the period (UTC days), and its growth.
        let (first_day, last_day) = (store::day_of(period.from), store::day_of(period.to - 1));
        let series = store::channel_series(&mut db, ws, first_day - 1, last_day).await?;
        let latest = store::latest_counts(&mut db, ws, last_day).await?;
        let at_start = store::latest_counts(&mut db, ws, first_day - 1).await?;
        let before_start = store::latest_counts(&mut db, ws, store::day_of(pa) - 1).await?;
        let shown = |id: i64| f.channel_id.is_none_or(|c| c == id);
        let followers_of =
            |rows: &[ChannelDay], id: i64| rows.iter().find(|r| r.channel_id == id).map(|r| r.followers);
        let mut audience = Vec::new();
        let (mut followers, mut start_sum, mut growth_now, mut growth_before) = (0, 0, 0, 0);
        for c in channels.iter().filter(|c| shown(c.id)) {
            let end = followers_of(&latest, c.id);
            let start = followers_of(&at_start, c.id)
                .or_else(|| series.iter().find(|r| r.channel_id == c.id).map(|r| r.followers));
            let growth = match (start, end) {
                (Some(s), Some(e)) => Some(kpi::growth(s, e)),
                _ => None,
            };
            followers += end.unwrap_or(0);
            if let (Some(s), Some(g)) = (start, growth) {
                start_sum += s;
                growth_now += g.net;
                if let Some(b) = followers_of(&before_start, c.id) {
                    growth_before += s - b;
                }
            }
            audience.push(Audience {
                channel: c.clone(),
                followers: end,
                growth,
                series: series
                    .iter()
                    .filter(|r| r.channel_id == c.id && r.day >= first_day)
                    .map(|r| (day_name(r.day), r.followers))
                    .collect(),
            });
        }

        let top = store::posts(&mut db, &f, PostSort::Engagements, false, 5, 0).await?;
        let bottom = store::posts(&mut db, &f, PostSort::Engagements, true, 5, 0).await?;
        let pillar_counts = store::pillar_counts(&mut db, &f).await?;
        let charter = crate::charter::charter_of(&mut db, ws).await?;
        let mut pillars: Vec<PillarMix> = charter
            .pillars
            .iter()
            .map(|p| {
                let n = pillar_counts.iter().find(|(name, _)| *name == p.name).map(|(_, n)| *n).unwrap_or(0);
                PillarMix {
                    name: p.name.clone(),
                    posts: n,
                    actual: ratio(n, totals.posts).unwrap_or(0.0),
                    target: Some(f64::from(p.target_share)),
                }
            })
            .collect();
        let unplaced: i64 = pillar_counts
            .iter()
            .filter(|(name, _)| !charter.pillars.iter().any(|p| p.name == *name))
            .map(|(_, n)| n)
            .sum();
        if unplaced > 0 {
            pillars.push(PillarMix {
                name: String::new(),
                posts: unplaced,
                actual: ratio(unplaced, totals.posts).unwrap_or(0.0),
                target: None,
            });
        }

        let inbox_sentiment = store::inbox_sentiment(&mut db, ws, period.from, period.to).await?;
        let mention_sentiment = store::mention_sentiment(&mut db, ws, period.from, period.to).await?;
        let voices: Vec<Voice> = store::mentions_by_query(&mut db, ws, period.from, period.to)
            .await?
            .into_iter()
            .map(|(name, kind, mentions)| Voice { name, kind, mentions })
            .collect();
        let sum_kind = |k: &str| voices.iter().filter(|v| v.kind == k).map(|v| v.mentions).sum::<i64>();
        drop(db);

        let times = self.response_times(ws, period.from, period.to, f.channel_id).await?;
        let times_before = self.response_times(ws, pa, pb, f.channel_id).await?;

        let rate = ratio(totals.rated_engagements, totals.rated_followers);
        let rate_before = ratio(before.rated_engagements, before.rated_followers);
        Ok(Summary {
            period: period.clone(),
            followers,
            follower_growth: growth_now,
            follower_growth_rate: ratio(growth_now, start_sum),
            posts: totals.posts,
            cadence_per_week: kpi::cadence_per_week(totals.posts, period.days()),
            engagements: totals.engagements,
            counts: Counts {
                likes: totals.likes,
                reposts: totals.reposts,
                replies: totals.replies,
                quotes: totals.quotes,
            },
            engagement_rate: rate,
            clicks,
            clicks_per_thousand: kpi::clicks_per_thousand(clicks, followers),
            median_first_response_s: times.first_response.map(|s| s.median),
            p90_first_response_s: times.first_response.map(|s| s.p90),
            median_resolution_s: times.resolution.map(|s| s.median),
            response_rate: kpi::response_rate(times.answered, times.asked),
            inbox_sentiment: kpi::sentiment_share(
                inbox_sentiment.positive,
                inbox_sentiment.neutral,
                inbox_sentiment.negative,
            ),
            mention_sentiment: kpi::sentiment_share(
                mention_sentiment.positive,
                mention_sentiment.neutral,
                mention_sentiment.negative,
            ),
            share_of_voice: kpi::share_of_voice(sum_kind("brand"), sum_kind("competitor")),
            changes: Changes {
                posts: kpi::change(totals.posts as f64, before.posts as f64),
                engagements: kpi::change(totals.engagements as f64, before.engagements as f64),
                engagement_rate: rate.zip(rate_before).map(|(a, b)| kpi::change(a, b)),
                clicks: kpi::change(clicks as f64, clicks_before as f64),
                follower_growth: kpi::change(growth_now as f64, growth_before as f64),
                median_first_response_s: times
                    .first_response
                    .zip(times_before.first_response)
                    .map(|(a, b)| kpi::change(a.median as f64, b.median as f64)),
            },
            daily,
            channels: audience,
            top_posts: top.into_iter().map(|r| line(r, &channels)).collect(),
            bottom_posts: bottom.into_iter().map(|r| line(r, &channels)).collect(),
            pillars,
            voices,
        })
    }

    /// A page of the post table of a period, sorted.
    #[allow(clippy::too_many_arguments)]
    pub async fn analytics_posts(
        &self,
        actor: &Actor,
        slug: &str,
        period: &Period,
        filters: &Filters,
        sort: &str,
        ascending: bool,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<PostLine>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewAnalytics).await?;
        let sort = parse_sort(sort)?;
        let channels = self.channel_names(access.workspace.id).await?;
        let f = self.post_filter(&access, period, filters, &channels).await?;
        let rows = store::posts(&mut *self.store.conn().await?, &f, sort, ascending, limit, offset).await?;
        Ok(rows.into_iter().map(|r| line(r, &channels)).collect())
    }

    /// One published post's counts and curve.
    pub async fn analytics_post(
        &self,
        actor: &Actor,
        slug: &str,
        post_id: i64,
    ) -> Result<PostAnalytics, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewAnalytics).await?;
        let channels = self.channel_names(access.workspace.id).await?;
        let mut db = self.store.conn().await?;
        let row =
            store::post(&mut db, access.workspace.id, post_id).await?.ok_or(AppError::NotFound("post"))?;
        let snapshots = store::snapshots(&mut db, post_id).await?;
        Ok(PostAnalytics { line: line(row, &channels), snapshots })
    }

    /// The period `range` (or `from`–`to`) in the workspace's time zone (see [`period`]).
    pub async fn analytics_period(
        &self,
        actor: &Actor,
        slug: &str,
        range: &str,
        from: &str,
        to: &str,
        now: i64,
    ) -> Result<Period, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewAnalytics).await?;
        period(range, from, to, &access.workspace.timezone, now)
    }

    /// The campaigns named by the workspace's posts, for the filter.
    pub async fn analytics_campaigns(&self, actor: &Actor, slug: &str) -> Result<Vec<String>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewAnalytics).await?;
        Ok(store::campaigns(&mut *self.store.conn().await?, access.workspace.id).await?)
    }

    /// What the dashboards' filters offer: the workspace's channels, the charter's pillars and
    /// the campaigns its posts name.
    pub async fn analytics_choices(&self, actor: &Actor, slug: &str) -> Result<Choices, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewAnalytics).await?;
        let ws = access.workspace.id;
        let channels = self.channel_names(ws).await?;
        let mut db = self.store.conn().await?;
        let pillars =
            crate::charter::charter_of(&mut db, ws).await?.pillars.into_iter().map(|p| p.name).collect();
        let campaigns = store::campaigns(&mut db, ws).await?;
        Ok(Choices { channels, pillars, campaigns })
    }

    /// Checks that `actor` may collect the workspace's counts now; the workspace's id.
    pub async fn analytics_collect_access(&self, actor: &Actor, slug: &str) -> Result<i64, AppError> {
        Ok(self.workspace_access(actor, slug, Action::CollectAnalytics).await?.workspace.id)
    }
}

/// The channel of `channels` whose handle is `handle` (with or without its `@`), else an error
/// naming the field `channel`.
pub(crate) fn channel_named<'a>(
    channels: &'a [ChannelName],
    handle: &str,
) -> Result<&'a ChannelName, AppError> {
    let handle = handle.trim();
    channels
        .iter()
        .find(|c| {
            c.handle.eq_ignore_ascii_case(handle)
                || c.handle.eq_ignore_ascii_case(handle.trim_start_matches('@'))
        })
        .ok_or_else(|| {
            InputError::new("channel", "channel_unknown", "no channel of this workspace has this handle")
                .into()
        })
}

/// A post table's sort, as typed.
pub fn parse_sort(sort: &str) -> Result<PostSort, AppError> {
    Ok(match sort.trim() {
        "" | "published" | "published_at" => PostSort::Published,
        "engagements" | "engagement" => PostSort::Engagements,
        "likes" => PostSort::Likes,
        "reposts" => PostSort::Reposts,
        "replies" => PostSort::Replies,
        "rate" | "engagement_rate" => PostSort::Rate,
        _ => {
            return Err(InputError::new(
                "sort",
                "sort_unknown",
                "the sort is published, engagements, likes, reposts, replies or rate",
            )
            .into())
        }
    })
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// The cell (Monday 0:00 = 0 … Sunday 23:00 = 167) of a UTC quarter-hour of the week seen at
/// a UTC offset.
fn cell_of(quarter: i64, offset_ms: i64) -> usize {
    // Quarter 0 is a Thursday, three days after Monday.
    let local = (quarter + offset_ms.div_euclid(900_000) + 3 * 96).rem_euclid(store::QUARTERS_PER_WEEK);
    (local / 4) as usize
}

/// What the database summed over one span of one UTC offset: `(offset_ms, the posts' sums per
/// quarter-hour, the community's items per quarter-hour)`.
pub(crate) type SpanSums = (i64, Vec<store::QuarterSums>, Vec<(i64, i64)>);

/// The grid of a channel's best times (168 cells, Monday 0:00 first) from what the database
/// summed per UTC quarter-hour of the week, span by span of one UTC offset: `(offset_ms, the
/// posts' sums, the community's items)`.
pub(crate) fn grid(spans: &[SpanSums]) -> Vec<Slot> {
    let mut cells: Vec<(Slot, i64, i64)> = (0..168)
        .map(|i| (Slot { weekday: (i / 24) as u8, hour: (i % 24) as u8, ..Slot::default() }, 0, 0))
        .collect();
    for (offset, posts, activity) in spans {
        for q in posts {
            let cell = &mut cells[cell_of(q.quarter, *offset)];
            cell.0.posts += q.posts;
            cell.1 += q.rated_engagements;
            cell.2 += q.rated_followers;
        }
        for (quarter, n) in activity {
            cells[cell_of(*quarter, *offset)].0.activity += n;
        }
    }
    cells
        .into_iter()
        .map(|(mut s, e, f)| {
            s.rate = ratio(e, f);
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_skips_the_points_a_late_snapshot_missed() {
        let p = 1_000_000;
        assert_eq!(next_point(p, 0, p + 5 * 60_000), (1, Some(p + 3_600_000)));
        // Measured for the first time 2 days late: 6 h and 24 h are past, 7 d is next.
        assert_eq!(next_point(p, 0, p + 2 * DAY_MS), (4, Some(p + 7 * DAY_MS)));
        assert_eq!(next_point(p, 5, p + 30 * DAY_MS), (6, None));
        assert_eq!(next_point(p, 0, p + 31 * DAY_MS), (6, None));
    }

    #[test]
    fn campaigns_come_from_the_links_utm_campaign() {
        let urls = ["https://ex.org/a", "https://ex.org/b?x=1&utm_campaign=rentr%C3%A9e+2026#top"];
        assert_eq!(campaign_of(urls), Some("rentrée 2026".into()));
        assert_eq!(campaign_of(["https://ex.org/?utm_campaign="]), None);
        assert_eq!(campaign_of(["https://ex.org/?utm_campaign=%ZZ%"]), Some("%ZZ%".into()));
    }

    #[test]
    fn periods_end_today_in_the_workspace_time_zone() {
        // 2026-03-10 23:30 UTC is already the 11th in Paris.
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 10, 23, 30, 0).unwrap().timestamp_millis();
        let p = period("7d", "", "", "Europe/Paris", now).unwrap();
        assert_eq!((p.first_day.as_str(), p.last_day.as_str()), ("2026-03-05", "2026-03-11"));
        assert_eq!(p.days(), 7);
        let c = period("custom", "2026-01-01", "2026-01-31", "UTC", now).unwrap();
        assert_eq!(c.days(), 31);
        assert_eq!(c.previous(), (c.from - 31 * DAY_MS, c.from));
        // Across the change to winter time (25 October 2026 in Paris) the 90 days are an hour
        // longer, and the 90 days before them still start at a midnight.
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap().timestamp_millis();
        let q = period("90d", "", "", "Europe/Paris", now).unwrap();
        assert_eq!(q.first_day, "2026-09-09");
        assert_eq!(q.to - q.from, 90 * DAY_MS + 3_600_000);
        let midnight = chrono::Utc.with_ymd_and_hms(2026, 6, 10, 22, 0, 0).unwrap().timestamp_millis();
        assert_eq!(q.previous(), (midnight, q.from), "11 June 00:00 in Paris");
        let e = period("12d", "", "", "UTC", now).unwrap_err();
        assert!(matches!(e, AppError::Invalid(ref i) if i.field == "range"), "{e:?}");
        let e = period("custom", "janvier", "", "UTC", now).unwrap_err();
        assert!(matches!(e, AppError::Invalid(ref i) if i.field == "from"), "{e:?}");
    }

    #[test]
    fn the_grid_places_posts_in_the_workspace_time_zone() {
        let zone: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        // Monday 2026-03-09 08:00 UTC is 09:00 in Paris; Friday 2026-04-03 21:45 UTC is 23:45.
        let monday = chrono::Utc.with_ymd_and_hms(2026, 3, 9, 8, 0, 0).unwrap().timestamp_millis();
        let friday = chrono::Utc.with_ymd_and_hms(2026, 4, 3, 21, 45, 0).unwrap().timestamp_millis();
        let quarter = |ms: i64| (ms / 900_000) % store::QUARTERS_PER_WEEK;
        let sums = |ms: i64, posts, e, f| store::QuarterSums {
            quarter: quarter(ms),
            posts,
            rated_engagements: e,
            rated_followers: f,
        };
        let spans = store::rollup::offset_spans(&zone, monday - DAY_MS, friday + DAY_MS);
        assert_eq!(spans.len(), 2, "{spans:?}");
        let summer = chrono::Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap().timestamp_millis();
        assert_eq!((spans[0].1, spans[0].2, spans[1].0, spans[1].2), (summer, 3_600_000, summer, 7_200_000));
        let g = grid(&[
            (spans[0].2, vec![sums(monday, 3, 40, 200)], vec![(quarter(monday), 1)]),
            (spans[1].2, vec![sums(friday, 1, 0, 0)], vec![]),
        ]);
        let cell = g[9];
        assert_eq!((cell.weekday, cell.hour, cell.posts, cell.activity), (0, 9, 3, 1));
        assert_eq!(cell.rate, Some(0.2));
        let late = g[4 * 24 + 23];
        assert_eq!((late.weekday, late.hour, late.posts, late.rate), (4, 23, 1, None));
        assert_eq!(g.iter().map(|s| s.posts).sum::<i64>(), 4);
        assert_eq!(
            store::rollup::offset_spans(&zone, monday, monday + 7 * DAY_MS),
            vec![(monday, monday + 7 * DAY_MS, 3_600_000)]
        );
    }
}
