//! Checking the @mentions of a post before it is saved: a mention the network says does not
//! exist is refused at `text`, with its place, instead of going out as plain text.
//!
//! - Bluesky: each handle is resolved with `com.atproto.identity.resolveHandle` on the
//!   channel's PDS; an answer of 400 (the network's "Unable to resolve handle") means unknown.
//! - Mastodon: a mention of the channel's own instance (`@name`, or `@name@` its host) is
//!   looked up with `GET /api/v1/accounts/lookup`; 404 means unknown. A mention of another
//!   instance is left to federation, which Tutti cannot check without asking that instance.
//!
//! When the network cannot be asked (unreachable, slow, a server error) the post is accepted:
//! a network having a bad minute must not stop a team from scheduling. The publisher resolves
//! Bluesky mentions again when it sends the post.

use std::time::Duration;

use reqwest::StatusCode;
use tutti_domain::InputError;

use crate::AppError;

/// The most distinct mentions checked in one post.
const MAX_CHECKED: usize = 20;
pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);

/// A mention in a post: where it starts (bytes) and the account it names, without the `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mention {
    start: usize,
    account: String,
}

/// The Bluesky mentions of `text`, as the publisher will see them.
fn bluesky_mentions(text: &str) -> Vec<Mention> {
    tutti_bluesky::detect_facets(text)
        .into_iter()
        .filter_map(|f| match f.kind {
            tutti_bluesky::FacetKind::Mention(handle) => Some(Mention { start: f.start, account: handle }),
            _ => None,
        })
        .collect()
}

/// The Mastodon mentions of `text`: `@name` or `@name@host`, not inside a word or a link.
fn mastodon_mentions(text: &str) -> Vec<Mention> {
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

/// Whether the network knows the account: `Some(false)` when it says it does not, `None` when
/// it could not be asked.
async fn known(http: &tutti_outbound::Client, network: &str, service: &str, account: &str) -> Option<bool> {
    let base = service.trim_end_matches('/');
    let request = match network {
        "bluesky" => http
            .get(format!("{base}/xrpc/com.atproto.identity.resolveHandle"))
            .query(&[("handle", account.to_ascii_lowercase())]),
        _ => http.get(format!("{base}/api/v1/accounts/lookup")).query(&[("acct", account)]),
    };
    match request.send().await {
        Ok(r) if r.status().is_success() => Some(true),
        Ok(r) if network == "bluesky" && r.status() == StatusCode::BAD_REQUEST => Some(false),
        Ok(r) if network != "bluesky" && r.status() == StatusCode::NOT_FOUND => Some(false),
        Ok(r) => {
            tracing::warn!(network, status = %r.status(), "cannot check a mention; accepting it");
            None
        }
        Err(e) => {
            tracing::warn!(network, error = %e, "cannot check a mention; accepting it");
            None
        }
    }
}

/// The host of a URL (`https://mastodon.example/` → `mastodon.example`).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest).rsplit('@').next().unwrap_or(rest)
}

/// Refuses `text` at `text` when one of its mentions names an account the network says does
/// not exist.
pub(crate) async fn check(
    http: &tutti_outbound::Client,
    network: &str,
    service: &str,
    text: &str,
) -> Result<(), AppError> {
    // The demo network knows every account it is asked about.
    if tutti_demo::is_demo(service) {
        return Ok(());
    }
    let found = match network {
        "bluesky" => bluesky_mentions(text),
        "mastodon" => {
            let own = host_of(service).to_ascii_lowercase();
            mastodon_mentions(text)
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
        _ => Vec::new(),
    };
    if found.is_empty() {
        return Ok(());
    }
    let mut seen: Vec<String> = Vec::new();
    for m in found {
        let key = m.account.to_ascii_lowercase();
        if seen.contains(&key) {
            continue;
        }
        if seen.len() >= MAX_CHECKED {
            break;
        }
        seen.push(key);
        if known(http, network, service, &m.account).await == Some(false) {
            let column = text[..m.start].chars().count() + 1;
            let name = if network == "bluesky" { "Bluesky" } else { "this Mastodon instance" };
            return Err(InputError::new(
                "text",
                "mention_unknown",
                format!(
                    "@{} (character {column}) is not an account on {name}: check the spelling, or remove the @",
                    tutti_domain::input::clip(&m.account, 80)
                ),
            )
            .into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: Vec<Mention>) -> Vec<String> {
        v.into_iter().map(|m| m.account).collect()
    }

    #[test]
    fn mastodon_mentions_are_found_outside_words_and_links() {
        let text = "Merci @alice et @bob@social.example ! mail@host.example https://x.example/@carol @_ @";
        assert_eq!(names(mastodon_mentions(text)), vec!["alice", "bob@social.example", "_"]);
        assert_eq!(mastodon_mentions("(@dana)")[0].start, 1);
    }

    #[test]
    fn bluesky_mentions_are_the_publishers() {
        assert_eq!(names(bluesky_mentions("Hi @alice.test and @nothandle")), vec!["alice.test"]);
    }

    #[test]
    fn hosts_are_read_from_urls() {
        assert_eq!(host_of("https://mastodon.example/"), "mastodon.example");
        assert_eq!(host_of("http://127.0.0.1:3000"), "127.0.0.1:3000");
    }
}
