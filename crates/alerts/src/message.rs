//! The alert message, and its renderings: a webhook JSON payload, a plain-text e-mail in
//! English or French.
//!
//! Every text of an alert may come from a network (a post's text, its author's handle, its
//! URL) or from a person (the query's name), so before anything is rendered each field is made
//! plain with [`clean_text`]: control characters (CR and LF included) become spaces, bidi
//! overrides and invisible formatting characters go, runs of spaces become one, and the field
//! is cut to a bound ([`limits`]). URLs that are not `http` or `https` are dropped. The subject
//! of an e-mail is therefore one line whatever the input, and the JSON payload escapes `<`, `>`
//! and `&` so that it is inert even if a receiver pastes it into HTML.

use std::fmt::Write as _;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::baseline::{Spike, SpikeKind};

/// Bounds on the fields of an alert, in characters.
pub mod limits {
    /// The workspace's name.
    pub const WORKSPACE: usize = 100;
    /// The query's name.
    pub const QUERY_NAME: usize = 200;
    /// The query's name inside an e-mail subject.
    pub const QUERY_NAME_IN_SUBJECT: usize = 80;
    /// A sample's author.
    pub const AUTHOR: usize = 100;
    /// A sample's text.
    pub const SAMPLE_TEXT: usize = 280;
    /// A URL (sample or link).
    pub const URL: usize = 2048;
    /// How many samples an alert carries.
    pub const SAMPLES: usize = 5;
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Far more mentions than usual.
    Volume,
    /// A far larger share of negative mentions than usual.
    NegativeShare,
    /// New mentions matched a keyword alert.
    Keyword,
}

impl From<SpikeKind> for AlertKind {
    fn from(kind: SpikeKind) -> Self {
        match kind {
            SpikeKind::Volume => AlertKind::Volume,
            SpikeKind::NegativeShare => AlertKind::NegativeShare,
        }
    }
}

/// A mention shown in an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// The author's handle.
    pub author: String,
    /// The text of the post.
    pub text: String,
    /// The post's URL on its network.
    pub url: String,
}

/// One alert about one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The workspace's name.
    pub workspace: String,
    /// The query's name.
    pub query_name: String,
    /// What happened.
    pub kind: AlertKind,
    /// Volume: mentions in the bucket. Negative share: the share (0 to 1). Keyword: the
    /// number of mentions that matched.
    pub observed: f64,
    /// What the baseline expected, in the same unit (0 for keyword alerts).
    pub expected: f64,
    /// Start of the bucket or window, in milliseconds since the Unix epoch.
    pub window_start_ms: i64,
    /// A few of the mentions (at most [`limits::SAMPLES`] are kept).
    pub samples: Vec<Sample>,
    /// The URL of the query's page in Tutti.
    pub link: String,
    /// Whether opening a crisis is suggested.
    pub crisis_suggested: bool,
}

/// The language of an e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// French.
    Fr,
}

impl Lang {
    /// The language for a language tag (`fr`, `fr-CA`, `en-GB`): French for any French tag,
    /// English otherwise.
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }

    /// `en` or `fr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

/// The error of [`Lang::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language '{0}': expected en or fr")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    /// `en` or `fr`, ignoring case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "fr" => Ok(Lang::Fr),
            _ => Err(UnknownLang(s.to_owned())),
        }
    }
}

/// A rendered e-mail: a one-line subject and a plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The subject, one line, no control character.
    pub subject: String,
    /// The body, plain text, lines separated by `\n`.
    pub body: String,
}

/// Whether a character is dropped: bidi embeddings, overrides, isolates and marks, and
/// invisible characters that can hide or reorder text.
fn is_dropped(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{206A}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Makes a text from outside plain and bounded: control characters (CR, LF and tab included),
/// line and paragraph separators become spaces, bidi controls and invisible characters are
/// dropped, runs of such spaces become one space (other spaces, like the no-break space, are
/// kept), the ends are trimmed, and a text longer than `max_chars`
/// characters is cut to `max_chars - 1` and ends with `…`.
pub fn clean_text(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    let mut pending_space = false;
    let mut chars = 0;
    let mut truncated = false;
    for c in text.chars() {
        if is_dropped(c) {
            continue;
        }
        if c.is_control() || c.is_ascii_whitespace() || matches!(c, '\u{2028}' | '\u{2029}') {
            pending_space = !out.is_empty();
            continue;
        }
        let needed = usize::from(pending_space) + 1;
        if chars + needed > max_chars {
            truncated = true;
            break;
        }
        if pending_space {
            out.push(' ');
            chars += 1;
            pending_space = false;
        }
        out.push(c);
        chars += 1;
    }
    if truncated && max_chars > 0 {
        while chars + 1 > max_chars {
            out.pop();
            chars -= 1;
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('…');
    }
    out
}

/// A URL fit to be shown and followed: cleaned, bounded, and `http` or `https`; otherwise
/// empty.
pub fn clean_url(url: &str) -> String {
    let cleaned = clean_text(url, limits::URL + 1);
    if cleaned.chars().count() > limits::URL || cleaned.contains(' ') {
        return String::new();
    }
    match reqwest::Url::parse(&cleaned) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            let url = String::from(url);
            if url.chars().count() <= limits::URL {
                url
            } else {
                String::new()
            }
        }
        _ => String::new(),
    }
}

fn finite(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

impl Alert {
    /// An alert for a spike found by a [`Baseline`](crate::baseline::Baseline).
    pub fn from_spike(
        workspace: &str,
        query_name: &str,
        spike: &Spike,
        window_start_ms: i64,
        samples: Vec<Sample>,
        link: &str,
        crisis_suggested: bool,
    ) -> Alert {
        Alert {
            workspace: workspace.to_owned(),
            query_name: query_name.to_owned(),
            kind: spike.kind.into(),
            observed: spike.observed,
            expected: spike.expected,
            window_start_ms,
            samples,
            link: link.to_owned(),
            crisis_suggested,
        }
    }

    /// The alert with every field cleaned and bounded (see the [module documentation](self)).
    /// Rendering does this itself.
    pub fn cleaned(&self) -> Alert {
        Alert {
            workspace: clean_text(&self.workspace, limits::WORKSPACE),
            query_name: clean_text(&self.query_name, limits::QUERY_NAME),
            kind: self.kind,
            observed: finite(self.observed).max(0.0),
            expected: finite(self.expected).max(0.0),
            window_start_ms: self.window_start_ms,
            samples: self
                .samples
                .iter()
                .take(limits::SAMPLES)
                .map(|s| Sample {
                    author: clean_text(&s.author, limits::AUTHOR),
                    text: clean_text(&s.text, limits::SAMPLE_TEXT),
                    url: clean_url(&s.url),
                })
                .collect(),
            link: clean_url(&self.link),
            crisis_suggested: self.crisis_suggested,
        }
    }

    /// The JSON payload of the webhook: `{"event": "alert", "text": …, "alert": {…}}`, where
    /// `text` is a one-line English summary (which chat tools that take incoming webhooks
    /// show as is) and `alert` the cleaned alert plus `window_start`, the same instant as
    /// `window_start_ms` in RFC 3339.
    pub fn webhook_payload(&self) -> serde_json::Value {
        let alert = self.cleaned();
        let mut fields = serde_json::to_value(&alert).unwrap_or_default();
        if let Some(map) = fields.as_object_mut() {
            map.insert("window_start".into(), rfc3339(alert.window_start_ms).into());
        }
        serde_json::json!({
            "event": "alert",
            "text": alert.summary(Lang::En),
            "alert": fields,
        })
    }

    /// The webhook payload as the bytes to send, with `<`, `>` and `&` escaped as `\u003c`,
    /// `\u003e` and `\u0026` (the same JSON value).
    pub fn webhook_body(&self) -> Vec<u8> {
        let json = self.webhook_payload().to_string();
        let mut out = String::with_capacity(json.len() + 16);
        for c in json.chars() {
            match c {
                '<' => out.push_str("\\u003c"),
                '>' => out.push_str("\\u003e"),
                '&' => out.push_str("\\u0026"),
                c => out.push(c),
            }
        }
        out.into_bytes()
    }

    /// The e-mail in the given language.
    pub fn email(&self, lang: Lang) -> Email {
        let alert = self.cleaned();
        let text = texts(lang);
        let workspace = clean_text(&alert.workspace, limits::WORKSPACE);
        let name = clean_text(&alert.query_name, limits::QUERY_NAME_IN_SUBJECT);
        let mut subject = format!("[Tutti · {workspace}] ");
        if alert.crisis_suggested {
            subject.push_str(text.crisis_prefix);
        }
        subject.push_str(&alert.headline(lang, &name));
        // Belt and braces: whatever a future change does above, the subject stays one line.
        let subject = clean_text(&subject, 250);

        let mut body = String::new();
        let _ = writeln!(body, "{}", alert.sentence(lang));
        let _ = writeln!(body);
        let _ = writeln!(body, "{}{}", text.workspace, workspace);
        let _ = writeln!(body, "{}{}", text.query, alert.query_name);
        let _ = writeln!(body, "{}{}", text.window, when(alert.window_start_ms));
        if alert.crisis_suggested {
            let _ = writeln!(body);
            let _ = writeln!(body, "{}", text.crisis);
        }
        if !alert.samples.is_empty() {
            let _ = writeln!(body);
            let _ = writeln!(body, "{}", text.samples);
            for (i, sample) in alert.samples.iter().enumerate() {
                let author = if sample.author.is_empty() { "?" } else { &sample.author };
                let _ = writeln!(body, "{}. {}{}{}", i + 1, author, text.colon, sample.text);
                if !sample.url.is_empty() {
                    let _ = writeln!(body, "   {}", sample.url);
                }
            }
        }
        if !alert.link.is_empty() {
            let _ = writeln!(body);
            let _ = writeln!(body, "{}{}", text.open, alert.link);
        }
        let _ = writeln!(body);
        let _ = writeln!(body, "-- ");
        let _ = writeln!(body, "{}", text.footer);
        Email { subject, body }
    }

    /// What happened, short, for a subject (the alert is already cleaned).
    fn headline(&self, lang: Lang, name: &str) -> String {
        let (observed, expected) = (self.observed, self.expected);
        match (lang, self.kind) {
            (Lang::En, AlertKind::Volume) => format!(
                "Mention spike: \"{name}\" ({}, usually {})",
                mentions(lang, observed),
                number(lang, expected)
            ),
            (Lang::Fr, AlertKind::Volume) => format!(
                "Pic de mentions\u{a0}: «\u{a0}{name}\u{a0}» ({}, {} d’habitude)",
                mentions(lang, observed),
                number(lang, expected)
            ),
            (Lang::En, AlertKind::NegativeShare) => format!(
                "Negative mentions rising: \"{name}\" ({} negative, usually {})",
                percent(lang, observed),
                percent(lang, expected)
            ),
            (Lang::Fr, AlertKind::NegativeShare) => format!(
                "Hausse des mentions négatives\u{a0}: «\u{a0}{name}\u{a0}» ({} de négatives, {} d’habitude)",
                percent(lang, observed),
                percent(lang, expected)
            ),
            (Lang::En, AlertKind::Keyword) => {
                format!("Keyword alert: \"{name}\" ({})", new_mentions(lang, observed))
            }
            (Lang::Fr, AlertKind::Keyword) => {
                format!("Alerte mot-clé\u{a0}: «\u{a0}{name}\u{a0}» ({})", new_mentions(lang, observed))
            }
        }
    }

    /// What happened, as a sentence (the alert is already cleaned).
    fn sentence(&self, lang: Lang) -> String {
        let (observed, expected) = (self.observed, self.expected);
        match (lang, self.kind) {
            (Lang::En, AlertKind::Volume) => format!(
                "{} in this window, where about {} were expected at this time of day.",
                mentions(lang, observed),
                number(lang, expected)
            ),
            (Lang::Fr, AlertKind::Volume) => format!(
                "{} sur cette période, quand environ {} étaient attendues à cette heure-ci.",
                mentions(lang, observed),
                number(lang, expected)
            ),
            (Lang::En, AlertKind::NegativeShare) => format!(
                "{} of mentions were negative, where about {} were expected at this time of day.",
                percent(lang, observed),
                percent(lang, expected)
            ),
            (Lang::Fr, AlertKind::NegativeShare) => format!(
                "{} des mentions étaient négatives, quand environ {} étaient attendues à cette heure-ci.",
                percent(lang, observed),
                percent(lang, expected)
            ),
            (Lang::En, AlertKind::Keyword) => {
                let verb = if plural(lang, observed) { "match" } else { "matches" };
                format!("{} {verb} this keyword alert.", new_mentions(lang, observed))
            }
            (Lang::Fr, AlertKind::Keyword) => {
                let verb = if plural(lang, observed) { "correspondent" } else { "correspond" };
                format!("{} {verb} à cette alerte mot-clé.", new_mentions(lang, observed))
            }
        }
    }

    /// One line saying what happened and where (the alert is already cleaned).
    fn summary(&self, lang: Lang) -> String {
        let t = texts(lang);
        let mut line = String::new();
        if self.crisis_suggested {
            line.push_str(t.crisis_prefix);
        }
        let _ = write!(line, "{} · {}", self.workspace, self.headline(lang, &self.query_name));
        if !self.link.is_empty() {
            let _ = write!(line, " {}", self.link);
        }
        line
    }
}

struct Texts {
    colon: &'static str,
    crisis_prefix: &'static str,
    crisis: &'static str,
    workspace: &'static str,
    query: &'static str,
    window: &'static str,
    samples: &'static str,
    open: &'static str,
    footer: &'static str,
}

const EN: Texts = Texts {
    colon: ": ",
    crisis_prefix: "Possible crisis: ",
    crisis: "Volume and negative share rose together: consider opening a crisis in Tutti.",
    workspace: "Workspace: ",
    query: "Query: ",
    window: "Window starting: ",
    samples: "Sample mentions:",
    open: "Open the query: ",
    footer: "You receive this e-mail because alerts are on for this query in Tutti.",
};

const FR: Texts = Texts {
    colon: "\u{a0}: ",
    crisis_prefix: "Crise possible\u{a0}: ",
    crisis: "Le volume et la part de mentions négatives ont augmenté ensemble\u{a0}: \
             envisagez d’ouvrir une crise dans Tutti.",
    workspace: "Espace de travail\u{a0}: ",
    query: "Requête\u{a0}: ",
    window: "Période commençant le\u{a0}: ",
    samples: "Exemples de mentions\u{a0}:",
    open: "Ouvrir la requête\u{a0}: ",
    footer: "Vous recevez cet e-mail car les alertes sont activées pour cette requête dans Tutti.",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
    }
}

/// A count: a whole number.
fn count(x: f64) -> String {
    format!("{:.0}", x.round())
}

/// Whether a count takes the plural (French counts 0 and 1 as singular).
fn plural(lang: Lang, x: f64) -> bool {
    let n = x.round();
    match lang {
        Lang::En => n != 1.0,
        Lang::Fr => n >= 2.0,
    }
}

/// `12 mentions`, `1 mention`.
fn mentions(lang: Lang, x: f64) -> String {
    let s = if plural(lang, x) { "s" } else { "" };
    format!("{} mention{s}", count(x))
}

/// `3 new mentions`, `3 nouvelles mentions`.
fn new_mentions(lang: Lang, x: f64) -> String {
    let s = if plural(lang, x) { "s" } else { "" };
    match lang {
        Lang::En => format!("{} new mention{s}", count(x)),
        Lang::Fr => format!("{} nouvelle{s} mention{s}", count(x)),
    }
}

/// An expected count: one decimal below 10, none above; a decimal comma in French.
fn number(lang: Lang, x: f64) -> String {
    let text = if x < 9.95 { format!("{x:.1}") } else { format!("{x:.0}") };
    match lang {
        Lang::En => text,
        Lang::Fr => text.replace('.', ","),
    }
}

/// A share as a whole percentage (`33%`, `33 %` in French).
fn percent(lang: Lang, share: f64) -> String {
    let p = (share * 100.0).round();
    match lang {
        Lang::En => format!("{p:.0}%"),
        Lang::Fr => format!("{p:.0}\u{a0}%"),
    }
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
