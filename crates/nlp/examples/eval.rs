//! The labelled sets of a folder scored without building the whole command line: the same as
//! `tutti nlp eval DIR`.
//!
//! ```text
//! cargo run --release -p tutti-nlp --example eval -- DIR
//! ```

use std::process::ExitCode;

use tutti_nlp::eval::{evaluate, parse_tsv, Task};

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: eval DIR");
        return ExitCode::FAILURE;
    };
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            eprintln!("cannot read {dir}: {e}");
            return ExitCode::FAILURE;
        }
    };
    files.sort();
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some(task) = Task::of_file_name(&name) else { continue };
        let rows = match std::fs::read_to_string(&path).map_err(|e| e.to_string()).and_then(|d| parse_tsv(&d))
        {
            Ok(rows) => rows,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        };
        print!("{}", evaluate(&name, task, &rows).to_text());
        if task == Task::Lang {
            let short: Vec<_> = rows.into_iter().filter(|(_, t)| t.chars().count() < 40).collect();
            if !short.is_empty() {
                print!("{}", evaluate(&format!("{name} (under 40 characters)"), task, &short).to_text());
            }
        }
    }
    ExitCode::SUCCESS
}
