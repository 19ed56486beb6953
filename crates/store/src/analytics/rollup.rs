//! The daily rollup of the brand's measured posts (`post_days`): per workspace, local day (in
//! the workspace's time zone), channel and pillar, how many posts were published and the sums
//! of their latest counts.
//!
//! A dashboard's period is whole local days, so its sums, its days and its pillar mix read
//! one row per day, channel and pillar (about 250 a day for a 50-channel workspace) instead of
//! every post (2,700 a day at a million a year). The rollup is kept in step with `posts` by the
//! store's own writes, inside their transaction: [`share_of`] before and after the change, then
//! [`shift`] takes the old share out and puts the new one in. On PostgreSQL the post's row is
//! locked while it moves and the workspace's row is shared, so that a rebuild ([`rebuild`],
//! which locks the workspace's row) never interleaves with a move.
//!
//! `workspaces.post_days_zone` names the zone the rollup was built in. The reads use the
//! rollup only when it is the workspace's zone and the period starts and ends at local
//! midnights ([`span`]); otherwise they read `posts`, which is always right, only slower.

use chrono::{Offset, TimeZone};
use sqlx::{Connection, Row};

use super::{PostFilter, PostTotals, MEASURED};
use crate::{Db, Result, DAY_MS};

/// The local day (days since 1970-01-01 in `zone`) holding `ms`; an unknown zone counts as
/// UTC.
pub fn local_day(zone: &str, ms: i64) -> i64 {
    day_in(&zone.parse().unwrap_or(chrono_tz::UTC), ms)
}

/// The local day in `tz` holding `ms`.
fn day_in(tz: &chrono_tz::Tz, ms: i64) -> i64 {
    let offset = tz
        .timestamp_millis_opt(ms)
        .single()
        .map(|d| i64::from(d.offset().fix().local_minus_utc()) * 1000)
        .unwrap_or(0);
    (ms + offset).div_euclid(DAY_MS)
}

/// The local days `[first, end)` that `[from, to)` covers exactly, when both ends are local
/// midnights in `zone`.
pub fn day_span(zone: &str, from: i64, to: i64) -> Option<(i64, i64)> {
    let starts_a_day = |ms: i64| local_day(zone, ms - 1) < local_day(zone, ms);
    (from < to && starts_a_day(from) && starts_a_day(to))
        .then(|| (local_day(zone, from), local_day(zone, to)))
}

/// The rollup's days for the posts of `f`, when the rollup can answer it: no author or
/// campaign filter (the rollup does not keep them), the rollup built in the workspace's zone,
/// and a period of whole local days.
pub(super) async fn span(db: &mut Db, f: &PostFilter) -> Result<Option<(i64, i64)>> {
    if f.author_user_id.is_some() || f.campaign.is_some() {
        return Ok(None);
    }
    let row = sqlx::query("SELECT timezone, post_days_zone FROM workspaces WHERE id = $1")
        .bind(f.workspace_id)
        .fetch_optional(db)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let (zone, built): (String, Option<String>) = (row.try_get("timezone")?, row.try_get("post_days_zone")?);
    Ok(if built.as_deref() == Some(zone.as_str()) { day_span(&zone, f.from, f.to) } else { None })
}

/// `WHERE …` on `post_days d` for the days `[first, end)` of `f`, with `$1…$n`, and the values
/// to bind (text last).
pub(super) fn clause(f: &PostFilter, (first, end): (i64, i64)) -> (String, Vec<i64>, Option<&str>) {
    let mut sql = "d.workspace_id = $1 AND d.day >= $2 AND d.day < $3".to_owned();
    let mut ints = vec![f.workspace_id, first, end];
    if let Some(c) = f.channel_id {
        ints.push(c);
        sql.push_str(&format!(" AND d.channel_id = ${}", ints.len()));
    }
    let pillar = f.pillar.as_deref();
    if pillar.is_some() {
        sql.push_str(&format!(" AND d.pillar = ${}", ints.len() + 1));
    }
    (sql, ints, pillar)
}

/// The sums a rollup read selects, named as [`PostTotals`]' fields.
pub(super) const SUMS: &str = "CAST(COALESCE(SUM(d.posts), 0) AS BIGINT) AS posts, \
    CAST(COALESCE(SUM(d.likes), 0) AS BIGINT) AS likes, CAST(COALESCE(SUM(d.reposts), 0) AS BIGINT) AS reposts, \
    CAST(COALESCE(SUM(d.replies), 0) AS BIGINT) AS replies, CAST(COALESCE(SUM(d.quotes), 0) AS BIGINT) AS quotes, \
    CAST(COALESCE(SUM(d.engagements), 0) AS BIGINT) AS engagements, \
    CAST(COALESCE(SUM(d.rated_engagements), 0) AS BIGINT) AS rated_engagements, \
    CAST(COALESCE(SUM(d.rated_followers), 0) AS BIGINT) AS rated_followers";

/// What one post adds to the rollup, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Share {
    workspace_id: i64,
    day: i64,
    channel_id: i64,
    pillar: String,
    totals: PostTotals,
}

fn is_postgres(db: &Db) -> bool {
    db.backend_name() != "SQLite"
}

/// A measured post's counts as the rollup sums them.
fn totals_of_post(
    likes: i64,
    reposts: i64,
    replies: i64,
    quotes: i64,
    engagements: i64,
    followers: Option<i64>,
) -> PostTotals {
    let rated = followers.filter(|f| *f > 0);
    PostTotals {
        posts: 1,
        likes,
        reposts,
        replies,
        quotes,
        engagements,
        rated_engagements: if rated.is_some() { engagements } else { 0 },
        rated_followers: rated.unwrap_or(0),
    }
}

/// The share of post `post_id` in its workspace's rollup, or none when it is not a measured
/// post or the rollup is not built (it will be rebuilt from `posts`). On PostgreSQL the post's
/// row is locked and the workspace's shared until the transaction ends.
pub(crate) async fn share_of(db: &mut Db, post_id: i64) -> Result<Option<Share>> {
    let lock = if is_postgres(db) { " FOR UPDATE OF p FOR SHARE OF w" } else { "" };
    let row = sqlx::query(&format!(
        "SELECT p.workspace_id, p.channel_id, p.published_at, COALESCE(p.pillar, '') AS pillar, p.likes, p.reposts, \
         p.replies, p.quotes, p.engagements, p.followers_at_publish, w.post_days_zone FROM posts p \
         JOIN workspaces w ON w.id = p.workspace_id WHERE p.id = $1 AND {MEASURED}{lock}"
    ))
    .bind(post_id)
    .fetch_optional(db)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let Some(zone) = r.try_get::<Option<String>, _>("post_days_zone")? else { return Ok(None) };
    Ok(Some(Share {
        workspace_id: r.try_get("workspace_id")?,
        day: local_day(&zone, r.try_get("published_at")?),
        channel_id: r.try_get("channel_id")?,
        pillar: r.try_get("pillar")?,
        totals: totals_of_post(
            r.try_get("likes")?,
            r.try_get("reposts")?,
            r.try_get("replies")?,
            r.try_get("quotes")?,
            r.try_get("engagements")?,
            r.try_get("followers_at_publish")?,
        ),
    }))
}

/// Adds `t` to the rollup's row of `s` (negative figures take away).
async fn add(db: &mut Db, s: &Share, t: &PostTotals) -> Result<()> {
    sqlx::query(
        "INSERT INTO post_days (workspace_id, day, channel_id, pillar, posts, likes, reposts, replies, quotes, \
         engagements, rated_engagements, rated_followers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (workspace_id, day, channel_id, pillar) DO UPDATE SET posts = post_days.posts + excluded.posts, \
         likes = post_days.likes + excluded.likes, reposts = post_days.reposts + excluded.reposts, \
         replies = post_days.replies + excluded.replies, quotes = post_days.quotes + excluded.quotes, \
         engagements = post_days.engagements + excluded.engagements, \
         rated_engagements = post_days.rated_engagements + excluded.rated_engagements, \
         rated_followers = post_days.rated_followers + excluded.rated_followers",
    )
    .bind(s.workspace_id)
    .bind(s.day)
    .bind(s.channel_id)
    .bind(&s.pillar)
    .bind(t.posts)
    .bind(t.likes)
    .bind(t.reposts)
    .bind(t.replies)
    .bind(t.quotes)
    .bind(t.engagements)
    .bind(t.rated_engagements)
    .bind(t.rated_followers)
    .execute(db)
    .await?;
    Ok(())
}

/// Moves a post's share from `before` to `after` (either may be none: the post was not, or is
/// no longer, a measured post).
pub(crate) async fn shift(db: &mut Db, before: Option<Share>, after: Option<Share>) -> Result<()> {
    match (before, after) {
        (Some(b), Some(a)) if b == a => Ok(()),
        (Some(b), Some(a))
            if (b.workspace_id, b.day, b.channel_id, &b.pillar)
                == (a.workspace_id, a.day, a.channel_id, &a.pillar) =>
        {
            add(db, &a, &a.totals.minus(&b.totals)).await
        }
        (before, after) => {
            if let Some(b) = before {
                add(db, &b, &PostTotals::default().minus(&b.totals)).await?;
            }
            if let Some(a) = after {
                add(db, &a, &a.totals).await?;
            }
            Ok(())
        }
    }
}

/// The workspaces whose rollup is not built in their time zone.
pub async fn stale_workspaces(db: &mut Db) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM workspaces WHERE post_days_zone IS NULL OR post_days_zone <> timezone ORDER BY id",
    )
    .fetch_all(db)
    .await?)
}

/// The spans of `[from, to)` over which `tz` keeps one UTC offset: `(from, to, offset_ms)`,
/// in order (a clock change starts a new span at its exact millisecond).
pub fn offset_spans(tz: &chrono_tz::Tz, from: i64, to: i64) -> Vec<(i64, i64, i64)> {
    let offset = |ms: i64| {
        tz.timestamp_millis_opt(ms)
            .single()
            .map_or(0, |d| i64::from(d.offset().fix().local_minus_utc()) * 1000)
    };
    let mut spans = Vec::new();
    let (mut start, mut current, mut t) = (from, offset(from), from);
    while t < to {
        let next = (t + 3_600_000).min(to);
        if next < to && offset(next) != current {
            // The change lies in (t, next]: the first millisecond with the new offset.
            let (mut old, mut new) = (t, next);
            while new - old > 1 {
                let mid = old + (new - old) / 2;
                if offset(mid) == current {
                    old = mid;
                } else {
                    new = mid;
                }
            }
            spans.push((start, new, current));
            (start, current) = (new, offset(new));
        }
        t = next;
    }
    if start < to {
        spans.push((start, to, current));
    }
    spans
}

/// Rebuilds the rollup of `workspace_id` from its posts in its time zone, in one transaction;
/// returns the rollup's rows. The database sums the posts per local day, one statement per
/// span of one UTC offset (a day split by a clock change gets both parts).
pub async fn rebuild(db: &mut Db, workspace_id: i64) -> Result<u64> {
    let mut tx = db.begin().await?;
    let lock = if is_postgres(&tx) { " FOR UPDATE" } else { "" };
    let zone: Option<String> =
        sqlx::query_scalar(&format!("SELECT timezone FROM workspaces WHERE id = $1{lock}"))
            .bind(workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(zone) = zone else { return Ok(0) };
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    sqlx::query("DELETE FROM post_days WHERE workspace_id = $1").bind(workspace_id).execute(&mut *tx).await?;
    let range = sqlx::query(&format!(
        "SELECT MIN(p.published_at) AS first, MAX(p.published_at) AS last FROM posts p \
         WHERE p.workspace_id = $1 AND {MEASURED}"
    ))
    .bind(workspace_id)
    .fetch_one(&mut *tx)
    .await?;
    let (first, last): (Option<i64>, Option<i64>) = (range.try_get("first")?, range.try_get("last")?);
    if let (Some(first), Some(last)) = (first, last) {
        for (from, to, offset) in offset_spans(&tz, first, last + 1) {
            let day = format!("(p.published_at + {offset}) / {DAY_MS}");
            sqlx::query(&format!(
                "INSERT INTO post_days (workspace_id, day, channel_id, pillar, posts, likes, reposts, replies, quotes, \
                 engagements, rated_engagements, rated_followers) \
                 SELECT p.workspace_id, {day}, p.channel_id, COALESCE(p.pillar, ''), COUNT(*), \
                 CAST(SUM(p.likes) AS BIGINT), CAST(SUM(p.reposts) AS BIGINT), CAST(SUM(p.replies) AS BIGINT), \
                 CAST(SUM(p.quotes) AS BIGINT), CAST(SUM(p.engagements) AS BIGINT), \
                 CAST(SUM(CASE WHEN p.followers_at_publish > 0 THEN p.engagements ELSE 0 END) AS BIGINT), \
                 CAST(SUM(CASE WHEN p.followers_at_publish > 0 THEN p.followers_at_publish ELSE 0 END) AS BIGINT) \
                 FROM posts p WHERE p.workspace_id = $1 AND p.published_at >= $2 AND p.published_at < $3 AND {MEASURED} \
                 GROUP BY p.workspace_id, {day}, p.channel_id, COALESCE(p.pillar, '') \
                 ON CONFLICT (workspace_id, day, channel_id, pillar) DO UPDATE SET posts = post_days.posts + excluded.posts, \
                 likes = post_days.likes + excluded.likes, reposts = post_days.reposts + excluded.reposts, \
                 replies = post_days.replies + excluded.replies, quotes = post_days.quotes + excluded.quotes, \
                 engagements = post_days.engagements + excluded.engagements, \
                 rated_engagements = post_days.rated_engagements + excluded.rated_engagements, \
                 rated_followers = post_days.rated_followers + excluded.rated_followers"
            ))
            .bind(workspace_id)
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
        }
    }
    sqlx::query("UPDATE workspaces SET post_days_zone = $1 WHERE id = $2")
        .bind(&zone)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM post_days WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(rows as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_days_follow_the_zone_and_its_summer_time() {
        // 2026-03-28 23:30 UTC is already the 29th in Paris (UTC+1 in winter).
        let ms = chrono::DateTime::parse_from_rfc3339("2026-03-28T23:30:00Z").unwrap().timestamp_millis();
        assert_eq!(local_day("UTC", ms), ms / DAY_MS);
        assert_eq!(local_day("Europe/Paris", ms), ms / DAY_MS + 1);
        // 2026-03-29 22:30 UTC is already the 30th in Paris (UTC+2 since that night).
        let summer = chrono::DateTime::parse_from_rfc3339("2026-03-29T22:30:00Z").unwrap().timestamp_millis();
        assert_eq!(local_day("Europe/Paris", summer), summer / DAY_MS + 1);
        assert_eq!(local_day("Europe/Paris", summer - 1_800_000 - 1), summer / DAY_MS);
        // Before 1970 the days count backwards.
        assert_eq!(local_day("UTC", -1), -1);
        assert_eq!(local_day("Not/AZone", ms), ms / DAY_MS);
    }

    #[test]
    fn a_span_is_whole_local_days_or_nothing() {
        let midnight = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis();
        // Paris midnights across the change to summer time: a 23-hour day.
        let (a, b) = (midnight("2026-03-28T23:00:00Z"), midnight("2026-03-30T22:00:00Z"));
        let first = local_day("Europe/Paris", a);
        assert_eq!(day_span("Europe/Paris", a, b), Some((first, first + 2)));
        assert_eq!(day_span("Europe/Paris", a + 1, b), None);
        assert_eq!(day_span("Europe/Paris", a, b - 3_600_000), None);
        assert_eq!(day_span("UTC", a, b), None);
        assert_eq!(day_span("Europe/Paris", b, a), None);
    }
}
