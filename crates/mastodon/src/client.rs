//! The publishing connector: Mastodon's client API for one account (an instance and an access
//! token), behind the [`Connector`](tutti_connector::Connector) trait (in `client::connector`).
//!
//! **Exactly once.** `POST /api/v1/statuses` accepts an `Idempotency-Key` header: the instance
//! remembers, for one hour after creating a status, which status the key created, and answers
//! a later request with the same key by returning that status instead of creating another
//! (current Mastodon holds a lock on the key while the first request runs, so a concurrent
//! repeat gets a 503 rather than a second status). The caller therefore chooses the key and
//! stores it *before* calling [`MastodonClient::publish`]. When the outcome is unknown — the
//! request timed out or the connection dropped after it was sent, or a 5xx came back — the only
//! safe retry on Mastodon is **the same request with the same key**: Mastodon has no endpoint to
//! look a key up, and any other retry can post twice. [`MastodonClient::reconcile`] does that
//! while the key is alive (within [`RESEND_WINDOW`] of the first attempt); after that the key
//! has expired and a repeat would create a second status, so it looks for the status among
//! the account's own recent ones instead ([`MastodonClient::find_recent`]) and reports
//! [`Reconciled::NotFound`] if it is not there. Media are uploaded before the status; a retry
//! uploads them again (if the first status was created the instance returns it unchanged, and
//! the unattached uploads are deleted by the instance's own clean-up a day later).
//!
//! Everything the instance would refuse for sure is refused before any request, with a
//! [`ConnectorError::Permanent`] naming the limit ([`check_status`]): the text is counted the
//! way Mastodon counts it ([`countable_length`]: grapheme clusters of content warning and text,
//! each link as `characters_reserved_per_url`, each `@user@domain` as `@user`) against the
//! instance's `max_characters`, read once from `/api/v2/instance` and cached
//! ([`MastodonClient::instance`]); media count, sizes, types and descriptions, and polls are
//! checked against the same limits.
//!
//! Answers are read up to [`MAX_RESPONSE_BYTES`] and sorted into [`ConnectorError`]s: 429 →
//! `RateLimited` (after `Retry-After` or `X-RateLimit-Reset`, whichever is later); 5xx, 408,
//! timeouts and connection failures → `Transient`; 401, or 403 with an `invalid_token` or
//! `insufficient_scope` challenge → `Unauthorized`; 422 and every other 4xx → `Permanent` with
//! the instance's own `error` message (in the account's language). The `X-RateLimit-*` headers
//! of the latest answer are kept ([`MastodonClient::last_rate_limit`]). The token only ever
//! goes to the instance (redirects are not followed) and never appears in `Debug` output.

mod connector;
pub mod count;
mod multipart;
mod notifications;

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;
use tutti_outbound::Clients as _;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};
use serde_json::{json, Value};
use tutti_connector::{AccountProfile, ConnectorError, RateLimit};
use unicode_segmentation::UnicodeSegmentation;

use crate::status::{clean_line, cut, parse_status_value, web_url, ParsedStatus, StatusId};
use crate::streaming::rate_limit_delay;
pub use count::{countable_length, DEFAULT_CHARACTERS_RESERVED_PER_URL};
use multipart::Form;
pub use notifications::{parse_notification, Notification, NotificationKind};

/// The largest answer read from the instance.
pub const MAX_RESPONSE_BYTES: usize = 2 * 1024 * 1024;
/// How long Mastodon remembers an `Idempotency-Key` after creating the status.
pub const IDEMPOTENCY_KEY_LIFETIME: Duration = Duration::from_secs(3_600);
/// How long after a first attempt [`MastodonClient::reconcile`] still repeats the request with
/// the same key: the key's lifetime less a margin for slow requests and queues.
pub const RESEND_WINDOW: Duration = Duration::from_secs(55 * 60);
/// The longest `Idempotency-Key` accepted, in bytes.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 200;
/// How long to wait when the instance asks us to slow down without saying for how long.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 60;
/// How many pages of the account's statuses [`MastodonClient::find_recent`] reads at most.
pub const FIND_RECENT_PAGES: usize = 5;

const PAGE_LIMIT: &str = "40";
const MAX_MESSAGE_BYTES: usize = 512;
const MAX_ACCT_CHARS: usize = 300;
const MAX_NAME_CHARS: usize = 200;
const MAX_ID_BYTES: usize = 64;
/// How far before `since` [`MastodonClient::find_recent`] looks, for clocks that disagree.
const CLOCK_SLACK: chrono::Duration = chrono::Duration::minutes(2);
/// How much of a status's text [`MastodonClient::reconcile`] compares.
const RECONCILE_PREFIX_CHARS: usize = 100;

/// Who may see a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Everyone, in the public timelines too.
    Public,
    /// Everyone, but kept out of the public timelines ("quiet public").
    Unlisted,
    /// The account's followers.
    Private,
    /// Only the accounts mentioned.
    Direct,
}

impl Visibility {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }
}

/// A file to attach: an image, a video or a sound.
#[derive(Clone, PartialEq, Eq)]
pub struct NewMedia {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Its media type: `image/png`, `video/mp4`, …
    pub mime_type: String,
    /// The description read to those who cannot see it (alt text); empty for none.
    pub description: String,
    /// The file name sent with it (reduced to safe ASCII), if any.
    pub file_name: Option<String>,
}

impl fmt::Debug for NewMedia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewMedia")
            .field("bytes", &self.bytes.len())
            .field("mime_type", &self.mime_type)
            .field("description", &self.description)
            .field("file_name", &self.file_name)
            .finish()
    }
}

/// A poll to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPoll {
    /// The choices, in order.
    pub options: Vec<String>,
    /// How long the poll stays open.
    pub expires_in: Duration,
    /// Whether several choices may be made.
    pub multiple: bool,
    /// Whether the totals stay hidden until the poll closes.
    pub hide_totals: bool,
}

/// A status to publish.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewStatus {
    /// The text (plain; links, hashtags and mentions are recognised by the instance).
    pub text: String,
    /// A content warning shown instead of the text until opened.
    pub spoiler_text: Option<String>,
    /// The language of the text (ISO 639, `en`, `pt`).
    pub language: Option<String>,
    /// Who may see it; the account's default when `None`.
    pub visibility: Option<Visibility>,
    /// The status it answers, for a reply or the next status of a thread.
    pub in_reply_to_id: Option<StatusId>,
    /// Whether the media are hidden behind a warning.
    pub sensitive: bool,
    /// Files to attach (not with a poll).
    pub media: Vec<NewMedia>,
    /// A poll to attach (not with media).
    pub poll: Option<NewPoll>,
}

impl NewStatus {
    /// A status of plain text.
    pub fn new(text: impl Into<String>) -> NewStatus {
        NewStatus { text: text.into(), ..NewStatus::default() }
    }
}

/// A published status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublishedStatus {
    /// Its id on the account's instance.
    pub id: StatusId,
    /// Its ActivityPub id, the same on every instance.
    pub uri: String,
    /// Its web page, if the instance gave one.
    pub url: Option<String>,
}

/// What an instance allows, from `/api/v2/instance` (`configuration`); Mastodon's defaults
/// where it does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceLimits {
    /// The longest status, as [`countable_length`] counts it.
    pub max_characters: usize,
    /// The most files per status.
    pub max_media_attachments: usize,
    /// What a link counts as.
    pub characters_reserved_per_url: usize,
    /// The largest image, in bytes.
    pub image_size_limit: u64,
    /// The largest video or sound, in bytes.
    pub video_size_limit: u64,
    /// The longest media description, in characters.
    pub description_limit: usize,
    /// The media types accepted; empty if the instance did not say (then any is tried).
    pub supported_mime_types: Vec<String>,
    /// The most choices per poll.
    pub poll_max_options: usize,
    /// The longest poll choice, in characters.
    pub poll_max_characters_per_option: usize,
    /// The shortest time a poll may stay open.
    pub poll_min_expiration: Duration,
    /// The longest time a poll may stay open.
    pub poll_max_expiration: Duration,
}

impl Default for InstanceLimits {
    /// Mastodon's defaults.
    fn default() -> InstanceLimits {
        InstanceLimits {
            max_characters: 500,
            max_media_attachments: 4,
            characters_reserved_per_url: DEFAULT_CHARACTERS_RESERVED_PER_URL,
            image_size_limit: 16 * 1024 * 1024,
            video_size_limit: 99 * 1024 * 1024,
            description_limit: 1_500,
            supported_mime_types: Vec::new(),
            poll_max_options: 4,
            poll_max_characters_per_option: 50,
            poll_min_expiration: Duration::from_secs(300),
            poll_max_expiration: Duration::from_secs(2_629_746),
        }
    }
}

/// What `/api/v2/instance` says about an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The domain in its accounts' handles (`mastodon.example`); may differ from the web
    /// address's host.
    pub domain: String,
    /// The software version it reports.
    pub version: String,
    /// What it allows.
    pub limits: InstanceLimits,
}

/// The interactions a status has received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusCounts {
    /// Replies.
    pub replies: u64,
    /// Reblogs (boosts).
    pub reblogs: u64,
    /// Favourites.
    pub favourites: u64,
}

/// What [`MastodonClient::reconcile`] found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// The status exists (created now or by the first attempt).
    Published(PublishedStatus),
    /// The key has expired and no recent status of the account matches: the first attempt
    /// did not create it.
    NotFound,
}

/// Checks everything the instance would refuse for sure, before any request.
pub fn check_status(post: &NewStatus, limits: &InstanceLimits) -> Result<(), ConnectorError> {
    let refuse = |why: String| Err(ConnectorError::Permanent(why));
    let spoiler = post.spoiler_text.as_deref().unwrap_or("");
    let per_url = limits.characters_reserved_per_url;
    let length = countable_length(&post.text, spoiler, per_url);
    if length > limits.max_characters {
        return refuse(format!(
            "the status is {length} characters long as Mastodon counts them (content warning \
             included, each link as {per_url}, mentions without their domain); this instance \
             allows at most {} characters",
            limits.max_characters
        ));
    }
    if post.text.trim().is_empty() && post.media.is_empty() {
        return refuse("a status needs text or media".into());
    }
    if let Some(language) = &post.language {
        let ok = (1..=16).contains(&language.len())
            && language.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return refuse(format!("not a language code: {:?}", cut(language, 32)));
        }
    }
    if post.media.len() > limits.max_media_attachments {
        return refuse(format!(
            "the status has {} media attachments; this instance allows at most {}",
            post.media.len(),
            limits.max_media_attachments
        ));
    }
    if !post.media.is_empty() && post.poll.is_some() {
        return refuse("a status cannot have both media attachments and a poll".into());
    }
    let timed = |m: &NewMedia| m.mime_type.starts_with("video/") || m.mime_type.starts_with("audio/");
    if post.media.len() > 1 && post.media.iter().any(timed) {
        return refuse("a video or a sound must be the status's only media attachment".into());
    }
    for (i, media) in post.media.iter().enumerate() {
        check_media(i + 1, media, limits)?;
    }
    if let Some(poll) = &post.poll {
        check_poll(poll, limits)?;
    }
    Ok(())
}

fn check_media(n: usize, media: &NewMedia, limits: &InstanceLimits) -> Result<(), ConnectorError> {
    let refuse = |why: String| Err(ConnectorError::Permanent(why));
    let mime = media.mime_type.as_str();
    if media.bytes.is_empty() {
        return refuse(format!("media attachment {n} is empty"));
    }
    let well_formed = mime.split_once('/').is_some_and(|(t, s)| {
        !t.is_empty()
            && !s.is_empty()
            && mime.len() <= 100
            && mime.bytes().all(|b| b.is_ascii_alphanumeric() || b"/.+-".contains(&b))
    });
    if !well_formed {
        return refuse(format!("media attachment {n} has no valid media type: {:?}", cut(mime, 100)));
    }
    if !limits.supported_mime_types.is_empty() && !limits.supported_mime_types.iter().any(|t| t == mime) {
        return refuse(format!("media attachment {n} is {mime}, which this instance does not accept"));
    }
    let size = media.bytes.len() as u64;
    let (kind, limit) = if mime.starts_with("image/") {
        ("image", limits.image_size_limit)
    } else {
        ("video or sound", limits.video_size_limit)
    };
    if size > limit {
        return refuse(format!(
            "media attachment {n} is {size} bytes; this instance allows at most {limit} bytes per {kind}"
        ));
    }
    let described = media.description.chars().count();
    if described > limits.description_limit {
        return refuse(format!(
            "the description of media attachment {n} is {described} characters long; this instance \
             allows at most {}",
            limits.description_limit
        ));
    }
    Ok(())
}

fn check_poll(poll: &NewPoll, limits: &InstanceLimits) -> Result<(), ConnectorError> {
    let refuse = |why: String| Err(ConnectorError::Permanent(why));
    let count = poll.options.len();
    if count < 2 || count > limits.poll_max_options {
        return refuse(format!(
            "the poll has {count} choices; this instance allows 2 to {}",
            limits.poll_max_options
        ));
    }
    for (i, option) in poll.options.iter().enumerate() {
        let length = option.graphemes(true).count();
        if option.trim().is_empty() || length > limits.poll_max_characters_per_option {
            return refuse(format!(
                "poll choice {} is {length} characters long; this instance allows 1 to {}",
                i + 1,
                limits.poll_max_characters_per_option
            ));
        }
        if poll.options[..i].contains(option) {
            return refuse(format!("poll choice {} repeats an earlier one", i + 1));
        }
    }
    if poll.expires_in < limits.poll_min_expiration || poll.expires_in > limits.poll_max_expiration {
        return refuse(format!(
            "the poll is open for {} s; this instance allows {} s to {} s",
            poll.expires_in.as_secs(),
            limits.poll_min_expiration.as_secs(),
            limits.poll_max_expiration.as_secs()
        ));
    }
    Ok(())
}

fn check_idempotency_key(key: &str) -> Result<(), ConnectorError> {
    let ok = !key.is_empty()
        && key.len() <= MAX_IDEMPOTENCY_KEY_BYTES
        && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(ConnectorError::Permanent(format!(
            "an idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_BYTES} visible ASCII characters"
        )))
    }
}

/// Reads Mastodon's rate-limit headers (`X-RateLimit-Limit`, `-Remaining`, and `-Reset`, an
/// RFC 3339 time); `None` if the answer has none.
pub fn rate_limit_from_headers(headers: &HeaderMap) -> Option<RateLimit> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let number = |name: &str| header(name).and_then(|v| v.parse::<u64>().ok());
    let limit = RateLimit {
        limit: number("x-ratelimit-limit"),
        remaining: number("x-ratelimit-remaining"),
        reset_at_unix: header("x-ratelimit-reset")
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.timestamp()),
    };
    (limit != RateLimit::default()).then_some(limit)
}

/// How long a 429 asks us to wait, in whole seconds (at least 1): the later of `Retry-After`
/// and `X-RateLimit-Reset`, else [`DEFAULT_RETRY_AFTER_SECS`].
fn retry_after_secs(headers: &HeaderMap, now: DateTime<Utc>) -> u64 {
    match rate_limit_delay(headers, now) {
        Some(wait) => (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
        None => DEFAULT_RETRY_AFTER_SECS,
    }
}

/// Sorts a refusal by what the caller does about it.
fn classify(status: u16, headers: &HeaderMap, message: Option<&str>, now: DateTime<Utc>) -> ConnectorError {
    let text = message
        .map(|m| clean_line(cut(m, MAX_MESSAGE_BYTES), MAX_MESSAGE_BYTES))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("HTTP {status}"));
    let challenge = headers.get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let token_refused = challenge.contains("invalid_token") || challenge.contains("insufficient_scope");
    match status {
        429 => ConnectorError::RateLimited { retry_after_secs: retry_after_secs(headers, now) },
        408 | 425 | 500..=599 => ConnectorError::Transient(format!("HTTP {status}: {text}")),
        401 => ConnectorError::Unauthorized(text),
        403 if token_refused => ConnectorError::Unauthorized(text),
        _ => ConnectorError::Permanent(text),
    }
}

/// `text` as it can be compared with a published status's plain text: mentions without their
/// domain (Mastodon shows `@user`), white space collapsed.
fn comparable(text: &str) -> String {
    count::without_mention_domains(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn str_field<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// An id from the instance that may go into a path: 1 to 64 ASCII letters and digits.
fn api_id(value: &Value) -> Option<String> {
    value
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| {
            !id.is_empty() && id.len() <= MAX_ID_BYTES && id.bytes().all(|b| b.is_ascii_alphanumeric())
        })
        .map(str::to_owned)
}

fn published(value: &Value, what: &str) -> Result<PublishedStatus, ConnectorError> {
    let id = value.get("id").and_then(Value::as_str).and_then(StatusId::parse);
    let uri = str_field(value, "uri").and_then(web_url);
    match (id, uri) {
        (Some(id), Some(uri)) => {
            Ok(PublishedStatus { id, uri, url: str_field(value, "url").and_then(web_url) })
        }
        _ => Err(ConnectorError::Transient(format!("{what}: the answer is not a status"))),
    }
}

/// Reads the limits out of `/api/v2/instance` (or `/api/v1/instance`, whose `configuration`
/// has the same shape since Mastodon 3.4).
fn parse_instance(value: &Value, fallback_domain: &str) -> Instance {
    let defaults = InstanceLimits::default();
    let config = value.get("configuration").unwrap_or(&Value::Null);
    let number = |pointer: &str| config.pointer(pointer).and_then(Value::as_u64).filter(|&n| n > 0);
    let size = |pointer: &str, default: usize| {
        number(pointer).and_then(|n| usize::try_from(n).ok()).map_or(default, |n| n.min(10_000_000))
    };
    let secs = |pointer: &str, default: Duration| number(pointer).map_or(default, Duration::from_secs);
    let supported_mime_types = config
        .pointer("/media_attachments/supported_mime_types")
        .and_then(Value::as_array)
        .map(|types| {
            types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| t.len() <= 100)
                .take(500)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let limits = InstanceLimits {
        max_characters: size("/statuses/max_characters", defaults.max_characters),
        max_media_attachments: size("/statuses/max_media_attachments", defaults.max_media_attachments),
        characters_reserved_per_url: config
            .pointer("/statuses/characters_reserved_per_url")
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .map_or(defaults.characters_reserved_per_url, |n| n.min(10_000)),
        image_size_limit: number("/media_attachments/image_size_limit").unwrap_or(defaults.image_size_limit),
        video_size_limit: number("/media_attachments/video_size_limit").unwrap_or(defaults.video_size_limit),
        description_limit: size("/media_attachments/description_limit", defaults.description_limit),
        supported_mime_types,
        poll_max_options: size("/polls/max_options", defaults.poll_max_options),
        poll_max_characters_per_option: size(
            "/polls/max_characters_per_option",
            defaults.poll_max_characters_per_option,
        ),
        poll_min_expiration: secs("/polls/min_expiration", defaults.poll_min_expiration),
        poll_max_expiration: secs("/polls/max_expiration", defaults.poll_max_expiration),
    };
    // v2 names the handles' domain `domain`; v1 calls it `uri`.
    let domain = str_field(value, "domain")
        .or_else(|| str_field(value, "uri"))
        .map(|d| clean_line(d, 253))
        .filter(|d| !d.is_empty() && !d.contains('/'))
        .unwrap_or_else(|| fallback_domain.to_owned());
    let version = str_field(value, "version").map(|v| clean_line(v, 100)).unwrap_or_default();
    Instance { domain, version, limits }
}

/// Orders Mastodon ids: a longer id is newer; ids of one length sort as text.
fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A refused or failed request: the error for the caller and the HTTP status, if one came.
#[derive(Debug)]
struct Failure {
    status: Option<u16>,
    error: ConnectorError,
}

impl Failure {
    fn transient(what: String) -> Failure {
        Failure { status: None, error: ConnectorError::Transient(what) }
    }

    fn sending(what: &str, e: &tutti_outbound::Error) -> Failure {
        match e {
            tutti_outbound::Error::Refused(why) => Failure {
                status: None,
                error: ConnectorError::Permanent(
                    cut(&format!("{what} refused by the outbound policy: {why}"), MAX_MESSAGE_BYTES)
                        .to_owned(),
                ),
            },
            tutti_outbound::Error::Http(e) => Failure::transport(what, e),
        }
    }

    fn transport(what: &str, e: &reqwest::Error) -> Failure {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        let how = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else {
            "failed"
        };
        Failure::transient(format!("{what} {how}: {}", cut(&text, MAX_MESSAGE_BYTES)))
    }
}

/// What a request carries.
enum Payload<'a> {
    None,
    Query(&'a [(&'a str, &'a str)]),
    Json(&'a Value),
    Multipart { content_type: String, body: Vec<u8> },
}

/// A successful answer.
struct Answer {
    status: StatusCode,
    body: Value,
}

/// A string that never shows in `Debug` output.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

/// A client for one Mastodon account, shared between tasks.
pub struct MastodonClient {
    http: tutti_outbound::Client,
    instance_url: Url,
    token: Secret,
    instance: Mutex<Option<Instance>>,
    limits: Mutex<Option<InstanceLimits>>,
    account_id: Mutex<Option<String>>,
    rate_limit: Mutex<Option<RateLimit>>,
    /// The longest a request may take, answer included; past it the outcome is unknown.
    pub request_timeout: Duration,
    /// The first wait between checks of an upload the instance is still processing; it
    /// doubles, up to eight times this.
    pub media_poll_interval: Duration,
    /// How long an upload may stay in processing before the publication fails (transiently).
    pub media_processing_timeout: Duration,
}

impl fmt::Debug for MastodonClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MastodonClient")
            .field("instance_url", &self.instance_url.as_str())
            .field("token", &self.token)
            .field("request_timeout", &self.request_timeout)
            .field("media_poll_interval", &self.media_poll_interval)
            .field("media_processing_timeout", &self.media_processing_timeout)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl MastodonClient {
    /// A client for the account whose `access_token` was issued by the instance at
    /// `instance_url` (`https://mastodon.example`, possibly with a path prefix), calling only
    /// the addresses `outbound` allows.
    pub fn new(
        instance_url: &str,
        access_token: &str,
        outbound: &tutti_outbound::Outbound,
    ) -> Result<MastodonClient, ConnectorError> {
        let invalid =
            |why: String| ConnectorError::Permanent(format!("invalid instance URL {instance_url:?}: {why}"));
        let mut url = Url::parse(instance_url.trim()).map_err(|e| invalid(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(invalid("expected http(s)://host/".into()));
        }
        url.set_query(None);
        url.set_fragment(None);
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        let token = access_token.trim();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConnectorError::Unauthorized("the access token is empty or malformed".into()));
        }
        let http = outbound
            .client()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .redirects(0)
            .user_agent(concat!("Tutti/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConnectorError::Permanent(format!("cannot make an HTTP client: {e}")))?;
        Ok(MastodonClient {
            http,
            instance_url: url,
            token: Secret(token.to_owned()),
            instance: Mutex::new(None),
            limits: Mutex::new(None),
            account_id: Mutex::new(None),
            rate_limit: Mutex::new(None),
            request_timeout: Duration::from_secs(30),
            media_poll_interval: Duration::from_secs(1),
            media_processing_timeout: Duration::from_secs(120),
        })
    }

    /// Starts from limits already known (stored when the account was connected), so that a
    /// status can be checked without asking the instance first. Reading the instance's
    /// description ([`MastodonClient::instance`]) replaces them.
    pub fn with_limits(self, limits: InstanceLimits) -> MastodonClient {
        *lock(&self.limits) = Some(limits);
        self
    }

    /// The instance's address, with a trailing `/`.
    pub fn instance_url(&self) -> &str {
        self.instance_url.as_str()
    }

    /// What the latest answer said about the rate limit, if it said anything.
    pub fn last_rate_limit(&self) -> Option<RateLimit> {
        *lock(&self.rate_limit)
    }

    fn host(&self) -> String {
        let host = self.instance_url.host_str().unwrap_or_default();
        match self.instance_url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// The domain local accounts' handles end with: the instance's own word for it (read
    /// once), else its host.
    async fn local_domain(&self) -> String {
        match self.instance().await {
            Ok(instance) => instance.domain,
            Err(e) => {
                tracing::debug!(error = %e, "instance description unavailable; using the host as the domain");
                self.host()
            }
        }
    }

    fn endpoint(&self, path: &str) -> Url {
        let mut url = self.instance_url.clone();
        let full = format!("{}{path}", self.instance_url.path());
        url.set_path(&full);
        url
    }

    /// One request, as is: never repeated here.
    async fn send(
        &self,
        method: Method,
        path: &str,
        payload: Payload<'_>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, Failure> {
        let what = format!("{method} /{path}");
        let mut request = self
            .http
            .request(method, self.endpoint(path))
            .bearer_auth(&self.token.0)
            .header(ACCEPT, "application/json")
            .timeout(self.request_timeout);
        request = match payload {
            Payload::None => request,
            Payload::Query(query) => request.query(query),
            Payload::Json(body) => request.json(body),
            Payload::Multipart { content_type, body } => {
                request.header(CONTENT_TYPE, content_type).body(body)
            }
        };
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let mut response = request.send().await.map_err(|e| Failure::sending(&what, &e))?;
        let status = response.status();
        if let Some(limit) = rate_limit_from_headers(response.headers()) {
            *lock(&self.rate_limit) = Some(limit);
        }
        let headers = response.headers().clone();
        let too_large =
            || Failure::transient(format!("{what}: the answer is over {MAX_RESPONSE_BYTES} bytes"));
        if response.content_length().is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| Failure::transport(&what, &e))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        if status.is_success() {
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Answer { status, body: Value::Null });
            }
            return serde_json::from_slice(&body)
                .map(|body| Answer { status, body })
                .map_err(|e| Failure::transient(format!("{what}: unreadable answer ({status}): {e}")));
        }
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let message = str_field(&answer, "error").or_else(|| str_field(&answer, "error_description"));
        let error = classify(status.as_u16(), &headers, message, Utc::now());
        tracing::debug!(request = %what, status = status.as_u16(), %error, "mastodon refused a request");
        Err(Failure { status: Some(status.as_u16()), error })
    }

    async fn call(&self, method: Method, path: &str, payload: Payload<'_>) -> Result<Answer, ConnectorError> {
        self.send(method, path, payload, None).await.map_err(|f| f.error)
    }

    /// What the instance allows and the domain of its handles, read from `/api/v2/instance`
    /// (or `/api/v1/instance` on servers without it) once, then cached.
    pub async fn instance(&self) -> Result<Instance, ConnectorError> {
        if let Some(instance) = lock(&self.instance).clone() {
            return Ok(instance);
        }
        let answer = match self.send(Method::GET, "api/v2/instance", Payload::None, None).await {
            Err(Failure { status: Some(404), .. }) => {
                self.call(Method::GET, "api/v1/instance", Payload::None).await?
            }
            other => other.map_err(|f| f.error)?,
        };
        let instance = parse_instance(&answer.body, &self.host());
        *lock(&self.instance) = Some(instance.clone());
        *lock(&self.limits) = Some(instance.limits.clone());
        Ok(instance)
    }

    /// The limits statuses are checked against: those given to [`MastodonClient::with_limits`]
    /// or read by [`MastodonClient::instance`].
    pub async fn limits(&self) -> Result<InstanceLimits, ConnectorError> {
        if let Some(limits) = lock(&self.limits).clone() {
            return Ok(limits);
        }
        Ok(self.instance().await?.limits)
    }

    /// Publishes `post` with `POST /api/v1/statuses`, sending `idempotency_key` (chosen and
    /// stored by the caller before the call) as `Idempotency-Key`, after uploading its media.
    ///
    /// A [`ConnectorError::Transient`] means the outcome is unknown: the status may have been
    /// created. Retry with the same `post` and the same key (or call
    /// [`MastodonClient::reconcile`]) and never with a new key: within the key's hour the
    /// instance answers with the status it created, if it created one.
    pub async fn publish(
        &self,
        post: &NewStatus,
        idempotency_key: &str,
    ) -> Result<PublishedStatus, ConnectorError> {
        check_idempotency_key(idempotency_key)?;
        let limits = self.limits().await?;
        check_status(post, &limits)?;
        let mut media_ids = Vec::with_capacity(post.media.len());
        for media in &post.media {
            media_ids.push(self.upload_media(media).await?);
        }
        let mut body = json!({ "status": post.text, "sensitive": post.sensitive });
        if let Some(spoiler) = post.spoiler_text.as_deref().filter(|s| !s.is_empty()) {
            body["spoiler_text"] = json!(spoiler);
        }
        if let Some(visibility) = post.visibility {
            body["visibility"] = json!(visibility.as_str());
        }
        if let Some(language) = &post.language {
            body["language"] = json!(language);
        }
        if let Some(parent) = &post.in_reply_to_id {
            body["in_reply_to_id"] = json!(parent.as_str());
        }
        if !media_ids.is_empty() {
            body["media_ids"] = json!(media_ids);
        }
        if let Some(poll) = &post.poll {
            body["poll"] = json!({
                "options": poll.options,
                "expires_in": poll.expires_in.as_secs(),
                "multiple": poll.multiple,
                "hide_totals": poll.hide_totals,
            });
        }
        let what = "POST /api/v1/statuses";
        let answer = match self
            .send(Method::POST, "api/v1/statuses", Payload::Json(&body), Some(idempotency_key))
            .await
        {
            Ok(answer) => answer,
            Err(Failure { error: ConnectorError::Transient(why), .. }) => {
                return Err(ConnectorError::Transient(format!(
                    "{why} (the status may have been created: retry with the same idempotency key)"
                )))
            }
            Err(failure) => return Err(failure.error),
        };
        let status = published(&answer.body, what)?;
        tracing::info!(id = %status.id, "published a mastodon status");
        Ok(status)
    }

    /// Uploads a file with `POST /api/v2/media` (its description as alt text) and waits, at
    /// most [`MastodonClient::media_processing_timeout`], until the instance has processed it
    /// (`202` and `url: null` mean it is still processing; `GET /api/v1/media/:id` answers
    /// `206` until done). Returns the attachment's id.
    pub async fn upload_media(&self, media: &NewMedia) -> Result<String, ConnectorError> {
        let mut form = Form::new();
        while form.clashes(media.description.as_bytes()) {
            form = Form::new();
        }
        if !media.description.is_empty() {
            form.text("description", &media.description);
        }
        let default_name = match media.mime_type.split_once('/') {
            Some((_, subtype)) => format!("upload.{}", subtype.split(['+', ';']).next().unwrap_or("bin")),
            None => "upload".to_owned(),
        };
        form.file(
            "file",
            media.file_name.as_deref().unwrap_or(&default_name),
            &media.mime_type,
            &media.bytes,
        );
        let (content_type, body) = form.finish();
        let answer =
            self.call(Method::POST, "api/v2/media", Payload::Multipart { content_type, body }).await?;
        let id = api_id(&answer.body).ok_or_else(|| {
            ConnectorError::Transient("POST /api/v2/media: the answer has no media id".into())
        })?;
        let ready = |answer: &Answer| {
            answer.status == StatusCode::OK && answer.body.get("url").is_some_and(|u| !u.is_null())
        };
        if ready(&answer) {
            return Ok(id);
        }
        let path = format!("api/v1/media/{id}");
        let deadline = tokio::time::Instant::now() + self.media_processing_timeout;
        let mut wait = self.media_poll_interval;
        loop {
            if tokio::time::Instant::now() + wait > deadline {
                return Err(ConnectorError::Transient(format!(
                    "media {id} was still being processed after {} s",
                    self.media_processing_timeout.as_secs()
                )));
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.media_poll_interval * 8);
            let answer = self.call(Method::GET, &path, Payload::None).await?;
            if answer.status == StatusCode::OK {
                tracing::debug!(%id, "mastodon processed the upload");
                return Ok(id);
            }
        }
    }

    /// Settles a publication whose outcome is unknown (a timeout or a dropped connection
    /// after sending, a 5xx). `sent_at` is when `post` was first sent with `idempotency_key`.
    ///
    /// Mastodon cannot be asked what a key created; the only safe retry is the same request
    /// with the same key, which the instance answers with the status the first attempt
    /// created, or by creating it if the first attempt never arrived. So within
    /// [`RESEND_WINDOW`] of `sent_at` this repeats [`MastodonClient::publish`] with the same
    /// key. Later the key has expired (after [`IDEMPOTENCY_KEY_LIFETIME`]) and a repeat could
    /// post twice, so this only looks for the status among the account's recent ones
    /// ([`MastodonClient::find_recent`], by the start of its text) and answers
    /// [`Reconciled::NotFound`] if it is not there; publishing it then takes a new key.
    pub async fn reconcile(
        &self,
        post: &NewStatus,
        idempotency_key: &str,
        sent_at: DateTime<Utc>,
    ) -> Result<Reconciled, ConnectorError> {
        let window = chrono::Duration::from_std(RESEND_WINDOW).unwrap_or(chrono::Duration::MAX);
        if Utc::now() - sent_at < window {
            return self.publish(post, idempotency_key).await.map(Reconciled::Published);
        }
        let prefix: String = comparable(&post.text).chars().take(RECONCILE_PREFIX_CHARS).collect();
        Ok(match self.find_recent(&prefix, sent_at).await? {
            Some(status) => Reconciled::Published(status),
            None => Reconciled::NotFound,
        })
    }

    /// The newest of the account's own statuses created since `since` (less two minutes for
    /// clocks that disagree) whose text starts with `text_prefix` (mentions compared without
    /// their domain, white space collapsed; a content warning may come first), read from
    /// `GET /api/v1/accounts/:id/statuses`, at most [`FIND_RECENT_PAGES`] pages of 40. An empty
    /// prefix matches only a status without text. The check for a status whose
    /// `Idempotency-Key` has expired.
    pub async fn find_recent(
        &self,
        text_prefix: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<PublishedStatus>, ConnectorError> {
        let prefix = comparable(text_prefix);
        let since = since - CLOCK_SLACK;
        let account_id = self.account_id().await?;
        let path = format!("api/v1/accounts/{account_id}/statuses");
        let domain = self.host();
        let mut max_id: Option<String> = None;
        for _ in 0..FIND_RECENT_PAGES {
            let mut query = vec![("limit", PAGE_LIMIT), ("exclude_reblogs", "true")];
            if let Some(max_id) = &max_id {
                query.push(("max_id", max_id.as_str()));
            }
            let answer = self.call(Method::GET, &path, Payload::Query(&query)).await?;
            let Value::Array(statuses) = answer.body else {
                return Err(ConnectorError::Transient(format!("GET /{path}: the answer is not a list")));
            };
            let Some(last) = statuses.last().and_then(api_id) else { return Ok(None) };
            let mut older_seen = false;
            for value in statuses {
                let Ok(ParsedStatus::Post(post)) = parse_status_value(value, &domain) else { continue };
                if post.created_at < since {
                    older_seen = true;
                    continue;
                }
                let text = comparable(&post.text);
                let body = post.text.split_once('\n').map(|(_, body)| comparable(body));
                let matches = |t: &str| if prefix.is_empty() { t.is_empty() } else { t.starts_with(&prefix) };
                if matches(&text) || body.as_deref().is_some_and(matches) {
                    return Ok(Some(PublishedStatus { id: post.id, uri: post.uri, url: post.url }));
                }
            }
            if older_seen {
                return Ok(None);
            }
            max_id = Some(last);
        }
        Ok(None)
    }

    /// The account's id, from [`MastodonClient::verify_credentials`], cached.
    async fn account_id(&self) -> Result<String, ConnectorError> {
        if let Some(id) = lock(&self.account_id).clone() {
            return Ok(id);
        }
        self.verify_credentials().await?;
        lock(&self.account_id)
            .clone()
            .ok_or_else(|| ConnectorError::Transient("verify_credentials: no account id".into()))
    }

    /// Deletes a status of the account. A status already gone (404) counts as deleted.
    pub async fn delete(&self, id: &StatusId) -> Result<(), ConnectorError> {
        match self.send(Method::DELETE, &format!("api/v1/statuses/{id}"), Payload::None, None).await {
            Ok(_) | Err(Failure { status: Some(404), .. }) => Ok(()),
            Err(failure) => Err(failure.error),
        }
    }

    /// Favourites a status (again: no effect).
    pub async fn favourite(&self, id: &StatusId) -> Result<(), ConnectorError> {
        self.call(Method::POST, &format!("api/v1/statuses/{id}/favourite"), Payload::None).await.map(drop)
    }

    /// Reblogs (boosts) a status (again: no effect).
    pub async fn reblog(&self, id: &StatusId) -> Result<(), ConnectorError> {
        self.call(Method::POST, &format!("api/v1/statuses/{id}/reblog"), Payload::None).await.map(drop)
    }

    /// Checks the token with `GET /api/v1/accounts/verify_credentials` and returns who the
    /// account is, its handle as `@user@domain` (the domain from the instance's description,
    /// else the instance's host).
    pub async fn verify_credentials(&self) -> Result<AccountProfile, ConnectorError> {
        let what = "GET /api/v1/accounts/verify_credentials";
        let answer = self.call(Method::GET, "api/v1/accounts/verify_credentials", Payload::None).await?;
        let account = &answer.body;
        let id =
            api_id(account).ok_or_else(|| ConnectorError::Transient(format!("{what}: no account id")))?;
        let acct = str_field(account, "acct")
            .map(|a| clean_line(a.trim_start_matches('@'), MAX_ACCT_CHARS))
            .filter(|a| !a.is_empty())
            .ok_or_else(|| ConnectorError::Transient(format!("{what}: no acct")))?;
        *lock(&self.account_id) = Some(id.clone());
        let handle = if acct.contains('@') {
            format!("@{acct}")
        } else {
            format!("@{acct}@{}", self.local_domain().await)
        };
        let display_name = Some(clean_line(str_field(account, "display_name").unwrap_or(""), MAX_NAME_CHARS))
            .filter(|n| !n.is_empty());
        Ok(AccountProfile { handle, display_name, account_id: id })
    }

    /// The replies, reblogs and favourites a status has, from `GET /api/v1/statuses/:id`.
    pub async fn status_counts(&self, id: &StatusId) -> Result<StatusCounts, ConnectorError> {
        let answer = self.call(Method::GET, &format!("api/v1/statuses/{id}"), Payload::None).await?;
        let count = |key: &str| answer.body.get(key).and_then(Value::as_u64).unwrap_or(0);
        if answer.body.get("id").is_none() {
            return Err(ConnectorError::Transient(format!(
                "GET /api/v1/statuses/{id}: the answer is not a status"
            )));
        }
        Ok(StatusCounts {
            replies: count("replies_count"),
            reblogs: count("reblogs_count"),
            favourites: count("favourites_count"),
        })
    }
}

#[cfg(test)]
mod tests;
