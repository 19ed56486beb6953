//! Channel health: a channel whose credentials a network refuses says so.
//!
//! Every connector call that the network refuses for authentication (a publish, an inbox
//! read, a like, a moderation action) marks the channel "needs reconnecting" with the
//! network's own words, in one compare-and-set: the first refusal changes the status and
//! writes the notices for the people who can reconnect it (with one `notice.deliver` job each
//! for the e-mail); every later refusal finds the channel already marked and writes nothing.
//! Reconnecting the channel (`App::reconnect_channel`) sets it back to `ok`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tracing::warn;
use tutti_connector::ConnectorError;
use tutti_domain::ChannelStatus;
use tutti_store::changes::Topic;
use tutti_store::publishing::{self, Channel};
use tutti_store::{jobs, now_ms, Db, Store, StoreError};

use crate::connectors::Connectors;

/// The longest network message kept on a channel, in characters (it is text from outside).
pub const MAX_MESSAGE_CHARS: usize = 500;

/// Marks `channel` as needing reconnection because the network said `message`, in `db` (a
/// transaction); on the first refusal, notifies the people who can fix it. Returns whether
/// this call marked it (`false`: it already was).
pub async fn mark_refused(
    store: &Store,
    db: &mut Db,
    channel: &Channel,
    message: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let message = tutti_domain::input::clip(message, MAX_MESSAGE_CHARS);
    if !publishing::set_channel_status(db, channel.id, ChannelStatus::NeedsReconnect, Some(&message)).await? {
        return Ok(false);
    }
    // First refusal: tell the people who can reconnect it, in the app and by e-mail.
    for notice in tutti_app::notices::channel_needs_reconnect(db, channel, &message).await? {
        let payload = serde_json::json!({ "notice": notice }).to_string();
        let key = format!("notice:{notice}");
        jobs::enqueue(db, crate::NOTICE_QUEUE, Some(&key), &payload, now).await?;
    }
    store.announce(db, channel.workspace_id, Topic::Notices).await?;
    Ok(true)
}

/// [`mark_refused`] in a transaction of its own, then forgets the channel's connector (its
/// session is dead; reconnecting opens a new one).
pub async fn refused(
    store: &Store,
    connectors: &Connectors,
    channel: &Channel,
    message: &str,
) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    let marked = mark_refused(store, &mut tx, channel, message, now_ms()).await?;
    tx.commit().await?;
    connectors.forget(channel.id).await;
    if marked {
        warn!(channel = %channel.handle, %message, "the network refused the channel's credentials: it needs reconnecting");
    }
    Ok(marked)
}

/// The time, in milliseconds since the epoch, as a process's tasks see it; tests drive it.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system's clock.
pub fn system_clock() -> Clock {
    Arc::new(now_ms)
}

/// The first pause after a failed read, in milliseconds; it doubles with each failure.
pub const READ_BACKOFF_BASE_MS: i64 = 2_000;
/// The longest pause between two reads of a failing channel, in milliseconds.
pub const READ_BACKOFF_CAP_MS: i64 = 5 * 60_000;

/// How long to wait before reading again a channel whose last `failures` reads failed.
pub fn read_delay_ms(failures: u32) -> i64 {
    let doublings = failures.saturating_sub(1).min(20);
    (READ_BACKOFF_BASE_MS << doublings).min(READ_BACKOFF_CAP_MS)
}

/// The reads of each channel that failed in a row, so that a failing channel is read less and
/// less often (exponential backoff) instead of every pass; a success, or the channel leaving
/// the readable ones (marked, reconnected, removed), starts it afresh.
#[derive(Debug, Default, Clone)]
pub struct ReadBackoff {
    /// Channel id → (failures in a row, not before this time in ms).
    failing: Arc<Mutex<HashMap<i64, (u32, i64)>>>,
}

impl ReadBackoff {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (u32, i64)>> {
        self.failing.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the channel may be read at `now`.
    pub fn ready(&self, channel_id: i64, now: i64) -> bool {
        self.lock().get(&channel_id).is_none_or(|&(_, not_before)| now >= not_before)
    }

    /// Notes a failed read at `now`; returns when the channel may be read again. A rate limit
    /// waits at least as long as the network asked.
    pub fn failed(&self, channel_id: i64, now: i64, error: Option<&ConnectorError>) -> i64 {
        let mut failing = self.lock();
        let entry = failing.entry(channel_id).or_insert((0, now));
        entry.0 = entry.0.saturating_add(1);
        let mut delay = read_delay_ms(entry.0);
        if let Some(ConnectorError::RateLimited { retry_after_secs }) = error {
            delay = delay.max(i64::try_from(*retry_after_secs).unwrap_or(i64::MAX / 2_000) * 1_000);
        }
        entry.1 = now.saturating_add(delay);
        entry.1
    }

    /// Notes a successful read: the channel is read at the normal pace again.
    pub fn succeeded(&self, channel_id: i64) {
        self.lock().remove(&channel_id);
    }

    /// Forgets the channels `keep` refuses (no longer read by this process, or not readable).
    pub fn retain(&self, keep: impl Fn(i64) -> bool) {
        self.lock().retain(|id, _| keep(*id));
    }

    /// The failures in a row of a channel (0 when its last read succeeded).
    pub fn failures(&self, channel_id: i64) -> u32 {
        self.lock().get(&channel_id).map_or(0, |&(n, _)| n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_channel_is_read_less_and_less_often_until_it_answers() {
        let delays: Vec<i64> = (1..=10).map(read_delay_ms).collect();
        assert_eq!(delays, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300].map(|s| s * 1000));
        let b = ReadBackoff::default();
        assert!(b.ready(7, 0));
        assert_eq!(b.failed(7, 1_000, None), 3_000);
        assert!(!b.ready(7, 2_999));
        assert!(b.ready(7, 3_000));
        assert_eq!(b.failed(7, 3_000, None), 7_000);
        let limited = ConnectorError::RateLimited { retry_after_secs: 60 };
        assert_eq!(b.failed(7, 7_000, Some(&limited)), 67_000, "the network's own delay");
        assert_eq!(b.failures(7), 3);
        b.succeeded(7);
        assert!(b.ready(7, 7_001));
        assert_eq!(b.failures(7), 0);
        b.failed(8, 0, None);
        b.retain(|id| id != 8);
        assert!(b.ready(8, 1), "a channel no longer read starts afresh");
    }
}
