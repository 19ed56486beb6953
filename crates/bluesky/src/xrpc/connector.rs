//! The [`Connector`] trait for [`XrpcClient`]: publishing, the inbox, moderation and analytics
//! in the network-neutral terms of `tutti-connector`.
//!
//! Writes go to the account's repository on its PDS, as [`XrpcClient::publish`] and friends do.
//! Reads of the AppView's views (`app.bsky.feed.getPosts` for a post's counts,
//! `app.bsky.actor.getProfile` for the account's, `app.bsky.notification.listNotifications`
//! for the inbox) and the AppView's procedures (`app.bsky.graph.muteActor`) are sent,
//! authenticated, to the same PDS, which forwards every `app.bsky.*` call to the AppView it is
//! configured with (no `atproto-proxy` header is needed for that), and reports
//! (`com.atproto.moderation.createReport`) to its moderation service.
//!
//! A reply names only its parent ([`PostRef`]); the thread's root and any missing CID are read
//! from the parent's record: `com.atproto.repo.getRecord` at the PDS first (no indexing delay
//! for posts of the same PDS), else `app.bsky.feed.getPosts` through the AppView. A parent that
//! is not itself a reply is the root.
//!
//! **The inbox cursor.** Bluesky pages notifications from the newest backwards, with no way to
//! ask for those after a point, and sorts them by `indexedAt`, which the AppView sets to the
//! *earlier* of the time it indexed the record and the record's own `createdAt`, a time the
//! author's client chose. A notification can therefore appear *behind* one already read (a
//! record that took a while to reach the AppView, a client whose clock is late), and a cursor
//! that is only "the newest time delivered" would skip it. The cursor Tutti keeps is a window
//! instead ([`NotificationCursor`]): a time `from`, and a fingerprint of every notification
//! delivered since then. Each call reads pages until it passes `from` (at most
//! [`MAX_NOTIFICATION_PAGES`] pages of 100) and returns, oldest first, those at or after `from`
//! that it has not delivered yet; the window then starts [`NOTIFICATION_LOOKBACK`] before the
//! newest notification, or later if it would hold more than [`MAX_SEEN`] of them. So no
//! notification is delivered twice, and none is skipped unless it is sorted more than the
//! window's length behind the newest one delivered, or more than
//! `MAX_NOTIFICATION_PAGES` × 100 arrive between two calls (then the oldest of them are
//! skipped, and a warning is logged).
//!
//! **Moderation.** A reply is hidden in the thread's threadgate (`app.bsky.feed.threadgate`,
//! record key = the root's), whose `hiddenReplies` lists it; its `allow` rules, if any, are
//! kept, and the record is written with `com.atproto.repo.putRecord` swapped against the CID
//! read, so that two changes at once cannot lose one. Mutes are the AppView's
//! (`app.bsky.graph.muteActor`, private to the account); a block is an `app.bsky.graph.block`
//! record, and unblocking deletes every block record of the account that names that DID.

use std::collections::HashSet;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tutti_connector::{
    clean_line, clean_text, AccountProfile, Connector, ConnectorError, Engagement, Network, Notification,
    NotificationKind, OutgoingPost, PostRef, ProfileCounts, Published, ReportReason, ReportSubject,
    MAX_NAME_CHARS, MAX_TEXT_BYTES,
};
use unicode_segmentation::UnicodeSegmentation;

use super::{
    now_rfc3339, record_ref, str_field, NewImage, NewPost, Payload, RecordRef, ReplyRef, Tid, XrpcClient,
    POST,
};
use crate::jetstream::bounded;

/// The most pages of notifications read per call.
pub const MAX_NOTIFICATION_PAGES: usize = 10;
const NOTIFICATION_PAGE: &str = "100";
/// How far behind the newest notification delivered the cursor's window starts.
pub const NOTIFICATION_LOOKBACK: chrono::Duration = chrono::Duration::minutes(15);
/// The most notifications a cursor remembers (its window shrinks to hold no more).
pub const MAX_SEEN: usize = 500;
/// The longest cursor accepted, in bytes.
const MAX_CURSOR_BYTES: usize = 64 * 1024;
/// The bytes of a notification's fingerprint in the cursor.
const PRINT_BYTES: usize = 6;
/// The longest id (an `at://` URI), handle or DID kept from an answer, in bytes.
const MAX_ID_BYTES: usize = 512;
/// The longest network name kept for an unknown kind of notification.
const MAX_REASON_BYTES: usize = 64;
/// The longest language tag kept.
const MAX_LANG_BYTES: usize = 64;
/// The most replies one thread may hide (the threadgate lexicon's bound).
pub const MAX_HIDDEN_REPLIES: usize = 300;
/// The longest comment of a report, in graphemes (the lexicon's bound).
pub const MAX_REPORT_GRAPHEMES: usize = 2_000;
/// The most pages of the account's blocks read to unblock someone.
const MAX_BLOCK_PAGES: usize = 50;
/// How many times a threadgate write is retried when another change raced it.
const THREADGATE_ATTEMPTS: usize = 3;

const THREADGATE: &str = "app.bsky.feed.threadgate";
const BLOCK: &str = "app.bsky.graph.block";

/// The DID, collection and record key of an `at://` URI.
fn uri_parts(uri: &str) -> Option<(&str, &str, &str)> {
    let path = uri.strip_prefix("at://")?;
    match path.split('/').collect::<Vec<_>>()[..] {
        [did, collection, rkey] if did.starts_with("did:") && !collection.is_empty() && !rkey.is_empty() => {
            Some((did, collection, rkey))
        }
        _ => None,
    }
}

/// Whether `did` looks like a DID that may go into a request.
fn is_did(did: &str) -> bool {
    did.starts_with("did:")
        && did.len() <= MAX_ID_BYTES
        && did.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:%-".contains(&b))
}

fn not_a_did(did: &str) -> ConnectorError {
    ConnectorError::Permanent(format!("not a Bluesky account (a DID): {:?}", bounded(did, 80)))
}

/// The web page of a post.
fn post_url(uri: &str) -> String {
    match uri_parts(uri) {
        Some((did, _, rkey)) => format!("https://bsky.app/profile/{did}/post/{rkey}"),
        None => uri.to_owned(),
    }
}

fn published(post: RecordRef) -> Published {
    let url = post_url(&post.uri);
    Published { post: PostRef { id: post.uri, cid: Some(post.cid) }, url }
}

fn to_ref(record: RecordRef) -> PostRef {
    PostRef { id: record.uri, cid: Some(record.cid) }
}

fn count(value: &Value, key: &str) -> u64 {
    value.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn kind_of(reason: &str) -> NotificationKind {
    match reason {
        "reply" => NotificationKind::Reply,
        "mention" => NotificationKind::Mention,
        "quote" => NotificationKind::Quote,
        "repost" => NotificationKind::Repost,
        "like" => NotificationKind::Like,
        "follow" => NotificationKind::Follow,
        other => NotificationKind::Other(clean_line(&bounded(other, MAX_REASON_BYTES), MAX_REASON_BYTES)),
    }
}

/// A strong reference in a record (`{uri, cid}`), bounded.
fn strong_ref(value: Option<&Value>) -> Option<RecordRef> {
    let found = record_ref(value?)?;
    (found.uri.len() <= MAX_ID_BYTES
        && found.cid.len() <= MAX_ID_BYTES
        && found.cid.bytes().all(|b| b.is_ascii_alphanumeric())
        && uri_parts(&found.uri).is_some()
        && !found.uri.contains(char::is_whitespace))
    .then_some(found)
}

/// A post's `at://` URI, bounded, as a reference without a CID.
fn uri_ref(uri: Option<&str>) -> Option<PostRef> {
    uri.filter(|u| u.len() <= MAX_ID_BYTES && uri_parts(u).is_some() && !u.contains(char::is_whitespace))
        .map(PostRef::id)
}

/// The post a record quotes (`app.bsky.embed.record`, or `recordWithMedia`), if any.
fn quoted(record: &Value) -> Option<RecordRef> {
    let embed = record.get("embed")?;
    match str_field(embed, "$type")? {
        "app.bsky.embed.record" => strong_ref(embed.get("record")),
        "app.bsky.embed.recordWithMedia" => strong_ref(embed.pointer("/record/record")),
        _ => None,
    }
}

/// A language tag: letters, digits and `-`, bounded.
fn lang_tag(tag: &str) -> Option<String> {
    (!tag.is_empty()
        && tag.len() <= MAX_LANG_BYTES
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    .then(|| tag.to_owned())
}

/// One item of `app.bsky.notification.listNotifications`, or `None` if it is malformed.
fn parse_notification(item: &Value) -> Option<Notification> {
    let id = str_field(item, "uri").filter(|u| u.len() <= MAX_ID_BYTES && uri_parts(u).is_some())?.to_owned();
    let reason = str_field(item, "reason")?;
    let indexed_at = str_field(item, "indexedAt").filter(|t| t.len() <= 64)?;
    let at = DateTime::parse_from_rfc3339(indexed_at).ok()?.with_timezone(&Utc);
    let author = item.get("author")?;
    let author_id = str_field(author, "did").filter(|d| is_did(d))?;
    let author_handle = str_field(author, "handle")
        .filter(|h| h.len() <= MAX_ID_BYTES && h.bytes().all(|b| b.is_ascii_graphic()))?;
    let author_name = str_field(author, "displayName")
        .map(|name| clean_line(name, MAX_NAME_CHARS))
        .filter(|name| !name.is_empty());
    let author_since = str_field(author, "createdAt")
        .filter(|t| t.len() <= 64)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let record = item.get("record").unwrap_or(&Value::Null);
    let kind = kind_of(reason);
    let mut notification = Notification {
        id,
        kind,
        author_handle: author_handle.to_owned(),
        author_id: author_id.to_owned(),
        author_name,
        author_since,
        post: None,
        text: None,
        lang: None,
        reply_parent: None,
        reply_root: None,
        subject: None,
        at,
    };
    let reason_subject = uri_ref(str_field(item, "reasonSubject"));
    match &notification.kind {
        NotificationKind::Reply | NotificationKind::Mention | NotificationKind::Quote => {
            let cid = str_field(item, "cid")
                .filter(|c| c.len() <= MAX_ID_BYTES && c.bytes().all(|b| b.is_ascii_alphanumeric()))
                .map(str::to_owned);
            notification.post = Some(PostRef { id: notification.id.clone(), cid });
            notification.text = str_field(record, "text").map(|t| clean_text(t, MAX_TEXT_BYTES));
            notification.lang = record
                .get("langs")
                .and_then(Value::as_array)
                .and_then(|langs| langs.first())
                .and_then(Value::as_str)
                .and_then(lang_tag);
            notification.reply_parent = strong_ref(record.pointer("/reply/parent")).map(to_ref);
            notification.reply_root = strong_ref(record.pointer("/reply/root")).map(to_ref);
            if notification.kind == NotificationKind::Quote {
                let quoted = quoted(record).map(to_ref);
                notification.subject = match (quoted, reason_subject) {
                    (Some(q), Some(s)) if q.id == s.id => Some(q),
                    (_, Some(s)) => Some(s),
                    (q, None) => q,
                };
            }
        }
        NotificationKind::Like | NotificationKind::Repost => {
            let subject = strong_ref(record.get("subject")).map(to_ref).or(reason_subject);
            notification.post = subject.clone();
            notification.subject = subject;
        }
        NotificationKind::Follow | NotificationKind::Direct | NotificationKind::Other(_) => {}
    }
    Some(notification)
}

/// A notification's fingerprint in a cursor: the first bytes of the SHA-256 of its id.
fn fingerprint(id: &str) -> [u8; PRINT_BYTES] {
    let digest = Sha256::digest(id.as_bytes());
    let mut print = [0; PRINT_BYTES];
    print.copy_from_slice(&digest[..PRINT_BYTES]);
    print
}

/// Where an inbox stands: every notification sorted at or after `from` that was delivered is
/// in `seen`; those sorted before `from` count as delivered. Written as `FROM~PRINTS`, the time
/// in RFC 3339 and the fingerprints in base64url; a bare RFC 3339 time (the cursor of earlier
/// versions: "delivered up to then") is read as the window just after it, with nothing in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationCursor {
    /// The start of the window.
    pub from: DateTime<Utc>,
    seen: HashSet<[u8; PRINT_BYTES]>,
}

impl NotificationCursor {
    /// Reads a cursor, or `None` if it is not one.
    pub fn parse(text: &str) -> Option<NotificationCursor> {
        if text.len() > MAX_CURSOR_BYTES {
            return None;
        }
        let time = |t: &str| DateTime::parse_from_rfc3339(t).ok().map(|t| t.with_timezone(&Utc));
        let Some((from, prints)) = text.split_once('~') else {
            let after = time(text)? + chrono::Duration::nanoseconds(1);
            return Some(NotificationCursor { from: after, seen: HashSet::new() });
        };
        let bytes = URL_SAFE_NO_PAD.decode(prints).ok()?;
        if bytes.len() % PRINT_BYTES != 0 {
            return None;
        }
        let seen = bytes
            .chunks_exact(PRINT_BYTES)
            .map(|c| <[u8; PRINT_BYTES]>::try_from(c).unwrap_or_default())
            .collect();
        Some(NotificationCursor { from: time(from)?, seen })
    }

    /// Whether `n` is to be delivered: at or after the window's start, and not delivered yet.
    fn is_new(&self, n: &Notification) -> bool {
        n.at >= self.from && !self.seen.contains(&fingerprint(&n.id))
    }

    /// How many notifications it remembers.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether it remembers none.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

impl std::fmt::Display for NotificationCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut prints: Vec<&[u8; PRINT_BYTES]> = self.seen.iter().collect();
        prints.sort();
        let bytes: Vec<u8> = prints.into_iter().flatten().copied().collect();
        let from = self.from.to_rfc3339_opts(SecondsFormat::Nanos, true);
        write!(f, "{from}~{}", URL_SAFE_NO_PAD.encode(bytes))
    }
}

/// What one call delivers out of the notifications `read` (newest first or in any order, each
/// once) and the next cursor. `before` is the cursor passed (`None` on the first call);
/// `complete` whether the reading went back past its window's start (or to the very first
/// notification), so that nothing newer than that is missing from `read`.
fn select(
    read: Vec<Notification>,
    before: Option<&NotificationCursor>,
    complete: bool,
) -> (Vec<Notification>, Option<NotificationCursor>) {
    let mut delivered: Vec<Notification> =
        read.iter().filter(|n| before.is_none_or(|c| c.is_new(n))).cloned().collect();
    delivered.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    // Those the next window covers, newest first.
    let mut covered: Vec<&Notification> =
        read.iter().filter(|n| before.is_none_or(|c| n.at >= c.from)).collect();
    covered.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
    let Some(newest) = covered.first().map(|n| n.at) else {
        return (delivered, before.cloned());
    };
    let mut from = newest - NOTIFICATION_LOOKBACK;
    if let Some(before) = before {
        from = from.max(before.from);
    }
    let one_more = chrono::Duration::nanoseconds(1);
    if !complete {
        // What lies below the oldest notification read was not read: leave it out.
        if let Some(oldest) = covered.last() {
            from = from.max(oldest.at + one_more);
        }
    }
    covered.retain(|n| n.at >= from);
    if covered.len() > MAX_SEEN {
        from = covered[MAX_SEEN].at + one_more;
        covered.retain(|n| n.at >= from);
    }
    let seen = covered.iter().map(|n| fingerprint(&n.id)).collect();
    (delivered, Some(NotificationCursor { from, seen }))
}

/// `comment` for a report, refused when over the lexicon's bound.
fn report_comment(comment: &str) -> Result<String, ConnectorError> {
    let comment = clean_text(comment, 20_000).trim().to_owned();
    let graphemes = comment.graphemes(true).count();
    if graphemes > MAX_REPORT_GRAPHEMES {
        return Err(ConnectorError::Permanent(format!(
            "the report's comment is {graphemes} characters long; Bluesky allows at most {MAX_REPORT_GRAPHEMES}"
        )));
    }
    Ok(comment)
}

fn reason_type(reason: ReportReason) -> &'static str {
    match reason {
        ReportReason::Spam => "com.atproto.moderation.defs#reasonSpam",
        ReportReason::Abusive => "com.atproto.moderation.defs#reasonRude",
        ReportReason::Other => "com.atproto.moderation.defs#reasonOther",
    }
}

impl XrpcClient {
    /// A post's strong reference and record: from its repository at the PDS, else from the
    /// AppView. `None` if neither knows it.
    async fn find_post(&self, uri: &str) -> Result<Option<(RecordRef, Value)>, ConnectorError> {
        let Some((did, collection, rkey)) = uri_parts(uri).filter(|(_, c, _)| *c == POST) else {
            return Err(ConnectorError::Permanent(format!("{:?} is not a post", bounded(uri, 200))));
        };
        let params = [("repo", did), ("collection", collection), ("rkey", rkey)];
        match self.query("com.atproto.repo.getRecord", &params).await {
            Ok(answer) => {
                if let Some(found) = record_ref(&answer) {
                    return Ok(Some((found, answer.get("value").cloned().unwrap_or(Value::Null))));
                }
            }
            // Not here (another PDS's repository, or gone): ask the AppView.
            Err(f) if matches!(f.error, ConnectorError::Permanent(_)) => {}
            Err(f) => return Err(f.error),
        }
        let post = self.view_of(uri).await?;
        Ok(post.and_then(|post| {
            let found = record_ref(&post)?;
            Some((found, post.get("record").cloned().unwrap_or(Value::Null)))
        }))
    }

    /// The AppView's view of a post (`app.bsky.feed.getPosts`), if it knows it.
    async fn view_of(&self, uri: &str) -> Result<Option<Value>, ConnectorError> {
        let answer = self
            .call("app.bsky.feed.getPosts", Payload::Query(&[("uris", uri)]))
            .await
            .map_err(|f| f.error)?;
        let posts = answer.get("posts").and_then(Value::as_array);
        Ok(posts.and_then(|posts| posts.iter().find(|p| str_field(p, "uri") == Some(uri)).cloned()))
    }

    /// `post` with its CID, looked up if it was not given.
    async fn strong(&self, post: &PostRef) -> Result<RecordRef, ConnectorError> {
        match &post.cid {
            Some(cid) if !cid.is_empty() => Ok(RecordRef { uri: post.id.clone(), cid: cid.clone() }),
            _ => match self.find_post(&post.id).await? {
                Some((found, _)) => Ok(found),
                None => Err(ConnectorError::Permanent(format!("no post {:?}", bounded(&post.id, 200)))),
            },
        }
    }

    /// Where a reply to `parent` sits: the parent, and the root of its thread.
    async fn reply_to(&self, parent: &PostRef) -> Result<ReplyRef, ConnectorError> {
        let Some((found, record)) = self.find_post(&parent.id).await? else {
            return Err(ConnectorError::Permanent(format!(
                "the post replied to, {:?}, does not exist",
                bounded(&parent.id, 200)
            )));
        };
        let root = strong_ref(record.pointer("/reply/root"));
        Ok(ReplyRef::to(&found, root.as_ref()))
    }

    /// The [`NewPost`] for `post`, its reply resolved when `resolve_reply` (publishing needs
    /// it; reconciling only compares the text).
    async fn new_post(&self, post: &OutgoingPost, resolve_reply: bool) -> Result<NewPost, ConnectorError> {
        let reply = match (&post.reply_to, resolve_reply) {
            (Some(parent), true) => Some(self.reply_to(parent).await?),
            _ => None,
        };
        Ok(NewPost {
            text: post.text.clone(),
            langs: post.langs.clone(),
            images: post
                .images
                .iter()
                .map(|image| NewImage {
                    bytes: image.bytes.clone(),
                    mime_type: image.mime.clone(),
                    alt: image.alt.clone(),
                    aspect_ratio: None,
                })
                .collect(),
            reply,
        })
    }

    /// One of the account's own posts, by its `at://` URI: its record key.
    async fn own_post_rkey<'u>(&self, post: &'u PostRef, what: &str) -> Result<&'u str, ConnectorError> {
        let session = self.sign_in().await?;
        match uri_parts(&post.id) {
            Some((did, POST, rkey)) if did == session.did => Ok(rkey),
            _ => Err(ConnectorError::Permanent(format!(
                "{what} must be one of the account's own posts, not {:?}",
                bounded(&post.id, 200)
            ))),
        }
    }

    /// Hides (`hide`) or shows again the reply `reply` in the thread of the account's post
    /// `root`, through the root's threadgate (`app.bsky.feed.threadgate` at the root's record
    /// key, list `hiddenReplies`), keeping whatever else the threadgate says (who may reply).
    /// Nothing changes when the reply already is as asked.
    pub async fn set_reply_hidden(
        &self,
        root: &PostRef,
        reply: &PostRef,
        hide: bool,
    ) -> Result<(), ConnectorError> {
        let rkey = self.own_post_rkey(root, "the thread's first post").await?;
        if uri_ref(Some(&reply.id)).is_none() || uri_parts(&reply.id).is_none_or(|(_, c, _)| c != POST) {
            return Err(ConnectorError::Permanent(format!("{:?} is not a post", bounded(&reply.id, 200))));
        }
        let session = self.sign_in().await?;
        for attempt in 1..=THREADGATE_ATTEMPTS {
            let existing = self.get_record(THREADGATE, rkey).await?;
            let mut record = match &existing {
                Some((_, value)) if value.is_object() => value.clone(),
                _ => json!({ "$type": THREADGATE, "post": root.id, "createdAt": now_rfc3339() }),
            };
            let mut hidden: Vec<String> = record
                .get("hiddenReplies")
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            let present = hidden.contains(&reply.id);
            if present == hide {
                return Ok(());
            }
            if hide {
                if hidden.len() >= MAX_HIDDEN_REPLIES {
                    return Err(ConnectorError::Permanent(format!(
                        "the thread already hides {} replies; Bluesky allows at most {MAX_HIDDEN_REPLIES}",
                        hidden.len()
                    )));
                }
                hidden.push(reply.id.clone());
            } else {
                hidden.retain(|h| *h != reply.id);
            }
            record["hiddenReplies"] = json!(hidden);
            let body = json!({
                "repo": session.did,
                "collection": THREADGATE,
                "rkey": rkey,
                "validate": true,
                "record": record,
                // Written only over the version read (or where there was none).
                "swapRecord": existing.as_ref().map(|(found, _)| found.cid.clone()),
            });
            match self.call("com.atproto.repo.putRecord", Payload::Json(&body)).await {
                Ok(_) => {
                    tracing::info!(root = %root.id, reply = %reply.id, hide, "changed a thread's hidden replies");
                    return Ok(());
                }
                Err(f) if f.is("InvalidSwap") && attempt < THREADGATE_ATTEMPTS => {
                    tracing::debug!(root = %root.id, "the threadgate changed meanwhile; reading it again");
                }
                Err(f) => return Err(f.error),
            }
        }
        Err(ConnectorError::Transient("the threadgate kept changing while it was written".into()))
    }

    /// Mutes (`mute`) or unmutes the account `did` (`app.bsky.graph.muteActor`, `unmuteActor`).
    pub async fn set_muted(&self, did: &str, mute: bool) -> Result<(), ConnectorError> {
        if !is_did(did) {
            return Err(not_a_did(did));
        }
        let nsid = if mute { "app.bsky.graph.muteActor" } else { "app.bsky.graph.unmuteActor" };
        self.call(nsid, Payload::Json(&json!({ "actor": did }))).await.map_err(|f| f.error)?;
        Ok(())
    }

    /// Blocks the account `did`: an `app.bsky.graph.block` record, returned.
    pub async fn block(&self, did: &str) -> Result<RecordRef, ConnectorError> {
        if !is_did(did) {
            return Err(not_a_did(did));
        }
        let session = self.sign_in().await?;
        let body = json!({
            "repo": session.did,
            "collection": BLOCK,
            "rkey": Tid::now().to_string(),
            "validate": true,
            "record": { "$type": BLOCK, "subject": did, "createdAt": now_rfc3339() },
        });
        let nsid = "com.atproto.repo.createRecord";
        let answer = self.call(nsid, Payload::Json(&body)).await.map_err(|f| f.error)?;
        record_ref(&answer)
            .ok_or_else(|| ConnectorError::Transient(format!("{nsid}: no uri and cid in the answer")))
    }

    /// Deletes every block record of the account that names `did` (read from the repository
    /// with `com.atproto.repo.listRecords`, at most 5,000 blocks); returns how many there were.
    pub async fn unblock(&self, did: &str) -> Result<usize, ConnectorError> {
        if !is_did(did) {
            return Err(not_a_did(did));
        }
        let session = self.sign_in().await?;
        let mut found = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_BLOCK_PAGES {
            let mut params = vec![("repo", session.did.as_str()), ("collection", BLOCK), ("limit", "100")];
            if let Some(cursor) = &cursor {
                params.push(("cursor", cursor.as_str()));
            }
            let answer = self.query("com.atproto.repo.listRecords", &params).await.map_err(|f| f.error)?;
            let records = answer.get("records").and_then(Value::as_array).cloned().unwrap_or_default();
            for record in &records {
                if record.pointer("/value/subject").and_then(Value::as_str) == Some(did) {
                    if let Some(block) = record_ref(record) {
                        found.push(block);
                    }
                }
            }
            cursor = str_field(&answer, "cursor").filter(|c| c.len() <= MAX_ID_BYTES).map(str::to_owned);
            if records.is_empty() || cursor.is_none() {
                break;
            }
        }
        for block in &found {
            self.delete_record(&block.uri).await?;
        }
        Ok(found.len())
    }

    /// Reports `subject` to the PDS's moderation service (`com.atproto.moderation.createReport`)
    /// and returns the report's id.
    pub async fn report(
        &self,
        subject: &ReportSubject,
        reason: ReportReason,
        comment: &str,
    ) -> Result<String, ConnectorError> {
        let comment = report_comment(comment)?;
        let subject = match subject {
            ReportSubject::Account(did) if is_did(did) => {
                json!({ "$type": "com.atproto.admin.defs#repoRef", "did": did })
            }
            ReportSubject::Account(did) => return Err(not_a_did(did)),
            ReportSubject::Post { post, .. } => {
                let post = self.strong(post).await?;
                json!({ "$type": "com.atproto.repo.strongRef", "uri": post.uri, "cid": post.cid })
            }
        };
        let mut body = json!({ "reasonType": reason_type(reason), "subject": subject });
        if !comment.is_empty() {
            body["reason"] = json!(comment);
        }
        let nsid = "com.atproto.moderation.createReport";
        let answer = self.call(nsid, Payload::Json(&body)).await.map_err(|f| f.error)?;
        match answer.get("id") {
            Some(Value::Number(id)) => Ok(id.to_string()),
            Some(Value::String(id)) if !id.is_empty() && id.len() <= 64 => Ok(clean_line(id, 64)),
            _ => Err(ConnectorError::Transient(format!("{nsid}: no report id in the answer"))),
        }
    }
}

#[async_trait]
impl Connector for XrpcClient {
    fn network(&self) -> Network {
        Network::Bluesky
    }

    /// Proves the credentials with `com.atproto.server.getSession`, then reads the profile.
    async fn verify(&self) -> Result<AccountProfile, ConnectorError> {
        self.call("com.atproto.server.getSession", Payload::Query(&[])).await.map_err(|f| f.error)?;
        self.profile().await
    }

    /// [`XrpcClient::publish`] at the record key `key` (a TID).
    async fn publish(&self, post: &OutgoingPost, key: &str) -> Result<Published, ConnectorError> {
        if post.direct {
            return Err(ConnectorError::Permanent(
                "Bluesky posts are public: a private reply cannot be posted here".into(),
            ));
        }
        let new = self.new_post(post, true).await?;
        XrpcClient::publish(self, &new, key).await.map(published)
    }

    /// [`XrpcClient::reconcile`]: whatever post the record key `key` holds.
    async fn reconcile(
        &self,
        _post: &OutgoingPost,
        key: &str,
        _first_sent: DateTime<Utc>,
    ) -> Result<Option<Published>, ConnectorError> {
        Ok(XrpcClient::reconcile(self, key).await?.map(published))
    }

    /// [`XrpcClient::delete_record`]: a post, a like or a repost of the account.
    async fn delete(&self, post: &PostRef) -> Result<(), ConnectorError> {
        self.delete_record(&post.id).await
    }

    /// Returns the like record (delete it to undo).
    async fn like(&self, post: &PostRef) -> Result<PostRef, ConnectorError> {
        let subject = self.strong(post).await?;
        XrpcClient::like(self, &subject.uri, &subject.cid).await.map(to_ref)
    }

    /// Returns the repost record (delete it to undo).
    async fn repost(&self, post: &PostRef) -> Result<PostRef, ConnectorError> {
        let subject = self.strong(post).await?;
        XrpcClient::repost(self, &subject.uri, &subject.cid).await.map(to_ref)
    }

    /// The AppView's counts (`app.bsky.feed.getPosts`). A post it does not know (deleted, or
    /// not indexed yet) is a [`ConnectorError::Permanent`].
    async fn engagement(&self, post: &PostRef) -> Result<Engagement, ConnectorError> {
        if uri_parts(&post.id).is_none() {
            return Err(ConnectorError::Permanent(format!("{:?} is not a post", bounded(&post.id, 200))));
        }
        let Some(view) = self.view_of(&post.id).await? else {
            return Err(ConnectorError::Permanent(format!(
                "the network knows no post {} (deleted, or not indexed yet)",
                bounded(&post.id, 200)
            )));
        };
        Ok(Engagement {
            replies: count(&view, "replyCount"),
            reposts: count(&view, "repostCount"),
            likes: count(&view, "likeCount"),
            quotes: view.get("quoteCount").and_then(Value::as_u64),
        })
    }

    /// The AppView's counts of up to 25 posts a call (`app.bsky.feed.getPosts`); a post it
    /// does not know is a [`ConnectorError::Permanent`] of its own.
    async fn engagements(&self, posts: &[PostRef]) -> Vec<Result<Engagement, ConnectorError>> {
        let mut out = Vec::with_capacity(posts.len());
        for chunk in posts.chunks(25) {
            let uris: Vec<(&str, &str)> = chunk
                .iter()
                .filter(|p| uri_parts(&p.id).is_some())
                .map(|p| ("uris", p.id.as_str()))
                .collect();
            let views = if uris.is_empty() {
                Vec::new()
            } else {
                match self.call("app.bsky.feed.getPosts", Payload::Query(&uris)).await {
                    Ok(answer) => answer.get("posts").and_then(Value::as_array).cloned().unwrap_or_default(),
                    Err(failure) => {
                        let stop = !matches!(failure.error, ConnectorError::Permanent(_));
                        if stop {
                            out.push(Err(failure.error));
                            return out;
                        }
                        chunk.iter().for_each(|_| out.push(Err(failure.error.clone())));
                        continue;
                    }
                }
            };
            for post in chunk {
                let view = views.iter().find(|v| str_field(v, "uri") == Some(post.id.as_str()));
                out.push(match view {
                    Some(view) => Ok(Engagement {
                        replies: count(view, "replyCount"),
                        reposts: count(view, "repostCount"),
                        likes: count(view, "likeCount"),
                        quotes: view.get("quoteCount").and_then(Value::as_u64),
                    }),
                    None => Err(ConnectorError::Permanent(format!(
                        "the network knows no post {} (deleted, or not indexed yet)",
                        bounded(&post.id, 200)
                    ))),
                });
            }
        }
        out
    }

    /// The AppView's counts for the account (`app.bsky.actor.getProfile`).
    async fn profile_counts(&self) -> Result<ProfileCounts, ConnectorError> {
        let session = self.sign_in().await?;
        let profile = self
            .call("app.bsky.actor.getProfile", Payload::Query(&[("actor", session.did.as_str())]))
            .await
            .map_err(|f| f.error)?;
        if str_field(&profile, "did") != Some(session.did.as_str()) {
            return Err(ConnectorError::Transient(
                "app.bsky.actor.getProfile: not the account's profile".into(),
            ));
        }
        Ok(ProfileCounts {
            followers: count(&profile, "followersCount"),
            following: count(&profile, "followsCount"),
            posts: count(&profile, "postsCount"),
        })
    }

    /// `app.bsky.notification.listNotifications`, read back past the window of the cursor
    /// `since` (see [`NotificationCursor`]); only the newest page when `since` is `None`.
    async fn notifications(
        &self,
        since: Option<&str>,
    ) -> Result<(Vec<Notification>, Option<String>), ConnectorError> {
        let before = match since {
            Some(text) => Some(NotificationCursor::parse(text).ok_or_else(|| {
                ConnectorError::Permanent(format!("not a notification cursor: {:?}", bounded(text, 80)))
            })?),
            None => None,
        };
        let nsid = "app.bsky.notification.listNotifications";
        let mut read: Vec<Notification> = Vec::new();
        let mut ids: HashSet<String> = HashSet::new();
        let mut page_cursor: Option<String> = None;
        let mut skipped = 0usize;
        let mut complete = false;
        for _ in 0..MAX_NOTIFICATION_PAGES {
            let mut params = vec![("limit", NOTIFICATION_PAGE)];
            if let Some(cursor) = &page_cursor {
                params.push(("cursor", cursor.as_str()));
            }
            let answer = self.call(nsid, Payload::Query(&params)).await.map_err(|f| f.error)?;
            let Some(items) = answer.get("notifications").and_then(Value::as_array) else {
                return Err(ConnectorError::Transient(format!("{nsid}: no notifications in the answer")));
            };
            for item in items {
                let Some(notification) = parse_notification(item) else {
                    skipped += 1;
                    continue;
                };
                if before.as_ref().is_some_and(|c| notification.at < c.from) {
                    complete = true;
                }
                if ids.insert(notification.id.clone()) {
                    read.push(notification);
                }
            }
            page_cursor = str_field(&answer, "cursor").filter(|c| c.len() <= MAX_ID_BYTES).map(str::to_owned);
            if items.is_empty() || page_cursor.is_none() {
                complete = true;
            }
            if complete || before.is_none() {
                break;
            }
        }
        if skipped > 0 {
            tracing::debug!(skipped, "skipped malformed Bluesky notifications");
        }
        if !complete && before.is_some() {
            tracing::warn!(
                read = read.len(),
                "more Bluesky notifications arrived since the last call than one call reads; older ones are skipped"
            );
        }
        let (delivered, next) = select(read, before.as_ref(), complete);
        let next = match (delivered.is_empty(), since) {
            (true, Some(since)) => Some(since.to_owned()),
            _ => next.map(|c| c.to_string()),
        };
        Ok((delivered, next))
    }

    /// [`XrpcClient::set_reply_hidden`]: `root` must be the account's own post.
    async fn hide_reply(&self, root: &PostRef, reply: &PostRef) -> Result<(), ConnectorError> {
        self.set_reply_hidden(root, reply, true).await
    }

    async fn unhide_reply(&self, root: &PostRef, reply: &PostRef) -> Result<(), ConnectorError> {
        self.set_reply_hidden(root, reply, false).await
    }

    /// `app.bsky.graph.muteActor`.
    async fn mute(&self, author_id: &str) -> Result<(), ConnectorError> {
        self.set_muted(author_id, true).await
    }

    /// `app.bsky.graph.unmuteActor`.
    async fn unmute(&self, author_id: &str) -> Result<(), ConnectorError> {
        self.set_muted(author_id, false).await
    }

    /// Returns the block record (deleting it, or [`Connector::unblock`], undoes it).
    async fn block(&self, author_id: &str) -> Result<PostRef, ConnectorError> {
        XrpcClient::block(self, author_id).await.map(to_ref)
    }

    /// [`XrpcClient::unblock`]: every block record naming `author_id` is deleted.
    async fn unblock(&self, author_id: &str) -> Result<(), ConnectorError> {
        XrpcClient::unblock(self, author_id).await.map(drop)
    }

    /// [`XrpcClient::report`]: spam, rude (abusive) or other.
    async fn report(
        &self,
        subject: &ReportSubject,
        reason: ReportReason,
        comment: &str,
    ) -> Result<String, ConnectorError> {
        XrpcClient::report(self, subject, reason, comment).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn notifications_are_read_in_neutral_terms() {
        let post = "at://did:plc:bob/app.bsky.feed.post/3kabc";
        let mine = "at://did:plc:brand/app.bsky.feed.post/3kxyz";
        let parent = "at://did:plc:brand/app.bsky.feed.post/3kpar";
        let author = json!({ "did": "did:plc:bob", "handle": "bob.test", "displayName": " Bob\u{202E}\n le \u{7}Bricoleur ",
                             "createdAt": "2025-01-01T10:00:00.000Z" });
        let reply = json!({
            "uri": post, "cid": "bafyreply", "reason": "reply", "author": author,
            "reasonSubject": parent, "indexedAt": "2025-01-02T03:04:05.678Z",
            "record": { "text": "hello\r\nback\u{0}\u{1b}", "langs": ["fr-CA", "en"],
                        "reply": { "root": { "uri": mine, "cid": "bafyroot" }, "parent": { "uri": parent, "cid": "bafyparent" } } },
        });
        let n = parse_notification(&reply).unwrap();
        assert_eq!(n.kind, NotificationKind::Reply);
        assert_eq!(n.post, Some(PostRef { id: post.into(), cid: Some("bafyreply".into()) }));
        assert_eq!(n.text.as_deref(), Some("hello\nback"));
        assert_eq!(n.lang.as_deref(), Some("fr-CA"));
        assert_eq!((n.author_handle.as_str(), n.author_id.as_str()), ("bob.test", "did:plc:bob"));
        assert_eq!(n.author_name.as_deref(), Some("Bob le Bricoleur"));
        assert_eq!(n.author_since.map(|t| t.to_rfc3339()).as_deref(), Some("2025-01-01T10:00:00+00:00"));
        assert_eq!(n.reply_parent, Some(PostRef { id: parent.into(), cid: Some("bafyparent".into()) }));
        assert_eq!(n.reply_root, Some(PostRef { id: mine.into(), cid: Some("bafyroot".into()) }));
        assert_eq!(n.subject, None);
        assert_eq!(n.at.to_rfc3339_opts(SecondsFormat::Millis, true), "2025-01-02T03:04:05.678Z");

        let like = json!({
            "uri": "at://did:plc:bob/app.bsky.feed.like/3klike", "cid": "x", "reason": "like",
            "reasonSubject": mine, "author": author, "indexedAt": "2025-01-02T03:04:06Z",
            "record": { "subject": { "uri": mine, "cid": "bafymine" } },
        });
        let n = parse_notification(&like).unwrap();
        assert_eq!(n.kind, NotificationKind::Like);
        let mine_ref = PostRef { id: mine.into(), cid: Some("bafymine".into()) };
        assert_eq!((n.post.as_ref(), n.subject.as_ref()), (Some(&mine_ref), Some(&mine_ref)));
        assert_eq!((n.text, n.lang, n.reply_parent), (None, None, None));

        let quote = json!({
            "uri": post, "cid": "bafyquote", "reason": "quote", "reasonSubject": mine, "author": author,
            "indexedAt": "2025-01-02T03:04:06Z",
            "record": { "text": "look", "embed": { "$type": "app.bsky.embed.recordWithMedia",
                        "record": { "record": { "uri": mine, "cid": "bafymine" } }, "media": {} } },
        });
        let n = parse_notification(&quote).unwrap();
        assert_eq!((n.kind, n.subject), (NotificationKind::Quote, Some(mine_ref.clone())));
        // A quote whose embed names another post: the network's subject, without a CID.
        let mut other = quote.clone();
        other["record"]["embed"] = json!({ "$type": "app.bsky.embed.record",
                                           "record": { "uri": parent, "cid": "bafyparent" } });
        assert_eq!(parse_notification(&other).unwrap().subject, Some(PostRef::id(mine)));

        let odd = json!({
            "uri": "at://did:plc:bob/app.bsky.graph.starterpack/1", "reason": "starterpack-joined\u{202E}",
            "author": { "did": "did:plc:bob", "handle": "bob.test", "displayName": "" },
            "indexedAt": "2025-01-02T03:04:07Z", "record": {},
        });
        let n = parse_notification(&odd).unwrap();
        assert_eq!((n.kind, n.author_name), (NotificationKind::Other("starterpack-joined".into()), None));

        // Hostile shapes: refused, or their odd parts dropped, never a panic.
        let long = "é".repeat(MAX_TEXT_BYTES);
        let mut huge = reply.clone();
        huge["record"]["text"] = json!(long);
        huge["record"]["langs"] = json!(["<script>", "en"]);
        huge["record"]["reply"]["parent"] = json!({ "uri": "https://evil.example/x", "cid": "c" });
        huge["author"]["displayName"] = json!("n".repeat(10_000));
        let n = parse_notification(&huge).unwrap();
        assert!(n.text.as_ref().unwrap().len() <= MAX_TEXT_BYTES);
        assert_eq!((n.lang, n.reply_parent), (None, None));
        assert_eq!(n.author_name.unwrap().chars().count(), MAX_NAME_CHARS);
        for broken in [
            json!({ "reason": "like", "author": author, "indexedAt": "2025-01-02T03:04:07Z" }),
            json!({ "uri": post, "reason": "like", "author": author, "indexedAt": "yesterday" }),
            json!({ "uri": post, "reason": "like", "author": { "handle": "bob.test" }, "indexedAt": "2025-01-02T03:04:07Z" }),
            json!({ "uri": post, "reason": "like", "author": { "did": "did:plc:b", "handle": "bob\ntest" }, "indexedAt": "2025-01-02T03:04:07Z" }),
            json!({ "uri": post, "reason": 7, "author": author, "indexedAt": "2025-01-02T03:04:07Z" }),
            json!([1, 2]),
            json!(null),
        ] {
            assert_eq!(parse_notification(&broken), None, "{broken}");
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    fn note(id: &str, secs: i64) -> Notification {
        Notification {
            id: format!("at://did:plc:bob/app.bsky.feed.like/{id}"),
            kind: NotificationKind::Like,
            author_handle: "bob.test".into(),
            author_id: "did:plc:bob".into(),
            author_name: None,
            author_since: None,
            post: None,
            text: None,
            lang: None,
            reply_parent: None,
            reply_root: None,
            subject: None,
            at: at(secs),
        }
    }

    fn ids(found: &[Notification]) -> Vec<&str> {
        found.iter().map(|n| n.id.rsplit('/').next().unwrap()).collect()
    }

    /// Runs `select` the way `notifications` does, through the cursor's text form.
    fn poll(list: &[Notification], cursor: Option<&str>) -> (Vec<Notification>, Option<String>) {
        let before = cursor.map(|c| NotificationCursor::parse(c).expect("a cursor"));
        // Newest first, as the AppView sends them; all of them fit one call here.
        let mut read = list.to_vec();
        read.sort_by_key(|n| std::cmp::Reverse(n.at));
        let (delivered, next) = select(read, before.as_ref(), true);
        let next = match (delivered.is_empty(), cursor) {
            (true, Some(c)) => Some(c.to_owned()),
            _ => next.map(|c| c.to_string()),
        };
        (delivered, next)
    }

    #[test]
    fn the_cursor_neither_repeats_nor_skips_a_notification_sorted_late() {
        let mut list = vec![note("a", 0), note("b", 10), note("c", 10)];
        let (first, cursor) = poll(&list, None);
        assert_eq!(ids(&first), ["a", "b", "c"]);
        // Nothing new: nothing, and the same cursor.
        let (again, same) = poll(&list, cursor.as_deref());
        assert_eq!((again.len(), same.as_deref()), (0, cursor.as_deref()));
        // A notification sorted *before* the newest delivered (a record that reached the
        // AppView late, or whose author's clock is late), one at the same instant, a newer one.
        list.extend([note("late", 5), note("tie", 10), note("d", 20)]);
        let (second, cursor) = poll(&list, cursor.as_deref());
        assert_eq!(ids(&second), ["late", "tie", "d"]);
        let (third, _) = poll(&list, cursor.as_deref());
        assert!(third.is_empty(), "{third:?}");
        // Deleted notifications leave the list; the others are still not repeated.
        list.retain(|n| !n.id.ends_with("/b"));
        list.push(note("e", 21));
        let (fourth, cursor) = poll(&list, cursor.as_deref());
        assert_eq!(ids(&fourth), ["e"]);
        // Much later: the window moves on, the cursor forgets what is behind it.
        let far = NOTIFICATION_LOOKBACK.num_seconds() + 100;
        list.push(note("f", far));
        let (fifth, cursor) = poll(&list, cursor.as_deref());
        assert_eq!(ids(&fifth), ["f"]);
        let window = NotificationCursor::parse(cursor.as_deref().unwrap()).unwrap();
        assert_eq!((window.from, window.len()), (at(100), 1));
        // Sorted further back than the window: not delivered (the documented limit).
        list.push(note("ancient", 50));
        assert!(poll(&list, cursor.as_deref()).0.is_empty());
    }

    #[test]
    fn the_cursor_stays_bounded_and_old_cursors_still_work() {
        let list: Vec<Notification> =
            (0..(MAX_SEEN as i64 + 50)).map(|i| note(&format!("n{i}"), i)).collect();
        let (all, cursor) = poll(&list, None);
        assert_eq!(all.len(), list.len());
        let cursor = cursor.unwrap();
        let window = NotificationCursor::parse(&cursor).unwrap();
        assert_eq!(window.len(), MAX_SEEN);
        assert!(cursor.len() < 8 * MAX_SEEN + 64, "{} bytes", cursor.len());
        assert!(poll(&list, Some(&cursor)).0.is_empty());

        // A cursor of earlier versions, a time: what is after it.
        let legacy = at(10).to_rfc3339_opts(SecondsFormat::Millis, true);
        let (found, next) = poll(&[note("a", 10), note("b", 11)], Some(&legacy));
        assert_eq!(ids(&found), ["b"]);
        assert!(next.unwrap().contains('~'));

        // Reading stopped before the window's start (too many at once): nothing older than
        // what was read comes back later, out of order.
        let read = vec![note("x", 30), note("y", 29)];
        let before = NotificationCursor::parse(&legacy).unwrap();
        let (found, next) = select(read, Some(&before), false);
        assert_eq!(ids(&found), ["y", "x"]);
        assert_eq!(next.unwrap().from, at(29) + chrono::Duration::nanoseconds(1));

        for bad in ["", "yesterday", "2025-01-02T03:04:05Z~***", "2025-01-02T03:04:05Z~AAAA", "x~"] {
            assert_eq!(NotificationCursor::parse(bad), None, "{bad:?}");
        }
        assert_eq!(NotificationCursor::parse(&"A".repeat(MAX_CURSOR_BYTES + 1)), None);
    }

    #[test]
    fn reports_and_moderation_refuse_what_the_network_would() {
        assert!(is_did("did:plc:abc123") && is_did("did:web:example.com%3A8080"));
        for bad in ["", "alice.test", "did:plc:a/b", "did:plc:a b", "did:plc:\u{202E}"] {
            assert!(!is_did(bad), "{bad:?}");
        }
        assert_eq!(report_comment("  spam again \u{0} ").unwrap(), "spam again");
        assert!(matches!(
            report_comment(&"a".repeat(MAX_REPORT_GRAPHEMES + 1)),
            Err(ConnectorError::Permanent(_))
        ));
        assert_eq!(reason_type(ReportReason::Spam), "com.atproto.moderation.defs#reasonSpam");
    }

    #[test]
    fn post_urls_name_the_account_and_record_key() {
        assert_eq!(
            post_url("at://did:plc:abc/app.bsky.feed.post/3kxyz"),
            "https://bsky.app/profile/did:plc:abc/post/3kxyz"
        );
        assert_eq!(uri_parts("at://did:plc:abc/app.bsky.feed.post"), None);
        assert_eq!(uri_parts("https://did:plc:abc/a/b"), None);
    }
}
