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

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Mutex};
use tracing::{error, info, warn};
use tutti_app::secrets::Keyring;
use tutti_bluesky::XrpcClient;
use tutti_connector::ConnectorError;
use tutti_store::publishing::{self, Channel, Claimed};
use tutti_store::{now_ms, Store, StoreError};

/// How long a claimed post stays reserved for its worker.
pub const LEASE_MS: i64 = 60_000;

/// Posts claimed at once by one worker.
const BATCH: i64 = 32;

/// How often an idle publisher looks for due posts.
const IDLE_PAUSE: Duration = Duration::from_millis(200);

/// A post failing transiently this many times is marked failed.
const MAX_ATTEMPTS: i64 = 12;

/// For tests of crash recovery only: when this variable is set, the process aborts right
/// after the network accepted a post and before the post is marked published.
pub const ABORT_AFTER_SEND: &str = "TUTTI_TEST_ABORT_AFTER_SEND";

/// One network client per channel, reused so that sessions and their refreshes are shared.
#[derive(Debug)]
enum Client {
    Bluesky(Box<XrpcClient>),
    Mastodon(Box<tutti_mastodon::MastodonClient>),
}

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
#[derive(Debug)]
pub struct Publisher {
    store: Store,
    name: String,
    keys: Keyring,
    clients: Mutex<HashMap<i64, Arc<Client>>>,
}

impl Publisher {
    /// A publisher writing `name` on the posts it claims, opening credentials with `keys`.
    pub fn new(store: Store, name: String, keys: Keyring) -> Publisher {
        Publisher { store, name, keys, clients: Mutex::new(HashMap::new()) }
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

    async fn client(&self, channel: &Channel) -> Result<Arc<Client>, String> {
        let mut clients = self.clients.lock().await;
        if let Some(c) = clients.get(&channel.id) {
            return Ok(c.clone());
        }
        let secret = self.keys.open(&channel.key_id, &channel.credentials).map_err(|e| e.to_string())?;
        let client = match channel.network.as_str() {
            "bluesky" => Client::Bluesky(Box::new(
                XrpcClient::new(&channel.service, &channel.handle, &secret).map_err(|e| e.to_string())?,
            )),
            "mastodon" => Client::Mastodon(Box::new(
                tutti_mastodon::MastodonClient::new(&channel.service, &secret).map_err(|e| e.to_string())?,
            )),
            other => return Err(format!("Tutti does not publish to {other}")),
        };
        let client = Arc::new(client);
        clients.insert(channel.id, client.clone());
        Ok(client)
    }

    async fn publish(&self, claimed: Claimed) -> Result<Outcome, StoreError> {
        let post = &claimed.post;
        let channel = publishing::channel_by_id(&mut *self.store.conn().await?, post.channel_id).await?;
        let client = match self.client(&channel).await {
            Ok(c) => c,
            Err(message) => return self.settle_failed(post.id, &message).await,
        };
        let media = publishing::media_of(&mut *self.store.conn().await?, post.id).await?;
        // A post continuing a thread is only claimed once the post before it is published.
        let parent = match post.reply_to_post_id {
            Some(id) => Some(publishing::post_by_id(&mut *self.store.conn().await?, id).await?),
            None => None,
        };
        let key = &post.idempotency_key;
        let langs: Vec<String> = post.langs.split(',').filter(|l| !l.is_empty()).map(str::to_owned).collect();
        let sent = match &*client {
            Client::Bluesky(bluesky) => {
                if claimed.maybe_sent {
                    match bluesky.reconcile(key).await {
                        Ok(Some(found)) => {
                            info!(post = post.id, uri = %found.uri, "an earlier attempt had published the post");
                            return self
                                .settle_published(post.id, &found.uri, &bluesky_url(&channel, key))
                                .await;
                        }
                        Ok(None) => {}
                        Err(e) => return self.settle_error(&channel, post.id, post.attempts, e).await,
                    }
                }
                // The next post of a thread answers the one before it; the connector finds the
                // thread's root and the parent's CID from the parent's record.
                match parent.as_ref().and_then(|p| p.remote_id.clone()) {
                    Some(parent_uri) => {
                        let out = tutti_connector::OutgoingPost {
                            text: post.text.clone(),
                            langs,
                            images: media
                                .into_iter()
                                .map(|m| tutti_connector::OutgoingImage {
                                    bytes: m.bytes,
                                    mime: m.mime,
                                    alt: m.alt,
                                })
                                .collect(),
                            reply_to: Some(tutti_connector::PostRef { id: parent_uri, cid: None }),
                        };
                        tutti_connector::Connector::publish(&**bluesky, &out, key)
                            .await
                            .map(|done| (done.post.id, bluesky_url(&channel, key)))
                    }
                    None => {
                        let new = tutti_bluesky::NewPost {
                            text: post.text.clone(),
                            langs,
                            images: media
                                .into_iter()
                                .map(|m| tutti_bluesky::NewImage {
                                    bytes: m.bytes,
                                    mime_type: m.mime,
                                    alt: m.alt,
                                    aspect_ratio: None,
                                })
                                .collect(),
                            reply: None,
                        };
                        bluesky.publish(&new, key).await.map(|done| (done.uri, bluesky_url(&channel, key)))
                    }
                }
            }
            // Mastodon cannot be asked about a key: sending the same request with the same
            // Idempotency-Key is the reconciliation (the instance answers with the status the
            // first attempt made), which `reconcile` does, and falls back to the account's
            // recent statuses once the key has expired.
            Client::Mastodon(mastodon) => {
                let new = tutti_mastodon::NewStatus {
                    text: post.text.clone(),
                    language: langs.first().cloned(),
                    in_reply_to_id: parent
                        .as_ref()
                        .and_then(|p| p.remote_id.as_deref())
                        .and_then(tutti_mastodon::StatusId::parse),
                    media: media
                        .into_iter()
                        .enumerate()
                        .map(|(i, m)| tutti_mastodon::NewMedia {
                            file_name: Some(format!(
                                "image-{}.{}",
                                i + 1,
                                m.mime.rsplit('/').next().unwrap_or("bin")
                            )),
                            bytes: m.bytes,
                            mime_type: m.mime,
                            description: m.alt,
                        })
                        .collect(),
                    ..tutti_mastodon::NewStatus::default()
                };
                let result = if claimed.maybe_sent {
                    let first_try =
                        chrono::DateTime::from_timestamp_millis(post.created_at).unwrap_or_default();
                    match mastodon.reconcile(&new, key, first_try).await {
                        Ok(tutti_mastodon::Reconciled::Published(s)) => Ok(s),
                        Ok(tutti_mastodon::Reconciled::NotFound) => mastodon.publish(&new, key).await,
                        Err(e) => Err(e),
                    }
                } else {
                    mastodon.publish(&new, key).await
                };
                result.map(|s| (s.id.as_str().to_owned(), s.url.unwrap_or(s.uri)))
            }
        };
        match sent {
            Ok((remote_id, url)) => {
                if std::env::var_os(ABORT_AFTER_SEND).is_some() {
                    error!(post = post.id, "aborting after the send, as {ABORT_AFTER_SEND} asks");
                    std::process::abort();
                }
                self.settle_published(post.id, &remote_id, &url).await
            }
            Err(e) => self.settle_error(&channel, post.id, post.attempts, e).await,
        }
    }

    async fn settle_published(&self, id: i64, uri: &str, url: &str) -> Result<Outcome, StoreError> {
        let mut tx = self.store.begin().await?;
        let held = publishing::mark_published(&mut tx, id, &self.name, uri, url, now_ms()).await?;
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

    async fn settle_failed(&self, id: i64, message: &str) -> Result<Outcome, StoreError> {
        let mut tx = self.store.begin().await?;
        let held = publishing::mark_failed(&mut tx, id, &self.name, message).await?;
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
                return self.settle_failed(id, m).await
            }
            ConnectorError::Unauthorized(m) => {
                // The post waits for the channel to be reconnected; it is due again at once then.
                let mut tx = self.store.begin().await?;
                publishing::set_channel_status(&mut tx, channel.id, "needs_reconnect", Some(m)).await?;
                let held = publishing::retry_later(
                    &mut tx,
                    id,
                    &self.name,
                    &format!("the channel needs reconnecting: {m}"),
                    now,
                )
                .await?;
                tx.commit().await?;
                self.clients.lock().await.remove(&channel.id);
                warn!(post = id, channel = %channel.handle, %m, "channel needs reconnecting");
                return Ok(if held { Outcome::Held } else { Outcome::LeaseLost });
            }
        };
        let mut tx = self.store.begin().await?;
        let held = publishing::retry_later(&mut tx, id, &self.name, &message, retry_at).await?;
        tx.commit().await?;
        info!(post = id, retry_at, %message, "post will be retried");
        Ok(if held { Outcome::Retrying(retry_at) } else { Outcome::LeaseLost })
    }
}

/// The post's address on the Bluesky app.
fn bluesky_url(channel: &Channel, rkey: &str) -> String {
    format!("https://bsky.app/profile/{}/post/{rkey}", channel.handle)
}
