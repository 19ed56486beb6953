//! The `com.atproto.sync.subscribeRepos` client: frame decoding (a DAG-CBOR header, a DAG-CBOR
//! body, and for commits a CAR file of blocks) and a connection loop that resumes from its `seq`.
//!
//! Every websocket message is one frame: the header `{op, t}` then the body, two DAG-CBOR values
//! back to back. `op = 1` is a message of type `t` (`#commit`, `#identity`, `#account`, `#sync`,
//! `#info`, …), `op = -1` an error (`{error, message}`) after which the server closes the stream.
//! A `#commit` body lists its `ops` (`{action, path, cid}`) and carries the new records in
//! `blocks`, a CAR v1 file: a varint-prefixed DAG-CBOR header, then varint-prefixed sections of
//! a binary CID followed by the block it names. A created post is found there by its CID, its
//! hash checked, and decoded into the same [`BlueskyPost`] the Jetstream client yields.
//!
//! The cursor is the `seq` of the last delivered frame. A commit may create several posts; they
//! travel in one [`FirehoseEvent::Commit`], so a cursor stored after an event never splits a
//! commit: a restart from it neither repeats nor loses any of its posts.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use ipld_core::cid::Cid;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::cbor::{check_depth, MAX_CBOR_DEPTH};
use crate::jetstream::{bounded, BlueskyPost, MAX_TEXT_BYTES};

/// The largest frame decoded, in bytes. The protocol caps a commit's blocks at 2 MB; anything
/// larger is refused unread.
pub const MAX_FRAME_BYTES: usize = 3 * 1024 * 1024;
/// The largest websocket message read at all. Between [`MAX_FRAME_BYTES`] and this, a frame is
/// received and counted as skipped; beyond it the connection itself is refused.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// The most operations one commit may carry (the protocol's own limit).
pub const MAX_OPS: usize = 200;
/// The most sections read from one commit's CAR file.
pub const MAX_CAR_SECTIONS: usize = 10_000;

const POST_COLLECTION: &str = "app.bsky.feed.post";
const DAG_CBOR: u64 = 0x71;
const SHA2_256: u64 = 0x12;

/// What a frame with a sequence number is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `#commit`: records created, updated or deleted in a repository.
    Commit,
    /// `#identity`: a DID document or handle may have changed.
    Identity,
    /// `#account`: an account was activated, deactivated, suspended, deleted.
    Account,
    /// `#sync`: a repository's state was reset to a new commit.
    Sync,
    /// A type this client does not know (or a deprecated one) that still carries a `seq`.
    Unknown,
}

/// One event of the stream, in the order of the server's sequence numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirehoseEvent {
    /// A commit that created or deleted posts (at least one of the two lists is not empty).
    Commit {
        /// The frame's sequence number: the cursor.
        seq: i64,
        /// The repository (the author's DID).
        repo: String,
        /// When the server emitted it (RFC 3339), as it wrote it.
        time: String,
        /// The posts it created, in the commit's order.
        posts: Vec<BlueskyPost>,
        /// URIs of the posts it deleted.
        deleted: Vec<String>,
    },
    /// Anything else with a sequence number: commits to other collections, identity, account
    /// and sync events. Delivered so that the cursor advances.
    Other {
        /// The frame's sequence number.
        seq: i64,
        /// Its type.
        kind: EventKind,
        /// When the server emitted it (RFC 3339), as it wrote it; empty if it did not say.
        time: String,
    },
}

impl FirehoseEvent {
    /// The event's cursor value (its `seq`).
    pub fn cursor(&self) -> i64 {
        match self {
            FirehoseEvent::Commit { seq, .. } | FirehoseEvent::Other { seq, .. } => *seq,
        }
    }

    /// When the server emitted the event (RFC 3339), as it wrote it.
    pub fn time(&self) -> &str {
        match self {
            FirehoseEvent::Commit { time, .. } | FirehoseEvent::Other { time, .. } => time,
        }
    }

    /// The posts this event created (none for most events).
    pub fn posts(&self) -> &[BlueskyPost] {
        match self {
            FirehoseEvent::Commit { posts, .. } => posts,
            FirehoseEvent::Other { .. } => &[],
        }
    }
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// An event with a sequence number.
    Event(FirehoseEvent),
    /// `#info`, e.g. `OutdatedCursor`: the requested cursor is older than what the server keeps,
    /// so the stream starts at its oldest event (some events were missed).
    Info {
        /// `OutdatedCursor` or another name.
        name: String,
        /// Explanation, if any.
        message: Option<String>,
    },
    /// An error frame (`op = -1`); the server closes the stream after it.
    Error {
        /// `FutureCursor`, `ConsumerTooSlow`, …
        error: String,
        /// Explanation, if any.
        message: Option<String>,
    },
}

/// Why a frame was skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Larger than [`MAX_FRAME_BYTES`].
    #[error("frame larger than {MAX_FRAME_BYTES} bytes")]
    Oversized,
    /// Not what subscribeRepos sends.
    #[error("malformed frame: {0}")]
    Malformed(String),
}

fn malformed(what: impl std::fmt::Display) -> FrameError {
    FrameError::Malformed(what.to_string())
}

#[derive(Deserialize)]
struct Header {
    op: i64,
    t: Option<String>,
}

#[derive(Deserialize)]
struct RawError {
    #[serde(default)]
    error: String,
    message: Option<String>,
}

#[derive(Deserialize)]
struct RawInfo {
    #[serde(default)]
    name: String,
    message: Option<String>,
}

#[derive(Deserialize)]
struct RawSeq {
    seq: i64,
    #[serde(default)]
    time: String,
}

#[derive(Deserialize)]
struct RawCommit<'a> {
    seq: i64,
    repo: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    ops: Vec<RawOp>,
    #[serde(borrow, default)]
    blocks: Option<&'a [u8]>,
}

#[derive(Deserialize)]
struct RawOp {
    action: String,
    path: String,
    cid: Option<Cid>,
}

#[derive(Deserialize)]
struct CarHeader {
    version: u64,
}

#[derive(Deserialize)]
struct RawPost {
    #[serde(rename = "$type", default)]
    kind: Option<String>,
    #[serde(default)]
    text: String,
    #[serde(default, rename = "createdAt")]
    created_at: String,
    #[serde(default)]
    langs: Vec<String>,
    #[serde(default)]
    facets: Vec<RawFacet>,
    reply: Option<RawReply>,
    embed: Option<RawEmbed>,
}

#[derive(Deserialize)]
struct RawFacet {
    #[serde(default)]
    features: Vec<RawFeature>,
}

#[derive(Deserialize)]
struct RawFeature {
    #[serde(rename = "$type", default)]
    kind: String,
    uri: Option<String>,
    tag: Option<String>,
    did: Option<String>,
}

#[derive(Deserialize)]
struct RawReply {
    parent: RawRef,
}

#[derive(Deserialize)]
struct RawRef {
    uri: String,
}

#[derive(Deserialize)]
struct RawEmbed {
    external: Option<RawExternal>,
}

#[derive(Deserialize)]
struct RawExternal {
    uri: String,
}

/// Decodes one subscribeRepos frame.
pub fn parse_frame(frame: &[u8]) -> Result<Frame, FrameError> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(FrameError::Oversized);
    }
    // The decoder recurses into nested items without a limit: the depth is checked first.
    check_depth(frame, MAX_CBOR_DEPTH).map_err(|e| malformed(format!("frame: {e}")))?;
    let mut reader = Cursor::new(frame);
    let header: Header = serde_ipld_dagcbor::de::from_reader_once(&mut reader)
        .map_err(|e| malformed(format!("header: {e}")))?;
    let body = &frame[reader.position() as usize..];
    let decode_err =
        |e: serde_ipld_dagcbor::DecodeError<std::convert::Infallible>| malformed(format!("body: {e}"));
    match header.op {
        -1 => {
            let raw: RawError = serde_ipld_dagcbor::from_slice(body).map_err(decode_err)?;
            Ok(Frame::Error {
                error: bounded(&raw.error, 100),
                message: raw.message.map(|m| bounded(&m, 500)),
            })
        }
        1 => {
            let t = header.t.ok_or_else(|| malformed("a message header without a type"))?;
            let event = match t.as_str() {
                "#commit" => parse_commit(serde_ipld_dagcbor::from_slice(body).map_err(decode_err)?)?,
                "#info" => {
                    let raw: RawInfo = serde_ipld_dagcbor::from_slice(body).map_err(decode_err)?;
                    return Ok(Frame::Info {
                        name: bounded(&raw.name, 100),
                        message: raw.message.map(|m| bounded(&m, 500)),
                    });
                }
                other => {
                    let kind = match other {
                        "#identity" => EventKind::Identity,
                        "#account" => EventKind::Account,
                        "#sync" => EventKind::Sync,
                        _ => EventKind::Unknown,
                    };
                    let raw: RawSeq = serde_ipld_dagcbor::from_slice(body).map_err(decode_err)?;
                    FirehoseEvent::Other { seq: raw.seq, kind, time: bounded(&raw.time, 40) }
                }
            };
            Ok(Frame::Event(event))
        }
        op => Err(malformed(format!("unknown op {op}"))),
    }
}

fn parse_commit(raw: RawCommit<'_>) -> Result<FirehoseEvent, FrameError> {
    if raw.ops.len() > MAX_OPS {
        return Err(malformed(format!("a commit with {} ops", raw.ops.len())));
    }
    let repo = bounded(&raw.repo, 200);
    let mut created = Vec::new();
    let mut deleted = Vec::new();
    for op in &raw.ops {
        let Some((collection, rkey)) = op.path.split_once('/') else { continue };
        if collection != POST_COLLECTION {
            continue;
        }
        let uri = format!("at://{repo}/{POST_COLLECTION}/{}", bounded(rkey, 100));
        match op.action.as_str() {
            "create" => {
                let cid = op.cid.ok_or_else(|| malformed("a created post without a CID"))?;
                created.push((bounded(rkey, 100), uri, cid));
            }
            "delete" => deleted.push(uri),
            _ => {}
        }
    }
    if created.is_empty() && deleted.is_empty() {
        return Ok(FirehoseEvent::Other {
            seq: raw.seq,
            kind: EventKind::Commit,
            time: bounded(&raw.time, 40),
        });
    }
    let wanted: HashSet<Cid> = created.iter().map(|(_, _, cid)| *cid).collect();
    let blocks =
        if wanted.is_empty() { HashMap::new() } else { car_blocks(raw.blocks.unwrap_or(&[]), &wanted)? };
    let mut posts = Vec::with_capacity(created.len());
    for (rkey, uri, cid) in created {
        let block = blocks.get(&cid).ok_or_else(|| malformed(format!("the block of {uri} is missing")))?;
        posts.push(decode_post(&repo, rkey, uri, block)?);
    }
    Ok(FirehoseEvent::Commit { seq: raw.seq, repo, time: bounded(&raw.time, 40), posts, deleted })
}

fn decode_post(did: &str, rkey: String, uri: String, block: &[u8]) -> Result<BlueskyPost, FrameError> {
    check_depth(block, MAX_CBOR_DEPTH).map_err(|e| malformed(format!("the record of {uri}: {e}")))?;
    let record: RawPost =
        serde_ipld_dagcbor::from_slice(block).map_err(|e| malformed(format!("the record of {uri}: {e}")))?;
    if record.kind.as_deref().is_some_and(|k| k != POST_COLLECTION) {
        return Err(malformed(format!("the record of {uri} is not a post")));
    }
    let mut post = BlueskyPost {
        did: did.to_owned(),
        rkey,
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
        let field = |v: &Option<String>| v.as_deref().map(|s| bounded(s, 2_000));
        match feature.kind.as_str() {
            "app.bsky.richtext.facet#link" => post.links.extend(field(&feature.uri)),
            "app.bsky.richtext.facet#tag" => post.tags.extend(field(&feature.tag)),
            "app.bsky.richtext.facet#mention" => post.mentions.extend(field(&feature.did)),
            _ => {}
        }
    }
    if let Some(external) = record.embed.and_then(|e| e.external) {
        post.links.push(bounded(&external.uri, 2_000));
    }
    Ok(post)
}

/// Reads an unsigned LEB128 varint; returns the value and its length.
fn varint(bytes: &[u8]) -> Result<(u64, usize), FrameError> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().take(10).enumerate() {
        let part = u64::from(byte & 0x7f);
        if i == 9 && *byte > 1 {
            break;
        }
        value |= part << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(malformed("a bad varint in the CAR file"))
}

/// Reads a varint length and the section it announces, starting at `pos`.
fn section(car: &[u8], pos: usize) -> Result<(&[u8], usize), FrameError> {
    let (len, n) = varint(&car[pos..])?;
    let start = pos + n;
    let end = usize::try_from(len)
        .ok()
        .and_then(|l| start.checked_add(l))
        .filter(|&end| end <= car.len())
        .ok_or_else(|| malformed("a CAR section runs past the end"))?;
    Ok((&car[start..end], end))
}

/// The blocks of a CAR v1 file whose CIDs are `wanted`, each checked against its hash.
fn car_blocks<'a>(car: &'a [u8], wanted: &HashSet<Cid>) -> Result<HashMap<Cid, &'a [u8]>, FrameError> {
    let (header, mut pos) = section(car, 0)?;
    check_depth(header, MAX_CBOR_DEPTH).map_err(|e| malformed(format!("CAR header: {e}")))?;
    let header: CarHeader =
        serde_ipld_dagcbor::from_slice(header).map_err(|e| malformed(format!("CAR header: {e}")))?;
    if header.version != 1 {
        return Err(malformed(format!("CAR version {}", header.version)));
    }
    let mut found = HashMap::new();
    let mut sections = 0;
    while pos < car.len() && found.len() < wanted.len() {
        sections += 1;
        if sections > MAX_CAR_SECTIONS {
            return Err(malformed("too many CAR sections"));
        }
        let (bytes, next) = section(car, pos)?;
        pos = next;
        let mut reader = Cursor::new(bytes);
        let cid =
            Cid::read_bytes(&mut reader).map_err(|e| malformed(format!("a CID in the CAR file: {e}")))?;
        if !wanted.contains(&cid) {
            continue;
        }
        let block = &bytes[reader.position() as usize..];
        let hash = cid.hash();
        if cid.codec() != DAG_CBOR
            || hash.code() != SHA2_256
            || Sha256::digest(block).as_slice() != hash.digest()
        {
            return Err(malformed(format!("the block {cid} does not match its CID")));
        }
        found.insert(cid, block);
    }
    Ok(found)
}

/// Counters of a running stream, for the source's status.
#[derive(Debug, Default)]
pub struct FirehoseStats {
    /// Events delivered.
    pub delivered: AtomicU64,
    /// Frames skipped as malformed or oversized.
    pub skipped: AtomicU64,
    /// Reconnections after a dropped or failed connection.
    pub reconnects: AtomicU64,
    /// Lag of the last event behind the wall clock (its `time`), in ms.
    pub lag_ms: AtomicU64,
    /// `#info` frames (`OutdatedCursor`: events were missed).
    pub info: AtomicU64,
    /// Error frames (`FutureCursor`, `ConsumerTooSlow`, …).
    pub errors: AtomicU64,
}

/// A subscribeRepos endpoint (a PDS or a relay).
#[derive(Debug, Clone)]
pub struct Firehose {
    /// `wss://host/xrpc/com.atproto.sync.subscribeRepos` (or `ws://` locally).
    pub endpoint: String,
    /// First delay before a reconnection; it doubles up to a minute.
    pub initial_backoff: Duration,
}

/// Logs a message once per kind; remembers a bounded number of kinds.
#[derive(Default)]
struct Once(HashSet<String>);

impl Once {
    fn first(&mut self, kind: &str) -> bool {
        self.0.len() < 64 && self.0.insert(kind.to_owned())
    }
}

impl Firehose {
    /// A client for the websocket `endpoint`.
    pub fn new(endpoint: impl Into<String>) -> Firehose {
        Firehose { endpoint: endpoint.into(), initial_backoff: Duration::from_secs(1) }
    }

    /// A client for the service at `url` (`https://host` or `http://localhost:port`).
    pub fn for_service(url: &str) -> Firehose {
        let url = url.trim_end_matches('/');
        let ws = if let Some(rest) = url.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = url.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            url.to_owned()
        };
        Firehose::new(format!("{ws}/xrpc/com.atproto.sync.subscribeRepos"))
    }

    /// The subscription URL, resuming after `cursor` if given.
    pub fn url(&self, cursor: Option<i64>) -> String {
        match cursor {
            Some(cursor) => {
                let sep = if self.endpoint.contains('?') { '&' } else { '?' };
                format!("{}{sep}cursor={cursor}", self.endpoint)
            }
            None => self.endpoint.clone(),
        }
    }

    /// Streams events after `cursor` into `events` until `shutdown` turns true or the
    /// receiver goes away, reconnecting with backoff. Returns the last delivered cursor.
    ///
    /// A `FutureCursor` error means the cursor belongs to another server (or one that was
    /// reset): the stream then starts afresh at the live end, without a cursor.
    pub async fn run(
        &self,
        mut cursor: Option<i64>,
        events: mpsc::Sender<FirehoseEvent>,
        stats: Arc<FirehoseStats>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Option<i64> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let mut backoff = self.initial_backoff;
        let mut logged = Once::default();
        loop {
            if *shutdown.borrow() {
                return cursor;
            }
            let url = self.url(cursor);
            match tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), false).await {
                Ok((mut socket, _)) => {
                    tracing::info!(endpoint = %self.endpoint, ?cursor, "firehose connected");
                    backoff = self.initial_backoff;
                    loop {
                        let message = tokio::select! {
                            m = socket.next() => m,
                            _ = shutdown.changed() => return cursor,
                        };
                        let bytes = match message {
                            Some(Ok(Message::Binary(b))) => b,
                            Some(Ok(Message::Close(_))) | None => break,
                            Some(Ok(Message::Text(_))) => {
                                stats.skipped.fetch_add(1, Ordering::Relaxed);
                                if logged.first("text") {
                                    tracing::warn!("skipping text messages on the firehose (logged once)");
                                }
                                continue;
                            }
                            Some(Ok(_)) => continue,
                            Some(Err(e)) => {
                                tracing::warn!(error = %e, "firehose connection lost");
                                break;
                            }
                        };
                        let event = match parse_frame(&bytes) {
                            Ok(Frame::Event(event)) => event,
                            Ok(Frame::Info { name, message }) => {
                                stats.info.fetch_add(1, Ordering::Relaxed);
                                if logged.first(&format!("info {name}")) {
                                    tracing::warn!(%name, ?message, "firehose info (logged once per name)");
                                }
                                continue;
                            }
                            Ok(Frame::Error { error, message }) => {
                                stats.errors.fetch_add(1, Ordering::Relaxed);
                                if logged.first(&format!("error {error}")) {
                                    tracing::warn!(%error, ?message, "firehose error (logged once per name)");
                                }
                                if error == "FutureCursor" {
                                    cursor = None;
                                }
                                break;
                            }
                            Err(e) => {
                                stats.skipped.fetch_add(1, Ordering::Relaxed);
                                let kind = if matches!(e, FrameError::Oversized) {
                                    "oversized"
                                } else {
                                    "malformed"
                                };
                                if logged.first(kind) {
                                    tracing::warn!(error = %e, "skipping firehose frames of this kind (logged once)");
                                }
                                continue;
                            }
                        };
                        let seq = event.cursor();
                        // A replay may start at the cursor: skip what was delivered.
                        if cursor.is_some_and(|c| seq <= c) {
                            continue;
                        }
                        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(event.time()) {
                            let lag = (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_milliseconds();
                            stats.lag_ms.store(lag.max(0) as u64, Ordering::Relaxed);
                        }
                        if events.send(event).await.is_err() {
                            return cursor;
                        }
                        cursor = Some(seq);
                        stats.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, endpoint = %self.endpoint, "firehose connection failed")
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
    fn varints_are_read_and_bounded() {
        assert_eq!(varint(&[0x05]).unwrap(), (5, 1));
        assert_eq!(varint(&[0xac, 0x02]).unwrap(), (300, 2));
        assert!(varint(&[0x80, 0x80]).is_err(), "unterminated");
        assert!(varint(&[0xff; 11]).is_err(), "too long");
        assert!(section(&[0x05, 1, 2], 0).is_err(), "runs past the end");
        assert!(section(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0], 0).is_err());
    }

    #[test]
    fn the_url_resumes_after_the_cursor() {
        let f = Firehose::for_service("http://localhost:2583/");
        assert_eq!(f.url(None), "ws://localhost:2583/xrpc/com.atproto.sync.subscribeRepos");
        assert_eq!(f.url(Some(7)), "ws://localhost:2583/xrpc/com.atproto.sync.subscribeRepos?cursor=7");
        assert_eq!(
            Firehose::for_service("https://relay.example").endpoint,
            "wss://relay.example/xrpc/com.atproto.sync.subscribeRepos"
        );
    }
}
