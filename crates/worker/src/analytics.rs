//! Analytics collection (F1): the networks' counts of every published post on a decaying
//! schedule, and each channel's followers once a day, as leased jobs.
//!
//! Every minute one [`SCHEDULE_QUEUE`] job (unique per minute across workers) enqueues:
//! - one [`POSTS_QUEUE`] job per channel with posts due, unique per channel and five minutes:
//!   it claims the channel's due posts (a lease on each post, so two workers never measure the
//!   same one), reads their counts within the channel's [`ReadBudget`](tutti_connector::ReadBudget)
//!   (calls per five minutes), and stores each as a snapshot with the schedule's next point;
//! - one [`CHANNEL_QUEUE`] job per working channel without today's counts, unique per channel
//!   and UTC day (so a channel connected now is counted within a minute);
//! - one [`ROLLUP_QUEUE`] job per workspace whose daily rollup of posts is not built in its
//!   time zone (posts published before the rollup existed), unique per workspace and five
//!   minutes: it rebuilds the rollup from `posts` in one transaction.
//!
//! A rate limit loses nothing: the posts not yet read go back to be read when the network's
//! delay is over, and a channel's count job fails and is retried with the queue's back-off.
//! [`collect_now`] measures a workspace's every post and channel at once, whatever the
//! schedule (`tutti analytics collect`).

use std::time::{Duration, Instant};

use serde::Serialize;
use tracing::{debug, warn};
use tutti_app::analytics::collect::{self, Measured};
use tutti_connector::{ConnectorError, Engagement, PostRef, ReadBudget};
use tutti_domain::kpi::Counts;
use tutti_store::analytics::{self as store, DuePost};
use tutti_store::publishing::{self, Channel};
use tutti_store::{jobs, now_ms, Store, StoreError, DAY_MS};

use crate::connectors::Connectors;
use crate::JobError;

/// The queue of the minute's scheduling job.
pub const SCHEDULE_QUEUE: &str = "analytics.schedule";
/// The queue of a channel's post snapshots (payload `{"channel": id}`).
pub const POSTS_QUEUE: &str = "analytics.posts";
/// The queue of a channel's daily counts (payload `{"channel": id}`).
pub const CHANNEL_QUEUE: &str = "analytics.channel";
/// The queue of a workspace's rebuilt daily rollup (payload `{"workspace": id}`).
pub const ROLLUP_QUEUE: &str = "analytics.rollup";

/// How long a claimed post stays reserved for the worker measuring it.
pub const POST_LEASE_MS: i64 = 10 * 60_000;
/// How long a post waits after the network failed to give its counts.
const RETRY_POST_MS: i64 = 5 * 60_000;
/// The window of a channel's read budget.
const WINDOW_MS: i64 = 5 * 60_000;
/// A posts job stops reading after this long (well inside the job's time limit).
const JOB_READING: Duration = Duration::from_secs(35);
/// The most channels one minute's scheduling looks at.
const MAX_CHANNELS: i64 = 10_000;

/// What a collection did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Collected {
    /// Posts measured.
    pub posts: usize,
    /// Channels counted.
    pub channels: usize,
    /// Posts left for later (rate limit, network away).
    pub deferred: usize,
    /// Posts the network no longer knows (no longer measured).
    pub gone: usize,
    /// Calls made to the networks.
    pub calls: usize,
}

/// Enqueues the minute's collection jobs; returns how many were new.
pub async fn schedule(store: &Store, now: i64) -> Result<usize, StoreError> {
    let mut tx = store.begin().await?;
    let window = now.div_euclid(WINDOW_MS);
    let day = store::day_of(now);
    let mut n = 0;
    for (channel, _) in store::channels_due(&mut tx, now, MAX_CHANNELS).await? {
        let key = format!("{POSTS_QUEUE}:{channel}:{window}");
        let payload = serde_json::json!({ "channel": channel }).to_string();
        n += usize::from(jobs::enqueue(&mut tx, POSTS_QUEUE, Some(&key), &payload, now).await?.is_some());
    }
    for (channel, _) in store::channels_without_counts(&mut tx, day).await? {
        let key = format!("{CHANNEL_QUEUE}:{channel}:{day}");
        let payload = serde_json::json!({ "channel": channel }).to_string();
        n += usize::from(jobs::enqueue(&mut tx, CHANNEL_QUEUE, Some(&key), &payload, now).await?.is_some());
    }
    for workspace in store::rollup::stale_workspaces(&mut tx).await? {
        let key = format!("{ROLLUP_QUEUE}:{workspace}:{window}");
        let payload = serde_json::json!({ "workspace": workspace }).to_string();
        n += usize::from(jobs::enqueue(&mut tx, ROLLUP_QUEUE, Some(&key), &payload, now).await?.is_some());
    }
    tx.commit().await?;
    Ok(n)
}

fn id_of_payload(payload: &str, field: &str) -> Result<i64, JobError> {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v.get(field).and_then(serde_json::Value::as_i64))
        .ok_or_else(|| JobError::Network(format!("bad payload {payload:?}")))
}

fn channel_of_payload(payload: &str) -> Result<i64, JobError> {
    id_of_payload(payload, "channel")
}

/// Rebuilds a workspace's daily rollup of posts (payload `{"workspace": id}`).
pub async fn rebuild_rollup(store: &Store, payload: &str) -> Result<(), JobError> {
    let workspace = id_of_payload(payload, "workspace")?;
    let rows = store::rollup::rebuild(&mut *store.conn().await?, workspace).await?;
    debug!(workspace, rows, "daily rollup of posts rebuilt");
    Ok(())
}

fn counts(e: &Engagement) -> Counts {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    Counts {
        likes: n(e.likes),
        reposts: n(e.reposts),
        replies: n(e.replies),
        quotes: n(e.quotes.unwrap_or(0)),
    }
}

/// What reading one batch of posts gave.
struct Batch {
    measured: Vec<Measured>,
    /// Posts to read again later, and from when.
    retry: Vec<(i64, i64)>,
    gone: Vec<i64>,
    /// The network asked to stop until this time.
    stop_until: Option<i64>,
    refused: Option<String>,
}

async fn read_batch(connector: &dyn tutti_connector::Connector, posts: Vec<DuePost>, now: i64) -> Batch {
    let refs: Vec<PostRef> = posts.iter().map(|p| PostRef::id(p.remote_id.clone())).collect();
    let results = connector.engagements(&refs).await;
    let mut batch =
        Batch { measured: Vec::new(), retry: Vec::new(), gone: Vec::new(), stop_until: None, refused: None };
    let mut rest = posts.into_iter();
    for result in results {
        let Some(post) = rest.next() else { break };
        match result {
            Ok(e) => batch.measured.push(Measured { counts: counts(&e), post }),
            Err(ConnectorError::Permanent(_)) => batch.gone.push(post.id),
            Err(ConnectorError::Transient(_)) => batch.retry.push((post.id, now + RETRY_POST_MS)),
            Err(ConnectorError::RateLimited { retry_after_secs }) => {
                let until = now + i64::try_from(retry_after_secs.max(1)).unwrap_or(3600).min(3600) * 1000;
                batch.stop_until = Some(until);
                batch.retry.push((post.id, until));
            }
            Err(ConnectorError::Unauthorized(message)) => {
                batch.refused = Some(message);
                batch.retry.push((post.id, now + 60 * 60_000));
            }
        }
    }
    // Posts not asked (the connector stopped early) wait with the last one.
    let later = batch.stop_until.unwrap_or(now + RETRY_POST_MS);
    batch.retry.extend(rest.map(|p| (p.id, later)));
    batch
}

async fn settle(
    store: &Store,
    channel: &Channel,
    batch: &Batch,
    on_schedule: bool,
    now: i64,
) -> Result<(), JobError> {
    collect::record_posts(store, channel.workspace_id, channel.id, &batch.measured, on_schedule, now)
        .await
        .map_err(|e| JobError::Network(e.to_string()))?;
    let mut tx = store.begin().await?;
    // Posts put back together share their time: one statement per time, not per post.
    let mut by_time: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
    for (id, at) in &batch.retry {
        by_time.entry(*at).or_default().push(*id);
    }
    for (at, ids) in &by_time {
        store::defer(&mut tx, ids, *at).await?;
    }
    for id in &batch.gone {
        store::stop_measuring(&mut tx, *id).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Measures the due posts of the job's channel within its read budget.
pub async fn collect_posts(store: &Store, connectors: &Connectors, payload: &str) -> Result<(), JobError> {
    let channel_id = channel_of_payload(payload)?;
    let channel = publishing::channel_by_id(&mut *store.conn().await?, channel_id).await?;
    let connector = connectors.get(&channel).await.map_err(JobError::Network)?;
    let budget = budget_of(connectors, &channel);
    let started = Instant::now();
    let mut done = Collected::default();
    while done.calls < budget.calls_per_5_min as usize && started.elapsed() < JOB_READING {
        let now = now_ms();
        let posts = {
            let mut tx = store.begin().await?;
            let claimed = store::claim_due(
                &mut tx,
                store.backend(),
                channel.id,
                now,
                POST_LEASE_MS,
                budget.posts_per_call as i64,
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            claimed
        };
        if posts.is_empty() {
            break;
        }
        let batch = read_batch(connector.as_ref(), posts, now).await;
        done.calls += 1;
        done.posts += batch.measured.len();
        done.deferred += batch.retry.len();
        settle(store, &channel, &batch, true, now).await?;
        if let Some(message) = &batch.refused {
            crate::health::refused(store, connectors, &channel, message).await?;
            break;
        }
        if let Some(until) = batch.stop_until {
            // The channel's other due posts wait too: read now, they would meet the same refusal
            // (and the next posts job would spend a call on it).
            let mut tx = store.begin().await?;
            store::defer_channel(&mut tx, channel.id, until).await?;
            tx.commit().await.map_err(StoreError::from)?;
            warn!(channel = %channel.handle, "rate limited while reading counts; the rest waits");
            break;
        }
    }
    debug!(channel = %channel.handle, posts = done.posts, calls = done.calls, "post counts collected");
    Ok(())
}

fn budget_of(connectors: &Connectors, channel: &Channel) -> ReadBudget {
    connectors
        .networks()
        .of_channel(channel.network, &channel.service)
        .map(|k| k.read_budget())
        .unwrap_or_default()
}

/// Takes the job's channel's followers, follows and posts for today.
pub async fn collect_channel(store: &Store, connectors: &Connectors, payload: &str) -> Result<(), JobError> {
    let channel_id = channel_of_payload(payload)?;
    let channel = publishing::channel_by_id(&mut *store.conn().await?, channel_id).await?;
    count_channel(store, connectors, &channel).await
}

async fn count_channel(store: &Store, connectors: &Connectors, channel: &Channel) -> Result<(), JobError> {
    let connector = connectors.get(channel).await.map_err(JobError::Network)?;
    match connector.profile_counts().await {
        Ok(c) => {
            let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            collect::record_channel(store, channel.id, n(c.followers), n(c.following), n(c.posts), now_ms())
                .await
                .map_err(|e| JobError::Network(e.to_string()))
        }
        Err(ConnectorError::Unauthorized(message)) => {
            crate::health::refused(store, connectors, channel, &message).await?;
            Ok(())
        }
        Err(e) => Err(JobError::Network(e.to_string())),
    }
}

/// Measures every published post and every working channel of a workspace now, whatever the
/// schedule. A rate limit ends it early; what was not read is counted as deferred (the
/// schedule reads it in time).
pub async fn collect_now(
    store: &Store,
    connectors: &Connectors,
    workspace_id: i64,
) -> Result<Collected, JobError> {
    let channels = publishing::channels_of(&mut *store.conn().await?, workspace_id).await?;
    let mut done = Collected::default();
    for channel in channels.iter().filter(|c| c.status == tutti_domain::ChannelStatus::Ok) {
        match count_channel(store, connectors, channel).await {
            Ok(()) => done.channels += 1,
            Err(e) => warn!(channel = %channel.handle, error = %e, "channel counts not taken"),
        }
        let Ok(connector) = connectors.get(channel).await else { continue };
        let budget = budget_of(connectors, channel);
        let mut after = 0;
        loop {
            let posts = store::published_posts(
                &mut *store.conn().await?,
                channel.id,
                after,
                budget.posts_per_call as i64,
            )
            .await?;
            let Some(last) = posts.last() else { break };
            after = last.id;
            let now = now_ms();
            let batch = read_batch(connector.as_ref(), posts, now).await;
            done.calls += 1;
            done.posts += batch.measured.len();
            done.gone += batch.gone.len();
            for id in &batch.gone {
                store::stop_measuring(&mut *store.conn().await?, *id).await?;
            }
            collect::record_posts(store, workspace_id, channel.id, &batch.measured, false, now)
                .await
                .map_err(|e| JobError::Network(e.to_string()))?;
            if batch.refused.is_some() || batch.stop_until.is_some() {
                done.deferred += batch.retry.len()
                    + store::published_posts(&mut *store.conn().await?, channel.id, after, i64::MAX)
                        .await?
                        .len();
                break;
            }
            done.deferred += batch.retry.len();
        }
    }
    Ok(done)
}

/// How old a snapshot taken on request may grow before housekeeping thins it.
pub const THIN_AFTER_MS: i64 = 7 * DAY_MS;
