//! The publishing connector: an AT Protocol XRPC client for one Bluesky account.
//!
//! It signs in with an identifier and an app password (`com.atproto.server.createSession`) at
//! the service the person named (`https://bsky.social` or their own PDS), then talks to the PDS
//! the session's DID document names. It keeps the access and refresh tokens, refreshes them
//! when the network says the access token expired or is invalid (one request at a time; the
//! others wait and use the new tokens), and signs in again with the password when the refresh
//! token is refused too. Tokens and the password never appear in `Debug` output or logs.
//!
//! **Exactly once.** The caller chooses each post's record key, a [`Tid`], and stores it before
//! calling [`XrpcClient::publish`], which creates the record at that key with
//! `com.atproto.repo.createRecord`; the network cannot hold two records at one key, so no retry
//! can post twice. When `createRecord` fails in any way (a conflict with a record already at that
//! key, which the reference PDS answers with a 500, a timeout, a reset connection, a 5xx) the
//! outcome is unknown, so [`XrpcClient::reconcile`] asks the network with
//! `com.atproto.repo.getRecord` and `publish` returns the post found there instead of an error.
//! The worker calls [`XrpcClient::reconcile`] itself before any retry.
//!
//! Everything the network would refuse for sure is refused before any call, with a
//! [`ConnectorError::Permanent`] naming the limit: text over 300 graphemes or 3,000 bytes, more
//! than 3 languages or 4 images, an image over 1,000,000 bytes, a record key that is not a TID.
//! Answers are read up to [`MAX_RESPONSE_BYTES`]; errors are sorted into [`ConnectorError`]s:
//! 429 → `RateLimited` (after `retry-after` or `ratelimit-reset`), 5xx, timeouts and connection
//! failures → `Transient`, credentials still refused after a refresh → `Unauthorized`, any
//! other 4xx → `Permanent` with the network's own message.

mod connector;
pub mod facets;
pub mod tid;

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;
use tutti_outbound::Clients as _;

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::Url;
use serde_json::{json, Value};
use tutti_connector::{AccountProfile, ConnectorError, RateLimit};
use unicode_segmentation::UnicodeSegmentation;

use crate::jetstream::bounded;
pub use connector::{
    NotificationCursor, MAX_HIDDEN_REPLIES, MAX_NOTIFICATION_PAGES, MAX_REPORT_GRAPHEMES, MAX_SEEN,
    NOTIFICATION_LOOKBACK,
};
pub use facets::{detect_facets, DetectedFacet, FacetKind};
pub use tid::Tid;

/// The most graphemes a post's text may have.
pub const MAX_POST_GRAPHEMES: usize = 300;
/// The most bytes a post's text may have.
pub const MAX_POST_BYTES: usize = 3_000;
/// The most languages a post may declare.
pub const MAX_LANGS: usize = 3;
/// The most images a post may carry.
pub const MAX_IMAGES: usize = 4;
/// The largest image, in bytes (`app.bsky.embed.images`).
pub const MAX_IMAGE_BYTES: usize = 1_000_000;
/// The most distinct handles resolved for one post's mentions; later ones stay plain text.
pub const MAX_MENTIONS: usize = 50;
/// The largest answer read from the network.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// How long to wait when the network asks us to slow down without saying for how long.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 60;
/// The longest wait a rate limit is believed to ask for (the daily window).
const MAX_RETRY_AFTER_SECS: u64 = 24 * 3600;
/// The longest error message kept from an answer.
const MAX_MESSAGE_BYTES: usize = 512;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

const POST: &str = "app.bsky.feed.post";
const LIKE: &str = "app.bsky.feed.like";
const REPOST: &str = "app.bsky.feed.repost";
const PROFILE: &str = "app.bsky.actor.profile";

/// An account's session: who it is, where its repository lives, and its tokens. Store it to
/// resume without signing in again ([`XrpcClient::from_session`]); `Debug` hides the tokens,
/// serialising keeps them, for storage.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// The account's DID.
    pub did: String,
    /// Its handle when the session was made.
    pub handle: String,
    /// The PDS holding its repository, without a trailing `/`.
    pub pds_url: String,
    /// The short-lived token sent with every request.
    pub access_jwt: String,
    /// The token that obtains new tokens.
    pub refresh_jwt: String,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("did", &self.did)
            .field("handle", &self.handle)
            .field("pds_url", &self.pds_url)
            .field("access_jwt", &"<hidden>")
            .field("refresh_jwt", &"<hidden>")
            .finish()
    }
}

/// A record's strong reference: its `at://` URI and the CID of its content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordRef {
    /// `at://DID/COLLECTION/RKEY`.
    pub uri: String,
    /// The CID of the record's content.
    pub cid: String,
}

/// A published post: its strong reference.
pub type PublishedPost = RecordRef;

impl RecordRef {
    /// The record key: the last segment of the URI.
    pub fn rkey(&self) -> &str {
        self.uri.rsplit('/').next().unwrap_or_default()
    }
}

/// Where a reply sits in a thread: the thread's first post and the post it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRef {
    /// The first post of the thread.
    pub root: RecordRef,
    /// The post answered.
    pub parent: RecordRef,
}

impl ReplyRef {
    /// A reply to `parent`, itself the first post of its thread or a reply within `root`'s.
    pub fn to(parent: &RecordRef, root: Option<&RecordRef>) -> ReplyRef {
        ReplyRef { root: root.unwrap_or(parent).clone(), parent: parent.clone() }
    }
}

/// An image to attach.
#[derive(Clone, PartialEq, Eq)]
pub struct NewImage {
    /// The file's bytes (at most [`MAX_IMAGE_BYTES`]).
    pub bytes: Vec<u8>,
    /// Its media type, `image/png`, `image/jpeg`, …
    pub mime_type: String,
    /// The description read to those who cannot see it.
    pub alt: String,
    /// Width and height, when known, so that clients lay it out before loading it.
    pub aspect_ratio: Option<(u32, u32)>,
}

impl fmt::Debug for NewImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewImage")
            .field("bytes", &self.bytes.len())
            .field("mime_type", &self.mime_type)
            .field("alt", &self.alt)
            .field("aspect_ratio", &self.aspect_ratio)
            .finish()
    }
}

/// A post to publish.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewPost {
    /// The text; links, hashtags and mentions in it become facets.
    pub text: String,
    /// Its languages (BCP 47 tags), at most [`MAX_LANGS`].
    pub langs: Vec<String>,
    /// Images, at most [`MAX_IMAGES`].
    pub images: Vec<NewImage>,
    /// The thread it answers, if it is a reply.
    pub reply: Option<ReplyRef>,
}

impl NewPost {
    /// A post of plain text.
    pub fn new(text: impl Into<String>) -> NewPost {
        NewPost { text: text.into(), ..NewPost::default() }
    }
}

/// Checks everything the network would refuse for sure, before any call.
pub fn check_post(post: &NewPost) -> Result<(), ConnectorError> {
    let refuse = |why: String| Err(ConnectorError::Permanent(why));
    if post.text.len() > MAX_POST_BYTES {
        return refuse(format!(
            "the post's text is {} bytes long; Bluesky allows at most {MAX_POST_BYTES} bytes",
            post.text.len()
        ));
    }
    let graphemes = post.text.graphemes(true).count();
    if graphemes > MAX_POST_GRAPHEMES {
        return refuse(format!(
            "the post's text is {graphemes} characters (graphemes) long; Bluesky allows at most {MAX_POST_GRAPHEMES}"
        ));
    }
    if post.text.trim().is_empty() && post.images.is_empty() {
        return refuse("a post needs text or an image".into());
    }
    if post.langs.len() > MAX_LANGS {
        return refuse(format!(
            "the post declares {} languages; Bluesky allows at most {MAX_LANGS}",
            post.langs.len()
        ));
    }
    if post.langs.iter().any(|l| l.is_empty() || l.len() > 64 || l.contains(char::is_whitespace)) {
        return refuse(format!("not language tags: {:?}", post.langs));
    }
    if post.images.len() > MAX_IMAGES {
        return refuse(format!(
            "the post has {} images; Bluesky allows at most {MAX_IMAGES}",
            post.images.len()
        ));
    }
    for (i, image) in post.images.iter().enumerate() {
        let n = i + 1;
        if image.bytes.is_empty() {
            return refuse(format!("image {n} is empty"));
        }
        if image.bytes.len() > MAX_IMAGE_BYTES {
            return refuse(format!(
                "image {n} is {} bytes; Bluesky allows at most {MAX_IMAGE_BYTES} bytes per image",
                image.bytes.len()
            ));
        }
        let mime_ok = image.mime_type.strip_prefix("image/").is_some_and(|sub| {
            !sub.is_empty() && sub.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        });
        if !mime_ok {
            return refuse(format!("image {n} has the media type {:?}, not an image's", image.mime_type));
        }
        if image.aspect_ratio.is_some_and(|(w, h)| w == 0 || h == 0) {
            return refuse(format!("image {n} has an aspect ratio with a zero side"));
        }
    }
    if let Some(reply) = &post.reply {
        for (what, r) in [("root", &reply.root), ("parent", &reply.parent)] {
            if !r.uri.starts_with("at://") || r.cid.is_empty() {
                return refuse(format!("the reply's {what} is not a post reference: {:?}", r.uri));
            }
        }
    }
    Ok(())
}

/// Reads the rate-limit headers of an answer (`ratelimit-limit`, `ratelimit-remaining`,
/// `ratelimit-reset`); `None` if it has none. The reset is a Unix time in seconds; a small value
/// is taken as a number of seconds from `now_unix`, as some servers send.
pub fn rate_limit_from_headers(headers: &HeaderMap, now_unix: i64) -> Option<RateLimit> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
    let reset_at_unix = number("ratelimit-reset").map(|reset| {
        let reset = i64::try_from(reset).unwrap_or(i64::MAX);
        if reset < 1_000_000_000 {
            now_unix.saturating_add(reset)
        } else {
            reset
        }
    });
    let limit = RateLimit {
        limit: number("ratelimit-limit"),
        remaining: number("ratelimit-remaining"),
        reset_at_unix,
    };
    (limit != RateLimit::default()).then_some(limit)
}

/// How long a 429 answer asks us to wait: `retry-after` (in seconds), else until
/// `ratelimit-reset`, else [`DEFAULT_RETRY_AFTER_SECS`]; at least one second, at most a day.
pub fn retry_after_secs(headers: &HeaderMap, now_unix: i64) -> u64 {
    let retry_after = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let until_reset = rate_limit_from_headers(headers, now_unix).and_then(|l| l.secs_until_reset(now_unix));
    retry_after.or(until_reset).unwrap_or(DEFAULT_RETRY_AFTER_SECS).clamp(1, MAX_RETRY_AFTER_SECS)
}

/// Sorts an XRPC error answer by what the caller does about it.
fn classify(status: u16, name: Option<&str>, message: Option<&str>, retry_after: u64) -> ConnectorError {
    let text = message
        .filter(|m| !m.trim().is_empty())
        .or(name)
        .map(|t| bounded(t, MAX_MESSAGE_BYTES))
        .unwrap_or_else(|| format!("HTTP {status}"));
    match (status, name) {
        (429, _) | (_, Some("RateLimitExceeded")) => {
            ConnectorError::RateLimited { retry_after_secs: retry_after }
        }
        (408 | 500..=599, _) => ConnectorError::Transient(format!("HTTP {status}: {text}")),
        (401, _) | (_, Some("AuthenticationRequired" | "InvalidToken" | "ExpiredToken" | "AuthMissing")) => {
            ConnectorError::Unauthorized(text)
        }
        _ => ConnectorError::Permanent(text),
    }
}

/// A failed call: the error for the caller, and what the network called it.
#[derive(Debug)]
struct Failure {
    status: Option<u16>,
    name: Option<String>,
    error: ConnectorError,
}

impl Failure {
    fn transient(what: String) -> Failure {
        Failure { status: None, name: None, error: ConnectorError::Transient(what) }
    }

    fn refused(nsid: &str, why: &tutti_outbound::Refused) -> Failure {
        let text = format!("{nsid} refused by the outbound policy: {why}");
        Failure {
            status: None,
            name: None,
            error: ConnectorError::Permanent(bounded(&text, MAX_MESSAGE_BYTES)),
        }
    }

    fn sending(nsid: &str, e: &tutti_outbound::Error) -> Failure {
        match e {
            tutti_outbound::Error::Refused(why) => Failure::refused(nsid, why),
            tutti_outbound::Error::Http(e) => Failure::transport(nsid, e),
        }
    }

    fn transport(nsid: &str, e: &reqwest::Error) -> Failure {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        let what = if e.is_timeout() { "timed out" } else { "failed" };
        Failure::transient(format!("{nsid} {what}: {}", bounded(&text, MAX_MESSAGE_BYTES)))
    }

    /// Whether new tokens could make the request succeed.
    fn wants_new_tokens(&self) -> bool {
        self.status == Some(401) || matches!(self.name.as_deref(), Some("ExpiredToken" | "InvalidToken"))
    }

    fn is(&self, name: &str) -> bool {
        self.name.as_deref() == Some(name)
    }
}

/// What a request carries.
enum Payload<'a> {
    /// A query (GET) with these parameters.
    Query(&'a [(&'a str, &'a str)]),
    /// A procedure (POST) with no input.
    Empty,
    /// A procedure with a JSON input.
    Json(&'a Value),
    /// A procedure whose input is a file.
    Blob { bytes: &'a [u8], mime_type: &'a str },
}

/// A string that never shows in `Debug` output.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

#[derive(Debug, Default)]
struct SessionState {
    session: Option<Session>,
    /// Counts the sessions made, so that a task whose tokens were refused knows whether another
    /// task has already replaced them.
    generation: u64,
}

/// An XRPC client for one Bluesky account, shared between tasks.
pub struct XrpcClient {
    http: tutti_outbound::Client,
    /// Where sessions are made and refreshed (the entryway or the PDS itself).
    service: String,
    login: Option<(String, Secret)>,
    state: tokio::sync::Mutex<SessionState>,
    rate_limit: Mutex<Option<RateLimit>>,
}

impl fmt::Debug for XrpcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XrpcClient")
            .field("service", &self.service)
            .field("identifier", &self.login.as_ref().map(|(id, _)| id))
            .finish_non_exhaustive()
    }
}

/// `https://host[:port][/path]` without a trailing `/`, or why not.
fn service_url(url: &str) -> Result<String, String> {
    let parsed = Url::parse(url.trim()).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
        return Err(format!("{url:?} is not an http(s) URL with a host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("{url:?} has a query or a fragment"));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// The PDS named in a DID document (`#atproto_pds`), if any.
fn pds_from_did_doc(doc: &Value) -> Option<String> {
    let services = doc.get("service")?.as_array()?;
    services
        .iter()
        .find(|s| s.get("id").and_then(Value::as_str).is_some_and(|id| id.ends_with("#atproto_pds")))
        .and_then(|s| s.get("serviceEndpoint")?.as_str())
        .and_then(|url| service_url(url).ok())
}

fn str_field<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn record_ref(value: &Value) -> Option<RecordRef> {
    Some(RecordRef { uri: str_field(value, "uri")?.to_owned(), cid: str_field(value, "cid")?.to_owned() })
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn facet(start: usize, end: usize, feature: Value) -> Value {
    json!({ "index": { "byteStart": start, "byteEnd": end }, "features": [feature] })
}

impl XrpcClient {
    fn build(
        service: &str,
        login: Option<(String, Secret)>,
        session: Option<Session>,
        outbound: &tutti_outbound::Outbound,
    ) -> Result<Self, ConnectorError> {
        let service = service_url(service).map_err(ConnectorError::Permanent)?;
        let http = outbound
            .client()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("Tutti/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConnectorError::Permanent(format!("cannot make an HTTP client: {e}")))?;
        let generation = u64::from(session.is_some());
        Ok(XrpcClient {
            http,
            service,
            login,
            state: tokio::sync::Mutex::new(SessionState { session, generation }),
            rate_limit: Mutex::new(None),
        })
    }

    /// A client that signs in at `service` (e.g. `https://bsky.social`) with `identifier` (a
    /// handle, a DID or an email) and an app password, on its first request. It calls only
    /// the addresses `outbound` allows: the service, and the PDS its DID document names.
    pub fn new(
        service: &str,
        identifier: &str,
        app_password: &str,
        outbound: &tutti_outbound::Outbound,
    ) -> Result<Self, ConnectorError> {
        let login = Some((identifier.to_owned(), Secret(app_password.to_owned())));
        XrpcClient::build(service, login, None, outbound)
    }

    /// A client that resumes a stored session; when its tokens are refused and cannot be
    /// refreshed, it answers [`ConnectorError::Unauthorized`].
    pub fn from_session(
        service: &str,
        session: Session,
        outbound: &tutti_outbound::Outbound,
    ) -> Result<Self, ConnectorError> {
        XrpcClient::build(service, None, Some(session), outbound)
    }

    /// Starts from a stored session, keeping the password to sign in again should its tokens be
    /// refused.
    pub fn with_session(self, session: Session) -> Self {
        let mut state = self.state.into_inner();
        state.session = Some(session);
        state.generation += 1;
        XrpcClient { state: tokio::sync::Mutex::new(state), ..self }
    }

    /// The service sessions are made at.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The current session (to store, so that a restart need not sign in again), if any.
    pub async fn session(&self) -> Option<Session> {
        self.state.lock().await.session.clone()
    }

    /// Signs in now, if not signed in yet, and returns the session.
    pub async fn sign_in(&self) -> Result<Session, ConnectorError> {
        self.current_session().await.map(|(s, _)| s).map_err(|f| f.error)
    }

    /// What the network's latest answer said about the rate limit, if it said anything.
    pub fn last_rate_limit(&self) -> Option<RateLimit> {
        *self.rate_limit.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One request, as is.
    async fn send(
        &self,
        base: &str,
        nsid: &str,
        payload: &Payload<'_>,
        token: Option<&str>,
    ) -> Result<Value, Failure> {
        let url = format!("{base}/xrpc/{nsid}");
        let mut request = match payload {
            Payload::Query(query) => self.http.get(url).query(query),
            Payload::Empty => self.http.post(url),
            Payload::Json(body) => self.http.post(url).json(body),
            Payload::Blob { bytes, mime_type } => {
                self.http.post(url).header(CONTENT_TYPE, *mime_type).body(bytes.to_vec())
            }
        };
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let mut response = request.send().await.map_err(|e| Failure::sending(nsid, &e))?;
        let status = response.status();
        let now = chrono::Utc::now().timestamp();
        if let Some(limit) = rate_limit_from_headers(response.headers(), now) {
            *self.rate_limit.lock().unwrap_or_else(|e| e.into_inner()) = Some(limit);
        }
        let retry_after = retry_after_secs(response.headers(), now);
        if response.content_length().is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
            return Err(Failure::transient(format!("{nsid}: the answer is over {MAX_RESPONSE_BYTES} bytes")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| Failure::transport(nsid, &e))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(Failure::transient(format!(
                    "{nsid}: the answer is over {MAX_RESPONSE_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        if status.is_success() {
            if body.is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&body)
                .map_err(|e| Failure::transient(format!("{nsid}: unreadable answer ({status}): {e}")));
        }
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let name = str_field(&answer, "error").map(|n| bounded(n, MAX_MESSAGE_BYTES));
        let message = str_field(&answer, "message");
        let error = classify(status.as_u16(), name.as_deref(), message, retry_after);
        tracing::debug!(nsid, status = status.as_u16(), error = name.as_deref(), "XRPC call refused");
        Err(Failure { status: Some(status.as_u16()), name, error })
    }

    /// The session, signing in first if there is none, and its generation.
    async fn current_session(&self) -> Result<(Session, u64), Failure> {
        let mut state = self.state.lock().await;
        if let Some(session) = &state.session {
            return Ok((session.clone(), state.generation));
        }
        let session = self.create_session(None).await?;
        state.session = Some(session.clone());
        state.generation += 1;
        Ok((session, state.generation))
    }

    /// New tokens after those of `generation` were refused: another task's, if it already
    /// replaced them; else refreshed; else, if the refresh token is refused too, a new sign-in.
    async fn renew(&self, generation: u64) -> Result<Session, Failure> {
        let mut state = self.state.lock().await;
        if let Some(session) = state.session.as_ref().filter(|_| state.generation != generation) {
            return Ok(session.clone());
        }
        let old = state.session.clone();
        let renewed = match &old {
            Some(old) => match self.refresh_session(old).await {
                Ok(session) => Ok(session),
                Err(f) if matches!(f.error, ConnectorError::Unauthorized(_)) || f.wants_new_tokens() => {
                    tracing::info!(did = %old.did, "the refresh token was refused; signing in again");
                    self.create_session(Some(old)).await
                }
                Err(f) => Err(f),
            },
            None => self.create_session(None).await,
        }?;
        state.session = Some(renewed.clone());
        state.generation += 1;
        Ok(renewed)
    }

    fn session_from(
        &self,
        answer: &Value,
        previous: Option<&Session>,
        nsid: &str,
    ) -> Result<Session, Failure> {
        let field = |k: &str| {
            str_field(answer, k)
                .map(str::to_owned)
                .ok_or_else(|| Failure::transient(format!("{nsid}: no {k} in the answer")))
        };
        let pds_url = answer
            .get("didDoc")
            .and_then(pds_from_did_doc)
            .or_else(|| previous.map(|p| p.pds_url.clone()))
            .unwrap_or_else(|| self.service.clone());
        Ok(Session {
            did: field("did")?,
            handle: field("handle")?,
            pds_url,
            access_jwt: field("accessJwt")?,
            refresh_jwt: field("refreshJwt")?,
        })
    }

    async fn create_session(&self, previous: Option<&Session>) -> Result<Session, Failure> {
        let nsid = "com.atproto.server.createSession";
        let Some((identifier, password)) = &self.login else {
            return Err(Failure {
                status: None,
                name: None,
                error: ConnectorError::Unauthorized(
                    "the session's tokens were refused and no password is known to sign in again".into(),
                ),
            });
        };
        let body = json!({ "identifier": identifier, "password": password.0 });
        let answer = self.send(&self.service, nsid, &Payload::Json(&body), None).await?;
        let session = self.session_from(&answer, previous, nsid)?;
        tracing::info!(did = %session.did, pds = %session.pds_url, "signed in to Bluesky");
        Ok(session)
    }

    async fn refresh_session(&self, old: &Session) -> Result<Session, Failure> {
        let nsid = "com.atproto.server.refreshSession";
        let answer = self.send(&self.service, nsid, &Payload::Empty, Some(&old.refresh_jwt)).await?;
        let session = self.session_from(&answer, Some(old), nsid)?;
        tracing::debug!(did = %session.did, "refreshed the Bluesky session");
        Ok(session)
    }

    /// An authenticated call to the PDS, with new tokens and one more try if the network says
    /// the access token expired or is invalid.
    async fn call(&self, nsid: &str, payload: Payload<'_>) -> Result<Value, Failure> {
        let (session, generation) = self.current_session().await?;
        match self.send(&session.pds_url, nsid, &payload, Some(&session.access_jwt)).await {
            Err(failure) if failure.wants_new_tokens() => {
                tracing::debug!(nsid, error = failure.name.as_deref(), "access token refused; renewing it");
                let session = self.renew(generation).await?;
                self.send(&session.pds_url, nsid, &payload, Some(&session.access_jwt)).await
            }
            other => other,
        }
    }

    /// An unauthenticated query to the account's PDS.
    async fn query(&self, nsid: &str, params: &[(&str, &str)]) -> Result<Value, Failure> {
        let (session, _) = self.current_session().await?;
        self.send(&session.pds_url, nsid, &Payload::Query(params), None).await
    }

    /// The DID of `handle`, or `None` if the network cannot resolve it.
    pub async fn resolve_handle(&self, handle: &str) -> Result<Option<String>, ConnectorError> {
        let handle = handle.trim_start_matches('@').to_ascii_lowercase();
        match self.query("com.atproto.identity.resolveHandle", &[("handle", &handle)]).await {
            Ok(answer) => Ok(str_field(&answer, "did").filter(|d| d.starts_with("did:")).map(str::to_owned)),
            Err(f) if matches!(f.error, ConnectorError::Permanent(_)) => Ok(None),
            Err(f) => Err(f.error),
        }
    }

    /// The facets of `text`, its mentions resolved; an unresolvable mention stays plain text.
    pub async fn facets(&self, text: &str) -> Result<Vec<Value>, ConnectorError> {
        let mut dids: HashMap<String, Option<String>> = HashMap::new();
        let mut out = Vec::new();
        for found in detect_facets(text) {
            let feature = match found.kind {
                FacetKind::Link(uri) => json!({ "$type": "app.bsky.richtext.facet#link", "uri": uri }),
                FacetKind::Tag(tag) => json!({ "$type": "app.bsky.richtext.facet#tag", "tag": tag }),
                FacetKind::Mention(handle) => {
                    let key = handle.to_ascii_lowercase();
                    let did = match dids.get(&key) {
                        Some(did) => did.clone(),
                        None if dids.len() >= MAX_MENTIONS => None,
                        None => {
                            let did = self.resolve_handle(&key).await?;
                            dids.insert(key, did.clone());
                            did
                        }
                    };
                    let Some(did) = did else { continue };
                    json!({ "$type": "app.bsky.richtext.facet#mention", "did": did })
                }
            };
            out.push(facet(found.start, found.end, feature));
        }
        Ok(out)
    }

    /// Uploads a file with `com.atproto.repo.uploadBlob` and returns the blob to put in a record.
    pub async fn upload_blob(&self, bytes: &[u8], mime_type: &str) -> Result<Value, ConnectorError> {
        let nsid = "com.atproto.repo.uploadBlob";
        let answer = self.call(nsid, Payload::Blob { bytes, mime_type }).await.map_err(|f| f.error)?;
        match answer.get("blob") {
            Some(blob) if blob.get("ref").is_some() => Ok(blob.clone()),
            _ => Err(ConnectorError::Transient(format!("{nsid}: no blob in the answer"))),
        }
    }

    /// The record `publish` would create for `post`, its mentions resolved and images uploaded.
    async fn post_record(&self, post: &NewPost) -> Result<Value, ConnectorError> {
        let mut record = json!({ "$type": POST, "text": post.text, "createdAt": now_rfc3339() });
        let facets = self.facets(&post.text).await?;
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        if !post.langs.is_empty() {
            record["langs"] = json!(post.langs);
        }
        if let Some(reply) = &post.reply {
            record["reply"] = json!({
                "root": { "uri": reply.root.uri, "cid": reply.root.cid },
                "parent": { "uri": reply.parent.uri, "cid": reply.parent.cid },
            });
        }
        if !post.images.is_empty() {
            let mut images = Vec::with_capacity(post.images.len());
            for image in &post.images {
                let blob = self.upload_blob(&image.bytes, &image.mime_type).await?;
                let mut entry = json!({ "image": blob, "alt": image.alt });
                if let Some((width, height)) = image.aspect_ratio {
                    entry["aspectRatio"] = json!({ "width": width, "height": height });
                }
                images.push(entry);
            }
            record["embed"] = json!({ "$type": "app.bsky.embed.images", "images": images });
        }
        Ok(record)
    }

    /// Publishes `post` at the record key `rkey` (a [`Tid`] the caller stored beforehand).
    ///
    /// Exactly once: if the record already exists at `rkey` (a retry after a call whose outcome
    /// was unknown), or this call's outcome is unknown, the post found there is returned; a
    /// different post at that key is a [`ConnectorError::Permanent`]. With no post there, the
    /// call's own error is returned: retrying with the same `rkey` is safe.
    pub async fn publish(&self, post: &NewPost, rkey: &str) -> Result<PublishedPost, ConnectorError> {
        check_post(post)?;
        if Tid::parse(rkey).is_none() {
            return Err(ConnectorError::Permanent(format!(
                "{rkey:?} is not a record key for a post (13 characters of a TID)"
            )));
        }
        let (session, _) = self.current_session().await.map_err(|f| f.error)?;
        let record = self.post_record(post).await?;
        let body = json!({
            "repo": session.did,
            "collection": POST,
            "rkey": rkey,
            "validate": true,
            "record": record,
        });
        let nsid = "com.atproto.repo.createRecord";
        let error = match self.call(nsid, Payload::Json(&body)).await {
            Ok(answer) => match record_ref(&answer) {
                Some(created) => {
                    tracing::info!(uri = %created.uri, "published a post");
                    return Ok(created);
                }
                None => ConnectorError::Transient(format!("{nsid}: no uri and cid in the answer")),
            },
            Err(failure) => failure.error,
        };
        // The outcome is unknown, or the key is taken: ask the network what is there.
        match self.existing_post(rkey).await {
            Ok(Some((found, text))) if text == post.text => {
                tracing::info!(uri = %found.uri, %error, "the post was already published at its record key");
                Ok(found)
            }
            Ok(Some((found, _))) => Err(ConnectorError::Permanent(format!(
                "the record key {rkey} already holds a different post, {}",
                found.uri
            ))),
            Ok(None) => Err(error),
            Err(reconcile_error) => {
                tracing::warn!(rkey, %error, %reconcile_error, "cannot tell whether the post was published");
                Err(error)
            }
        }
    }

    /// The post at `rkey` in the account's repository and its text, if there is one.
    async fn existing_post(&self, rkey: &str) -> Result<Option<(PublishedPost, String)>, ConnectorError> {
        match self.get_record(POST, rkey).await? {
            Some((found, value)) => {
                let text = str_field(&value, "text").unwrap_or_default().to_owned();
                Ok(Some((found, text)))
            }
            None => Ok(None),
        }
    }

    /// Asks the network whether a post exists at `rkey` (`com.atproto.repo.getRecord`): the
    /// post if it does, `None` if it does not. Call it before retrying a publish whose outcome
    /// is unknown.
    pub async fn reconcile(&self, rkey: &str) -> Result<Option<PublishedPost>, ConnectorError> {
        Ok(self.existing_post(rkey).await?.map(|(found, _)| found))
    }

    /// A record of the account's own repository and its content, or `None` if there is none.
    pub async fn get_record(
        &self,
        collection: &str,
        rkey: &str,
    ) -> Result<Option<(RecordRef, Value)>, ConnectorError> {
        let (session, _) = self.current_session().await.map_err(|f| f.error)?;
        let params = [("repo", session.did.as_str()), ("collection", collection), ("rkey", rkey)];
        match self.query("com.atproto.repo.getRecord", &params).await {
            Ok(answer) => {
                let found = record_ref(&answer).ok_or_else(|| {
                    ConnectorError::Transient(
                        "com.atproto.repo.getRecord: no uri and cid in the answer".into(),
                    )
                })?;
                Ok(Some((found, answer.get("value").cloned().unwrap_or(Value::Null))))
            }
            Err(f) if f.is("RecordNotFound") => Ok(None),
            Err(f) => Err(f.error),
        }
    }

    /// Deletes the account's post at `rkey` (`com.atproto.repo.deleteRecord`); deleting a post
    /// that is not there succeeds.
    pub async fn delete(&self, rkey: &str) -> Result<(), ConnectorError> {
        self.delete_in(POST, rkey).await
    }

    /// Deletes one of the account's records by its `at://` URI: a post, a like, a repost.
    pub async fn delete_record(&self, uri: &str) -> Result<(), ConnectorError> {
        let (session, _) = self.current_session().await.map_err(|f| f.error)?;
        let path = uri.strip_prefix("at://").unwrap_or_default();
        match path.split('/').collect::<Vec<_>>()[..] {
            [did, collection, rkey] if did == session.did && !collection.is_empty() && !rkey.is_empty() => {
                self.delete_in(collection, rkey).await
            }
            _ => Err(ConnectorError::Permanent(format!("{uri:?} is not a record of this account"))),
        }
    }

    async fn delete_in(&self, collection: &str, rkey: &str) -> Result<(), ConnectorError> {
        let (session, _) = self.current_session().await.map_err(|f| f.error)?;
        let body = json!({ "repo": session.did, "collection": collection, "rkey": rkey });
        self.call("com.atproto.repo.deleteRecord", Payload::Json(&body)).await.map_err(|f| f.error)?;
        Ok(())
    }

    /// Likes the post `uri` (with content `cid`). Liking it again replaces the earlier like:
    /// the network keeps one like per post and account.
    pub async fn like(&self, uri: &str, cid: &str) -> Result<RecordRef, ConnectorError> {
        self.create_subject_record(LIKE, uri, cid).await
    }

    /// Reposts the post `uri` (with content `cid`); as for likes, one repost per post remains.
    pub async fn repost(&self, uri: &str, cid: &str) -> Result<RecordRef, ConnectorError> {
        self.create_subject_record(REPOST, uri, cid).await
    }

    async fn create_subject_record(
        &self,
        collection: &str,
        uri: &str,
        cid: &str,
    ) -> Result<RecordRef, ConnectorError> {
        if !uri.starts_with("at://") || cid.is_empty() {
            return Err(ConnectorError::Permanent(format!("{uri:?} is not a post reference")));
        }
        let (session, _) = self.current_session().await.map_err(|f| f.error)?;
        let body = json!({
            "repo": session.did,
            "collection": collection,
            "rkey": Tid::now().to_string(),
            "validate": true,
            "record": { "$type": collection, "subject": { "uri": uri, "cid": cid }, "createdAt": now_rfc3339() },
        });
        let nsid = "com.atproto.repo.createRecord";
        let answer = self.call(nsid, Payload::Json(&body)).await.map_err(|f| f.error)?;
        record_ref(&answer)
            .ok_or_else(|| ConnectorError::Transient(format!("{nsid}: no uri and cid in the answer")))
    }

    /// Who the account is, from its own repository (works without an AppView): the handle from
    /// `com.atproto.repo.describeRepo`, the display name from its `app.bsky.actor.profile`
    /// record, if it has one.
    pub async fn profile(&self) -> Result<AccountProfile, ConnectorError> {
        let (session, _) = self.current_session().await.map_err(|f| f.error)?;
        let repo = self
            .query("com.atproto.repo.describeRepo", &[("repo", &session.did)])
            .await
            .map_err(|f| f.error)?;
        let handle = str_field(&repo, "handle").unwrap_or(&session.handle).to_owned();
        let display_name = self
            .get_record(PROFILE, "self")
            .await?
            .and_then(|(_, value)| str_field(&value, "displayName").map(str::trim).map(str::to_owned))
            .filter(|name| !name.is_empty());
        Ok(AccountProfile { handle, display_name, account_id: session.did })
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn errors_are_sorted_by_what_the_caller_does() {
        use ConnectorError::*;
        let cases = [
            (
                429,
                Some("RateLimitExceeded"),
                Some("Rate Limit Exceeded"),
                RateLimited { retry_after_secs: 7 },
            ),
            (
                500,
                Some("InternalServerError"),
                Some("Internal Server Error"),
                Transient("HTTP 500: Internal Server Error".into()),
            ),
            (502, Some("UpstreamFailure"), None, Transient("HTTP 502: UpstreamFailure".into())),
            (503, None, None, Transient("HTTP 503: HTTP 503".into())),
            (
                401,
                Some("AuthenticationRequired"),
                Some("Invalid identifier or password"),
                Unauthorized("Invalid identifier or password".into()),
            ),
            (400, Some("ExpiredToken"), Some("Token has expired"), Unauthorized("Token has expired".into())),
            (
                400,
                Some("InvalidToken"),
                Some("Token could not be verified"),
                Unauthorized("Token could not be verified".into()),
            ),
            (
                400,
                Some("InvalidRequest"),
                Some("Invalid app.bsky.feed.post record"),
                Permanent("Invalid app.bsky.feed.post record".into()),
            ),
            (413, None, None, Permanent("HTTP 413".into())),
            (400, Some("AccountTakedown"), Some(""), Permanent("AccountTakedown".into())),
        ];
        for (status, name, message, expected) in cases {
            assert_eq!(classify(status, name, message, 7), expected, "{status} {name:?}");
        }
    }

    #[test]
    fn rate_limit_headers_are_read() {
        let now = 1_700_000_000;
        let h = headers(&[
            ("ratelimit-limit", "3000"),
            ("ratelimit-remaining", "2999"),
            ("ratelimit-reset", "1700000300"),
        ]);
        assert_eq!(
            rate_limit_from_headers(&h, now),
            Some(RateLimit { limit: Some(3000), remaining: Some(2999), reset_at_unix: Some(1_700_000_300) })
        );
        // A reset given as seconds from now.
        let h = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "42")]);
        assert_eq!(
            rate_limit_from_headers(&h, now),
            Some(RateLimit { limit: None, remaining: Some(0), reset_at_unix: Some(now + 42) })
        );
        assert_eq!(rate_limit_from_headers(&headers(&[("ratelimit-limit", "lots")]), now), None);
        assert_eq!(rate_limit_from_headers(&HeaderMap::new(), now), None);
    }

    #[test]
    fn the_wait_after_a_429_follows_the_network() {
        let now = 1_700_000_000;
        let cases: [(&[(&'static str, &str)], u64); 6] = [
            (&[("retry-after", "120"), ("ratelimit-reset", "1700000300")], 120),
            (&[("ratelimit-reset", "1700000300")], 300),
            (&[("ratelimit-reset", "1699999000")], 1),
            (&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")], DEFAULT_RETRY_AFTER_SECS),
            (&[("retry-after", "99999999")], MAX_RETRY_AFTER_SECS),
            (&[], DEFAULT_RETRY_AFTER_SECS),
        ];
        for (pairs, secs) in cases {
            assert_eq!(retry_after_secs(&headers(pairs), now), secs, "{pairs:?}");
        }
    }

    #[test]
    fn posts_over_a_limit_are_refused_naming_it() {
        let image = |len: usize, mime: &str| NewImage {
            bytes: vec![0; len],
            mime_type: mime.into(),
            alt: "un chat".into(),
            aspect_ratio: None,
        };
        let ok = NewPost::new("a".repeat(MAX_POST_GRAPHEMES));
        assert_eq!(check_post(&ok), Ok(()));
        // 300 family emoji are 300 graphemes but 5,400 bytes.
        let family = NewPost::new("👨‍👩‍👧".repeat(MAX_POST_GRAPHEMES));
        // 300 "é" written as e + combining accent are 300 graphemes, 600 characters.
        let combining = NewPost::new("e\u{301}".repeat(MAX_POST_GRAPHEMES));
        assert_eq!(check_post(&combining), Ok(()));
        let cases = [
            (NewPost::new("a".repeat(MAX_POST_GRAPHEMES + 1)), "at most 300"),
            (family, "at most 3000 bytes"),
            (NewPost::new(""), "needs text or an image"),
            (
                NewPost { langs: vec!["fr".into(), "en".into(), "de".into(), "it".into()], ..ok.clone() },
                "at most 3",
            ),
            (NewPost { images: vec![image(10, "image/png"); 5], ..ok.clone() }, "at most 4"),
            (
                NewPost { images: vec![image(MAX_IMAGE_BYTES + 1, "image/png")], ..ok.clone() },
                "at most 1000000 bytes",
            ),
            (NewPost { images: vec![image(10, "text/html")], ..ok.clone() }, "not an image"),
            (
                NewPost {
                    reply: Some(ReplyRef::to(&RecordRef { uri: "https://x".into(), cid: "c".into() }, None)),
                    ..ok.clone()
                },
                "reply",
            ),
        ];
        for (post, needle) in cases {
            match check_post(&post) {
                Err(ConnectorError::Permanent(why)) => {
                    assert!(why.contains(needle), "{why:?} names {needle:?}")
                }
                other => panic!("{needle}: {other:?}"),
            }
        }
        let with_image =
            NewPost { text: String::new(), images: vec![image(10, "image/png")], ..NewPost::default() };
        assert_eq!(check_post(&with_image), Ok(()));
    }

    #[test]
    fn the_pds_comes_from_the_did_document() {
        let doc = json!({ "service": [
            { "id": "#bsky_chat", "type": "X", "serviceEndpoint": "https://chat.example" },
            { "id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "https://pds.example/" },
        ]});
        assert_eq!(pds_from_did_doc(&doc).as_deref(), Some("https://pds.example"));
        assert_eq!(pds_from_did_doc(&json!({ "service": [] })), None);
        assert_eq!(
            pds_from_did_doc(
                &json!({ "service": [{ "id": "did:plc:x#atproto_pds", "serviceEndpoint": "ftp://x" }] })
            ),
            None
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let session = Session {
            did: "did:plc:abc".into(),
            handle: "alice.test".into(),
            pds_url: "https://pds.example".into(),
            access_jwt: "ACCESS-SECRET".into(),
            refresh_jwt: "REFRESH-SECRET".into(),
        };
        let client =
            XrpcClient::new("https://bsky.example/", "alice.test", "PASSWORD-SECRET", &Default::default())
                .unwrap()
                .with_session(session.clone());
        for shown in [format!("{session:?}"), format!("{client:?}")] {
            for secret in ["ACCESS-SECRET", "REFRESH-SECRET", "PASSWORD-SECRET"] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
        assert_eq!(client.service(), "https://bsky.example");
        assert!(XrpcClient::new("bsky.social", "a", "b", &Default::default()).is_err());
        assert!(XrpcClient::new("ftp://bsky.social", "a", "b", &Default::default()).is_err());
    }
}
