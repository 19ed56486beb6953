//! Bluesky for Tutti. Today: the Jetstream firehose (JSON over a websocket) as a listening
//! source. The AT Protocol connector for publishing will live here too.
//!
//! **Key design decision.** Jetstream stamps every event with `time_us`, increasing, and
//! replays from any `cursor` it is given. The client therefore keeps one number: the `time_us`
//! of the last event it delivered. After a dropped connection or a restart it reconnects with
//! that cursor and skips every event at or before it, so the stream resumes with no gap and no
//! duplicate. Malformed or oversized events are counted and skipped, never fatal.

pub mod jetstream;

pub use jetstream::{BlueskyPost, EventError, Jetstream, JetstreamEvent, JetstreamStats};
