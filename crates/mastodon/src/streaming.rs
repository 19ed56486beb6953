//! The streaming client: a server-sent-events connection to a public or hashtag stream,
//! backfilled from the matching REST timeline on every (re)connection.

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tutti_outbound::Clients as _;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use tokio::sync::{mpsc, watch};

use crate::sse::{SseItem, SseParser};
use crate::status::{
    parse_status, parse_status_value, MastodonPost, ParsedStatus, StatusId, MAX_STATUS_BYTES,
};

/// The largest timeline page accepted, in bytes (40 statuses of a few kB each, with room).
pub const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;
/// How many delivered ids are remembered to drop repeats; beyond it the oldest are forgotten
/// and everything at or below them is treated as seen.
pub const REMEMBERED_IDS: usize = 10_000;
/// The longest wait a rate limit is allowed to impose.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(3_600);

/// A stream that lasted this long was healthy even if it carried no event.
const HEALTHY_STREAM: Duration = Duration::from_secs(30);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_REDIRECTS: usize = 3;
const MAX_TAG_CHARS: usize = 100;

/// Which public stream to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stream {
    /// Every public status the instance knows of, local or federated.
    Public,
    /// Public statuses of the instance's own accounts.
    PublicLocal,
    /// Public statuses with a hashtag (given with or without `#`).
    Hashtag(String),
}

/// What the client delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MastodonEvent {
    /// A status not delivered before.
    Post {
        /// The cursor to store once this event is handled: the newest id handled so far (not
        /// always this post's: a federated status can arrive late with an older id).
        cursor: StatusId,
        /// The post (boxed: posts are much larger than the other events).
        post: Box<MastodonPost>,
    },
    /// A status was edited (the streaming API's `status.update`); not backfilled.
    Edited {
        /// The post as it now reads.
        post: Box<MastodonPost>,
    },
    /// A status was deleted; not backfilled.
    Deleted {
        /// The deleted status's id.
        id: StatusId,
    },
}

/// Counters of a running stream, for the source's status.
#[derive(Debug, Default)]
pub struct MastodonStats {
    /// Events delivered.
    pub delivered: AtomicU64,
    /// Statuses, events or pages skipped as malformed or oversized.
    pub malformed: AtomicU64,
    /// Reconnections after a dropped or failed connection.
    pub reconnects: AtomicU64,
    /// Responses `429 Too Many Requests` received.
    pub rate_limited: AtomicU64,
    /// Lag of the last delivered post behind the wall clock, in ms.
    pub lag_ms: AtomicU64,
}

/// Why a client could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not an `http(s)://host/` URL.
    #[error("invalid instance URL: {0}")]
    InvalidUrl(String),
    /// A hashtag stream with no tag.
    #[error("the hashtag is empty")]
    EmptyHashtag,
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(String),
}

/// A Mastodon instance, the stream wanted from it, and how to reconnect.
#[derive(Clone)]
pub struct Streaming {
    instance: Url,
    stream: Stream,
    access_token: Option<String>,
    client: tutti_outbound::Client,
    /// First delay before a reconnection; it doubles up to `max_backoff`.
    pub initial_backoff: Duration,
    /// The longest delay between reconnections (rate limits may ask for longer).
    pub max_backoff: Duration,
    /// A stream silent for this long is considered dead (Mastodon sends a heartbeat every few
    /// seconds).
    pub idle_timeout: Duration,
    /// Statuses asked for per timeline page (Mastodon serves at most 40).
    pub page_limit: u32,
    /// How far behind the cursor a backfill starts, to catch federated statuses that arrived
    /// late with older ids while disconnected (Mastodon snowflake ids only).
    pub late_window: Duration,
}

impl fmt::Debug for Streaming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Streaming")
            .field("instance", &self.instance.as_str())
            .field("stream", &self.stream)
            .field("access_token", &self.access_token.as_ref().map(|_| "<redacted>"))
            .field("initial_backoff", &self.initial_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("idle_timeout", &self.idle_timeout)
            .field("page_limit", &self.page_limit)
            .field("late_window", &self.late_window)
            .finish()
    }
}

/// Where the client stands: the newest id handled (`cursor`), the ids handled in this run
/// (`seen`), and the `floor` at or below which every status counts as handled (the cursor the
/// run started from, raised as old ids are forgotten).
#[derive(Debug, Default)]
struct Position {
    cursor: Option<StatusId>,
    floor: Option<StatusId>,
    seen: BTreeSet<StatusId>,
}

impl Position {
    fn is_new(&self, id: &StatusId) -> bool {
        self.floor.as_ref().is_none_or(|floor| id > floor) && !self.seen.contains(id)
    }

    /// Records `id` as handled and returns the cursor.
    fn handle(&mut self, id: &StatusId) -> StatusId {
        if self.cursor.as_ref().is_none_or(|c| id > c) {
            self.cursor = Some(id.clone());
        }
        self.seen.insert(id.clone());
        while self.seen.len() > REMEMBERED_IDS {
            if let Some(oldest) = self.seen.pop_first() {
                if self.floor.as_ref().is_none_or(|f| oldest > *f) {
                    self.floor = Some(oldest);
                }
            }
        }
        self.cursor.clone().unwrap_or_else(StatusId::zero)
    }
}

/// How a session ended.
enum End {
    /// Shut down, or nobody listens any more.
    Stop,
    /// The stream was established, then lost; `healthy` if it had been useful (events, or a
    /// while) so that the backoff starts again from the beginning.
    Lost { reason: String, healthy: bool },
    /// Connecting or backfilling failed.
    Failed(String),
    /// The server asked to wait.
    RateLimited(Option<Duration>),
}

/// Kinds of skipped input, each logged once per run.
#[derive(Clone, Copy)]
enum Skip {
    Oversized = 0,
    Status = 1,
    Delete = 2,
    Page = 3,
}

struct Session<'a> {
    events: &'a mpsc::Sender<MastodonEvent>,
    stats: &'a MastodonStats,
    shutdown: &'a mut watch::Receiver<bool>,
    warned: [bool; 4],
    domain: String,
}

impl Session<'_> {
    fn skip(&mut self, kind: Skip, reason: &dyn fmt::Display) {
        self.stats.malformed.fetch_add(1, Ordering::Relaxed);
        if !std::mem::replace(&mut self.warned[kind as usize], true) {
            tracing::warn!(error = %reason, "skipping malformed mastodon input of this kind (logged once)");
        }
    }

    /// Runs `f` unless shutdown is asked first.
    async fn or_stop<T>(&mut self, f: impl Future<Output = T>) -> Option<T> {
        tokio::select! {
            biased;
            _ = self.shutdown.wait_for(|&stop| stop) => None,
            value = f => Some(value),
        }
    }

    async fn send(&mut self, event: MastodonEvent) -> bool {
        let events = self.events;
        match self.or_stop(events.send(event)).await {
            Some(Ok(())) => {
                self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Delivers a status read from the stream or a timeline if it is new.
    async fn deliver(&mut self, position: &mut Position, status: ParsedStatus) -> bool {
        if !position.is_new(status.id()) {
            return true;
        }
        let cursor = position.handle(status.id());
        let ParsedStatus::Post(post) = status else { return true };
        let lag = (Utc::now() - post.created_at).num_milliseconds().max(0);
        self.stats.lag_ms.store(lag as u64, Ordering::Relaxed);
        self.send(MastodonEvent::Post { cursor, post }).await
    }
}

impl Streaming {
    /// A client for `stream` on the instance at `instance_url` (`https://mastodon.example`),
    /// authenticated with `access_token` if given (many instances require one for their public
    /// timelines), calling only the addresses `outbound` allows.
    pub fn new(
        instance_url: &str,
        stream: Stream,
        access_token: Option<String>,
        outbound: &tutti_outbound::Outbound,
    ) -> Result<Streaming, ConfigError> {
        let mut instance = Url::parse(instance_url.trim())
            .map_err(|e| ConfigError::InvalidUrl(format!("{instance_url}: {e}")))?;
        if !matches!(instance.scheme(), "http" | "https")
            || instance.host_str().is_none()
            || !instance.username().is_empty()
            || instance.password().is_some()
        {
            return Err(ConfigError::InvalidUrl(format!("{instance_url}: expected http(s)://host/")));
        }
        instance.set_query(None);
        instance.set_fragment(None);
        if !instance.path().ends_with('/') {
            let path = format!("{}/", instance.path());
            instance.set_path(&path);
        }
        let stream = match stream {
            Stream::Hashtag(tag) => {
                let tag: String = tag.trim().trim_start_matches('#').chars().take(MAX_TAG_CHARS).collect();
                if tag.is_empty() {
                    return Err(ConfigError::EmptyHashtag);
                }
                Stream::Hashtag(tag)
            }
            other => other,
        };
        // A stream stays open: no total time limit, an idle timeout instead; redirects are
        // followed by hand, to the instance's own streaming host only.
        let client = outbound
            .client()
            .connect_timeout(Duration::from_secs(10))
            .no_total_timeout()
            .redirects(0)
            .user_agent(concat!("Tutti/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(Streaming {
            instance,
            stream,
            access_token: access_token.filter(|t| !t.is_empty()),
            client,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            idle_timeout: Duration::from_secs(90),
            page_limit: 40,
            late_window: Duration::from_secs(60),
        })
    }

    /// The instance's domain as local accounts' `acct` omits it: `host[:port]`.
    pub fn local_domain(&self) -> String {
        let host = self.instance.host_str().unwrap_or_default();
        match self.instance.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// The server-sent-events endpoint of the stream.
    pub fn stream_url(&self) -> Url {
        let mut url = self.endpoint(match self.stream {
            Stream::Public => "api/v1/streaming/public",
            Stream::PublicLocal => "api/v1/streaming/public/local",
            Stream::Hashtag(_) => "api/v1/streaming/hashtag",
        });
        if let Stream::Hashtag(tag) = &self.stream {
            url.query_pairs_mut().append_pair("tag", tag);
        }
        url
    }

    /// The timeline holding the same statuses, `limit` at a time, starting just after `min_id`.
    pub fn timeline_url(&self, min_id: Option<&StatusId>, limit: u32) -> Url {
        let mut url = match &self.stream {
            Stream::Public | Stream::PublicLocal => self.endpoint("api/v1/timelines/public"),
            Stream::Hashtag(tag) => {
                let mut url = self.endpoint("api/v1/timelines/tag/");
                if let Ok(mut segments) = url.path_segments_mut() {
                    segments.pop_if_empty().push(tag);
                }
                url
            }
        };
        {
            let mut query = url.query_pairs_mut();
            if self.stream == Stream::PublicLocal {
                query.append_pair("local", "true");
            }
            if let Some(min_id) = min_id {
                query.append_pair("min_id", min_id.as_str());
            }
            query.append_pair("limit", &limit.to_string());
        }
        url
    }

    pub(crate) fn endpoint(&self, path: &str) -> Url {
        let mut url = self.instance.clone();
        let full = format!("{}{path}", self.instance.path());
        url.set_path(&full);
        url
    }

    /// Whether requests to `url` may carry the token: the instance's own host or one of its
    /// subdomains (where instances put their streaming server), never a downgrade to http.
    fn trusted(&self, url: &Url) -> bool {
        let (Some(host), Some(home)) = (url.host_str(), self.instance.host_str()) else { return false };
        let scheme_ok =
            url.scheme() == "https" || (url.scheme() == "http" && self.instance.scheme() == "http");
        let host = host.to_ascii_lowercase();
        let home = home.to_ascii_lowercase();
        scheme_ok && (host == home || host.ends_with(&format!(".{home}")))
    }

    fn get(&self, url: Url) -> tutti_outbound::Request {
        let request = self.client.get(url);
        match &self.access_token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Streams statuses newer than `cursor` into `events` until `shutdown` turns true (or its
    /// sender goes away) or the receiver goes away, reconnecting with backoff. Returns the
    /// cursor to store. Without a cursor, the stream starts at the newest status of the
    /// timeline: history is not replayed.
    pub async fn run(
        &self,
        cursor: Option<StatusId>,
        events: mpsc::Sender<MastodonEvent>,
        stats: Arc<MastodonStats>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Option<StatusId> {
        let mut position = Position { floor: cursor.clone(), cursor, seen: BTreeSet::new() };
        let mut session = Session {
            events: &events,
            stats: &stats,
            shutdown: &mut shutdown,
            warned: [false; 4],
            domain: self.local_domain(),
        };
        let mut backoff = self.initial_backoff;
        loop {
            if *session.shutdown.borrow() {
                return position.cursor;
            }
            let wait = match self.connection(&mut session, &mut position).await {
                End::Stop => return position.cursor,
                End::Lost { reason, healthy } => {
                    tracing::info!(instance = %self.instance, %reason, "mastodon stream lost");
                    if healthy {
                        backoff = self.initial_backoff;
                    }
                    jittered(backoff)
                }
                End::Failed(reason) => {
                    tracing::warn!(instance = %self.instance, %reason, "mastodon stream failed");
                    jittered(backoff)
                }
                End::RateLimited(asked) => {
                    stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                    let wait = match asked {
                        // At least what was asked, plus up to a tenth more so that clients spread out.
                        Some(asked) => asked + asked.mul_f64(rand::random::<f64>() * 0.1),
                        None => jittered(backoff),
                    };
                    tracing::warn!(instance = %self.instance, ?wait, "mastodon rate limit: waiting");
                    wait
                }
            };
            stats.reconnects.fetch_add(1, Ordering::Relaxed);
            if session.or_stop(tokio::time::sleep(wait)).await.is_none() {
                return position.cursor;
            }
            backoff = (backoff * 2).min(self.max_backoff.max(self.initial_backoff));
        }
    }

    /// One connection: open the stream, backfill from the timeline, then read the stream.
    async fn connection(&self, session: &mut Session<'_>, position: &mut Position) -> End {
        // The stream is opened first so that nothing posted during the backfill is missed: its
        // events wait in the connection until the backfill is done.
        let mut response = match session.or_stop(self.open_stream()).await {
            None => return End::Stop,
            Some(Err(end)) => return end,
            Some(Ok(response)) => response,
        };
        if let Err(end) = self.backfill(session, position).await {
            return end;
        }
        tracing::info!(instance = %self.instance, cursor = ?position.cursor, "mastodon stream caught up");
        let mut parser = SseParser::new(MAX_STATUS_BYTES);
        let mut items = Vec::new();
        let started = tokio::time::Instant::now();
        let mut got_events = false;
        loop {
            let chunk = session.or_stop(tokio::time::timeout(self.idle_timeout, response.chunk())).await;
            let reason = match chunk {
                None => return End::Stop,
                Some(Ok(Ok(Some(chunk)))) => {
                    parser.push(&chunk, &mut items);
                    got_events |= !items.is_empty();
                    None
                }
                Some(Err(_)) => Some(format!("no data for {:?}", self.idle_timeout)),
                Some(Ok(Err(e))) => Some(e.to_string()),
                Some(Ok(Ok(None))) => Some("the server closed the stream".to_owned()),
            };
            if let Some(reason) = reason {
                let healthy = got_events || started.elapsed() >= HEALTHY_STREAM;
                return End::Lost { reason, healthy };
            }
            for item in items.drain(..) {
                if !self.handle(session, position, item).await {
                    return End::Stop;
                }
            }
        }
    }

    /// Handles one stream event; false when delivery is no longer possible.
    async fn handle(&self, session: &mut Session<'_>, position: &mut Position, item: SseItem) -> bool {
        let (name, data) = match item {
            SseItem::Oversized => {
                session.skip(Skip::Oversized, &format!("event larger than {MAX_STATUS_BYTES} bytes"));
                return true;
            }
            SseItem::Event { name, data } => (name, data),
        };
        match name.as_str() {
            "update" => match parse_status(&data, &session.domain) {
                Ok(status) => session.deliver(position, status).await,
                Err(e) => {
                    session.skip(Skip::Status, &e);
                    true
                }
            },
            "status.update" => match parse_status(&data, &session.domain) {
                Ok(ParsedStatus::Post(post)) => session.send(MastodonEvent::Edited { post }).await,
                Ok(ParsedStatus::Reblog { .. }) => true,
                Err(e) => {
                    session.skip(Skip::Status, &e);
                    true
                }
            },
            "delete" => match StatusId::parse(data.trim()) {
                Some(id) => session.send(MastodonEvent::Deleted { id }).await,
                None => {
                    session.skip(Skip::Delete, &"a delete event without a status id");
                    true
                }
            },
            // Notifications, conversations, announcements… are not for public streams.
            _ => true,
        }
    }

    /// Opens the event stream, following the instance's redirect to its streaming server.
    async fn open_stream(&self) -> Result<reqwest::Response, End> {
        self.open_events(self.stream_url()).await
    }

    /// Opens a server-sent-events stream at `url` of the instance (with the token), following
    /// its redirect to its streaming server; the error says why it could not be, and how long
    /// to wait when the server asked for it.
    pub(crate) async fn open_events_at(
        &self,
        url: Url,
    ) -> Result<reqwest::Response, (String, Option<Duration>)> {
        match self.open_events(url).await {
            Ok(response) => Ok(response),
            Err(End::RateLimited(wait)) => {
                Err(("rate limited".into(), Some(wait.unwrap_or(self.max_backoff))))
            }
            Err(End::Failed(why) | End::Lost { reason: why, .. }) => Err((why, None)),
            Err(End::Stop) => Err(("stopped".into(), None)),
        }
    }

    async fn open_events(&self, mut url: Url) -> Result<reqwest::Response, End> {
        for _ in 0..=MAX_REDIRECTS {
            let request = self.get(url.clone()).header(ACCEPT, "text/event-stream").send();
            let response = match tokio::time::timeout(REQUEST_TIMEOUT, request).await {
                Err(_) => return Err(End::Failed("the stream did not answer".into())),
                Ok(Err(e)) => return Err(End::Failed(e.to_string())),
                Ok(Ok(response)) => response,
            };
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                return Err(End::RateLimited(rate_limit_delay(response.headers(), Utc::now())));
            }
            if status.is_redirection() {
                let next = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .filter(|next| self.trusted(next));
                match next {
                    Some(next) => {
                        url = next;
                        continue;
                    }
                    None => {
                        return Err(End::Failed(format!("the stream redirects ({status}) off the instance")))
                    }
                }
            }
            if !status.is_success() {
                return Err(End::Failed(format!("the stream answered {status}")));
            }
            let content_type =
                response.headers().get(CONTENT_TYPE).and_then(|c| c.to_str().ok()).unwrap_or("");
            if !content_type.trim_start().to_ascii_lowercase().starts_with("text/event-stream") {
                return Err(End::Failed(format!("the stream is {content_type:?}, not text/event-stream")));
            }
            return Ok(response);
        }
        Err(End::Failed("too many redirects".into()))
    }

    /// Catches up with the timeline from the cursor, oldest first, page after page. Without a
    /// cursor, only places it at the newest status.
    async fn backfill(&self, session: &mut Session<'_>, position: &mut Position) -> Result<(), End> {
        let Some(cursor) = position.cursor.clone() else {
            let page = self.page(session, None, 1).await?;
            let newest = page.into_iter().filter_map(|(id, _)| id).max().unwrap_or_else(StatusId::zero);
            tracing::info!(instance = %self.instance, %newest, "mastodon stream starts at the newest status");
            position.floor = Some(newest.clone());
            position.cursor = Some(newest);
            return Ok(());
        };
        let mut from = cursor.rewound(self.late_window);
        if let Some(floor) = &position.floor {
            from = from.max(floor.clone());
        }
        loop {
            let page = self.page(session, Some(&from), self.page_limit).await?;
            let mut page: Vec<_> = page
                .into_iter()
                .filter_map(|(id, status)| id.filter(|id| *id > from).map(|id| (id, status)))
                .collect();
            if page.is_empty() {
                return Ok(());
            }
            page.sort_by(|a, b| a.0.cmp(&b.0));
            page.dedup_by(|a, b| a.0 == b.0);
            from = page.last().map(|(id, _)| id.clone()).unwrap_or(from);
            for (id, status) in page {
                match status {
                    Ok(status) => {
                        if !session.deliver(position, status).await {
                            return Err(End::Stop);
                        }
                    }
                    Err(e) => {
                        // Handled: a malformed status is not fetched again.
                        if position.is_new(&id) {
                            position.handle(&id);
                            session.skip(Skip::Status, &e);
                        }
                    }
                }
            }
        }
    }

    /// One timeline page: each status's id (if readable) and the status (if well formed).
    async fn page(
        &self,
        session: &mut Session<'_>,
        min_id: Option<&StatusId>,
        limit: u32,
    ) -> Result<Vec<(Option<StatusId>, Result<ParsedStatus, crate::StatusError>)>, End> {
        let url = self.timeline_url(min_id, limit);
        let body = match session.or_stop(self.fetch(url)).await {
            None => return Err(End::Stop),
            Some(result) => result?,
        };
        let values: Vec<serde_json::Value> = match serde_json::from_slice(&body) {
            Ok(values) => values,
            Err(e) => {
                session.skip(Skip::Page, &format!("timeline page: {e}"));
                return Err(End::Failed("a malformed timeline page".into()));
            }
        };
        let mut statuses = Vec::with_capacity(values.len());
        for value in values {
            let id = value.get("id").and_then(|id| id.as_str()).and_then(StatusId::parse);
            if id.is_none() {
                session.skip(Skip::Status, &"a timeline status without a valid id");
                continue;
            }
            statuses.push((id, parse_status_value(value, &session.domain)));
        }
        Ok(statuses)
    }

    /// GETs a timeline page, bounded in size and time.
    async fn fetch(&self, url: Url) -> Result<Vec<u8>, End> {
        let request = async {
            let mut response = self.get(url).header(ACCEPT, "application/json").send().await?;
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                return Ok(Err(End::RateLimited(rate_limit_delay(response.headers(), Utc::now()))));
            }
            if !status.is_success() {
                return Ok(Err(End::Failed(format!("the timeline answered {status}"))));
            }
            if response.content_length().is_some_and(|len| len > MAX_PAGE_BYTES as u64) {
                return Ok(Err(End::Failed("the timeline page is too large".into())));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(tutti_outbound::Error::Http)? {
                if body.len() + chunk.len() > MAX_PAGE_BYTES {
                    return Ok(Err(End::Failed("the timeline page is too large".into())));
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, tutti_outbound::Error>(Ok(body))
        };
        match tokio::time::timeout(REQUEST_TIMEOUT, request).await {
            Err(_) => Err(End::Failed("the timeline did not answer".into())),
            Ok(Err(e)) => Err(End::Failed(e.to_string())),
            Ok(Ok(result)) => result,
        }
    }
}

/// `backoff` less up to a quarter, so that reconnecting clients spread out.
pub(crate) fn jittered(backoff: Duration) -> Duration {
    backoff.mul_f64(1.0 - rand::random::<f64>() * 0.25)
}

/// The wait a `429` response asks for: `Retry-After` (seconds or an HTTP date) or Mastodon's
/// `X-RateLimit-Reset` (an RFC 3339 time), whichever is later, at most
/// [`MAX_RATE_LIMIT_WAIT`]; `None` if neither header is readable.
pub fn rate_limit_delay(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let until = |time: DateTime<Utc>| (time - now).to_std().unwrap_or(Duration::ZERO);
    let retry_after = header(RETRY_AFTER.as_str()).and_then(|v| match v.parse::<u64>() {
        Ok(seconds) => Some(Duration::from_secs(seconds)),
        Err(_) => DateTime::parse_from_rfc2822(v).ok().map(|t| until(t.with_timezone(&Utc))),
    });
    let reset = header("x-ratelimit-reset")
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|t| until(t.with_timezone(&Utc)));
    retry_after.into_iter().chain(reset).max().map(|wait| wait.min(MAX_RATE_LIMIT_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn streaming(stream: Stream) -> Streaming {
        Streaming::new("https://social.example", stream, None, &Default::default()).unwrap()
    }

    #[test]
    fn endpoints_follow_the_stream() {
        let id = StatusId::parse("117440813345128578").unwrap();
        let public = streaming(Stream::Public);
        assert_eq!(public.stream_url().as_str(), "https://social.example/api/v1/streaming/public");
        assert_eq!(
            public.timeline_url(Some(&id), 40).as_str(),
            "https://social.example/api/v1/timelines/public?min_id=117440813345128578&limit=40"
        );
        let local = streaming(Stream::PublicLocal);
        assert_eq!(local.stream_url().as_str(), "https://social.example/api/v1/streaming/public/local");
        assert_eq!(
            local.timeline_url(None, 1).as_str(),
            "https://social.example/api/v1/timelines/public?local=true&limit=1"
        );
        let tag = streaming(Stream::Hashtag("#café/../x".into()));
        assert_eq!(
            tag.stream_url().as_str(),
            "https://social.example/api/v1/streaming/hashtag?tag=caf%C3%A9%2F..%2Fx"
        );
        assert_eq!(
            tag.timeline_url(None, 40).as_str(),
            "https://social.example/api/v1/timelines/tag/caf%C3%A9%2F..%2Fx?limit=40"
        );
        let prefixed =
            Streaming::new("http://127.0.0.1:3000/mastodon", Stream::Public, None, &Default::default())
                .unwrap();
        assert_eq!(prefixed.stream_url().as_str(), "http://127.0.0.1:3000/mastodon/api/v1/streaming/public");
        assert_eq!(prefixed.local_domain(), "127.0.0.1:3000");
        assert_eq!(public.local_domain(), "social.example");
    }

    #[test]
    fn bad_configurations_are_refused_and_the_token_is_not_shown() {
        for url in ["social.example", "ftp://social.example/", "https://user:pw@social.example/", ""] {
            assert!(
                matches!(
                    Streaming::new(url, Stream::Public, None, &Default::default()),
                    Err(ConfigError::InvalidUrl(_))
                ),
                "{url}"
            );
        }
        assert_eq!(
            Streaming::new(
                "https://social.example",
                Stream::Hashtag(" # ".into()),
                None,
                &Default::default()
            )
            .unwrap_err(),
            ConfigError::EmptyHashtag
        );
        let s = Streaming::new(
            "https://social.example",
            Stream::Public,
            Some("s3cret".into()),
            &Default::default(),
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn the_token_goes_only_to_the_instance_and_its_subdomains_over_https() {
        let s = streaming(Stream::Public);
        let ok = |u: &str| s.trusted(&Url::parse(u).unwrap());
        assert!(ok("https://social.example/api/v1/streaming/public"));
        assert!(ok("https://streaming.social.example/api/v1/streaming/public"));
        assert!(!ok("http://streaming.social.example/api/v1/streaming/public"));
        assert!(!ok("https://evilsocial.example/"));
        assert!(!ok("https://social.example.evil.example/"));
    }

    #[test]
    fn rate_limit_waits_come_from_retry_after_or_the_reset_time() {
        let now = DateTime::parse_from_rfc3339("2026-10-14T20:55:00Z").unwrap().with_timezone(&Utc);
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_str(v).unwrap());
            }
            h
        };
        // The reset time as Mastodon writes it (from a recorded response).
        let reset = headers(&[("x-ratelimit-reset", "2026-10-14T21:00:00.390842Z")]);
        assert_eq!(rate_limit_delay(&reset, now), Some(Duration::from_micros(300_390_842)));
        assert_eq!(rate_limit_delay(&headers(&[("retry-after", "7")]), now), Some(Duration::from_secs(7)));
        assert_eq!(
            rate_limit_delay(&headers(&[("retry-after", "Wed, 14 Oct 2026 20:55:30 GMT")]), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            rate_limit_delay(
                &headers(&[("retry-after", "2"), ("x-ratelimit-reset", "2026-10-14T20:55:05Z")]),
                now
            ),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            rate_limit_delay(&headers(&[("retry-after", "99999999")]), now),
            Some(MAX_RATE_LIMIT_WAIT)
        );
        assert_eq!(
            rate_limit_delay(&headers(&[("x-ratelimit-reset", "2026-10-14T20:00:00Z")]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(rate_limit_delay(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(rate_limit_delay(&HeaderMap::new(), now), None);
    }

    #[test]
    fn repeats_and_statuses_at_or_below_the_floor_are_not_new() {
        let id = |s: &str| StatusId::parse(s).unwrap();
        let mut p = Position { cursor: Some(id("100")), floor: Some(id("100")), seen: BTreeSet::new() };
        assert!(!p.is_new(&id("100")) && !p.is_new(&id("99")));
        assert!(p.is_new(&id("105")));
        assert_eq!(p.handle(&id("105")), id("105"));
        assert!(!p.is_new(&id("105")));
        // A late status with an older id is new once, and does not move the cursor back.
        assert!(p.is_new(&id("103")));
        assert_eq!(p.handle(&id("103")), id("105"));
        assert!(!p.is_new(&id("103")));
        // Forgetting old ids raises the floor past them.
        for n in 0..REMEMBERED_IDS as u64 {
            p.handle(&id(&(1_000 + n).to_string()));
        }
        assert_eq!(p.seen.len(), REMEMBERED_IDS);
        assert_eq!(p.floor, Some(id("105")));
        assert!(!p.is_new(&id("104")));
    }
}
