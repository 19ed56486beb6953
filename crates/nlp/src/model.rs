//! The French sentiment model: a logistic regression over folded words, word pairs and word
//! stems, on top of the valence lexicon's score, trained offline by `train/sentiment_fr.py` and
//! embedded as `lexicons/fr-sentiment-model.tsv` (one `feature<TAB>weight` a line; the line
//! `__lexicon__` is the lexicon score's weight, `__band__` the model's neutral band and
//! `__quiet_band__` its band when the lexicon is silent).
//!
//! The lexicon reads negation, intensifiers and emojis; the model learns what the translated
//! lexicon gets wrong or does not know in French (`franchement`, `decu`, `pas terrible`,
//! `tres bon`, `je recommande`). A post none of whose words the model knows keeps the
//! lexicon's verdict.

use std::sync::LazyLock;

use hashbrown::HashMap;

use crate::text::{bare, Kind, Tokens};

const FR_MODEL: &str = include_str!("../lexicons/fr-sentiment-model.tsv");

/// A word longer than this many letters is also read as its first `STEM` letters (its stem,
/// `>decev` for `decevant`, `decevante`, `deception`), as in training.
const STEM: usize = 5;

/// A linear model: the weight of the lexicon score and of each feature, and the neutral band on
/// the log-odds.
#[derive(Debug, Default)]
pub(crate) struct Model {
    lexicon: f32,
    band: f32,
    quiet_band: f32,
    weights: HashMap<Box<str>, f32>,
}

/// The French model, parsed on first use.
pub(crate) static FR: LazyLock<Model> = LazyLock::new(|| Model::parse(FR_MODEL));

impl Model {
    fn parse(data: &str) -> Model {
        let mut model = Model::default();
        for line in data.lines() {
            let Some((feature, weight)) = line.split_once('\t') else { continue };
            let Ok(weight) = weight.trim().parse::<f32>() else { continue };
            if feature == "__lexicon__" {
                model.lexicon = weight;
            } else if feature == "__band__" {
                model.band = weight;
            } else if feature == "__quiet_band__" {
                model.quiet_band = weight;
            } else {
                model.weights.insert(feature.into(), weight);
            }
        }
        model
    }

    /// The score in `-1..1` of a post whose lexicon score is `lexicon`. Each distinct feature
    /// counts once, as in training; a lexicon score inside the neutral band counts as neutral (a
    /// lone weak word, `arrivé`), and a post with neither such a score nor any feature the model
    /// knows keeps the lexicon's score. See [`Model::squash`] for the scale.
    pub(crate) fn score(&self, tokens: &Tokens, lexicon: f32) -> f32 {
        let mut found: Vec<*const str> = Vec::new();
        let raw = lexicon;
        let lexicon = if lexicon.abs() < crate::NEUTRAL_BAND { 0.0 } else { lexicon };
        let mut z = self.lexicon * lexicon;
        let mut pair = String::new();
        let mut stem = String::new();
        let mut previous: Option<&str> = None;
        let mut add = |key: &str, z: &mut f32| {
            if let Some((k, w)) = self.weights.get_key_value(key) {
                let id: *const str = &**k;
                if !found.contains(&id) {
                    found.push(id);
                    *z += w;
                }
            }
        };
        for t in tokens.tokens.iter().filter(|t| t.kind == Kind::Word) {
            let word = bare(&t.norm);
            add(word, &mut z);
            if let Some((end, _)) = word.char_indices().nth(STEM) {
                stem.clear();
                stem.push('>');
                stem.push_str(&word[..end]);
                add(&stem, &mut z);
            }
            if let Some(p) = previous {
                pair.clear();
                pair.push_str(p);
                pair.push(' ');
                pair.push_str(word);
                add(&pair, &mut z);
            }
            previous = Some(word);
        }
        if z == 0.0 {
            // No evidence at all: the lexicon's own (neutral) score, with its sign.
            return raw;
        }
        self.squash(z, if lexicon == 0.0 { self.quiet_band } else { self.band })
    }

    /// The score in `-1..1` of log-odds `z`: neutral (inside ±[`crate::NEUTRAL_BAND`]) exactly
    /// when `|z|` is inside `band`, which training chose by cross-validation (the model's band,
    /// narrower than the library's band read on `tanh(z / 2)`, so that a review where the model
    /// has a signal is not neutral; a wider one when the lexicon is silent); beyond it, the band
    /// plus the rest of the way to 1 as `tanh` of the log-odds past the band. Monotone, so a
    /// stronger post keeps a stronger score.
    fn squash(&self, z: f32, band: f32) -> f32 {
        let neutral = crate::NEUTRAL_BAND;
        if band <= 0.0 {
            return (z / 2.0).tanh();
        }
        if z.abs() < band {
            return neutral * z / band;
        }
        z.signum() * (neutral + (1.0 - neutral) * ((z.abs() - band) / 2.0).tanh())
    }
}
