//! Text normalisation shared by every analysis: folding, de-obfuscation and tokens.
//!
//! A post is cut once into [`Tokens`]: folded words (lower case, accents removed, French
//! elision split off: `n'est` → `n'` + `est`), emojis, ASCII emoticons and sentence breaks.
//! Sentiment and toxicity both read this one sequence.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Appends the folded form of `text` to `out`: lower case, accents removed, `œ` → `oe`,
/// `æ` → `ae`, `ß` → `ss`, the typographic apostrophe `’` → `'`.
pub(crate) fn fold_into(text: &str, out: &mut String) {
    if text.is_ascii() {
        out.extend(text.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        return;
    }
    for c in text.chars() {
        fold_char(c, out);
    }
}

/// The folded form of `text`, see [`fold_into`].
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    match c {
        '’' | 'ʼ' | '‘' => out.push('\''),
        'œ' | 'Œ' => out.push_str("oe"),
        'æ' | 'Æ' => out.push_str("ae"),
        'ß' => out.push_str("ss"),
        _ => decompose_canonical(c, |d| {
            if !is_combining_mark(d) {
                out.extend(d.to_lowercase());
            }
        }),
    }
}

/// Whether `c` is a letter, digit or mark outside the Latin letters that [`fold`] reads itself
/// (ASCII, Latin-1, Latin Extended-A and B): a Cyrillic `а`, a full-width `ｆ`, a
/// mathematical `𝐟`, a combining stroke.
fn is_foreign(c: char) -> bool {
    !c.is_ascii()
        && !('\u{C0}'..='\u{24F}').contains(&c)
        && (c.is_alphanumeric() || is_combining_mark(c) || ('\u{FF01}'..='\u{FF5E}').contains(&c))
}

/// Letters styled from Latin ones: full-width, mathematical, circled, squared.
fn is_styled_latin(c: char) -> bool {
    matches!(c as u32, 0xFF01..=0xFF5E | 0x1D400..=0x1D7FF | 0x2460..=0x24FF | 0x1F130..=0x1F189)
}

/// `text` with Unicode confusables read as the ASCII letters they imitate (Unicode's
/// confusables, as the `decancer` crate tables them: Cyrillic and Greek look-alikes, full-width
/// and mathematical letters, combining marks dropped), or `None` when it holds none.
///
/// A post mostly in another script (Russian, Greek) is left alone, except its words that mix
/// Latin letters with others (`fuсk` with a Cyrillic `с`) or use styled Latin letters.
pub(crate) fn cure_confusables(text: &str) -> Option<String> {
    if text.is_ascii() || !text.chars().any(is_foreign) {
        return None;
    }
    let (mut latin, mut other) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        if is_foreign(c) && !is_styled_latin(c) {
            other += 1;
        } else {
            latin += 1;
        }
    }
    let whole = latin >= other;
    let mut out = String::with_capacity(text.len());
    for chunk in text.split_inclusive(char::is_whitespace) {
        let mixed = chunk.chars().any(|c| c.is_ascii_alphabetic()) && chunk.chars().any(is_foreign);
        if !(whole || mixed || chunk.chars().any(is_styled_latin)) {
            out.push_str(chunk);
            continue;
        }
        for c in chunk.chars() {
            if !is_foreign(c) {
                out.push(c);
                continue;
            }
            match decancer::cure_char(c, decancer::Options::default()) {
                decancer::Translation::Character(l) => out.push(l),
                decancer::Translation::String(s) => out.push_str(&s),
                decancer::Translation::None => {}
            }
        }
    }
    Some(out)
}

/// Whether `c` is a pictographic emoji (the modifiers that follow one are not).
pub(crate) fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1F3FA | 0x1F400..=0x1FAFF | 0x2600..=0x27BF | 0x2B50 | 0x2B55 | 0x2B06)
}

/// Words that French writes elided before a vowel: `l'`, `qu'`, `n'`…
const ELISIONS: &[&str] =
    &["c", "d", "j", "l", "m", "n", "s", "t", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"];

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A word: letters and digits, folded.
    Word,
    /// One emoji, without its modifiers.
    Emoji,
    /// An ASCII emoticon such as `:)` or `<3`, as written.
    Emoticon,
    /// The end of a sentence (`.`, `!`, `?`, `;`, `…`): negation and targeting stop there.
    Break,
}

/// One token of a post.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// The folded word, the emoji or the emoticon.
    pub(crate) norm: String,
    /// What the token is.
    pub(crate) kind: Kind,
    /// Written in capitals (at least two letters, none in lower case).
    pub(crate) caps: bool,
    /// The index of the whitespace-separated chunk the token comes from.
    pub(crate) chunk: u32,
}

/// A whitespace-separated piece of the post that holds symbols between its letters
/// (`f*ck`, `c.o.n.n.a.r.d`, `$hit`): toxicity also reads it whole.
#[derive(Debug, Clone)]
pub(crate) struct Joined {
    /// The chunk, folded, without the punctuation around it.
    pub(crate) text: String,
    /// The chunk's index, as in [`Token::chunk`].
    pub(crate) chunk: u32,
}

/// A post cut into tokens.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tokens {
    /// Every token, in order.
    pub(crate) tokens: Vec<Token>,
    /// The chunks worth reading whole, see [`Joined`].
    pub(crate) joined: Vec<Joined>,
    /// Whether some letter is in lower case: capitals only stress a word in a post that has
    /// lower case.
    pub(crate) has_lower: bool,
    /// How many `!` the post holds.
    pub(crate) exclamations: u32,
}

/// Symbols that obfuscation puts between or in place of letters.
fn is_obfuscation_symbol(c: char) -> bool {
    matches!(c, '*' | '.' | '-' | '_' | '@' | '$' | '!' | '|' | '+' | '€' | '#' | '%' | '¡')
}

/// Cuts `text` (already rid of links and mentions) into tokens. `is_emoticon` tells whether a
/// whitespace-separated chunk is an emoticon of the lexicon.
pub(crate) fn tokenize(text: &str, is_emoticon: impl Fn(&str) -> bool) -> Tokens {
    let mut out = Tokens { tokens: Vec::with_capacity(text.len() / 4 + 1), ..Tokens::default() };
    for (chunk, piece) in text.split_whitespace().enumerate() {
        let chunk = u32::try_from(chunk).unwrap_or(u32::MAX);
        out.exclamations += u32::try_from(piece.matches('!').count()).unwrap_or(0);
        if is_emoticon(piece) {
            out.tokens.push(Token { norm: piece.to_owned(), kind: Kind::Emoticon, caps: false, chunk });
            continue;
        }
        if let Some(core) = obfuscated_core(piece) {
            out.joined.push(Joined { text: fold(core), chunk });
        }
        split_chunk(piece, chunk, &mut out);
    }
    out
}

/// The chunk without the punctuation around it, when symbols stand between its letters.
fn obfuscated_core(piece: &str) -> Option<&str> {
    let core = piece
        .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '$' && c != '@')
        .trim_end_matches(|c: char| !c.is_alphanumeric() && c != '*');
    let inner = core.chars().any(is_obfuscation_symbol);
    (inner && core.chars().filter(|c| c.is_alphanumeric()).count() >= 2).then_some(core)
}

fn split_chunk(piece: &str, chunk: u32, out: &mut Tokens) {
    let mut word = String::new();
    let mut letters = 0usize;
    let mut upper = 0usize;
    let mut chars = piece.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            if c.is_alphabetic() {
                letters += 1;
                if c.is_uppercase() {
                    upper += 1;
                } else if c.is_lowercase() {
                    out.has_lower = true;
                }
            }
            fold_char(c, &mut word);
            continue;
        }
        if matches!(c, '\'' | '’' | 'ʼ') && !word.is_empty() {
            let next_is_letter = chars.peek().is_some_and(|n| n.is_alphabetic());
            if next_is_letter && ELISIONS.contains(&word.as_str()) {
                word.push('\'');
                flush(&mut word, &mut letters, &mut upper, chunk, out);
            } else if next_is_letter {
                word.push('\'');
            }
            continue;
        }
        flush(&mut word, &mut letters, &mut upper, chunk, out);
        if is_emoji(c) {
            let mut norm = String::new();
            norm.push(c);
            out.tokens.push(Token { norm, kind: Kind::Emoji, caps: false, chunk });
        } else if matches!(c, '.' | '!' | '?' | ';' | '…' | '¿' | '¡' | ',' | ':')
            && !chars.peek().is_some_and(|n| n.is_alphanumeric())
            && out.tokens.last().is_some_and(|t| t.kind != Kind::Break)
        {
            out.tokens.push(Token { norm: String::new(), kind: Kind::Break, caps: false, chunk });
        }
    }
    flush(&mut word, &mut letters, &mut upper, chunk, out);
}

fn flush(word: &mut String, letters: &mut usize, upper: &mut usize, chunk: u32, out: &mut Tokens) {
    if !word.is_empty() {
        let caps = *letters >= 2 && *upper == *letters;
        out.tokens.push(Token { norm: std::mem::take(word), kind: Kind::Word, caps, chunk });
    }
    *letters = 0;
    *upper = 0;
}

/// The word without a final elision apostrophe: `n'` → `n`.
pub(crate) fn bare(word: &str) -> &str {
    word.strip_suffix('\'').unwrap_or(word)
}

/// Whether a letter occurs three times or more in a row (`connnnard`, `goooood`).
pub(crate) fn has_long_run(word: &str) -> bool {
    let mut prev = '\0';
    let mut run = 0;
    for c in word.chars() {
        if c == prev {
            run += 1;
            if run >= 3 && c.is_alphabetic() {
                return true;
            }
        } else {
            prev = c;
            run = 1;
        }
    }
    false
}

/// `word` with every run of one letter longer than `max` cut to `max` letters.
pub(crate) fn squeeze(word: &str, max: usize) -> String {
    let mut out = String::with_capacity(word.len());
    let mut prev = '\0';
    let mut run = 0;
    for c in word.chars() {
        if c == prev {
            run += 1;
        } else {
            prev = c;
            run = 1;
        }
        if run <= max {
            out.push(c);
        }
    }
    out
}

/// The letter a leetspeak character stands for, if it stands for one.
fn unleet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' | '!' | '|' | '¡' => 'i',
        '3' | '€' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' | '+' => 't',
        '8' => 'b',
        '9' => 'g',
        _ => return None,
    })
}

/// The de-obfuscated form of a folded word: leetspeak read as letters, separators
/// (`.`, `-`, `_`, `'`, spaces) dropped. Wildcards (`*`, `#`, `%`) are kept as `*`.
pub(crate) fn deobfuscate(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_alphabetic() {
            out.push(c);
        } else if let Some(l) = unleet(c) {
            out.push(l);
        } else if matches!(c, '*' | '#' | '%') {
            out.push('*');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text, |_| false)
            .tokens
            .into_iter()
            .map(|t| match t.kind {
                Kind::Break => "|".to_owned(),
                _ => t.norm,
            })
            .collect()
    }

    #[test]
    fn folding_removes_case_and_accents() {
        let cases = [("Réseau", "reseau"), ("CŒUR", "coeur"), ("Straße", "strasse"), ("l’été", "l'ete")];
        for (text, folded) in cases {
            assert_eq!(fold(text), folded, "{text}");
        }
    }

    #[test]
    fn tokens_split_french_elision_and_keep_english_contractions() {
        let cases: &[(&str, &[&str])] = &[
            ("Ce n'est pas terrible.", &["ce", "n'", "est", "pas", "terrible", "|"]),
            ("J’adore l'été", &["j'", "adore", "l'", "ete"]),
            ("I don't like it!!", &["i", "don't", "like", "it", "|"]),
            ("t'es qu'un nul", &["t'", "es", "qu'", "un", "nul"]),
            ("super😍👍🏽 top", &["super", "😍", "👍", "top"]),
        ];
        for (text, expected) in cases {
            assert_eq!(words(text), *expected, "{text}");
        }
    }

    #[test]
    fn chunks_with_symbols_between_letters_are_also_read_whole() {
        let cases: &[(&str, &[&str])] = &[
            ("f*ck this", &["f*ck"]),
            ("c.o.n.n.a.r.d !", &["c.o.n.n.a.r.d"]),
            ("$hit happens", &["$hit"]),
            ("(bon.)", &[]),
            ("plain words only", &[]),
        ];
        for (text, expected) in cases {
            let joined: Vec<String> = tokenize(text, |_| false).joined.into_iter().map(|j| j.text).collect();
            assert_eq!(joined, *expected, "{text}");
        }
    }

    #[test]
    fn deobfuscation_reads_leetspeak_and_drops_separators() {
        let cases = [
            ("c0nnard", "connard"),
            ("3ncule", "encule"),
            ("c.o.n", "con"),
            ("f*ck", "f*ck"),
            ("$h1t", "shit"),
        ];
        for (word, plain) in cases {
            assert_eq!(deobfuscate(word), plain, "{word}");
        }
    }

    #[test]
    fn confusables_are_read_as_latin_letters() {
        let cases = [
            ("ｆｖｃｋ you", "fvck you"),
            ("fu\u{0441}k off", "fuck off"),
            ("\u{1D41F}\u{1D42E}\u{1D41C}\u{1D424}", "fuck"),
            ("s\u{0336}h\u{0336}i\u{0336}t\u{0336}", "shit"),
        ];
        for (text, cured) in cases {
            assert_eq!(cure_confusables(text).as_deref(), Some(cured), "{text}");
        }
        assert_eq!(cure_confusables("plain ascii"), None);
        assert_eq!(cure_confusables("Déjà vu, ça"), None);
        // A Russian sentence stays Russian.
        assert_eq!(cure_confusables("Это хорошо").as_deref(), Some("Это хорошо"));
    }

    #[test]
    fn squeezing_cuts_long_runs() {
        assert!(has_long_run("connnnard"));
        assert!(!has_long_run("connard"));
        assert_eq!(squeeze("connnnard", 2), "connard");
        assert_eq!(squeeze("fuuuuck", 1), "fuck");
    }
}
