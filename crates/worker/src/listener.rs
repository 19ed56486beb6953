//! The listener: posts from the sources go through every workspace's queries, and the ones
//! that match are enriched and stored as mentions.
//!
//! Sources keep their place in `listening_sources`. A source's cursor is saved only after the
//! mentions of the posts before it are committed, and a mention is stored once per query
//! (`UNIQUE (query_id, external_id)`), so a crash between the two replays a few posts without
//! creating a duplicate, and never skips one.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use std::sync::atomic::Ordering;

use tokio::sync::{mpsc, watch};
use tutti_bluesky::{
    BlueskyPost, Firehose, FirehoseEvent, FirehoseStats, Jetstream, JetstreamEvent, JetstreamStats,
};
use tutti_feeds::{FeedCursor, FeedItem, FeedPoller, Poll};
use tutti_listen::{Engine, Network, Post, Query};
use tutti_mastodon::{MastodonEvent, MastodonPost, MastodonStats, StatusId, Streaming};
use tutti_store::changes::Topic;
use tutti_store::listening::{self, Mention};
use tutti_store::{Store, StoreError};

/// A post from any source, as the listener stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePost {
    /// `jetstream`, `rss`.
    pub source: &'static str,
    /// The post's id at the source.
    pub external_id: String,
    /// A link to it.
    pub url: Option<String>,
    /// What the queries read: text, author, declared language, network, attached links.
    pub post: Post,
    /// Publication time, ms.
    pub published_at: Option<i64>,
}

impl From<BlueskyPost> for SourcePost {
    fn from(p: BlueskyPost) -> Self {
        let url =
            p.uri.rsplit('/').next().map(|rkey| format!("https://bsky.app/profile/{}/post/{rkey}", p.did));
        SourcePost {
            source: "jetstream",
            external_id: p.uri,
            url,
            post: Post {
                text: p.text,
                author: p.did,
                lang: p.langs.into_iter().next(),
                network: Network::Bluesky,
                links: p.links,
            },
            published_at: chrono::DateTime::parse_from_rfc3339(&p.created_at)
                .ok()
                .map(|t| t.timestamp_millis()),
        }
    }
}

impl SourcePost {
    /// The same post, as delivered by another source kind.
    pub fn from_source(mut self, source: &'static str) -> SourcePost {
        self.source = source;
        self
    }
}

impl From<MastodonPost> for SourcePost {
    fn from(p: MastodonPost) -> Self {
        SourcePost {
            source: "mastodon",
            external_id: p.uri,
            url: p.url,
            post: Post {
                text: p.text,
                author: p.acct,
                lang: p.lang,
                network: Network::Mastodon,
                links: p.links,
            },
            published_at: Some(p.created_at.timestamp_millis()),
        }
    }
}

impl From<FeedItem> for SourcePost {
    fn from(i: FeedItem) -> Self {
        let text = if i.text.is_empty() { i.title.clone() } else { format!("{}\n{}", i.title, i.text) };
        SourcePost {
            source: "rss",
            external_id: i.id,
            post: Post {
                text,
                author: i.author.unwrap_or_default(),
                lang: None,
                network: Network::Rss,
                links: i.url.iter().cloned().collect(),
            },
            url: i.url,
            published_at: i.published.map(|t| t.timestamp_millis()),
        }
    }
}

/// What a source's client counted so far.
#[derive(Debug, Clone, Copy, Default)]
struct Health {
    /// How far behind the source the last event was, ms.
    lag_ms: Option<i64>,
    /// Events skipped as malformed or oversized, and error frames.
    skipped: u64,
    /// Dropped connections.
    reconnects: u64,
}

/// Posts matched and stored per transaction when replaying a file.
const REPLAY_BATCH: usize = 1000;

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayStats {
    /// Lines read (events).
    pub events: u64,
    /// Of which created posts.
    pub posts: u64,
    /// Lines skipped as malformed or oversized.
    pub malformed: u64,
    /// New mentions stored.
    pub mentions: usize,
    /// Wall-clock time, s.
    pub seconds: f64,
}

/// The compiled queries, and the text each was compiled from.
#[derive(Debug, Default)]
struct Index {
    engine: Engine,
    texts: HashMap<u64, String>,
    /// The workspace of each query, to announce its new mentions.
    workspaces: HashMap<u64, i64>,
}

/// The compiled queries of every workspace.
///
/// Matching takes a read lock on the index; [`Listener::reload`] reads the saved queries
/// first and takes the write lock only to apply the difference, which the engine does
/// incrementally, so sources are held up for no more than a few milliseconds.
#[derive(Debug)]
pub struct Listener {
    store: Store,
    index: RwLock<Index>,
    /// Where the DIDs of new Bluesky authors go to have their handle resolved, and the other
    /// end, until a resolver takes it (see [`Listener::author_queue`]).
    identities: mpsc::Sender<String>,
    author_queue: std::sync::Mutex<Option<mpsc::Receiver<String>>>,
}

/// How often a running listener looks for queries added, changed or removed.
pub const RELOAD_EVERY: Duration = Duration::from_secs(5);

impl Listener {
    /// Compiles every active query.
    pub async fn load(store: Store) -> Result<Listener, StoreError> {
        let (identities, queue) = mpsc::channel(4096);
        let listener = Listener {
            store,
            index: RwLock::new(Index::default()),
            identities,
            author_queue: std::sync::Mutex::new(Some(queue)),
        };
        listener.sync_queries().await?;
        // Everything goes into the main index at once; later changes go through `reload`.
        listener.write().engine.rebuild();
        Ok(listener)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Picks up queries added, changed or removed since the last load, rebuilding the main
    /// index only when the engine says the recent level has grown too large. Returns whether
    /// anything changed.
    pub async fn reload(&self) -> Result<bool, StoreError> {
        let changed = self.sync_queries().await?;
        let mut index = self.write();
        if index.engine.needs_rebuild() {
            index.engine.rebuild();
        }
        Ok(changed)
    }

    /// Reloads the queries every [`RELOAD_EVERY`] until `shutdown`.
    pub async fn keep_reloading(&self, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(RELOAD_EVERY) => {}
                _ = shutdown.changed() => return,
            }
            match self.reload().await {
                Ok(true) => tracing::info!(queries = self.len(), "listening queries reloaded"),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "cannot reload the listening queries"),
            }
        }
    }

    async fn sync_queries(&self) -> Result<bool, StoreError> {
        let saved = listening::active_queries(&mut *self.store.conn().await?).await?;
        let mut present = HashMap::new();
        let mut workspaces = HashMap::new();
        for q in saved {
            workspaces.insert(q.id as u64, q.workspace_id);
            present.insert(q.id as u64, q.query);
        }
        // Parse outside the lock; only the engine's incremental changes happen under it.
        let (stale, fresh): (Vec<u64>, Vec<(u64, String, Query)>) = {
            let index = self.read();
            let stale = index.texts.keys().filter(|id| !present.contains_key(id)).copied().collect();
            let fresh = present
                .into_iter()
                .filter(|(id, text)| index.texts.get(id) != Some(text))
                .filter_map(|(id, text)| match Query::parse(&text) {
                    Ok(q) => Some((id, text, q)),
                    // Stored queries were validated when saved; one that no longer parses is
                    // skipped.
                    Err(e) => {
                        tracing::warn!(query = id, error = %e, "skipping a stored query that does not parse");
                        None
                    }
                })
                .collect();
            (stale, fresh)
        };
        if stale.is_empty() && fresh.is_empty() {
            return Ok(false);
        }
        let mut index = self.write();
        index.workspaces = workspaces;
        for id in stale {
            index.engine.remove(id);
            index.texts.remove(&id);
        }
        for (id, text, q) in fresh {
            index.engine.insert(id, q);
            index.texts.insert(id, text);
        }
        Ok(true)
    }

    /// The DIDs of the Bluesky authors of new mentions, for a resolver to find their handles
    /// (see [`crate::identity`]); the first caller gets the queue, later ones none. Without a
    /// taker, authors beyond the queue's capacity are simply not resolved.
    pub fn author_queue(&self) -> Option<mpsc::Receiver<String>> {
        self.author_queue.lock().ok()?.take()
    }

    /// The store mentions go to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// How many queries are compiled.
    pub fn len(&self) -> usize {
        self.read().engine.len()
    }

    /// Whether no query is compiled.
    pub fn is_empty(&self) -> bool {
        self.read().engine.is_empty()
    }

    /// Matches a batch of posts and stores the mentions, in one transaction. Returns how many
    /// mentions were new.
    pub async fn ingest(&self, posts: &[SourcePost]) -> Result<usize, StoreError> {
        let mut found = Vec::new();
        let now = tutti_store::now_ms();
        for p in posts {
            let ids = self.read().engine.matches(&p.post);
            if ids.is_empty() {
                continue;
            }
            let e = tutti_app::enrichment::Enrichment::of(&p.post.text);
            for id in ids {
                found.push(Mention {
                    id: 0,
                    query_id: id as i64,
                    source: p.source.to_owned(),
                    external_id: p.external_id.clone(),
                    url: p.url.clone(),
                    author: Some(p.post.author.clone()).filter(|a| !a.is_empty()),
                    text: p.post.text.clone(),
                    lang: e.lang().map(str::to_owned).or_else(|| p.post.lang.clone()),
                    sentiment: Some(e.sentiment),
                    sentiment_score: Some(e.sentiment_score()),
                    toxicity: Some(e.toxicity()),
                    // A post dated in the future (a wrong clock, or a lie) counts as now.
                    published_at: p.published_at.map(|t| t.min(now)),
                });
            }
        }
        if found.is_empty() {
            return Ok(0);
        }
        let mut tx = self.store.begin().await?;
        let mut new = 0;
        let mut authors = Vec::new();
        let mut workspaces = Vec::new();
        for m in &found {
            if listening::insert_mention(&mut tx, m).await? {
                new += 1;
                authors.extend(m.author.iter().filter(|a| a.starts_with("did:")).cloned());
                workspaces.extend(self.read().workspaces.get(&(m.query_id as u64)).copied());
            }
        }
        workspaces.sort_unstable();
        workspaces.dedup();
        for ws in workspaces {
            self.store.announce(&mut tx, ws, Topic::Mentions).await?;
        }
        tx.commit().await?;
        authors.sort();
        authors.dedup();
        for did in authors {
            // A full queue only delays a handle: the author is sent again with their next
            // mention.
            let _ = self.identities.try_send(did);
        }
        Ok(new)
    }

    /// Follows a Jetstream endpoint from its stored cursor until `shutdown`, saving the cursor
    /// after each committed batch.
    pub async fn run_jetstream(
        &self,
        jetstream: Jetstream,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(), StoreError> {
        let address = jetstream.endpoint.clone();
        let cursor = self.stored_cursor("jetstream", &address).await?.and_then(|c| c.parse::<i64>().ok());
        let (tx, rx) = mpsc::channel(4096);
        let stats = Arc::new(JetstreamStats::default());
        let task = tokio::spawn({
            let (stats, shutdown) = (stats.clone(), shutdown.clone());
            async move { jetstream.run(cursor, tx, stats, shutdown).await }
        });
        let health = || Health {
            lag_ms: Some(stats.lag_ms.load(Ordering::Relaxed) as i64),
            skipped: stats.skipped.load(Ordering::Relaxed),
            reconnects: stats.reconnects.load(Ordering::Relaxed),
        };
        self.follow("jetstream", &address, rx, shutdown, health, |event: JetstreamEvent| {
            let cursor = event.time_us().to_string();
            match event {
                JetstreamEvent::Post { post, .. } => (cursor, vec![SourcePost::from(*post)]),
                _ => (cursor, Vec::new()),
            }
        })
        .await?;
        let _ = task.await;
        Ok(())
    }

    /// Follows an AT Protocol `com.atproto.sync.subscribeRepos` endpoint (a PDS or a relay)
    /// from its stored cursor until `shutdown`.
    pub async fn run_firehose(
        &self,
        firehose: Firehose,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(), StoreError> {
        let address = firehose.endpoint.clone();
        let cursor = self.stored_cursor("firehose", &address).await?.and_then(|c| c.parse::<i64>().ok());
        let (tx, rx) = mpsc::channel(4096);
        let stats = Arc::new(FirehoseStats::default());
        let task = tokio::spawn({
            let (stats, shutdown) = (stats.clone(), shutdown.clone());
            async move { firehose.run(cursor, tx, stats, shutdown).await }
        });
        let health = || Health {
            lag_ms: Some(stats.lag_ms.load(Ordering::Relaxed) as i64),
            skipped: stats.skipped.load(Ordering::Relaxed) + stats.errors.load(Ordering::Relaxed),
            reconnects: stats.reconnects.load(Ordering::Relaxed),
        };
        self.follow("firehose", &address, rx, shutdown, health, |event: FirehoseEvent| {
            let cursor = event.cursor().to_string();
            match event {
                FirehoseEvent::Commit { posts, .. } => {
                    (cursor, posts.into_iter().map(|p| SourcePost::from(p).from_source("firehose")).collect())
                }
                FirehoseEvent::Other { .. } => (cursor, Vec::new()),
            }
        })
        .await?;
        let _ = task.await;
        Ok(())
    }

    /// Follows a Mastodon streaming timeline (public, local or hashtag) from its stored
    /// cursor until `shutdown`; the client backfills from the timeline API on every
    /// (re)connection, so nothing posted while disconnected is missed.
    pub async fn run_mastodon(
        &self,
        streaming: Streaming,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(), StoreError> {
        let address = streaming.stream_url().to_string();
        let cursor = self.stored_cursor("mastodon", &address).await?.and_then(|c| StatusId::parse(&c));
        let (tx, rx) = mpsc::channel(4096);
        let stats = Arc::new(MastodonStats::default());
        let task = tokio::spawn({
            let (stats, shutdown) = (stats.clone(), shutdown.clone());
            async move { streaming.run(cursor, tx, stats, shutdown).await }
        });
        let health = || Health {
            lag_ms: Some(stats.lag_ms.load(Ordering::Relaxed) as i64),
            skipped: stats.malformed.load(Ordering::Relaxed),
            reconnects: stats.reconnects.load(Ordering::Relaxed),
        };
        self.follow("mastodon", &address, rx, shutdown, health, |event: MastodonEvent| match event {
            MastodonEvent::Post { cursor, post } => {
                (cursor.as_str().to_owned(), vec![SourcePost::from(*post)])
            }
            // Edits and deletions do not move the cursor; an empty cursor keeps the last one.
            _ => (String::new(), Vec::new()),
        })
        .await?;
        let _ = task.await;
        Ok(())
    }

    async fn stored_cursor(&self, kind: &str, address: &str) -> Result<Option<String>, StoreError> {
        Ok(listening::source(&mut *self.store.conn().await?, kind, address).await?.and_then(|s| s.cursor))
    }

    /// Drains a source's events until the stream ends or `shutdown`: posts are matched and
    /// stored in batches (every 500 posts or 250 ms), and after each batch is committed the
    /// cursor of its last event is saved with the source's lag.
    async fn follow<E>(
        &self,
        kind: &str,
        address: &str,
        mut rx: mpsc::Receiver<E>,
        mut shutdown: watch::Receiver<bool>,
        health: impl Fn() -> Health,
        split: impl Fn(E) -> (String, Vec<SourcePost>),
    ) -> Result<(), StoreError> {
        let mut reported = Health::default();
        let mut batch = Vec::new();
        let mut last: Option<String> = None;
        let mut delivered = 0i64;
        let mut flushed = Instant::now();
        let mut finished = false;
        let take = |event: E, batch: &mut Vec<SourcePost>, last: &mut Option<String>, delivered: &mut i64| {
            let (cursor, posts) = split(event);
            if !cursor.is_empty() {
                *last = Some(cursor);
            }
            *delivered += 1;
            batch.extend(posts);
        };
        while !finished {
            tokio::select! {
                event = rx.recv() => match event {
                    Some(event) => take(event, &mut batch, &mut last, &mut delivered),
                    None => finished = true,
                },
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                _ = shutdown.changed() => {
                    // Keep what the stream already handed over, then stop.
                    while let Ok(event) = rx.try_recv() {
                        take(event, &mut batch, &mut last, &mut delivered);
                    }
                    finished = true;
                }
            }
            if finished || batch.len() >= 500 || flushed.elapsed() >= Duration::from_millis(250) {
                self.ingest(&batch).await?;
                batch.clear();
                let now = health();
                if let (Some(c), true) = (&last, delivered > 0) {
                    let mut tx = self.store.begin().await?;
                    listening::save_progress(&mut tx, kind, address, c, now.lag_ms, delivered).await?;
                    tx.commit().await?;
                    delivered = 0;
                }
                let new =
                    (now.skipped + now.reconnects).saturating_sub(reported.skipped + reported.reconnects);
                if new > 0 {
                    let message = format!(
                        "{} events skipped as malformed or oversized, {} reconnections since this process started",
                        now.skipped, now.reconnects
                    );
                    let mut tx = self.store.begin().await?;
                    listening::add_errors(&mut tx, kind, address, new as i64, &message).await?;
                    tx.commit().await?;
                    reported = now;
                }
                flushed = Instant::now();
            }
        }
        Ok(())
    }

    /// Replays a file of Jetstream events (one JSON message per line, as recorded from a
    /// Jetstream websocket) through the same path as a live stream: match, enrich, store in
    /// batches, then save the last event's cursor under the source `replay`/`address`.
    /// Malformed and oversized lines are counted and skipped.
    pub async fn replay(
        &self,
        reader: impl std::io::BufRead,
        address: &str,
    ) -> Result<ReplayStats, StoreError> {
        let started = Instant::now();
        let mut stats = ReplayStats::default();
        let mut batch = Vec::with_capacity(REPLAY_BATCH);
        let mut last = None;
        for line in reader.lines() {
            let Ok(line) = line else {
                stats.malformed += 1;
                continue;
            };
            if line.trim().is_empty() {
                continue;
            }
            stats.events += 1;
            match tutti_bluesky::jetstream::parse_event(&line) {
                Ok(event) => {
                    last = Some(event.time_us());
                    if let JetstreamEvent::Post { post, .. } = event {
                        stats.posts += 1;
                        batch.push(SourcePost::from(*post));
                    }
                }
                Err(_) => stats.malformed += 1,
            }
            if batch.len() >= REPLAY_BATCH {
                stats.mentions += self.ingest(&batch).await?;
                batch.clear();
            }
        }
        stats.mentions += self.ingest(&batch).await?;
        if let Some(c) = last {
            let mut tx = self.store.begin().await?;
            listening::save_progress(&mut tx, "replay", address, &c.to_string(), None, stats.events as i64)
                .await?;
            tx.commit().await?;
        }
        stats.seconds = started.elapsed().as_secs_f64();
        Ok(stats)
    }

    /// Polls one feed once from its stored cursor and stores what matched. Returns the number
    /// of new entries.
    pub async fn poll_feed(&self, poller: &FeedPoller, url: &str) -> Result<usize, StoreError> {
        let stored = listening::source(&mut *self.store.conn().await?, "rss", url).await?;
        let cursor = stored.and_then(|s| s.cursor).map(|c| FeedCursor::from_json(&c)).unwrap_or_default();
        match poller.poll(url, &cursor).await {
            Ok(Poll::NotModified) => Ok(0),
            Ok(Poll::Changed { items, cursor }) => {
                let n = items.len();
                let posts: Vec<SourcePost> = items.into_iter().map(SourcePost::from).collect();
                self.ingest(&posts).await?;
                let mut tx = self.store.begin().await?;
                listening::save_progress(&mut tx, "rss", url, &cursor.to_json(), None, n as i64).await?;
                tx.commit().await?;
                Ok(n)
            }
            Err(e) => {
                tracing::warn!(feed = url, error = %e, "feed poll failed");
                let mut tx = self.store.begin().await?;
                listening::save_error(&mut tx, "rss", url, &e.to_string()).await?;
                tx.commit().await?;
                Ok(0)
            }
        }
    }
}
