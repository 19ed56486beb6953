//! RSS and Atom feeds as a listening source.
//!
//! A feed is polled with a conditional GET (`If-None-Match` / `If-Modified-Since`), so an
//! unchanged feed costs the publisher one empty answer. What a poll returns is only what is
//! new: the [`FeedCursor`] remembers the validators and the ids of the entries already seen,
//! and it is serialised into the database after each poll, so a restart neither misses nor
//! repeats an entry. Every piece of text in a feed is hostile: markup is removed, entities
//! decoded, control and invisible characters dropped, and lengths bounded, before anything
//! leaves this crate.

use std::collections::VecDeque;
use std::time::Duration;
use tutti_outbound::Clients as _;

use chrono::{DateTime, Utc};
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER, USER_AGENT};
use reqwest::StatusCode;

/// The largest feed body accepted, in bytes.
pub const MAX_FEED_BYTES: usize = 5 * 1024 * 1024;
/// The longest text kept from one entry, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// How many entry ids a cursor remembers (more than any real feed carries at once).
pub const REMEMBERED_IDS: usize = 1_000;
/// The deepest nesting of XML elements read. Feeds nest a handful of levels (an Atom entry's
/// XHTML content a few more); the XML reader counts levels in 16 bits and panics past 65,535.
pub const MAX_XML_DEPTH: usize = 128;
/// The most entries read from one feed; the newest come first, the rest wait for a later poll
/// or are gone.
pub const MAX_ENTRIES: usize = 1_000;

/// Why a poll failed, split by what the caller does about it.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Try again later (network trouble, server error, rate limiting).
    #[error("feed temporarily unavailable: {message}")]
    Transient {
        /// What happened.
        message: String,
        /// How long the server asked us to wait, if it did.
        retry_after: Option<Duration>,
    },
    /// The feed answered, but not with something usable; retrying soon will not help.
    #[error("feed unusable: {0}")]
    Malformed(String),
}

/// What a source remembers between polls.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedCursor {
    /// The `ETag` of the last answer.
    pub etag: Option<String>,
    /// The `Last-Modified` of the last answer.
    pub last_modified: Option<String>,
    /// Ids of the entries already delivered, oldest first.
    pub seen: VecDeque<String>,
}

impl FeedCursor {
    /// Reads a cursor stored by [`FeedCursor::to_json`]; an unreadable one starts afresh.
    pub fn from_json(text: &str) -> FeedCursor {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// The cursor as stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn remember(&mut self, id: &str) {
        self.seen.push_back(id.to_owned());
        while self.seen.len() > REMEMBERED_IDS {
            self.seen.pop_front();
        }
    }
}

/// A new entry of a feed, as plain, bounded text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FeedItem {
    /// The entry's id (its guid, or its link).
    pub id: String,
    /// The link to the entry, if any.
    pub url: Option<String>,
    /// The title, as plain text.
    pub title: String,
    /// The summary or content, as plain text.
    pub text: String,
    /// The first author's name, if any.
    pub author: Option<String>,
    /// When it was published (or updated), if the feed says.
    pub published: Option<DateTime<Utc>>,
}

/// The outcome of a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// The feed did not change since the last poll.
    NotModified,
    /// The entries not seen before (possibly none), and the cursor to store.
    Changed {
        /// New entries, oldest first.
        items: Vec<FeedItem>,
        /// The cursor after this poll.
        cursor: FeedCursor,
    },
}

/// Polls feeds over HTTP, under the outbound policy.
#[derive(Debug, Clone)]
pub struct FeedPoller {
    client: tutti_outbound::Client,
}

impl Default for FeedPoller {
    /// Public addresses only, 20 seconds per poll.
    fn default() -> Self {
        FeedPoller::new(Duration::from_secs(20), &tutti_outbound::Outbound::strict())
    }
}

impl FeedPoller {
    /// A poller whose requests give up after `timeout`, calling only the addresses `outbound`
    /// allows (a redirect is followed only to the same host).
    pub fn new(timeout: Duration, outbound: &tutti_outbound::Outbound) -> FeedPoller {
        let client =
            outbound.client().timeout(timeout).connect_timeout(timeout).build().expect("HTTP client");
        FeedPoller { client }
    }

    /// Fetches `url` if it changed since `cursor`, and returns the entries not seen before.
    pub async fn poll(&self, url: &str, cursor: &FeedCursor) -> Result<Poll, FeedError> {
        let mut request = self.client.get(url).header(USER_AGENT, "Tutti feed reader");
        if let Some(etag) = &cursor.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(modified) = &cursor.last_modified {
            request = request.header(IF_MODIFIED_SINCE, modified);
        }
        let mut response = request.send().await.map_err(|e| match e {
            tutti_outbound::Error::Refused(why) => FeedError::Malformed(format!("refused: {why}")),
            e => FeedError::Transient { message: e.to_string(), retry_after: None },
        })?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Poll::NotModified);
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(FeedError::Transient {
                message: format!("the server answered {status}"),
                retry_after,
            });
        }
        if !status.is_success() {
            return Err(FeedError::Malformed(format!("the server answered {status}")));
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let (etag, last_modified) = (header(ETAG), header(LAST_MODIFIED));
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| FeedError::Transient { message: e.to_string(), retry_after: None })?
        {
            if body.len() + chunk.len() > MAX_FEED_BYTES {
                return Err(FeedError::Malformed(format!(
                    "the feed is larger than {} MB",
                    MAX_FEED_BYTES / 1024 / 1024
                )));
            }
            body.extend_from_slice(&chunk);
        }
        let mut next = FeedCursor { etag, last_modified, seen: cursor.seen.clone() };
        let items = new_items(&body, &mut next)?;
        Ok(Poll::Changed { items, cursor: next })
    }
}

/// Parses a feed document and returns the entries `cursor` has not seen, remembering them.
pub fn new_items(body: &[u8], cursor: &mut FeedCursor) -> Result<Vec<FeedItem>, FeedError> {
    if body.len() > MAX_FEED_BYTES {
        return Err(FeedError::Malformed(format!("larger than {} MB", MAX_FEED_BYTES / 1024 / 1024)));
    }
    check_xml_depth(body, MAX_XML_DEPTH).map_err(FeedError::Malformed)?;
    // An entry without an id gets one from its link and title, or none: the parser's last
    // resort, a random id, would deliver it again on every poll (see `item`).
    let parser = feed_rs::parser::Builder::new()
        .id_generator(|links, title, _| match links.first() {
            Some(link) => feed_rs::parser::generate_id_from_link_and_title(link, title),
            None => String::new(),
        })
        .build();
    let feed =
        parser.parse(body).map_err(|e| FeedError::Malformed(format!("not an RSS or Atom feed: {e}")))?;
    let mut items: Vec<FeedItem> = feed.entries.into_iter().take(MAX_ENTRIES).filter_map(item).collect();
    // Feeds list the newest first; deliver the oldest first.
    items.sort_by_key(|i| i.published);
    let mut fresh = Vec::new();
    for item in items {
        if cursor.seen.iter().any(|s| *s == item.id) {
            continue;
        }
        cursor.remember(&item.id);
        fresh.push(item);
    }
    Ok(fresh)
}

/// Checks, before the XML reader sees it, that a document nests its elements at most
/// `max_depth` deep. One pass, no recursion: comments, CDATA sections, processing
/// instructions and the document type are skipped, quoted attribute values too, and a
/// self-closing element opens no level. A JSON Feed (starting with `{`) is not XML and passes.
pub fn check_xml_depth(body: &[u8], max_depth: usize) -> Result<(), String> {
    fn find(hay: &[u8], from: usize, needle: &[u8]) -> usize {
        hay.get(from..)
            .and_then(|rest| rest.windows(needle.len()).position(|w| w == needle))
            .map_or(hay.len(), |at| from + at + needle.len())
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(offset) = body[i..].iter().position(|&b| b == b'<') {
        let at = i + offset;
        let rest = &body[at..];
        i = if rest.starts_with(b"<!--") {
            find(body, at + 4, b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            find(body, at + 9, b"]]>")
        } else if rest.starts_with(b"<?") {
            find(body, at + 2, b"?>")
        } else if rest.starts_with(b"<!") {
            // A document type, with or without an internal subset in brackets.
            let close = find(body, at, b">");
            match body[at..close].iter().position(|&b| b == b'[') {
                Some(_) => find(body, at, b"]>").max(close),
                None => close,
            }
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            find(body, at, b">")
        } else {
            // A start tag: up to the `>` outside quoted attribute values.
            let mut quote = None;
            let mut j = at + 1;
            while j < body.len() {
                match (quote, body[j]) {
                    (None, b'"' | b'\'') => quote = Some(body[j]),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            if j < body.len() && body[j - 1] != b'/' {
                depth += 1;
                if depth > max_depth {
                    return Err(format!("elements nested deeper than {max_depth} levels at byte {at}"));
                }
            }
            j + 1
        }
        .min(body.len());
    }
    Ok(())
}

fn item(entry: feed_rs::model::Entry) -> Option<FeedItem> {
    let url = entry
        .links
        .first()
        .map(|l| l.href.clone())
        .filter(|h| h.starts_with("http://") || h.starts_with("https://"));
    let title = entry.title.map(|t| plain_text(&t.content)).unwrap_or_default();
    let body = entry
        .content
        .and_then(|c| c.body)
        .or_else(|| entry.summary.map(|s| s.content))
        .map(|b| plain_text(&b))
        .unwrap_or_default();
    // The entry's id, else its link, else a digest of what it says: the same entry must keep
    // the same id from one poll to the next, or it would be delivered again each time.
    let id = if !entry.id.trim().is_empty() {
        bounded(&entry.id, 500)
    } else if let Some(url) = &url {
        url.clone()
    } else if !title.is_empty() || !body.is_empty() {
        format!("text:{:016x}", fnv1a([title.as_bytes(), b"\0", body.as_bytes()]))
    } else {
        return None;
    };
    Some(FeedItem {
        id,
        url: url.map(|u| bounded(&u, 2_000)),
        title,
        text: body,
        author: entry.authors.first().map(|a| plain_text(&a.name)).filter(|a| !a.is_empty()),
        published: entry.published.or(entry.updated),
    })
}

/// FNV-1a, 64 bits: a digest that stays the same across versions and machines.
fn fnv1a<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.into_iter().flatten() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Turns hostile HTML into bounded plain text: tags removed, entities decoded, invisible and
/// control characters dropped, whitespace collapsed.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(MAX_TEXT_CHARS));
    let mut in_tag = false;
    let mut skip_until: Option<&str> = None;
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        if let Some(end) = skip_until {
            match lower[i..].find(end) {
                Some(j) => {
                    i += j + end.len();
                    skip_until = None;
                    continue;
                }
                None => break,
            }
        }
        let c = bytes[i];
        if c == b'<' {
            // Scripts and styles are dropped with their content.
            if lower[i..].starts_with("<script") {
                skip_until = Some("</script>");
            } else if lower[i..].starts_with("<style") {
                skip_until = Some("</style>");
            } else {
                in_tag = true;
                out.push(' ');
            }
            i += 1;
            continue;
        }
        if in_tag {
            if c == b'>' {
                in_tag = false;
            }
            i += 1;
            continue;
        }
        let next = lower[i..].find(['<']).map_or(bytes.len(), |j| i + j);
        out.push_str(&html[i..next]);
        i = next;
    }
    let decoded = html_escape::decode_html_entities(&out);
    let cleaned: String = decoded
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'))
        .collect();
    bounded(&cleaned.split_whitespace().collect::<Vec<_>>().join(" "), MAX_TEXT_CHARS)
}

fn bounded(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_scripts_and_invisible_characters_become_plain_text() {
        let cases = [
            ("<p>Le <b>nouveau</b> produit&nbsp;est&#160;là&nbsp;!</p>", "Le nouveau produit est là !"),
            ("<script>alert(1)</script>Bonjour<style>p{}</style> tout le monde", "Bonjour tout le monde"),
            ("a\u{202E}b\u{200B}c", "abc"),
            ("&lt;script&gt;x&lt;/script&gt;", "<script>x</script>"),
            ("unclosed <b tag", "unclosed"),
            ("", ""),
        ];
        for (html, want) in cases {
            assert_eq!(plain_text(html), want, "{html:?}");
        }
        assert_eq!(plain_text(&"é".repeat(MAX_TEXT_CHARS + 5)).chars().count(), MAX_TEXT_CHARS + 1);
    }

    #[test]
    fn the_depth_of_xml_is_counted_in_one_pass() {
        let ok = br#"<?xml version="1.0"?><!-- <a><a><a> --><!DOCTYPE x [<!ENTITY e "<a>">]><a b="<a>" c='>'><br/><![CDATA[<a><a>]]><a></a></a>"#;
        assert_eq!(check_xml_depth(ok, 2), Ok(()));
        assert!(check_xml_depth(ok, 1).is_err());
        assert_eq!(check_xml_depth(b"<a><b><c/></b></a>", 2), Ok(()));
        assert_eq!(
            check_xml_depth(b"<a><b><c></c></b></a>", 2),
            Err("elements nested deeper than 2 levels at byte 6".into())
        );
        assert_eq!(check_xml_depth(br#" {"items": "<a><a><a>"}"#, 1), Ok(()));
        assert_eq!(check_xml_depth(b"<a", 0), Ok(()));
        assert_eq!(check_xml_depth(b"<!--", 0), Ok(()));
        assert_eq!(check_xml_depth(b"", 0), Ok(()));
    }

    #[test]
    fn a_cursor_remembers_a_bounded_number_of_ids() {
        let mut cursor = FeedCursor::default();
        for i in 0..REMEMBERED_IDS + 10 {
            cursor.remember(&i.to_string());
        }
        assert_eq!(cursor.seen.len(), REMEMBERED_IDS);
        assert_eq!(cursor.seen.front().map(String::as_str), Some("10"));
        assert_eq!(FeedCursor::from_json(&cursor.to_json()), cursor);
        assert_eq!(FeedCursor::from_json("garbage"), FeedCursor::default());
    }
}
