//! The `Connector` trait: what Tutti asks of a social network, and the errors it can answer.
//!
//! Connectors are implemented one crate per network (Bluesky, Mastodon, …), each behind this
//! trait. Nothing outside a connector knows a network's wire format: the rest of Tutti sees
//! only the types defined here, so adding a network never touches the application, the store
//! or the worker. Errors are sorted by what the caller does about them (wait, retry, give up,
//! ask the person to reconnect the account) rather than by where they came from.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

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

/// An image to attach to an [`OutgoingPost`].
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingImage {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Its media type: `image/png`, `image/jpeg`, …
    pub mime: String,
    /// The description read to those who cannot see it (alt text); empty for none.
    pub alt: String,
}

impl fmt::Debug for OutgoingImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingImage")
            .field("bytes", &self.bytes.len())
            .field("mime", &self.mime)
            .field("alt", &self.alt)
            .finish()
    }
}

/// A post to publish, in no network's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutgoingPost {
    /// The text; links, hashtags and mentions in it are recognised by each connector.
    pub text: String,
    /// Its languages (BCP 47 tags); a network that takes one uses the first.
    pub langs: Vec<String>,
    /// Images, in order.
    pub images: Vec<OutgoingImage>,
    /// The post it answers, if it is a reply.
    pub reply_to: Option<PostRef>,
}

impl OutgoingPost {
    /// A post of plain text.
    pub fn new(text: impl Into<String>) -> OutgoingPost {
        OutgoingPost { text: text.into(), ..OutgoingPost::default() }
    }
}

/// A post (or a like, a repost) on a network.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PostRef {
    /// Its id: the `at://` URI on Bluesky, the status id on Mastodon.
    pub id: String,
    /// The CID of its content, on networks that have one (Bluesky); connectors look it up
    /// when it is missing and they need it.
    pub cid: Option<String>,
}

impl PostRef {
    /// A reference by id alone.
    pub fn id(id: impl Into<String>) -> PostRef {
        PostRef { id: id.into(), cid: None }
    }
}

/// A post as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The post.
    pub post: PostRef,
    /// Its web page.
    pub url: String,
}

/// The interactions a post has received, as the network counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Engagement {
    /// Direct replies.
    pub replies: u64,
    /// Reposts (boosts, reblogs).
    pub reposts: u64,
    /// Likes (favourites).
    pub likes: u64,
    /// Quotes, when the network counts them.
    pub quotes: Option<u64>,
}

/// The account's own counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProfileCounts {
    /// Accounts following it.
    pub followers: u64,
    /// Accounts it follows.
    pub following: u64,
    /// Its posts.
    pub posts: u64,
}

/// What a [`Notification`] is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// Someone replied to one of the account's posts.
    Reply,
    /// Someone mentioned the account.
    Mention,
    /// Someone quoted one of the account's posts.
    Quote,
    /// Someone reposted one of the account's posts.
    Repost,
    /// Someone liked one of the account's posts.
    Like,
    /// Someone followed the account.
    Follow,
    /// Anything else: the network's own name for it.
    Other(String),
}

/// Something that happened to the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The network's id for it (unique per account).
    pub id: String,
    /// What happened.
    pub kind: NotificationKind,
    /// Who did it: their handle (`alice.bsky.social`, `alice@example.social`).
    pub author_handle: String,
    /// Who did it: their stable id (a DID, a Mastodon account id).
    pub author_id: String,
    /// The post concerned: the author's own post for a reply, a mention or a quote; the
    /// account's post liked or reposted for a like or a repost; none for a follow.
    pub post: Option<PostRef>,
    /// The text of the author's post, for a reply, a mention or a quote.
    pub text: Option<String>,
    /// When it happened (when the network recorded it).
    pub at: DateTime<Utc>,
}

/// One connected account on one social network.
///
/// Implementations hold the account's credentials and an HTTP client; they are shared between
/// tasks, hence `Send + Sync`. Every answer is read within a bound, and every failure is a
/// [`ConnectorError`] sorted by what the caller does about it.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The network this connector talks to.
    fn network(&self) -> Network;

    /// Checks that the credentials work and returns who the account is.
    async fn verify(&self) -> Result<AccountProfile, ConnectorError>;

    /// Publishes `post` exactly once. `key` is the idempotency key the caller chose and stored
    /// before the call (a record key on Bluesky, an `Idempotency-Key` on Mastodon): repeating
    /// the call with the same key never posts twice.
    async fn publish(&self, post: &OutgoingPost, key: &str) -> Result<Published, ConnectorError>;

    /// Settles a publication whose outcome is unknown, first sent with `key` at `first_sent`:
    /// the post if the network holds it (or, where that is safe, holds it now), `None` if it
    /// certainly does not.
    async fn reconcile(
        &self,
        post: &OutgoingPost,
        key: &str,
        first_sent: DateTime<Utc>,
    ) -> Result<Option<Published>, ConnectorError>;

    /// Deletes one of the account's posts (or, on Bluesky, its like or repost records); one
    /// already gone counts as deleted.
    async fn delete(&self, post: &PostRef) -> Result<(), ConnectorError>;

    /// Likes `post`; returns what undoes it on networks where a like is a record of its own
    /// (Bluesky), else the post itself.
    async fn like(&self, post: &PostRef) -> Result<PostRef, ConnectorError>;

    /// Reposts `post`; returns the repost.
    async fn repost(&self, post: &PostRef) -> Result<PostRef, ConnectorError>;

    /// The interactions `post` has received.
    async fn engagement(&self, post: &PostRef) -> Result<Engagement, ConnectorError>;

    /// The account's followers, follows and posts.
    async fn profile_counts(&self) -> Result<ProfileCounts, ConnectorError>;

    /// The account's notifications after the cursor `since` (the latest when `None`), oldest
    /// first, a bounded number per call, and the cursor to pass next time (`since` again when
    /// nothing new came; `None` only when there never was anything).
    async fn notifications(
        &self,
        since: Option<&str>,
    ) -> Result<(Vec<Notification>, Option<String>), ConnectorError>;
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
