//! The account's notifications (mentions, favourites, reblogs, follows): what the inbox reads
//! from a Mastodon account, paged forwards from a cursor, each bounded and cleaned.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::Value;
use tutti_connector::ConnectorError;

use super::{
    api_id, id_order, str_field, MastodonClient, Payload, MAX_ACCT_CHARS, MAX_ID_BYTES, MAX_NAME_CHARS,
    PAGE_LIMIT,
};
use crate::status::{clean_line, cut, parse_status_value, MastodonPost, ParsedStatus};

/// What a notification is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationKind {
    /// Someone mentioned the account; the status is theirs.
    Mention,
    /// Someone favourited one of the account's statuses.
    Favourite,
    /// Someone reblogged one of the account's statuses.
    Reblog,
    /// Someone followed the account.
    Follow,
    /// Anything else (a server that ignores the requested types sends them): the API's name.
    Other(String),
}

impl NotificationKind {
    pub(super) fn from_api(kind: &str) -> NotificationKind {
        match kind {
            "mention" => NotificationKind::Mention,
            "favourite" => NotificationKind::Favourite,
            "reblog" => NotificationKind::Reblog,
            "follow" => NotificationKind::Follow,
            other => NotificationKind::Other(clean_line(other, 64)),
        }
    }
}

/// A notification of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The notification's id (increasing; the cursor to pass to the next call).
    pub id: String,
    /// What happened.
    pub kind: NotificationKind,
    /// Who did it, as `user@instance`.
    pub account: String,
    /// Their display name (may be empty).
    pub display_name: String,
    /// When their account was created (Mastodon gives the day), if it says.
    pub account_since: Option<DateTime<Utc>>,
    /// Whether the status is a direct message (visibility `direct`).
    pub direct: bool,
    /// The status concerned (the mention, or the account's own status favourited or
    /// reblogged), when there is one and it is readable.
    pub status: Option<Box<MastodonPost>>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
}

/// Reads one notification of `GET /api/v1/notifications` (already read as JSON, with the JSON
/// reader's limit of 128 levels of nesting), or `None` if it lacks what the inbox needs.
pub fn parse_notification(value: Value, local_domain: &str) -> Option<Notification> {
    let id = api_id(&value)?;
    let kind = NotificationKind::from_api(value.get("type")?.as_str()?);
    let created_at = DateTime::parse_from_rfc3339(str_field(&value, "created_at")?).ok()?.with_timezone(&Utc);
    let account = value.get("account")?;
    let acct = clean_line(str_field(account, "acct")?.trim_start_matches('@'), MAX_ACCT_CHARS);
    if acct.is_empty() {
        return None;
    }
    let account_name = if acct.contains('@') { acct } else { format!("{acct}@{local_domain}") };
    let display_name = clean_line(str_field(account, "display_name").unwrap_or(""), MAX_NAME_CHARS);
    let account_since = str_field(account, "created_at")
        .filter(|t| t.len() <= 64)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let direct = value.pointer("/status/visibility").and_then(Value::as_str) == Some("direct");
    let status = match value.get("status") {
        Some(status) if status.is_object() => match parse_status_value(status.clone(), local_domain) {
            Ok(ParsedStatus::Post(post)) => Some(post),
            _ => None,
        },
        _ => None,
    };
    Some(Notification {
        id,
        kind,
        account: account_name,
        display_name,
        account_since,
        direct,
        status,
        created_at,
    })
}

impl MastodonClient {
    /// The account's mentions, favourites, reblogs and follows newer than `since_id` (the
    /// newest 40 when `None`), oldest first, at most 40 per call: call again with the last id
    /// until nothing comes. Paged with `min_id`, which returns those *immediately* after the
    /// cursor, so that nothing is skipped when more than a page behind. Malformed
    /// notifications are skipped.
    pub async fn notifications(&self, since_id: Option<&str>) -> Result<Vec<Notification>, ConnectorError> {
        let mut query = vec![
            ("types[]", "mention"),
            ("types[]", "favourite"),
            ("types[]", "reblog"),
            ("types[]", "follow"),
            ("limit", PAGE_LIMIT),
        ];
        if let Some(since_id) = since_id {
            if since_id.is_empty()
                || since_id.len() > MAX_ID_BYTES
                || !since_id.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(ConnectorError::Permanent(format!(
                    "not a notification id: {:?}",
                    cut(since_id, 80)
                )));
            }
            query.push(("min_id", since_id));
        }
        let answer = self.call(Method::GET, "api/v1/notifications", Payload::Query(&query)).await?;
        let Value::Array(items) = answer.body else {
            return Err(ConnectorError::Transient(
                "GET /api/v1/notifications: the answer is not a list".into(),
            ));
        };
        let domain = self.local_domain().await;
        let total = items.len();
        let mut notifications: Vec<Notification> =
            items.into_iter().filter_map(|item| parse_notification(item, &domain)).collect();
        if notifications.len() < total {
            tracing::debug!(
                skipped = total - notifications.len(),
                "skipped malformed mastodon notifications"
            );
        }
        notifications.sort_by(|a, b| id_order(&a.id, &b.id));
        Ok(notifications)
    }
}
