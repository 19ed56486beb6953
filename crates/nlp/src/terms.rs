//! Content words of a post, for "top terms": folded words without links, mentions, hashtags,
//! numbers, and the function words of every language Tutti knows.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::text::fold;

/// Function words of every language of the stop-word lists, folded (`les`, `the`, `und`).
static STOP: LazyLock<HashSet<String>> = LazyLock::new(|| {
    crate::lang::STOPWORDS.lines().filter_map(|l| l.split_once('\t')).map(|(_, w)| fold(w)).collect()
});

/// The content words of `text`, folded (lower case, no accents), in order, repeats kept.
/// French elision is split off (`l'application` gives `application`).
pub fn terms(text: &str) -> Vec<String> {
    term_forms(text).into_iter().map(|(folded, _)| folded).collect()
}

/// [`terms`], each with the word as written, in lower case (`cassée` for `cassee`), to show
/// people the form they would write.
pub fn term_forms(text: &str) -> Vec<(String, String)> {
    let spans = crate::entities::scan(text);
    let mut out = Vec::new();
    let mut last = 0;
    let mut pieces = Vec::new();
    for s in &spans {
        pieces.push(&text[last..s.start]);
        last = s.end;
    }
    pieces.push(&text[last..]);
    for piece in pieces {
        for word in piece.split(|c: char| !c.is_alphanumeric()) {
            if word.chars().count() < 3 || word.chars().all(|c| c.is_numeric()) {
                continue;
            }
            let folded = fold(word);
            if !STOP.contains(&folded) {
                out.push((folded, word.to_lowercase()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_drop_function_words_entities_and_numbers() {
        let t = terms("L'application est géniale, vraiment GÉNIALE ! #Tutti @bob https://x.example/a 2026");
        assert_eq!(t, ["application", "geniale", "vraiment", "geniale"]);
        assert_eq!(
            terms("the delivery was late and the box was broken"),
            ["delivery", "late", "box", "broken"]
        );
    }
}
