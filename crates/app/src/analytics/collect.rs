//! What a collection writes: a batch of posts' counts as snapshots (with, on a post's first, its
//! followers at publication, its pillar and its campaign) and a channel's counts of the day.
//! The worker reads the networks and hands the answers here; nothing here calls a network.

use tutti_domain::kpi::Counts;
use tutti_store::analytics::{self as store, ChannelDay, DuePost, Snapshot, SnapshotContext};
use tutti_store::{links, Store, StoreError};

use super::{campaign_of, next_point};
use crate::AppError;

/// A post and the counts the network gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    /// The post, as claimed or listed.
    pub post: DuePost,
    /// Its counts.
    pub counts: Counts,
}

/// Stores the counts of `measured` posts of one channel, taken at `now`, in one transaction.
/// `on_schedule` moves each post to its schedule's next point; a collection on request leaves
/// the schedule as it is and marks its snapshots as taken outside it.
pub async fn record_posts(
    store: &Store,
    workspace_id: i64,
    channel_id: i64,
    measured: &[Measured],
    on_schedule: bool,
    now: i64,
) -> Result<(), AppError> {
    if measured.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    let mut charter = None;
    for m in measured {
        let mut ctx = SnapshotContext::default();
        if on_schedule {
            ctx.next = Some(next_point(m.post.published_at, m.post.step, now));
        }
        if !m.post.has_followers {
            ctx.followers_at_publish = store::followers_at(&mut tx, channel_id, m.post.published_at).await?;
            if charter.is_none() {
                charter = Some(crate::charter::charter_of(&mut tx, workspace_id).await?);
            }
            ctx.pillar = charter.as_ref().and_then(|c| tutti_charter::pillar_of(c, &m.post.text));
            let targets = links::of_post(&mut tx, m.post.id).await?;
            ctx.campaign = campaign_of(targets.iter().map(|l| l.url.as_str()).chain([m.post.text.as_str()]));
        }
        let c = m.counts;
        let snapshot = Snapshot {
            taken_at: now,
            step: if on_schedule { m.post.step } else { -1 },
            likes: c.likes,
            reposts: c.reposts,
            replies: c.replies,
            quotes: c.quotes,
        };
        store::record_snapshot(&mut tx, m.post.id, &snapshot, &ctx).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Stores a channel's followers, follows and posts for the UTC day of `now`.
pub async fn record_channel(
    store: &Store,
    channel_id: i64,
    followers: i64,
    following: i64,
    posts: i64,
    now: i64,
) -> Result<(), AppError> {
    let mut db = store.conn().await?;
    let day = ChannelDay { channel_id, day: store::day_of(now), followers, following, posts };
    store::record_channel_counts(&mut db, &day, now).await?;
    Ok(())
}
