//! Analytics: the counts the networks give on published posts (snapshots on a decaying
//! schedule), each channel's daily audience, and the reads the dashboards make over them.
//!
//! A published post carries its latest counts, so that the post table, the overview and the
//! top posts never read `post_snapshots`; only a post's own page reads its curve. The posts a
//! worker measures are *claimed* like jobs: their `next_snapshot_at` moves forward by a lease in
//! one statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so two workers never measure the same
//! post at once, and a post whose worker died is due again when the lease runs out.
//!
//! Only the brand's own posts are measured: not the inbox's replies (`reply_ref`) nor direct
//! messages.

use sqlx::{Connection, Row};

use crate::{Backend, Db, Result, DAY_MS};

/// What the brand's measured posts are, as SQL on `posts p`.
pub const MEASURED: &str = "p.published_at IS NOT NULL AND p.reply_ref IS NULL AND p.direct = 0";

/// A post due for a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePost {
    /// The post.
    pub id: i64,
    /// Its id on the network.
    pub remote_id: String,
    /// When it was published, ms.
    pub published_at: i64,
    /// The schedule's next point (index into the schedule).
    pub step: i64,
    /// Its text (to place it in a pillar and a campaign on its first snapshot).
    pub text: String,
    /// Whether its followers at publication are known already.
    pub has_followers: bool,
}

fn due_post(r: &sqlx::any::AnyRow) -> Result<DuePost> {
    Ok(DuePost {
        id: r.try_get("id")?,
        remote_id: r.try_get("remote_id")?,
        published_at: r.try_get("published_at")?,
        step: r.try_get("snapshot_step")?,
        text: r.try_get("text")?,
        has_followers: r.try_get::<Option<i64>, _>("followers_at_publish")?.is_some(),
    })
}

/// The channels (with their workspace) that have posts due at `now`, the longest waiting first.
pub async fn channels_due(db: &mut Db, now: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT p.channel_id, MIN(p.workspace_id) AS workspace_id, MIN(p.next_snapshot_at) AS due FROM posts p \
         JOIN channels c ON c.id = p.channel_id \
         WHERE p.next_snapshot_at IS NOT NULL AND p.next_snapshot_at <= $1 AND c.status = 'ok' \
         GROUP BY p.channel_id ORDER BY due LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("channel_id")?, r.try_get("workspace_id")?))).collect()
}

/// Claims up to `limit` posts of `channel_id` due at `now`: their next snapshot moves to
/// `now + lease_ms`, so that no other worker takes them meanwhile.
pub async fn claim_due(
    db: &mut Db,
    backend: Backend,
    channel_id: i64,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<DuePost>> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let rows = sqlx::query(&format!(
        "UPDATE posts SET next_snapshot_at = $1 WHERE id IN (\
           SELECT id FROM posts WHERE channel_id = $2 AND next_snapshot_at IS NOT NULL AND next_snapshot_at <= $3 \
           ORDER BY next_snapshot_at, id LIMIT $4{lock}) \
         RETURNING id, remote_id, published_at, snapshot_step, text, followers_at_publish"
    ))
    .bind(now + lease_ms)
    .bind(channel_id)
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?;
    let mut posts = rows.iter().map(due_post).collect::<Result<Vec<_>>>()?;
    posts.sort_by_key(|p| p.id);
    Ok(posts)
}

/// Every measured post of `channel_id` with an id on the network, after `after_id`, by id (for
/// a collection on request, which ignores the schedule).
pub async fn published_posts(
    db: &mut Db,
    channel_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<DuePost>> {
    let rows = sqlx::query(&format!(
        "SELECT p.id, p.remote_id, p.published_at, p.snapshot_step, p.text, p.followers_at_publish FROM posts p \
         WHERE p.channel_id = $1 AND p.id > $2 AND p.remote_id IS NOT NULL AND p.status = 'published' AND {MEASURED} \
         ORDER BY p.id LIMIT $3"
    ))
    .bind(channel_id)
    .bind(after_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(due_post).collect()
}

/// A post's counts at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Snapshot {
    /// When it was taken, ms.
    pub taken_at: i64,
    /// The schedule's point, or -1 when taken on request.
    pub step: i64,
    /// Likes.
    pub likes: i64,
    /// Reposts.
    pub reposts: i64,
    /// Replies.
    pub replies: i64,
    /// Quotes.
    pub quotes: i64,
}

/// What a snapshot adds to its post besides the counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotContext {
    /// The schedule's next point and when it is due; `None` leaves the schedule as it is (a
    /// snapshot on request), `Some((step, None))` ends it.
    pub next: Option<(i64, Option<i64>)>,
    /// The channel's followers when the post was published, kept if already known.
    pub followers_at_publish: Option<i64>,
    /// The post's pillar, kept if already known.
    pub pillar: Option<String>,
    /// The post's campaign (`utm_campaign` of its links), kept if already known.
    pub campaign: Option<String>,
}

/// Stores a snapshot of `post_id` and makes it the post's latest counts (and the daily
/// rollup's), in one transaction.
pub async fn record_snapshot(db: &mut Db, post_id: i64, s: &Snapshot, ctx: &SnapshotContext) -> Result<()> {
    let mut tx = db.begin().await?;
    let before = rollup::share_of(&mut tx, post_id).await?;
    sqlx::query(
        "INSERT INTO post_snapshots (post_id, taken_at, step, likes, reposts, replies, quotes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (post_id, taken_at) DO UPDATE SET \
         step = excluded.step, likes = excluded.likes, reposts = excluded.reposts, replies = excluded.replies, quotes = excluded.quotes",
    )
    .bind(post_id)
    .bind(s.taken_at)
    .bind(s.step)
    .bind(s.likes)
    .bind(s.reposts)
    .bind(s.replies)
    .bind(s.quotes)
    .execute(&mut *tx)
    .await?;
    let schedule = match ctx.next {
        Some(_) => ", snapshot_step = $9, next_snapshot_at = $10",
        None => "",
    };
    let (step, at) = ctx.next.unwrap_or((0, None));
    sqlx::query(&format!(
        "UPDATE posts SET likes = $1, reposts = $2, replies = $3, quotes = $4, engagements = $1 + $2 + $3 + $4, \
         counts_at = $5, followers_at_publish = COALESCE(followers_at_publish, $6), pillar = COALESCE(pillar, $7), \
         campaign = COALESCE(campaign, $8){schedule} WHERE id = $11 AND (counts_at IS NULL OR counts_at <= $5)"
    ))
    .bind(s.likes)
    .bind(s.reposts)
    .bind(s.replies)
    .bind(s.quotes)
    .bind(s.taken_at)
    .bind(ctx.followers_at_publish)
    .bind(ctx.pillar.as_deref())
    .bind(ctx.campaign.as_deref())
    .bind(step)
    .bind(at)
    .bind(post_id)
    .execute(&mut *tx)
    .await?;
    let after = rollup::share_of(&mut tx, post_id).await?;
    rollup::shift(&mut tx, before, after).await?;
    tx.commit().await?;
    Ok(())
}

/// Puts posts back to be measured at `at` (the network asked to slow down, or was away).
pub async fn defer(db: &mut Db, post_ids: &[i64], at: i64) -> Result<()> {
    for chunk in post_ids.chunks(500) {
        let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        sqlx::query(&format!("UPDATE posts SET next_snapshot_at = $1 WHERE id IN ({list})"))
            .bind(at)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// Puts every post of `channel_id` due before `at` back to `at` (the network asked to wait
/// until then: the posts not read yet would only meet the same refusal).
pub async fn defer_channel(db: &mut Db, channel_id: i64, at: i64) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE posts SET next_snapshot_at = $1 WHERE channel_id = $2 AND next_snapshot_at IS NOT NULL \
         AND next_snapshot_at < $1",
    )
    .bind(at)
    .bind(channel_id)
    .execute(db)
    .await?
    .rows_affected())
}

/// Stops measuring a post the network no longer knows (deleted there).
pub async fn stop_measuring(db: &mut Db, post_id: i64) -> Result<()> {
    sqlx::query("UPDATE posts SET next_snapshot_at = NULL WHERE id = $1").bind(post_id).execute(db).await?;
    Ok(())
}

/// A post's snapshots, oldest first.
pub async fn snapshots(db: &mut Db, post_id: i64) -> Result<Vec<Snapshot>> {
    let rows = sqlx::query(
        "SELECT taken_at, step, likes, reposts, replies, quotes FROM post_snapshots WHERE post_id = $1 ORDER BY taken_at",
    )
    .bind(post_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Snapshot {
                taken_at: r.try_get("taken_at")?,
                step: r.try_get("step")?,
                likes: r.try_get("likes")?,
                reposts: r.try_get("reposts")?,
                replies: r.try_get("replies")?,
                quotes: r.try_get("quotes")?,
            })
        })
        .collect()
}

/// Deletes the snapshots taken on request before `before`, except each post's latest: the
/// schedule's points stay, so that every curve keeps its shape.
pub async fn thin_snapshots(db: &mut Db, before: i64) -> Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM post_snapshots WHERE step < 0 AND taken_at < $1 \
         AND taken_at < (SELECT MAX(s.taken_at) FROM post_snapshots s WHERE s.post_id = post_snapshots.post_id)",
    )
    .bind(before)
    .execute(db)
    .await?
    .rows_affected())
}

/// The UTC day (days since 1970-01-01) holding `ms`.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// The channels (with their workspace) connected and working that have no counts for `day`.
pub async fn channels_without_counts(db: &mut Db, day: i64) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT c.id, c.workspace_id FROM channels c WHERE c.status = 'ok' \
         AND NOT EXISTS (SELECT 1 FROM channel_counts k WHERE k.channel_id = c.id AND k.day = $1) ORDER BY c.id",
    )
    .bind(day)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("workspace_id")?))).collect()
}

/// A channel's counts on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ChannelDay {
    /// The channel.
    pub channel_id: i64,
    /// UTC day (days since 1970-01-01).
    pub day: i64,
    /// Followers.
    pub followers: i64,
    /// Accounts it follows.
    pub following: i64,
    /// Its posts, as the network counts them.
    pub posts: i64,
}

fn channel_day(r: &sqlx::any::AnyRow) -> Result<ChannelDay> {
    Ok(ChannelDay {
        channel_id: r.try_get("channel_id")?,
        day: r.try_get("day")?,
        followers: r.try_get("followers")?,
        following: r.try_get("following")?,
        posts: r.try_get("posts")?,
    })
}

/// Stores (or replaces) a channel's counts of a day.
pub async fn record_channel_counts(db: &mut Db, c: &ChannelDay, taken_at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO channel_counts (channel_id, day, followers, following, posts, taken_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (channel_id, day) DO UPDATE SET followers = excluded.followers, following = excluded.following, \
         posts = excluded.posts, taken_at = excluded.taken_at",
    )
    .bind(c.channel_id)
    .bind(c.day)
    .bind(c.followers)
    .bind(c.following)
    .bind(c.posts)
    .bind(taken_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The channel's followers on the day of `at` or the closest day before it; the first day
/// after it when there is none before.
pub async fn followers_at(db: &mut Db, channel_id: i64, at: i64) -> Result<Option<i64>> {
    let day = day_of(at);
    let before: Option<i64> = sqlx::query_scalar(
        "SELECT followers FROM channel_counts WHERE channel_id = $1 AND day <= $2 ORDER BY day DESC LIMIT 1",
    )
    .bind(channel_id)
    .bind(day)
    .fetch_optional(&mut *db)
    .await?;
    if before.is_some() {
        return Ok(before);
    }
    Ok(sqlx::query_scalar("SELECT followers FROM channel_counts WHERE channel_id = $1 ORDER BY day LIMIT 1")
        .bind(channel_id)
        .fetch_optional(db)
        .await?)
}

/// The counts of the workspace's channels from `from_day` to `to_day` (both included), by
/// channel then day.
pub async fn channel_series(
    db: &mut Db,
    workspace_id: i64,
    from_day: i64,
    to_day: i64,
) -> Result<Vec<ChannelDay>> {
    let rows = sqlx::query(
        "SELECT k.channel_id, k.day, k.followers, k.following, k.posts FROM channel_counts k \
         JOIN channels c ON c.id = k.channel_id WHERE c.workspace_id = $1 AND k.day >= $2 AND k.day <= $3 \
         ORDER BY k.channel_id, k.day",
    )
    .bind(workspace_id)
    .bind(from_day)
    .bind(to_day)
    .fetch_all(db)
    .await?;
    rows.iter().map(channel_day).collect()
}

/// Each channel's latest counts on or before `day` (channels never counted are absent): one
/// seek per channel in `channel_counts`' key, not a pass over every day of every channel.
pub async fn latest_counts(db: &mut Db, workspace_id: i64, day: i64) -> Result<Vec<ChannelDay>> {
    let rows = sqlx::query(
        "SELECT k.channel_id, k.day, k.followers, k.following, k.posts FROM channels c \
         JOIN channel_counts k ON k.channel_id = c.id AND k.day = \
         (SELECT MAX(k2.day) FROM channel_counts k2 WHERE k2.channel_id = c.id AND k2.day <= $2) \
         WHERE c.workspace_id = $1 ORDER BY k.channel_id",
    )
    .bind(workspace_id)
    .bind(day)
    .fetch_all(db)
    .await?;
    rows.iter().map(channel_day).collect()
}

mod reads;
pub mod rollup;
pub use reads::*;
