//! The editorial charter of a workspace (capabilities B2, B3): writers read it, SMMs and admins
//! change it, and every post is checked against it before it is stored.
//!
//! The charter is edited as a form of text fields ([`CharterForm`]: one banned word a line,
//! `channel: #a #b` lines for hashtags, `Name: kw1, kw2 = 30%` lines for pillars…) and stored
//! as the JSON document `tutti_charter` reads. A line that does not parse is refused with its
//! field and its number (`pillars: line 2: the target must be a percentage…`), and nothing is
//! saved. The checks themselves are `tutti_charter`'s pure functions; they run on the blocking
//! pool, since a misspelled word costs milliseconds of dictionary search.

use std::collections::HashMap;

use serde_json::json;
use tutti_domain::input::clip;
use tutti_domain::{Action, InputError};
use tutti_store::charters;
use tutti_store::publishing;
use tutti_store::{Db, StoreError};
use unicode_segmentation::UnicodeSegmentation;

pub use tutti_charter::{
    blocks, check, pillar_of, pillar_shares, preload, Charter, CheckKind, Draft, Finding, Image, Lang,
    Pillar, Severities, Severity,
};

use crate::accounts::record;
use crate::{Actor, App, AppError};

/// Longest tone notes, in characters.
pub const MAX_TONE_CHARS: usize = 4000;
/// Most banned words and phrases.
pub const MAX_BANNED: usize = 300;
/// Most lines of required hashtags.
pub const MAX_HASHTAG_LINES: usize = 50;
/// Most hashtags on one line.
pub const MAX_TAGS_PER_LINE: usize = 20;
/// Most content pillars.
pub const MAX_PILLARS: usize = 20;
/// Most keywords of one pillar.
pub const MAX_KEYWORDS: usize = 50;
/// Most words of the vocabulary.
pub const MAX_VOCABULARY: usize = 2000;
/// Longest word, phrase, keyword, hashtag or pillar name, in characters.
pub const MAX_ENTRY_CHARS: usize = 100;

/// The charter as its form shows it: text fields, one entry a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CharterForm {
    /// The tone of voice, for writers; free text.
    pub tone_notes: String,
    /// Banned words and phrases, one a line (`arnaque`, `c'est nul`, `arnaq*`).
    pub banned: String,
    /// Required hashtags, one channel a line: `@brand@mastodon.example: #a #b`, or `*: #a` for
    /// every channel.
    pub required_hashtags: String,
    /// Whether images need alt text.
    pub alt_text_required: bool,
    /// The languages drafts are spell-checked in (`fr, en`; empty turns spelling off).
    pub spelling: String,
    /// Content pillars, one a line: `Name: keyword, other keyword = 30%` (the target is
    /// optional; targets add up to 100% at most).
    pub pillars: String,
    /// Words the spelling check accepts, one a line or separated by commas.
    pub vocabulary: String,
    /// `block` or `warn` for banned words (empty: the default).
    pub severity_banned: String,
    /// `block` or `warn` for missing hashtags.
    pub severity_hashtags: String,
    /// `block` or `warn` for images without alt text.
    pub severity_alt_text: String,
    /// `block` or `warn` for spelling.
    pub severity_spelling: String,
}

/// A severity as the form writes it.
pub fn severity_code(s: Severity) -> &'static str {
    match s {
        Severity::Block => "block",
        Severity::Warn => "warn",
    }
}

/// A share from 0 to 1 written as a percentage, without a useless decimal (`30`, `12.5`).
fn percent(share: f32) -> String {
    let p = (f64::from(share) * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p:.1}")
    }
}

impl CharterForm {
    /// The form of a stored charter.
    pub fn of(c: &Charter) -> CharterForm {
        let mut keys: Vec<&String> = c.required_hashtags.keys().collect();
        keys.sort_by_key(|k| (k.trim() != "*", k.to_lowercase()));
        let required_hashtags = keys
            .into_iter()
            .filter(|k| !c.required_hashtags[*k].is_empty())
            .map(|k| {
                let tags: Vec<String> = c.required_hashtags[k]
                    .iter()
                    .map(|t| format!("#{}", t.trim().trim_start_matches('#')))
                    .collect();
                format!("{}: {}", k.trim(), tags.join(" "))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let pillars = c
            .pillars
            .iter()
            .map(|p| {
                let line = format!("{}: {}", p.name, p.keywords.join(", "));
                if p.target_share > 0.0 {
                    format!("{line} = {}%", percent(p.target_share))
                } else {
                    line
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        CharterForm {
            tone_notes: c.tone_notes.clone(),
            banned: c.banned.join("\n"),
            required_hashtags,
            alt_text_required: c.alt_text_required,
            spelling: c.spelling.iter().map(|l| l.code()).collect::<Vec<_>>().join(", "),
            pillars,
            vocabulary: c.vocabulary.join("\n"),
            severity_banned: severity_code(c.severity.banned).into(),
            severity_hashtags: severity_code(c.severity.hashtags).into(),
            severity_alt_text: severity_code(c.severity.alt_text).into(),
            severity_spelling: severity_code(c.severity.spelling).into(),
        }
    }

    /// Reads the form into a charter; the first problem is reported at its field, with the
    /// line at fault when the field has lines.
    pub fn parse(&self) -> Result<Charter, InputError> {
        let tone_notes = self.tone_notes.trim().to_owned();
        if tone_notes.chars().count() > MAX_TONE_CHARS {
            return Err(InputError::new(
                "tone_notes",
                "charter_too_long",
                format!("the tone notes are over {MAX_TONE_CHARS} characters"),
            ));
        }
        let severity = Severities {
            banned: parse_severity(&self.severity_banned, "severity_banned", Severities::default().banned)?,
            hashtags: parse_severity(
                &self.severity_hashtags,
                "severity_hashtags",
                Severities::default().hashtags,
            )?,
            alt_text: parse_severity(
                &self.severity_alt_text,
                "severity_alt_text",
                Severities::default().alt_text,
            )?,
            spelling: parse_severity(
                &self.severity_spelling,
                "severity_spelling",
                Severities::default().spelling,
            )?,
        };
        Ok(Charter {
            tone_notes,
            banned: parse_banned(&self.banned)?,
            required_hashtags: parse_hashtags(&self.required_hashtags)?,
            alt_text_required: self.alt_text_required,
            pillars: parse_pillars(&self.pillars)?,
            spelling: parse_langs(&self.spelling)?,
            vocabulary: parse_vocabulary(&self.vocabulary)?,
            severity,
        })
    }
}

fn parse_severity(value: &str, field: &'static str, default: Severity) -> Result<Severity, InputError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Ok(default),
        "block" => Ok(Severity::Block),
        "warn" => Ok(Severity::Warn),
        _ => Err(InputError::new(field, "charter_severity", "choose block or warn")),
    }
}

/// The non-blank lines of a field, numbered from 1 as the person sees them.
fn lines(value: &str) -> impl Iterator<Item = (usize, &str)> {
    value.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty())
}

fn too_long(s: &str) -> bool {
    s.chars().count() > MAX_ENTRY_CHARS
}

fn parse_banned(value: &str) -> Result<Vec<String>, InputError> {
    let mut banned: Vec<String> = Vec::new();
    for (n, line) in lines(value) {
        let bad = |message: String| InputError::new("banned", "charter_line", format!("line {n}: {message}"));
        if too_long(line) {
            return Err(bad(format!("over {MAX_ENTRY_CHARS} characters")));
        }
        if !line.chars().any(char::is_alphanumeric) {
            return Err(bad(format!("{:?} has no letter to look for", clip(line, 40))));
        }
        if !banned.iter().any(|b| b.to_lowercase() == line.to_lowercase()) {
            banned.push(line.to_owned());
        }
    }
    if banned.len() > MAX_BANNED {
        return Err(InputError::new(
            "banned",
            "charter_too_many",
            format!("at most {MAX_BANNED} banned words and phrases"),
        ));
    }
    Ok(banned)
}

/// Whether `tag` (without its `#`) is a hashtag the networks recognise.
fn is_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.chars().all(|c| c.is_alphanumeric() || c == '_')
        && tag.chars().any(|c| !c.is_ascii_digit())
}

fn parse_hashtags(value: &str) -> Result<HashMap<String, Vec<String>>, InputError> {
    let mut required: HashMap<String, Vec<String>> = HashMap::new();
    let mut count = 0;
    for (n, line) in lines(value) {
        let bad = |message: String| {
            InputError::new("required_hashtags", "charter_line", format!("line {n}: {message}"))
        };
        count += 1;
        if count > MAX_HASHTAG_LINES {
            return Err(bad(format!("at most {MAX_HASHTAG_LINES} lines")));
        }
        // A channel handle has no colon, so the first colon ends it.
        let Some((channel, tags)) = line.split_once(':') else {
            return Err(bad(
                "write the channel, a colon and the hashtags (*: #Brand for every channel)".into()
            ));
        };
        let channel = channel.trim();
        if channel.is_empty() {
            return Err(bad("the channel is missing before the colon (* for every channel)".into()));
        }
        if channel.chars().any(char::is_whitespace) || channel.chars().count() > 253 {
            return Err(bad(format!("{:?} is not a channel handle", clip(channel, 40))));
        }
        let tags: Vec<&str> =
            tags.split(|c: char| c.is_whitespace() || c == ',').filter(|t| !t.is_empty()).collect();
        if tags.is_empty() {
            return Err(bad("no hashtag after the colon".into()));
        }
        if tags.len() > MAX_TAGS_PER_LINE {
            return Err(bad(format!("at most {MAX_TAGS_PER_LINE} hashtags a line")));
        }
        // Lines for the same channel (`@brand` and `brand` are one) add up.
        let key = required
            .keys()
            .find(|k| {
                k.trim_start_matches('@').to_lowercase() == channel.trim_start_matches('@').to_lowercase()
            })
            .cloned()
            .unwrap_or_else(|| channel.to_owned());
        let entry = required.entry(key).or_default();
        for tag in tags {
            let bare = tag.strip_prefix('#').unwrap_or(tag);
            if !is_tag(bare) || too_long(bare) {
                return Err(bad(format!("{:?} is not a hashtag", clip(tag, 40))));
            }
            if !entry.iter().any(|t| t.to_lowercase() == bare.to_lowercase()) {
                entry.push(bare.to_owned());
            }
        }
    }
    Ok(required)
}

fn parse_langs(value: &str) -> Result<Vec<Lang>, InputError> {
    let mut langs = Vec::new();
    for tag in value.split(|c: char| c == ',' || c.is_whitespace()).filter(|t| !t.is_empty()) {
        let lang = Lang::from_tag(tag).ok_or_else(|| {
            InputError::new(
                "spelling",
                "charter_lang",
                format!("{:?} is not a language the check knows (fr, en)", clip(tag, 20)),
            )
        })?;
        if !langs.contains(&lang) {
            langs.push(lang);
        }
    }
    Ok(langs)
}

fn parse_pillars(value: &str) -> Result<Vec<Pillar>, InputError> {
    let mut pillars: Vec<Pillar> = Vec::new();
    let mut total = 0.0_f64;
    for (n, line) in lines(value) {
        let bad =
            |message: String| InputError::new("pillars", "charter_line", format!("line {n}: {message}"));
        if pillars.len() == MAX_PILLARS {
            return Err(bad(format!("at most {MAX_PILLARS} pillars")));
        }
        let Some((name, rest)) = line.split_once(':') else {
            return Err(
                bad("write the name, a colon and the keywords (Name: keyword, keyword = 30%)".into()),
            );
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(bad("the pillar has no name before the colon".into()));
        }
        if too_long(name) {
            return Err(bad(format!("the name is over {MAX_ENTRY_CHARS} characters")));
        }
        if pillars.iter().any(|p| p.name.to_lowercase() == name.to_lowercase()) {
            return Err(bad(format!("{:?} is already a pillar", clip(name, 40))));
        }
        let (keywords, target) = match rest.rsplit_once('=') {
            Some((keywords, target)) => (keywords, Some(target)),
            None => (rest, None),
        };
        let share = match target {
            None => 0.0,
            Some(t) => {
                let number = t.trim().trim_end_matches('%').trim().replace(',', ".");
                match number.parse::<f64>() {
                    Ok(p) if p.is_finite() && (0.0..=100.0).contains(&p) => p,
                    _ => return Err(bad("the target must be a percentage from 0 to 100 (= 30%)".into())),
                }
            }
        };
        let keywords: Vec<String> =
            keywords.split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned).collect();
        if keywords.is_empty() {
            return Err(bad("give at least one keyword after the colon".into()));
        }
        if keywords.len() > MAX_KEYWORDS {
            return Err(bad(format!("at most {MAX_KEYWORDS} keywords a pillar")));
        }
        if let Some(k) = keywords.iter().find(|k| too_long(k) || !k.chars().any(char::is_alphanumeric)) {
            return Err(bad(format!("{:?} is not a keyword", clip(k, 40))));
        }
        total += share;
        pillars.push(Pillar { name: name.to_owned(), keywords, target_share: (share / 100.0) as f32 });
    }
    if total > 100.0 + 1e-9 {
        return Err(InputError::new(
            "pillars",
            "charter_targets",
            format!(
                "the targets add up to {}%; they must add up to 100% at most",
                (total * 10.0).round() / 10.0
            ),
        ));
    }
    Ok(pillars)
}

fn parse_vocabulary(value: &str) -> Result<Vec<String>, InputError> {
    let mut words: Vec<String> = Vec::new();
    for (n, line) in lines(value) {
        for word in line.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            if too_long(word) {
                return Err(InputError::new(
                    "vocabulary",
                    "charter_line",
                    format!("line {n}: over {MAX_ENTRY_CHARS} characters"),
                ));
            }
            if !words.iter().any(|w| w == word) {
                words.push(word.to_owned());
            }
        }
    }
    if words.len() > MAX_VOCABULARY {
        return Err(InputError::new(
            "vocabulary",
            "charter_too_many",
            format!("at most {MAX_VOCABULARY} words"),
        ));
    }
    Ok(words)
}

/// The charter of a workspace: the one saved, or the default.
pub(crate) async fn charter_of(db: &mut Db, workspace_id: i64) -> Result<Charter, AppError> {
    match charters::charter_of(db, workspace_id).await? {
        None => Ok(Charter::default()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| AppError::Internal(format!("the stored editorial charter does not read: {e}"))),
    }
}

/// The language a draft is checked in: the post's only language, when it has one.
pub(crate) fn draft_lang(langs: &[String]) -> Option<String> {
    match langs {
        [one] => Some(one.trim().to_owned()),
        _ => None,
    }
}

/// Checks drafts against a charter on the blocking pool, one list of findings per draft.
pub(crate) async fn check_all(charter: Charter, drafts: Vec<Draft>) -> Result<Vec<Vec<Finding>>, AppError> {
    tokio::task::spawn_blocking(move || drafts.iter().map(|d| check(&charter, d)).collect())
        .await
        .map_err(|e| AppError::Internal(format!("the charter check failed: {e}")))
}

/// Line and column (1-based, in characters as people count them) of byte `at` of `text`.
pub fn position(text: &str, at: usize) -> (usize, usize) {
    let Some(before) = text.get(..at) else { return (1, 1) };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    (line, before[line_start..].graphemes(true).count() + 1)
}

/// Where a finding is, as a message says it: `col 12`, or `line 2, col 5` in a text of
/// several lines.
fn place(text: &str, at: usize) -> String {
    let (line, col) = position(text, at);
    if text.contains('\n') {
        format!("line {line}, col {col}")
    } else {
        format!("col {col}")
    }
}

/// One finding in a sentence for an error message: `"arnaque" is banned (col 12)`.
pub fn describe(text: &str, f: &Finding) -> String {
    let word = f.range().and_then(|r| text.get(r)).map(|w| clip(w, 60));
    match (f.kind, word, f.start) {
        (CheckKind::Banned, Some(w), Some(at)) => format!("\"{w}\" is banned ({})", place(text, at)),
        (CheckKind::Spelling, Some(w), Some(at)) => match &f.suggestion {
            Some(s) => {
                format!("\"{w}\" is not in the dictionary ({}; did you mean \"{s}\"?)", place(text, at))
            }
            None => format!("\"{w}\" is not in the dictionary ({})", place(text, at)),
        },
        (CheckKind::Hashtags, _, _) => match &f.suggestion {
            Some(tag) => format!("the hashtag {tag} is missing"),
            None => f.message.trim_end_matches('.').to_owned(),
        },
        _ => {
            let m = f.message.trim_end_matches('.');
            let mut chars = m.chars();
            chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
        }
    }
}

/// The refusal for findings that block a draft, if any does: at `text`, or at `images` when
/// only alt text is missing. The message lists every blocking finding.
pub(crate) fn refusal(text: &str, findings: &[Finding]) -> Option<(&'static str, String)> {
    let blocking: Vec<&Finding> = findings.iter().filter(|f| f.severity == Severity::Block).collect();
    if blocking.is_empty() {
        return None;
    }
    let field = if blocking.iter().all(|f| f.kind == CheckKind::AltText) { "images" } else { "text" };
    let list: Vec<String> = blocking.iter().map(|f| describe(text, f)).collect();
    Some((field, format!("the editorial charter blocks this post: {}", list.join("; "))))
}

impl App {
    /// The workspace's editorial charter (the default until an SMM saves one). Everyone who
    /// writes posts reads it.
    pub async fn charter(&self, actor: &Actor, slug: &str) -> Result<Charter, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        charter_of(&mut *self.store.conn().await?, access.workspace.id).await
    }

    /// Replaces the workspace's editorial charter with the one the form says. SMMs and
    /// admins only; the change is audited with the charter before and after.
    pub async fn set_charter(
        &self,
        actor: &Actor,
        slug: &str,
        form: &CharterForm,
    ) -> Result<Charter, AppError> {
        let access = self.workspace_access(actor, slug, Action::ApprovePosts).await?;
        let after = form.parse()?;
        let json = serde_json::to_string(&after)
            .map_err(|e| AppError::Internal(format!("the editorial charter does not write: {e}")))?;
        let mut tx = self.store.begin().await?;
        let before = charter_of(&mut tx, access.workspace.id).await?;
        charters::save(&mut tx, access.workspace.id, &json).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "charter.update",
            &access.workspace.name,
            Some(json!({"charter": before})),
            Some(json!({"charter": after})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(after)
    }

    /// Checks a draft against the workspace's charter, as the composer does while the post is
    /// written: `channel` by handle or id (an unknown one gets the checks of every channel),
    /// one alt text per attached image (empty when it has none), the post's languages.
    pub async fn check_post(
        &self,
        actor: &Actor,
        slug: &str,
        channel: &str,
        text: &str,
        alts: &[String],
        langs: &[String],
    ) -> Result<Vec<Finding>, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        let (charter, channels) = {
            let mut db = self.store.conn().await?;
            let charter = charter_of(&mut db, access.workspace.id).await?;
            (charter, publishing::channels_of(&mut db, access.workspace.id).await?)
        };
        let draft = Draft {
            text: text.to_owned(),
            channel_handle: crate::channels::find_channel(&channels, channel)
                .map(|c| c.handle.clone())
                .unwrap_or_default(),
            images: alts.iter().map(|a| Image { alt: a.clone() }).collect(),
            lang: draft_lang(langs),
        };
        Ok(check_all(charter, vec![draft]).await?.pop().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> CharterForm {
        CharterForm {
            tone_notes: "Chaleureux, jamais familier.".into(),
            banned: "arnaque\n\nc'est nul\nARNAQUE".into(),
            required_hashtags: "*: #MaisonLumière\n@maison.test: #Pain #pain, #Levain\nmaison.test: #Four"
                .into(),
            alt_text_required: true,
            spelling: "fr".into(),
            pillars:
                "Produits: pain, croissant = 40%\nSavoir-faire: four, levain = 12,5 %\nCoulisses: équipe"
                    .into(),
            vocabulary: "Lumière, viennoiserie\nMaisonLumière".into(),
            severity_banned: "block".into(),
            severity_hashtags: "warn".into(),
            severity_alt_text: "".into(),
            severity_spelling: "Block".into(),
        }
    }

    #[test]
    fn a_form_reads_into_a_charter_and_back() {
        let c = form().parse().unwrap();
        assert_eq!(c.banned, ["arnaque", "c'est nul"], "blank lines and repeats go");
        assert_eq!(c.required_hashtags["*"], ["MaisonLumière"]);
        assert_eq!(
            c.required_hashtags["@maison.test"],
            ["Pain", "Levain", "Four"],
            "one channel, two spellings"
        );
        assert_eq!(c.spelling, [Lang::Fr]);
        assert_eq!(c.pillars.len(), 3);
        assert_eq!((c.pillars[1].name.as_str(), c.pillars[1].target_share), ("Savoir-faire", 0.125));
        assert_eq!(c.pillars[2].target_share, 0.0);
        assert_eq!(c.vocabulary, ["Lumière", "viennoiserie", "MaisonLumière"]);
        assert_eq!((c.severity.alt_text, c.severity.spelling), (Severity::Warn, Severity::Block));
        let again = CharterForm::of(&c);
        assert!(again.pillars.contains("Savoir-faire: four, levain = 12.5%"), "{}", again.pillars);
        assert!(again.required_hashtags.starts_with("*: #MaisonLumière\n"), "{}", again.required_hashtags);
        assert_eq!(again.parse().unwrap(), c, "the form of a charter reads back the same");
        assert_eq!(CharterForm::default().parse().unwrap().spelling, [], "an empty form turns spelling off");
    }

    /// A change to the form, the field it is refused at, and what the refusal says.
    type Case = (fn(&mut CharterForm), &'static str, &'static str);

    #[test]
    fn a_bad_line_is_refused_at_its_field_with_its_number() {
        let cases: [Case; 9] = [
            (
                |f| f.pillars = "Produits: pain = 40%\nSavoir-faire: four = beaucoup".into(),
                "pillars",
                "line 2: the target must be a percentage",
            ),
            (
                |f| f.pillars = "Produits: pain = 140%".into(),
                "pillars",
                "line 1: the target must be a percentage",
            ),
            (|f| f.pillars = "A: pain = 60%\nB: four = 50%".into(), "pillars", "add up to 110%"),
            (|f| f.pillars = "\n\nProduits pain".into(), "pillars", "line 3: write the name, a colon"),
            (|f| f.pillars = "Produits: , = 10%".into(), "pillars", "line 1: give at least one keyword"),
            (|f| f.required_hashtags = "*: #ok\n@maison.test #Pain".into(), "required_hashtags", "line 2:"),
            (
                |f| f.required_hashtags = "*: #pas-un-tag".into(),
                "required_hashtags",
                "line 1: \"#pas-un-tag\" is not a hashtag",
            ),
            (|f| f.spelling = "fr, de".into(), "spelling", "\"de\" is not a language"),
            (|f| f.severity_banned = "maybe".into(), "severity_banned", "block or warn"),
        ];
        for (change, field, message) in cases {
            let mut f = form();
            change(&mut f);
            let e = f.parse().unwrap_err();
            assert_eq!(e.field, field, "{message}");
            assert!(e.message.contains(message), "{} does not say {message:?}", e.message);
        }
        let mut f = form();
        f.banned = "ok\n!!!".into();
        assert_eq!(f.parse().unwrap_err().message, "line 2: \"!!!\" has no letter to look for");
    }

    #[test]
    fn a_refusal_names_each_blocking_finding_and_its_place() {
        let charter: Charter = serde_json::from_str(
            r##"{"banned": ["arnaque"], "spelling": [], "required_hashtags": {"*": ["Tutti"]}}"##,
        )
        .unwrap();
        let text = "Pas d’arnaque ici 🎉 ARNAQUE";
        let findings = check(&charter, &Draft { text: text.into(), ..Draft::default() });
        let (field, message) = refusal(text, &findings).unwrap();
        assert_eq!(field, "text");
        assert!(message.contains("\"arnaque\" is banned (col 7)"), "{message}");
        assert!(message.contains("\"ARNAQUE\" is banned (col 21)"), "graphemes are counted: {message}");
        assert!(!message.contains("#Tutti"), "a warning is not a refusal: {message}");

        let two_lines = "Bonjour\nune arnaque";
        let findings = check(&charter, &Draft { text: two_lines.into(), ..Draft::default() });
        assert!(refusal(two_lines, &findings).unwrap().1.contains("(line 2, col 5)"));

        let alt_only: Charter = serde_json::from_str(r#"{"severity": {"alt_text": "block"}}"#).unwrap();
        let draft = Draft { text: "Bonjour".into(), images: vec![Image::default()], ..Draft::default() };
        let (field, message) = refusal("Bonjour", &check(&alt_only, &draft)).unwrap();
        assert_eq!(
            (field, message.as_str()),
            ("images", "the editorial charter blocks this post: the image has no alt text")
        );
        assert!(
            refusal("Bonjour", &check(&Charter::default(), &draft)).is_none(),
            "alt text warns by default"
        );
    }
}
