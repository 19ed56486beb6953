//! Product feedback: a transparent classifier of what a community member tells the brand
//! into complaint, bug, feature request, question or praise (French and English).
//!
//! Rules, first match wins, each reported with the cue that fired so that a community manager
//! sees why:
//!
//! 1. **bug**: a word of breakage (`bug`, `crash`, `plante`, `erreur`, `error`, `broken`…);
//! 2. **feature**: a wish (`j'aimerais`, `ce serait bien`, `please add`, `feature`, `would be
//!    nice`…);
//! 3. **complaint**: a word of grievance (`remboursement`, `refund`, `déçu`, `scandale`…) or a
//!    negative sentiment;
//! 4. **question**: a question mark, or a question word opening the text (`comment`, `how`…);
//! 5. **praise**: thanks or love (`merci`, `bravo`, `love`, `génial`…) or a positive sentiment.
//!
//! Nothing matched (a neutral statement): no suggestion. Words are compared folded (lower
//! case, no accents), whole words or whole phrases only.

use serde::{Deserialize, Serialize};

use crate::sentiment::Label;
use crate::text::fold;

/// A kind of product feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Something went wrong for them and they are unhappy.
    Complaint,
    /// Something does not work as it should.
    Bug,
    /// Something they wish the product did.
    Feature,
    /// They ask something.
    Question,
    /// They are happy.
    Praise,
}

impl Category {
    /// Every category, in the order reports show them.
    pub const ALL: [Category; 5] =
        [Category::Complaint, Category::Bug, Category::Feature, Category::Question, Category::Praise];

    /// Its stable name: `complaint`, `bug`, `feature`, `question`, `praise`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Complaint => "complaint",
            Category::Bug => "bug",
            Category::Feature => "feature",
            Category::Question => "question",
            Category::Praise => "praise",
        }
    }

    /// The category of a stable name.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A suggested category and the cue that decided it (a word, `?`, or `sentiment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The category.
    pub category: Category,
    /// Why.
    pub cue: String,
}

const BUG: &[&str] = &[
    "bug",
    "bugs",
    "bugge",
    "buggy",
    "beug",
    "crash",
    "crashe",
    "crashes",
    "crashed",
    "plante",
    "plantage",
    "erreur",
    "error",
    "errors",
    "broken",
    "ne marche pas",
    "marche pas",
    "ne fonctionne pas",
    "fonctionne pas",
    "doesn't work",
    "doesnt work",
    "does not work",
    "not working",
    "glitch",
    "freeze",
    "freezes",
    "bloque",
    "ecran noir",
    "ecran blanc",
    "page blanche",
    "500",
];
const FEATURE: &[&str] = &[
    "j'aimerais",
    "jaimerais",
    "j'adorerais",
    "ce serait bien",
    "ce serait top",
    "serait-il possible",
    "pourriez-vous ajouter",
    "ajoutez",
    "il manque",
    "manque une",
    "manque un",
    "please add",
    "feature",
    "fonctionnalite",
    "would be nice",
    "would love",
    "wish",
    "could you add",
    "suggestion",
    "option pour",
    "add an option",
    "it would be great",
];
const COMPLAINT: &[&str] = &[
    "remboursement",
    "rembourser",
    "refund",
    "decu",
    "decue",
    "decevant",
    "scandale",
    "inadmissible",
    "inacceptable",
    "unacceptable",
    "disappointed",
    "worst",
    "jamais recu",
    "never received",
    "toujours pas",
    "still not",
    "retard",
    "late",
    "arnaque",
    "scam",
    "plainte",
    "complaint",
];
const QUESTION_OPENERS: &[&str] = &[
    "comment", "pourquoi", "quand", "ou", "est-ce", "combien", "quel", "quelle", "quels", "quelles", "how",
    "why", "when", "where", "what", "which", "can", "could", "is", "are", "do", "does",
];
const PRAISE: &[&str] = &[
    "merci",
    "bravo",
    "love",
    "loved",
    "thanks",
    "thank you",
    "genial",
    "geniale",
    "super",
    "top",
    "j'adore",
    "adore",
    "awesome",
    "great",
    "amazing",
    "excellent",
    "parfait",
    "perfect",
    "felicitations",
    "congrats",
];

/// The folded words of `text`, each between single spaces (`" ce serait bien "`), so that a
/// phrase is found whole.
fn words(text: &str) -> String {
    let folded = fold(text).replace('’', "'");
    let mut out = String::from(" ");
    for w in folded.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-')) {
        let w = w.trim_matches(|c| c == '\'' || c == '-');
        if !w.is_empty() {
            out.push_str(w);
            out.push(' ');
        }
    }
    out
}

fn cue(words: &str, list: &[&str]) -> Option<String> {
    list.iter().find(|p| words.contains(&format!(" {p} "))).map(|p| (*p).to_owned())
}

/// Suggests a category for `text` whose sentiment is `sentiment`; `None` when nothing applies.
pub fn classify(text: &str, sentiment: Label) -> Option<Suggestion> {
    let w = words(text);
    let found = |category: Category, cue: String| Some(Suggestion { category, cue });
    if let Some(c) = cue(&w, BUG) {
        return found(Category::Bug, c);
    }
    if let Some(c) = cue(&w, FEATURE) {
        return found(Category::Feature, c);
    }
    if let Some(c) = cue(&w, COMPLAINT) {
        return found(Category::Complaint, c);
    }
    if sentiment == Label::Neg {
        return found(Category::Complaint, "sentiment".into());
    }
    if text.contains('?') {
        return found(Category::Question, "?".into());
    }
    if let Some(first) = w.split_whitespace().next() {
        if QUESTION_OPENERS.contains(&first) && w.split_whitespace().count() > 2 && cue(&w, PRAISE).is_none()
        {
            return found(Category::Question, first.to_owned());
        }
    }
    if let Some(c) = cue(&w, PRAISE) {
        return found(Category::Praise, c);
    }
    if sentiment == Label::Pos {
        return found(Category::Praise, "sentiment".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(text: &str, s: Label) -> Option<&'static str> {
        classify(text, s).map(|x| x.category.as_str())
    }

    #[test]
    fn french_and_english_cues() {
        assert_eq!(cat("L'appli plante à chaque ouverture", Label::Neu), Some("bug"));
        assert_eq!(cat("The app keeps crashing, crash on login", Label::Neg), Some("bug"));
        assert_eq!(cat("Erreur 500 sur le paiement", Label::Neu), Some("bug"));
        assert_eq!(cat("J'aimerais pouvoir exporter en PDF", Label::Neu), Some("feature"));
        assert_eq!(cat("Ce serait bien d'avoir un mode sombre", Label::Pos), Some("feature"));
        assert_eq!(cat("Please add dark mode!", Label::Neu), Some("feature"));
        assert_eq!(cat("Vous livrez en Belgique ?", Label::Neu), Some("question"));
        assert_eq!(cat("How do I change my address", Label::Neu), Some("question"));
        assert_eq!(cat("Merci pour la réponse rapide", Label::Neu), Some("praise"));
        assert_eq!(cat("Bravo à toute l'équipe", Label::Neu), Some("praise"));
        assert_eq!(cat("I love this brand", Label::Pos), Some("praise"));
        assert_eq!(cat("Toujours pas reçu ma commande", Label::Neu), Some("complaint"));
        assert_eq!(cat("Je veux un remboursement", Label::Neu), Some("complaint"));
        assert_eq!(cat("Service client lamentable", Label::Neg), Some("complaint"));
        assert_eq!(cat("Ma commande est arrivée", Label::Neu), None);
    }

    #[test]
    fn negative_questions_are_complaints_and_cues_are_whole_words() {
        assert_eq!(cat("Pourquoi c'est si nul ??", Label::Neg), Some("complaint"));
        // "debugger" holds "bug" but is not the word; "topaze" holds "top".
        assert_eq!(cat("Le debugger topaze", Label::Neu), None);
        let s = classify("Ça plante encore", Label::Neg).unwrap();
        assert_eq!((s.category, s.cue.as_str()), (Category::Bug, "plante"));
        assert_eq!(classify("nul", Label::Neg).unwrap().cue, "sentiment");
    }

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("other"), None);
    }
}
