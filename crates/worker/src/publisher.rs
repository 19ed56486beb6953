//! The publisher: takes due posts under a lease and publishes each exactly once.
//!
//! **Exactly once.** A post's record key (Bluesky) or idempotency key (Mastodon) was stored
//! when the post was written, before any call. A claimed post that was attempted before (a
//! worker died after sending, a timeout, a server error) is first *reconciled*: the network is
//! asked whether a post exists at that key, and if so the post is marked published without
//! sending again. Only then is it sent, with the same key, so that even a send whose answer
//! was lost cannot make a second post. The claim itself is a lease on the row (see
//! `tutti_store::publishing::claim_due`), so two workers never hold the same post.
//!
//! Failures are sorted as the connector sorts them: a rate limit waits the delay the network
//! announced; a transient failure is retried with exponential backoff and jitter; a
//! permanent refusal marks the post `failed` with the network's own message; rejected
//! credentials mark the channel "needs reconnecting", and its posts wait, visible, until it
//! is reconnected.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::{error, info, warn};
use tutti_app::secrets::Keyring;
use tutti_connector::{Connector, ConnectorError, OutgoingImage, OutgoingPost, PostRef};
use tutti_store::changes::Topic;
use tutti_store::publishing::{self, Channel, Claimed};
use tutti_store::{now_ms, Store, StoreError};

use crate::connectors::Connectors;

/// How long a claimed post stays reserved for its worker.
pub const LEASE_MS: i64 = 60_000;

/// Posts claimed at once by one worker.
const BATCH: i64 = 32;

/// How often an idle publisher looks for due posts.
const IDLE_PAUSE: Duration = Duration::from_millis(200);

/// A post failing transiently this many times is marked failed.
const MAX_ATTEMPTS: i64 = 12;

/// What publishing one post came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It is on the network.
    Published,
    /// It waits until the given time (ms).
    Retrying(i64),
    /// The network refused it for good.
    Failed(String),
    /// Its channel needs reconnecting.
    Held,
    /// Another worker took it meanwhile (its lease ran out).
    LeaseLost,
}

/// The publisher of one worker.
pub struct Publisher {
    store: Store,
    name: String,
    /// One connector per channel, reused so that sessions and their refreshes are shared.
    connectors: Connectors,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher").field("name", &self.name).finish_non_exhaustive()
    }
}

impl Publisher {
    /// A publisher writing `name` on the posts it claims, opening credentials with `keys`, and
    /// calling only the addresses `outbound` allows.
    pub fn new(store: Store, name: String, keys: Keyring, outbound: &tutti_outbound::Outbound) -> Publisher {
        Publisher::with_connectors(store, name, Connectors::new(keys, outbound.clone()))
    }

    /// A publisher sharing `connectors` with the other tasks of its process.
    pub fn with_connectors(store: Store, name: String, connectors: Connectors) -> Publisher {
        Publisher { store, name, connectors }
    }

    /// Claims the posts due at `now` and publishes them concurrently; returns what became of
    /// each, by post id.
    pub async fn run_once(&self, now: i64) -> Result<Vec<(i64, Outcome)>, StoreError> {
        let mut tx = self.store.begin().await?;
        let claimed =
            publishing::claim_due(&mut tx, self.store.backend(), &self.name, now, LEASE_MS, BATCH).await?;
        tx.commit().await?;
        let work = claimed.into_iter().map(|c| async move {
            let id = c.post.id;
            (id, self.publish(c).await)
        });
        let mut out = Vec::new();
        for (id, result) in futures_util::future::join_all(work).await {
            out.push((id, result?));
        }
        Ok(out)
    }

    /// Publishes due posts until `shutdown`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        info!(worker = %self.name, "publisher started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.run_once(now_ms()).await {
                Ok(done) if !done.is_empty() => continue,
                Ok(_) => {}
                Err(e) => error!(worker = %self.name, error = %e, "cannot take due posts"),
            }
            tokio::select! {
                () = tokio::time::sleep(IDLE_PAUSE) => {}
                changed = shutdown.changed() => if changed.is_err() { break },
            }
        }
        info!(worker = %self.name, "publisher stopped");
    }

    async fn client(&self, channel: &Channel) -> Result<Arc<dyn Connector>, String> {
        self.connectors.get(channel).await
    }

    async fn publish(&self, claimed: Claimed) -> Result<Outcome, StoreError> {
        let post = &claimed.post;
        let channel = publishing::channel_by_id(&mut *self.store.conn().await?, post.channel_id).await?;
        let client = match self.client(&channel).await {
            Ok(c) => c,
            Err(message) => return self.settle_failed(post.workspace_id, post.id, &message).await,
        };
        let media = publishing::media_of(&mut *self.store.conn().await?, post.id).await?;
        // A post continuing a thread is only claimed once the post before it is published.
        let parent = match post.reply_to_post_id {
            Some(id) => Some(publishing::post_by_id(&mut *self.store.conn().await?, id).await?),
            None => None,
        };
        let key = &post.idempotency_key;
        let out = OutgoingPost {
            text: post.text.clone(),
            langs: post.langs.split(',').filter(|l| !l.is_empty()).map(str::to_owned).collect(),
            images: media
                .into_iter()
                .map(|m| OutgoingImage { bytes: m.bytes, mime: m.mime, alt: m.alt })
                .collect(),
            // The next post of a thread answers the one before it (the connector finds the
            // thread's root and anything else it needs from the parent).
            // A reply from the inbox answers the network post it names.
            reply_to: match &post.reply_ref {
                Some(id) => Some(PostRef { id: id.clone(), cid: post.reply_cid.clone() }),
                None => parent.and_then(|p| p.remote_id).map(|id| PostRef { id, cid: None }),
            },
            direct: post.direct,
        };
        if claimed.maybe_sent {
            // Bluesky is asked what its record key holds; Mastodon is sent the same request
            // with the same Idempotency-Key, which answers with the status the first attempt
            // made (and falls back to the account's recent statuses once the key expired).
            let first_try = chrono::DateTime::from_timestamp_millis(post.created_at).unwrap_or_default();
            match client.reconcile(&out, key, first_try).await {
                Ok(Some(found)) => {
                    info!(post = post.id, id = %found.post.id, "an earlier attempt had published the post");
                    return self
                        .settle_published(post.workspace_id, post.id, &found.post.id, &found.url)
                        .await;
                }
                Ok(None) => {}
                Err(e) => return self.settle_error(&channel, post.id, post.attempts, e).await,
            }
        }
        match client.publish(&out, key).await {
            Ok(done) => self.settle_published(post.workspace_id, post.id, &done.post.id, &done.url).await,
            Err(e) => self.settle_error(&channel, post.id, post.attempts, e).await,
        }
    }

    async fn settle_published(&self, ws: i64, id: i64, uri: &str, url: &str) -> Result<Outcome, StoreError> {
        let mut tx = self.store.begin().await?;
        let held = publishing::mark_published(&mut tx, id, &self.name, uri, url, now_ms()).await?;
        self.store.announce(&mut tx, ws, Topic::Calendar).await?;
        tx.commit().await?;
        if held {
            info!(post = id, %uri, "published");
            Ok(Outcome::Published)
        } else {
            warn!(
                post = id,
                "published, but the lease had passed to another worker, which will reconcile it"
            );
            Ok(Outcome::LeaseLost)
        }
    }

    async fn settle_failed(&self, ws: i64, id: i64, message: &str) -> Result<Outcome, StoreError> {
        let mut tx = self.store.begin().await?;
        let held = publishing::mark_failed(&mut tx, id, &self.name, message).await?;
        self.store.announce(&mut tx, ws, Topic::Calendar).await?;
        if held {
            // A reply from the inbox that failed leaves its conversation waiting for an answer.
            tutti_store::inbox::reply_failed(&mut tx, id).await?;
        }
        tx.commit().await?;
        warn!(post = id, %message, "post failed");
        Ok(if held { Outcome::Failed(message.to_owned()) } else { Outcome::LeaseLost })
    }

    async fn settle_error(
        &self,
        channel: &Channel,
        id: i64,
        attempts: i64,
        e: ConnectorError,
    ) -> Result<Outcome, StoreError> {
        let now = now_ms();
        let (retry_at, message) = match &e {
            ConnectorError::RateLimited { retry_after_secs } => (
                now + (*retry_after_secs as i64).max(1) * 1000,
                format!("rate limited by the network; retrying in {retry_after_secs} s"),
            ),
            ConnectorError::Transient(m) if attempts < MAX_ATTEMPTS => (
                now + crate::retry_delay_ms(attempts, rand::random()),
                format!("temporary failure, retrying: {m}"),
            ),
            ConnectorError::Transient(m) | ConnectorError::Permanent(m) => {
                return self.settle_failed(channel.workspace_id, id, m).await
            }
            ConnectorError::Unauthorized(m) => {
                // The post waits for the channel to be reconnected; it is due again at once then.
                // The first refusal marks the channel and tells the people who can reconnect it.
                let mut tx = self.store.begin().await?;
                crate::health::mark_refused(&self.store, &mut tx, channel, m, now).await?;
                let held = publishing::retry_later(
                    &mut tx,
                    id,
                    &self.name,
                    &format!("the channel needs reconnecting: {m}"),
                    now,
                )
                .await?;
                self.store.announce(&mut tx, channel.workspace_id, Topic::Calendar).await?;
                tx.commit().await?;
                self.connectors.forget(channel.id).await;
                warn!(post = id, channel = %channel.handle, %m, "channel needs reconnecting");
                return Ok(if held { Outcome::Held } else { Outcome::LeaseLost });
            }
        };
        let mut tx = self.store.begin().await?;
        let held = publishing::retry_later(&mut tx, id, &self.name, &message, retry_at).await?;
        self.store.announce(&mut tx, channel.workspace_id, Topic::Calendar).await?;
        tx.commit().await?;
        info!(post = id, retry_at, %message, "post will be retried");
        Ok(if held { Outcome::Retrying(retry_at) } else { Outcome::LeaseLost })
    }
}
