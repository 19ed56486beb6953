//! Mastodon statuses: hostile JSON in, a bounded [`MastodonPost`] out, and the status ids that
//! order them.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::IgnoredAny;
use serde::Deserialize;

/// The largest status accepted, in bytes of JSON (a status is a few kB; long remote posts with
/// many attachments reach tens of kB).
pub const MAX_STATUS_BYTES: usize = 512 * 1024;
/// The longest text kept, in characters (content warning and content together).
pub const MAX_TEXT_CHARS: usize = 10_000;
/// The most links kept per post.
pub const MAX_LINKS: usize = 20;
/// The most hashtags kept per post.
pub const MAX_TAGS: usize = 30;
/// The longest URL kept, in bytes; longer ones are dropped, not cut.
pub const MAX_URL_BYTES: usize = 2_000;
/// The longest status id accepted, in bytes.
pub const MAX_ID_BYTES: usize = 64;

/// How much of the content HTML is looked at, in bytes: plenty for any status, and a bound on
/// the work a hostile one can cause.
const MAX_CONTENT_BYTES: usize = 256 * 1024;
const MAX_NAME_CHARS: usize = 200;
const MAX_ACCT_CHARS: usize = 300;
const MAX_SPOILER_CHARS: usize = 1_000;
const MAX_TAG_CHARS: usize = 100;

/// A status id. Mastodon's are decimal snowflakes (a millisecond timestamp shifted left by 16
/// bits, plus a sequence), sent as strings; other servers speaking the same API use fixed-length
/// alphanumeric ids. Either way a longer id is newer, and ids of one length sort as text, which
/// is the order [`Ord`] gives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusId(String);

impl StatusId {
    /// Accepts 1 to [`MAX_ID_BYTES`] ASCII letters and digits.
    pub fn parse(id: &str) -> Option<StatusId> {
        let ok = !id.is_empty() && id.len() <= MAX_ID_BYTES && id.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then(|| StatusId(id.to_owned()))
    }

    /// The id as the API spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The smallest id: every real status is newer.
    pub(crate) fn zero() -> StatusId {
        StatusId("0".into())
    }

    /// For a Mastodon snowflake, the id `by` earlier (the lowest id a status created then could
    /// have); any other id is returned unchanged.
    pub(crate) fn rewound(&self, by: Duration) -> StatusId {
        match self.0.parse::<u64>() {
            Ok(n) if self.0.bytes().all(|b| b.is_ascii_digit()) => {
                let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
                StatusId(n.saturating_sub(ms.saturating_mul(1 << 16)).to_string())
            }
            _ => self.clone(),
        }
    }
}

impl Ord for StatusId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for StatusId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for StatusId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A public Mastodon status, as the listening engine needs it. Every field is bounded and free
/// of markup, control and bidirectional-override characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MastodonPost {
    /// The status id on the instance it was read from.
    pub id: StatusId,
    /// The ActivityPub id: the same on every instance.
    pub uri: String,
    /// The web page of the status, if the server gave one.
    pub url: Option<String>,
    /// The author as `user@instance`.
    pub acct: String,
    /// The author's display name (may be empty; custom emoji stay as `:shortcode:`).
    pub display_name: String,
    /// The content as plain text, preceded by the content warning, if any, on its own line.
    pub text: String,
    /// The language the author's client declared (`en`, `pt-BR`), if any.
    pub lang: Option<String>,
    /// The links of the content other than mentions and hashtags, then the preview card's.
    pub links: Vec<String>,
    /// Hashtags, without `#`.
    pub tags: Vec<String>,
    /// When the status was created.
    pub created_at: DateTime<Utc>,
}

/// A status as read: a post, or a reblog (boost), which is skipped: it carries no text of its
/// own, and the public and hashtag timelines never include reblogs anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedStatus {
    /// An original status (or a reply, or a quote).
    Post(Box<MastodonPost>),
    /// A reblog: only its own id is kept, so that it still moves the cursor.
    Reblog {
        /// The reblog's id (not the reblogged status's).
        id: StatusId,
    },
}

impl ParsedStatus {
    /// The status id.
    pub fn id(&self) -> &StatusId {
        match self {
            ParsedStatus::Post(post) => &post.id,
            ParsedStatus::Reblog { id } => id,
        }
    }
}

/// Why a status was skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// Larger than [`MAX_STATUS_BYTES`].
    #[error("status larger than {MAX_STATUS_BYTES} bytes")]
    Oversized,
    /// Not the JSON Mastodon sends.
    #[error("malformed status: {0}")]
    Malformed(String),
}

#[derive(Deserialize)]
struct RawStatus {
    id: String,
    uri: String,
    url: Option<String>,
    created_at: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    spoiler_text: String,
    language: Option<String>,
    account: RawAccount,
    reblog: Option<IgnoredAny>,
    #[serde(default)]
    tags: Vec<RawTag>,
    #[serde(default)]
    mentions: Vec<RawLinked>,
    card: Option<RawLinked>,
}

#[derive(Deserialize)]
struct RawAccount {
    acct: String,
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct RawTag {
    name: String,
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawLinked {
    url: Option<String>,
}

/// Parses one status, as the streaming API's `update` events and the timelines carry it. An
/// author without `@instance` is local to `local_domain` (the instance's `host[:port]`).
pub fn parse_status(json: &str, local_domain: &str) -> Result<ParsedStatus, StatusError> {
    if json.len() > MAX_STATUS_BYTES {
        return Err(StatusError::Oversized);
    }
    let raw: RawStatus = serde_json::from_str(json).map_err(|e| StatusError::Malformed(e.to_string()))?;
    from_raw(raw, local_domain)
}

/// [`parse_status`] for a status already parsed as JSON (an element of a timeline page).
pub(crate) fn parse_status_value(
    value: serde_json::Value,
    local_domain: &str,
) -> Result<ParsedStatus, StatusError> {
    let raw = RawStatus::deserialize(value).map_err(|e| StatusError::Malformed(e.to_string()))?;
    from_raw(raw, local_domain)
}

fn from_raw(raw: RawStatus, local_domain: &str) -> Result<ParsedStatus, StatusError> {
    let malformed = |what: &str| StatusError::Malformed(what.to_owned());
    let id = StatusId::parse(&raw.id).ok_or_else(|| malformed("the id is not 1-64 letters and digits"))?;
    if raw.reblog.is_some() {
        return Ok(ParsedStatus::Reblog { id });
    }
    let uri = web_url(&raw.uri).ok_or_else(|| malformed("the uri is not an http(s) URL"))?;
    let created_at = DateTime::parse_from_rfc3339(&raw.created_at)
        .map_err(|_| malformed("created_at is not an RFC 3339 time"))?
        .with_timezone(&Utc);
    let acct = clean_line(raw.account.acct.trim_start_matches('@'), MAX_ACCT_CHARS);
    if acct.is_empty() {
        return Err(malformed("the account has no acct"));
    }
    let acct =
        if acct.contains('@') || local_domain.is_empty() { acct } else { format!("{acct}@{local_domain}") };

    let content = cut(&raw.content, MAX_CONTENT_BYTES);
    let body = tutti_feeds::plain_text(&without_inline_tags(content));
    let warning = clean_line(&raw.spoiler_text, MAX_SPOILER_CHARS);
    let text = match (warning.is_empty(), body.is_empty()) {
        (true, _) => body,
        (false, true) => warning,
        (false, false) => format!("{warning}\n{body}"),
    };

    // Mentions and hashtags are links in the content too; they are people and topics, not links.
    let not_links: HashSet<&str> = raw
        .mentions
        .iter()
        .filter_map(|m| m.url.as_deref())
        .chain(raw.tags.iter().filter_map(|t| t.url.as_deref()))
        .collect();
    let mut links = content_links(content, &not_links);
    if let Some(card) = raw.card.and_then(|c| c.url).as_deref().and_then(web_url) {
        if links.len() < MAX_LINKS && !links.contains(&card) {
            links.push(card);
        }
    }
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.tags.iter().map(|t| clean_line(t.name.trim_start_matches('#'), MAX_TAG_CHARS)) {
        if !tag.is_empty() && !tags.contains(&tag) && tags.len() < MAX_TAGS {
            tags.push(tag);
        }
    }

    Ok(ParsedStatus::Post(Box::new(MastodonPost {
        id,
        uri,
        url: raw.url.as_deref().and_then(web_url),
        acct,
        display_name: clean_line(raw.account.display_name.as_deref().unwrap_or(""), MAX_NAME_CHARS),
        text: clip_chars(&text, MAX_TEXT_CHARS),
        lang: raw.language.filter(|l| {
            (1..=16).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }),
        links,
        tags,
        created_at,
    })))
}

/// Inline elements whose tags are removed before the HTML becomes text: Mastodon wraps parts of
/// words in them (`#<span>tag</span>`, `@<span>user</span>`, links split into hidden and shown
/// spans), and turning them into spaces, as for block elements, would split those words.
const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "del", "em", "i", "ins", "kbd", "mark", "q", "s", "samp",
    "small", "span", "strong", "sub", "sup", "u", "var",
];

/// `html` without the tags (not the content) of [`INLINE_TAGS`]; quotes in attributes respected.
fn without_inline_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tag = &rest[open + 1..];
        let name = tag.strip_prefix('/').unwrap_or(tag);
        let name_len = name.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(name.len());
        let inline = INLINE_TAGS.iter().any(|t| t.eq_ignore_ascii_case(&name[..name_len]))
            && name[name_len..].starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/');
        match tag_len(tag).filter(|_| inline) {
            Some(len) => rest = &tag[len + 1..],
            None => {
                out.push('<');
                rest = tag;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` cut to at most `max` bytes, at a character boundary.
pub(crate) fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn clip_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    }
}

/// Characters that are invisible or reorder text: dropped from every field.
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Plain text that is not HTML (names, content warnings, tags): invisible characters dropped,
/// whitespace collapsed, at most `max_chars` characters.
pub(crate) fn clean_line(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for word in cut(text, max_chars * 4).split_whitespace() {
        let word: String = word.chars().filter(|&c| !invisible(c)).collect();
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        chars += word.chars().count();
        out.push_str(&word);
        if chars >= max_chars {
            break;
        }
    }
    clip_chars(&out, max_chars)
}

/// An `http(s)` URL of at most [`MAX_URL_BYTES`] with no space or invisible character, or none.
pub(crate) fn web_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && url.len() <= MAX_URL_BYTES
        && !url.chars().any(|c| c.is_whitespace() || invisible(c) || matches!(c, '<' | '>' | '"'));
    ok.then(|| url.to_owned())
}

/// The `href` of every `<a>` in `html` that is not a mention or a hashtag (by its class or
/// `rel`, or by being the URL of a mentioned account or a tag), decoded, deduplicated, at most
/// [`MAX_LINKS`].
fn content_links(html: &str, not_links: &HashSet<&str>) -> Vec<String> {
    let mut links = Vec::new();
    let mut at = 0;
    while let Some(found) = html[at..].find('<') {
        let start = at + found + 1;
        // Whole tags are skipped, quotes respected: a `<a` inside an attribute is no anchor.
        let Some(len) = tag_len(&html[start..]) else { break };
        let tag = &html[start..start + len];
        at = start + len;
        let is_anchor = tag.len() > 1
            && tag.as_bytes()[0].eq_ignore_ascii_case(&b'a')
            && tag.as_bytes()[1].is_ascii_whitespace();
        if !is_anchor {
            continue;
        }
        let attrs = attributes(&tag[1..]);
        let attr =
            |name: &str| attrs.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        let has_word = |name: &str, words: &[&str]| {
            attr(name).is_some_and(|v| {
                v.split_ascii_whitespace().any(|w| words.iter().any(|x| w.eq_ignore_ascii_case(x)))
            })
        };
        if has_word("class", &["mention", "hashtag"]) || has_word("rel", &["tag"]) {
            continue;
        }
        let Some(href) = attr("href") else { continue };
        let href = html_escape::decode_html_entities(href);
        let Some(url) = web_url(&href) else { continue };
        if !not_links.contains(url.as_str()) && !links.contains(&url) {
            links.push(url);
            if links.len() == MAX_LINKS {
                break;
            }
        }
    }
    links
}

/// The length of a tag's attribute text, up to (not including) its closing `>`, quotes
/// respected; `None` if the tag never closes.
fn tag_len(tag: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in tag.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The attributes of a tag, as written (values not decoded).
fn attributes(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() || out.len() >= 32 {
            return out;
        }
        let name_end =
            rest.find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/').unwrap_or(rest.len());
        let name = rest[..name_end].to_owned();
        rest = rest[name_end..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        let Some(after_eq) = rest.strip_prefix('=') else {
            if name.is_empty() {
                rest = &rest[rest.chars().next().map_or(0, char::len_utf8)..];
            } else {
                out.push((name, String::new()));
            }
            continue;
        };
        let after_eq = after_eq.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let (value, next) = match after_eq.chars().next() {
            Some(q @ ('"' | '\'')) => match after_eq[1..].find(q) {
                Some(end) => (&after_eq[1..1 + end], &after_eq[end + 2..]),
                None => (&after_eq[1..], ""),
            },
            _ => {
                let end = after_eq.find(|c: char| c.is_ascii_whitespace()).unwrap_or(after_eq.len());
                (&after_eq[..end], &after_eq[end..])
            }
        };
        out.push((name, value.to_owned()));
        rest = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUSES: &str = include_str!("../tests/data/statuses.json");

    fn recorded() -> Vec<serde_json::Value> {
        serde_json::from_str(STATUSES).unwrap()
    }

    fn post(json: &str) -> MastodonPost {
        match parse_status(json, "localhost:3000").unwrap() {
            ParsedStatus::Post(post) => *post,
            other => panic!("a post: {other:?}"),
        }
    }

    fn with(field: &str, value: serde_json::Value) -> String {
        let mut status = recorded()[0].clone();
        status[field] = value;
        status.to_string()
    }

    #[test]
    fn every_recorded_status_parses_with_its_author_text_and_language() {
        let statuses = recorded();
        assert_eq!(statuses.len(), 16);
        for status in &statuses {
            let p = post(&status.to_string());
            assert_eq!(p.id.as_str(), status["id"].as_str().unwrap());
            assert_eq!(p.uri, status["uri"].as_str().unwrap());
            assert!(p.acct.ends_with("@localhost:3000"), "{}", p.acct);
            assert!(!p.text.is_empty() && !p.text.contains('<'), "{}", p.text);
        }
        let first = post(&statuses[0].to_string());
        assert_eq!(first.acct, "mastodonpy_test@localhost:3000");
        assert_eq!(first.display_name, "John Lennon");
        assert_eq!(first.text, "Public account status");
        assert_eq!(first.lang.as_deref(), Some("ja"));
        assert_eq!(first.url.as_deref(), Some("http://localhost:3000/@mastodonpy_test/117440813345128578"));
        assert_eq!(first.created_at.to_rfc3339(), "2026-10-14T19:03:18.168+00:00");
    }

    #[test]
    fn hashtags_and_mentions_are_not_links_but_other_anchors_are() {
        let statuses = recorded();
        let by_id = |id: &str| post(&statuses.iter().find(|s| s["id"] == id).unwrap().to_string());

        let tagged = by_id("117440813581805522");
        assert_eq!(tagged.tags, ["ringtones"]);
        assert!(tagged.links.is_empty(), "{:?}", tagged.links);
        assert_eq!(tagged.text, "cool free #ringtones");

        let mention = by_id("117440821662233205");
        assert!(mention.links.is_empty(), "{:?}", mention.links);
        assert!(mention.text.starts_with("@mastodonpy_test "), "{}", mention.text);

        let link = by_id("117440852049121722");
        assert_eq!(link.links, ["http://example.org/"]);
        assert_eq!(link.text, "http://example.org/");

        let video = by_id("117440826525474553");
        assert_eq!(video.links, ["https://www.youtube.com/watch?v=FAEKjYroiME"]);

        let quote = by_id("117440826460199151");
        assert_eq!(quote.links, ["http://localhost:3000/@mastodonpy_test/117440826455183695"]);

        let warned = by_id("117440831256055850");
        assert_eq!(warned.text, "Content warning\nToot!");

        let entity = by_id("117440836423294202");
        assert_eq!(entity.text, "on the internet, nobody knows you're a plane");
        assert_eq!(entity.acct, "admin@localhost:3000");
        assert_eq!(entity.lang.as_deref(), Some("en"));
    }

    #[test]
    fn a_reblog_is_kept_only_as_an_id() {
        let reblog = include_str!("../tests/data/reblog.json");
        assert_eq!(
            parse_status(reblog, "localhost:3000"),
            Ok(ParsedStatus::Reblog { id: StatusId::parse("117440813902927306").unwrap() })
        );
    }

    #[test]
    fn remote_authors_keep_their_instance_and_the_card_is_a_link() {
        let mut status = recorded()[0].clone();
        status["account"]["acct"] = "alice@social.example".into();
        status["card"] = serde_json::json!({"url": "https://news.example/article?a=1&b=2", "title": "x"});
        status["content"] = r#"<p>see <a href="https://news.example/article?a=1&amp;b=2">this</a> and <a href='https://b.example/'>that</a></p>"#.into();
        let p = post(&status.to_string());
        assert_eq!(p.acct, "alice@social.example");
        assert_eq!(p.links, ["https://news.example/article?a=1&b=2", "https://b.example/"]);
        assert_eq!(p.text, "see this and that");
    }

    #[test]
    fn hostile_html_and_names_become_inert_bounded_text() {
        let content = concat!(
            "<p>Hi<script>alert('x')</script> <style>p{}</style>there\u{202E}olleh\u{2066}</p>",
            "<a href=\"javascript:alert(1)\">js</a> <a href=\"data:text/html,x\">data</a> ",
            "<a class=\"u-url mention\" href=\"https://evil.example/@x\">@x</a> ",
            "<abbr title=\"<a href=https://no.example/>\">a</abbr>b"
        );
        let mut status = recorded()[0].clone();
        status["content"] = content.into();
        status["spoiler_text"] = "<b>CW</b>\u{200B}\u{0007}".into();
        status["account"]["display_name"] = format!("Evil\u{202E}Corp {}", "x".repeat(5_000)).into();
        status["language"] = "en\" onload=\"x".into();
        status["url"] = "javascript:alert(1)".into();
        let p = post(&status.to_string());
        assert_eq!(p.text, "<b>CW</b>\nHi thereolleh js data @x ab");
        assert!(p.links.is_empty(), "{:?}", p.links);
        assert!(p.display_name.starts_with("EvilCorp x") && p.display_name.chars().count() == MAX_NAME_CHARS);
        assert_eq!(p.lang, None);
        assert_eq!(p.url, None);

        let huge = format!("<p>{}</p>", "é".repeat(MAX_TEXT_CHARS * 2));
        let long = post(&with("content", huge.into()));
        assert!(long.text.chars().count() <= MAX_TEXT_CHARS + 1, "{}", long.text.chars().count());

        let many: String = (0..100).map(|i| format!("<a href=\"https://l{i}.example/\">l</a>")).collect();
        assert_eq!(post(&with("content", many.into())).links.len(), MAX_LINKS);
        let unclosed = post(&with("content", "<p>x <a href=\"https://a.example/\"".into()));
        assert!(unclosed.links.is_empty());
    }

    #[test]
    fn bad_statuses_are_refused_with_a_reason() {
        let cases = [
            "not json".to_owned(),
            "[]".to_owned(),
            with("id", "../../etc".into()),
            with("id", "1".repeat(65).into()),
            with("uri", "javascript:alert(1)".into()),
            with("created_at", "yesterday".into()),
            with("account", serde_json::json!({"acct": "\u{202E}"})),
            with("tags", "not a list".into()),
        ];
        for json in cases {
            let err = parse_status(&json, "localhost:3000").unwrap_err();
            assert!(matches!(err, StatusError::Malformed(_)), "{json}: {err}");
        }
        let oversized = format!("{{}}{}", " ".repeat(MAX_STATUS_BYTES));
        assert_eq!(parse_status(&oversized, "x"), Err(StatusError::Oversized));
    }

    #[test]
    fn ids_order_numerically_longer_is_newer() {
        let id = |s: &str| StatusId::parse(s).unwrap();
        assert!(id("9") < id("10"));
        assert!(id("117440813345128578") < id("117440813581805522"));
        assert!(id("99999999999999999") < id("117440813345128578"));
        assert!(StatusId::zero() < id("1"));
        assert!(id("AbCd") < id("AbCe"));
        assert_eq!(StatusId::parse(""), None);
        assert_eq!(StatusId::parse("12 3"), None);
        // One minute earlier is 60 000 ms shifted left by 16 bits.
        assert_eq!(id("117440813345128578").rewound(Duration::from_secs(60)), id("117440809412968578"));
        assert_eq!(id("5").rewound(Duration::from_secs(60)), id("0"));
        assert_eq!(id("AbCd").rewound(Duration::from_secs(60)), id("AbCd"));
    }
}
