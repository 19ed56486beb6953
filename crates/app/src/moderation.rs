//! Moderation (D5): rules that watch what the community writes to the brand's accounts.
//!
//! - A rule holds conditions, all of which must hold (words or phrases, folded so that case and
//!   accents do not matter; a bounded regular expression; a toxicity threshold; authors by
//!   handle or DID; languages; links to listed domains; kinds), and one or more actions: local
//!   ones applied at once (tag, assign, priority, an automatic reply that goes to review
//!   during a crisis) and network ones run by the worker as `inbox.action` jobs (hide the
//!   reply, mute, block, report).
//! - New items are checked when the inbox stores them, in the same transaction: which rule hit
//!   which item is recorded, with every action and what undoes it.
//! - A dry run shows which of the latest items a rule (saved or not) would have hit, changing
//!   nothing.
//! - Repeat offenders: a troll score per person over the last 30 days (rule hits and toxic
//!   items, decayed with a 10-day scale).
//! - The moderation log lists every action; tags, assignment and priority are reverted here,
//!   hides, mutes and blocks undone on the network by the worker. Every change is audited.
//! - "New account": the author's account was opened less than N days before they wrote, as
//!   the network's notification says (Bluesky's profile `createdAt`, Mastodon's account
//!   `created_at`); an item whose network does not say is not hit by that condition.

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::warn;
use tutti_connector::Networks;
use tutti_domain::{Action, ActionStatus, InputError, ItemKind, PostStatus, RuleActionKind};
use tutti_store::moderation::{self as store, Candidate, LogEntry, NewAction, Rule};
use tutti_store::{alerts, audit, inbox, publishing, Db, StoreError, DAY_MS};

use crate::accounts::record;
use crate::{Actor, App, AppError};

/// The toxicity from which an item is flagged.
pub const TOXIC_AT: f64 = tutti_nlp::FLAG_THRESHOLD as f64;
/// The job queue of actions on the networks asked from the inbox and by the rules (payload
/// `{"action": id}`).
pub const ACTION_QUEUE: &str = "inbox.action";

/// How many recent items a dry run reads by default.
pub const DRY_RUN_LAST: i64 = 500;
/// The most a dry run reads.
pub const DRY_RUN_MAX: i64 = 5_000;
/// The actions the worker runs on the networks.
pub const NETWORK_ACTIONS: [&str; 4] = ["hide", "mute", "block", "report"];
/// The actions that can be undone on the network.
pub const UNDOABLE_ON_NETWORK: [&str; 3] = ["hide", "mute", "block"];
/// The kinds of item rules look at: those that ask for an answer (what someone wrote).
pub const RULE_KINDS: [ItemKind; 4] = ItemKind::ANSWERABLE;
/// The longest "new account" age a rule may ask for, days.
pub const MAX_NEW_ACCOUNT_DAYS: u32 = 3_650;
/// The longest regular expression, characters.
pub const MAX_REGEX_CHARS: usize = 500;
/// The longest automatic reply, characters.
pub const MAX_REPLY_CHARS: usize = 300;
/// How far back the troll score looks, ms.
pub const SCORE_WINDOW_MS: i64 = 30 * 86_400_000;
/// The troll score's decay scale, ms.
const SCORE_SCALE_MS: f64 = 10.0 * 86_400_000.0;

/// What must hold for a rule to hit an item (every condition given).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conditions {
    /// Words or phrases, any of which (folded: case and accents ignored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<String>,
    /// A regular expression (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Toxicity at least this (0 to 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toxicity: Option<f64>,
    /// A swear word, however spelt (the enrichment's `toxicity.profane`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub profane: bool,
    /// Authors, by handle or DID / account id (lower case, no `@`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// Languages (primary subtags).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub langs: Vec<String>,
    /// Links to these domains (or their subdomains).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    /// Kinds of item; all of reply, mention, quote, dm when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<ItemKind>,
    /// The author's account was opened less than this many days before they wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_account_days: Option<u32>,
}

/// One action of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleAction {
    /// tag, assign, priority, hide, mute, block, report, reply.
    pub kind: RuleActionKind,
    /// Its argument: the tag, the member's e-mail, the priority, the report reason, the text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
}

/// A rule as written in a form or on the command line; lists are comma-separated.
#[derive(Debug, Clone, Default)]
pub struct RuleToWrite {
    /// Its name.
    pub name: String,
    /// Whether it runs.
    pub enabled: bool,
    /// Words or phrases (comma or line separated).
    pub words: String,
    /// A regular expression.
    pub regex: String,
    /// A toxicity threshold, 0 to 1, or `profane` (a swear word, however spelt).
    pub toxicity: String,
    /// Handles or DIDs.
    pub authors: String,
    /// Language codes.
    pub langs: String,
    /// Domains.
    pub domains: String,
    /// reply, mention, quote, dm.
    pub kinds: String,
    /// Hits authors whose account is younger than this many days.
    pub new_account_days: String,
    /// `hide,mute,block,report[:spam|abusive|other],tag:<tag>,assign:<e-mail>,priority:<0-3>,reply`.
    pub actions: String,
    /// The automatic reply's text (implies the `reply` action).
    pub reply: String,
}

/// A rule with its conditions and actions read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleView {
    /// The stored rule.
    #[serde(flatten)]
    pub rule: Rule,
    /// Its conditions.
    #[serde(rename = "when")]
    pub conditions: Conditions,
    /// Its actions.
    #[serde(rename = "then")]
    pub actions: Vec<RuleAction>,
    /// How many items it hit.
    pub hits: i64,
}

/// An item the rules look at.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// reply, mention, quote, dm.
    pub kind: ItemKind,
    /// The text.
    pub text: &'a str,
    /// Its language.
    pub lang: &'a str,
    /// 0 to 1.
    pub toxicity: f64,
    /// The author's network id.
    pub author_id: &'a str,
    /// Their handle.
    pub author_handle: &'a str,
    /// When they wrote it, ms.
    pub at: i64,
    /// When their account was created, ms, if known.
    pub author_since: Option<i64>,
}

impl<'a> From<&'a Candidate> for Subject<'a> {
    fn from(c: &'a Candidate) -> Subject<'a> {
        Subject {
            kind: c.kind,
            text: &c.text,
            lang: &c.lang,
            toxicity: c.toxicity,
            author_id: &c.author_id,
            author_handle: &c.author_handle,
            at: c.created_at,
            author_since: c.author_since,
        }
    }
}

/// Conditions ready to run.
#[derive(Debug, Clone)]
pub struct Matcher {
    words: Vec<String>,
    regex: Option<Regex>,
    c: Conditions,
}

fn compile(pattern: &str) -> Result<Regex, InputError> {
    if pattern.chars().count() > MAX_REGEX_CHARS {
        return Err(InputError::new(
            "regex",
            "regex_too_long",
            format!("a regular expression is at most {MAX_REGEX_CHARS} characters"),
        ));
    }
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .nest_limit(50)
        .build()
        .map_err(|e| {
            let why: String = e.to_string().lines().last().unwrap_or_default().chars().take(120).collect();
            InputError::new("regex", "regex_invalid", format!("not a valid regular expression: {why}"))
        })
}

impl Matcher {
    /// Compiles conditions (the regular expression bounded in size).
    pub fn new(c: &Conditions) -> Result<Matcher, InputError> {
        let regex = c.regex.as_deref().filter(|r| !r.is_empty()).map(compile).transpose()?;
        let words = c.words.iter().map(|w| tutti_listen::fold(w)).filter(|w| !w.trim().is_empty()).collect();
        Ok(Matcher { words, regex, c: c.clone() })
    }

    /// Whether every condition holds for `s`.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        let kinds_ok = if self.c.kinds.is_empty() {
            RULE_KINDS.contains(&s.kind)
        } else {
            self.c.kinds.contains(&s.kind)
        };
        if !kinds_ok {
            return false;
        }
        if let Some(t) = self.c.toxicity {
            if s.toxicity < t {
                return false;
            }
        }
        if self.c.profane
            && !tutti_nlp::toxicity(s.text, tutti_nlp::Lang::from_code(s.lang.get(..2).unwrap_or(""))).profane
        {
            return false;
        }
        if let Some(days) = self.c.new_account_days {
            match s.author_since {
                Some(since) if s.at.saturating_sub(since) < i64::from(days) * DAY_MS => {}
                _ => return false,
            }
        }
        if !self.c.langs.is_empty() {
            let primary = s.lang.split(['-', '_']).next().unwrap_or_default().to_lowercase();
            if !self.c.langs.contains(&primary) {
                return false;
            }
        }
        if !self.c.authors.is_empty() {
            let id = s.author_id.to_lowercase();
            let handle = s.author_handle.trim_start_matches('@').to_lowercase();
            if !self.c.authors.iter().any(|a| *a == id || *a == handle) {
                return false;
            }
        }
        if !self.words.is_empty() {
            let folded = tutti_listen::fold(s.text);
            if !self.words.iter().any(|w| contains_word(&folded, w)) {
                return false;
            }
        }
        if let Some(re) = &self.regex {
            if !re.is_match(s.text) {
                return false;
            }
        }
        if !self.c.domains.is_empty() {
            let hosts = link_hosts(s.text);
            if !hosts.iter().any(|h| self.c.domains.iter().any(|d| h == d || h.ends_with(&format!(".{d}")))) {
                return false;
            }
        }
        true
    }
}

/// Whether `word` occurs in `text` as whole words (both already folded).
fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, w)| {
        let before = text[..at].chars().next_back();
        let after = text[at + w.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        (edge(before) || !word.starts_with(char::is_alphanumeric))
            && (edge(after) || !word.ends_with(char::is_alphanumeric))
    })
}

/// The hosts of the links in a text: `https://host/…`, and the bare `host.tld/…` that
/// Bluesky shows for a shortened link.
pub fn link_hosts(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in text.split_whitespace().take(2_000) {
        let t = token
            .trim_matches(|c: char| matches!(c, '(' | ')' | '<' | '>' | '"' | '\'' | ',' | ';' | '!' | '?'));
        let lower = t.to_lowercase();
        let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")).unwrap_or(&lower);
        let host = rest.split(['/', '?', '#', ':']).next().unwrap_or_default().trim_end_matches('.');
        let host = host.rsplit('@').next().unwrap_or_default();
        let Some((_, tld)) = host.rsplit_once('.') else { continue };
        if host.len() > 253
            || tld.len() < 2
            || !tld.chars().all(|c| c.is_ascii_alphabetic())
            || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            || host.starts_with('.')
        {
            continue;
        }
        let host = host.strip_prefix("www.").unwrap_or(host).to_owned();
        if !out.contains(&host) {
            out.push(host);
        }
    }
    out
}

fn list(v: &str) -> Vec<String> {
    v.split([',', '\n']).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

fn clip(s: &str) -> String {
    tutti_domain::input::clip(s, 40).to_string()
}

/// Reads and checks the conditions of a rule; the error names the field at fault.
pub fn parse_conditions(r: &RuleToWrite) -> Result<Conditions, InputError> {
    let mut c = Conditions::default();
    for w in list(&r.words) {
        if w.chars().count() > 100 || w.chars().any(char::is_control) {
            return Err(InputError::new(
                "words",
                "word_invalid",
                format!("{:?}: a word or phrase is up to 100 characters", clip(&w)),
            ));
        }
        if !c.words.contains(&w) {
            c.words.push(w);
        }
    }
    if c.words.len() > 200 {
        return Err(InputError::new("words", "too_many_words", "at most 200 words or phrases"));
    }
    let regex = r.regex.trim();
    if !regex.is_empty() {
        compile(regex)?;
        c.regex = Some(regex.to_owned());
    }
    let tox = r.toxicity.trim().replace(',', ".");
    if tox.eq_ignore_ascii_case("profane") {
        c.profane = true;
    } else if !tox.is_empty() {
        match tox.parse::<f64>() {
            Ok(t) if (0.0..=1.0).contains(&t) => c.toxicity = Some(t),
            _ => {
                return Err(InputError::new(
                    "toxicity",
                    "toxicity_invalid",
                    "the toxicity threshold is a number from 0 to 1, or profane",
                ))
            }
        }
    }
    for a in r.authors.split([',', '\n', ' ']).map(|a| a.trim().trim_start_matches('@').to_lowercase()) {
        if a.is_empty() {
            continue;
        }
        if a.chars().count() > 300 || a.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(InputError::new(
                "authors",
                "author_invalid",
                format!("{:?} is not a handle or an id", clip(&a)),
            ));
        }
        if !c.authors.contains(&a) {
            c.authors.push(a);
        }
    }
    for l in r.langs.split([',', ' ']).map(|l| l.trim().to_lowercase()) {
        if l.is_empty() {
            continue;
        }
        if !(2..=3).contains(&l.len()) || !l.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(InputError::new(
                "langs",
                "rule_lang_invalid",
                format!("{:?}: a language is a two- or three-letter code such as fr or en", clip(&l)),
            ));
        }
        if !c.langs.contains(&l) {
            c.langs.push(l);
        }
    }
    for d in r.domains.split([',', ' ', '\n']).map(|d| d.trim().to_lowercase()) {
        if d.is_empty() {
            continue;
        }
        let d = d.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
        let d = d.strip_prefix("www.").unwrap_or(d);
        let ok = d.len() <= 253
            && d.contains('.')
            && !d.starts_with('.')
            && d.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !ok {
            return Err(InputError::new(
                "domains",
                "domain_invalid",
                format!("{:?} is not a domain such as example.com", clip(d)),
            ));
        }
        if !c.domains.iter().any(|x| x == d) {
            c.domains.push(d.to_owned());
        }
    }
    for k in r.kinds.split([',', ' ']).map(|k| k.trim().to_lowercase()) {
        if k.is_empty() {
            continue;
        }
        let Some(k) = k.parse::<ItemKind>().ok().filter(|k| RULE_KINDS.contains(k)) else {
            return Err(InputError::new(
                "kinds",
                "kind_invalid",
                "the kinds are reply, mention, quote and dm",
            ));
        };
        if !c.kinds.contains(&k) {
            c.kinds.push(k);
        }
    }
    let days = r.new_account_days.trim();
    if !days.is_empty() {
        match days.parse::<u32>() {
            Ok(d) if (1..=MAX_NEW_ACCOUNT_DAYS).contains(&d) => c.new_account_days = Some(d),
            _ => {
                return Err(InputError::new(
                    "new_account_days",
                    "new_account_days_invalid",
                    format!("the age of a new account is a number of days from 1 to {MAX_NEW_ACCOUNT_DAYS}"),
                ))
            }
        }
    }
    if c.words.is_empty()
        && c.regex.is_none()
        && c.toxicity.is_none()
        && !c.profane
        && c.authors.is_empty()
        && c.langs.is_empty()
        && c.domains.is_empty()
        && c.new_account_days.is_none()
    {
        return Err(InputError::new(
            "words",
            "conditions_required",
            "give at least one condition: words, a regular expression, a toxicity, authors, languages, domains or a new account",
        ));
    }
    Ok(c)
}

/// Reads and checks the actions of a rule (the member named by `assign` is checked when the
/// rule is saved).
pub fn parse_actions(r: &RuleToWrite) -> Result<Vec<RuleAction>, InputError> {
    let mut out: Vec<RuleAction> = Vec::new();
    let push = |a: RuleAction, out: &mut Vec<RuleAction>| {
        if !out.iter().any(|x| x.kind == a.kind && (x.value == a.value || a.kind != RuleActionKind::Tag)) {
            out.push(a);
        }
    };
    for part in list(&r.actions) {
        let (kind, value) = match part.split_once(':') {
            Some((k, v)) => (k.trim().to_lowercase(), v.trim().to_owned()),
            None => (part.to_lowercase(), String::new()),
        };
        let Ok(kind) = kind.parse::<RuleActionKind>() else {
            return Err(InputError::new(
                "actions",
                "moderation_action_unknown",
                format!(
                    "{:?}: the actions are tag, assign, priority, hide, mute, block, report and reply",
                    clip(&part)
                ),
            ));
        };
        let a = match kind {
            RuleActionKind::Hide | RuleActionKind::Mute | RuleActionKind::Block => {
                RuleAction { kind, value: String::new() }
            }
            RuleActionKind::Report => {
                let reason = if value.is_empty() { "abusive".to_owned() } else { value.to_lowercase() };
                if !["spam", "abusive", "other"].contains(&reason.as_str()) {
                    return Err(InputError::new(
                        "actions",
                        "report_reason_invalid",
                        "a report's reason is spam, abusive or other",
                    ));
                }
                RuleAction { kind, value: reason }
            }
            RuleActionKind::Tag => {
                let t = value.to_lowercase();
                if t.is_empty()
                    || t.chars().count() > 40
                    || !t.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(InputError::new(
                        "tag",
                        "tag_invalid",
                        format!("{:?}: a tag is up to 40 letters, digits, - or _", clip(&t)),
                    ));
                }
                RuleAction { kind, value: t }
            }
            RuleActionKind::Assign => {
                if !value.contains('@') || value.chars().count() > 254 {
                    return Err(InputError::new("assign", "assignee_unknown", "assign to a member's e-mail"));
                }
                RuleAction { kind, value: value.to_lowercase() }
            }
            RuleActionKind::Priority => match value.parse::<i64>() {
                Ok(p) if (0..=3).contains(&p) => RuleAction { kind, value: p.to_string() },
                _ => {
                    return Err(InputError::new(
                        "priority",
                        "priority_invalid",
                        "the priority is 0 (normal) to 3 (urgent)",
                    ))
                }
            },
            RuleActionKind::Reply => {
                RuleAction { kind, value: if value.is_empty() { r.reply.trim().to_owned() } else { value } }
            }
        };
        push(a, &mut out);
    }
    let reply = r.reply.trim();
    if !reply.is_empty() && !out.iter().any(|a| a.kind == RuleActionKind::Reply) {
        push(RuleAction { kind: RuleActionKind::Reply, value: reply.to_owned() }, &mut out);
    }
    if let Some(a) = out.iter().find(|a| a.kind == RuleActionKind::Reply) {
        if a.value.is_empty() {
            return Err(InputError::new("reply", "reply_required", "write the automatic reply"));
        }
        if a.value.chars().count() > MAX_REPLY_CHARS || a.value.chars().any(|c| c.is_control() && c != '\n') {
            return Err(InputError::new(
                "reply",
                "reply_too_long",
                format!("an automatic reply is at most {MAX_REPLY_CHARS} characters"),
            ));
        }
    }
    if out.is_empty() {
        return Err(InputError::new("actions", "actions_required", "choose at least one action"));
    }
    Ok(out)
}

fn read_rule(rule: &Rule) -> Option<(Conditions, Vec<RuleAction>)> {
    read_stored(&rule.conditions, &rule.actions)
}

/// Reads a rule's conditions and actions as stored (JSON), or `None` if they are unreadable.
///
/// Conditions are flat: lists of strings, numbers and one regular expression, so nothing in
/// them nests. The JSON reader refuses input nested deeper than 128 levels with an error
/// (serde_json's recursion limit), and a regular expression is compiled with a nesting limit
/// of 50 and a length limit of [`MAX_REGEX_CHARS`]: no condition can exhaust the stack.
pub fn read_stored(conditions: &str, actions: &str) -> Option<(Conditions, Vec<RuleAction>)> {
    let c = serde_json::from_str(conditions).ok()?;
    let a = serde_json::from_str(actions).ok()?;
    Some((c, a))
}

/// A person's troll score: each rule hit counts 1 and each toxic item ½, decayed with a 10-day
/// scale, over the last 30 days.
pub fn troll_score(hits: &[i64], toxic: &[i64], now: i64) -> f64 {
    let weight = |at: &i64| (-((now - at).max(0) as f64) / SCORE_SCALE_MS).exp();
    hits.iter().map(weight).sum::<f64>() + 0.5 * toxic.iter().map(weight).sum::<f64>()
}

/// A repeat offender.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offender {
    /// The person.
    pub person_id: i64,
    /// Their name.
    pub name: String,
    /// Their troll score.
    pub score: f64,
    /// Rule hits in 30 days.
    pub hits: usize,
    /// Toxic items in 30 days.
    pub toxic: usize,
}

/// Enqueues the worker's job for an action (or its undoing).
async fn enqueue(db: &mut Db, id: i64, undo: bool) -> Result<(), StoreError> {
    let now = tutti_store::now_ms();
    let payload = if undo { json!({"action": id, "undo": true}) } else { json!({ "action": id }) };
    let key = format!("inbox-action:{id}:{}:{now}", if undo { "undo" } else { "do" });
    tutti_store::jobs::enqueue(db, ACTION_QUEUE, Some(&key), &payload.to_string(), now).await?;
    Ok(())
}

/// A rule read and compiled.
type Ready = (Rule, Matcher, Vec<RuleAction>);

/// Runs the enabled rules of their workspaces on items just stored, in the ingestion's
/// transaction: each `(workspace, item)` is checked against the rules of its workspace (read
/// once per call), and only a hit costs a write. Returns how many hits were recorded.
pub async fn on_ingested(
    db: &mut Db,
    networks: &Networks,
    items: &[(i64, Candidate)],
) -> Result<usize, StoreError> {
    let mut rules: Vec<(i64, Vec<Ready>)> = Vec::new();
    for (ws, _) in items {
        if rules.iter().any(|(w, _)| w == ws) {
            continue;
        }
        let mut ready = Vec::new();
        for rule in store::enabled_rules(db, *ws).await? {
            match read_rule(&rule).and_then(|(c, a)| Matcher::new(&c).ok().map(|m| (m, a))) {
                Some((m, a)) => ready.push((rule, m, a)),
                None => warn!(rule = rule.id, "skipping a moderation rule that cannot be read"),
            }
        }
        rules.push((*ws, ready));
    }
    let mut hits = 0;
    for (ws, item) in items {
        let ws = *ws;
        if !RULE_KINDS.contains(&item.kind) {
            continue;
        }
        let ready = &rules.iter().find(|(w, _)| *w == ws).expect("loaded").1;
        for (rule, m, actions) in ready {
            if !m.matches(&Subject::from(item)) {
                continue;
            }
            if !store::record_hit(db, ws, rule.id, item.id, item.person_id, item.created_at).await? {
                continue;
            }
            hits += 1;
            let mut done = Vec::new();
            for a in actions {
                if let Some(what) = apply(db, networks, ws, item, a, Some(rule.id), None).await? {
                    done.push(what);
                }
            }
            audit::append(
                db,
                &audit::NewAuditEntry {
                    actor_user_id: None,
                    actor: "moderation",
                    workspace_id: Some(ws),
                    action: "moderation.hit",
                    target: &format!("item {}", item.id),
                    before: None,
                    after: Some(json!({"rule": rule.id, "name": rule.name, "actions": done})),
                },
            )
            .await?;
        }
    }
    Ok(hits)
}

/// Applies one action to an item; returns what was recorded (`None`: nothing to do).
async fn apply(
    db: &mut Db,
    networks: &Networks,
    ws: i64,
    item: &Candidate,
    a: &RuleAction,
    rule_id: Option<i64>,
    by: Option<i64>,
) -> Result<Option<String>, StoreError> {
    let c = inbox::conversation_by_id(db, item.conversation_id).await?;
    let mut new = NewAction {
        workspace_id: ws,
        item_id: item.id,
        channel_id: c.channel_id,
        action: a.kind.as_str(),
        detail: &a.value,
        rule_id,
        status: ActionStatus::Done,
        undo_ref: None,
        result_ref: None,
        by,
    };
    let tag_action = format!("tag:{}", a.value);
    let undo;
    let result;
    match a.kind {
        RuleActionKind::Tag => {
            if c.tags.contains(&a.value) {
                return Ok(None);
            }
            let mut tags = c.tags.clone();
            tags.push(a.value.clone());
            inbox::set_tags(db, ws, c.id, &tags).await?;
            new.action = &tag_action;
        }
        RuleActionKind::Assign => {
            let Ok(u) = tutti_store::users::by_email(db, &a.value).await else { return Ok(None) };
            if tutti_store::workspaces::member(db, ws, u.id).await.is_err()
                || c.assignee_user_id == Some(u.id)
            {
                return Ok(None);
            }
            undo = c.assignee_user_id.map(|u| u.to_string()).unwrap_or_default();
            new.undo_ref = Some(&undo);
            inbox::assign(db, ws, c.id, Some(u.id)).await?;
        }
        RuleActionKind::Priority => {
            let p: i64 = a.value.parse().unwrap_or(0);
            if c.priority == p {
                return Ok(None);
            }
            undo = c.priority.to_string();
            new.undo_ref = Some(&undo);
            inbox::set_priority(db, ws, c.id, p).await?;
        }
        RuleActionKind::Hide | RuleActionKind::Mute | RuleActionKind::Block | RuleActionKind::Report => {
            if item.post_ref.is_none() && !matches!(a.kind, RuleActionKind::Mute | RuleActionKind::Block) {
                return Ok(None);
            }
            new.status = ActionStatus::Pending;
        }
        RuleActionKind::Reply => {
            let Some(parent) = item.post_ref.clone() else { return Ok(None) };
            let channel = publishing::channel_by_id(db, c.channel_id).await?;
            let crisis = alerts::crisis(db, ws).await?.is_some() || c.tags.iter().any(|t| t == "crisis");
            let Some(network) = networks.of_channel(channel.network, &channel.service) else {
                warn!(channel = channel.id, network = %channel.network, "no such network; the rule's reply is not written");
                return Ok(None);
            };
            let key = network.new_idempotency_key();
            let (text, private) = crate::text::answer_text(item.kind, &item.author_handle, &a.value);
            let post = publishing::insert_post(
                db,
                &publishing::NewPost {
                    workspace_id: ws,
                    channel_id: channel.id,
                    author_user_id: None,
                    text: &text,
                    langs: "",
                    status: if crisis { PostStatus::InReview } else { PostStatus::Scheduled },
                    scheduled_at: None,
                    idempotency_key: &key,
                    reply_to_post_id: None,
                },
                &[],
            )
            .await?;
            let cid: Option<String> = inbox::item_by_id(db, item.id).await?.post_cid;
            publishing::set_reply_target(db, post.id, &parent, cid.as_deref(), c.id, private).await?;
            let sent =
                inbox::add_sent(db, &c, post.id, &channel.handle, &text, &parent, tutti_store::now_ms())
                    .await?;
            inbox::set_answers(db, sent, item.id).await?;
            result = post.id.to_string();
            new.result_ref = Some(&result);
        }
    }
    let Some(id) = store::upsert_action(db, &new).await? else { return Ok(None) };
    if new.status == ActionStatus::Pending {
        enqueue(db, id, false).await?;
    }
    Ok(Some(new.action.to_owned()))
}

impl App {
    /// The rules of a workspace, with their conditions, actions and hit counts.
    pub async fn moderation_rules(&self, actor: &Actor, slug: &str) -> Result<Vec<RuleView>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageModeration).await?;
        let mut db = self.store.conn().await?;
        let mut out = Vec::new();
        for rule in store::rules_of(&mut db, access.workspace.id).await? {
            let (conditions, actions) = read_rule(&rule).unwrap_or_default();
            let hits = store::hits_of_rule(&mut db, rule.id).await?.len() as i64;
            out.push(RuleView { rule, conditions, actions, hits });
        }
        Ok(out)
    }

    /// Saves a rule (SMMs, CMs, admins). Nothing is saved when a field is wrong; the error
    /// names it. Audited.
    pub async fn add_moderation_rule(
        &self,
        actor: &Actor,
        slug: &str,
        r: &RuleToWrite,
    ) -> Result<Rule, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageModeration).await?;
        let name = r.name.trim();
        if name.is_empty() {
            return Err(InputError::new("name", "required", "name the rule").into());
        }
        if name.chars().count() > 80 || name.chars().any(|c| c.is_control() || is_invisible(c)) {
            return Err(InputError::new(
                "name",
                "rule_name_invalid",
                "a rule's name is up to 80 visible characters",
            )
            .into());
        }
        let conditions = parse_conditions(r)?;
        let actions = parse_actions(r)?;
        let mut tx = self.store.begin().await?;
        for a in actions.iter().filter(|a| a.kind == RuleActionKind::Assign) {
            let unknown = || {
                InputError::new(
                    "assign",
                    "assignee_unknown",
                    format!("no member has the e-mail {:?}", clip(&a.value)),
                )
            };
            let u = tutti_store::users::by_email(&mut tx, &a.value).await.map_err(|_| unknown())?;
            tutti_store::workspaces::member(&mut tx, access.workspace.id, u.id)
                .await
                .map_err(|_| unknown())?;
        }
        let when = serde_json::to_string(&conditions).map_err(|e| AppError::Internal(e.to_string()))?;
        let then = serde_json::to_string(&actions).map_err(|e| AppError::Internal(e.to_string()))?;
        let id =
            store::insert_rule(&mut tx, access.workspace.id, name, &when, &then, r.enabled, actor.user_id())
                .await?
                .ok_or_else(|| {
                    AppError::Conflict(InputError::new(
                        "name",
                        "rule_name_taken",
                        "another rule has this name",
                    ))
                })?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "moderation.rule_add",
            &format!("rule {id}"),
            None,
            Some(json!({"name": name, "when": conditions, "then": actions, "enabled": r.enabled})),
        )
        .await?;
        let rule = store::rule_by_id(&mut tx, access.workspace.id, id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rule)
    }

    /// Turns a rule on or off. Audited.
    pub async fn set_moderation_rule_enabled(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
        enabled: bool,
    ) -> Result<(), AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageModeration).await?;
        let mut tx = self.store.begin().await?;
        if !store::set_enabled(&mut tx, access.workspace.id, id, enabled).await? {
            return Err(AppError::NotFound("rule"));
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            if enabled { "moderation.rule_enable" } else { "moderation.rule_disable" },
            &format!("rule {id}"),
            None,
            None,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// The latest `last` items (500 when `None`) that conditions would have hit, latest
    /// first; nothing changes.
    pub async fn dry_run_conditions(
        &self,
        actor: &Actor,
        slug: &str,
        r: &RuleToWrite,
        last: Option<i64>,
    ) -> Result<Vec<Candidate>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageModeration).await?;
        let conditions = parse_conditions(r)?;
        self.dry_run(access.workspace.id, &conditions, last).await
    }

    /// The latest `last` items (500 when `None`) a saved rule would have hit; nothing changes.
    pub async fn dry_run_rule(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
        last: Option<i64>,
    ) -> Result<Vec<Candidate>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageModeration).await?;
        let rule = match store::rule_by_id(&mut *self.store.conn().await?, access.workspace.id, id).await {
            Ok(r) => r,
            Err(StoreError::NotFound) => return Err(AppError::NotFound("rule")),
            Err(e) => return Err(e.into()),
        };
        let (conditions, _) = read_rule(&rule).ok_or_else(|| AppError::Internal("unreadable rule".into()))?;
        self.dry_run(access.workspace.id, &conditions, last).await
    }

    async fn dry_run(&self, ws: i64, c: &Conditions, last: Option<i64>) -> Result<Vec<Candidate>, AppError> {
        let m = Matcher::new(c)?;
        let last = last.unwrap_or(DRY_RUN_LAST).clamp(1, DRY_RUN_MAX);
        let items = store::recent_items(&mut *self.store.conn().await?, ws, last).await?;
        Ok(items.into_iter().filter(|i| m.matches(&Subject::from(i))).collect())
    }

    /// The moderation log, latest first.
    pub async fn moderation_log(
        &self,
        actor: &Actor,
        slug: &str,
        limit: i64,
    ) -> Result<Vec<LogEntry>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageModeration).await?;
        Ok(store::log(&mut *self.store.conn().await?, access.workspace.id, limit.clamp(1, 500)).await?)
    }

    /// The people with the highest troll score (over 0), highest first.
    pub async fn repeat_offenders(
        &self,
        actor: &Actor,
        slug: &str,
        limit: usize,
    ) -> Result<Vec<Offender>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageModeration).await?;
        let now = tutti_store::now_ms();
        let conduct = store::conduct_since(
            &mut *self.store.conn().await?,
            access.workspace.id,
            now - SCORE_WINDOW_MS,
            TOXIC_AT,
        )
        .await?;
        let mut out: Vec<Offender> = conduct
            .into_iter()
            .map(|c| Offender {
                person_id: c.person_id,
                score: (troll_score(&c.hits, &c.toxic, now) * 10.0).round() / 10.0,
                hits: c.hits.len(),
                toxic: c.toxic.len(),
                name: c.name,
            })
            .filter(|o| o.score > 0.0)
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.person_id.cmp(&b.person_id)));
        out.truncate(limit);
        Ok(out)
    }

    /// Hides, mutes, blocks or reports from an item of the inbox (the worker runs it on the
    /// network). Audited.
    pub async fn moderate_item(
        &self,
        actor: &Actor,
        slug: &str,
        item_id: i64,
        action: &str,
    ) -> Result<i64, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageModeration).await?;
        let Some(kind) =
            action.parse::<RuleActionKind>().ok().filter(|k| NETWORK_ACTIONS.contains(&k.as_str()))
        else {
            return Err(InputError::new(
                "action",
                "moderation_action_unknown",
                "the action is hide, mute, block or report",
            )
            .into());
        };
        let mut tx = self.store.begin().await?;
        let item = match store::candidate_by_id(&mut tx, item_id).await {
            Ok(i) => i,
            Err(StoreError::NotFound) => return Err(AppError::NotFound("item")),
            Err(e) => return Err(e.into()),
        };
        let c = inbox::conversation_by_id(&mut tx, item.conversation_id).await?;
        if c.workspace_id != access.workspace.id {
            return Err(AppError::NotFound("item"));
        }
        if kind == RuleActionKind::Hide && item.kind != ItemKind::Reply {
            return Err(InputError::new(
                "action",
                "not_a_reply",
                "only a reply to the brand's post can be hidden",
            )
            .into());
        }
        let a = RuleAction {
            kind,
            value: if kind == RuleActionKind::Report { "abusive".into() } else { String::new() },
        };
        let done =
            apply(&mut tx, self.networks(), access.workspace.id, &item, &a, None, actor.user_id()).await?;
        if done.is_some() {
            record(
                &mut tx,
                actor,
                Some(access.workspace.id),
                &format!("moderation.{action}"),
                &format!("item {item_id}"),
                None,
                Some(json!({"author": item.author_id})),
            )
            .await?;
        }
        let id: i64 = store::log(&mut tx, access.workspace.id, 500)
            .await?
            .into_iter()
            .find(|e| e.item_id == item_id && e.action == action)
            .map(|e| e.id)
            .ok_or(AppError::NotFound("action"))?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(id)
    }

    /// Undoes an action of the log: a tag removed, the assignment and priority put back at
    /// once; a hide, a mute or a block undone on the network by the worker. Audited.
    pub async fn undo_moderation(&self, actor: &Actor, slug: &str, id: i64) -> Result<LogEntry, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageModeration).await?;
        let ws = access.workspace.id;
        let mut tx = self.store.begin().await?;
        let e = match store::log_entry_by_id(&mut tx, ws, id).await {
            Ok(e) => e,
            Err(StoreError::NotFound) => return Err(AppError::NotFound("action")),
            Err(err) => return Err(err.into()),
        };
        let cannot = |why: &str| AppError::Conflict(InputError::new("action", "cannot_undo", why.to_owned()));
        if e.status != ActionStatus::Done {
            return Err(cannot("only an action that is done can be undone"));
        }
        let c = inbox::conversation_by_id(&mut tx, e.conversation_id).await?;
        let local = match e.action.as_str() {
            a if a.starts_with("tag:") => {
                let tags: Vec<String> = c.tags.iter().filter(|t| **t != e.detail).cloned().collect();
                inbox::set_tags(&mut tx, ws, c.id, &tags).await?;
                true
            }
            "assign" => {
                let before = e.undo_ref.as_deref().and_then(|u| u.parse::<i64>().ok());
                inbox::assign(&mut tx, ws, c.id, before).await?;
                true
            }
            "priority" => {
                let before = e.undo_ref.as_deref().and_then(|p| p.parse::<i64>().ok()).unwrap_or(0);
                inbox::set_priority(&mut tx, ws, c.id, before).await?;
                true
            }
            a if UNDOABLE_ON_NETWORK.contains(&a) => false,
            _ => return Err(cannot("a report or a reply cannot be undone from Tutti")),
        };
        let moved = store::move_action(
            &mut tx,
            id,
            ActionStatus::Done,
            if local { ActionStatus::Undone } else { ActionStatus::Undoing },
            actor.user_id(),
        )
        .await?;
        if !moved {
            return Err(cannot("this action changed meanwhile"));
        }
        if !local {
            enqueue(&mut tx, id, true).await?;
        }
        record(
            &mut tx,
            actor,
            Some(ws),
            "moderation.undo",
            &format!("action {id}"),
            Some(json!({"action": e.action, "detail": e.detail})),
            None,
        )
        .await?;
        let e = store::log_entry_by_id(&mut tx, ws, id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(e)
    }
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests;
