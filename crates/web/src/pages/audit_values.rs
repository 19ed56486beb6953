//! The audit log's changes as people read them: keys translated, times in the reader's zone,
//! numbers rounded in the reader's locale, nested documents (the editorial charter, a
//! moderation rule) shown field by field instead of as JSON.

use serde_json::{Map, Value};
use tutti_domain::Role;

use crate::format;
use crate::i18n::Tr;

/// Longest value shown, in characters.
const MAX_VALUE_CHARS: usize = 160;

/// The differences between two JSON states, one line per changed key: the key as people call
/// it, the value before and after. Objects on both sides (or one side new) are opened, so that
/// a charter change lists the parts of the charter that changed.
pub fn changes(before: Option<&str>, after: Option<&str>, t: &Tr, tz: &str) -> Vec<(String, String, String)> {
    let parse = |s: Option<&str>| {
        s.and_then(|s| serde_json::from_str::<Map<String, Value>>(s).ok()).unwrap_or_default()
    };
    let (b, a) = (parse(before), parse(after));
    let mut out = Vec::new();
    diff(&b, &a, "", t, tz, &mut out);
    out
}

fn diff(
    b: &Map<String, Value>,
    a: &Map<String, Value>,
    prefix: &str,
    t: &Tr,
    tz: &str,
    out: &mut Vec<(String, String, String)>,
) {
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let (vb, va) = (b.get(k), a.get(k));
        if vb == va {
            continue;
        }
        let label =
            if prefix.is_empty() { key_label(k, t) } else { format!("{prefix} › {}", key_label(k, t)) };
        let empty = Map::new();
        fn as_object<'a>(
            v: Option<&'a Value>,
            empty: &'a Map<String, Value>,
        ) -> Option<&'a Map<String, Value>> {
            match v {
                Some(Value::Object(m)) => Some(m),
                None | Some(Value::Null) => Some(empty),
                _ => None,
            }
        }
        let opened = matches!(vb, Some(Value::Object(_))) || matches!(va, Some(Value::Object(_)));
        if let (true, Some(ob), Some(oa)) = (opened, as_object(vb, &empty), as_object(va, &empty)) {
            diff(ob, oa, &label, t, tz, out);
            continue;
        }
        out.push((label, value(k, vb, t, tz), value(k, va, t, tz)));
    }
}

/// A key in the reader's language: `audit-key-…` in the catalogue, else the key in words.
pub fn key_label(key: &str, t: &Tr) -> String {
    // Keys that are data (a channel's handle in the required hashtags) are shown as written.
    if key == "*" {
        return t.t("charter-every-channel");
    }
    if !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return key.to_owned();
    }
    t.maybe(&format!("audit-key-{key}")).unwrap_or_else(|| {
        let words = key.replace(['_', '.'], " ");
        let mut chars = words.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        }
    })
}

fn clip(s: &str) -> String {
    let mut chars = s.chars();
    let head: String = chars.by_ref().take(MAX_VALUE_CHARS).collect();
    if chars.next().is_some() {
        format!("{}…", head.trim_end())
    } else {
        head
    }
}

/// Whether a key holds a time in milliseconds.
fn is_time(key: &str) -> bool {
    key.ends_with("_at") || matches!(key, "at" | "since" | "until")
}

/// One value as people read it.
pub fn value(key: &str, v: Option<&Value>, t: &Tr, tz: &str) -> String {
    let Some(v) = v else { return "—".to_owned() };
    let s = match v {
        Value::Null => String::new(),
        Value::Bool(true) => t.t("audit-yes"),
        Value::Bool(false) => t.t("audit-no"),
        Value::Number(n) => number(key, n, t, tz),
        Value::String(s) => string(key, s, t),
        Value::Array(items) => items
            .iter()
            .map(|i| value(key, Some(i), t, tz))
            .filter(|s| s != "—")
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(m) => object(m, t, tz),
    };
    if s.trim().is_empty() {
        "—".to_owned()
    } else {
        clip(&s)
    }
}

fn number(key: &str, n: &serde_json::Number, t: &Tr, tz: &str) -> String {
    if let Some(i) = n.as_i64() {
        if is_time(key) && i > 100_000_000_000 {
            return format::datetime(i, tz, t.locale);
        }
        if matches!(key, "post" | "rule" | "item" | "action" | "id" | "merged" | "person" | "identity") {
            return format!("#{i}");
        }
        return format::number(i as f64, 0, t.locale);
    }
    let f = n.as_f64().unwrap_or_default();
    if key.contains("share") || key == "toxicity" {
        return format::percent(f, 1, t.locale);
    }
    format::number(f, 2, t.locale)
}

fn string(key: &str, s: &str, t: &Tr) -> String {
    let translated = match key {
        "role" => Role::parse(s, "role").ok().map(|r| super::common::role_label(t, r)),
        "kind" | "kinds" => t
            .maybe(&format!("inbox-kind-{s}"))
            .or_else(|| t.maybe(&format!("listening-kind-{s}")))
            .or_else(|| t.maybe(&format!("moderation-action-{s}"))),
        "category" => t.maybe(&format!("feedback-cat-{s}")),
        "status" => t.maybe(&format!("post-status-{s}")).or_else(|| t.maybe(&format!("inbox-status-{s}"))),
        "locale" | "lang" | "spelling" => t.maybe(&format!("audit-lang-{s}")),
        "banned" | "hashtags" | "alt_text" | "severity" | "severity_banned" => {
            t.maybe(&format!("charter-severity-{s}"))
        }
        _ => None,
    };
    translated.unwrap_or_else(|| s.to_owned())
}

/// An object inside a list (a pillar, a rule's action) on one line.
fn object(m: &Map<String, Value>, t: &Tr, tz: &str) -> String {
    // A moderation action: its name and its value.
    let only_kind_and_value = m.keys().all(|k| k == "kind" || k == "value");
    if let (Some(Value::String(kind)), true) = (m.get("kind"), only_kind_and_value) {
        let label = t.maybe(&format!("moderation-action-{kind}")).unwrap_or_else(|| kind.clone());
        let v = value("value", m.get("value"), t, tz);
        return if v == "—" { label } else { format!("{label} {}", quoted(&v, t)) };
    }
    let mut parts = Vec::new();
    if let Some(Value::String(name)) = m.get("name") {
        parts.push(name.clone());
    }
    for (k, v) in m {
        if k == "name" {
            continue;
        }
        let shown = value(k, Some(v), t, tz);
        if shown != "—" {
            parts.push(format!("{} {shown}", t.t1("audit-field", "key", &key_label(k, t))));
        }
    }
    parts.join(" · ")
}

/// A value between the quotes of the reader's language.
pub fn quoted(v: &str, t: &Tr) -> String {
    t.t1("quoted", "text", v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tutti_domain::Locale;

    #[test]
    fn raw_values_read_as_people_write_them() {
        let en = Tr::new(Locale::En);
        let fr = Tr::new(Locale::Fr);
        let c = changes(
            Some(r#"{"post": 3, "scheduled_at": 1797498900000}"#),
            Some(r#"{"post": 3, "scheduled_at": 1797502500000}"#),
            &en,
            "Europe/Paris",
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].0, "Scheduled for");
        assert!(c[0].1.contains("2026") && !c[0].1.contains("1797498900000"), "{c:?}");
        let before = r#"{"charter": {"pillars": [{"name": "Produits", "keywords": ["pain"], "target_share": 0.4000000059604645}], "alt_text_required": false}}"#;
        let after = r#"{"charter": {"pillars": [], "alt_text_required": true}}"#;
        let c = changes(Some(before), Some(after), &fr, "Europe/Paris");
        let text: String = c.iter().map(|(k, b, a)| format!("{k}: {b} → {a}\n")).collect();
        assert!(!text.contains("0.4000") && !text.contains('{') && !text.contains("target_share"), "{text}");
        assert!(text.contains("40\u{202F}%") && text.contains("Charte éditoriale › Piliers"), "{text}");
        assert!(text.contains("oui") && text.contains("non"), "{text}");
    }
}
