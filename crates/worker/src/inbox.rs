//! The inbox poller: reads every connected channel's notifications into the inbox, and runs
//! the actions asked from the inbox (like, repost) on the networks.
//!
//! Each channel is read under a lease on its row of `inbox_cursors` (30 s, renewed on every
//! read), so with several workers one reads each channel. A batch of notifications and the
//! cursor after it are committed in one transaction: after a crash the next reader starts from
//! the last committed cursor, and an item read twice is stored once (`UNIQUE (channel_id,
//! remote_id)`). Channels are read every [`POLL_INTERVAL`], so a notification is in the inbox
//! a second or two after the network has it.

use std::time::Duration;

use tokio::sync::watch;
use tracing::{debug, info, warn};
use tutti_app::inbox::{self as app_inbox, Incoming};
use tutti_connector::{ConnectorError, Notification, NotificationKind, PostRef};
use tutti_store::{inbox, now_ms, publishing, Store, StoreError};

use crate::connectors::Connectors;

/// How often every channel is read.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How long a reader holds a channel.
pub const LEASE_MS: i64 = 30_000;

/// What a notification becomes in the inbox's terms.
pub fn incoming(n: &Notification) -> Incoming {
    let kind = match &n.kind {
        NotificationKind::Reply => "reply",
        NotificationKind::Mention => "mention",
        NotificationKind::Quote => "quote",
        NotificationKind::Repost => "repost",
        NotificationKind::Like => "like",
        NotificationKind::Follow => "follow",
        NotificationKind::Other(_) => "mention",
    };
    let id = |r: &Option<PostRef>| r.as_ref().map(|p| p.id.clone());
    Incoming {
        remote_id: n.id.clone(),
        kind: kind.to_owned(),
        author_id: n.author_id.clone(),
        author_handle: n.author_handle.clone(),
        author_name: n.author_name.clone().unwrap_or_default(),
        text: n.text.clone().unwrap_or_default(),
        lang: n.lang.clone(),
        post: n.post.as_ref().map(|p| (p.id.clone(), p.cid.clone())),
        parent: id(&n.reply_parent),
        root: id(&n.reply_root),
        subject: id(&n.subject),
        at: n.at.timestamp_millis(),
    }
}

/// Reads the notifications of the channels and runs inbox actions for one process.
#[derive(Debug, Clone)]
pub struct InboxPoller {
    store: Store,
    name: String,
    connectors: Connectors,
}

impl InboxPoller {
    /// A poller writing `name` on the leases it takes.
    pub fn new(store: Store, name: String, connectors: Connectors) -> InboxPoller {
        InboxPoller { store, name, connectors }
    }

    /// Reads every channel this process may read once; returns how many new items were stored.
    pub async fn poll_once(&self) -> Result<usize, StoreError> {
        let channels = publishing::all_channels(&mut *self.store.conn().await?).await?;
        let mut stored = 0;
        for channel in channels.iter().filter(|c| c.status == "ok") {
            let now = now_ms();
            let cursor = {
                let mut tx = self.store.begin().await?;
                let claimed = inbox::claim_cursor(&mut tx, channel.id, &self.name, now, LEASE_MS).await?;
                tx.commit().await?;
                match claimed {
                    Some(cursor) => cursor,
                    None => continue,
                }
            };
            let client = match self.connectors.get(channel).await {
                Ok(c) => c,
                Err(e) => {
                    warn!(channel = %channel.handle, error = %e, "cannot open the channel to read its notifications");
                    continue;
                }
            };
            // Every page until the network has nothing newer.
            let mut cursor = cursor;
            for _ in 0..20 {
                match client.notifications(cursor.as_deref()).await {
                    Ok((found, next)) => {
                        let items: Vec<_> = found
                            .iter()
                            .map(|n| {
                                app_inbox::item_of(
                                    channel.workspace_id,
                                    channel.id,
                                    &channel.network,
                                    &incoming(n),
                                )
                            })
                            .collect();
                        let mut tx = self.store.begin().await?;
                        let moved = app_inbox::ingest_batch(&mut tx, &items).await?;
                        // New conversations go to the community managers in turn, if the workspace says so.
                        tutti_app::inbox_desk::auto_assign(&mut tx, channel.workspace_id, &moved).await?;
                        if !inbox::save_cursor(
                            &mut tx,
                            channel.id,
                            &self.name,
                            next.as_deref(),
                            None,
                            now_ms(),
                        )
                        .await?
                        {
                            // The lease passed to another reader: it will store these again, once.
                            break;
                        }
                        tx.commit().await?;
                        let more = !found.is_empty() && next != cursor;
                        stored += items.len();
                        if !moved.is_empty() {
                            debug!(channel = %channel.handle, items = items.len(), "notifications stored");
                        }
                        cursor = next;
                        if !more {
                            break;
                        }
                    }
                    Err(e) => {
                        let message = e.to_string();
                        if matches!(e, ConnectorError::Unauthorized(_)) {
                            self.connectors.forget(channel.id).await;
                        }
                        let mut tx = self.store.begin().await?;
                        inbox::save_cursor(&mut tx, channel.id, &self.name, None, Some(&message), now_ms())
                            .await?;
                        tx.commit().await?;
                        warn!(channel = %channel.handle, error = %message, "cannot read notifications");
                        break;
                    }
                }
            }
        }
        Ok(stored)
    }

    /// Reads notifications every [`POLL_INTERVAL`] until `shutdown`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        info!(worker = %self.name, "inbox poller started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.poll_once().await {
                warn!(worker = %self.name, error = %e, "cannot read the channels' notifications");
            }
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
        Ok(a) if a.status == "pending" => a,
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
        Err(ConnectorError::Permanent(m)) | Err(ConnectorError::Unauthorized(m)) => (None, Some(m)),
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
