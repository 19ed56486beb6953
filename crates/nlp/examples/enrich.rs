//! Reads posts from standard input, one a line, and writes one JSON line of enrichment each.
//!
//! ```text
//! printf '%s\n' "J'adore 😍 #top" | cargo run -p tutti-nlp --example enrich [-- --entities]
//! ```

use std::io::{BufRead, Write};

fn main() -> std::io::Result<()> {
    let with_entities = std::env::args().any(|a| a == "--entities");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in std::io::stdin().lock().lines() {
        let enrichment = tutti_nlp::analyse(&line?);
        writeln!(out, "{}", tutti_nlp::to_json_line(&enrichment, with_entities))?;
    }
    out.flush()
}
