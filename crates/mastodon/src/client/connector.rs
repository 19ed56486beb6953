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
//! own (`in_reply_to_account_id`) is returned as a [`NotificationKind::Reply`]. The cursor is
//! the id of the newest notification delivered, paged forwards with `min_id`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::Value;
use tutti_connector::{
    AccountProfile, Connector, ConnectorError, Engagement, Network, Notification, NotificationKind,
    OutgoingPost, PostRef, ProfileCounts, Published,
};

use super::{
    api_id, cut, id_order, parse_notification, MastodonClient, NewMedia, NewStatus, NotificationKind as Kind,
    Payload, PublishedStatus, Reconciled, MAX_ID_BYTES, PAGE_LIMIT,
};
use crate::status::StatusId;

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

/// One notification in neutral terms, `own_id` being the account's id (to tell replies from
/// mentions); `None` if it is malformed.
fn neutral(item: Value, domain: &str, own_id: Option<&str>) -> Option<Notification> {
    let author_id = api_id(item.get("account")?)?;
    let replied_to =
        item.pointer("/status/in_reply_to_account_id").and_then(Value::as_str).map(str::to_owned);
    let parsed = parse_notification(item, domain)?;
    let kind = match parsed.kind {
        Kind::Mention if replied_to.is_some() && replied_to.as_deref() == own_id => NotificationKind::Reply,
        Kind::Mention => NotificationKind::Mention,
        Kind::Favourite => NotificationKind::Like,
        Kind::Reblog => NotificationKind::Repost,
        Kind::Follow => NotificationKind::Follow,
        Kind::Other(name) if name == "quote" => NotificationKind::Quote,
        Kind::Other(name) => NotificationKind::Other(name),
    };
    let post = parsed.status.as_ref().map(|s| PostRef { id: s.id.as_str().to_owned(), cid: None });
    let text = match kind {
        NotificationKind::Reply | NotificationKind::Mention | NotificationKind::Quote => {
            parsed.status.map(|s| s.text)
        }
        _ => None,
    };
    Some(Notification {
        id: parsed.id,
        kind,
        author_handle: parsed.account,
        author_id,
        post,
        text,
        at: parsed.created_at,
    })
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

    /// `GET /api/v1/notifications` after the id `since` (`min_id`), at most 40, oldest first.
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
        let mut found: Vec<Notification> =
            items.into_iter().filter_map(|item| neutral(item, &domain, own_id.as_deref())).collect();
        if found.len() < total {
            tracing::debug!(skipped = total - found.len(), "skipped malformed mastodon notifications");
        }
        found.sort_by(|a, b| id_order(&a.id, &b.id));
        let next = found.last().map(|n| n.id.clone()).or_else(|| since.map(str::to_owned));
        Ok((found, next))
    }
}
