//! Tokenisation: splitting a post (or a query term) into words, hashtags, mentions, links and
//! emojis, and the folded "scan text" the engine's automaton reads.

use std::borrow::Cow;
use std::ops::Range;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
use unicode_segmentation::UnicodeSegmentation;

use crate::fold::fold_into;
use crate::post::{Network, Post};

/// Separates tokens in the scan text. It never occurs in a folded token: posts are split on
/// control characters.
pub(crate) const SEP: char = '\0';
/// Starts each link in the links section of the scan text, and ends the section.
pub(crate) const LINK: char = '\u{1}';
/// Starts each link's host in the hosts section of the scan text, and ends the section.
pub(crate) const HOST: char = '\u{2}';
/// Surrounds the author's handle, kept after the scan text.
pub(crate) const AUTHOR: char = '\u{3}';

/// What a piece of text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A word: a run of letters, digits, combining marks and `_`.
    Word,
    /// A hashtag; its text is the part after `#`.
    Hashtag,
    /// A mention; its text is the handle after `@` (`alice.bsky.social`, `bob@mastodon.social`).
    Mention,
    /// A link written in the text (`https://…`, `www.…`).
    Url,
    /// An emoji (one grapheme cluster, skin tone and joiners included).
    Emoji,
}

/// A piece found by [`split`]: its kind and the byte range of its text (without `#` or `@`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    pub kind: TokenKind,
    pub range: Range<usize>,
}

/// French elided articles and pronouns: `l'application` is the word `application`.
const ELISIONS: [&str; 14] =
    ["l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu"];

/// A character that may start a word (letters, digits, `_`; `*` and `?` in query terms).
fn starts_word(c: char, wildcards: bool) -> bool {
    if c.is_ascii() {
        is_ascii_word_byte(c as u8, wildcards)
    } else if ('\u{C0}'..='\u{24F}').contains(&c) {
        // Latin-1 letters and Latin Extended-A and B: all letters but × and ÷.
        c != '×' && c != '÷'
    } else {
        c.is_alphanumeric()
    }
}

/// ASCII letters, digits and `_`.
const ASCII_WORD: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric() || b == b'_' as usize;
        b += 1;
    }
    table
};

/// Whether an ASCII byte belongs to a word.
fn is_ascii_word_byte(b: u8, wildcards: bool) -> bool {
    ASCII_WORD.get(usize::from(b)).copied().unwrap_or(false) || (wildcards && (b == b'*' || b == b'?'))
}

/// A character that may continue a word: also combining marks.
fn continues_word(c: char, wildcards: bool) -> bool {
    starts_word(c, wildcards) || (!c.is_ascii() && is_combining_mark(c))
}

fn continues_handle(c: char, wildcards: bool) -> bool {
    continues_word(c, wildcards) || c == '.' || c == '-'
}

/// Whether `c` starts an emoji. The ranges cover the emoji blocks and the older symbols that
/// are commonly shown as emojis; skin-tone modifiers only ever follow another emoji.
pub(crate) fn is_emoji_start(c: char) -> bool {
    let c = c as u32;
    if (0x1F3FB..=0x1F3FF).contains(&c) {
        return false;
    }
    matches!(
        c,
        0x1F000..=0x1FAFF
            | 0x2600..=0x27BF
            | 0x2300..=0x23FF
            | 0x2B00..=0x2BFF
            | 0x2190..=0x21FF
            | 0x25A0..=0x25FF
            | 0x2900..=0x297F
            | 0x3030
            | 0x303D
            | 0x3297
            | 0x3299
            | 0xA9
            | 0xAE
            | 0x203C
            | 0x2049
            | 0x2122
            | 0x2139
            | 0x24C2
    )
}

fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

fn char_before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

fn run_end(text: &str, start: usize, accept: impl Fn(char) -> bool) -> usize {
    text[start..].char_indices().find(|&(_, c)| !accept(c)).map_or(text.len(), |(i, _)| start + i)
}

/// The end of the word starting at `start`: ASCII bytes are tested as bytes, the rest as chars.
fn word_end(text: &str, start: usize, wildcards: bool) -> usize {
    let bytes = text.as_bytes();
    let mut i = start;
    loop {
        while i < bytes.len() && is_ascii_word_byte(bytes[i], wildcards) {
            i += 1;
        }
        if i < bytes.len() && bytes[i] >= 0x80 {
            let c = char_at(text, i).expect("i is on a char boundary");
            if continues_word(c, wildcards) {
                i += c.len_utf8();
                continue;
            }
        }
        return i;
    }
}

/// The length of the apostrophe at `i`, if there is one.
fn apostrophe_len(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes.get(i..)? {
        [b'\'', ..] => Some(1),
        // U+2019 RIGHT SINGLE QUOTATION MARK, U+02BC MODIFIER LETTER APOSTROPHE.
        [0xE2, 0x80, 0x99, ..] => Some(3),
        [0xCA, 0xBC, ..] => Some(2),
        _ => None,
    }
}

/// The end of a link starting at `i`, if one starts there.
fn url_end(text: &str, i: usize) -> Option<usize> {
    let rest = &text.as_bytes()[i..];
    let prefix = ["https://", "http://", "www."]
        .into_iter()
        .find(|p| rest.len() > p.len() && rest[..p.len()].eq_ignore_ascii_case(p.as_bytes()))?;
    let mut end = run_end(text, i, |c| !c.is_whitespace() && !matches!(c, '<' | '>' | '"'));
    // Punctuation closing a sentence or a bracket is not part of the link.
    while let Some(last) = char_before(text, end) {
        let unbalanced_paren =
            last == ')' && text[i..end].matches('(').count() < text[i..end].matches(')').count();
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '’' | '»' | ']' | '}')
            || unbalanced_paren
        {
            end -= last.len_utf8();
        } else {
            break;
        }
    }
    (end > i + prefix.len()).then_some(end)
}

/// The end of the handle of a mention whose `@` is at `at`, if a mention starts there.
fn mention_end(text: &str, at: usize, wildcards: bool) -> Option<usize> {
    let start = at + 1;
    if !char_at(text, start).is_some_and(|c| starts_word(c, wildcards)) {
        return None;
    }
    let mut end = run_end(text, start, |c| continues_handle(c, wildcards));
    // A fediverse handle: `@user@instance.example`.
    if char_at(text, end) == Some('@') && char_at(text, end + 1).is_some_and(|c| starts_word(c, wildcards)) {
        end = run_end(text, end + 1, |c| continues_handle(c, wildcards));
    }
    while let Some(last @ ('.' | '-')) = char_before(text, end) {
        end -= last.len_utf8();
    }
    Some(end)
}

/// Splits `text` into pieces, giving each to `emit` with its kind and the byte range of its
/// text. With `wildcards`, `*` and `?` are word characters (query terms).
///
/// Words are runs of letters, digits, combining marks and `_`; any other character separates
/// them. An apostrophe splits too, and a French elided word before it (`l'`, `qu'`, `jusqu'`)
/// is dropped. `#` and `@` at the start of a word begin a hashtag or a mention; `http://`,
/// `https://` and `www.` begin a link that runs to the next space. An emoji is a piece of its
/// own and ends the word before it.
pub(crate) fn split(text: &str, wildcards: bool, mut emit: impl FnMut(TokenKind, Range<usize>)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let c = if b < 0x80 { char::from(b) } else { char_at(text, i).expect("i is on a char boundary") };
        if starts_word(c, wildcards) {
            if matches!(b, b'h' | b'H' | b'w' | b'W') {
                if let Some(end) = url_end(text, i) {
                    emit(TokenKind::Url, i..end);
                    i = end;
                    continue;
                }
            }
            let end = word_end(text, i, wildcards);
            let elided = apostrophe_len(bytes, end).is_some_and(|len| {
                char_at(text, end + len).is_some_and(|c| starts_word(c, wildcards))
                    && ELISIONS.iter().any(|e| text[i..end].eq_ignore_ascii_case(e))
            });
            if !elided {
                emit(TokenKind::Word, i..end);
            }
            i = end;
            continue;
        }
        if b < 0x80 && b != b'#' && b != b'@' {
            i += 1;
            continue;
        }
        match c {
            '#' | '@' if char_before(text, i).is_some_and(|p| continues_word(p, wildcards)) => {}
            '#' if char_at(text, i + 1).is_some_and(|n| starts_word(n, wildcards)) => {
                let end = word_end(text, i + 1, wildcards);
                emit(TokenKind::Hashtag, i + 1..end);
                i = end;
                continue;
            }
            '@' => {
                if let Some(end) = mention_end(text, i, wildcards) {
                    emit(TokenKind::Mention, i + 1..end);
                    i = end;
                    continue;
                }
            }
            c if is_emoji_start(c) => {
                let len = text[i..].graphemes(true).next().map_or(c.len_utf8(), str::len);
                emit(TokenKind::Emoji, i..i + len);
                i += len;
                continue;
            }
            _ => {}
        }
        i += c.len_utf8();
    }
}

/// Whether `c` is certainly in NFC whatever surrounds it: it is its own normal form and never
/// composes with the character before it. True of everything below U+0300 (all of Latin-1 and
/// Latin Extended, accents included), of the punctuation and symbol blocks posts use, and of
/// the emoji blocks with their joiner and presentation selector.
fn surely_nfc(c: char) -> bool {
    c < '\u{300}'
        || matches!(
            c,
            '\u{200D}'
                | '\u{2010}'..='\u{2027}'
                | '\u{2030}'..='\u{205E}'
                | '\u{2600}'..='\u{27BF}'
                | '\u{2B00}'..='\u{2BFF}'
                | '\u{FE0F}'
                | '\u{1F000}'..='\u{1FAFF}'
        )
}

/// `text` in NFC, borrowed when it already is.
pub(crate) fn nfc(text: &str) -> Cow<'_, str> {
    // UTF-8 bytes below 0xCC only encode characters below U+0300. (A maximum rather than `all`
    // so that the loop has no early exit and vectorises.)
    if text.bytes().fold(0, u8::max) < 0xCC
        || text.chars().all(surely_nfc)
        || is_nfc_quick(text.chars()) == IsNormalized::Yes
    {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    }
}

#[cfg(test)]
mod tests {
    use unicode_normalization::{is_nfc_quick, IsNormalized};

    #[test]
    fn the_latin_shortcut_agrees_with_unicode_on_letters() {
        for c in '\u{80}'..='\u{24F}' {
            assert_eq!(super::starts_word(c, false), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn characters_taken_as_surely_nfc_are_nfc_after_any_character() {
        let before = ['a', 'e', '\u{301}', 'é', '\u{1F44D}', '\u{2019}', 'ー', '\u{1100}'];
        for c in (0..=0x1FAFFu32).filter_map(char::from_u32).filter(|&c| super::surely_nfc(c)) {
            for b in before {
                let pair = [b, c];
                let expected = is_nfc_quick(std::iter::once(b)) == IsNormalized::Yes;
                assert_eq!(is_nfc_quick(pair.into_iter()) == IsNormalized::Yes, expected, "{b:?} then {c:?}");
            }
        }
    }
}

/// The host of a link, lower case: `https://Blog.Example.com:8080/x` gives `blog.example.com`.
pub(crate) fn host_of(link: &str) -> Option<String> {
    let rest = link.split_once("://").map_or(link, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = authority.split(':').next().unwrap_or("").trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_lowercase())
}

/// A token of a post: a word, hashtag, mention or link, at the word position of its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    /// Byte range in the NFC text (without `#` or `@`).
    pub raw: (u32, u32),
    /// Byte range of the folded form in the scan text (empty for links).
    pub folded: (u32, u32),
}

/// A post split into tokens once, for every query to read.
///
/// Words, hashtags, mentions and links each take a word position (the index in
/// the post's word list); emojis take none, so that an emoji between two words never keeps
/// them from being a phrase or being near each other.
#[derive(Debug, Clone)]
pub struct PostTokens<'p> {
    text: Cow<'p, str>,
    scan: String,
    words: Vec<Token>,
    emojis: Vec<(u32, u32)>,
    links: Vec<String>,
    hosts: Vec<String>,
    /// Where the author's section starts in `scan`; the automaton reads what comes before.
    author_key: u32,
    /// Byte range of the folded handle in `scan`.
    author: (u32, u32),
    lang: Option<Cow<'p, str>>,
    network: Network,
}

/// The growable parts of a [`PostTokens`], kept between posts so that tokenising a stream of
/// posts does not allocate them afresh each time.
#[derive(Debug, Default)]
pub(crate) struct TokenBuffers {
    scan: String,
    words: Vec<Token>,
    emojis: Vec<(u32, u32)>,
}

impl<'p> PostTokens<'p> {
    /// Tokenises `post`.
    pub fn new(post: &'p Post) -> Self {
        PostTokens::with_buffers(post, TokenBuffers::default())
    }

    /// Tokenises `post` into the given buffers; [`PostTokens::into_buffers`] gives them back.
    pub(crate) fn with_buffers(post: &'p Post, buffers: TokenBuffers) -> Self {
        let TokenBuffers { mut scan, mut words, mut emojis } = buffers;
        scan.clear();
        words.clear();
        emojis.clear();
        let text = nfc(&post.text);
        scan.reserve(text.len() + 16);
        scan.push(SEP);
        words.reserve(text.len() / 5 + 1);
        let mut links: Vec<String> = Vec::new();
        split(&text, false, |kind, range| {
            let raw = (range.start as u32, range.end as u32);
            if kind == TokenKind::Url {
                links.push(text[range].to_lowercase());
                words.push(Token { kind, raw, folded: (0, 0) });
                return;
            }
            if kind == TokenKind::Mention {
                scan.push('@');
            }
            let start = scan.len() as u32;
            fold_into(&text[range], &mut scan);
            let folded = (start, scan.len() as u32);
            scan.push(SEP);
            if kind == TokenKind::Emoji {
                emojis.push(folded);
            } else {
                words.push(Token { kind, raw, folded });
            }
        });
        links.extend(post.links.iter().map(|l| l.to_lowercase()));
        let hosts: Vec<String> = links.iter().filter_map(|l| host_of(l)).collect();
        if !links.is_empty() {
            for link in &links {
                scan.push(LINK);
                scan.push_str(link);
            }
            scan.push(LINK);
            for host in &hosts {
                scan.push(HOST);
                scan.push_str(host);
            }
            scan.push(HOST);
        }
        let author_key = scan.len() as u32;
        scan.push(AUTHOR);
        let author_start = scan.len() as u32;
        let handle = post.author.trim_ascii();
        fold_into(handle.strip_prefix('@').unwrap_or(handle), &mut scan);
        let author = (author_start, scan.len() as u32);
        scan.push(AUTHOR);
        let lang = post.lang.as_deref().map(|l| {
            if l.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                Cow::Borrowed(l)
            } else {
                Cow::Owned(normalise_lang(l))
            }
        });
        PostTokens {
            text,
            scan,
            words,
            emojis,
            links,
            hosts,
            author_key,
            author,
            lang,
            network: post.network,
        }
    }

    /// The buffers, to tokenise the next post into.
    pub(crate) fn into_buffers(self) -> TokenBuffers {
        TokenBuffers { scan: self.scan, words: self.words, emojis: self.emojis }
    }

    /// What the engine's automaton reads: the folded tokens separated (and surrounded) by NUL,
    /// mentions with their `@`, links left out; then, if the post has links, each link (lower
    /// case) after U+0001 and a closing U+0001, and each link's host after U+0002 and a closing
    /// U+0002, for `links:` and `site:` to anchor on.
    pub fn scan_text(&self) -> &str {
        &self.scan[..self.author_key as usize]
    }

    /// The author's folded handle between two U+0003: what `author:` anchors are looked up by.
    pub(crate) fn author_key(&self) -> &str {
        &self.scan[self.author_key as usize..]
    }

    /// Every token's folded form with its kind marked as in a query: `#tag`, `@handle`, the link
    /// as written, then the emojis. Meant for tests and for explaining a match.
    pub fn describe(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .words
            .iter()
            .map(|t| match t.kind {
                TokenKind::Hashtag => format!("#{}", self.folded(t)),
                TokenKind::Mention => format!("@{}", self.folded(t)),
                TokenKind::Url => self.raw(t).to_owned(),
                _ => self.folded(t).to_owned(),
            })
            .collect();
        out.extend(self.emojis.iter().map(|&(s, e)| self.scan[s as usize..e as usize].to_owned()));
        out
    }

    /// The links of the post, lower case: those written in the text, then the attached ones.
    pub fn links(&self) -> &[String] {
        &self.links
    }

    /// The hosts of [`PostTokens::links`], lower case.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    pub(crate) fn words(&self) -> &[Token] {
        &self.words
    }

    pub(crate) fn emojis(&self) -> impl Iterator<Item = &str> {
        self.emojis.iter().map(|&(s, e)| &self.scan[s as usize..e as usize])
    }

    pub(crate) fn folded(&self, t: &Token) -> &str {
        &self.scan[t.folded.0 as usize..t.folded.1 as usize]
    }

    pub(crate) fn raw(&self, t: &Token) -> &str {
        &self.text[t.raw.0 as usize..t.raw.1 as usize]
    }

    pub(crate) fn author(&self) -> &str {
        &self.scan[self.author.0 as usize..self.author.1 as usize]
    }

    pub(crate) fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }

    pub(crate) fn network(&self) -> Network {
        self.network
    }
}

/// A language tag in lower case with `-` between subtags (`fr_CA` → `fr-ca`).
pub(crate) fn normalise_lang(lang: &str) -> String {
    lang.trim().to_ascii_lowercase().replace('_', "-")
}
