//! The KPIs the Social Media Manager reads: each one's definition, in one place, as a pure
//! function of plain numbers (`docs/kpis.md` gives the same formulas, sources and caveats).
//!
//! Nothing here reads a database: the store gathers the numbers, these functions turn them into
//! the figures every page, export and command shows, so that a figure means the same thing
//! wherever it appears. Rates are `None` where their denominator is zero, never a made-up 0.

use serde::Serialize;

/// When a published post's counts are taken, after its publication, in milliseconds: 5 min,
/// 1 h, 6 h, 24 h, 7 d and 30 d. Enough points for a growth curve, few enough to stay compact.
pub const SNAPSHOT_AFTER_MS: [i64; 6] =
    [5 * MINUTE, HOUR, 6 * HOUR, 24 * HOUR, 7 * 24 * HOUR, 30 * 24 * HOUR];

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// A post's interactions as the network counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    /// Likes (favourites).
    pub likes: i64,
    /// Reposts (boosts).
    pub reposts: i64,
    /// Direct replies.
    pub replies: i64,
    /// Quotes (0 where the network does not count them).
    pub quotes: i64,
}

impl Counts {
    /// **Engagement**: the sum of the interactions the network counts (likes + reposts +
    /// replies + quotes). Neither network reports impressions, so there is no reach here.
    pub fn engagement(self) -> i64 {
        self.likes + self.reposts + self.replies + self.quotes
    }
}

/// **Engagement rate**: interactions ÷ the channel's followers when the post was published, as
/// a fraction (0.05 = 5 %). `None` when the follower count is unknown or zero.
pub fn engagement_rate(engagements: i64, followers: Option<i64>) -> Option<f64> {
    ratio(engagements, followers?)
}

/// **Engagement rate of a set of posts**: their interactions ÷ the sum of their followers at
/// publication (a weighted mean, so that one post on a tiny channel does not swing it). Posts
/// whose follower count is unknown are left out of both sums.
pub fn engagement_rate_of(posts: impl IntoIterator<Item = (i64, Option<i64>)>) -> Option<f64> {
    let (mut interactions, mut followers) = (0i64, 0i64);
    for (e, f) in posts {
        if let Some(f) = f.filter(|f| *f > 0) {
            interactions += e;
            followers += f;
        }
    }
    ratio(interactions, followers)
}

/// **Follower growth** between two counts: net and relative to the first.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Growth {
    /// `end − start`.
    pub net: i64,
    /// `net ÷ start`; `None` when `start` is zero.
    pub rate: Option<f64>,
}

/// Follower growth from `start` to `end`.
pub fn growth(start: i64, end: i64) -> Growth {
    Growth { net: end - start, rate: ratio(end - start, start) }
}

/// **Posting cadence**: posts per week over a period of `days` days.
pub fn cadence_per_week(posts: i64, days: i64) -> Option<f64> {
    ratio(posts * 7, days)
}

/// **Click rate**: link clicks per 1,000 followers.
pub fn clicks_per_thousand(clicks: i64, followers: i64) -> Option<f64> {
    ratio(clicks * 1000, followers)
}

/// **Response rate**: conversations answered ÷ conversations that asked for an answer.
pub fn response_rate(answered: i64, total: i64) -> Option<f64> {
    ratio(answered, total)
}

/// **Share of voice**: the brand's mentions ÷ (the brand's + the competitors' mentions), from
/// the listening queries of each kind.
pub fn share_of_voice(brand: i64, competitors: i64) -> Option<f64> {
    ratio(brand, brand + competitors)
}

/// The median and 90th percentile of durations (first response, resolution), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spread {
    /// How many values.
    pub count: usize,
    /// The median (nearest rank).
    pub median: i64,
    /// The 90th percentile (nearest rank).
    pub p90: i64,
}

/// The spread of `values` (any order), `None` when there are none. Percentiles use the
/// nearest-rank method: the p-th percentile is the smallest value with at least p % of the
/// values at or below it, so it is always one of the values.
pub fn spread(values: &[i64]) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    Some(Spread { count: sorted.len(), median: nearest_rank(&sorted, 50), p90: nearest_rank(&sorted, 90) })
}

fn nearest_rank(sorted: &[i64], percent: usize) -> i64 {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// **Sentiment share**: the share of positive, neutral and negative texts (mentions or inbox
/// items), each from 0 to 1; all `None` when there are none.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SentimentShare {
    /// Positive texts ÷ all.
    pub positive: Option<f64>,
    /// Neutral texts ÷ all.
    pub neutral: Option<f64>,
    /// Negative texts ÷ all.
    pub negative: Option<f64>,
}

/// The sentiment share of `positive`, `neutral` and `negative` counts.
pub fn sentiment_share(positive: i64, neutral: i64, negative: i64) -> SentimentShare {
    let all = positive + neutral + negative;
    SentimentShare {
        positive: ratio(positive, all),
        neutral: ratio(neutral, all),
        negative: ratio(negative, all),
    }
}

/// How a figure moved against the previous period of the same length.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    /// `current − previous`.
    pub delta: f64,
    /// `delta ÷ previous`; `None` when the previous figure is zero.
    pub rate: Option<f64>,
}

/// The change from `previous` to `current`.
pub fn change(current: f64, previous: f64) -> Change {
    let delta = current - previous;
    Change { delta, rate: (previous != 0.0).then(|| delta / previous.abs()) }
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// One cell of the best-time grid: posts published in that weekday and hour, and their
/// engagement rate.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Slot {
    /// Monday = 0 … Sunday = 6, in the workspace's time zone.
    pub weekday: u8,
    /// 0 … 23, in the workspace's time zone.
    pub hour: u8,
    /// Posts behind the figure.
    pub posts: i64,
    /// Their engagement rate (weighted), when they have one.
    pub rate: Option<f64>,
    /// The community's activity then (inbox items and mentions), the fallback's measure.
    pub activity: i64,
}

/// Posts a cell needs before its rate is trusted.
pub const SLOT_MIN_POSTS: i64 = 3;
/// Posts a channel needs, in all, before the grid rests on its own posts' rates.
pub const BEST_TIMES_MIN_POSTS: i64 = 20;

/// What the best slots rest on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The channel's own posts: enough of them, in enough cells.
    EngagementRate,
    /// Too few posts: when the community is active (inbox items and mentions).
    CommunityActivity,
    /// Nothing to go on yet.
    Nothing,
}

/// The best slots of a grid, best first, at most `n`: cells with at least [`SLOT_MIN_POSTS`]
/// posts ranked by engagement rate when the channel has [`BEST_TIMES_MIN_POSTS`] posts or more
/// and at least `n` such cells; otherwise the cells where the community is most active.
pub fn best_slots(grid: &[Slot], n: usize) -> (Basis, Vec<Slot>) {
    let total: i64 = grid.iter().map(|s| s.posts).sum();
    let mut trusted: Vec<Slot> =
        grid.iter().copied().filter(|s| s.posts >= SLOT_MIN_POSTS && s.rate.is_some()).collect();
    if total >= BEST_TIMES_MIN_POSTS && trusted.len() >= n.max(1) {
        trusted.sort_by(|a, b| {
            b.rate.partial_cmp(&a.rate).unwrap_or(std::cmp::Ordering::Equal).then(b.posts.cmp(&a.posts))
        });
        trusted.truncate(n);
        return (Basis::EngagementRate, trusted);
    }
    let mut active: Vec<Slot> = grid.iter().copied().filter(|s| s.activity > 0).collect();
    if active.is_empty() {
        return (Basis::Nothing, Vec::new());
    }
    active.sort_by(|a, b| b.activity.cmp(&a.activity).then((a.weekday, a.hour).cmp(&(b.weekday, b.hour))));
    active.truncate(n);
    (Basis::CommunityActivity, active)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn engagement_sums_every_interaction() {
        let c = Counts { likes: 12, reposts: 3, replies: 4, quotes: 1 };
        assert_eq!(c.engagement(), 20);
        assert_eq!(Counts::default().engagement(), 0);
    }

    #[test]
    fn engagement_rate_divides_by_the_followers_at_publication() {
        assert!(close(engagement_rate(20, Some(400)), 0.05));
        assert_eq!(engagement_rate(20, Some(0)), None);
        assert_eq!(engagement_rate(20, None), None);
        // Three posts: 10/100, 30/300, and one with no follower count, left out.
        assert!(close(engagement_rate_of([(10, Some(100)), (30, Some(300)), (99, None)]), 0.1));
        // Weighted: 1/10 and 99/990 are both 10 %, 1/10 and 0/990 is 1/1000.
        assert!(close(engagement_rate_of([(1, Some(10)), (0, Some(990))]), 0.001));
        assert_eq!(engagement_rate_of([(5, None)]), None);
    }

    #[test]
    fn growth_is_net_and_relative_to_the_start() {
        assert_eq!(growth(1200, 1260), Growth { net: 60, rate: Some(0.05) });
        assert_eq!(growth(100, 90).net, -10);
        assert!(close(growth(100, 90).rate, -0.1));
        assert_eq!(growth(0, 5), Growth { net: 5, rate: None });
    }

    #[test]
    fn cadence_clicks_response_and_voice() {
        assert!(close(cadence_per_week(12, 28), 3.0));
        assert_eq!(cadence_per_week(3, 0), None);
        assert!(close(clicks_per_thousand(45, 1500), 30.0));
        assert!(close(response_rate(9, 12), 0.75));
        assert_eq!(response_rate(0, 0), None);
        assert!(close(share_of_voice(30, 90), 0.25));
        assert_eq!(share_of_voice(0, 0), None);
    }

    #[test]
    fn median_and_p90_use_the_nearest_rank() {
        // 10 first responses, in seconds, out of order.
        let v = [600, 60, 120, 3600, 300, 90, 240, 180, 7200, 30];
        let s = spread(&v).unwrap();
        // Sorted: 30 60 90 120 180 240 300 600 3600 7200; rank 5 is 180, rank 9 is 3600.
        assert_eq!(s, Spread { count: 10, median: 180, p90: 3600 });
        assert_eq!(spread(&[42]).unwrap(), Spread { count: 1, median: 42, p90: 42 });
        assert_eq!(spread(&[]), None);
        // Three values: rank ceil(1.5)=2 and ceil(2.7)=3.
        assert_eq!(spread(&[5, 1, 3]).unwrap(), Spread { count: 3, median: 3, p90: 5 });
    }

    #[test]
    fn sentiment_shares_add_up_to_one() {
        let s = sentiment_share(6, 3, 1);
        assert!(close(s.positive, 0.6) && close(s.neutral, 0.3) && close(s.negative, 0.1));
        assert_eq!(sentiment_share(0, 0, 0).positive, None);
    }

    #[test]
    fn change_against_the_previous_period() {
        let c = change(120.0, 100.0);
        assert!((c.delta - 20.0).abs() < 1e-9 && close(c.rate, 0.2));
        assert!(close(change(50.0, 100.0).rate, -0.5));
        assert_eq!(change(5.0, 0.0).rate, None);
    }

    fn slot(weekday: u8, hour: u8, posts: i64, rate: Option<f64>, activity: i64) -> Slot {
        Slot { weekday, hour, posts, rate, activity }
    }

    #[test]
    fn best_slots_rank_trusted_cells_by_rate() {
        let grid = [
            slot(0, 9, 8, Some(0.02), 5),
            slot(1, 12, 6, Some(0.05), 1),
            slot(2, 18, 4, Some(0.03), 0),
            slot(3, 7, 2, Some(0.30), 40), // too few posts to be trusted
        ];
        let (basis, best) = best_slots(&grid, 2);
        assert_eq!(basis, Basis::EngagementRate);
        assert_eq!(best.iter().map(|s| (s.weekday, s.hour)).collect::<Vec<_>>(), [(1, 12), (2, 18)]);
    }

    #[test]
    fn too_few_posts_fall_back_to_the_community_activity() {
        let grid = [slot(0, 9, 2, Some(0.5), 3), slot(4, 20, 0, None, 11), slot(5, 10, 1, Some(0.1), 0)];
        let (basis, best) = best_slots(&grid, 3);
        assert_eq!(basis, Basis::CommunityActivity);
        assert_eq!(best.iter().map(|s| (s.weekday, s.hour)).collect::<Vec<_>>(), [(4, 20), (0, 9)]);
        assert_eq!(best_slots(&[slot(0, 0, 0, None, 0)], 3), (Basis::Nothing, vec![]));
    }
}
