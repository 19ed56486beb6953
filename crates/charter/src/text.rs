//! Cutting a post into pieces that keep their byte offsets in the original text.
//!
//! Three readings of the same text:
//! - [`opaque_spans`]: links, mentions and e-mail addresses, which the writer does not spell and
//!   which no charter word is looked for in;
//! - [`match_tokens`]: folded words and emojis, for banned words and pillar keywords, where
//!   apostrophes, hyphens and all punctuation separate words (`l'arnaque` → `l`, `arnaque`);
//! - [`spell_words`]: words as a dictionary knows them, apostrophes and hyphens inside
//!   (`aujourd'hui`, `peut-être`), hashtags left out.

use std::ops::Range;

use unicode_normalization::char::is_combining_mark;

/// Whether `c` continues a word: a letter, a digit or a combining accent.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Whether `c` is a pictographic emoji (skin-tone modifiers are not: they only change the one
/// before them).
pub(crate) fn is_emoji(c: char) -> bool {
    let u = c as u32;
    (matches!(u, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B50 | 0x2B55 | 0x2B06))
        && !(0x1F3FB..=0x1F3FF).contains(&u)
}

/// Apostrophes that may join two parts of a word.
pub(crate) fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ')
}

/// Byte ranges of the links (`https://…`, `www.…`, bare domains such as `tutti.social/x`),
/// mentions (`@alice`, `@bob@mastodon.example`) and e-mail addresses of `text`, in order.
pub(crate) fn opaque_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    for (start, chunk) in chunks(text) {
        let lead = chunk.len() - chunk.trim_start_matches(is_leading_punct).len();
        let core = chunk[lead..].trim_end_matches(is_trailing_punct);
        if !core.is_empty() && is_opaque(core) {
            spans.push(start + lead..start + lead + core.len());
        }
    }
    spans
}

/// The whitespace-separated pieces of `text` with their byte offsets.
fn chunks(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(char::is_whitespace)
        .scan(0usize, |offset, piece| {
            let start = *offset;
            // The separator is one whitespace character, of any length in bytes.
            let sep = text[start + piece.len()..].chars().next().map_or(0, char::len_utf8);
            *offset = start + piece.len() + sep;
            Some((start, piece))
        })
        .filter(|(_, piece)| !piece.is_empty())
}

fn is_leading_punct(c: char) -> bool {
    matches!(c, '(' | '[' | '{' | '"' | '\'' | '«' | '“' | '‘' | '<' | '¡' | '¿')
}

fn is_trailing_punct(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '"' | '\'' | '»' | '”' | '’' | '>' | '…'
    )
}

fn is_opaque(core: &str) -> bool {
    if core.starts_with('@') && core.chars().nth(1).is_some_and(is_word_char) {
        return true;
    }
    let lower = core.to_ascii_lowercase();
    if lower.contains("://") || lower.starts_with("www.") {
        return true;
    }
    // user@host: an e-mail address or a fediverse handle written without its first `@`.
    if let Some(at) = core.find('@') {
        let before = core[..at].chars().next_back();
        let after = core[at + 1..].chars().next();
        if before.is_some_and(is_word_char) && after.is_some_and(is_word_char) {
            return true;
        }
    }
    is_bare_domain(core)
}

/// `tutti.social`, `example.org/page`: labels of ASCII letters, digits and hyphens joined by
/// dots, the last one a plausible top-level domain, then an optional path.
fn is_bare_domain(core: &str) -> bool {
    let host = core.split('/').next().unwrap_or(core);
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let label_ok = |l: &&str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let tld = labels[labels.len() - 1];
    labels.iter().all(label_ok)
        && (2..=24).contains(&tld.len())
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
        && tld.bytes().all(|b| b.is_ascii_lowercase())
}

/// A folded word or emoji of the post, for banned words and pillar keywords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Byte offset of its first character.
    pub(crate) start: usize,
    /// Byte offset just past its last character.
    pub(crate) end: usize,
    /// Its folded form (lower case, no accents).
    pub(crate) folded: String,
    /// False when a link or a mention stands between it and the token before: a phrase does
    /// not run across them.
    pub(crate) joined: bool,
}

/// Cuts `text` into folded words and emojis, leaving out the `opaque` ranges. Every character
/// that is neither a letter, a digit, a combining accent nor an emoji separates words.
pub(crate) fn match_tokens(text: &str, opaque: &[Range<usize>]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut joined = true;
    let mut word: Option<usize> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if let Some(span) = opaque.iter().find(|s| s.contains(&i)) {
            if let Some(start) = word.take() {
                push(text, start, i, &mut joined, &mut tokens);
            }
            joined = false;
            while chars.peek().is_some_and(|&(j, _)| j < span.end) {
                chars.next();
            }
            continue;
        }
        if is_word_char(c) && (word.is_some() || !is_combining_mark(c)) {
            word.get_or_insert(i);
            continue;
        }
        if let Some(start) = word.take() {
            push(text, start, i, &mut joined, &mut tokens);
        }
        if is_emoji(c) {
            push(text, i, i + c.len_utf8(), &mut joined, &mut tokens);
        }
    }
    if let Some(start) = word {
        push(text, start, text.len(), &mut joined, &mut tokens);
    }
    tokens
}

fn push(text: &str, start: usize, end: usize, joined: &mut bool, tokens: &mut Vec<Token>) {
    let folded = tutti_listen::fold(&text[start..end]);
    tokens.push(Token { start, end, folded, joined: *joined });
    *joined = true;
}

/// The hashtags of `text` (without their `#`), with the byte range of each, `#` included. A
/// hashtag starts with `#` not preceded by a letter or digit, and runs over letters, digits,
/// accents and underscores.
pub(crate) fn hashtags<'a>(text: &'a str, opaque: &[Range<usize>]) -> Vec<(Range<usize>, &'a str)> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let before = prev;
        prev = Some(c);
        if c != '#' || before.is_some_and(|p| is_word_char(p) || p == '_' || p == '&') {
            continue;
        }
        if opaque.iter().any(|s| s.contains(&i)) {
            continue;
        }
        let body = &text[i + 1..];
        let len = body.find(|ch: char| !(is_word_char(ch) || ch == '_')).unwrap_or(body.len());
        if body[..len].chars().any(char::is_alphabetic) {
            out.push((i..i + 1 + len, &body[..len]));
        }
    }
    out
}

/// A word to look up in a dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// Byte offset of its first character.
    pub(crate) start: usize,
    /// Byte offset just past its last character.
    pub(crate) end: usize,
    /// Whether it opens a sentence: first word of the post, or after `.`, `!`, `?`, `…` or a
    /// line break.
    pub(crate) sentence_start: bool,
    /// Whether it holds a digit or an underscore (`h24`, `5G`, `snake_case`).
    pub(crate) has_digit: bool,
}

/// The words of `text` as a dictionary knows them: letters and accents, joined by an
/// apostrophe or a hyphen when a letter follows (`aujourd'hui`, `peut-être`, `don't`).
/// Hashtags and the `opaque` ranges are left out.
pub(crate) fn spell_words(text: &str, opaque: &[Range<usize>]) -> Vec<Word> {
    let hashtag_spans: Vec<Range<usize>> = hashtags(text, opaque).into_iter().map(|(r, _)| r).collect();
    let mut words = Vec::new();
    let mut sentence_start = true;
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        if let Some(span) = opaque.iter().chain(&hashtag_spans).find(|s| s.contains(&i)) {
            i = span.end;
            continue;
        }
        if !c.is_alphanumeric() {
            if matches!(c, '.' | '!' | '?' | '…' | '\n' | '¿' | '¡') {
                sentence_start = true;
            }
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let mut has_digit = false;
        let mut end = i;
        let mut rest = text[i..].char_indices().peekable();
        while let Some((j, ch)) = rest.next() {
            let joins = (is_apostrophe(ch) || ch == '-')
                && rest.peek().is_some_and(|&(_, next)| next.is_alphabetic());
            if is_word_char(ch) || ch == '_' || joins {
                has_digit |= ch.is_numeric() || ch == '_';
                end = i + j + ch.len_utf8();
            } else {
                break;
            }
        }
        words.push(Word { start, end, sentence_start, has_digit });
        sentence_start = false;
        i = end;
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_spans_cover_links_mentions_and_addresses() {
        let text = "Voir\u{a0}: (https://ex.org/a?b=1), @alice.bsky.social,\u{202f}@bob@masto.example et \
                    tutti.social/x ou contact@tutti.example. Fin.Merci etc.";
        let spans: Vec<&str> = opaque_spans(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            spans,
            [
                "https://ex.org/a?b=1",
                "@alice.bsky.social",
                "@bob@masto.example",
                "tutti.social/x",
                "contact@tutti.example"
            ]
        );
    }

    #[test]
    fn match_tokens_split_elisions_and_keep_offsets() {
        let text = "🎉 L’Arnaque, c'est NUL ! @x 👍🏽 fin";
        let opaque = opaque_spans(text);
        let tokens = match_tokens(text, &opaque);
        let seen: Vec<(&str, &str, bool)> =
            tokens.iter().map(|t| (&text[t.start..t.end], t.folded.as_str(), t.joined)).collect();
        assert_eq!(
            seen,
            [
                ("🎉", "🎉", true),
                ("L", "l", true),
                ("Arnaque", "arnaque", true),
                ("c", "c", true),
                ("est", "est", true),
                ("NUL", "nul", true),
                ("👍", "👍", false),
                ("fin", "fin", true),
            ]
        );
    }

    #[test]
    fn hashtags_are_found_outside_links() {
        let text = "#Tutti et #réseau_2 mais pas a#b ni https://x.org/#frag ni # seul ni #42";
        let found: Vec<&str> = hashtags(text, &opaque_spans(text)).into_iter().map(|(_, t)| t).collect();
        assert_eq!(found, ["Tutti", "réseau_2"]);
    }

    #[test]
    fn spell_words_keep_apostrophes_and_hyphens_inside() {
        let text = "Aujourd’hui, peut-être. l'équipe #Tutti @bob a 5G et don't- ok";
        let words: Vec<(&str, bool, bool)> = spell_words(text, &opaque_spans(text))
            .into_iter()
            .map(|w| (&text[w.start..w.end], w.sentence_start, w.has_digit))
            .collect();
        assert_eq!(
            words,
            [
                ("Aujourd’hui", true, false),
                ("peut-être", false, false),
                ("l'équipe", true, false),
                ("a", false, false),
                ("5G", false, true),
                ("et", false, false),
                ("don't", false, false),
                ("ok", false, false),
            ]
        );
    }
}
