//! Form parsing shared by the pages and the API: the error shown at a field, the languages a
//! post is written in, a local date and time typed in a workspace's zone, and the public
//! address links start with. Nothing here knows a page.
//!
//! A local time that does not exist (the hour skipped in spring) is refused at its field; the
//! hour repeated in autumn is taken at its first occurrence.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Timelike};
use chrono_tz::Tz;

use crate::format::clock;
use crate::i18n::Tr;
use crate::AppState;

/// A form error shown beside its field: the field's name and the translated message.
#[derive(Debug, Clone, Default)]
pub struct FieldError {
    /// The field at fault (empty for a form-wide message).
    pub field: String,
    /// What to tell the reader.
    pub message: String,
}

impl FieldError {
    /// The message for `field`, if the error is about it.
    pub fn on(&self, field: &str) -> Option<&str> {
        (self.field == field).then_some(self.message.as_str())
    }

    /// Whether the error is about `field`.
    pub fn is(&self, field: &str) -> bool {
        self.field == field
    }
}

/// A local time typed in a form (`2026-03-29T10:00`), as an instant in `tz`. The hour skipped
/// when clocks go forward does not exist and is refused; the hour repeated when they go back
/// is taken at its first occurrence.
pub fn local_instant(tz: Tz, local: NaiveDateTime, t: &Tr) -> Result<DateTime<Tz>, FieldError> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => Ok(at),
        LocalResult::Ambiguous(first, _) => Ok(first),
        LocalResult::None => Err(FieldError {
            field: "at".into(),
            message: t.targs(
                "error-date_nonexistent",
                &[("time", &clock(local.hour(), local.minute(), t.locale)), ("zone", tz.name())],
            ),
        }),
    }
}

/// Parses a `datetime-local` value.
pub fn parse_local(value: &str, t: &Tr) -> Result<NaiveDateTime, FieldError> {
    let v = value.trim();
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
        .ok_or_else(|| FieldError { field: "at".into(), message: t.t("error-date_invalid") })
}

/// The languages typed (`fr, en`), each a language tag.
pub fn parse_langs(value: &str, t: &Tr) -> Result<Vec<String>, FieldError> {
    let langs: Vec<String> = value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase)
        .collect();
    let ok = |l: &str| {
        let mut parts = l.split('-');
        let first = parts.next().unwrap_or_default();
        (2..=3).contains(&first.len())
            && first.chars().all(|c| c.is_ascii_lowercase())
            && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
    };
    if let Some(bad) = langs.iter().find(|l| !ok(l)) {
        return Err(FieldError { field: "langs".into(), message: t.t1("error-lang_invalid", "lang", bad) });
    }
    Ok(langs)
}

/// The address short links start with: the configured public address (never the request's
/// `Host`, which the requester chooses).
pub fn public_base(state: &AppState) -> String {
    state.public_url().to_owned()
}

#[cfg(test)]
mod tests {
    use tutti_domain::Locale;

    use super::*;

    #[test]
    fn the_skipped_spring_hour_is_refused_and_the_repeated_autumn_hour_is_the_first() {
        let tz = chrono_tz::Europe::Paris;
        let t = Tr::new(Locale::En);
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap();
        assert_eq!(
            local_instant(tz, at("2026-03-29T10:00"), &t).unwrap().to_rfc3339(),
            "2026-03-29T10:00:00+02:00"
        );
        assert_eq!(
            local_instant(tz, at("2026-03-28T10:00"), &t).unwrap().to_rfc3339(),
            "2026-03-28T10:00:00+01:00"
        );
        let e = local_instant(tz, at("2026-03-29T02:30"), &t).unwrap_err();
        assert_eq!(e.field, "at");
        assert!(e.message.contains("2:30 AM") && e.message.contains("Europe/Paris"), "{}", e.message);
        assert_eq!(
            local_instant(tz, at("2026-10-25T02:30"), &t).unwrap().to_rfc3339(),
            "2026-10-25T02:30:00+02:00"
        );
    }

    #[test]
    fn languages_are_tags() {
        let t = Tr::new(Locale::En);
        assert_eq!(parse_langs("fr, EN pt-BR", &t).unwrap(), ["fr", "en", "pt-br"]);
        assert_eq!(parse_langs("<b>", &t).unwrap_err().field, "langs");
    }
}
