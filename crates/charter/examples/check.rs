//! Checks the text read from standard input against a charter and prints the findings, one
//! JSON object a line.
//!
//! ```sh
//! echo "Bonjoor, c'est l'arnaque" | cargo run -p tutti-charter --example check -- fr charter.json
//! ```
//!
//! The first argument is the draft's language (`fr`, `en`, or `-` for unknown); the second,
//! optional, a charter as JSON (the default charter otherwise: spelling in French and English).

use std::io::Read as _;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let lang = args.next().filter(|l| l != "-");
    let charter: tutti_charter::Charter = match args.next() {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)?,
        None => tutti_charter::Charter::default(),
    };
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;

    let start = Instant::now();
    tutti_charter::preload(&charter.spelling);
    let loaded = start.elapsed();
    let draft = tutti_charter::Draft { text, lang, ..tutti_charter::Draft::default() };
    let start = Instant::now();
    let findings = tutti_charter::check(&charter, &draft);
    let checked = start.elapsed();
    for finding in &findings {
        println!("{}", serde_json::to_string(finding)?);
    }
    eprintln!("dictionaries loaded in {loaded:?}, draft checked in {checked:?}");
    Ok(())
}
