//! The [`Connector`] trait for [`MastodonClient`]: publishing, the inbox and analytics in the
//! network-neutral terms of `tutti-connector`.
//!
//! A post's id is its status id on the account's instance (a [`PostRef`] carries no CID on
//! Mastodon). Publishing and reconciling are [`MastodonClient::publish`] and
//! [`MastodonClient::reconcile`] (the key is the `Idempotency-Key`); a post takes its first
//! language. Liking (favouriting) has no record of its own: [`Connector::like`] returns the
//! post itself, which must not be passed to [`Connector::delete`]. A repost is a status of the
//! account's own, which `delete` removes.
//!
//! Mastodon reports a reply as a mention; a mention whose status answers one of the account's
//! own (`in_reply_to_account_id`) is returned as a [`NotificationKind::Reply`], and a mention of
//! `direct` visibility as a [`NotificationKind::Direct`] (a private message; a post marked
//! `direct` is published with that visibility, to the accounts it mentions). A reply's parent
//! is its `in_reply_to_id`; its root is not in the status, so it is left out. The subject of a
//! favourite or a reblog is the account's status of the notification; of a quote, the status
//! quoted (`quote.quoted_status`, or `quote.quoted_status_id`, Mastodon 4.5 and later). The
//! cursor is the id of the newest notification delivered, paged forwards with `min_id`, which
//! returns those *immediately* after it: ids only grow, so nothing is repeated or skipped.
//!
//! Moderation: mutes and blocks are `POST /api/v1/accounts/:id/mute`, `unmute`, `block`,
//! `unblock`; a block has no id of its own, so [`Connector::block`] returns the account (undo it
//! with [`Connector::unblock`], never `delete`). Reports are `POST /api/v1/reports`. Mastodon
//! has no way to hide someone else's reply to the account's status: [`Connector::hide_reply`]
//! answers [`ConnectorError::Permanent`] saying so.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::json;
use serde_json::Value;
use tutti_connector::{
    clean_text, AccountProfile, Connector, ConnectorError, Engagement, Network, Notification,
    NotificationKind, OutgoingPost, PostRef, ProfileCounts, Published, ReportReason, ReportSubject,
    MAX_TEXT_BYTES,
};

use super::{
    api_id, cut, id_order, parse_notification, MastodonClient, NewMedia, NewStatus, NotificationKind as Kind,
    Payload, PublishedStatus, Reconciled, Visibility, MAX_ID_BYTES, PAGE_LIMIT,
};
use crate::status::StatusId;

/// The longest comment of a report, in characters (Mastodon's limit).
pub const MAX_REPORT_COMMENT_CHARS: usize = 1_000;
/// What [`Connector::hide_reply`] answers.
const NO_HIDING: &str =
    "hiding a reply is not supported by Mastodon: it has no way to hide someone else's reply to \
     the account's post (mute or block its author, or report it, instead)";

/// The notification types asked for.
const TYPES: [&str; 5] = ["mention", "favourite", "reblog", "follow", "quote"];

fn status_id(post: &PostRef) -> Result<StatusId, ConnectorError> {
    StatusId::parse(&post.id)
        .ok_or_else(|| ConnectorError::Permanent(format!("not a status id: {:?}", cut(&post.id, 80))))
}

fn published(status: PublishedStatus) -> Published {
    let url = status.url.unwrap_or_else(|| status.uri.clone());
    Published { post: PostRef { id: status.id.as_str().to_owned(), cid: None }, url }
}

fn count(value: &Value, key: &str) -> u64 {
    value.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// `post` as a Mastodon status.
fn new_status(post: &OutgoingPost) -> Result<NewStatus, ConnectorError> {
    let in_reply_to_id = post.reply_to.as_ref().map(status_id).transpose()?;
    Ok(NewStatus {
        text: post.text.clone(),
        language: post.langs.first().cloned(),
        in_reply_to_id,
        visibility: post.direct.then_some(Visibility::Direct),
        media: post
            .images
            .iter()
            .map(|image| NewMedia {
                bytes: image.bytes.clone(),
                mime_type: image.mime.clone(),
                description: image.alt.clone(),
                file_name: None,
            })
            .collect(),
        ..NewStatus::default()
    })
}

/// A status id read from an answer, as a reference.
fn id_ref(value: Option<&Value>) -> Option<PostRef> {
    value.and_then(Value::as_str).and_then(StatusId::parse).map(|id| PostRef::id(id.as_str()))
}

/// One notification in neutral terms, `own_id` being the account's id (to tell replies from
/// mentions); `None` if it is malformed.
fn neutral(item: Value, domain: &str, own_id: Option<&str>) -> Option<Notification> {
    let author_id = api_id(item.get("account")?)?;
    let raw_status = item.get("status").filter(|s| s.is_object());
    let replied_to =
        raw_status.and_then(|s| s.get("in_reply_to_account_id")).and_then(Value::as_str).map(str::to_owned);
    let reply_parent = raw_status.and_then(|s| id_ref(s.get("in_reply_to_id")));
    let quoted = raw_status.and_then(|s| s.get("quote")).and_then(|quote| {
        id_ref(quote.pointer("/quoted_status/id")).or_else(|| id_ref(quote.get("quoted_status_id")))
    });
    let parsed = parse_notification(item, domain)?;
    let kind = match parsed.kind {
        Kind::Mention if parsed.direct => NotificationKind::Direct,
        Kind::Mention if replied_to.is_some() && replied_to.as_deref() == own_id => NotificationKind::Reply,
        Kind::Mention => NotificationKind::Mention,
        Kind::Favourite => NotificationKind::Like,
        Kind::Reblog => NotificationKind::Repost,
        Kind::Follow => NotificationKind::Follow,
        Kind::Other(name) if name == "quote" => NotificationKind::Quote,
        Kind::Other(name) => NotificationKind::Other(name),
    };
    let post = parsed.status.as_ref().map(|s| PostRef { id: s.id.as_str().to_owned(), cid: None });
    let written = matches!(
        kind,
        NotificationKind::Reply
            | NotificationKind::Mention
            | NotificationKind::Quote
            | NotificationKind::Direct
    );
    let (text, lang) = match (&parsed.status, written) {
        (Some(status), true) => (Some(clean_text(&status.text, MAX_TEXT_BYTES)), status.lang.clone()),
        _ => (None, None),
    };
    let subject = match kind {
        NotificationKind::Like | NotificationKind::Repost => post.clone(),
        NotificationKind::Quote => quoted,
        _ => None,
    };
    Some(Notification {
        id: parsed.id,
        kind,
        author_handle: parsed.account,
        author_id,
        author_name: Some(parsed.display_name).filter(|name| !name.is_empty()),
        author_since: parsed.account_since,
        post,
        text,
        lang,
        reply_parent: if written { reply_parent } else { None },
        reply_root: None,
        subject,
        at: parsed.created_at,
    })
}

/// An account id that may go into a path.
fn account_id(id: &str) -> Result<&str, ConnectorError> {
    if !id.is_empty() && id.len() <= MAX_ID_BYTES && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(ConnectorError::Permanent(format!("not a Mastodon account id: {:?}", cut(id, 80))))
    }
}

impl MastodonClient {
    /// `POST /api/v1/accounts/:id/{action}` (`mute`, `unmute`, `block`, `unblock`), which
    /// answers the relationship with that account.
    async fn relationship(&self, id: &str, action: &str, body: Option<&Value>) -> Result<(), ConnectorError> {
        let path = format!("api/v1/accounts/{}/{action}", account_id(id)?);
        let payload = match body {
            Some(body) => Payload::Json(body),
            None => Payload::None,
        };
        let answer = self.call(Method::POST, &path, payload).await?;
        if api_id(&answer.body).is_none() {
            return Err(ConnectorError::Transient(format!("POST /{path}: the answer is not a relationship")));
        }
        Ok(())
    }

    /// Reports an account, and some of its statuses, to the instance's moderators
    /// (`POST /api/v1/reports`); returns the report's id.
    pub async fn report(
        &self,
        account: &str,
        statuses: &[StatusId],
        reason: ReportReason,
        comment: &str,
    ) -> Result<String, ConnectorError> {
        let account = account_id(account)?;
        let comment = clean_text(comment, 16 * MAX_REPORT_COMMENT_CHARS).trim().to_owned();
        let chars = comment.chars().count();
        if chars > MAX_REPORT_COMMENT_CHARS {
            return Err(ConnectorError::Permanent(format!(
                "the report's comment is {chars} characters long; Mastodon allows at most {MAX_REPORT_COMMENT_CHARS}"
            )));
        }
        // `violation` needs the instance's rule ids; abuse goes as `other`, with the comment.
        let category = match reason {
            ReportReason::Spam => "spam",
            ReportReason::Abusive | ReportReason::Other => "other",
        };
        let mut body = json!({ "account_id": account, "category": category, "comment": comment });
        if !statuses.is_empty() {
            body["status_ids"] = json!(statuses.iter().map(StatusId::as_str).collect::<Vec<_>>());
        }
        let answer = self.call(Method::POST, "api/v1/reports", Payload::Json(&body)).await?;
        api_id(&answer.body).ok_or_else(|| {
            ConnectorError::Transient("POST /api/v1/reports: the answer is not a report".into())
        })
    }
}

#[async_trait]
impl Connector for MastodonClient {
    fn network(&self) -> Network {
        Network::Mastodon
    }

    async fn verify(&self) -> Result<AccountProfile, ConnectorError> {
        self.verify_credentials().await
    }

    async fn publish(&self, post: &OutgoingPost, key: &str) -> Result<Published, ConnectorError> {
        MastodonClient::publish(self, &new_status(post)?, key).await.map(published)
    }

    async fn reconcile(
        &self,
        post: &OutgoingPost,
        key: &str,
        first_sent: DateTime<Utc>,
    ) -> Result<Option<Published>, ConnectorError> {
        Ok(match MastodonClient::reconcile(self, &new_status(post)?, key, first_sent).await? {
            Reconciled::Published(status) => Some(published(status)),
            Reconciled::NotFound => None,
        })
    }

    async fn delete(&self, post: &PostRef) -> Result<(), ConnectorError> {
        MastodonClient::delete(self, &status_id(post)?).await
    }

    /// Favourites the status; returns it (a favourite has no id of its own).
    async fn like(&self, post: &PostRef) -> Result<PostRef, ConnectorError> {
        self.favourite(&status_id(post)?).await?;
        Ok(PostRef { id: post.id.clone(), cid: None })
    }

    /// Reblogs the status; returns the reblog, a status of the account's own.
    async fn repost(&self, post: &PostRef) -> Result<PostRef, ConnectorError> {
        let id = status_id(post)?;
        let path = format!("api/v1/statuses/{id}/reblog");
        let answer = self.call(Method::POST, &path, Payload::None).await?;
        let reblog = api_id(&answer.body)
            .ok_or_else(|| ConnectorError::Transient(format!("POST /{path}: the answer is not a status")))?;
        Ok(PostRef { id: reblog, cid: None })
    }

    /// `GET /api/v1/statuses/:id`: replies, reblogs, favourites, and quotes when the instance
    /// counts them (Mastodon 4.5 and later).
    async fn engagement(&self, post: &PostRef) -> Result<Engagement, ConnectorError> {
        let id = status_id(post)?;
        let answer = self.call(Method::GET, &format!("api/v1/statuses/{id}"), Payload::None).await?;
        if api_id(&answer.body).is_none() {
            return Err(ConnectorError::Transient(format!(
                "GET /api/v1/statuses/{id}: the answer is not a status"
            )));
        }
        let body = &answer.body;
        Ok(Engagement {
            replies: count(body, "replies_count"),
            reposts: count(body, "reblogs_count"),
            likes: count(body, "favourites_count"),
            quotes: body.get("quotes_count").and_then(Value::as_u64),
        })
    }

    /// `GET /api/v1/accounts/verify_credentials`: followers, follows, statuses.
    async fn profile_counts(&self) -> Result<ProfileCounts, ConnectorError> {
        let path = "api/v1/accounts/verify_credentials";
        let answer = self.call(Method::GET, path, Payload::None).await?;
        let id = api_id(&answer.body)
            .ok_or_else(|| ConnectorError::Transient(format!("GET /{path}: no account id")))?;
        *super::lock(&self.account_id) = Some(id);
        let body = &answer.body;
        Ok(ProfileCounts {
            followers: count(body, "followers_count"),
            following: count(body, "following_count"),
            posts: count(body, "statuses_count"),
        })
    }

    /// `GET /api/v1/notifications` after the id `since` (`min_id`), at most 40, oldest first;
    /// the next cursor is the newest id of the page.
    async fn notifications(
        &self,
        since: Option<&str>,
    ) -> Result<(Vec<Notification>, Option<String>), ConnectorError> {
        let mut query: Vec<(&str, &str)> = TYPES.iter().map(|t| ("types[]", *t)).collect();
        query.push(("limit", PAGE_LIMIT));
        if let Some(since) = since {
            if since.is_empty()
                || since.len() > MAX_ID_BYTES
                || !since.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(ConnectorError::Permanent(format!(
                    "not a notification id: {:?}",
                    cut(since, 80)
                )));
            }
            query.push(("min_id", since));
        }
        let answer = self.call(Method::GET, "api/v1/notifications", Payload::Query(&query)).await?;
        let Value::Array(items) = answer.body else {
            return Err(ConnectorError::Transient(
                "GET /api/v1/notifications: the answer is not a list".into(),
            ));
        };
        // The account's id tells replies from mentions; read it only when a mention answers
        // someone.
        let needs_own_id = items.iter().any(|item| {
            item.get("type").and_then(Value::as_str) == Some("mention")
                && item.pointer("/status/in_reply_to_account_id").is_some_and(Value::is_string)
        });
        let own_id = if needs_own_id { Some(self.account_id().await?) } else { None };
        let domain = self.local_domain().await;
        let total = items.len();
        // The newest id of the page, malformed notifications included, so that a page of only
        // malformed ones is passed over rather than read again and again.
        let newest = items.iter().filter_map(api_id).max_by(|a, b| id_order(a, b));
        let mut found: Vec<Notification> =
            items.into_iter().filter_map(|item| neutral(item, &domain, own_id.as_deref())).collect();
        if found.len() < total {
            tracing::debug!(skipped = total - found.len(), "skipped malformed mastodon notifications");
        }
        found.sort_by(|a, b| id_order(&a.id, &b.id));
        let newer = |id: &String| since.is_none_or(|since| id_order(id, since).is_gt());
        let next = newest.filter(newer).or_else(|| since.map(str::to_owned));
        Ok((found, next))
    }

    /// Not supported by Mastodon: a [`ConnectorError::Permanent`] saying so.
    async fn hide_reply(&self, _root: &PostRef, _reply: &PostRef) -> Result<(), ConnectorError> {
        Err(ConnectorError::Permanent(NO_HIDING.into()))
    }

    /// Not supported by Mastodon: a [`ConnectorError::Permanent`] saying so.
    async fn unhide_reply(&self, _root: &PostRef, _reply: &PostRef) -> Result<(), ConnectorError> {
        Err(ConnectorError::Permanent(NO_HIDING.into()))
    }

    /// `POST /api/v1/accounts/:id/mute`, its notifications too.
    async fn mute(&self, author_id: &str) -> Result<(), ConnectorError> {
        self.relationship(author_id, "mute", Some(&json!({ "notifications": true }))).await
    }

    /// `POST /api/v1/accounts/:id/unmute`.
    async fn unmute(&self, author_id: &str) -> Result<(), ConnectorError> {
        self.relationship(author_id, "unmute", None).await
    }

    /// `POST /api/v1/accounts/:id/block`; returns the account (a block has no id of its own).
    async fn block(&self, author_id: &str) -> Result<PostRef, ConnectorError> {
        self.relationship(author_id, "block", None).await?;
        Ok(PostRef::id(author_id))
    }

    /// `POST /api/v1/accounts/:id/unblock`.
    async fn unblock(&self, author_id: &str) -> Result<(), ConnectorError> {
        self.relationship(author_id, "unblock", None).await
    }

    /// [`MastodonClient::report`]: the account, with the status for a post.
    async fn report(
        &self,
        subject: &ReportSubject,
        reason: ReportReason,
        comment: &str,
    ) -> Result<String, ConnectorError> {
        match subject {
            ReportSubject::Account(account) => {
                MastodonClient::report(self, account, &[], reason, comment).await
            }
            ReportSubject::Post { post, author_id } => {
                MastodonClient::report(self, author_id, &[status_id(post)?], reason, comment).await
            }
        }
    }
}
