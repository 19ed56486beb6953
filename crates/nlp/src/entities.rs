//! Entities: hashtags, mentions, links and the domains links point to.

use serde::{Deserialize, Serialize};

/// What a post names: its hashtags, mentions, links and the links' domains, each in order of
/// first appearance and without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entities {
    /// Hashtags as written, without `#`: `#RustLang` gives `RustLang`.
    pub hashtags: Vec<String>,
    /// Mentioned accounts as written, without the leading `@`: `alice`,
    /// `alice.bsky.social`, `alice@mastodon.social`.
    pub mentions: Vec<String>,
    /// `http` and `https` links as written, without the punctuation that ends a sentence.
    pub links: Vec<String>,
    /// The links' hosts, lower-cased, without `www.`, userinfo or port.
    pub domains: Vec<String>,
}

/// What an entity span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpanKind {
    Link,
    Mention,
    Hashtag,
}

/// Where an entity is in the text: `start..end` in bytes, sigil (`#`, `@`) included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) kind: SpanKind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The entities of `text`.
pub fn entities(text: &str) -> Entities {
    collect(text, &scan(text))
}

/// The entities named by `spans`, found in `text` by [`scan`].
pub(crate) fn collect(text: &str, spans: &[Span]) -> Entities {
    let mut out = Entities::default();
    for span in spans {
        let whole = &text[span.start..span.end];
        match span.kind {
            SpanKind::Hashtag => push_unique(&mut out.hashtags, &whole[1..]),
            SpanKind::Mention => push_unique(&mut out.mentions, &whole[1..]),
            SpanKind::Link => {
                push_unique(&mut out.links, whole);
                if let Some(domain) = domain_of(whole) {
                    push_unique(&mut out.domains, &domain);
                }
            }
        }
    }
    out
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_owned());
    }
}

/// `text` with links and mentions replaced by a space and the `#` of hashtags dropped: what
/// language, sentiment and toxicity read.
pub(crate) fn strip(text: &str, spans: &[Span]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in spans {
        out.push_str(&text[at..span.start]);
        match span.kind {
            SpanKind::Hashtag => out.push_str(&text[span.start + 1..span.end]),
            SpanKind::Link | SpanKind::Mention => out.push(' '),
        }
        at = span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Finds the links, mentions and hashtags of `text`, in order, not overlapping.
pub(crate) fn scan(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !matches!(b, b'h' | b'H' | b'@' | b'#') || !boundary_before(text, i, b) {
            i += 1;
            continue;
        }
        let found = match b {
            b'@' => mention_end(text, i).map(|end| (SpanKind::Mention, end)),
            b'#' => hashtag_end(text, i).map(|end| (SpanKind::Hashtag, end)),
            _ => link_end(text, i).map(|end| (SpanKind::Link, end)),
        };
        match found {
            Some((kind, end)) => {
                spans.push(Span { kind, start: i, end });
                i = end;
            }
            None => i += 1,
        }
    }
    spans
}

/// An entity starts at the beginning of the text or after a character that cannot be part
/// of a word (so that `me@example.org` holds no mention and `&#39;` no hashtag).
fn boundary_before(text: &str, i: usize, sigil: u8) -> bool {
    let Some(prev) = text[..i].chars().next_back() else {
        return true;
    };
    if prev.is_alphanumeric() || prev == '_' {
        return false;
    }
    let html_entity = sigil == b'#' && prev == '&';
    let inside_address = sigil == b'@' && matches!(prev, '@' | '.');
    !html_entity && !inside_address
}

fn link_end(text: &str, start: usize) -> Option<usize> {
    let rest = &text[start..];
    let scheme = if starts_with_ignore_case(rest, "https://") {
        8
    } else if starts_with_ignore_case(rest, "http://") {
        7
    } else {
        return None;
    };
    let len = rest
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '“' | '”' | '«' | '»'))
        .map_or(rest.len(), |(at, _)| at);
    let mut link = &rest[..len];
    // Punctuation ending a sentence is not part of the link; nor is a closing bracket that
    // the link itself did not open.
    loop {
        let trimmed = link.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '…', '*']);
        let trimmed = match trimmed.strip_suffix(')') {
            Some(t) if trimmed.matches('(').count() < trimmed.matches(')').count() => t,
            _ => match trimmed.strip_suffix(']') {
                Some(t) if trimmed.matches('[').count() < trimmed.matches(']').count() => t,
                _ => trimmed,
            },
        };
        if trimmed.len() == link.len() {
            break;
        }
        link = trimmed;
    }
    let host_len = link[scheme..].find(['/', '?', '#']).unwrap_or(link.len() - scheme);
    (host_len > 0 && link[scheme..scheme + host_len].chars().any(|c| c.is_alphanumeric()))
        .then_some(start + link.len())
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len() && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// The lower-cased host of a link, without userinfo, port or `www.`.
fn domain_of(link: &str) -> Option<String> {
    let after = &link[link.find("://")? + 3..];
    let authority = &after[..after.find(['/', '?', '#']).unwrap_or(after.len())];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        &host[..host.find(']').map_or(host.len(), |e| e + 1)]
    } else {
        host.split(':').next().unwrap_or(host)
    };
    let host = host.trim_end_matches('.').to_lowercase();
    let host = host.strip_prefix("www.").map(str::to_owned).unwrap_or(host);
    (!host.is_empty()).then_some(host)
}

fn is_handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `@handle`, `@handle.bsky.social` or `@user@instance.tld`: a run of handle characters, dots
/// and dashes only between them, then possibly `@` and a domain with at least one dot.
fn mention_end(text: &str, start: usize) -> Option<usize> {
    let handle_end = dotted_run(text, start + 1, false)?;
    if text[handle_end..].starts_with('@') {
        if let Some(domain_end) = dotted_run(text, handle_end + 1, true) {
            return Some(domain_end);
        }
    }
    Some(handle_end)
}

/// The end of a run of handle characters starting at `from`, where `.` and `-` may join two
/// runs. With `need_dot`, the run must hold a dot (a domain).
fn dotted_run(text: &str, from: usize, need_dot: bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    let mut dots = 0;
    while i < bytes.len() && is_handle_char(char::from(bytes[i])) {
        i += 1;
        if i + 1 < bytes.len()
            && matches!(bytes[i], b'.' | b'-')
            && is_handle_char(char::from(bytes[i + 1]))
            && i > from
        {
            dots += usize::from(bytes[i] == b'.');
            i += 1;
        }
    }
    (i > from && (!need_dot || dots > 0)).then_some(i)
}

/// `#` then letters, digits, `_` and joining marks, with at least one letter.
fn hashtag_end(text: &str, start: usize) -> Option<usize> {
    let rest = &text[start + 1..];
    let len = rest
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || is_combining_mark_char(c)))
        .map_or(rest.len(), |(at, _)| at);
    rest[..len].chars().any(char::is_alphabetic).then_some(start + 1 + len)
}

fn is_combining_mark_char(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_removes_links_and_mentions_and_keeps_hashtag_words() {
        let text = "Merci @alice pour https://ex.org/a #SuperJournée !";
        assert_eq!(strip(text, &scan(text)), "Merci   pour   SuperJournée !");
    }

    #[test]
    fn domains_lose_www_userinfo_and_port() {
        let cases = [
            ("https://www.Example.ORG/path", Some("example.org")),
            ("http://user:pw@host.net:8080/x", Some("host.net")),
            ("https://sub.example.co.uk?q=1", Some("sub.example.co.uk")),
        ];
        for (link, domain) in cases {
            assert_eq!(domain_of(link).as_deref(), domain, "{link}");
        }
    }
}
