//! The `Connector` trait: what Tutti asks of a social network, and the errors it can answer.
//!
//! Connectors are implemented one crate per network (Bluesky, Mastodon, …), each behind this
//! trait. Nothing outside a connector knows a network's wire format: the rest of Tutti sees
//! only the types defined here, so adding a network never touches the application, the store
//! or the worker. Errors are sorted by what the caller does about them (wait, retry, give up,
//! ask the person to reconnect the account) rather than by where they came from.

use std::fmt;

use async_trait::async_trait;

/// A social network Tutti can publish to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    /// Bluesky, over the AT Protocol.
    Bluesky,
    /// Mastodon and compatible servers.
    Mastodon,
}

impl Network {
    /// The stable lowercase name stored in the database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Bluesky => "bluesky",
            Network::Mastodon => "mastodon",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a connected account is, as the network reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProfile {
    /// The account's handle on the network (`alice.bsky.social`, `@alice@example.social`).
    pub handle: String,
    /// The name the account shows, when it has set one; both networks allow it to be empty.
    pub display_name: Option<String>,
}

/// What went wrong talking to a network, split by what the caller should do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// The network asked us to slow down; try again after the given delay.
    #[error("rate limited by the network; retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds to wait, from the network's own hint or a conservative default.
        retry_after_secs: u64,
    },
    /// A failure that may pass on its own (timeout, connection reset, server error).
    #[error("temporary network failure: {0}")]
    Transient(String),
    /// The network refused the request itself; repeating it would fail the same way. Holds
    /// the network's own message so that it can be shown to the person.
    #[error("the network refused the request: {0}")]
    Permanent(String),
    /// The account's credentials were rejected or revoked; someone must reconnect it.
    #[error("the network rejected the account's credentials: {0}")]
    Unauthorized(String),
}

impl ConnectorError {
    /// Whether trying the same request again later can succeed without anyone's help.
    pub fn is_retryable(&self) -> bool {
        match self {
            ConnectorError::RateLimited { .. } | ConnectorError::Transient(_) => true,
            ConnectorError::Permanent(_) | ConnectorError::Unauthorized(_) => false,
        }
    }
}

/// What a network's last answer said about its rate limit (Bluesky's `ratelimit-*` headers,
/// Mastodon's `X-RateLimit-*`). Each field is `None` when the network did not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimit {
    /// Requests (or points) allowed in the current window.
    pub limit: Option<u64>,
    /// What is left of them.
    pub remaining: Option<u64>,
    /// When the window starts afresh, in seconds since the Unix epoch.
    pub reset_at_unix: Option<i64>,
}

impl RateLimit {
    /// Whether nothing is left in the current window.
    pub fn is_exhausted(&self) -> bool {
        self.remaining == Some(0)
    }

    /// Seconds from `now_unix` until the window resets (0 if it already has), when known.
    pub fn secs_until_reset(&self, now_unix: i64) -> Option<u64> {
        self.reset_at_unix.map(|reset| u64::try_from(reset.saturating_sub(now_unix)).unwrap_or(0))
    }
}

/// One connected account on one social network.
///
/// Implementations hold the account's credentials and an HTTP client; they are shared between
/// tasks, hence `Send + Sync`.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The network this connector talks to.
    fn network(&self) -> Network;

    /// Checks that the credentials work and returns who the account is.
    async fn verify(&self) -> Result<AccountProfile, ConnectorError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rate_limits_and_transient_failures_are_retryable() {
        let cases = [
            (ConnectorError::RateLimited { retry_after_secs: 0 }, true),
            (ConnectorError::RateLimited { retry_after_secs: 900 }, true),
            (ConnectorError::Transient("connection reset".into()), true),
            (ConnectorError::Permanent("post is too long".into()), false),
            (ConnectorError::Unauthorized("token revoked".into()), false),
        ];
        for (error, retryable) in cases {
            assert_eq!(error.is_retryable(), retryable, "{error:?}");
        }
    }

    #[test]
    fn rate_limits_tell_how_long_until_their_window_resets() {
        let cases = [
            (RateLimit::default(), 1_000, None, false),
            (
                RateLimit { limit: Some(3000), remaining: Some(0), reset_at_unix: Some(1_300) },
                1_000,
                Some(300),
                true,
            ),
            (RateLimit { limit: None, remaining: Some(12), reset_at_unix: Some(900) }, 1_000, Some(0), false),
        ];
        for (limit, now, secs, exhausted) in cases {
            assert_eq!(limit.secs_until_reset(now), secs, "{limit:?}");
            assert_eq!(limit.is_exhausted(), exhausted, "{limit:?}");
        }
    }

    #[test]
    fn network_names_are_stable_lowercase_words() {
        assert_eq!(Network::Bluesky.as_str(), "bluesky");
        assert_eq!(Network::Mastodon.to_string(), "mastodon");
    }
}
