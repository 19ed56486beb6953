//! The French sentiment model: a logistic regression over folded words and word pairs, on top
//! of the valence lexicon's score, trained offline by `train/sentiment_fr.py` and embedded as
//! `lexicons/fr-sentiment-model.tsv` (one `feature<TAB>weight` a line, the first line the
//! lexicon score's weight).
//!
//! The lexicon reads negation, intensifiers and emojis; the model learns what the translated
//! lexicon gets wrong or does not know in French (`franchement`, `decu`, `pas terrible`,
//! `tres bon`, `je recommande`). A post none of whose words the model knows keeps the
//! lexicon's verdict.

use std::sync::LazyLock;

use hashbrown::HashMap;

use crate::text::{bare, Kind, Tokens};

const FR_MODEL: &str = include_str!("../lexicons/fr-sentiment-model.tsv");

/// A linear model: the weight of the lexicon score and of each feature.
#[derive(Debug, Default)]
pub(crate) struct Model {
    lexicon: f32,
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
            } else {
                model.weights.insert(feature.into(), weight);
            }
        }
        model
    }

    /// The score in `-1..1` (the probability of positive minus that of negative) of a post
    /// whose lexicon score is `lexicon`. Each distinct feature counts once, as in training; a
    /// lexicon score inside the neutral band counts as neutral (a lone weak word, `arrivé`).
    pub(crate) fn score(&self, tokens: &Tokens, lexicon: f32) -> f32 {
        let mut found: Vec<*const str> = Vec::new();
        let lexicon = if lexicon.abs() < crate::NEUTRAL_BAND { 0.0 } else { lexicon };
        let mut z = self.lexicon * lexicon;
        let mut pair = String::new();
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
            if let Some(p) = previous {
                pair.clear();
                pair.push_str(p);
                pair.push(' ');
                pair.push_str(word);
                add(&pair, &mut z);
            }
            previous = Some(word);
        }
        (z / 2.0).tanh()
    }
}
