//! The French model's training input, written by the library itself so that training reads
//! exactly the words inference reads (`train/sentiment_fr.py` takes it).

/// The input of `train/sentiment_fr.py` for a `label<TAB>text` set: one `label<TAB>lexicon
/// score<TAB>words` line a text, the words as the model reads them (folded, elision marks
/// dropped, separated by spaces), so that training and inference never tokenise differently.
/// `cargo run --release -p tutti-nlp --example training_input -- SET.tsv > input.tsv`.
pub fn training_input(set: &str) -> String {
    use crate::text::{bare, Kind};
    let mut out = String::new();
    for line in set.lines() {
        let Some((label, text)) = line.split_once('\t') else { continue };
        let clean = crate::entities::strip(text, &crate::entities::scan(text));
        let tokens = crate::tokens_of(&clean);
        let lexicon = crate::round2(crate::sentiment::lexicon_score(&tokens, Some(crate::Lang::Fr), true));
        let words: Vec<&str> =
            tokens.tokens.iter().filter(|t| t.kind == Kind::Word).map(|t| bare(&t.norm)).collect();
        out.push_str(&format!("{label}\t{lexicon}\t{}\n", words.join(" ")));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_training_input_holds_the_words_the_model_reads() {
        let input = super::training_input("pos\tJ'adore ce livre !\nsans tabulation\n");
        let fields: Vec<&str> = input.trim_end().split('\t').collect();
        assert_eq!(fields.len(), 3, "{input:?}");
        assert_eq!(fields[0], "pos");
        assert!(fields[1].parse::<f64>().unwrap() > 0.0, "the lexicon likes it: {input:?}");
        assert!(fields[2].contains("adore") && fields[2].contains("livre"), "{input:?}");
        assert_eq!(input.lines().count(), 1, "a line without a label is skipped");
    }
}
