//! Enrichment of short social posts: language, sentiment, toxicity and entities.
//!
//! Everything here is a pure function of the text: no I/O, no async runtime, no database, no
//! model downloaded at run time. The lexicons are compiled into the library (see
//! `lexicons/README.md` for their packages and licences) and parsed once, on first use.
//!
//! ```
//! let e = tutti_nlp::analyse("Franchement, ce film n'est pas terrible 🙄 https://www.example.org/critique");
//! assert_eq!(e.lang, Some(tutti_nlp::Lang::Fr));
//! assert_eq!(e.sentiment.label, tutti_nlp::Label::Neg);
//! assert!(!e.toxicity.flagged);
//! assert_eq!(e.entities.domains, ["example.org"]);
//! ```
//!
//! # Design
//!
//! [`analyse`] finds the entities first (`entities` module): links and mentions are then
//! blanked out and hashtags lose their `#`, so that a URL or a handle never counts as words.
//! The rest reads that cleaned text:
//!
//! 1. **Language** (`lang` module): function words first, then [`whatlang`]. A word that is a
//!    stop word of exactly one of our seven languages (`the`, `les`, `het`, `não`…, from the
//!    `stopwords-iso` lists) is a vote for it; three votes and no rival decide at once, which is
//!    most sentences. Otherwise `whatlang`, a trigram and alphabet identifier, chooses among the
//!    voted languages, or, without votes, among ours and a dozen Latin-script neighbours (so
//!    that Polish or Catalan get `None` rather than a wrong language), and must clear a
//!    confidence bar that is higher for shorter texts. `whatlang` is pure Rust, MIT, maintained
//!    (0.18, 2025), small (its profiles are compiled in) and supports all seven languages; but
//!    its trigram scoring costs about 2.5 µs per candidate language, so it is asked about as few
//!    languages as possible. `lingua` was not chosen: by its author's own account its accuracy
//!    on very short texts comes at the cost of being noticeably slower and of language models
//!    that take significant memory, and `whatlang` alone already took most of our budget of
//!    20 µs per post (50,000 posts a second on one core).
//! 2. **Tokens** (`text` module): folded words (lower case, accents removed), French elision
//!    split off (`n'est` → `n'` + `est`), emojis without skin tone, ASCII emoticons, sentence
//!    breaks; chunks with symbols between letters (`f*ck`) are also kept whole.
//! 3. **Sentiment** ([`sentiment()`]): VADER's lexicon and rules, with its French translation
//!    for French (with hand-tagged French adjectives), negation, intensifiers, capitals,
//!    contrast and emojis. French posts then go through a logistic regression over their
//!    words and word pairs that takes the lexicon's score as one more feature (`model`
//!    module; trained offline by `train/sentiment_fr.py`, embedded as a TSV of weights). The
//!    score is in `-1..=1` and the label neutral within ±[`NEUTRAL_BAND`] (0.1).
//! 4. **Toxicity** ([`toxicity()`]): profanity lists read through obfuscation (Unicode
//!    confusables with the `decancer` crate, leetspeak, separators, repeated letters, glued
//!    words), word by word (no substring matches, hence no Scunthorpe problem), weighted by
//!    valence, heavier when aimed at someone; insults and harassment phrases. Flagged from
//!    [`FLAG_THRESHOLD`] (0.5): an insult aimed at someone, several insults, or a threat;
//!    `profane` when it holds a swear word, aimed or not.
//!
//! [`eval`] scores labelled sets (accuracy, per-class precision and recall, texts per second);
//! `docs/enrichment.md` gives the figures.
//!
//! Scores are rounded to two decimals so that the JSON line stays short and stable:
//! `serde_json::to_string(&enrichment)` is exactly
//! `{"lang":"fr","sentiment":{"label":"neg","score":-0.62},"toxicity":{"score":0.1,"flagged":false}}`,
//! and [`to_json_line`] adds the entities on demand.

mod entities;
pub mod eval;
pub mod feedback;
mod lang;
mod lexicon;
mod model;
mod sentiment;
mod terms;
mod text;
mod toxicity;
mod training;

pub use training::training_input;

use serde::{Deserialize, Serialize};

pub use entities::{entities, Entities};
pub use lang::{detect_lang, Lang, UnknownLang};
pub use sentiment::{sentiment, Label, Sentiment, NEUTRAL_BAND};
pub use terms::{term_forms, terms};
pub use toxicity::{toxicity, Toxicity, FLAG_THRESHOLD};

/// Everything the enrichment says about one post.
///
/// Its serialisation is the JSON line without entities; see [`to_json_line`] to include them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrichment {
    /// The post's language, `None` when it cannot be told reliably.
    pub lang: Option<Lang>,
    /// How positive or negative the post is.
    pub sentiment: Sentiment,
    /// How insulting or harassing the post is.
    pub toxicity: Toxicity,
    /// Hashtags, mentions, links and domains. Not serialised with the enrichment itself.
    #[serde(skip_serializing, default)]
    pub entities: Entities,
}

/// Analyses one post: language, sentiment, toxicity and entities.
pub fn analyse(text: &str) -> Enrichment {
    let spans = entities::scan(text);
    let clean = entities::strip(text, &spans);
    let tokens = tokens_of(&clean);
    let lang = lang::detect_clean(&clean, &tokens);
    Enrichment {
        lang,
        sentiment: sentiment::score(&tokens, lang),
        toxicity: toxicity::score_clean(&clean, &tokens, lang),
        entities: entities::collect(text, &spans),
    }
}

/// The enrichment as one line of JSON, without a line break:
/// `{"lang":"fr","sentiment":{"label":"neg","score":-0.62},"toxicity":{"score":0.1,"flagged":false}}`,
/// with `"entities":{"hashtags":[…],"mentions":[…],"links":[…],"domains":[…]}` after
/// `toxicity` when `with_entities` is set. An unknown language is `"lang":null`.
pub fn to_json_line(enrichment: &Enrichment, with_entities: bool) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        lang: Option<Lang>,
        sentiment: &'a Sentiment,
        toxicity: &'a Toxicity,
        #[serde(skip_serializing_if = "Option::is_none")]
        entities: Option<&'a Entities>,
    }
    let line = Line {
        lang: enrichment.lang,
        sentiment: &enrichment.sentiment,
        toxicity: &enrichment.toxicity,
        entities: with_entities.then_some(&enrichment.entities),
    };
    // Serialising plain structs of strings and numbers into a String cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}

/// Tokens of a text already rid of links and mentions.
pub(crate) fn tokens_of(clean: &str) -> text::Tokens {
    let lex = &*lexicon::LEXICONS;
    text::tokenize(clean, |chunk| lex.is_emoticon(chunk))
}

/// `x` rounded to two decimals.
pub(crate) fn round2(x: f32) -> f32 {
    let r = (x * 100.0).round() / 100.0;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}
