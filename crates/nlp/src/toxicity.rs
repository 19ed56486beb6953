//! Toxicity: insults and harassment in French and English, read through obfuscation.
//!
//! # What counts
//!
//! Each finding has a weight in `0..1`; the score is `1 - Π(1 - weight)`, so that findings add
//! up without passing 1. A post is flagged from [`FLAG_THRESHOLD`].
//!
//! - **Profane words** of the lexicons: weight 0.25 to 0.51, heavier the more negative the
//!   word's valence in the same language (`connard`, `bitch` are heavy, `zizi` light; a word
//!   without valence weighs 0.4). So a lone swear word (`holy shit`, `putain`) is not flagged,
//!   but two are, and so is one of the very strongest.
//! - **Targeting** adds 0.35 to a profane word: a second-person subject shortly before it,
//!   with only the glue of an insult between (`t'es qu'un …`, `you are a …`, `espèce de …`,
//!   `sale …`), or `you`/`toi` right after it (`fuck you`).
//! - **Targeted negative words**: a word that is not profane but strongly negative in the
//!   valence lexicon, after such a subject and an insulting determiner (`you're such a loser`,
//!   `t'es qu'un nul`): 0.5 to 0.7.
//! - **Harassment phrases**: threats and silencing (`kill yourself`, `ferme ta gueule`,
//!   `va crever`…), 0.4 to 0.9.
//!
//! # Reading through obfuscation, without the Scunthorpe problem
//!
//! Words are compared whole, never as substrings: `constitution` does not contain `con` and
//! `assistant` does not contain `ass`. Folding removes case and accents. A word that shows
//! signs of obfuscation (digits among letters, a letter three times in a row, symbols between
//! letters) is also read de-obfuscated: leetspeak as letters (`c0nnard`, `3nculé`), separators
//! dropped (`c.o.n.n.a.r.d`), runs of a letter squeezed (`connnnard`), `*` as any one letter
//! (`f*ck`), and single letters separated by spaces joined (`c o n n a r d`).
//!
//! # Which lexicons
//!
//! French and English for French posts and posts of unknown language, English for the other
//! languages (so that Spanish `con`, "with", is not read as French). In a French post an
//! English profane word that is also a French word does not count, and the others weigh at most
//! 0.4 unless aimed at someone (`retard`, "delay", is not in the French lexicon).

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::lexicon::{Language, LEXICONS};
use crate::text::{bare, deobfuscate, has_long_run, squeeze, Kind, Tokens};

/// The score from which a post is flagged.
pub const FLAG_THRESHOLD: f32 = 0.5;

/// What targeting adds to a profane word's weight.
const TARGETING_BOOST: f32 = 0.35;
/// The highest weight one finding can have.
const MAX_WEIGHT: f32 = 0.95;
/// The most an English profane word weighs in a French post before targeting: `retard`
/// ("delay") is no insult there.
const FOREIGN_WEIGHT: f32 = 0.4;
/// How many words before a profane word a second-person subject may stand.
const TARGET_WINDOW: usize = 5;

/// How toxic a post is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Toxicity {
    /// From 0 (nothing found) to 1, rounded to two decimals.
    pub score: f32,
    /// Whether `score` reaches [`FLAG_THRESHOLD`]: abuse, an insult or threat aimed at
    /// someone (or several insults).
    pub flagged: bool,
    /// Whether the post holds a swear word of the lexicons, however spelt, aimed at someone or
    /// not (`putain`, `holy shit`, `ｆｖｃｋ`). Serialised only when set, so that the JSON line of
    /// a clean post keeps its agreed form.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub profane: bool,
}

impl Toxicity {
    /// The toxicity of a score, rounded to two decimals, without profanity.
    pub fn from_score(score: f32) -> Toxicity {
        let score = crate::round2(score.clamp(0.0, 1.0));
        Toxicity { score, flagged: score >= FLAG_THRESHOLD, profane: false }
    }
}

/// Second-person subjects: who an insult is aimed at. `t` is the elided `t'` of `t'es`.
/// `espece` and `sale` stand for the subject in `espèce de con`, `sale con`.
const SUBJECTS: &[&str] =
    &["you", "u", "ur", "you're", "youre", "ya", "y'all", "tu", "t", "vous", "espece", "sale", "pauvre"];
/// Objects after a profane word that aim it: `fuck you`.
const OBJECTS: &[&str] = &["you", "u", "ya", "toi"];
/// The glue that may stand between a subject and the insult.
const GLUE: &[&str] = &[
    "are",
    "r",
    "re",
    "es",
    "etes",
    "n",
    "ne",
    "que",
    "qu",
    "a",
    "an",
    "un",
    "une",
    "such",
    "so",
    "really",
    "very",
    "totally",
    "complete",
    "fucking",
    "the",
    "biggest",
    "big",
    "little",
    "vraiment",
    "trop",
    "tellement",
    "completement",
    "gros",
    "grosse",
    "sale",
    "pauvre",
    "de",
    "d",
    "petit",
    "petite",
    "total",
    "espece",
    "just",
    "only",
    "that",
    "this",
    "what",
    "stupid",
    "dumb",
    "absolute",
    "worthless",
    "pathetic",
    "piece",
    "of",
    "dirty",
    "ugly",
    "fat",
    "all",
    "tous",
    "toutes",
    "des",
    "vrai",
    "vraie",
    "veritable",
    "sacre",
    "sacree",
];
/// Insults that are not swear words (`moron`, `loser`, `crétin`, `minable`): abuse when aimed
/// at someone, even without a determiner (`you are pathetic`, `t'es minable`).
const INSULTS: &[&str] = &[
    "moron",
    "idiot",
    "idiots",
    "imbecile",
    "loser",
    "losers",
    "clown",
    "scumbag",
    "trash",
    "freak",
    "pathetic",
    "ugly",
    "stupid",
    "dumb",
    "dumbest",
    "worthless",
    "disgusting",
    "useless",
    "incompetent",
    "incompetents",
    "jerk",
    "creep",
    "pig",
    "liar",
    "crook",
    "minable",
    "minables",
    "naze",
    "nazes",
    "cretin",
    "cretins",
    "debile",
    "debiles",
    "abruti",
    "abrutis",
    "bouffon",
    "bouffons",
    "incapable",
    "incapables",
    "ordure",
    "ordures",
    "raclure",
    "dechet",
    "blaireau",
    "tocard",
    "guignol",
    "escroc",
    "escrocs",
    "menteur",
    "menteuse",
    "nul",
    "nulle",
    "nuls",
];
/// Of the glue, what makes a negative word an insult (`such a loser`, `qu'un nul`).
const DETERMINERS: &[&str] = &[
    "a",
    "an",
    "un",
    "une",
    "qu",
    "such",
    "so",
    "espece",
    "de",
    "sale",
    "pauvre",
    "gros",
    "grosse",
    "total",
    "fucking",
    "big",
    "petit",
    "petite",
    "vraiment",
    "trop",
    "tellement",
    "really",
    "very",
    "complete",
    "biggest",
];

/// [`INSULTS`] as a set: it is asked about every word.
static INSULT_SET: std::sync::LazyLock<hashbrown::HashSet<&'static str>> =
    std::sync::LazyLock::new(|| INSULTS.iter().copied().collect());

/// Threats and silencing, as folded words (`t'` is `t`), with their weight.
const HARASSMENT: &[(&[&str], f32)] = &[
    (&["kill", "yourself"], 0.9),
    (&["kill", "urself"], 0.9),
    (&["kill", "your", "self"], 0.9),
    (&["kys"], 0.85),
    (&["hope", "you", "die"], 0.9),
    (&["go", "die"], 0.8),
    (&["die", "in", "a", "fire"], 0.85),
    (&["i", "will", "kill", "you"], 0.9),
    (&["i'll", "kill", "you"], 0.9),
    (&["nobody", "likes", "you"], 0.6),
    (&["shut", "up"], 0.4),
    (&["stfu"], 0.6),
    (&["shut", "the", "fuck", "up"], 0.7),
    (&["die", "you"], 0.7),
    (&["eat", "shit"], 0.6),
    (&["waste", "of", "space"], 0.5),
    (&["fuck", "off"], 0.6),
    (&["go", "to", "hell"], 0.5),
    (&["ferme", "ta", "gueule"], 0.75),
    (&["fermez", "vos", "gueules"], 0.75),
    (&["ta", "gueule"], 0.6),
    (&["ftg"], 0.6),
    (&["va", "crever"], 0.85),
    (&["vas", "crever"], 0.85),
    (&["va", "mourir"], 0.8),
    (&["suicide", "toi"], 0.9),
    (&["tue", "toi"], 0.9),
    (&["je", "vais", "te", "tuer"], 0.9),
    (&["nique", "ta", "mere"], 0.8),
    (&["ntm"], 0.7),
    (&["fdp"], 0.7),
    (&["va", "te", "faire", "foutre"], 0.7),
    (&["personne", "ne", "t", "aime"], 0.6),
];

/// The toxicity of `text` read as `lang` (`None`: unknown). Links and mentions are ignored.
pub fn toxicity(text: &str, lang: Option<Lang>) -> Toxicity {
    let clean = crate::entities::strip(text, &crate::entities::scan(text));
    let tokens = crate::tokens_of(&clean);
    score_clean(&clean, &tokens, lang)
}

/// The toxicity of a text already rid of links and mentions, and its tokens: read through
/// Unicode confusables first when it holds any (see [`crate::text::cure_confusables`]).
pub(crate) fn score_clean(clean: &str, tokens: &Tokens, lang: Option<Lang>) -> Toxicity {
    match crate::text::cure_confusables(clean) {
        Some(cured) => score(&crate::tokens_of(&cured), lang),
        None => score(tokens, lang),
    }
}

/// A word of the post: its folded form without elision mark, its chunk and its sentence.
struct Word<'a> {
    text: &'a str,
    chunk: u32,
    sentence: u32,
}

/// A finding: where, and how heavy.
#[derive(Debug, Clone, Copy)]
struct Hit {
    word: usize,
    chunk: u32,
    weight: f32,
    profane: bool,
    /// A swear word (sets [`Toxicity::profane`]), not one of [`NOT_SWEARING`].
    swear: bool,
}

/// Entries of the profanity lists that weigh in the score but are no swear words: body parts,
/// sex, religion, mild words (`God`, `hell`, `sex`, `penis`, `crap`). They do not set
/// [`Toxicity::profane`], so that a rule on it does not hide `Oh my God` or a health question.
const NOT_SWEARING: &[&str] = &[
    "god",
    "hell",
    "damn",
    "bloody",
    "crap",
    "poop",
    "turd",
    "sex",
    "lust",
    "lusting",
    "porn",
    "porno",
    "pornos",
    "pornography",
    "xxx",
    "xrated",
    "horny",
    "horniest",
    "breasts",
    "boob",
    "boobs",
    "penis",
    "vagina",
    "vulva",
    "labia",
    "clitoris",
    "rectum",
    "scrotum",
    "testicle",
    "testical",
    "semen",
    "orgasm",
    "orgasms",
    "anal",
    "anus",
    "butt",
    "bum",
    "balls",
    "nazi",
    "pawn",
    "viagra",
    "cyalis",
    "masochist",
    "sadist",
    "homo",
    "screwing",
    "snatch",
    "willy",
    "willies",
    "knob",
    "nob",
    "cox",
    "flange",
    "muff",
    "wang",
    "fanny",
    "kondum",
    "kondums",
    "heshe",
    "teets",
    "spunk",
    "smut",
    "zizi",
    "sexe",
    "seins",
    "fesses",
];
/// English entries that are ordinary French words (`retard`, "delay"): not swearing in a
/// French post.
const FRENCH_HOMOGRAPHS: &[&str] = &["retard"];

/// The toxicity of a tokenised post.
pub(crate) fn score(tokens: &Tokens, lang: Option<Lang>) -> Toxicity {
    let lex = &*LEXICONS;
    let french = matches!(lang, Some(Lang::Fr));
    // A post detected as another language that still holds French function words (`quel`,
    // `sur`: a short French post the obfuscation threw off) is also read in French, except
    // for the stop words of its language (Spanish `con`).
    let french_trace = match lang {
        Some(Lang::Fr) | None => false,
        Some(_) => crate::lang::has_function_word_of(tokens, Lang::Fr),
    };
    let langs: &[&Language] = match lang {
        Some(Lang::Fr) | None => &[&lex.fr, &lex.en],
        Some(_) if french_trace => &[&lex.en, &lex.fr],
        Some(_) => &[&lex.en],
    };
    let foreign_stopword =
        |key: &str| french_trace && lang.is_some_and(|l| crate::lang::is_stopword_of(key, l));
    let mut sentence = 0;
    let mut words = Vec::with_capacity(tokens.tokens.len());
    for t in &tokens.tokens {
        match t.kind {
            Kind::Break => sentence += 1,
            Kind::Word => words.push(Word { text: bare(&t.norm), chunk: t.chunk, sentence }),
            Kind::Emoji | Kind::Emoticon => {}
        }
    }
    if words.is_empty() {
        return Toxicity::from_score(0.0);
    }

    let mut hits: Vec<Hit> = Vec::new();
    let profane = |key: &str, obfuscated: bool| -> Option<f32> {
        langs
            .iter()
            .enumerate()
            .filter_map(|(n, l)| {
                if n > 0 && foreign_stopword(key) {
                    return None;
                }
                let w = profane_in(l, key, obfuscated)?;
                if french && n > 0 {
                    // In a French post, an English entry that is a French word does not count,
                    // and the others only count fully when aimed at someone.
                    return (!langs[0].valence.contains_key(key)).then_some(w.min(FOREIGN_WEIGHT));
                }
                Some(w)
            })
            .reduce(f32::max)
    };

    // A chunk spelt with leetspeak or mask symbols only (`a$5@s$in`, `Dick*ns`) is one word:
    // it is read whole below, never as the pieces the symbols cut (`ass`, `dick`).
    let whole: Vec<u32> = tokens
        .joined
        .iter()
        .filter(|j| j.text.chars().all(|c| c.is_alphanumeric() || !matches!(c, '.' | '-' | '_')))
        .map(|j| j.chunk)
        .collect();
    for (i, w) in words.iter().enumerate() {
        if w.text.chars().filter(|c| c.is_alphabetic()).count() < 2 || whole.contains(&w.chunk) {
            continue;
        }
        let obfuscated = w.text.chars().any(|c| c.is_ascii_digit()) || has_long_run(w.text);
        let key = if obfuscated { deobfuscate(w.text) } else { w.text.to_owned() };
        let found = profane(&key, obfuscated).map(|weight| (weight, swearing(&key, french)));
        let found = found.or_else(|| Some((respelt(w.text, langs, &profane)?, true)));
        if let Some((weight, swear)) = found {
            hits.push(Hit { word: i, chunk: w.chunk, weight, profane: true, swear });
        }
    }
    for joined in &tokens.joined {
        let Some(first) = words.iter().position(|w| w.chunk == joined.chunk) else { continue };
        let key = deobfuscate(&joined.text);
        let found = if key.contains('*') {
            // `f*u*c*k`: stars between single letters are separators, not masks.
            wildcard(langs, &key).or_else(|| {
                key.split('*')
                    .all(|p| p.chars().count() == 1)
                    .then(|| profane(&key.replace('*', ""), true))?
            })
        } else {
            profane(&key, true)
        };
        if let Some(weight) = found {
            let swear = swearing(&key.replace('*', ""), french);
            hits.push(Hit { word: first, chunk: joined.chunk, weight, profane: true, swear });
        }
    }
    spaced_letters(&words, &profane, french, &mut hits);
    phrases(&words, langs, &mut hits);

    let is_profane = hits.iter().any(|h| h.swear);
    // A profane entry that is no swear word (`hell`, `penis`) never flags a post alone.
    for hit in hits.iter_mut().filter(|h| h.profane && !h.swear) {
        hit.weight = hit.weight.min(FOREIGN_WEIGHT);
    }
    // One finding per chunk: the heaviest.
    hits.sort_by(|a, b| a.chunk.cmp(&b.chunk).then(b.weight.total_cmp(&a.weight)));
    hits.dedup_by_key(|h| h.chunk);

    for hit in &mut hits {
        if hit.profane && targeted(&words, hit.word, false) {
            hit.weight = (hit.weight + TARGETING_BOOST).min(MAX_WEIGHT);
        }
    }
    targeted_negatives(&words, langs, lang, &mut hits);

    let clean = hits.iter().fold(1.0f32, |acc, h| acc * (1.0 - h.weight));
    Toxicity { profane: is_profane, ..Toxicity::from_score(1.0 - clean) }
}

/// Whether a profane entry, as found (`key`, de-obfuscated), is a swear word.
fn swearing(key: &str, french: bool) -> bool {
    !(NOT_SWEARING.contains(&key) || (french && FRENCH_HOMOGRAPHS.contains(&key)))
}

/// Words that glue onto an insult without hiding it (`stupidbitch`, `motherfucker`,
/// `sombreconnard`), besides the strongly negative words of the valence lexicons.
const GLUED_PREFIXES: &[&str] = &[
    "stupid", "dumb", "fat", "ugly", "mother", "mutha", "motha", "big", "fucking", "you", "your", "sale",
    "gros", "grosse", "petit", "petite", "espece", "pauvre", "sous", "vieux", "vieille",
];
/// What may follow an insult glued to it: `shitface`, `dumbassyou`.
const GLUED_SUFFIXES: &[&str] = &["face", "head", "hole", "bag", "wad", "you", "toi"];

/// A word that is no plain entry: read as a respelling of one. Letters standing for others
/// (`fvck`, `phuck`), one letter dropped from a long insult (`motherfuker`), or an insult glued
/// to another word (`stupidbitch`, `bitchface`). Only whole words of the lexicons count, and a
/// glued part must itself be an insult or an insulting word, so `cocktail`, `Scunthorpe`,
/// `therapist` or `Bitche` stay clean.
fn respelt(word: &str, langs: &[&Language], profane: &dyn Fn(&str, bool) -> Option<f32>) -> Option<f32> {
    if !word.chars().all(|c| c.is_ascii_lowercase()) || word.len() < 4 {
        return None;
    }
    if langs.iter().any(|l| l.valence.contains_key(word)) {
        return None;
    }
    // `v` for `u` (`fvck`, `covillon`), a leading `ph` for `f` (`phuck`).
    if word.contains('v') || word.starts_with("ph") {
        let swapped = word.replace('v', "u").replace("ph", "f");
        if let Some(w) = profane(&swapped, true) {
            return Some(w);
        }
    }
    if word.len() >= 7 {
        if let Some(w) =
            langs.iter().filter_map(|l| l.profanity_deletions.get(word).copied()).reduce(f32::max)
        {
            return Some(w);
        }
    }
    if word.len() < 6 {
        return None;
    }
    // Whole entries only (no plural, no squeezing): two hash look-ups a language per split.
    let entry = |part: &str| langs.iter().filter_map(|l| l.profanity.get(part).copied()).reduce(f32::max);
    let insulting = |part: &str| {
        GLUED_PREFIXES.contains(&part)
            || entry(part).is_some()
            || langs.iter().any(|l| l.valence.get(part).is_some_and(|&v| v <= -1.5))
    };
    (3..=word.len() - 3).find_map(|k| {
        let (a, b) = word.split_at(k);
        if let Some(w) = entry(b) {
            if insulting(a) {
                return Some(w);
            }
        }
        if a.len() >= 4 {
            if let Some(w) = entry(a) {
                if GLUED_SUFFIXES.contains(&b) || entry(b).is_some() {
                    return Some(w);
                }
            }
        }
        None
    })
}

/// The weight of `key` in a language's profanity, whole; for an obfuscated word also
/// squeezed (`conard` for `connnnard`).
fn profane_in(lang: &Language, key: &str, obfuscated: bool) -> Option<f32> {
    if let Some(&w) = lang.profanity.get(key) {
        return Some(w);
    }
    // Plurals: `connards`, `bitches` (the lists hold most other inflections).
    if key.chars().count() > 4 {
        if let Some(stem) =
            key.strip_suffix("es").or_else(|| key.strip_suffix('s')).or_else(|| key.strip_suffix('x'))
        {
            if let Some(&w) = lang.profanity.get(stem).or_else(|| lang.profanity.get(&key[..key.len() - 1])) {
                return Some(w);
            }
        }
    }
    if obfuscated {
        return lang.profanity_squeezed.get(squeeze(key, 1).as_str()).copied();
    }
    None
}

/// `f*ck`, `s**t`: `*` stands for any one letter; at least half the letters must be there.
fn wildcard(langs: &[&Language], key: &str) -> Option<f32> {
    let pattern: Vec<char> = key.chars().collect();
    let stars = pattern.iter().filter(|&&c| c == '*').count();
    if pattern.len() < 3 || stars * 2 > pattern.len() || pattern[0] == '*' {
        return None;
    }
    langs
        .iter()
        .flat_map(|l| l.profanity.iter())
        .filter(|(word, _)| {
            word.chars().count() == pattern.len()
                && word.chars().zip(&pattern).all(|(c, &p)| p == '*' || c == p)
        })
        .map(|(_, &w)| w)
        .reduce(f32::max)
}

/// `c o n n a r d`: three or more one-letter words in a row, read joined.
fn spaced_letters(
    words: &[Word<'_>],
    profane: &dyn Fn(&str, bool) -> Option<f32>,
    french: bool,
    hits: &mut Vec<Hit>,
) {
    let mut start = 0;
    while start < words.len() {
        let mut end = start;
        // Each letter its own chunk: the pieces of `a$5@s$in` are no spaced letters.
        while end < words.len()
            && words[end].text.chars().count() == 1
            && words[end].sentence == words[start].sentence
            && (end == start || words[end].chunk != words[end - 1].chunk)
        {
            end += 1;
        }
        if end - start >= 3 {
            let joined: String = words[start..end].iter().map(|w| w.text).collect();
            let key = deobfuscate(&joined);
            if let Some(weight) = profane(&key, true) {
                let swear = swearing(&key, french);
                hits.push(Hit { word: start, chunk: words[start].chunk, weight, profane: true, swear });
            }
        }
        start = end.max(start + 1);
    }
}

/// Profane expressions of the lexicons and harassment phrases.
fn phrases(words: &[Word<'_>], langs: &[&Language], hits: &mut Vec<Hit>) {
    for i in 0..words.len() {
        let rest = &words[i..];
        for (phrase, weight) in HARASSMENT {
            if phrase.len() <= rest.len() && phrase.iter().zip(rest).all(|(p, w)| *p == w.text) {
                hits.push(Hit {
                    word: i,
                    chunk: words[i].chunk,
                    weight: *weight,
                    profane: false,
                    swear: false,
                });
            }
        }
        for lang in langs {
            for (phrase, weight) in &lang.profane_phrases {
                if phrase.len() <= rest.len() && phrase.iter().zip(rest).all(|(p, w)| **p == *w.text) {
                    hits.push(Hit {
                        word: i,
                        chunk: words[i].chunk,
                        weight: *weight,
                        profane: true,
                        swear: true,
                    });
                }
            }
        }
    }
}

/// Whether the word at `i` is aimed at someone: a subject before it with only glue between
/// (with `need_determiner`, some of that glue must be a determiner), or an object right after.
fn targeted(words: &[Word<'_>], i: usize, need_determiner: bool) -> bool {
    let sentence = words[i].sentence;
    let chunk = words[i].chunk;
    let first = words[..i].iter().rposition(|w| w.chunk != chunk).map_or(0, |p| p + 1);
    let mut determiner = false;
    for w in words[..first].iter().rev().take(TARGET_WINDOW) {
        if w.sentence != sentence {
            break;
        }
        // `espece` and `sale` are their own determiners: `espèce de con`, `sale con`.
        if SUBJECTS.contains(&w.text)
            && (determiner || !need_determiner || matches!(w.text, "espece" | "sale"))
        {
            return true;
        }
        if !GLUE.contains(&w.text) {
            break;
        }
        determiner |= DETERMINERS.contains(&w.text);
    }
    !need_determiner
        && words[i..]
            .iter()
            .find(|w| w.chunk != chunk)
            .is_some_and(|w| w.sentence == sentence && OBJECTS.contains(&w.text))
}

/// Strongly negative words aimed at someone: `you're such a loser`, `t'es qu'un nul`.
fn targeted_negatives(words: &[Word<'_>], langs: &[&Language], lang: Option<Lang>, hits: &mut Vec<Hit>) {
    for (i, w) in words.iter().enumerate() {
        if hits.iter().any(|h| h.chunk == w.chunk) {
            continue;
        }
        if INSULT_SET.contains(w.text) && targeted(words, i, false) {
            hits.push(Hit { word: i, chunk: w.chunk, weight: 0.6, profane: false, swear: false });
            continue;
        }
        // French valences are about half as wide as English ones.
        let valence = langs.iter().find_map(|l| {
            let scale = if std::ptr::eq(*l, &LEXICONS.fr) { 2.0 } else { 1.0 };
            l.valence.get(w.text).map(|v| v * scale)
        });
        let Some(v) = valence else { continue };
        if v > -0.8 || (v > -2.0 && !matches!(lang, Some(Lang::Fr) | None)) {
            continue;
        }
        if targeted(words, i, true) {
            let weight = (0.5 + 0.05 * (-v).min(4.0)).min(0.7);
            hits.push(Hit { word: i, chunk: w.chunk, weight, profane: false, swear: false });
        }
    }
}
