//! Word patterns: a literal word or a wildcard pattern (`complain*`, `customi?e`), matched
//! against one token.

use crate::fold::fold_into;

/// One position of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PatChar {
    /// This character.
    Lit(char),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, possibly empty.
    Star,
}

/// A word pattern, already in the form it is compared in: folded, or as written (NFC) when the
/// term is case-sensitive (`{Exact}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    case_sensitive: bool,
    chars: Vec<PatChar>,
}

impl Pattern {
    /// A pattern from the NFC text of a query term; `*` and `?` are wildcards.
    pub(crate) fn new(source: &str, case_sensitive: bool) -> Self {
        let mut chars = Vec::with_capacity(source.len());
        let mut folded = String::new();
        for c in source.chars() {
            match c {
                '*' if chars.last() == Some(&PatChar::Star) => {}
                '*' => chars.push(PatChar::Star),
                '?' => chars.push(PatChar::One),
                c if case_sensitive => chars.push(PatChar::Lit(c)),
                c => {
                    folded.clear();
                    let mut buf = [0u8; 4];
                    fold_into(c.encode_utf8(&mut buf), &mut folded);
                    chars.extend(folded.chars().map(PatChar::Lit));
                }
            }
        }
        Pattern { source: source.to_owned(), case_sensitive, chars }
    }

    /// The term as written in the query (NFC).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the pattern compares the token as written (`{Exact}`) rather than folded.
    pub fn is_case_sensitive(&self) -> bool {
        self.case_sensitive
    }

    /// Whether the pattern has a `*` or a `?`.
    pub fn has_wildcards(&self) -> bool {
        self.chars.iter().any(|c| !matches!(c, PatChar::Lit(_)))
    }

    /// How many literal (non-wildcard) characters the pattern has.
    pub(crate) fn literal_count(&self) -> usize {
        self.chars.iter().filter(|c| matches!(c, PatChar::Lit(_))).count()
    }

    pub(crate) fn chars(&self) -> &[PatChar] {
        &self.chars
    }

    /// The pattern's text when it has no wildcard, in its compared form.
    pub(crate) fn literal(&self) -> Option<String> {
        self.chars
            .iter()
            .map(|c| match c {
                PatChar::Lit(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// Runs of literal characters: (index of the first, index after the last, text).
    pub(crate) fn segments(&self) -> Vec<(usize, usize, String)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.chars.len() {
            if let PatChar::Lit(_) = self.chars[i] {
                let start = i;
                let mut text = String::new();
                while let Some(PatChar::Lit(c)) = self.chars.get(i) {
                    text.push(*c);
                    i += 1;
                }
                out.push((start, i, text));
            } else {
                i += 1;
            }
        }
        out
    }

    /// Whether the whole of `text` (folded, or as written for a case-sensitive pattern) matches.
    pub fn matches(&self, text: &str) -> bool {
        glob(&self.chars, text)
    }
}

/// Wildcard matching with the classic single backtrack point: on a mismatch, the last `*`
/// takes one more character. Linear in practice, quadratic at worst, on words of a few bytes.
pub(crate) fn glob(pattern: &[PatChar], text: &str) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        let next = text[t..].chars().next();
        match (pattern.get(p), next) {
            (Some(PatChar::Star), _) => {
                backtrack = Some((p + 1, t));
                p += 1;
                continue;
            }
            (Some(PatChar::One), Some(c)) => {
                p += 1;
                t += c.len_utf8();
                continue;
            }
            (Some(PatChar::Lit(l)), Some(c)) if *l == c => {
                p += 1;
                t += c.len_utf8();
                continue;
            }
            (None, None) => return true,
            _ => {}
        }
        match backtrack {
            Some((bp, bt)) => match text[bt..].chars().next() {
                Some(c) => {
                    backtrack = Some((bp, bt + c.len_utf8()));
                    p = bp;
                    t = bt + c.len_utf8();
                }
                None => return false,
            },
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        let cases = [
            ("complain*", "complain", true),
            ("complain*", "complaints", true),
            ("complain*", "complai", false),
            ("customi?e", "customise", true),
            ("customi?e", "customize", true),
            ("customi?e", "customie", false),
            ("customi?e", "customisse", false),
            ("c*r", "coeur", true),
            ("c*r", "coeurs", false),
            ("*ing", "listening", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("Réseau", "reseau", true),
            ("r?seau", "reseau", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(Pattern::new(pattern, false).matches(text), expected, "{pattern} on {text}");
        }
    }

    #[test]
    fn case_sensitive_patterns_compare_as_written() {
        let p = Pattern::new("Réseau", true);
        assert!(p.matches("Réseau"));
        assert!(!p.matches("réseau"));
        assert!(!p.matches("Reseau"));
    }
}
