//! Sentiment: a valence lexicon read with the rules of VADER (Hutto & Gilbert, 2014),
//! adapted to French.
//!
//! Each word, emoji and emoticon the lexicon knows brings its valence (about -4 to 4). A
//! valence is then:
//!
//! - **strengthened or softened** by the intensifiers among the three words before it
//!   (`très`, `very`: ±0.293, a little less for the second and third word back);
//! - **stressed** by +0.733 (toward its sign) when written in capitals in a post that also has
//!   lower case;
//! - **negated** (× -0.74) by a negator among the three words before it (`not`, `never`,
//!   `pas`, `n'`, `sans`), or, in French, by `pas`/`jamais` just after it (`j'aime pas`). French
//!   `pas terrible` is an idiom for "mediocre" and counts as mildly negative;
//! - **weighed** ×0.5 before and ×1.5 after a contrast (`but`, `mais`).
//!
//! Emoji valences are not negated. The sum, plus 0.292 per `!` (at most four) toward its sign,
//! is normalised to `-1..1` as `s / sqrt(s² + 15)`.
//!
//! The French lexicon is VADER's French translation, where the hand-tagged French adjectives of
//! Pattern (polarity × 3) replace the translated values.
//!
//! Which lexicon: French for French, English for English; for a post whose language is not
//! known, whichever of the two recognises more words. Other languages get the emojis and
//! emoticons only.

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::lexicon::{Language, LEXICONS};
use crate::text::{bare, Kind, Tokens};

/// The score from which a post is positive (and below whose opposite it is negative): scores
/// in `(-NEUTRAL_BAND, NEUTRAL_BAND)` are neutral. VADER uses 0.05; 0.1 keeps a single weak
/// word (many translated French entries are weak and noisy, `arrivé` is 0.3) from labelling a
/// post, at the cost of about two more posts in a hundred being neutral.
pub const NEUTRAL_BAND: f32 = 0.1;

const BOOST_DECAY: [f32; 3] = [1.0, 0.95, 0.9];
const NEGATION_SCALAR: f32 = -0.74;
const CAPS_BOOST: f32 = 0.733;
const EXCLAMATION_BOOST: f32 = 0.292;
const NORMALISATION_ALPHA: f32 = 15.0;
/// French "pas terrible": mediocre.
const PAS_TERRIBLE: f32 = -1.5;

/// The polarity of a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// Negative: score ≤ -[`NEUTRAL_BAND`].
    Neg,
    /// Neutral: score strictly between -[`NEUTRAL_BAND`] and [`NEUTRAL_BAND`].
    Neu,
    /// Positive: score ≥ [`NEUTRAL_BAND`].
    Pos,
}

impl Label {
    /// The label of a score in `-1..=1`.
    pub fn of_score(score: f32) -> Label {
        if score >= NEUTRAL_BAND {
            Label::Pos
        } else if score <= -NEUTRAL_BAND {
            Label::Neg
        } else {
            Label::Neu
        }
    }
}

/// How positive or negative a post is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    /// The polarity, from `score` (see [`Label::of_score`]).
    pub label: Label,
    /// From -1 (very negative) to 1 (very positive), rounded to two decimals.
    pub score: f32,
}

impl Sentiment {
    /// The sentiment of a score, rounded to two decimals and labelled.
    pub fn from_score(score: f32) -> Sentiment {
        let score = crate::round2(score.clamp(-1.0, 1.0));
        Sentiment { label: Label::of_score(score), score }
    }
}

/// The sentiment of `text` read as `lang` (`None`: unknown). Links and mentions are ignored.
pub fn sentiment(text: &str, lang: Option<Lang>) -> Sentiment {
    let clean = crate::entities::strip(text, &crate::entities::scan(text));
    score(&crate::tokens_of(&clean), lang)
}

/// The sentiment of a tokenised post.
pub(crate) fn score(tokens: &Tokens, lang: Option<Lang>) -> Sentiment {
    let lex = &*LEXICONS;
    let french = match lang {
        Some(Lang::Fr) => true,
        None => hits(tokens, &lex.fr) > hits(tokens, &lex.en),
        Some(_) => false,
    };
    let lexicon = lexicon_score(tokens, lang, french);
    if french {
        // The lexicon score as the model was trained on it: rounded to two decimals.
        return Sentiment::from_score(crate::model::FR.score(tokens, crate::round2(lexicon)));
    }
    Sentiment::from_score(lexicon)
}

/// The lexicon's score of a tokenised post in `-1..1`, before any model: French (`french`),
/// English (`lang` English or unknown) or emojis and emoticons alone.
pub(crate) fn lexicon_score(tokens: &Tokens, lang: Option<Lang>, french: bool) -> f32 {
    let lex = &*LEXICONS;
    let mut s = match lang {
        _ if french => sum(tokens, Some(&lex.fr), true),
        Some(Lang::En) | None => sum(tokens, Some(&lex.en), false),
        Some(_) => sum(tokens, None, false),
    };
    if s != 0.0 {
        let bangs = tokens.exclamations.min(4) as f32;
        s += s.signum() * bangs * EXCLAMATION_BOOST;
    }
    s / (s * s + NORMALISATION_ALPHA).sqrt()
}

fn hits(tokens: &Tokens, lex: &Language) -> usize {
    tokens.tokens.iter().filter(|t| t.kind == Kind::Word && lex.valence.contains_key(t.norm.as_str())).count()
}

fn is_contrast(word: &str) -> bool {
    matches!(word, "but" | "however" | "mais" | "pourtant" | "cependant" | "toutefois")
}

/// The sum of the valences of a post's tokens, with the rules of the module documentation.
fn sum(tokens: &Tokens, lex: Option<&Language>, french: bool) -> f32 {
    let all = &tokens.tokens;
    let contrast = all.iter().rposition(|t| t.kind == Kind::Word && is_contrast(&t.norm));
    let mut total = 0.0;
    for (i, token) in all.iter().enumerate() {
        let mut v = match token.kind {
            Kind::Break => continue,
            Kind::Emoji => {
                LEXICONS.emojis.get(&token.norm.chars().next().unwrap_or(' ')).copied().unwrap_or(0.0)
            }
            Kind::Emoticon => LEXICONS.emoticons.get(token.norm.as_str()).copied().unwrap_or(0.0),
            Kind::Word => match lex {
                Some(lex) => word_valence(all, i, lex, french),
                None => 0.0,
            },
        };
        if v == 0.0 {
            continue;
        }
        if token.kind == Kind::Word && token.caps && tokens.has_lower {
            v += v.signum() * CAPS_BOOST;
        }
        if let Some(c) = contrast {
            v *= match i.cmp(&c) {
                std::cmp::Ordering::Less => 0.5,
                std::cmp::Ordering::Greater => 1.5,
                std::cmp::Ordering::Equal => 1.0,
            };
        }
        total += v;
    }
    total
}

/// The valence of the word at `i`, with intensifiers and negation applied.
fn word_valence(all: &[crate::text::Token], i: usize, lex: &Language, french: bool) -> f32 {
    let word = bare(&all[i].norm);
    if lex.negators.contains(word) || is_french_ne(word, french) {
        return 0.0;
    }
    let Some(mut v) = lex.valence_of(word) else { return 0.0 };
    // An intensifier that qualifies the next word is not scored itself ("super content").
    if lex.boosters.contains_key(word) && next_word(all, i).is_some_and(|n| lex.valence_of(bare(n)).is_some())
    {
        return 0.0;
    }
    let before = words_before(all, i);
    for (k, prev) in before.iter().enumerate() {
        if let Some(b) = lex.boosters.get(*prev) {
            v += v.signum() * b * BOOST_DECAY[k];
        }
    }
    let negated_before =
        before.iter().any(|w| lex.negators.contains(*w) || is_french_ne(w, french) || w.ends_with("n't"));
    let negated_after =
        french && !negated_before && words_after(all, i, 2).iter().any(|w| matches!(*w, "pas" | "jamais"));
    if negated_before || negated_after {
        if french && word == "terrible" {
            return PAS_TERRIBLE;
        }
        v *= NEGATION_SCALAR;
    }
    v
}

fn is_french_ne(word: &str, french: bool) -> bool {
    french && matches!(word, "ne" | "n")
}

/// Up to three words before `i` in the same sentence, nearest first, without elision marks.
fn words_before(all: &[crate::text::Token], i: usize) -> Vec<&str> {
    let mut out = Vec::with_capacity(3);
    for t in all[..i].iter().rev() {
        match t.kind {
            Kind::Break => break,
            Kind::Word => out.push(bare(&t.norm)),
            _ => {}
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}

/// Up to `n` words after `i` in the same sentence.
fn words_after(all: &[crate::text::Token], i: usize, n: usize) -> Vec<&str> {
    let mut out = Vec::with_capacity(n);
    for t in &all[i + 1..] {
        match t.kind {
            Kind::Break => break,
            Kind::Word => out.push(bare(&t.norm)),
            _ => {}
        }
        if out.len() == n {
            break;
        }
    }
    out
}

fn next_word(all: &[crate::text::Token], i: usize) -> Option<&str> {
    words_after(all, i, 1).into_iter().next()
}
