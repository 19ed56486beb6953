//! The Jetstream client: event parsing, and a connection loop that resumes from its cursor.
//! Events come as JSON text, or, when asked with `compress=true`, as binary messages compressed
//! with zstd and Jetstream's own dictionary.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

/// The largest event accepted, in bytes (Jetstream events are a few kB at most).
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// The longest post text kept, in bytes (Bluesky's own limit).
pub const MAX_TEXT_BYTES: usize = 3_000;
/// The zstd dictionary Jetstream compresses its events with (see `zstd/README.md`).
pub const ZSTD_DICTIONARY: &[u8] = include_bytes!("../zstd/jetstream.dict");

/// A post created on Bluesky, as the listening engine needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlueskyPost {
    /// The author's DID.
    pub did: String,
    /// The record key.
    pub rkey: String,
    /// `at://did/app.bsky.feed.post/rkey`.
    pub uri: String,
    /// The text, bounded.
    pub text: String,
    /// Declared languages (at most 3).
    pub langs: Vec<String>,
    /// Links from facets and external embeds.
    pub links: Vec<String>,
    /// Hashtags from facets, without `#`.
    pub tags: Vec<String>,
    /// DIDs mentioned through facets.
    pub mentions: Vec<String>,
    /// The post this one replies to, if any.
    pub reply_to: Option<String>,
    /// `createdAt` as the author's client wrote it.
    pub created_at: String,
}

/// One Jetstream event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JetstreamEvent {
    /// A new post.
    Post {
        /// The event's Jetstream time, µs since the epoch: the cursor.
        time_us: i64,
        /// The post (boxed: posts are much larger than the other events).
        post: Box<BlueskyPost>,
    },
    /// A post was deleted.
    Deleted {
        /// The event's time.
        time_us: i64,
        /// The deleted post's URI.
        uri: String,
    },
    /// Anything else (identity, account, other collections, updates).
    Other {
        /// The event's time.
        time_us: i64,
    },
}

impl JetstreamEvent {
    /// The event's cursor value.
    pub fn time_us(&self) -> i64 {
        match self {
            JetstreamEvent::Post { time_us, .. }
            | JetstreamEvent::Deleted { time_us, .. }
            | JetstreamEvent::Other { time_us } => *time_us,
        }
    }
}

/// Why an event was skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Larger than [`MAX_EVENT_BYTES`].
    #[error("event larger than {MAX_EVENT_BYTES} bytes")]
    Oversized,
    /// Not the JSON Jetstream sends.
    #[error("malformed event: {0}")]
    Malformed(String),
}

#[derive(Deserialize)]
struct RawEvent {
    did: String,
    time_us: i64,
    kind: String,
    commit: Option<RawCommit>,
}

#[derive(Deserialize)]
struct RawCommit {
    operation: String,
    collection: String,
    rkey: String,
    record: Option<RawPost>,
}

#[derive(Deserialize)]
struct RawPost {
    #[serde(default)]
    text: String,
    #[serde(default, rename = "createdAt")]
    created_at: String,
    #[serde(default)]
    langs: Vec<String>,
    #[serde(default)]
    facets: Vec<RawFacet>,
    reply: Option<RawReply>,
    embed: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawFacet {
    #[serde(default)]
    features: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawReply {
    parent: RawRef,
}

#[derive(Deserialize)]
struct RawRef {
    uri: String,
}

pub(crate) fn bounded(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let mut cut = max_bytes;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].to_owned()
}

/// Parses one Jetstream message.
pub fn parse_event(json: &str) -> Result<JetstreamEvent, EventError> {
    if json.len() > MAX_EVENT_BYTES {
        return Err(EventError::Oversized);
    }
    let raw: RawEvent = serde_json::from_str(json).map_err(|e| EventError::Malformed(e.to_string()))?;
    let time_us = raw.time_us;
    let Some(commit) = raw.commit.filter(|_| raw.kind == "commit") else {
        return Ok(JetstreamEvent::Other { time_us });
    };
    if commit.collection != "app.bsky.feed.post" {
        return Ok(JetstreamEvent::Other { time_us });
    }
    let uri = format!("at://{}/app.bsky.feed.post/{}", raw.did, commit.rkey);
    match commit.operation.as_str() {
        "delete" => Ok(JetstreamEvent::Deleted { time_us, uri }),
        "create" => {
            let record =
                commit.record.ok_or_else(|| EventError::Malformed("a created post has no record".into()))?;
            let mut post = BlueskyPost {
                did: bounded(&raw.did, 200),
                rkey: bounded(&commit.rkey, 100),
                uri,
                text: bounded(&record.text, MAX_TEXT_BYTES),
                langs: record.langs.into_iter().take(3).map(|l| bounded(&l, 20)).collect(),
                links: Vec::new(),
                tags: Vec::new(),
                mentions: Vec::new(),
                reply_to: record.reply.map(|r| bounded(&r.parent.uri, 500)),
                created_at: bounded(&record.created_at, 40),
            };
            for feature in record.facets.iter().flat_map(|f| &f.features).take(100) {
                let field = |k: &str| feature.get(k).and_then(|v| v.as_str()).map(|s| bounded(s, 2_000));
                match feature.get("$type").and_then(|t| t.as_str()) {
                    Some("app.bsky.richtext.facet#link") => post.links.extend(field("uri")),
                    Some("app.bsky.richtext.facet#tag") => post.tags.extend(field("tag")),
                    Some("app.bsky.richtext.facet#mention") => post.mentions.extend(field("did")),
                    _ => {}
                }
            }
            if let Some(uri) =
                record.embed.as_ref().and_then(|e| e.pointer("/external/uri")).and_then(|u| u.as_str())
            {
                post.links.push(bounded(uri, 2_000));
            }
            Ok(JetstreamEvent::Post { time_us, post: Box::new(post) })
        }
        _ => Ok(JetstreamEvent::Other { time_us }),
    }
}

/// Decompresses the binary messages of a `compress=true` stream, into a reused buffer that
/// holds at most [`MAX_EVENT_BYTES`]: a frame inflating beyond that is refused, not allocated.
struct Inflater {
    zstd: zstd::bulk::Decompressor<'static>,
    buffer: Vec<u8>,
}

impl Inflater {
    fn new() -> std::io::Result<Inflater> {
        Ok(Inflater {
            zstd: zstd::bulk::Decompressor::with_dictionary(ZSTD_DICTIONARY)?,
            buffer: Vec::with_capacity(MAX_EVENT_BYTES),
        })
    }

    /// The JSON text of one compressed message.
    fn inflate(&mut self, frame: &[u8]) -> Result<&str, EventError> {
        match zstd::zstd_safe::get_frame_content_size(frame) {
            Ok(Some(size)) if size > MAX_EVENT_BYTES as u64 => return Err(EventError::Oversized),
            Ok(_) => {}
            Err(_) => return Err(EventError::Malformed("not a zstd frame".into())),
        }
        self.buffer.clear();
        self.zstd
            .decompress_to_buffer(frame, &mut self.buffer)
            .map_err(|e| EventError::Malformed(format!("zstd: {e}")))?;
        std::str::from_utf8(&self.buffer).map_err(|e| EventError::Malformed(e.to_string()))
    }
}

/// Counters of a running stream, for the source's status.
#[derive(Debug, Default)]
pub struct JetstreamStats {
    /// Events delivered.
    pub delivered: AtomicU64,
    /// Events skipped as malformed or oversized.
    pub skipped: AtomicU64,
    /// Reconnections after a dropped or failed connection.
    pub reconnects: AtomicU64,
    /// Lag of the last event behind the wall clock, in ms.
    pub lag_ms: AtomicU64,
}

/// A Jetstream endpoint and the collections wanted from it.
#[derive(Debug, Clone)]
pub struct Jetstream {
    /// `wss://jetstream…/subscribe` (or `ws://` for a local replay).
    pub endpoint: String,
    /// Collections to receive (`app.bsky.feed.post`).
    pub collections: Vec<String>,
    /// First delay before a reconnection; it doubles up to a minute.
    pub initial_backoff: Duration,
    /// Ask for events compressed with zstd and [`ZSTD_DICTIONARY`] (`compress=true`).
    pub compress: bool,
}

impl Jetstream {
    /// A client for `endpoint` that asks for posts.
    pub fn new(endpoint: impl Into<String>) -> Jetstream {
        Jetstream {
            endpoint: endpoint.into(),
            collections: vec!["app.bsky.feed.post".into()],
            initial_backoff: Duration::from_secs(1),
            compress: false,
        }
    }

    /// The same client, asking for compressed events or not.
    pub fn compressed(mut self, compress: bool) -> Jetstream {
        self.compress = compress;
        self
    }

    /// The subscription URL, resuming at `cursor` if given.
    pub fn url(&self, cursor: Option<i64>) -> String {
        let mut url = self.endpoint.clone();
        let mut sep = if url.contains('?') { '&' } else { '?' };
        for c in &self.collections {
            url.push_str(&format!("{sep}wantedCollections={c}"));
            sep = '&';
        }
        if self.compress {
            url.push_str(&format!("{sep}compress=true"));
            sep = '&';
        }
        if let Some(cursor) = cursor {
            url.push_str(&format!("{sep}cursor={cursor}"));
        }
        url
    }

    /// Streams events after `cursor` into `events` until `shutdown` turns true or the
    /// receiver goes away, reconnecting with backoff. Returns the last delivered cursor.
    pub async fn run(
        &self,
        mut cursor: Option<i64>,
        events: mpsc::Sender<JetstreamEvent>,
        stats: Arc<JetstreamStats>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Option<i64> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut backoff = self.initial_backoff;
        let mut warned = [false; 2];
        // The dictionary is a constant, checked by the tests: loading it cannot fail at run time.
        let mut inflater =
            self.compress.then(|| Inflater::new().expect("the embedded Jetstream dictionary loads"));
        loop {
            if *shutdown.borrow() {
                return cursor;
            }
            let url = self.url(cursor);
            match tokio_tungstenite::connect_async(url.as_str()).await {
                Ok((mut socket, _)) => {
                    tracing::info!(endpoint = %self.endpoint, ?cursor, "jetstream connected");
                    backoff = self.initial_backoff;
                    loop {
                        let message = tokio::select! {
                            m = socket.next() => m,
                            _ = shutdown.changed() => return cursor,
                        };
                        let parsed = match message {
                            Some(Ok(Message::Text(t))) => parse_event(t.as_str()),
                            Some(Ok(Message::Binary(b))) => match inflater.as_mut() {
                                Some(inflater) => inflater.inflate(&b).and_then(parse_event),
                                None => continue,
                            },
                            Some(Ok(Message::Close(_))) | None => break,
                            Some(Ok(_)) => continue,
                            Some(Err(e)) => {
                                tracing::warn!(error = %e, "jetstream connection lost");
                                break;
                            }
                        };
                        match parsed {
                            Ok(event) => {
                                let t = event.time_us();
                                // Replays after a reconnect start at the cursor: skip what was delivered.
                                if cursor.is_some_and(|c| t <= c) {
                                    continue;
                                }
                                let now_us = std::time::SystemTime::now()
                                    .duration_since(std::time::UNIX_EPOCH)
                                    .map(|d| d.as_micros() as i64)
                                    .unwrap_or(t);
                                stats.lag_ms.store(((now_us - t).max(0) / 1000) as u64, Ordering::Relaxed);
                                if events.send(event).await.is_err() {
                                    return cursor;
                                }
                                cursor = Some(t);
                                stats.delivered.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => {
                                stats.skipped.fetch_add(1, Ordering::Relaxed);
                                let kind = matches!(e, EventError::Oversized) as usize;
                                if !warned[kind] {
                                    warned[kind] = true;
                                    tracing::warn!(error = %e, "skipping jetstream events of this kind (logged once)");
                                }
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, endpoint = %self.endpoint, "jetstream connection failed")
                }
            }
            stats.reconnects.fetch_add(1, Ordering::Relaxed);
            if !crate::back_off(&mut backoff, &mut shutdown).await {
                return cursor;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_event_yields_text_languages_links_tags_mentions_and_reply() {
        let json = include_str!("../tests/data/jetstream.jsonl").lines().next().unwrap();
        let JetstreamEvent::Post { time_us, post } = parse_event(json).unwrap() else { panic!("a post") };
        assert_eq!(time_us, 1_795_354_200_000_001);
        assert_eq!(post.langs, ["fr"]);
        assert_eq!(post.links, ["https://maison-lumiere.example/lampes", "https://blog.example.fr/test"]);
        assert_eq!(post.tags, ["luminaire"]);
        assert_eq!(post.mentions, ["did:plc:brand000000000000000000"]);
        assert!(post.reply_to.is_none());
        assert!(post.text.starts_with("Ma nouvelle lampe"));
    }

    #[test]
    fn bad_events_are_refused_with_a_reason() {
        let cases = [
            ("not json", "malformed"),
            (r#"{"did":"x","kind":"commit"}"#, "malformed"),
            (
                r#"{"did":"x","time_us":1,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.post","rkey":"k"}}"#,
                "malformed",
            ),
        ];
        for (json, want) in cases {
            let err = parse_event(json).unwrap_err();
            assert!(err.to_string().contains(want), "{json}: {err}");
        }
        assert_eq!(parse_event(&"x".repeat(MAX_EVENT_BYTES + 1)), Err(EventError::Oversized));
    }

    #[test]
    fn long_texts_are_cut_at_a_character_boundary() {
        let text = "é".repeat(2_000);
        let json = serde_json::json!({"did":"did:plc:a","time_us":5,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.post","rkey":"k","record":{"text": text,"createdAt":"2026-11-23T10:00:00Z"}}});
        let JetstreamEvent::Post { post, .. } = parse_event(&json.to_string()).unwrap() else { panic!() };
        assert!(post.text.len() <= MAX_TEXT_BYTES && post.text.chars().all(|c| c == 'é'));
    }

    #[test]
    fn the_url_asks_for_posts_and_resumes_at_the_cursor() {
        let j = Jetstream::new("wss://jetstream.example/subscribe");
        assert_eq!(j.url(None), "wss://jetstream.example/subscribe?wantedCollections=app.bsky.feed.post");
        assert_eq!(
            j.url(Some(42)),
            "wss://jetstream.example/subscribe?wantedCollections=app.bsky.feed.post&cursor=42"
        );
        assert!(!j.compress);
        assert_eq!(
            j.compressed(true).url(Some(42)),
            "wss://jetstream.example/subscribe?wantedCollections=app.bsky.feed.post&compress=true&cursor=42"
        );
    }

    #[test]
    fn the_dictionary_loads_and_compressed_events_need_it() {
        let id =
            zstd::zstd_safe::get_dict_id_from_dict(ZSTD_DICTIONARY).expect("a zstd dictionary, with its id");
        let json = include_str!("../tests/data/jetstream.jsonl").lines().next().unwrap();
        let frame = zstd::bulk::Compressor::with_dictionary(3, ZSTD_DICTIONARY)
            .unwrap()
            .compress(json.as_bytes())
            .unwrap();
        assert_eq!(zstd::zstd_safe::get_dict_id_from_frame(&frame), Some(id));
        assert!(frame.len() < json.len() / 2, "{} bytes from {}", frame.len(), json.len());

        let mut inflater = Inflater::new().unwrap();
        assert_eq!(inflater.inflate(&frame), Ok(json));
        assert_eq!(inflater.inflate(&frame).and_then(parse_event), parse_event(json));
        assert!(zstd::bulk::decompress(&frame, MAX_EVENT_BYTES).is_err(), "not without the dictionary");
    }

    #[test]
    fn compressed_messages_that_are_not_events_are_refused() {
        let mut inflater = Inflater::new().unwrap();
        let mut compressor = zstd::bulk::Compressor::with_dictionary(3, ZSTD_DICTIONARY).unwrap();
        let big = vec![b' '; MAX_EVENT_BYTES + 1];

        // A bomb that declares its size is refused before inflating.
        let declared = compressor.compress(&big).unwrap();
        assert!(declared.len() < 100);
        assert_eq!(inflater.inflate(&declared), Err(EventError::Oversized));
        // One that does not stops at the bound.
        compressor.set_parameter(zstd::zstd_safe::CParameter::ContentSizeFlag(false)).unwrap();
        let undeclared = compressor.compress(&big).unwrap();
        assert!(matches!(zstd::zstd_safe::get_frame_content_size(&undeclared), Ok(None)));
        assert!(matches!(inflater.inflate(&undeclared), Err(EventError::Malformed(_))));
        assert!(inflater.buffer.capacity() <= MAX_EVENT_BYTES + 64, "no larger buffer was allocated");
        // An event of exactly the bound still passes.
        let fits = compressor.compress(&big[1..]).unwrap();
        assert_eq!(inflater.inflate(&fits).map(str::len), Ok(MAX_EVENT_BYTES));

        assert!(matches!(inflater.inflate(b"not zstd at all"), Err(EventError::Malformed(_))));
        assert!(matches!(inflater.inflate(&[]), Err(EventError::Malformed(_))));
        let latin1 = compressor.compress(b"caf\xe9").unwrap();
        assert!(matches!(inflater.inflate(&latin1), Err(EventError::Malformed(_))));
        // Refusals leave the decompressor working.
        let ok = compressor.compress(b"{}").unwrap();
        assert_eq!(inflater.inflate(&ok), Ok("{}"));
    }
}
