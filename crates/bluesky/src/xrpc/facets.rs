//! Rich-text facets found in a post's text: links, hashtags and mentions, with the UTF-8 **byte**
//! offsets Bluesky's records use.
//!
//! The rules follow the reference client's detection: a link starts with `http://` or
//! `https://` at the start of a word (or after `(`) and runs to the next white space, less
//! trailing `.,;:!?` and an unbalanced `)`; a mention is `@` and a syntactically valid handle at
//! the start of a word (or after `(`); a hashtag is `#` (or the full-width `＃`) at the start of a
//! word, running to the next white space, less trailing punctuation, at most 64 characters, and
//! not made only of digits and punctuation. A link is one token: a `#` or `@` inside it is not a
//! facet of its own. Whether a mentioned handle exists is for the network to say.

/// The longest hashtag, in characters, not counting the `#`.
pub const MAX_TAG_CHARS: usize = 64;
/// The longest handle.
const MAX_HANDLE_LEN: usize = 253;
/// Invisible characters that end a hashtag, like white space.
const TAG_BREAKS: [char; 7] =
    ['\u{00AD}', '\u{2060}', '\u{200A}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{20E2}'];

/// What a span of the text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FacetKind {
    /// A link to this URI (the text of the span).
    Link(String),
    /// A hashtag, without its `#`.
    Tag(String),
    /// A mention of this handle, without its `@`.
    Mention(String),
}

/// A span of the text, `start..end` in bytes, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedFacet {
    /// The first byte of the span (the `@` or `#` for mentions and hashtags).
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
    /// What the span is.
    pub kind: FacetKind,
}

/// Finds the links, hashtags and mentions in `text`, in the order they appear; they never
/// overlap.
pub fn detect_facets(text: &str) -> Vec<DetectedFacet> {
    let mut facets = Vec::new();
    let mut prev: Option<char> = None;
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        let word_start = prev.is_none_or(char::is_whitespace);
        let after_paren = prev == Some('(');
        let mut found = None;
        if word_start || after_paren {
            found = link(rest).or_else(|| mention(rest));
        }
        if found.is_none() && word_start {
            found = tag(rest);
        }
        match found {
            Some((len, kind)) => {
                facets.push(DetectedFacet { start: i, end: i + len, kind });
                i += len;
                prev = text[..i].chars().next_back();
            }
            None => {
                i += c.len_utf8();
                prev = Some(c);
            }
        }
    }
    facets
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// A link at the start of `rest`: its length in bytes and the facet.
fn link(rest: &str) -> Option<(usize, FacetKind)> {
    let scheme = ["https://", "http://"].into_iter().find(|s| starts_with_ignore_case(rest, s))?;
    let token = &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())];
    let mut uri = token;
    loop {
        let trimmed = uri.trim_end_matches(['.', ',', ';', ':', '!', '?']);
        let trimmed = match trimmed.strip_suffix(')') {
            Some(inner) if !trimmed.contains('(') => inner,
            _ => trimmed,
        };
        if trimmed.len() == uri.len() {
            break;
        }
        uri = trimmed;
    }
    let host_starts = uri[scheme.len()..].chars().next().is_some_and(|c| c.is_alphanumeric() || c == '[');
    host_starts.then(|| (uri.len(), FacetKind::Link(uri.to_owned())))
}

/// A mention at the start of `rest`: its length in bytes (with the `@`) and the facet.
fn mention(rest: &str) -> Option<(usize, FacetKind)> {
    let body = rest.strip_prefix('@')?;
    let run = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-')).unwrap_or(body.len());
    let handle = body[..run].trim_end_matches(['.', '-']);
    is_handle(handle).then(|| (1 + handle.len(), FacetKind::Mention(handle.to_owned())))
}

/// Whether `text` is a syntactically valid handle: dot-separated labels of ASCII letters, digits
/// and inner hyphens, at least two of them, the last starting with a letter.
pub fn is_handle(text: &str) -> bool {
    if text.is_empty() || text.len() > MAX_HANDLE_LEN {
        return false;
    }
    let labels: Vec<&str> = text.split('.').collect();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    labels.len() >= 2
        && labels.iter().all(|l| label_ok(l))
        && labels.last().is_some_and(|tld| tld.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// A hashtag at the start of `rest`: its length in bytes (with the `#`) and the facet.
fn tag(rest: &str) -> Option<(usize, FacetKind)> {
    let body = rest.strip_prefix('#').or_else(|| rest.strip_prefix('＃'))?;
    // `#` followed by the emoji variation selector is the keycap emoji, not a hashtag.
    if body.starts_with('\u{FE0F}') {
        return None;
    }
    let end = body.find(|c: char| c.is_whitespace() || TAG_BREAKS.contains(&c)).unwrap_or(body.len());
    let tag = body[..end].trim_end_matches(is_punctuation);
    let has_word = tag.chars().any(|c| !c.is_ascii_digit() && !is_punctuation(c));
    if !has_word || tag.chars().count() > MAX_TAG_CHARS {
        return None;
    }
    let hash = rest.len() - body.len();
    Some((hash + tag.len(), FacetKind::Tag(tag.to_owned())))
}

/// Unicode punctuation (general category P), for the blocks where text has it: ASCII less its
/// symbols, Latin-1, general punctuation, CJK and full-width forms.
fn is_punctuation(c: char) -> bool {
    match c {
        '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~' => false,
        c if c.is_ascii_punctuation() => true,
        '¡' | '§' | '«' | '¶' | '·' | '»' | '¿' => true,
        '\u{2010}'..='\u{2027}'
        | '\u{2030}'..='\u{2043}'
        | '\u{2045}'..='\u{2051}'
        | '\u{2053}'..='\u{205E}' => true,
        '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}' | '\u{3014}'..='\u{301F}' => true,
        '\u{FF01}'..='\u{FF03}'
        | '\u{FF05}'..='\u{FF0A}'
        | '\u{FF0C}'..='\u{FF0F}'
        | '\u{FF1A}'..='\u{FF1B}'
        | '\u{FF1F}'..='\u{FF20}'
        | '\u{FF3B}'..='\u{FF3D}'
        | '\u{FF3F}'
        | '\u{FF5B}'
        | '\u{FF5D}'
        | '\u{FF5F}'..='\u{FF65}' => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(uri: &str) -> FacetKind {
        FacetKind::Link(uri.into())
    }
    fn tag(tag: &str) -> FacetKind {
        FacetKind::Tag(tag.into())
    }
    fn mention(handle: &str) -> FacetKind {
        FacetKind::Mention(handle.into())
    }

    #[test]
    fn facets_cover_exactly_their_bytes() {
        // (text, [(the exact text the span covers, what it is)])
        let cases: Vec<(&str, Vec<(&str, FacetKind)>)> = vec![
            ("", vec![]),
            ("rien à signaler", vec![]),
            (
                "Café ☕ à Paris 🇫🇷 https://exemple.fr/menu?x=1. #Tutti @alice.test!",
                vec![
                    ("https://exemple.fr/menu?x=1", link("https://exemple.fr/menu?x=1")),
                    ("#Tutti", tag("Tutti")),
                    ("@alice.test", mention("alice.test")),
                ],
            ),
            ("👨‍👩‍👧 #été, vu", vec![("#été", tag("été"))]),
            (
                "(voir https://a.example/c) et (@bob.test)",
                vec![
                    ("https://a.example/c", link("https://a.example/c")),
                    ("@bob.test", mention("bob.test")),
                ],
            ),
            (
                "https://fr.wikipedia.org/wiki/Tutti_(musique)",
                vec![(
                    "https://fr.wikipedia.org/wiki/Tutti_(musique)",
                    link("https://fr.wikipedia.org/wiki/Tutti_(musique)"),
                )],
            ),
            ("HTTPS://EXAMPLE.COM/A?!", vec![("HTTPS://EXAMPLE.COM/A", link("HTTPS://EXAMPLE.COM/A"))]),
            ("http:// https://", vec![]),
            (
                "https://x.example/#frag @in/ https://x.example/@carol.test",
                vec![
                    ("https://x.example/#frag", link("https://x.example/#frag")),
                    ("https://x.example/@carol.test", link("https://x.example/@carol.test")),
                ],
            ),
            ("écrire à moi@example.com ou@ ici", vec![]),
            (
                "@everyone @-x.test @x-.test @a..b @1.2 @bob.test. @dan.test-",
                vec![("@bob.test", mention("bob.test")), ("@dan.test", mention("dan.test"))],
            ),
            ("#2024 #2024a #️⃣ # #!!! mot#pas", vec![("#2024a", tag("2024a"))]),
            ("＃全角 et #fin…", vec![("＃全角", tag("全角")), ("#fin", tag("fin"))]),
            ("#tag\u{200B}suite #🎉", vec![("#tag", tag("tag")), ("#🎉", tag("🎉"))]),
        ];
        for (text, expected) in cases {
            let found = detect_facets(text);
            let spans: Vec<(&str, FacetKind)> =
                found.iter().map(|f| (&text[f.start..f.end], f.kind.clone())).collect();
            assert_eq!(spans, expected, "in {text:?}");
        }
    }

    #[test]
    fn offsets_are_bytes_not_characters() {
        let text = "Déjà vu 😀 #été";
        let found = detect_facets(text);
        assert_eq!(found.len(), 1);
        // "Déjà vu 😀 " is 10 characters but 15 bytes.
        assert_eq!(text.chars().take_while(|&c| c != '#').count(), 10);
        assert_eq!((found[0].start, found[0].end), (15, 21));
    }

    #[test]
    fn long_tags_are_not_tags() {
        let at_limit = format!("#{}", "a".repeat(MAX_TAG_CHARS));
        let over = format!("#{}", "é".repeat(MAX_TAG_CHARS + 1));
        assert_eq!(detect_facets(&at_limit).len(), 1);
        assert!(detect_facets(&over).is_empty());
    }

    #[test]
    fn handles_follow_the_syntax() {
        for (handle, valid) in [
            ("alice.test", true),
            ("a.b", true),
            ("sub.domain-1.example.com", true),
            ("alice", false),
            ("alice.1st", false),
            (".alice.test", false),
            ("al_ice.test", false),
            ("alice.te-", false),
        ] {
            assert_eq!(is_handle(handle), valid, "{handle}");
        }
        assert!(!is_handle(&format!("{}.test", "a".repeat(64))));
    }
}
