//! Language identification with `whatlang`, restricted to the languages the product needs
//! and a few neighbours that would otherwise be mistaken for them.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use whatlang::{Detector, Lang as W};

use crate::entities;
use crate::text::{bare, fold, Kind, Tokens};

/// A language the enrichment can name, serialised as its ISO 639-1 code (`"fr"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// German.
    De,
    /// English.
    En,
    /// Spanish.
    Es,
    /// French.
    Fr,
    /// Italian.
    It,
    /// Dutch.
    Nl,
    /// Portuguese.
    Pt,
}

impl Lang {
    /// Every language, in the order of their codes.
    pub const ALL: [Lang; 7] = [Lang::De, Lang::En, Lang::Es, Lang::Fr, Lang::It, Lang::Nl, Lang::Pt];

    /// The ISO 639-1 code: `"fr"`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Fr => "fr",
            Lang::It => "it",
            Lang::Nl => "nl",
            Lang::Pt => "pt",
        }
    }

    /// The language of an ISO 639-1 code, in any case.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(code))
    }

    fn from_whatlang(lang: W) -> Option<Lang> {
        Some(match lang {
            W::Deu => Lang::De,
            W::Eng => Lang::En,
            W::Spa => Lang::Es,
            W::Fra => Lang::Fr,
            W::Ita => Lang::It,
            W::Nld => Lang::Nl,
            W::Por => Lang::Pt,
            _ => return None,
        })
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The error of parsing a [`Lang`] from a code it does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLang(pub String);

impl fmt::Display for UnknownLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown language code {:?}", self.0)
    }
}

impl std::error::Error for UnknownLang {}

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::from_code(s).ok_or_else(|| UnknownLang(s.to_owned()))
    }
}

/// Latin-script neighbours that would otherwise be taken for one of ours (Catalan for Spanish,
/// Afrikaans for Dutch…): when a post holds none of our function words, `whatlang` chooses
/// among ours and these, and a post in a neighbour gets no language rather than a wrong one.
/// (A neighbour's post that holds some of our function words can still be mistaken for ours:
/// checking every post against the neighbours would cost a third of the throughput.)
const NEIGHBOURS: &[W] =
    &[W::Cat, W::Ron, W::Afr, W::Dan, W::Swe, W::Nob, W::Pol, W::Ces, W::Tur, W::Ind, W::Fin, W::Hun, W::Epo];

fn to_whatlang(lang: Lang) -> W {
    match lang {
        Lang::De => W::Deu,
        Lang::En => W::Eng,
        Lang::Es => W::Spa,
        Lang::Fr => W::Fra,
        Lang::It => W::Ita,
        Lang::Nl => W::Nld,
        Lang::Pt => W::Por,
    }
}

fn index(lang: Lang) -> usize {
    Lang::ALL.iter().position(|&l| l == lang).unwrap_or(0)
}

pub(crate) const STOPWORDS: &str = include_str!("../lexicons/stopwords.tsv");

/// Function words that belong to exactly one of our languages (folded): `the`, `der`, `het`,
/// `les`, `gli`, `los`, `nao`… Words two languages share (`de`, `a`, `en`) are left out.
static FUNCTION_WORDS: LazyLock<HashMap<Box<str>, Lang>> = LazyLock::new(|| {
    let mut owners: HashMap<Box<str>, u8> = HashMap::new();
    for line in STOPWORDS.lines() {
        let Some((code, word)) = line.split_once('\t') else { continue };
        let Some(lang) = Lang::from_code(code) else { continue };
        *owners.entry(fold(word).into_boxed_str()).or_default() |= 1 << index(lang);
    }
    owners
        .into_iter()
        .filter(|(word, mask)| mask.count_ones() == 1 && word.chars().count() >= 2)
        .map(|(word, mask)| (word, Lang::ALL[mask.trailing_zeros() as usize]))
        .collect()
});

/// Whether some word of `tokens` is a function word of `lang` alone (`ce`, `sur`, `quel` for
/// French): a trace of the language in a post detected as another.
pub(crate) fn has_function_word_of(tokens: &Tokens, lang: Lang) -> bool {
    tokens.tokens.iter().any(|t| t.kind == Kind::Word && FUNCTION_WORDS.get(bare(&t.norm)) == Some(&lang))
}

/// Whether `word` (folded) is a stop word of `lang`: Spanish and Italian `con`, "with".
pub(crate) fn is_stopword_of(word: &str, lang: Lang) -> bool {
    STOPWORDS_BY_LANG[index(lang)].contains(word)
}

/// Every stop word of each language, folded (shared ones included).
static STOPWORDS_BY_LANG: LazyLock<[hashbrown::HashSet<Box<str>>; 7]> = LazyLock::new(|| {
    let mut sets: [hashbrown::HashSet<Box<str>>; 7] = Default::default();
    for line in STOPWORDS.lines() {
        let Some((code, word)) = line.split_once('\t') else { continue };
        let Some(lang) = Lang::from_code(code) else { continue };
        sets[index(lang)].insert(fold(word).into_boxed_str());
    }
    sets
});

/// One detector for each non-empty set of our languages (indexed by bit mask), and one for
/// all of ours and the neighbours.
static DETECTORS: LazyLock<Vec<Detector>> = LazyLock::new(|| {
    (0u8..128)
        .map(|mask| {
            let langs = Lang::ALL.into_iter().filter(|&l| mask & (1 << index(l)) != 0).map(to_whatlang);
            Detector::with_allowlist(langs.collect())
        })
        .collect()
});
static WIDE: LazyLock<Detector> = LazyLock::new(|| {
    Detector::with_allowlist(
        Lang::ALL.into_iter().map(to_whatlang).chain(NEIGHBOURS.iter().copied()).collect(),
    )
});

/// Below this many letters a post says too little to name its language.
const MIN_LETTERS: usize = 8;

/// The confidence `whatlang` must give when no function word helps, by number of letters:
/// short texts are noisy, so they need a clearer winner than long ones.
fn required_confidence(letters: usize) -> f64 {
    match letters {
        0..=19 => 0.4,
        20..=59 => 0.2,
        _ => 0.1,
    }
}

/// The language of `text`, or `None` when it cannot be told reliably (too short, another
/// script, a language outside [`Lang`], or no clear winner). Links and mentions are ignored.
pub fn detect_lang(text: &str) -> Option<Lang> {
    let clean = entities::strip(text, &entities::scan(text));
    detect_clean(&clean, &crate::tokens_of(&clean))
}

/// [`detect_lang`] on a text already rid of links and mentions, and its tokens.
///
/// 1. Too few Latin letters: `None`.
/// 2. Each function word of exactly one language is a vote for it. Three votes or more, all
///    for one language: that language (most sentences end here, in well under a microsecond).
/// 3. Votes for one language only: two are enough; with one, `whatlang`, among our languages,
///    must confirm it (or name another with enough confidence).
/// 4. Votes for several: `whatlang` chooses among the languages that got at least half the
///    votes of the best; its choice stands if it is the most voted language or clears the
///    confidence bar.
/// 5. No vote: `whatlang` chooses among ours and the neighbours, and must clear the bar.
pub(crate) fn detect_clean(clean: &str, tokens: &Tokens) -> Option<Lang> {
    let mut latin = 0usize;
    let mut other = 0usize;
    for c in clean.chars().filter(|c| c.is_alphabetic()) {
        if c.is_ascii_alphabetic() || ('\u{C0}'..='\u{24F}').contains(&c) {
            latin += 1;
        } else {
            other += 1;
        }
    }
    if latin < MIN_LETTERS || other > latin {
        return None;
    }
    let mut votes = [0u32; 7];
    for t in tokens.tokens.iter().filter(|t| t.kind == Kind::Word) {
        if let Some(&lang) = FUNCTION_WORDS.get(bare(&t.norm)) {
            votes[index(lang)] += 1;
        }
    }
    let best = (0..7).max_by_key(|&i| votes[i]).unwrap_or(0);
    let top = votes[best];
    let runner_up = (0..7).filter(|&i| i != best).map(|i| votes[i]).max().unwrap_or(0);
    if top >= 3 && runner_up == 0 {
        return Some(Lang::ALL[best]);
    }
    let bar = required_confidence(latin);
    if top > 0 {
        let mask = (0..7).filter(|&i| votes[i] > 0 && votes[i] * 2 >= top).fold(0usize, |m, i| m | 1 << i);
        if mask.count_ones() == 1 {
            return (top >= 2).then_some(Lang::ALL[best]).or_else(|| confirm(clean, Lang::ALL[best], bar));
        }
        let info = DETECTORS[mask].detect(clean)?;
        let lang = Lang::from_whatlang(info.lang())?;
        return (votes[index(lang)] == top || info.confidence() >= bar).then_some(lang);
    }
    let info = WIDE.detect(clean)?;
    let lang = Lang::from_whatlang(info.lang())?;
    (info.confidence() >= bar).then_some(lang)
}

/// One function word for `lang` and no other vote: `whatlang`, among our languages, must
/// agree, or name another and clear the bar.
fn confirm(clean: &str, lang: Lang, bar: f64) -> Option<Lang> {
    let info = DETECTORS[127].detect(clean)?;
    let found = Lang::from_whatlang(info.lang())?;
    (found == lang || info.confidence() >= bar).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(lang.code().parse::<Lang>(), Ok(lang));
            assert_eq!(lang.to_string(), lang.code());
        }
        assert_eq!("FR".parse::<Lang>(), Ok(Lang::Fr));
        assert!("xx".parse::<Lang>().is_err());
    }
}
