//! Writes the input of `train/sentiment_fr.py` from a labelled set (`label<TAB>text` lines):
//! `cargo run --release -p tutti-nlp --example training_input -- SET.tsv > input.tsv`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: training_input SET.tsv > input.tsv");
        std::process::exit(2);
    };
    let set = match std::fs::read_to_string(&path) {
        Ok(set) => set,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    print!("{}", tutti_nlp::training_input(&set));
}
