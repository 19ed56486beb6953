//! The `Connector` trait: what Tutti asks of a social network, and the errors it can answer.
//!
//! Connectors are implemented one crate per network (Bluesky, Mastodon, …), each behind this
//! trait: publishing, the inbox (notifications, replies, likes, reposts) and its moderation
//! (hiding a reply, muting, blocking, reporting), analytics. Nothing outside a connector knows a network's wire format: the rest of Tutti sees
//! only the types defined here, so adding a network never touches the application, the store
//! or the worker. Errors are sorted by what the caller does about them (wait, retry, give up,
//! ask the person to reconnect the account) rather than by where they came from.

mod bell;
mod network;

use std::fmt;

use async_trait::async_trait;
pub use bell::{Bell, Ringing};
use chrono::{DateTime, Utc};
pub use network::{ChannelAccess, Counting, Limits, Mention, NetworkKind, Networks, ReadBudget, ServiceKind};
/// The outbound policy network kinds call under (re-exported for their implementers).
pub use tutti_addresses::Outbound;

/// A social network Tutti can publish to: one of the product's words, defined in the domain.
pub use tutti_domain::Network;

/// Who a connected account is, as the network reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProfile {
    /// The account's handle on the network (`alice.bsky.social`, `@alice@example.social`).
    pub handle: String,
    /// The name the account shows, when it has set one; both networks allow it to be empty.
    pub display_name: Option<String>,
    /// The account's stable id (a DID on Bluesky, an account id on Mastodon), which a handle
    /// change does not change.
    pub account_id: String,
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

/// The most images an [`OutgoingPost`] carries, whatever the network: each network's own
/// limit ([`Limits::images_max`]) is at most this.
pub const MAX_IMAGES: usize = 4;
/// The largest image Tutti sends to any network, in bytes: each network's own limit
/// ([`Limits::image_max_bytes`]) is at most this.
pub const MAX_IMAGE_BYTES: usize = 1_000_000;

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
    /// Seen only by the people it mentions (a Mastodon direct message); a network without
    /// private posts refuses it.
    pub direct: bool,
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
    /// Someone wrote to the account privately (Mastodon: a mention of direct visibility).
    Direct,
    /// Anything else: the network's own name for it.
    Other(String),
}

/// Something that happened to the account.
///
/// Every text field comes from the network and is hostile: connectors fill them through
/// [`clean_text`] and [`clean_line`], so that each is bounded and free of control characters
/// (but for the newlines of a post's text) and of characters that reorder text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The network's id for it (unique per account).
    pub id: String,
    /// What happened.
    pub kind: NotificationKind,
    /// Who did it: their handle (`alice.bsky.social`, `alice@example.social`).
    pub author_handle: String,
    /// Who did it: their stable id (a DID, a Mastodon account id): what [`Connector::mute`],
    /// [`Connector::block`] and [`ReportSubject`] take.
    pub author_id: String,
    /// The name they show, when they have set one (at most [`MAX_NAME_CHARS`] characters).
    pub author_name: Option<String>,
    /// When their account was created, when the network says (Bluesky: the profile's
    /// `createdAt`; Mastodon: the account's `created_at`, to the day).
    pub author_since: Option<DateTime<Utc>>,
    /// The post concerned: the author's own post for a reply, a mention or a quote (on Bluesky
    /// with its CID, so that it can be answered, liked or reposted without another lookup); the
    /// account's post liked or reposted for a like or a repost; none for a follow.
    pub post: Option<PostRef>,
    /// The text of the author's post, for a reply, a mention or a quote (at most
    /// [`MAX_TEXT_BYTES`] bytes).
    pub text: Option<String>,
    /// The language the author's post declares (its first, on Bluesky), a BCP 47 tag.
    pub lang: Option<String>,
    /// For a post that answers another: the post it answers (Bluesky: the record's
    /// `reply.parent`, with its CID; Mastodon: `in_reply_to_id`).
    pub reply_parent: Option<PostRef>,
    /// For a post that answers another: the first post of the thread (Bluesky: the record's
    /// `reply.root`, with its CID; Mastodon does not say, so `None`).
    pub reply_root: Option<PostRef>,
    /// For a like, a repost or a quote: the account's own post concerned (with its CID on
    /// Bluesky when the network gives it).
    pub subject: Option<PostRef>,
    /// When it happened (when the network recorded it).
    pub at: DateTime<Utc>,
}

/// The longest text kept from a notification's post, in bytes.
pub const MAX_TEXT_BYTES: usize = 3_000;
/// The longest name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Characters that are invisible or reorder the text around them: bidirectional embeddings,
/// overrides and isolates, and the byte order mark.
fn reorders(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// `text` from a network made safe to keep and show: control characters dropped but for `\n`
/// (`\r\n` and `\r` become `\n`, tabs a space), characters that reorder text dropped, at
/// most `max_bytes` bytes (cut at a character boundary).
pub fn clean_text(text: &str, max_bytes: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_bytes));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let c = match c {
            '\r' if chars.peek() == Some(&'\n') => continue,
            '\r' | '\n' | '\u{2028}' | '\u{2029}' => '\n',
            '\t' => ' ',
            c if c.is_control() || reorders(c) => continue,
            c => c,
        };
        if out.len() + c.len_utf8() > max_bytes {
            break;
        }
        out.push(c);
    }
    out
}

/// A name or a handle from a network made safe: as [`clean_text`], on one line (white space
/// collapsed, zero-width characters dropped too), trimmed, at most `max_chars` characters.
pub fn clean_line(text: &str, max_chars: usize) -> String {
    let zero_width = |c: char| matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}');
    let mut out = String::new();
    let mut count = 0;
    // A bound on the work a hostile input causes.
    let considered = clean_text(text, max_chars.saturating_mul(8).max(64));
    for word in considered.split_whitespace() {
        let word: String = word.chars().filter(|&c| !zero_width(c)).collect();
        if word.is_empty() {
            continue;
        }
        let separator = (!out.is_empty()).then_some(' ');
        for c in separator.into_iter().chain(word.chars()) {
            if count == max_chars {
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

/// Who or what a report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportSubject {
    /// An account, by its stable id (a DID, a Mastodon account id).
    Account(String),
    /// A post, and its author's stable id (Mastodon reports name the account with its posts).
    Post {
        /// The post.
        post: PostRef,
        /// Its author's stable id.
        author_id: String,
    },
}

/// Why something is reported, in the terms both networks share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportReason {
    /// Spam, unwanted commercial content, excessive mentions.
    Spam,
    /// Rude, harassing, or otherwise abusive towards the account or others.
    Abusive,
    /// Anything else; say what in the comment.
    Other,
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

    /// The interactions of several posts, in order, each its own result. The default asks
    /// [`Connector::engagement`] for each; a network that reads several posts in one call
    /// overrides it (Bluesky: 25 per `getPosts`). It stops at the first rate limit or refused
    /// credentials, whose error is then the last element: fewer results than posts means the
    /// rest were not asked.
    async fn engagements(&self, posts: &[PostRef]) -> Vec<Result<Engagement, ConnectorError>> {
        let mut out = Vec::with_capacity(posts.len());
        for post in posts {
            let result = self.engagement(post).await;
            let stop =
                matches!(result, Err(ConnectorError::RateLimited { .. } | ConnectorError::Unauthorized(_)));
            out.push(result);
            if stop {
                break;
            }
        }
        out
    }

    /// The account's followers, follows and posts.
    async fn profile_counts(&self) -> Result<ProfileCounts, ConnectorError>;

    /// The account's notifications after the cursor `since` (the latest when `None`), oldest
    /// first, a bounded number per call, and the cursor to pass next time (`since` again when
    /// nothing new came; `None` only when there never was anything). Store the cursor with
    /// what was delivered: calling again with it never delivers a notification twice, and
    /// skips none within the limits each connector documents, across restarts too.
    async fn notifications(
        &self,
        since: Option<&str>,
    ) -> Result<(Vec<Notification>, Option<String>), ConnectorError>;

    /// Hides `reply`, an answer in the thread of `root`, one of the account's own posts, from
    /// those who read the thread (again: no effect). Networks without a way to hide someone
    /// else's reply answer [`ConnectorError::Permanent`] saying so.
    async fn hide_reply(&self, root: &PostRef, reply: &PostRef) -> Result<(), ConnectorError>;

    /// Shows again a reply that [`Connector::hide_reply`] hid (one not hidden: no effect).
    async fn unhide_reply(&self, root: &PostRef, reply: &PostRef) -> Result<(), ConnectorError>;

    /// Mutes the account `author_id` (a [`Notification::author_id`]): the account no longer
    /// sees its posts or notifications from it. Muting again has no effect.
    async fn mute(&self, author_id: &str) -> Result<(), ConnectorError>;

    /// Undoes [`Connector::mute`] (an account not muted: no effect).
    async fn unmute(&self, author_id: &str) -> Result<(), ConnectorError>;

    /// Blocks the account `author_id`; returns the block on networks where it is a record of
    /// its own (Bluesky: [`Connector::delete`] removes it too), else a reference to the account
    /// itself, which must not be passed to `delete`. Use [`Connector::unblock`] to undo it.
    async fn block(&self, author_id: &str) -> Result<PostRef, ConnectorError>;

    /// Undoes every block of the account `author_id` by this account (none: no effect).
    async fn unblock(&self, author_id: &str) -> Result<(), ConnectorError>;

    /// Reports `subject` to the network's moderators for `reason`, with `comment` (may be
    /// empty) in the person's words; returns the network's id for the report.
    async fn report(
        &self,
        subject: &ReportSubject,
        reason: ReportReason,
        comment: &str,
    ) -> Result<String, ConnectorError>;
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
    fn network_text_is_bounded_and_inert() {
        assert_eq!(
            clean_text("a\r\nb\rc\u{2028}d\te\u{0}\u{1b}[31m\u{202E}f\u{2066}", 100),
            "a\nb\nc\nd e[31mf"
        );
        // Emoji sequences keep their joiners; the cut never splits a character.
        assert_eq!(clean_text("👨‍👩‍👧", 100), "👨‍👩‍👧");
        assert_eq!(clean_text("ééé", 5), "éé");
        assert_eq!(clean_text("", 0), "");
        assert_eq!(clean_line("  Alice\n\u{200B}\u{202E}  the\tGreat  ", 100), "Alice the Great");
        assert_eq!(clean_line("Alice the Great", 9), "Alice the");
        assert_eq!(clean_line("\u{200B}\u{7}", 10), "");
        assert_eq!(clean_line(&"x".repeat(100_000), 3), "xxx");
    }

    #[test]
    fn network_names_are_stable_lowercase_words() {
        assert_eq!(Network::Bluesky.as_str(), "bluesky");
        assert_eq!(Network::Mastodon.to_string(), "mastodon");
    }
}
