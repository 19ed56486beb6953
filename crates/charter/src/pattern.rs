//! Charter words and phrases (banned words, pillar keywords) and where they occur in a post.
//!
//! An entry is cut like the post (see [`crate::text::match_tokens`]) and matches a run of
//! consecutive tokens, whatever punctuation stands between them: `c'est nul` matches
//! `C’EST… nul`. Each word of an entry matches the same word folded (case and accents do not
//! count), its plural in `s`, `x` or `es` when it has three letters or more, and any word it
//! begins when it ends with `*` (`arnaq*`).

use std::ops::Range;

use crate::text::{match_tokens, Token};

/// One word of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    folded: String,
    prefix: bool,
}

impl Part {
    fn matches(&self, token: &str) -> bool {
        if self.prefix {
            return token.starts_with(self.folded.as_str());
        }
        match token.strip_prefix(self.folded.as_str()) {
            Some("") => true,
            Some("s" | "x" | "es") => self.folded.chars().count() >= 3,
            _ => false,
        }
    }
}

/// A charter word or phrase, ready to be looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    parts: Vec<Part>,
}

impl Pattern {
    /// The pattern of `entry`; `None` when it holds no word.
    pub(crate) fn new(entry: &str) -> Option<Self> {
        let tokens = match_tokens(entry, &[]);
        let parts: Vec<Part> = tokens
            .iter()
            .map(|t| Part { folded: t.folded.clone(), prefix: entry[t.end..].starts_with('*') })
            .collect();
        (!parts.is_empty()).then_some(Self { parts })
    }

    /// The folded words of the pattern, without `*`.
    pub(crate) fn words(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().map(|p| p.folded.as_str())
    }

    /// Whether the pattern matches `tokens` from index `at`.
    fn matches_at(&self, tokens: &[Token], at: usize) -> bool {
        let Some(window) = tokens.get(at..at + self.parts.len()) else {
            return false;
        };
        self.parts
            .iter()
            .zip(window)
            .enumerate()
            .all(|(k, (part, token))| (k == 0 || token.joined) && part.matches(&token.folded))
    }

    /// Every occurrence of the pattern in `tokens`, as byte ranges of the post.
    pub(crate) fn find_all(&self, tokens: &[Token]) -> Vec<Range<usize>> {
        (0..tokens.len())
            .filter(|&at| self.matches_at(tokens, at))
            .map(|at| tokens[at].start..tokens[at + self.parts.len() - 1].end)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;
    use crate::text::{match_tokens, opaque_spans};

    fn found(entry: &str, text: &str) -> Vec<String> {
        let tokens = match_tokens(text, &opaque_spans(text));
        Pattern::new(entry).unwrap().find_all(&tokens).into_iter().map(|r| text[r].to_owned()).collect()
    }

    #[test]
    fn patterns_match_folded_words_on_boundaries() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("arnaque", "Quelle ARNAQUE, l’arnaque du siècle", &["ARNAQUE", "arnaque"]),
            ("arnaque", "des arnaques et des arnaqueurs", &["arnaques"]),
            ("arnaq*", "des arnaqueurs", &["arnaqueurs"]),
            ("con", "un conseil, des cons, un con.", &["cons", "con"]),
            ("c'est nul", "C’EST… nul !", &["C’EST… nul"]),
            ("c'est nul", "c'est https://x.org nul", &[]),
            ("Élève", "un eleve", &["eleve"]),
            ("🤬", "grr🤬!", &["🤬"]),
        ];
        for (entry, text, expected) in cases {
            assert_eq!(found(entry, text), *expected, "{entry} in {text}");
        }
    }

    #[test]
    fn an_entry_without_words_is_no_pattern() {
        assert_eq!(Pattern::new(" , ! "), None);
    }
}
