//! Tutti's editorial charter and the checks every draft goes through (capabilities B2, B3).
//!
//! The Social Media Manager writes a [`Charter`] per workspace: tone notes for the writers,
//! banned words and phrases, hashtags each channel must carry, whether images need alt text,
//! content pillars with the share of posts each should have, and the languages drafts are
//! spell-checked in. [`check`] reads a [`Draft`] against it and returns [`Finding`]s, each
//! with a [`Severity`]: a `Block` finding stops the draft from going further ([`blocks`]), a
//! `Warn` one is only shown. [`pillar_of`] and [`pillar_shares`] tell which pillar a post
//! belongs to and how the posts of a calendar are spread among the pillars.
//!
//! Everything here is a pure function of its inputs; the only data read are the French and
//! English Hunspell dictionaries embedded in the library, parsed once on first use (or at
//! start-up with [`preload`]).
//!
//! Words are compared folded, the way the rest of Tutti compares them (`tutti_listen::fold`:
//! case and accents do not count, `œ` is `oe`), on word boundaries: `arnaque` is found in
//! `L’ARNAQUE` but not in `arnaqueur` (write `arnaq*` for that). Byte offsets in findings are
//! offsets in the draft's text as written, so `&text[start..end]` is the word a finding is
//! about.
//!
//! ```
//! use tutti_charter::{blocks, check, Charter, CheckKind, Draft};
//!
//! let charter: Charter = serde_json::from_str(r#"{"banned": ["arnaque", "c'est nul"]}"#).unwrap();
//! let text = "🎉 Bonjoor ! Pas d’ARNAQUE ici";
//! let draft = Draft { text: text.into(), lang: Some("fr".into()), ..Draft::default() };
//! let findings = check(&charter, &draft);
//! assert_eq!(findings[0].kind, CheckKind::Spelling);
//! assert_eq!((findings[0].range(), findings[0].suggestion.as_deref()), (Some(5..12), Some("Bonjour")));
//! assert_eq!((findings[1].kind, findings[1].range()), (CheckKind::Banned, Some(23..30)));
//! assert_eq!(&text[23..30], "ARNAQUE");
//! assert!(blocks(&findings));
//! ```

mod pattern;
mod spelling;
mod text;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::pattern::Pattern;
pub use crate::spelling::{preload, Lang, MAX_SUGGESTIONS};

/// What a finding does to the draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Shown to the writer; the draft goes on.
    Warn,
    /// The draft cannot be submitted, approved or published until it is fixed.
    Block,
}

/// The kind of check a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// A banned word or phrase is in the text.
    Banned,
    /// A hashtag the channel requires is missing.
    Hashtags,
    /// An image has no alt text.
    AltText,
    /// A word is not in the dictionary.
    Spelling,
}

/// The severity of each kind of check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Severities {
    /// Banned words and phrases; `Block` by default.
    pub banned: Severity,
    /// Missing required hashtags; `Warn` by default.
    pub hashtags: Severity,
    /// Images without alt text; `Warn` by default.
    pub alt_text: Severity,
    /// Spelling; `Warn` by default.
    pub spelling: Severity,
}

impl Default for Severities {
    fn default() -> Self {
        Self {
            banned: Severity::Block,
            hashtags: Severity::Warn,
            alt_text: Severity::Warn,
            spelling: Severity::Warn,
        }
    }
}

impl Severities {
    /// The severity of `kind`.
    pub fn of(&self, kind: CheckKind) -> Severity {
        match kind {
            CheckKind::Banned => self.banned,
            CheckKind::Hashtags => self.hashtags,
            CheckKind::AltText => self.alt_text,
            CheckKind::Spelling => self.spelling,
        }
    }
}

/// A content pillar: a theme the brand posts about, recognised by its keywords.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pillar {
    /// The pillar's name, as the calendar shows it.
    pub name: String,
    /// Words and phrases that place a post in this pillar (matched like banned words; `*`
    /// at the end of a word matches any word it begins; hashtags count).
    pub keywords: Vec<String>,
    /// The share of posts the SMM wants in this pillar, from 0 to 1.
    pub target_share: f32,
}

/// A workspace's editorial charter, stored as JSON. Every field has a default, so that a
/// partial document reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Charter {
    /// The tone of voice, shown to writers; not checked.
    pub tone_notes: String,
    /// Banned words and phrases (`arnaque`, `c'est nul`, `arnaq*`).
    pub banned: Vec<String>,
    /// Hashtags each channel must carry, by channel handle (`@brand@mastodon.example`,
    /// `brand.bsky.social`; a leading `@` and case do not count). The key `*` applies to every
    /// channel. Tags are written with or without `#`.
    pub required_hashtags: HashMap<String, Vec<String>>,
    /// Whether every image needs alt text (true by default).
    pub alt_text_required: bool,
    /// The content pillars.
    pub pillars: Vec<Pillar>,
    /// The languages drafts are spell-checked in (French and English by default; empty turns
    /// the spelling check off).
    pub spelling: Vec<Lang>,
    /// Words the spelling check accepts besides the dictionaries: brand and product names,
    /// jargon. The banned words, pillar keywords and required hashtags are accepted too.
    pub vocabulary: Vec<String>,
    /// How hard each kind of check bites.
    pub severity: Severities,
}

impl Default for Charter {
    fn default() -> Self {
        Self {
            tone_notes: String::new(),
            banned: Vec::new(),
            required_hashtags: HashMap::new(),
            alt_text_required: true,
            pillars: Vec::new(),
            spelling: Lang::ALL.to_vec(),
            vocabulary: Vec::new(),
            severity: Severities::default(),
        }
    }
}

/// An image attached to a draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Image {
    /// Its alt text; empty when there is none.
    pub alt: String,
}

/// What is checked: one variant of a post, for one channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    /// The text as written.
    pub text: String,
    /// The handle of the channel it will be published on.
    pub channel_handle: String,
    /// The attached images.
    pub images: Vec<Image>,
    /// The language of the text (`fr`, `en-GB`…) when known. Spelling is then checked in
    /// that language only, and not at all when the charter does not list it. When unknown,
    /// a word passes if any of the charter's languages knows it.
    pub lang: Option<String>,
}

/// Something the charter has to say about a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The check it comes from.
    pub kind: CheckKind,
    /// What it does to the draft.
    pub severity: Severity,
    /// An English sentence for the writer.
    pub message: String,
    /// Byte offset in the text where the finding starts; `None` for the whole post.
    pub start: Option<usize>,
    /// Byte offset in the text where the finding ends; `None` for the whole post.
    pub end: Option<usize>,
    /// The best replacement for the range, or the text to add for a whole-post finding
    /// (`#Tutti`).
    pub suggestion: Option<String>,
    /// Every suggested replacement, best first (at most [`MAX_SUGGESTIONS`]); `suggestion`
    /// is the first.
    #[serde(default)]
    pub suggestions: Vec<String>,
}

impl Finding {
    fn new(kind: CheckKind, charter: &Charter, message: String) -> Self {
        Self {
            kind,
            severity: charter.severity.of(kind),
            message,
            start: None,
            end: None,
            suggestion: None,
            suggestions: Vec::new(),
        }
    }

    fn at(mut self, range: Range<usize>) -> Self {
        self.start = Some(range.start);
        self.end = Some(range.end);
        self
    }

    fn suggesting(mut self, suggestions: Vec<String>) -> Self {
        self.suggestion = suggestions.first().cloned();
        self.suggestions = suggestions;
        self
    }

    /// The byte range of the text the finding is about, if it is about a part of it.
    pub fn range(&self) -> Option<Range<usize>> {
        Some(self.start?..self.end?)
    }
}

/// Whether any of `findings` blocks the draft.
pub fn blocks(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Block)
}

/// Checks `draft` against `charter`. Findings about a part of the text come first, in the
/// order of the text; findings about the whole post (hashtags, alt text) follow.
pub fn check(charter: &Charter, draft: &Draft) -> Vec<Finding> {
    let text = draft.text.as_str();
    let opaque = text::opaque_spans(text);
    let tokens = text::match_tokens(text, &opaque);

    let mut findings = banned(charter, &tokens);
    findings.extend(spelling_findings(charter, draft, &opaque));
    findings.sort_by_key(|f| (f.start, f.kind));
    findings.extend(hashtags(charter, draft, &opaque));
    findings.extend(alt_text(charter, draft));
    findings
}

fn banned(charter: &Charter, tokens: &[text::Token]) -> Vec<Finding> {
    let mut found: Vec<(Range<usize>, &str)> = Vec::new();
    for entry in &charter.banned {
        if let Some(pattern) = Pattern::new(entry) {
            found.extend(pattern.find_all(tokens).into_iter().map(|r| (r, entry.trim())));
        }
    }
    // Longest first at each place; a match inside one already kept is the same offence.
    found.sort_by_key(|(r, _)| (r.start, std::cmp::Reverse(r.end)));
    let mut kept: Vec<(Range<usize>, &str)> = Vec::new();
    for (range, entry) in found {
        if !kept.iter().any(|(k, _)| k.start <= range.start && range.end <= k.end) {
            kept.push((range, entry));
        }
    }
    kept.into_iter()
        .map(|(range, entry)| {
            Finding::new(CheckKind::Banned, charter, format!("The editorial charter bans \"{entry}\"."))
                .at(range)
        })
        .collect()
}

/// A channel handle as compared: no leading `@`, lower case.
fn normalize_handle(handle: &str) -> String {
    handle.trim().trim_start_matches('@').to_lowercase()
}

fn hashtags(charter: &Charter, draft: &Draft, opaque: &[Range<usize>]) -> Vec<Finding> {
    let handle = normalize_handle(&draft.channel_handle);
    let mut keys: Vec<&String> = charter
        .required_hashtags
        .keys()
        .filter(|k| k.trim() == "*" || (!handle.is_empty() && normalize_handle(k) == handle))
        .collect();
    keys.sort_by_key(|k| k.trim() != "*");
    let present: HashSet<String> =
        text::hashtags(&draft.text, opaque).into_iter().map(|(_, tag)| tutti_listen::fold(tag)).collect();
    let mut asked = HashSet::new();
    let mut findings = Vec::new();
    for key in keys {
        for tag in &charter.required_hashtags[key] {
            let tag = tag.trim().trim_start_matches('#');
            let folded = tutti_listen::fold(tag);
            if tag.is_empty() || present.contains(&folded) || !asked.insert(folded) {
                continue;
            }
            let message = if key.trim() == "*" || draft.channel_handle.trim().is_empty() {
                format!("Every post must carry the hashtag #{tag}.")
            } else {
                format!("Posts on {} must carry the hashtag #{tag}.", draft.channel_handle.trim())
            };
            findings.push(
                Finding::new(CheckKind::Hashtags, charter, message).suggesting(vec![format!("#{tag}")]),
            );
        }
    }
    findings
}

fn alt_text(charter: &Charter, draft: &Draft) -> Vec<Finding> {
    if !charter.alt_text_required {
        return Vec::new();
    }
    let total = draft.images.len();
    draft
        .images
        .iter()
        .enumerate()
        .filter(|(_, image)| image.alt.trim().is_empty())
        .map(|(i, _)| {
            let message = if total == 1 {
                "The image has no alt text.".to_owned()
            } else {
                format!("Image {} of {total} has no alt text.", i + 1)
            };
            Finding::new(CheckKind::AltText, charter, message)
        })
        .collect()
}

/// The folded words the spelling check takes as written: the charter's vocabulary, banned
/// words, pillar keywords and required hashtags.
fn own_words(charter: &Charter) -> HashSet<String> {
    let pillar_keywords = charter.pillars.iter().flat_map(|p| &p.keywords);
    let tags = charter.required_hashtags.values().flatten();
    let mut words = HashSet::new();
    for entry in charter.vocabulary.iter().chain(&charter.banned).chain(pillar_keywords).chain(tags) {
        let entry = entry.trim().trim_start_matches('#');
        words.insert(tutti_listen::fold(entry));
        if let Some(pattern) = Pattern::new(entry) {
            words.extend(pattern.words().map(str::to_owned));
        }
    }
    words
}

/// The languages a draft is spell-checked in.
fn spelling_langs(charter: &Charter, draft: &Draft) -> Vec<Lang> {
    let mut langs: Vec<Lang> = Vec::new();
    for &lang in &charter.spelling {
        if !langs.contains(&lang) {
            langs.push(lang);
        }
    }
    match draft.lang.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => langs,
        Some(tag) => Lang::from_tag(tag).filter(|l| langs.contains(l)).into_iter().collect(),
    }
}

/// Most misspelled words of one draft that suggestions are searched for, in the order of the
/// text; the others are reported without suggestions. This bounds the time a check can take
/// (a search costs a few milliseconds; see `spelling`).
pub const SUGGESTED_WORDS: usize = 20;

fn spelling_findings(charter: &Charter, draft: &Draft, opaque: &[Range<usize>]) -> Vec<Finding> {
    let langs = spelling_langs(charter, draft);
    if langs.is_empty() {
        return Vec::new();
    }
    let text = draft.text.as_str();
    let own = own_words(charter);
    let words: Vec<(Range<usize>, &str)> = text::spell_words(text, opaque)
        .into_iter()
        .filter(|w| !w.has_digit)
        .map(|w| (w.start..w.end, &text[w.start..w.end], w.sentence_start))
        .filter(|(_, word, sentence_start)| !skipped_by_case(word, *sentence_start))
        .filter(|(_, word, _)| !is_own(word, &own))
        .map(|(range, word, _)| (range, word))
        .collect();

    // Which languages know each word; the language that knows most words is the post's.
    let known: Vec<Vec<bool>> =
        words.iter().map(|(_, word)| langs.iter().map(|l| l.knows(word)).collect()).collect();
    let main = (0..langs.len())
        .max_by_key(|&i| (known.iter().filter(|k| k[i]).count(), std::cmp::Reverse(i)))
        .map_or(langs[0], |i| langs[i]);
    let names: Vec<&str> = langs.iter().map(|l| l.name()).collect();
    let dictionaries = match names.as_slice() {
        [one] => format!("the {one} dictionary"),
        [rest @ .., last] => format!("the {} or {last} dictionaries", rest.join(", ")),
        [] => String::new(),
    };

    let mut findings = Vec::new();
    for ((range, word), known) in words.into_iter().zip(known) {
        if known.contains(&true) {
            continue;
        }
        let suggestions = if findings.len() < SUGGESTED_WORDS { main.suggest(word) } else { Vec::new() };
        let mut message = format!("\"{word}\" is not in {dictionaries}.");
        match suggestions.as_slice() {
            [] => {}
            [one] => {
                let _ = write!(message, " Did you mean \"{one}\"?");
            }
            [rest @ .., last] => {
                let rest: Vec<String> = rest.iter().map(|s| format!("\"{s}\"")).collect();
                let _ = write!(message, " Did you mean {} or \"{last}\"?", rest.join(", "));
            }
        }
        findings.push(Finding::new(CheckKind::Spelling, charter, message).at(range).suggesting(suggestions));
    }
    findings
}

/// Words whose case says they are not for the dictionary: in capitals (`SOLDES`, `NASA`),
/// with a capital inside (`iPhone`, `VivaTech`), or capitalised inside a sentence (a name:
/// `Dupont`). A capitalised word that opens a sentence is checked.
fn skipped_by_case(word: &str, sentence_start: bool) -> bool {
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    let upper = word.chars().filter(|c| c.is_uppercase()).count();
    if letters >= 2 && upper == letters {
        return true;
    }
    let mut chars = word.chars();
    let first_upper = chars.next().is_some_and(char::is_uppercase);
    chars.any(char::is_uppercase) || (first_upper && !sentence_start)
}

/// Whether `word` is one of the charter's own words, whole or after an elision (`l'arnaque`).
fn is_own(word: &str, own: &HashSet<String>) -> bool {
    let folded = tutti_listen::fold(word);
    own.contains(&folded) || folded.rsplit_once('\'').is_some_and(|(_, after)| own.contains(after))
}

/// The pillar whose keywords `text` matches best: the most distinct keywords, then the most
/// occurrences, then the first in the charter. `None` when no keyword matches.
pub fn pillar_of(charter: &Charter, text: &str) -> Option<String> {
    let index = PillarIndex::new(charter);
    index.best(text).map(|i| charter.pillars[i].name.clone())
}

/// How the posts `texts` spread among the charter's pillars: for each pillar, in the
/// charter's order, its name, the share of the posts that belong to it (from 0 to 1; posts
/// that belong to no pillar count in the total) and its target share.
pub fn pillar_shares<I, S>(charter: &Charter, texts: I) -> Vec<(String, f32, f32)>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let index = PillarIndex::new(charter);
    let mut counts = vec![0usize; charter.pillars.len()];
    let mut total = 0usize;
    for text in texts {
        total += 1;
        if let Some(i) = index.best(text.as_ref()) {
            counts[i] += 1;
        }
    }
    charter
        .pillars
        .iter()
        .zip(counts)
        .map(|(pillar, count)| {
            let share = if total == 0 { 0.0 } else { count as f32 / total as f32 };
            (pillar.name.clone(), share, pillar.target_share)
        })
        .collect()
}

/// The pillars' keywords, compiled once for many posts.
struct PillarIndex {
    pillars: Vec<Vec<Pattern>>,
}

impl PillarIndex {
    fn new(charter: &Charter) -> Self {
        let pillars = charter
            .pillars
            .iter()
            .map(|p| p.keywords.iter().filter_map(|k| Pattern::new(k)).collect())
            .collect();
        Self { pillars }
    }

    fn best(&self, text: &str) -> Option<usize> {
        let tokens = text::match_tokens(text, &text::opaque_spans(text));
        let mut best: Option<(usize, (usize, usize))> = None;
        for (i, patterns) in self.pillars.iter().enumerate() {
            let hits: Vec<usize> = patterns.iter().map(|p| p.find_all(&tokens).len()).collect();
            let score = (hits.iter().filter(|&&h| h > 0).count(), hits.iter().sum::<usize>());
            if score.0 > 0 && best.is_none_or(|(_, b)| score > b) {
                best = Some((i, score));
            }
        }
        best.map(|(i, _)| i)
    }
}
