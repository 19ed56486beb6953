//! Evaluation on labelled data: accuracy, per-class precision and recall, texts per second.
//!
//! A labelled set is a list of `(label, text)`; the task says what the label is:
//!
//! | Task | File name | Labels |
//! | --- | --- | --- |
//! | [`Task::Sentiment`] | `sentiment-*.tsv` | `pos`, `neg` (`neu` too) |
//! | [`Task::Lang`] | `lang-*.tsv` | an ISO 639-1 code, or `none` |
//! | [`Task::Profane`] | `profane-*.tsv` | `profane` (a swear word, however spelt), `clean` |
//! | [`Task::Abuse`] | `abuse-*.tsv` | `abuse` (an insult or threat aimed at someone), `clean` |
//!
//! The files themselves are read by `tutti nlp eval DIR`; this module only scores.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use crate::{analyse, Label};

/// What a labelled set measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// `pos` / `neg` / `neu`: the sentiment label.
    Sentiment,
    /// The language code, or `none`.
    Lang,
    /// `profane` / `clean`: `toxicity.profane`.
    Profane,
    /// `abuse` / `clean`: `toxicity.flagged`.
    Abuse,
}

impl Task {
    /// The task of a file, from its name's first word (`sentiment-fr-reviews.tsv`).
    pub fn of_file_name(name: &str) -> Option<Task> {
        let stem = name.rsplit('/').next().unwrap_or(name);
        match stem.split(['-', '_', '.']).next()? {
            "sentiment" => Some(Task::Sentiment),
            "lang" => Some(Task::Lang),
            "profane" => Some(Task::Profane),
            "abuse" => Some(Task::Abuse),
            _ => None,
        }
    }

    /// What the enrichment says of `text`, as a label of this task.
    pub fn predict(self, text: &str) -> &'static str {
        let e = analyse(text);
        match self {
            Task::Sentiment => match e.sentiment.label {
                Label::Pos => "pos",
                Label::Neg => "neg",
                Label::Neu => "neu",
            },
            Task::Lang => e.lang.map_or("none", |l| l.code()),
            Task::Profane => {
                if e.toxicity.profane {
                    "profane"
                } else {
                    "clean"
                }
            }
            Task::Abuse => {
                if e.toxicity.flagged {
                    "abuse"
                } else {
                    "clean"
                }
            }
        }
    }
}

/// How one class fared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassCounts {
    /// Texts of this class predicted as it.
    pub true_positives: usize,
    /// Texts of another class predicted as this one.
    pub false_positives: usize,
    /// Texts of this class predicted as another.
    pub false_negatives: usize,
}

impl ClassCounts {
    /// Of the texts predicted as this class, the share that are (1 when none is).
    pub fn precision(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_positives)
    }

    /// Of the texts of this class, the share predicted as it (1 when there is none).
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// The result of one labelled set.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The set's name.
    pub name: String,
    /// Its task.
    pub task: Task,
    /// How many texts.
    pub n: usize,
    /// How many got their label.
    pub right: usize,
    /// Per class (gold and predicted labels alike).
    pub classes: BTreeMap<String, ClassCounts>,
    /// Texts analysed per second on one core (the whole enrichment, single thread).
    pub texts_per_second: f64,
}

impl Report {
    /// The share of texts that got their label.
    pub fn accuracy(&self) -> f64 {
        ratio(self.right, self.n)
    }

    /// A few human-readable lines.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{} ({:?}): n={} accuracy={:.1}% ({:.0} texts/s on one core)\n",
            self.name,
            self.task,
            self.n,
            100.0 * self.accuracy(),
            self.texts_per_second
        );
        for (class, c) in &self.classes {
            let _ = writeln!(
                out,
                "  {class:<8} precision={:.1}% recall={:.1}% (tp={} fp={} fn={})",
                100.0 * c.precision(),
                100.0 * c.recall(),
                c.true_positives,
                c.false_positives,
                c.false_negatives
            );
        }
        out
    }
}

/// Scores `rows` (`(label, text)`) for `task`.
pub fn evaluate(name: &str, task: Task, rows: &[(String, String)]) -> Report {
    let start = Instant::now();
    let predicted: Vec<&'static str> = rows.iter().map(|(_, text)| task.predict(text)).collect();
    let seconds = start.elapsed().as_secs_f64().max(1e-9);
    let mut classes: BTreeMap<String, ClassCounts> = BTreeMap::new();
    let mut right = 0;
    for ((gold, _), &found) in rows.iter().zip(&predicted) {
        if gold == found {
            right += 1;
            classes.entry(gold.clone()).or_default().true_positives += 1;
        } else {
            classes.entry(gold.clone()).or_default().false_negatives += 1;
            classes.entry(found.to_owned()).or_default().false_positives += 1;
        }
    }
    Report {
        name: name.to_owned(),
        task,
        n: rows.len(),
        right,
        classes,
        texts_per_second: rows.len() as f64 / seconds,
    }
}

/// Reads a labelled TSV: `label<TAB>text` a line; blank lines and lines starting with `#`
/// are skipped. An error names the line that has no tab.
pub fn parse_tsv(data: &str) -> Result<Vec<(String, String)>, String> {
    let mut rows = Vec::new();
    for (i, line) in data.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (label, text) =
            line.split_once('\t').ok_or_else(|| format!("line {}: expected label<TAB>text", i + 1))?;
        rows.push((label.trim().to_owned(), text.to_owned()));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_come_from_file_names() {
        assert_eq!(Task::of_file_name("sentiment-fr-heldout.tsv"), Some(Task::Sentiment));
        assert_eq!(Task::of_file_name("dir/lang-short.tsv"), Some(Task::Lang));
        assert_eq!(Task::of_file_name("profane-obfuscation.tsv"), Some(Task::Profane));
        assert_eq!(Task::of_file_name("abuse_fr.tsv"), Some(Task::Abuse));
        assert_eq!(Task::of_file_name("notes.tsv"), None);
    }

    #[test]
    fn reports_count_per_class() {
        let rows = parse_tsv("# a comment\npos\tJ'adore, c'est génial\nneg\tNul, horrible, je déteste\npos\tLe train arrive à huit heures\n")
            .unwrap();
        let r = evaluate("t", Task::Sentiment, &rows);
        assert_eq!(r.n, 3);
        assert_eq!(r.right, 2);
        assert_eq!(r.classes["pos"].true_positives, 1);
        assert_eq!(r.classes["pos"].false_negatives, 1);
        assert!((r.accuracy() - 2.0 / 3.0).abs() < 1e-9);
        assert!(r.to_text().contains("accuracy=66.7%"));
        assert!(parse_tsv("no tab here").unwrap_err().contains("line 1"));
    }
}
