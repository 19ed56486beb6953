//! What Tutti reads in a text (language, sentiment, toxicity), with its sentiment in the
//! product's words: the one place where `tutti_nlp`'s label becomes a stored `Sentiment`, for
//! the inbox's ingestion, the listener's mentions and the command line alike.

use tutti_domain::Sentiment;

/// A text as Tutti reads it: `tutti_nlp`'s analysis, and its sentiment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrichment {
    /// The analysis (language, sentiment score and label, toxicity, entities).
    pub analysis: tutti_nlp::Enrichment,
    /// Its sentiment, as the inbox and the mentions store it.
    pub sentiment: Sentiment,
}

impl Enrichment {
    /// Analyses `text`.
    pub fn of(text: &str) -> Enrichment {
        let analysis = tutti_nlp::analyse(text);
        let sentiment = sentiment(analysis.sentiment.label);
        Enrichment { analysis, sentiment }
    }

    /// The language found, as a code (`fr`, `en`), if it could be told.
    pub fn lang(&self) -> Option<&'static str> {
        self.analysis.lang.map(|l| l.code())
    }

    /// The sentiment score, -1 to 1.
    pub fn sentiment_score(&self) -> f64 {
        f64::from(self.analysis.sentiment.score)
    }

    /// The toxicity score, 0 to 1.
    pub fn toxicity(&self) -> f64 {
        f64::from(self.analysis.toxicity.score)
    }
}

/// The stored word of an analysis' polarity.
pub fn sentiment(label: tutti_nlp::Label) -> Sentiment {
    match label {
        tutti_nlp::Label::Pos => Sentiment::Pos,
        tutti_nlp::Label::Neu => Sentiment::Neu,
        tutti_nlp::Label::Neg => Sentiment::Neg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_label_is_the_word_its_serialisation_always_stored() {
        for label in [tutti_nlp::Label::Pos, tutti_nlp::Label::Neu, tutti_nlp::Label::Neg] {
            let stored = serde_json::to_value(label).unwrap();
            assert_eq!(stored.as_str(), Some(sentiment(label).as_str()));
        }
    }

    #[test]
    fn a_text_is_read_once_with_its_sentiment_as_stored() {
        let e = Enrichment::of("Ma commande n'est jamais arrivée, c'est nul");
        assert_eq!(e.sentiment, Sentiment::Neg);
        assert_eq!(e.sentiment, sentiment(e.analysis.sentiment.label));
        assert!(e.sentiment_score() < 0.0);
    }
}
