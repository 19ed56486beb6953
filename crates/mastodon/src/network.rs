//! Mastodon as a network Tutti knows ([`NetworkKind`]): its limits, a random
//! `Idempotency-Key` for each post, the mentions of a text that its instance can check
//! (`@name`, or `@name@` its own host: a mention of another instance is left to federation,
//! which Tutti cannot check without asking that instance), accounts looked up with
//! `GET /api/v1/accounts/lookup`, and [`MastodonClient`] as a channel's connector.

use std::sync::Arc;
use std::time::Duration;
use tutti_outbound::Clients as _;

use async_trait::async_trait;
use tutti_connector::{
    Bell, ChannelAccess, Connector, ConnectorError, Counting, Limits, Mention, Network, NetworkKind,
    ReadBudget, Ringing,
};

use crate::bell::NotificationBell;
use crate::client::MastodonClient;

/// Mastodon's limits on a post: the default of an instance (one may allow more).
pub const LIMITS: Limits = Limits {
    text_max: 500,
    counting: Counting::Chars,
    text_max_bytes: None,
    images_max: 4,
    image_max_bytes: 1_000_000,
    alt_max_chars: 2_000,
    langs_max: 3,
};

/// How long a lookup made while a person waits may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest lookup answer read.
const MAX_LOOKUP_BYTES: usize = 256 * 1024;

/// Mastodon and compatible servers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mastodon;

/// The mentions of `text`: `@name` or `@name@host`, not inside a word or a link.
pub fn mentions_in(text: &str) -> Vec<Mention> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let name_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let host_char = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'@' {
            i += 1;
            continue;
        }
        let preceded = i > 0 && (name_char(bytes[i - 1]) || matches!(bytes[i - 1], b'/' | b'@' | b'.'));
        let name_end = (i + 1..bytes.len()).find(|&j| !name_char(bytes[j])).unwrap_or(bytes.len());
        if preceded || name_end == i + 1 {
            i = name_end.max(i + 1);
            continue;
        }
        let mut end = name_end;
        if end < bytes.len() && bytes[end] == b'@' {
            let host_end = (end + 1..bytes.len()).find(|&j| !host_char(bytes[j])).unwrap_or(bytes.len());
            let host = text[end + 1..host_end].trim_end_matches('.');
            if host.contains('.') {
                end = end + 1 + host.len();
            }
        }
        out.push(Mention { start: i, account: text[i + 1..end].to_owned() });
        i = end;
    }
    out
}

/// The host of a URL (`https://mastodon.example/` → `mastodon.example`).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest).rsplit('@').next().unwrap_or(rest)
}

#[async_trait]
impl NetworkKind for Mastodon {
    fn network(&self) -> Network {
        Network::Mastodon
    }

    fn limits(&self) -> Limits {
        LIMITS
    }

    /// One status a call; 100 calls per five minutes is a third of the 300 requests an account
    /// may make per five minutes, leaving the rest to publishing and the inbox.
    fn read_budget(&self) -> ReadBudget {
        ReadBudget { posts_per_call: 1, calls_per_5_min: 100 }
    }

    fn new_idempotency_key(&self) -> String {
        format!("{:032x}", rand::random::<u128>())
    }

    fn mentions(&self, text: &str, service: &str) -> Vec<Mention> {
        let own = host_of(service).to_ascii_lowercase();
        mentions_in(text)
            .into_iter()
            .filter_map(|m| match m.account.split_once('@') {
                None => Some(m),
                Some((name, host)) if host.eq_ignore_ascii_case(&own) => {
                    Some(Mention { start: m.start, account: name.to_owned() })
                }
                Some(_) => None,
            })
            .collect()
    }

    async fn resolve_account(
        &self,
        outbound: &tutti_outbound::Outbound,
        service: &str,
        account: &str,
    ) -> Result<Option<String>, ConnectorError> {
        let transient = |e: &dyn std::fmt::Display| ConnectorError::Transient(e.to_string());
        let http = outbound
            .client()
            .timeout(LOOKUP_TIMEOUT)
            .connect_timeout(LOOKUP_TIMEOUT)
            .build()
            .map_err(|e| transient(&e))?;
        let url = format!("{}/api/v1/accounts/lookup", service.trim_end_matches('/'));
        let mut r = http.get(url).query(&[("acct", account)]).send().await.map_err(|e| transient(&e))?;
        if r.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !r.status().is_success() {
            return Err(ConnectorError::Transient(format!("accounts/lookup answered {}", r.status())));
        }
        // The instance found the account; its id when the answer says it.
        let body = tutti_outbound::read_limited(&mut r, MAX_LOOKUP_BYTES).await.unwrap_or_default();
        let id = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|answer| answer["id"].as_str().map(str::to_owned));
        Ok(Some(id.unwrap_or_else(|| account.to_owned())))
    }

    fn open(
        &self,
        channel: &ChannelAccess<'_>,
        outbound: &tutti_outbound::Outbound,
    ) -> Result<Arc<dyn Connector>, String> {
        let secret = (channel.secret)()?;
        let client = MastodonClient::new(channel.service, &secret, outbound).map_err(|e| e.to_string())?;
        Ok(Arc::new(client))
    }

    fn rings(&self) -> bool {
        true
    }

    fn bell(
        &self,
        channel: &ChannelAccess<'_>,
        outbound: &tutti_outbound::Outbound,
        bell: Arc<Bell>,
    ) -> Result<Ringing, String> {
        let token = (channel.secret)()?;
        let listener = NotificationBell::new(channel.service, &token, outbound).map_err(|e| e.to_string())?;
        Ok(Box::pin(async move { listener.run(bell).await }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: Vec<Mention>) -> Vec<String> {
        v.into_iter().map(|m| m.account).collect()
    }

    #[test]
    fn mentions_are_found_outside_words_and_links() {
        let text = "Merci @alice et @bob@social.example ! mail@host.example https://x.example/@carol @_ @";
        assert_eq!(names(mentions_in(text)), vec!["alice", "bob@social.example", "_"]);
        assert_eq!(mentions_in("(@dana)")[0].start, 1);
    }

    #[test]
    fn only_mentions_of_the_channels_instance_are_checked() {
        let text = "@alice @bob@Social.Example @carol@elsewhere.example";
        assert_eq!(names(Mastodon.mentions(text, "https://social.example/")), vec!["alice", "bob"]);
    }

    #[test]
    fn hosts_are_read_from_urls() {
        assert_eq!(host_of("https://mastodon.example/"), "mastodon.example");
        assert_eq!(host_of("http://127.0.0.1:3000"), "127.0.0.1:3000");
    }

    #[test]
    fn keys_are_fresh_and_fit_the_header() {
        let (a, b) = (Mastodon.new_idempotency_key(), Mastodon.new_idempotency_key());
        assert_ne!(a, b);
        assert!(
            a.len() <= crate::client::MAX_IDEMPOTENCY_KEY_BYTES && a.chars().all(|c| c.is_ascii_hexdigit())
        );
    }
}
