//! Mastodon for Tutti: public and hashtag streams of a Mastodon instance (or any server that
//! speaks its client API) as a listening source, and the publishing connector ([`client`]:
//! statuses published exactly once with Mastodon's `Idempotency-Key`), with the account's
//! notification stream as the inbox's doorbell ([`bell`]).
//!
//! **Key design decision: resuming without a resume cursor.** Mastodon's streaming API
//! (server-sent events on `/api/v1/streaming/…`) pushes new statuses but cannot replay: a
//! dropped connection or a restart would lose whatever was posted in between. The client
//! therefore keeps its place itself, with the id of the newest status it has handled (status
//! ids are snowflakes: numeric, increasing with time; a longer id is newer). On every
//! connection it
//!
//! 1. opens the event stream first, so that what is posted meanwhile waits in the connection;
//! 2. backfills from the REST timeline holding the same statuses
//!    (`/api/v1/timelines/public[?local=true]`, `/api/v1/timelines/tag/:tag`), paging with
//!    `min_id` — the statuses *immediately* newer than the cursor, oldest first — until a page
//!    brings nothing new (`since_id` would return the *newest* page and leave a gap when more
//!    than a page behind; the `Link` header is not followed, so that the token never leaves the
//!    instance);
//! 3. reads the stream, dropping every status already handled.
//!
//! "Already handled" means: at or below the *floor* (the cursor the run started from), or among
//! the ids delivered during this run (the last [`streaming::REMEMBERED_IDS`] of them). Comparing
//! with the floor rather than the latest cursor matters: Mastodon gives a federated status an id
//! derived from its publication time, so statuses routinely arrive slightly out of id order,
//! and a plain "drop ids ≤ cursor" rule would lose them. For the same reason a backfill starts
//! [`Streaming::late_window`] before the cursor (never below the floor). So a dropped connection
//! or a restart from the stored cursor loses nothing the timeline shows and delivers nothing
//! twice. What cannot be recovered: deletions and edits made while disconnected (the timelines
//! only list statuses), and, after a restart, federated statuses that arrived late with ids
//! below the stored cursor.
//!
//! Without a stored cursor the client starts at the newest status of the timeline: it listens
//! from now on and does not replay history. Each [`MastodonEvent::Post`] carries the cursor to
//! store once it is handled. Reblogs are skipped (they carry no text of their own, and the
//! public and hashtag timelines never list them). Malformed or oversized statuses and events
//! are counted and skipped, never fatal; errors reconnect with exponential backoff and jitter,
//! and a `429` waits as long as `Retry-After` / `X-RateLimit-Reset` ask.

pub mod bell;
pub mod client;
mod network;
pub mod sse;
pub mod status;
pub mod streaming;

pub use bell::NotificationBell;
pub use client::{
    check_status, countable_length, Instance, InstanceLimits, MastodonClient, NewMedia, NewPoll, NewStatus,
    Notification, NotificationKind, PublishedStatus, Reconciled, StatusCounts, Visibility,
};
pub use network::{mentions_in, Mastodon, LIMITS};
pub use status::{parse_status, MastodonPost, ParsedStatus, StatusError, StatusId};
pub use streaming::{ConfigError, MastodonEvent, MastodonStats, Stream, Streaming};
