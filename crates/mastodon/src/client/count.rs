//! How long a status is as Mastodon counts it, so that an over-long one is refused before any
//! request.
//!
//! Mastodon's `StatusLengthValidator` counts the grapheme clusters (what a reader sees as one
//! character: `é` written as `e` + accent, a flag, a family emoji) of the content warning
//! followed by the text, where the text has first been rewritten:
//!
//! * every link it recognises (`https://`, `http://` and the other schemes it links, followed
//!   by a domain name) counts as `characters_reserved_per_url` characters (23), however long;
//! * every mention `@user@domain` counts as `@user`: the domain is free.
//!
//! The rewriting follows Mastodon's extraction rules: a link starts after a character that is
//! not an ASCII letter or digit, `@`, `$` or `#`; its path and query end on a character a link
//! may end on (so `https://example.com/page.` leaves the period out); parentheses count only
//! when balanced. One approximation: Mastodon checks a link's top-level domain against the list
//! of real ones, where this accepts any alphabetic label of two or more letters (or `xn--…`),
//! so a made-up domain such as `https://example.notreal/` counts as 23 here and as its full
//! length on the server. Links without a top-level domain (`http://localhost/`, an IP address)
//! are counted in full by both.

use unicode_segmentation::UnicodeSegmentation;

/// What a link counts as when the instance does not say.
pub const DEFAULT_CHARACTERS_RESERVED_PER_URL: usize = 23;

/// The schemes Mastodon turns into links (lowercase; matched without regard to case).
const SCHEMES: &[&str] = &["https", "http", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "gemini"];
/// Mastodon does not shorten a link longer than this, in characters.
const MAX_URL_CHARS: usize = 4_096;

/// The length of a status with `text` and `spoiler_text` (the content warning, `""` if none),
/// as Mastodon compares it with `configuration.statuses.max_characters`; each link counts as
/// `characters_per_url`.
pub fn countable_length(text: &str, spoiler_text: &str, characters_per_url: usize) -> usize {
    let mut combined = String::with_capacity(spoiler_text.len() + text.len());
    combined.push_str(spoiler_text);
    combined.push_str(&countable_text(text, characters_per_url));
    combined.graphemes(true).count()
}

/// `text` with each link replaced by `characters_per_url` `x`s and each mention by `@user`;
/// empty if the text is blank.
fn countable_text(text: &str, characters_per_url: usize) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    let mut entities = links(text);
    entities.extend(mentions(text));
    entities.sort_by_key(|e| e.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for entity in entities {
        // Overlapping entities: the first one wins, as in Mastodon's extractor.
        if entity.start < at {
            continue;
        }
        out.push_str(&text[at..entity.start]);
        match entity.kind {
            Kind::Link => out.extend(std::iter::repeat_n('x', characters_per_url)),
            Kind::Mention { username_end } => out.push_str(&text[entity.start..username_end]),
        }
        at = entity.end;
    }
    out.push_str(&text[at..]);
    out
}

/// `text` with each mention `@user@domain` reduced to `@user`, as Mastodon shows it.
pub(crate) fn without_mention_domains(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for mention in mentions(text) {
        if let Kind::Mention { username_end } = mention.kind {
            out.push_str(&text[at..username_end]);
            at = mention.end;
        }
    }
    out.push_str(&text[at..]);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Link,
    /// `@user@domain`: `username_end` is where `@user` ends.
    Mention {
        username_end: usize,
    },
}

/// A link or a mention: its byte range in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entity {
    start: usize,
    end: usize,
    kind: Kind,
}

/// A "word" character as Ruby's `[[:word:]]` sees it: letters, digits, marks and `_`. Marks
/// are approximated by the combining-mark blocks.
fn is_word(c: char) -> bool {
    c.is_alphanumeric()
        || c == '_'
        || matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// The character before byte `at`, if any.
fn before(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

/// The links of `text`, in order.
fn links(text: &str) -> Vec<Entity> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(colon) = text[from..].find("://").map(|i| from + i) {
        from = colon + 3;
        // The scheme: the longest known one ending at the colon.
        let Some(start) = SCHEMES.iter().find_map(|scheme| {
            let start = colon.checked_sub(scheme.len())?;
            let written = text.get(start..colon)?;
            written.eq_ignore_ascii_case(scheme).then_some(start)
        }) else {
            continue;
        };
        let preceded_ok = before(text, start).is_none_or(|c| {
            !(c.is_ascii_alphanumeric()
                || matches!(c, '@' | '＠' | '$' | '#' | '＃' | '\u{FFFE}' | '\u{FEFF}' | '\u{FFFF}'))
        });
        if !preceded_ok {
            continue;
        }
        let Some(end) = link_end(text, colon + 3) else { continue };
        if text[start..end].chars().count() > MAX_URL_CHARS {
            continue;
        }
        found.push(Entity { start, end, kind: Kind::Link });
        from = end;
    }
    found
}

fn is_label_char(c: char) -> bool {
    is_word(c) || c == '-'
}

/// Where a link whose domain starts at byte `at` ends, or `None` if no domain name is there.
fn link_end(text: &str, at: usize) -> Option<usize> {
    // The domain: labels separated by single dots, the last one a top-level domain.
    let mut labels: Vec<(usize, usize)> = Vec::new();
    let mut pos = at;
    loop {
        let len: usize = text[pos..].chars().take_while(|&c| is_label_char(c)).map(char::len_utf8).sum();
        if len == 0 {
            break;
        }
        labels.push((pos, pos + len));
        pos += len;
        let next = text[pos..].chars().nth(1);
        if text[pos..].starts_with('.') && next.is_some_and(is_label_char) {
            pos += 1;
        } else {
            break;
        }
    }
    let (tld_start, tld_end) = *labels.last()?;
    let tld = &text[tld_start..tld_end];
    let tld_ok = tld.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
        && tld.len() > 5
        && tld[4..].chars().all(|c| c.is_ascii_alphanumeric())
        || tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic);
    let labels_ok = labels.iter().all(|&(s, e)| {
        let label = &text[s..e];
        !label.starts_with(['-', '_']) && !label.ends_with(['-', '_'])
    });
    if labels.len() < 2 || !tld_ok || !labels_ok || text[pos..].starts_with(['@', '＠']) {
        return None;
    }
    let mut end = pos;
    // An optional port.
    if let Some(rest) = text[end..].strip_prefix(':') {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            end += 1 + digits;
        }
    }
    if text[end..].starts_with('/') {
        end = path_end(text, end + 1);
    }
    if text[end..].starts_with('?') {
        end = query_end(text, end + 1).unwrap_or(end);
    }
    Some(end)
}

/// A character of a path: anything but white space, `<`, `>`, `?` and parentheses.
fn is_path_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '<' | '>' | '?' | '(' | ')')
}

/// A character a path may end on.
fn is_path_end(c: char) -> bool {
    is_path_char(c) && !"!*\"'「」;:=,.$%[]~&|@".contains(c)
}

/// The end of a balanced parenthesised group (one level of nesting allowed) opening at byte
/// `at`, or `None`.
fn balanced_parens(text: &str, at: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut inner = [0usize; 2];
    for (i, c) in text[at..].char_indices() {
        match c {
            '(' if depth < 2 => depth += 1,
            ')' if depth > 0 && inner[depth - 1] > 0 => {
                depth -= 1;
                if depth == 0 {
                    return Some(at + i + 1);
                }
                // The nested group is part of the outer one's content.
                inner[depth - 1] += 1;
                inner[depth] = 0;
            }
            c if depth > 0 && is_path_char(c) => inner[depth - 1] += 1,
            _ => return None,
        }
    }
    None
}

/// Where a path starting at byte `at` (just after its `/`) ends: the longest run of path
/// characters and balanced groups that ends on a character a path may end on (or a group).
fn path_end(text: &str, at: usize) -> usize {
    let mut end = at;
    let mut pos = at;
    while let Some(c) = text[pos..].chars().next() {
        if c == '(' {
            match balanced_parens(text, pos) {
                Some(after) => {
                    pos = after;
                    end = pos;
                    continue;
                }
                None => break,
            }
        }
        if !is_path_char(c) {
            break;
        }
        pos += c.len_utf8();
        if is_path_end(c) {
            end = pos;
        }
    }
    end
}

fn is_query_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!?*'();:&=+$/%#[]-_.,~|@^".contains(c) || is_unicode_query_char(c)
}

fn is_query_end(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_&=#/-".contains(c) || is_unicode_query_char(c)
}

/// The non-ASCII characters Mastodon allows in a query (RFC 3987's `ucschar` and private use).
fn is_unicode_query_char(c: char) -> bool {
    let n = u32::from(c);
    n >= 0xA0
        && !(0xFDD0..=0xFDEF).contains(&n)
        && (n & 0xFFFE) != 0xFFFE
        && !(0xE0000..=0xE0FFF).contains(&n)
}

/// Where a query starting at byte `at` (just after its `?`) ends, or `None` if it has no
/// character a query may end on.
fn query_end(text: &str, at: usize) -> Option<usize> {
    let mut end = None;
    let mut pos = at;
    for c in text[at..].chars() {
        if !is_query_char(c) {
            break;
        }
        pos += c.len_utf8();
        if is_query_end(c) {
            end = Some(pos);
        }
    }
    end
}

fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The mentions of `text` (`@user`, `@user@domain`), in order.
fn mentions(text: &str) -> Vec<Entity> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find('@').map(|i| from + i) {
        from = at + 1;
        if before(text, at).is_some_and(|c| c == '=' || c == '/' || is_word(c)) {
            continue;
        }
        // `[a-z0-9_]+([.-]+[a-z0-9_]+)*`
        let Some(username_end) = dotted_run(text, at + 1, is_username_char) else { continue };
        let mut end = username_end;
        // `(@[[:word:]]+([.-]+[[:word:]]+)*)?`
        if text[end..].starts_with('@') {
            if let Some(domain_end) = dotted_run(text, end + 1, is_word) {
                end = domain_end;
            }
        }
        // Not a mention when followed by another `@`, an accented Latin letter or `://`.
        let after = &text[end..];
        let next = after.chars().next();
        if after.starts_with("://")
            || next.is_some_and(|c| matches!(c, '@' | '＠' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{FF}' | '\u{15F}'))
        {
            continue;
        }
        found.push(Entity { start: at, end, kind: Kind::Mention { username_end } });
        from = end;
    }
    found
}

/// The end of `word([.-]+word)*` starting at byte `at`, where `word` is a run of characters
/// accepted by `accept`; `None` if none starts there.
fn dotted_run(text: &str, at: usize, accept: fn(char) -> bool) -> Option<usize> {
    let run =
        |from: usize| -> usize { text[from..].chars().take_while(|&c| accept(c)).map(char::len_utf8).sum() };
    let first = run(at);
    if first == 0 {
        return None;
    }
    let mut end = at + first;
    loop {
        let separators = text[end..].bytes().take_while(|b| matches!(b, b'.' | b'-')).count();
        if separators == 0 {
            return Some(end);
        }
        let word = run(end + separators);
        if word == 0 {
            return Some(end);
        }
        end += separators + word;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(text: &str) -> usize {
        countable_length(text, "", DEFAULT_CHARACTERS_RESERVED_PER_URL)
    }

    #[test]
    fn links_count_as_23_characters_however_long() {
        let long = format!("https://example.com/{}", "a".repeat(200));
        let cases: &[(&str, usize)] = &[
            ("Toot!", 5),
            ("", 0),
            ("   \n ", 0),
            ("https://example.com", 23),
            ("http://a.io", 23),
            (&long, 23),
            ("see https://example.com/page.", 4 + 23 + 1),
            ("(https://en.wikipedia.org/wiki/Primer_(film))", 1 + 23 + 1),
            ("https://example.com/track/We_Up_(Album_Version_(Edited))", 23),
            ("https://example.com/a(b", 23 + 2),
            ("https://example.com/search?q=tutti&lang=en!", 23 + 1),
            ("https://example.com/path?", 23 + 1),
            ("HTTPS://EXAMPLE.COM/X", 23),
            ("https://example.com:8443/x, and more", 23 + 10),
            ("gemini://example.org/", 23),
            ("two: https://a.example.com https://b.example.com", 5 + 23 + 1 + 23),
            ("https://café.example/menu", 23),
            ("https://xn--caf-dma.example/", 23),
            ("テストhttps://example.com", 3 + 23),
        ];
        for (text, expected) in cases {
            assert_eq!(count(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn what_is_not_a_link_counts_in_full() {
        let cases: &[&str] = &[
            "http://localhost:3000/x",
            "http://127.0.0.1/x",
            "example.com/without/scheme",
            "xhttps://example.com",
            "ftp://example.com/",
            "https://",
            "https://-bad.example/",
            "https://example.c/",
            "mailto:alice@example.com",
        ];
        for text in cases {
            assert_eq!(count(text), text.chars().count(), "{text:?}");
        }
    }

    #[test]
    fn mentions_count_without_their_domain() {
        let cases: &[(&str, usize)] = &[
            ("@alice", 6),
            ("@alice@example.social hello", 6 + 6),
            ("hi @alice@mastodon.example.social!", 3 + 6 + 1),
            ("@al.ice-b@example.social", 9),
            ("@alice.", 7),
            // Not mentions: inside a word, after `/` or `=`, an e-mail address.
            ("alice@example.social", 20),
            ("https://example.com/@alice@example.social", 23),
            ("q=@alice@example.social", 23),
            ("@alice@@example.social", 22),
        ];
        for (text, expected) in cases {
            assert_eq!(count(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn graphemes_are_counted_and_the_content_warning_too() {
        assert_eq!(count("e\u{301}"), 1);
        assert_eq!(count("👨‍👩‍👧‍👦🇫🇷"), 2);
        assert_eq!(count("日本語"), 3);
        assert_eq!(countable_length("body", "CW: spoilers", 23), 16);
        assert_eq!(countable_length("https://example.com", "cw", 23), 25);
        assert_eq!(countable_length("https://example.com", "", 30), 30);
        // A blank text counts as nothing, but the content warning still counts.
        assert_eq!(countable_length("  ", "cw", 23), 2);
    }

    #[test]
    fn the_rewriting_keeps_the_rest_of_the_text() {
        assert_eq!(
            countable_text("@bob@example.social see https://example.com/x. ok", 3),
            "@bob see xxx. ok"
        );
        assert_eq!(countable_text("@bob https://example.com/@bob@example.social", 3), "@bob xxx");
        assert_eq!(
            without_mention_domains("@bob@example.social, see https://example.com/@eve@example.org"),
            "@bob, see https://example.com/@eve@example.org"
        );
    }
}
