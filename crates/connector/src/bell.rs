//! A channel's doorbell: what a network that pushes news (Mastodon's notification stream)
//! shares with the inbox reader holding the channel. The network's task rings it; the reader
//! reads the channel from its stored cursor when it rang, and polls while it is not connected.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// The task that listens for a channel's news and rings its [`Bell`]; it runs until dropped.
pub type Ringing = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a network's listening task shares with the channel's reader.
#[derive(Debug, Default)]
pub struct Bell {
    rang: AtomicBool,
    connected: AtomicBool,
    rings: AtomicU64,
}

impl Bell {
    /// A bell that has not rung.
    pub fn new() -> Arc<Bell> {
        Arc::default()
    }

    /// Whether it rang since the last call (and forgets it).
    pub fn take(&self) -> bool {
        self.rang.swap(false, Ordering::AcqRel)
    }

    /// Whether the listening task is connected now.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// How many times it rang.
    pub fn rings(&self) -> u64 {
        self.rings.load(Ordering::Relaxed)
    }

    /// Rings: the account has news (or the task has just connected, and news may have come
    /// while it was away).
    pub fn ring(&self) {
        self.rang.store(true, Ordering::Release);
        self.rings.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes whether the listening task is connected.
    pub fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_is_taken_once_and_counted() {
        let bell = Bell::new();
        assert!(!bell.take());
        bell.ring();
        bell.ring();
        assert!(bell.take());
        assert!(!bell.take(), "taken");
        assert_eq!(bell.rings(), 2);
        assert!(!bell.connected());
        bell.set_connected(true);
        assert!(bell.connected());
    }
}
