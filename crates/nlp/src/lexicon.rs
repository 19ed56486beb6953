//! The embedded lexicons (see `lexicons/README.md` for where each comes from), parsed once on
//! first use into hash maps keyed by folded words.

use std::sync::LazyLock;

use hashbrown::{HashMap, HashSet};

use crate::text::{deobfuscate, fold, squeeze};

const EN_VALENCE: &str = include_str!("../lexicons/en-valence.tsv");
const FR_VALENCE: &str = include_str!("../lexicons/fr-valence.tsv");
const FR_ADJECTIVES: &str = include_str!("../lexicons/fr-adjectives.tsv");
const EN_MODIFIERS: &str = include_str!("../lexicons/en-modifiers.tsv");
const FR_MODIFIERS: &str = include_str!("../lexicons/fr-modifiers.tsv");
const EMOJI_VALENCE: &str = include_str!("../lexicons/emoji-valence.tsv");
const EN_PROFANITY: &str = include_str!("../lexicons/en-profanity.txt");
const FR_PROFANITY: &str = include_str!("../lexicons/fr-profanity.txt");

/// French adjective polarities run from -1 to 1, word valences from about -4 to 4.
const ADJECTIVE_SCALE: f32 = 3.0;

/// Emoji polarities run from -5 to 5, word valences from about -4 to 4.
const EMOJI_SCALE: f32 = 0.8;

/// The weight of a profane word whose valence the language's lexicon does not give.
const PROFANITY_UNKNOWN_WEIGHT: f32 = 0.4;

/// Every lexicon, parsed.
#[derive(Debug)]
pub(crate) struct Lexicons {
    /// English words.
    pub(crate) en: Language,
    /// French words.
    pub(crate) fr: Language,
    /// Emoji valences, on the word scale, keyed by the emoji without modifiers.
    pub(crate) emojis: HashMap<char, f32>,
    /// ASCII emoticons (`:)`, `<3`, `:-(`) and their valence, as written.
    pub(crate) emoticons: HashMap<Box<str>, f32>,
}

/// The lexicons of one language.
#[derive(Debug, Default)]
pub(crate) struct Language {
    /// Folded word → valence (about -4 very negative to 4 very positive).
    pub(crate) valence: HashMap<Box<str>, f32>,
    /// Folded words that negate what follows: `not`, `pas`, `jamais`…
    pub(crate) negators: HashSet<Box<str>>,
    /// Folded words that strengthen (positive) or soften (negative) what follows.
    pub(crate) boosters: HashMap<Box<str>, f32>,
    /// Profane words, de-obfuscated (see [`deobfuscate`]), and their weight in `0..1`.
    pub(crate) profanity: HashMap<Box<str>, f32>,
    /// The same keyed by their squeezed form (every run of a letter cut to one), to read
    /// `connnnard` and `coonard` as `connard`.
    pub(crate) profanity_squeezed: HashMap<Box<str>, f32>,
    /// Long profane words (eight letters or more) with one letter dropped, to read
    /// `motherfuker` as `motherfucker`.
    pub(crate) profanity_deletions: HashMap<Box<str>, f32>,
    /// Profane expressions of several words (folded, split on spaces) and their weight.
    pub(crate) profane_phrases: Vec<(Vec<Box<str>>, f32)>,
}

/// The lexicons, parsed on first use.
pub(crate) static LEXICONS: LazyLock<Lexicons> = LazyLock::new(Lexicons::load);

impl Lexicons {
    fn load() -> Self {
        let mut en = Language::default();
        let mut fr = Language::default();
        load_valence(&mut en, EN_VALENCE);
        load_valence(&mut fr, FR_VALENCE);
        // The hand-tagged French adjectives are more reliable than the translated entries.
        let mut adjectives = Language::default();
        load_valence(&mut adjectives, FR_ADJECTIVES);
        fr.valence.extend(
            adjectives.valence.into_iter().filter(|(_, v)| *v != 0.0).map(|(k, v)| (k, v * ADJECTIVE_SCALE)),
        );
        load_modifiers(&mut en, EN_MODIFIERS);
        load_modifiers(&mut fr, FR_MODIFIERS);
        load_profanity(&mut en, EN_PROFANITY);
        load_profanity(&mut fr, FR_PROFANITY);

        let mut emojis = HashMap::new();
        for line in EMOJI_VALENCE.lines() {
            let Some((emoji, polarity)) = line.split_once('\t') else { continue };
            let (Some(c), Ok(p)) = (emoji.chars().next(), polarity.trim().parse::<f32>()) else { continue };
            emojis.insert(c, p * EMOJI_SCALE);
        }

        // Emoticons are the English valence lexicon's entries that are not words.
        let mut emoticons = HashMap::new();
        for line in EN_VALENCE.lines() {
            let Some((key, value)) = line.split_once('\t') else { continue };
            let Ok(value) = value.trim().parse::<f32>() else { continue };
            if key.chars().any(|c| c.is_ascii_punctuation() && c != '\'' && c != '-') && !key.contains(' ') {
                emoticons.insert(key.into(), value);
            }
        }
        Lexicons { en, fr, emojis, emoticons }
    }

    /// Whether `chunk` is a known emoticon.
    pub(crate) fn is_emoticon(&self, chunk: &str) -> bool {
        chunk.len() <= 8 && self.emoticons.contains_key(chunk)
    }
}

impl Language {
    /// The valence of a folded word; a word with letters repeated for emphasis (`goooood`)
    /// is read without the repetition, a word in leetspeak (`c0nnard`) as letters.
    pub(crate) fn valence_of(&self, word: &str) -> Option<f32> {
        if let Some(&v) = self.valence.get(word) {
            return Some(v);
        }
        if word.chars().any(|c| c.is_ascii_digit()) && word.chars().any(char::is_alphabetic) {
            // Leetspeak: `g3nial`, `c0nnard`.
            return self.valence.get(deobfuscate(word).as_str()).copied();
        }
        if crate::text::has_long_run(word) {
            return self
                .valence
                .get(squeeze(word, 2).as_str())
                .or_else(|| self.valence.get(squeeze(word, 1).as_str()))
                .copied();
        }
        None
    }
}

/// Folds every key; keys that fold alike get the mean of their values.
fn load_valence(lang: &mut Language, data: &str) {
    let mut sums: HashMap<Box<str>, (f32, f32)> = HashMap::new();
    for line in data.lines() {
        let Some((word, value)) = line.split_once('\t') else { continue };
        let Ok(value) = value.trim().parse::<f32>() else { continue };
        if word.contains(' ') || word.is_empty() {
            continue;
        }
        let entry = sums.entry(fold(word).into_boxed_str()).or_insert((0.0, 0.0));
        entry.0 += value;
        entry.1 += 1.0;
    }
    lang.valence = sums.into_iter().map(|(k, (sum, n))| (k, sum / n)).collect();
}

fn load_modifiers(lang: &mut Language, data: &str) {
    for line in data.lines() {
        let mut cols = line.split('\t');
        let (Some(word), Some(kind)) = (cols.next(), cols.next()) else { continue };
        if word.contains(' ') {
            continue;
        }
        let word = fold(word).into_boxed_str();
        match kind {
            "negate" => {
                lang.negators.insert(word);
            }
            "boost" => {
                if let Some(Ok(v)) = cols.next().map(str::parse::<f32>) {
                    lang.boosters.insert(word, v);
                }
            }
            _ => {}
        }
    }
}

/// The weight of a profane word in `0..1`, from its valence in the same language: the more
/// negative the word, the heavier (0.3 to 0.51); a word the lexicon holds as neutral or
/// positive (a body part, an exclamation) is light (0.25); a word it does not hold weighs 0.4.
fn profanity_weight(valence: Option<f32>) -> f32 {
    match valence {
        None => PROFANITY_UNKNOWN_WEIGHT,
        Some(v) if v >= -0.5 => 0.25,
        Some(v) => 0.3 + 0.07 * (-v).min(3.0),
    }
}

fn load_profanity(lang: &mut Language, data: &str) {
    for line in data.lines() {
        let folded = fold(line.trim());
        if folded.is_empty() {
            continue;
        }
        let parts: Vec<&str> = folded.split(' ').filter(|p| !p.is_empty()).collect();
        if parts.len() > 1 && parts.iter().any(|p| p.chars().count() > 1) {
            let phrase: Vec<Box<str>> = parts.iter().map(|p| deobfuscate(p).into_boxed_str()).collect();
            let weight = profanity_weight(None);
            lang.profane_phrases.push((phrase, weight));
            continue;
        }
        let key = deobfuscate(&folded);
        if key.chars().count() < 2 || key.contains('*') {
            continue;
        }
        let weight = profanity_weight(
            lang.valence.get(folded.as_str()).or_else(|| lang.valence.get(key.as_str())).copied(),
        );
        let slot = lang.profanity.entry(key.clone().into_boxed_str()).or_insert(weight);
        *slot = slot.max(weight);
        let slot = lang.profanity_squeezed.entry(squeeze(&key, 1).into_boxed_str()).or_insert(weight);
        *slot = slot.max(weight);
        if key.len() >= 8 && key.is_ascii() {
            for i in 0..key.len() {
                let dropped = format!("{}{}", &key[..i], &key[i + 1..]);
                let slot = lang.profanity_deletions.entry(dropped.into_boxed_str()).or_insert(weight);
                *slot = slot.max(weight);
            }
        }
    }
}
