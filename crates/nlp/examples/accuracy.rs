//! Accuracy of language identification and sentiment on labelled public data.
//!
//! The data is not shipped (its licences allow personal use, not redistribution); it comes
//! from registry packages, see the crate README for the commands. Each argument names a task,
//! a data format, a language and a file:
//!
//! ```text
//! cargo run --release -p tutti-nlp --example accuracy -- [--words N] TASK:FORMAT:LANG=PATH...
//! ```
//!
//! - `sentiment:csv:fr=polarity-fr-amazon.csv`: two-column CSV, one column `1`/`-1` (positive,
//!   negative), the other the text.
//! - `sentiment:json:en=amazon.json`: a JSON array of `{"text": …, "class": 0|1}`.
//! - `lang:tagged:es=tagged-es-wikicorpus.txt`: one sentence a line, `word/TAG` tokens.
//! - `lang:csv:fr=polarity-fr-amazon.csv`: the texts of a two-column CSV, split into sentences.
//! - `lang:html:pt=por_PT.html`: the `<p>` and `<li>` paragraphs of an HTML page.
//!
//! `--words N` cuts every language sample to its first N words (tweet-like texts); samples
//! with fewer than 3 words are skipped.

use std::collections::BTreeMap;
use std::process::ExitCode;

use tutti_nlp::{analyse, detect_lang, Label, Lang};

fn main() -> ExitCode {
    let mut words: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    let mut jobs = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--words" {
            words = args.next().and_then(|n| n.parse().ok());
            continue;
        }
        jobs.push(arg);
    }
    if jobs.is_empty() {
        eprintln!("usage: accuracy [--words N] TASK:FORMAT:LANG=PATH...");
        return ExitCode::FAILURE;
    }
    for job in jobs {
        if let Err(e) = run(&job, words) {
            eprintln!("{job}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn run(job: &str, words: Option<usize>) -> Result<(), String> {
    let (spec, path) = job.split_once('=').ok_or("expected TASK:FORMAT:LANG=PATH")?;
    let mut parts = spec.split(':');
    let (Some(task), Some(format), Some(lang)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("expected TASK:FORMAT:LANG=PATH".into());
    };
    let lang: Lang = lang.parse().map_err(|e| format!("{e}"))?;
    let data = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let name = path.rsplit('/').next().unwrap_or(path);
    match task {
        "sentiment" => {
            let samples = match format {
                "csv" => csv_polarity(&data)?,
                "json" => json_polarity(&data)?,
                _ => return Err(format!("no sentiment format {format}")),
            };
            sentiment_report(name, lang, &samples);
        }
        "lang" => {
            let mut texts = match format {
                "tagged" => data.lines().map(untag).collect(),
                "csv" => csv_polarity(&data)?.into_iter().flat_map(|(t, _)| sentences(&t)).collect(),
                "html" => html_paragraphs(&data),
                _ => return Err(format!("no language format {format}")),
            };
            if let Some(n) = words {
                texts = texts
                    .into_iter()
                    .map(|t| t.split_whitespace().take(n).collect::<Vec<_>>().join(" "))
                    .collect();
            }
            texts.retain(|t| t.split_whitespace().count() >= 3);
            lang_report(name, lang, &texts, words);
        }
        _ => return Err(format!("no task {task}")),
    }
    Ok(())
}

fn sentiment_report(name: &str, lang: Lang, samples: &[(String, bool)]) {
    let (mut right, mut wrong, mut neutral, mut detected) = (0, 0, 0, 0);
    for (text, positive) in samples {
        let e = analyse(text);
        detected += usize::from(e.lang == Some(lang));
        match (e.sentiment.label, positive) {
            (Label::Neu, _) => neutral += 1,
            (Label::Pos, true) | (Label::Neg, false) => right += 1,
            _ => wrong += 1,
        }
    }
    let n = samples.len().max(1) as f64;
    let decided = (right + wrong).max(1) as f64;
    println!(
        "sentiment {lang} {name}: n={} accuracy={:.1}% (neutral counted wrong) | on decided={:.1}% | neutral={:.1}% | language detected as {lang}: {:.1}%",
        samples.len(),
        100.0 * right as f64 / n,
        100.0 * right as f64 / decided,
        100.0 * neutral as f64 / n,
        100.0 * detected as f64 / n,
    );
}

fn lang_report(name: &str, lang: Lang, texts: &[String], words: Option<usize>) {
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for text in texts {
        let found = detect_lang(text).map_or_else(|| "none".to_owned(), |l| l.to_string());
        *outcomes.entry(found).or_default() += 1;
    }
    let n = texts.len().max(1) as f64;
    let right = outcomes.get(lang.code()).copied().unwrap_or(0) as f64;
    let none = outcomes.get("none").copied().unwrap_or(0) as f64;
    let wrong = n - right - none;
    let cut = words.map_or_else(|| "whole".to_owned(), |w| format!("first {w} words"));
    println!(
        "lang {lang} {name} ({cut}): n={} accuracy={:.1}% none={:.1}% wrong={:.1}% precision={:.1}% {outcomes:?}",
        texts.len(),
        100.0 * right / n,
        100.0 * none / n,
        100.0 * wrong / n,
        100.0 * right / (right + wrong).max(1.0),
    );
}

/// `word/TAG word/TAG` → `word word`.
fn untag(line: &str) -> String {
    line.split_whitespace().map(|t| t.rsplit_once('/').map_or(t, |(w, _)| w)).collect::<Vec<_>>().join(" ")
}

fn sentences(text: &str) -> Vec<String> {
    text.split_inclusive(['.', '!', '?']).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

/// Two-column CSV rows: (text, positive?), whichever column holds the `1`/`-1`.
fn csv_polarity(data: &str) -> Result<Vec<(String, bool)>, String> {
    let mut out = Vec::new();
    for row in csv_rows(data.trim_start_matches('\u{feff}')) {
        let [a, b] = row.as_slice() else { continue };
        let (label, text) = match (a.trim(), b.trim()) {
            ("1" | "-1", _) => (a.trim(), b),
            (_, "1" | "-1") => (b.trim(), a),
            _ => return Err(format!("row without a 1/-1 label: {a:.40}")),
        };
        out.push((text.replace("&amp;", "&"), label == "1"));
    }
    Ok(out)
}

/// A small CSV reader: `"`-quoted fields with `""` for a quote, commas, newlines in quotes.
fn csv_rows(data: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = data.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            ('\r', false) => {}
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn json_polarity(data: &str) -> Result<Vec<(String, bool)>, String> {
    #[derive(serde::Deserialize)]
    struct Sample {
        text: String,
        class: Option<u8>,
    }
    let samples: Vec<Sample> = serde_json::from_str(data).map_err(|e| e.to_string())?;
    Ok(samples.into_iter().filter_map(|s| Some((s.text, s.class? == 1))).collect())
}

/// The text of the `<p>` and `<li>` elements, tags removed.
fn html_paragraphs(data: &str) -> Vec<String> {
    let mut out = Vec::new();
    for open in ["<p>", "<li>"] {
        let close = if open == "<p>" { "</p>" } else { "</li>" };
        let mut rest = data;
        while let Some(start) = rest.find(open) {
            let body = &rest[start + open.len()..];
            let end = body.find(close).unwrap_or(body.len());
            let mut text = String::new();
            let mut in_tag = false;
            for c in body[..end].chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            out.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
            rest = &body[end..];
        }
    }
    out
}
