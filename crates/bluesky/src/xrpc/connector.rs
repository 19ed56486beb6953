//! The [`Connector`] trait for [`XrpcClient`]: publishing, the inbox and analytics in the
//! network-neutral terms of `tutti-connector`.
//!
//! Writes go to the account's repository on its PDS, as [`XrpcClient::publish`] and friends do.
//! Reads of the AppView's views (`app.bsky.feed.getPosts` for a post's counts,
//! `app.bsky.actor.getProfile` for the account's, `app.bsky.notification.listNotifications`
//! for the inbox) are sent, authenticated, to the same PDS, which forwards every `app.bsky.*`
//! call to the AppView it is configured with (no `atproto-proxy` header is needed for that).
//!
//! A reply names only its parent ([`PostRef`]); the thread's root and any missing CID are read
//! from the parent's record: `com.atproto.repo.getRecord` at the PDS first (no indexing delay
//! for posts of the same PDS), else `app.bsky.feed.getPosts` through the AppView.
//!
//! Bluesky pages notifications from the newest backwards, with no way to ask for those after a
//! point. The cursor Tutti keeps is therefore the `indexedAt` time of the newest notification
//! delivered: [`Connector::notifications`] reads pages until it reaches that time (at most
//! [`MAX_NOTIFICATION_PAGES`] pages of 50) and returns what is newer, oldest first.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use tutti_connector::{
    AccountProfile, Connector, ConnectorError, Engagement, Network, Notification, NotificationKind,
    OutgoingPost, PostRef, ProfileCounts, Published,
};

use super::{record_ref, str_field, NewImage, NewPost, Payload, RecordRef, ReplyRef, XrpcClient, POST};
use crate::jetstream::bounded;

/// The most pages of notifications read per call.
pub const MAX_NOTIFICATION_PAGES: usize = 4;
const NOTIFICATION_PAGE: &str = "50";
/// The longest id (an `at://` URI), handle or DID kept from an answer, in bytes.
const MAX_ID_BYTES: usize = 512;
/// The longest text kept from a notification's post, in bytes.
const MAX_TEXT_BYTES: usize = 3_000;
/// The longest network name kept for an unknown kind of notification.
const MAX_REASON_BYTES: usize = 64;

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
        other => NotificationKind::Other(bounded(other, MAX_REASON_BYTES)),
    }
}

/// A strong reference in a record (`{uri, cid}`), bounded.
fn strong_ref(value: Option<&Value>) -> Option<RecordRef> {
    let found = record_ref(value?)?;
    (found.uri.len() <= MAX_ID_BYTES && found.cid.len() <= MAX_ID_BYTES && uri_parts(&found.uri).is_some())
        .then_some(found)
}

/// One item of `app.bsky.notification.listNotifications`, or `None` if it is malformed.
fn parse_notification(item: &Value) -> Option<(Notification, String)> {
    let id = str_field(item, "uri").filter(|u| u.len() <= MAX_ID_BYTES)?.to_owned();
    let reason = str_field(item, "reason")?;
    let indexed_at = str_field(item, "indexedAt").filter(|t| t.len() <= 64)?;
    let at = DateTime::parse_from_rfc3339(indexed_at).ok()?.with_timezone(&Utc);
    let author = item.get("author")?;
    let author_id = str_field(author, "did").filter(|d| d.starts_with("did:") && d.len() <= MAX_ID_BYTES)?;
    let author_handle = str_field(author, "handle").filter(|h| h.len() <= MAX_ID_BYTES)?;
    let record = item.get("record").unwrap_or(&Value::Null);
    let kind = kind_of(reason);
    let (post, text) = match &kind {
        NotificationKind::Reply | NotificationKind::Mention | NotificationKind::Quote => {
            let cid = str_field(item, "cid").filter(|c| c.len() <= MAX_ID_BYTES).map(str::to_owned);
            let text = str_field(record, "text").map(|t| bounded(t, MAX_TEXT_BYTES));
            (Some(PostRef { id: id.clone(), cid }), text)
        }
        NotificationKind::Like | NotificationKind::Repost => {
            let subject = strong_ref(record.get("subject")).map(to_ref).or_else(|| {
                str_field(item, "reasonSubject")
                    .filter(|s| s.len() <= MAX_ID_BYTES && uri_parts(s).is_some())
                    .map(PostRef::id)
            });
            (subject, None)
        }
        NotificationKind::Follow | NotificationKind::Other(_) => (None, None),
    };
    let notification = Notification {
        id,
        kind,
        author_handle: author_handle.to_owned(),
        author_id: author_id.to_owned(),
        post,
        text,
        at,
    };
    Some((notification, indexed_at.to_owned()))
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

    /// `app.bsky.notification.listNotifications`, newer than the `indexedAt` time `since`.
    async fn notifications(
        &self,
        since: Option<&str>,
    ) -> Result<(Vec<Notification>, Option<String>), ConnectorError> {
        let since_at = match since {
            Some(cursor) => Some(
                DateTime::parse_from_rfc3339(cursor)
                    .map_err(|_| {
                        ConnectorError::Permanent(format!(
                            "not a notification cursor: {:?}",
                            bounded(cursor, 80)
                        ))
                    })?
                    .with_timezone(&Utc),
            ),
            None => None,
        };
        let nsid = "app.bsky.notification.listNotifications";
        let mut found: Vec<(Notification, String)> = Vec::new();
        let mut page_cursor: Option<String> = None;
        let mut skipped = 0usize;
        for _ in 0..MAX_NOTIFICATION_PAGES {
            let mut params = vec![("limit", NOTIFICATION_PAGE)];
            if let Some(cursor) = &page_cursor {
                params.push(("cursor", cursor.as_str()));
            }
            let answer = self.call(nsid, Payload::Query(&params)).await.map_err(|f| f.error)?;
            let Some(items) = answer.get("notifications").and_then(Value::as_array) else {
                return Err(ConnectorError::Transient(format!("{nsid}: no notifications in the answer")));
            };
            let mut reached = items.is_empty();
            for item in items {
                let Some((notification, stamp)) = parse_notification(item) else {
                    skipped += 1;
                    continue;
                };
                if since_at.is_some_and(|since| notification.at <= since) {
                    reached = true;
                    continue;
                }
                if !found.iter().any(|(n, _)| n.id == notification.id) {
                    found.push((notification, stamp));
                }
            }
            page_cursor = str_field(&answer, "cursor").filter(|c| c.len() <= MAX_ID_BYTES).map(str::to_owned);
            if reached || since_at.is_none() || page_cursor.is_none() {
                break;
            }
        }
        if skipped > 0 {
            tracing::debug!(skipped, "skipped malformed Bluesky notifications");
        }
        found.sort_by_key(|(n, _)| n.at);
        let next = found.last().map(|(_, stamp)| stamp.clone()).or_else(|| since.map(str::to_owned));
        Ok((found.into_iter().map(|(n, _)| n).collect(), next))
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
        let author = json!({ "did": "did:plc:bob", "handle": "bob.test" });
        let reply = json!({
            "uri": post, "cid": "bafyreply", "reason": "reply", "author": author,
            "indexedAt": "2025-01-02T03:04:05.678Z",
            "record": { "text": "hello back", "reply": { "root": { "uri": mine, "cid": "c" } } },
        });
        let (n, stamp) = parse_notification(&reply).unwrap();
        assert_eq!(n.kind, NotificationKind::Reply);
        assert_eq!(n.post, Some(PostRef { id: post.into(), cid: Some("bafyreply".into()) }));
        assert_eq!(n.text.as_deref(), Some("hello back"));
        assert_eq!((n.author_handle.as_str(), n.author_id.as_str()), ("bob.test", "did:plc:bob"));
        assert_eq!(stamp, "2025-01-02T03:04:05.678Z");

        let like = json!({
            "uri": "at://did:plc:bob/app.bsky.feed.like/3klike", "cid": "x", "reason": "like",
            "reasonSubject": mine, "author": author, "indexedAt": "2025-01-02T03:04:06Z",
            "record": { "subject": { "uri": mine, "cid": "bafymine" } },
        });
        let (n, _) = parse_notification(&like).unwrap();
        assert_eq!(n.kind, NotificationKind::Like);
        assert_eq!(n.post, Some(PostRef { id: mine.into(), cid: Some("bafymine".into()) }));
        assert_eq!(n.text, None);

        let odd = json!({
            "uri": "at://did:plc:bob/app.bsky.graph.starterpack/1", "reason": "starterpack-joined",
            "author": author, "indexedAt": "2025-01-02T03:04:07Z", "record": {},
        });
        assert_eq!(
            parse_notification(&odd).unwrap().0.kind,
            NotificationKind::Other("starterpack-joined".into())
        );

        for broken in [
            json!({ "reason": "like", "author": author, "indexedAt": "2025-01-02T03:04:07Z" }),
            json!({ "uri": post, "reason": "like", "author": author, "indexedAt": "yesterday" }),
            json!({ "uri": post, "reason": "like", "author": { "handle": "bob.test" }, "indexedAt": "2025-01-02T03:04:07Z" }),
        ] {
            assert_eq!(parse_notification(&broken), None, "{broken}");
        }
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
