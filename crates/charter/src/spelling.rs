//! Spelling in French and English with Hunspell dictionaries, checked by `spellbook`.
//!
//! The dictionaries are embedded in the library (see `dictionaries/README.md` for where they
//! come from and their licences) and parsed once, on first use, or up front with [`preload`].
//!
//! Suggestions are looked for in order of likelihood, and the search stops once it has three:
//! the same word with other accents or an initial capital (`ecole` → `école`; when this gives
//! a word, the search stops there), a letter doubled or undoubled (`helo` → `hello`), an
//! apostrophe added (`dont` → `don't`), two letters swapped, a letter replaced by a
//! neighbouring key (AZERTY for French, QWERTY for English), then by any other letter, a
//! letter added, a letter removed, the word split in two, and last, when nothing else gave a
//! word, one letter with another accent and one doubled (`developement` → `développement`).
//!
//! Every candidate costs one dictionary look-up. This is many times faster than `spellbook`'s
//! own suggester on the French dictionary (whose affix tables make each failed look-up slow):
//! a few milliseconds a word instead of hundreds. `spellbook`'s suggester is asked only for
//! English, where it is fast, when none of these candidates is a word. Suggestions are
//! remembered, so that a draft checked again as it is written costs only look-ups.

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex, PoisonError};

use foldhash::fast::FixedState;
use serde::{Deserialize, Serialize};

/// A language the spelling check knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// French (the "classique" Hunspell dictionary of Grammalecte).
    Fr,
    /// English (American, SCOWL size 60).
    En,
}

/// A dictionary whose hash tables are seeded the same in every process: `spellbook`'s own
/// suggestions come out in the same order every time.
type Dictionary = spellbook::Dictionary<FixedState>;

fn parse(aff: &str, dic: &str) -> Dictionary {
    Dictionary::new_with_hasher(aff, dic, FixedState::default()).expect("an embedded dictionary parses")
}

static FR: LazyLock<Dictionary> =
    LazyLock::new(|| parse(include_str!("../dictionaries/fr.aff"), include_str!("../dictionaries/fr.dic")));

static EN: LazyLock<Dictionary> =
    LazyLock::new(|| parse(include_str!("../dictionaries/en.aff"), include_str!("../dictionaries/en.dic")));

/// Most suggestions given for one word.
pub const MAX_SUGGESTIONS: usize = 3;

/// Words longer than this (in characters) get no suggestion.
const MAX_SUGGESTED_LEN: usize = 30;

/// Words with more letters that could take another accent get suggestions with one accent
/// changed only, not two: the pairs would be too many.
const PAIRED_ACCENTS: usize = 10;

/// Suggestions remembered before the memory is emptied.
const MEMORY: usize = 4096;

/// Suggestions already searched for, by language and word.
type Remembered = HashMap<(Lang, String), Vec<String>>;

static REMEMBERED: LazyLock<Mutex<Remembered>> = LazyLock::new(|| Mutex::new(HashMap::new()));

impl Lang {
    /// Every language, in the order of this enum.
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// The language of a tag such as `fr`, `FR`, `fr-CA`, `en_GB`: its first subtag.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        match primary.to_ascii_lowercase().as_str() {
            "fr" | "fra" | "fre" => Some(Lang::Fr),
            "en" | "eng" => Some(Lang::En),
            _ => None,
        }
    }

    /// The ISO 639-1 code: `fr`, `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The language's English name, as findings say it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Fr => "French",
            Lang::En => "English",
        }
    }

    fn dictionary(self) -> &'static Dictionary {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }

    /// Whether the dictionary knows `word` (as written: `Paris`, `l'équipe`, `aujourd’hui`).
    pub fn knows(self, word: &str) -> bool {
        self.dictionary().check(word)
    }

    /// Up to [`MAX_SUGGESTIONS`] corrections of `word`, most likely first; none when the
    /// dictionary knows the word.
    pub fn suggest(self, word: &str) -> Vec<String> {
        if self.knows(word) || word.chars().count() > MAX_SUGGESTED_LEN {
            return Vec::new();
        }
        let key = (self, word.to_owned());
        if let Some(found) = REMEMBERED.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return found.clone();
        }
        let mut found = Search::new(self, word).run();
        if found.is_empty() && self == Lang::En {
            let mut more = Vec::new();
            self.dictionary().suggest(word, &mut more);
            more.truncate(MAX_SUGGESTIONS);
            found = more;
        }
        let mut remembered = REMEMBERED.lock().unwrap_or_else(PoisonError::into_inner);
        if remembered.len() >= MEMORY {
            remembered.clear();
        }
        remembered.insert(key, found.clone());
        found
    }

    /// Letters tried in replacements and insertions.
    fn alphabet(self) -> &'static str {
        match self {
            Lang::Fr => "esaitnrulodcpmévqfgbhàxèjyêzçôîâùûœëïük",
            Lang::En => "esianrtolcdugmphbyfvkwzxjq",
        }
    }

    /// Rows of the keyboard the language is usually typed on.
    fn keyboard(self) -> [&'static str; 3] {
        match self {
            Lang::Fr => ["azertyuiop", "qsdfghjklm", "wxcvbn"],
            Lang::En => ["qwertyuiop", "asdfghjkl", "zxcvbnm"],
        }
    }
}

/// Parses the dictionaries of `langs` now rather than on the first check (a server calls this
/// at start-up).
pub fn preload(langs: &[Lang]) {
    for lang in langs {
        lang.dictionary();
    }
}

/// The letters that differ from `c` only by an accent, `c` left out, in the case of `c`.
fn accent_variants(c: char) -> impl Iterator<Item = char> {
    const GROUPS: [&str; 7] = ["aàâä", "eéèêë", "iîï", "oôö", "uùûü", "cç", "yÿ"];
    let lower = c.to_lowercase().next().unwrap_or(c);
    let upper = c.is_uppercase();
    let group = GROUPS.iter().find(|g| g.contains(lower)).copied().unwrap_or("");
    group.chars().filter(move |&v| v != lower).map(move |v| {
        if upper {
            v.to_uppercase().next().unwrap_or(v)
        } else {
            v
        }
    })
}

/// One search for the corrections of a word.
struct Search {
    lang: Lang,
    word: Vec<char>,
    tried: HashSet<String>,
    found: Vec<String>,
}

impl Search {
    fn new(lang: Lang, word: &str) -> Self {
        let mut tried = HashSet::new();
        tried.insert(word.to_owned());
        Self { lang, word: word.chars().collect(), tried, found: Vec::new() }
    }

    fn full(&self) -> bool {
        self.found.len() >= MAX_SUGGESTIONS
    }

    /// Looks `candidate` up, once.
    fn try_chars(&mut self, candidate: &[char]) {
        let candidate: String = candidate.iter().collect();
        if self.full() || !self.tried.insert(candidate.clone()) {
            return;
        }
        if self.lang.knows(&candidate) {
            self.found.push(candidate);
        }
    }

    fn letter(&self, i: usize) -> bool {
        self.word.get(i).is_some_and(|c| c.is_alphabetic())
    }

    fn run(mut self) -> Vec<String> {
        self.case_and_accents();
        if !self.found.is_empty() {
            return self.found;
        }
        self.doubled_letters();
        self.apostrophes();
        self.swaps();
        self.replacements(true);
        self.replacements(false);
        self.insertions();
        self.deletions();
        self.splits();
        if self.found.is_empty() {
            self.accent_and_doubled_letter();
        }
        self.found
    }

    /// An initial capital; one or two letters with another accent (one only in a word with
    /// more than [`PAIRED_ACCENTS`] letters that could take one).
    fn case_and_accents(&mut self) {
        if let Some(first) = self.word.first().filter(|c| c.is_lowercase()) {
            let mut w = self.word.clone();
            w[0] = first.to_uppercase().next().unwrap_or(*first);
            self.try_chars(&w);
        }
        let positions: Vec<usize> =
            (0..self.word.len()).filter(|&i| accent_variants(self.word[i]).next().is_some()).collect();
        let mut w = self.word.clone();
        for (k, &i) in positions.iter().enumerate() {
            for a in accent_variants(self.word[i]) {
                w[i] = a;
                self.try_chars(&w);
                let pairs = if positions.len() <= PAIRED_ACCENTS { &positions[k + 1..] } else { &[] };
                for &j in pairs {
                    for b in accent_variants(self.word[j]) {
                        w[j] = b;
                        self.try_chars(&w);
                    }
                    w[j] = self.word[j];
                }
            }
            w[i] = self.word[i];
        }
    }

    /// `helo` → `hello`, `téléphonne` → `téléphone`.
    fn doubled_letters(&mut self) {
        for i in 0..self.word.len() {
            if !self.letter(i) {
                continue;
            }
            let mut w = self.word.clone();
            if self.word.get(i + 1) == Some(&self.word[i]) {
                w.remove(i);
            } else {
                w.insert(i, self.word[i]);
            }
            self.try_chars(&w);
        }
    }

    /// `teh` → `the`.
    fn swaps(&mut self) {
        for i in 1..self.word.len() {
            if self.letter(i - 1) && self.letter(i) && self.word[i - 1] != self.word[i] {
                let mut w = self.word.clone();
                w.swap(i - 1, i);
                self.try_chars(&w);
            }
        }
    }

    /// Keys next to `c` (same row, either side; same place on the rows above and below).
    fn neighbours(&self, c: char) -> Vec<char> {
        let rows = self.lang.keyboard();
        let mut out = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            let Some(col) = row.chars().position(|k| k == c) else { continue };
            let chars: Vec<char> = row.chars().collect();
            out.extend(col.checked_sub(1).map(|p| chars[p]));
            out.extend(chars.get(col + 1));
            for other in [r.checked_sub(1), Some(r + 1)].into_iter().flatten() {
                out.extend(rows.get(other).and_then(|o| o.chars().nth(col)));
            }
        }
        out
    }

    /// One letter replaced: by a neighbouring key, or by any letter of the alphabet.
    fn replacements(&mut self, neighbours_only: bool) {
        for i in 0..self.word.len() {
            if !self.letter(i) {
                continue;
            }
            let original = self.word[i];
            let lower = original.to_lowercase().next().unwrap_or(original);
            let letters: Vec<char> =
                if neighbours_only { self.neighbours(lower) } else { self.lang.alphabet().chars().collect() };
            let mut w = self.word.clone();
            for l in letters {
                w[i] = if original.is_uppercase() { l.to_uppercase().next().unwrap_or(l) } else { l };
                self.try_chars(&w);
            }
        }
    }

    /// An apostrophe between two letters: `aujourdhui` → `aujourd'hui`, `dont` → `don't`.
    fn apostrophes(&mut self) {
        for i in 1..self.word.len() {
            if self.letter(i - 1) && self.letter(i) {
                let mut w = self.word.clone();
                w.insert(i, '\'');
                self.try_chars(&w);
            }
        }
    }

    /// One letter added anywhere.
    fn insertions(&mut self) {
        for i in 0..=self.word.len() {
            for l in self.lang.alphabet().chars() {
                let mut w = self.word.clone();
                w.insert(i, l);
                self.try_chars(&w);
            }
        }
    }

    /// One letter removed.
    fn deletions(&mut self) {
        for i in 0..self.word.len() {
            if self.letter(i) && self.word.len() > 1 {
                let mut w = self.word.clone();
                w.remove(i);
                self.try_chars(&w);
            }
        }
    }

    /// `alot` → `a lot`. A part of one letter must be a word of one letter (`a`, `à`, `y`).
    fn splits(&mut self) {
        let part_ok = |part: &[char]| match part {
            [c] => matches!(c.to_lowercase().next(), Some('a' | 'à' | 'y' | 'i')),
            _ => part.iter().all(|c| c.is_alphabetic()),
        };
        for i in 1..self.word.len() {
            let (a, b) = self.word.split_at(i);
            if !self.full() && part_ok(a) && part_ok(b) {
                let (a, b): (String, String) = (a.iter().collect(), b.iter().collect());
                let split = format!("{a} {b}");
                if self.lang.knows(&a) && self.lang.knows(&b) && self.tried.insert(split.clone()) {
                    self.found.push(split);
                }
            }
        }
    }

    /// One letter with another accent and one letter doubled or undoubled: `developement` →
    /// `développement`. Tried last, when nothing else gave a word.
    fn accent_and_doubled_letter(&mut self) {
        let original = self.word.clone();
        for i in 0..original.len() {
            for a in accent_variants(original[i]) {
                self.word = original.clone();
                self.word[i] = a;
                self.doubled_letters();
            }
        }
        self.word = original;
    }
}
