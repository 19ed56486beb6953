//! Bluesky for Tutti: two firehoses as listening sources, Jetstream (JSON over a websocket) and
//! the AT Protocol's own `com.atproto.sync.subscribeRepos` (DAG-CBOR frames, the records in CAR
//! files); and `xrpc`, the publishing client: sessions, posts at a record key chosen in
//! advance (so that a retry can never post twice), facets, images, threads, likes, reposts.
//!
//! **Key design decision.** Both streams number their events and replay from any cursor they
//! are given: Jetstream stamps every event with `time_us`, subscribeRepos with `seq`. A client
//! therefore keeps one number: the cursor of the last event it delivered. After a dropped
//! connection or a restart it reconnects with that cursor and skips every event at or before
//! it, so the stream resumes with no gap and no duplicate. Malformed or oversized events are
//! counted and skipped, never fatal. Both clients deliver the same [`BlueskyPost`].

pub mod cbor;
pub mod firehose;
pub mod identity;
pub mod jetstream;
mod network;
pub mod xrpc;

pub use firehose::{EventKind, Firehose, FirehoseEvent, FirehoseStats, Frame, FrameError};
pub use jetstream::{BlueskyPost, EventError, Jetstream, JetstreamEvent, JetstreamStats};
pub use network::{Bluesky, LIMITS};
pub use xrpc::{
    detect_facets, FacetKind, NewImage, NewPost, PublishedPost, RecordRef, ReplyRef, Session, Tid, XrpcClient,
};

/// Waits before reconnecting a stream: the current delay less up to a quarter of jitter (so
/// that clients dropped together do not come back together), then doubles the delay up to a
/// minute. Returns `false` when `shutdown` asked to stop meanwhile.
pub(crate) async fn back_off(
    backoff: &mut std::time::Duration,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> bool {
    let jitter = rand::random::<f64>() * 0.25 + 0.75;
    let go_on = tokio::select! {
        _ = tokio::time::sleep(backoff.mul_f64(jitter)) => true,
        _ = shutdown.changed() => false,
    };
    *backoff = (*backoff * 2).min(std::time::Duration::from_secs(60));
    go_on
}
