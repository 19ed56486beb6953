//! The inbox poller: reads every connected channel's notifications into the inbox, and runs
//! the actions asked from the inbox (like, repost) on the networks.
//!
//! Each channel is read under a lease on its row of `inbox_cursors` (30 s, renewed on every
//! read), so with several workers one reads each channel. A batch of notifications and the
//! cursor after it are committed in one transaction: after a crash the next reader starts from
//! the last committed cursor, and an item read twice is stored once (`UNIQUE (channel_id,
//! remote_id)`). Bluesky channels are read every [`POLL_INTERVAL`], so a notification is in the
//! inbox a second or two after the network has it.
//!
//! A network that rings ([`NetworkKind::rings`](tutti_connector::NetworkKind::rings): Mastodon,
//! which allows an account 300 requests in 5 minutes) is not polled every second: the reader
//! holding such a channel's lease also runs the kind's bell on the account
//! ([`NetworkKind::bell`](tutti_connector::NetworkKind::bell), Mastodon's notification
//! stream), and reads the channel when it rings (within a second), or every [`QUIET_READ`]
//! while the bell is connected and quiet (which also keeps the lease), or every
//! [`FALLBACK_READ`] while it is down.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tracing::{debug, info, warn};
use tutti_app::ingest::{self, Incoming};
use tutti_connector::{
    Bell, ChannelAccess, ConnectorError, NetworkKind, Notification, NotificationKind, PostRef,
};
use tutti_domain::{ActionStatus, ChannelStatus, ItemKind};
use tutti_store::changes::Topic;
use tutti_store::{inbox, now_ms, publishing, Store, StoreError};

use crate::connectors::Connectors;

/// How often every channel is read.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How long a reader holds a channel.
pub const LEASE_MS: i64 = 30_000;
/// The most notifications stored in one transaction: under a flood, pages are read until this
/// many are waiting, then stored with the cursor after the last of them.
pub const INGEST_BATCH: usize = 1_000;
/// The most pages read from a channel in one pass.
pub const MAX_PAGES: usize = 50;
/// How often a channel whose bell is connected is read when it does not ring (shorter than the
/// lease, which each read renews).
pub const QUIET_READ: Duration = Duration::from_secs(20);
/// How often a channel of a network that rings is read while its bell is down.
pub const FALLBACK_READ: Duration = Duration::from_secs(4);

/// A channel's bell, listened to while this process holds its lease.
struct Listening {
    bell: Arc<Bell>,
    task: tokio::task::JoinHandle<()>,
    last_read: Instant,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A batch being stored in the background: how many items, or `None` if the lease was lost.
type Storing = tokio::task::JoinHandle<Result<Option<usize>, StoreError>>;

/// Waits for the batch being stored, if any: `Some(0)` when there is none.
async fn landed(storing: Option<Storing>) -> Result<Option<usize>, StoreError> {
    match storing {
        None => Ok(Some(0)),
        Some(task) => match task.await {
            Ok(done) => done,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Cancelled: the runtime is shutting down; its transaction was rolled back.
            Err(_) => Ok(None),
        },
    }
}

/// Which channels a pass reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Every channel.
    All,
    /// Those due: every channel of a network that does not ring, and those whose bell rang or
    /// whose wait is over.
    Due,
}

/// What a notification becomes in the inbox's terms.
pub fn incoming(n: &Notification) -> Incoming {
    let kind = match &n.kind {
        NotificationKind::Reply => ItemKind::Reply,
        NotificationKind::Mention => ItemKind::Mention,
        NotificationKind::Quote => ItemKind::Quote,
        NotificationKind::Repost => ItemKind::Repost,
        NotificationKind::Like => ItemKind::Like,
        NotificationKind::Follow => ItemKind::Follow,
        NotificationKind::Direct => ItemKind::Dm,
        NotificationKind::Other(_) => ItemKind::Mention,
    };
    let id = |r: &Option<PostRef>| r.as_ref().map(|p| p.id.clone());
    Incoming {
        remote_id: n.id.clone(),
        kind,
        author_id: n.author_id.clone(),
        author_handle: n.author_handle.clone(),
        author_name: n.author_name.clone().unwrap_or_default(),
        author_since: n.author_since.map(|t| t.timestamp_millis()),
        text: n.text.clone().unwrap_or_default(),
        lang: n.lang.clone(),
        post: n.post.as_ref().map(|p| (p.id.clone(), p.cid.clone())),
        parent: id(&n.reply_parent),
        root: id(&n.reply_root),
        subject: id(&n.subject),
        at: n.at.timestamp_millis(),
    }
}

/// Takes or renews the lease on a channel's cursor for [`LEASE_MS`] as the reader `reader`:
/// the cursor to read from (`None` for a channel never read), or `None` when another reader
/// holds the lease.
pub async fn claim(
    store: &Store,
    reader: &str,
    channel_id: i64,
    now: i64,
) -> Result<Option<Option<String>>, StoreError> {
    let mut tx = store.begin().await?;
    let claimed = inbox::claim_cursor(&mut tx, channel_id, reader, now, LEASE_MS).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// What [`store_batch`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The items of the batch.
    pub items: usize,
    /// The conversations they started or moved.
    pub conversations: usize,
    /// The new conversations given to a community manager by the workspace's rule.
    pub assigned: usize,
}

/// Stores a channel's enriched items and the cursor after them in one transaction, as the
/// reader `reader` holding the channel's lease: the items into their conversations, the new
/// conversations to the community managers in turn (if the workspace says so), the cursor.
/// `None` when the lease passed to another reader meanwhile (nothing is stored: it will read
/// them again, and store them once). The inbox poller stores every batch through here, and so
/// does `tutti bench inbox`.
pub async fn store_batch(
    store: &Store,
    networks: &tutti_connector::Networks,
    reader: &str,
    channel: &publishing::Channel,
    items: &[inbox::NewItem],
    cursor: Option<&str>,
) -> Result<Option<Stored>, StoreError> {
    let mut tx = store.begin().await?;
    let moved = ingest::ingest_batch(&mut tx, networks, items).await?;
    let assigned = tutti_app::inbox_desk::auto_assign(&mut tx, channel.workspace_id, &moved).await?;
    if !inbox::save_cursor(&mut tx, channel.id, reader, cursor, None, now_ms()).await? {
        return Ok(None);
    }
    if !moved.is_empty() {
        store.announce(&mut tx, channel.workspace_id, Topic::Inbox).await?;
    }
    tx.commit().await?;
    Ok(Some(Stored { items: items.len(), conversations: moved.len(), assigned }))
}

/// Reads the notifications of the channels and runs inbox actions for one process.
#[derive(Clone)]
pub struct InboxPoller {
    store: Store,
    name: String,
    connectors: Connectors,
    streams: Arc<Mutex<HashMap<i64, Listening>>>,
    /// Channels whose reads fail, read less and less often (see [`crate::health`]).
    backoff: crate::health::ReadBackoff,
    clock: crate::health::Clock,
    /// Passes of [`InboxPoller::run`] finished, for tests to wait on instead of the clock.
    passes: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for InboxPoller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxPoller").field("name", &self.name).finish_non_exhaustive()
    }
}

impl InboxPoller {
    /// A poller writing `name` on the leases it takes.
    pub fn new(store: Store, name: String, connectors: Connectors) -> InboxPoller {
        InboxPoller {
            store,
            name,
            connectors,
            streams: Arc::default(),
            backoff: crate::health::ReadBackoff::default(),
            clock: crate::health::system_clock(),
            passes: Arc::default(),
        }
    }

    /// The same poller, timing the backoff of failing channels by `clock` (tests drive it).
    pub fn with_clock(mut self, clock: crate::health::Clock) -> InboxPoller {
        self.clock = clock;
        self
    }

    /// How many reads of a channel failed in a row (0 when the last one succeeded).
    pub fn failures(&self, channel_id: i64) -> u32 {
        self.backoff.failures(channel_id)
    }

    /// Reads every channel this process may read once; returns how many new items were stored.
    pub async fn poll_once(&self) -> Result<usize, StoreError> {
        self.poll(Pass::All).await
    }

    /// The bell of a channel this process reads, if it listens to it: whether it is connected,
    /// and how many times it rang.
    pub fn stream_state(&self, channel_id: i64) -> Option<(bool, u64)> {
        let streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        streams.get(&channel_id).map(|l| (l.bell.connected(), l.bell.rings()))
    }

    /// How many passes [`InboxPoller::run`] has finished (the poller and its clones).
    pub fn passes(&self) -> u64 {
        self.passes.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Whether a channel of a network that rings is to be read in a [`Pass::Due`].
    fn due(&self, channel_id: i64) -> bool {
        let streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        match streams.get(&channel_id) {
            None => true,
            Some(l) => {
                let wait = if l.bell.connected() { QUIET_READ } else { FALLBACK_READ };
                l.bell.take() || l.last_read.elapsed() >= wait
            }
        }
    }

    /// Listens to a channel's bell (if not already), and notes a read.
    fn listen(&self, channel: &publishing::Channel, network: &dyn NetworkKind) {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = streams.get_mut(&channel.id) {
            l.last_read = Instant::now();
            return;
        }
        let rung = Bell::new();
        let secret = || self.connectors.secret(channel);
        let access = ChannelAccess { service: &channel.service, handle: &channel.handle, secret: &secret };
        let ringing = match network.bell(&access, self.connectors.outbound(), rung.clone()) {
            Ok(ringing) => ringing,
            Err(e) => {
                warn!(channel = %channel.handle, error = %e, "cannot listen to the channel's bell");
                return;
            }
        };
        let task = tokio::spawn(ringing);
        streams.insert(channel.id, Listening { bell: rung, task, last_read: Instant::now() });
    }

    /// Stops listening to a channel's stream (its lease is someone else's, or it is gone).
    fn stop_listening(&self, keep: impl Fn(i64) -> bool) {
        self.streams.lock().unwrap_or_else(|e| e.into_inner()).retain(|id, _| keep(*id));
    }

    async fn poll(&self, pass: Pass) -> Result<usize, StoreError> {
        let channels = publishing::all_channels(&mut *self.store.conn().await?).await?;
        let readable: Vec<_> = channels.iter().filter(|c| c.status == ChannelStatus::Ok).collect();
        self.stop_listening(|id| readable.iter().any(|c| c.id == id));
        // A channel marked, reconnected or removed is read afresh when it is readable again.
        self.backoff.retain(|id| readable.iter().any(|c| c.id == id));
        let mut stored = 0;
        for channel in readable {
            // A network that rings (Mastodon) is read on its bell; the others every pass.
            let network = self.connectors.networks().of_channel(channel.network, &channel.service);
            let rings = network.as_ref().filter(|n| n.rings());
            if rings.is_some() && pass == Pass::Due && !self.due(channel.id) {
                continue;
            }
            if !self.backoff.ready(channel.id, (self.clock)()) {
                continue;
            }
            let now = now_ms();
            let cursor = match claim(&self.store, &self.name, channel.id, now).await? {
                Some(cursor) => cursor,
                None => {
                    self.stop_listening(|id| id != channel.id);
                    continue;
                }
            };
            if let Some(network) = rings {
                self.listen(channel, network.as_ref());
            }
            let client = match self.connectors.get(channel).await {
                Ok(c) => c,
                Err(e) => {
                    self.backoff.failed(channel.id, (self.clock)(), None);
                    warn!(channel = %channel.handle, error = %e, "cannot open the channel to read its notifications");
                    continue;
                }
            };
            // Every page until the network has nothing newer, stored in transactions of up to
            // INGEST_BATCH items, each with the cursor after its last page. A batch is stored
            // in the background while the next pages are read and enriched; it is committed
            // before the next one starts, so cursors move forward in order.
            let mut read_to = cursor;
            let mut pending = Vec::new();
            let mut storing: Option<Storing> = None;
            let mut failure = None;
            for _ in 0..MAX_PAGES {
                match client.notifications(read_to.as_deref()).await {
                    Ok((found, next)) => {
                        let more = !found.is_empty() && next != read_to;
                        pending.extend(found.iter().map(|n| {
                            ingest::item_of(channel.workspace_id, channel.id, channel.network, &incoming(n))
                        }));
                        read_to = next;
                        if pending.len() >= INGEST_BATCH || !more {
                            match landed(storing.take()).await? {
                                Some(n) => stored += n,
                                None => return Ok(stored),
                            }
                            let (poller, channel) = (self.clone(), channel.clone());
                            let (items, cursor) = (std::mem::take(&mut pending), read_to.clone());
                            storing = Some(tokio::spawn(async move {
                                poller.store_batch(&channel, &items, cursor.as_deref()).await
                            }));
                        }
                        if !more {
                            break;
                        }
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            match landed(storing.take()).await? {
                Some(n) => stored += n,
                None => return Ok(stored),
            }
            // What was read before a failure or the last page of this pass.
            if !pending.is_empty() {
                match self.store_batch(channel, &pending, read_to.as_deref()).await? {
                    Some(n) => stored += n,
                    None => return Ok(stored),
                }
            }
            if let Some(e) = failure {
                let message = e.to_string();
                self.backoff.failed(channel.id, (self.clock)(), Some(&e));
                if let ConnectorError::Unauthorized(words) = &e {
                    // Marked once, with the network's words; it is not read until reconnected.
                    crate::health::refused(&self.store, &self.connectors, channel, words).await?;
                    self.stop_listening(|id| id != channel.id);
                }
                let mut tx = self.store.begin().await?;
                inbox::save_cursor(&mut tx, channel.id, &self.name, None, Some(&message), now_ms()).await?;
                tx.commit().await?;
                warn!(channel = %channel.handle, error = %message, "cannot read notifications");
            } else {
                self.backoff.succeeded(channel.id);
            }
        }
        Ok(stored)
    }

    /// [`store_batch`] as this reader.
    async fn store_batch(
        &self,
        channel: &publishing::Channel,
        items: &[inbox::NewItem],
        cursor: Option<&str>,
    ) -> Result<Option<usize>, StoreError> {
        let stored =
            store_batch(&self.store, self.connectors.networks(), &self.name, channel, items, cursor).await?;
        if stored.is_some_and(|s| s.conversations > 0) {
            debug!(channel = %channel.handle, items = items.len(), "notifications stored");
        }
        Ok(stored.map(|s| s.items))
    }

    /// Reads notifications every [`POLL_INTERVAL`] until `shutdown`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        info!(worker = %self.name, "inbox poller started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.poll(Pass::Due).await {
                warn!(worker = %self.name, error = %e, "cannot read the channels' notifications");
            }
            self.passes.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            tokio::select! {
                () = tokio::time::sleep(POLL_INTERVAL) => {}
                changed = shutdown.changed() => if changed.is_err() { break },
            }
        }
        info!(worker = %self.name, "inbox poller stopped");
    }
}

/// Runs one inbox action (payload `{"action": id}`): like or repost the item through its
/// channel, and settle the action with what undoes it or with the network's words. A failure
/// the network may get over is an error, so the job queue retries it.
pub async fn act(store: &Store, connectors: &Connectors, payload: &str) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let Some(id) = v["action"].as_i64() else {
        warn!(payload, "skipping a malformed inbox action");
        return Ok(());
    };
    if v["undo"].as_bool() == Some(true) {
        return crate::moderation::undo(store, connectors, id).await;
    }
    let mut db = store.conn().await.map_err(|e| e.to_string())?;
    let action = match inbox::action_by_id(&mut db, id).await {
        Ok(a) if a.status == ActionStatus::Pending => a,
        Ok(_) | Err(StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    if crate::moderation::is_moderation(&action.action) {
        drop(db);
        return crate::moderation::act(store, connectors, id).await;
    }
    let item = inbox::item_by_id(&mut db, action.item_id).await.map_err(|e| e.to_string())?;
    let channel = publishing::channel_by_id(&mut db, action.channel_id).await.map_err(|e| e.to_string())?;
    drop(db);
    let Some(post) = item.post_ref.clone() else { return Ok(()) };
    let target = PostRef { id: post, cid: item.post_cid.clone() };
    let client = connectors.get(&channel).await?;
    let done = match action.action.as_str() {
        "like" => client.like(&target).await,
        "repost" => client.repost(&target).await,
        _ => return Ok(()),
    };
    let (result, error) = match done {
        Ok(r) => (Some(r.id), None),
        Err(ConnectorError::Unauthorized(m)) => {
            crate::health::refused(store, connectors, &channel, &m).await.map_err(|e| e.to_string())?;
            (None, Some(m))
        }
        Err(ConnectorError::Permanent(m)) => (None, Some(m)),
        Err(e) => return Err(e.to_string()),
    };
    let mut tx = store.begin().await.map_err(|e| e.to_string())?;
    inbox::settle_action(&mut tx, id, result.as_deref(), error.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    info!(action = id, kind = %action.action, failed = error.is_some(), "inbox action done");
    Ok(())
}
