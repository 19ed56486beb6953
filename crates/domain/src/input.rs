//! Validated inputs: each type has a `parse` constructor that names the field it rejects.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// A rejected input: which field, a stable code for translations, and an English message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InputError {
    /// The name of the form field, JSON property or CLI option that was rejected.
    pub field: &'static str,
    /// A stable identifier of the problem (`email_invalid`, `password_short`, …).
    pub code: &'static str,
    /// A sentence in English saying what is wrong and how to fix it.
    pub message: String,
}

impl InputError {
    /// Builds an error for `field`.
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        InputError { field, code, message: message.into() }
    }
}

/// Shortens hostile or long input before it is quoted back in an error message.
pub fn clip(value: &str, max_chars: usize) -> String {
    let mut out: String = value.chars().filter(|c| !c.is_control()).take(max_chars).collect();
    if value.chars().count() > max_chars {
        out.push('…');
    }
    out
}

/// True for characters that make text lie about itself: controls, bidi overrides, zero-width.
fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// An e-mail address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address of the form `local@domain.tld`.
    pub fn parse(value: &str, field: &'static str) -> Result<Email, InputError> {
        let value = value.trim().to_lowercase();
        let invalid = |why: &str| {
            InputError::new(
                field,
                "email_invalid",
                format!("{:?} is not a valid e-mail address: {why}", clip(&value, 60)),
            )
        };
        if value.is_empty() {
            return Err(InputError::new(field, "email_missing", "an e-mail address is required"));
        }
        if value.len() > 254 {
            return Err(invalid("it is longer than 254 characters"));
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err(invalid("it has no @"));
        };
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(invalid("expected one @ between a name and a domain"));
        }
        if value.chars().any(|c| c.is_whitespace() || is_deceptive(c) || c == '<' || c == '>') {
            return Err(invalid("it contains spaces or forbidden characters"));
        }
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(invalid("the domain needs a dot, as in example.com"));
        }
        Ok(Email(value))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that meets the length policy.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// The fewest characters a password may have.
    pub const MIN_CHARS: usize = 10;
    /// The most characters a password may have (argon2 input is bounded on purpose).
    pub const MAX_CHARS: usize = 256;

    /// Checks the length policy.
    pub fn parse(value: &str, field: &'static str) -> Result<Password, InputError> {
        let n = value.chars().count();
        if n < Self::MIN_CHARS {
            return Err(InputError::new(
                field,
                "password_short",
                format!("the password is too short: at least {} characters", Self::MIN_CHARS),
            ));
        }
        if n > Self::MAX_CHARS {
            return Err(InputError::new(
                field,
                "password_long",
                format!("the password is too long: at most {} characters", Self::MAX_CHARS),
            ));
        }
        Ok(Password(value.to_owned()))
    }

    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

/// Validates a short single-line label: trimmed, not empty, bounded, no deceptive characters.
fn single_line(value: &str, field: &'static str, max_chars: usize, what: &str) -> Result<String, InputError> {
    let value: String = value.trim().nfc().collect();
    if value.is_empty() {
        return Err(InputError::new(field, "required", format!("{what} is required")));
    }
    if value.chars().count() > max_chars {
        return Err(InputError::new(
            field,
            "too_long",
            format!("{what} is too long: at most {max_chars} characters"),
        ));
    }
    if value.chars().any(is_deceptive) {
        return Err(InputError::new(
            field,
            "forbidden_characters",
            format!("{what} contains control or invisible characters"),
        ));
    }
    Ok(value)
}

/// A person's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses a name of 1 to 100 characters.
    pub fn parse(value: &str, field: &'static str) -> Result<DisplayName, InputError> {
        single_line(value, field, 100, "the name").map(DisplayName)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of a brand workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceName(String);

impl WorkspaceName {
    /// Parses a name of 1 to 80 characters that yields a usable slug.
    pub fn parse(value: &str, field: &'static str) -> Result<WorkspaceName, InputError> {
        let name = single_line(value, field, 80, "the workspace name")?;
        if Slug::from_name(&name).as_str().is_empty() {
            return Err(InputError::new(
                field,
                "name_no_letters",
                "the workspace name needs at least one letter or digit",
            ));
        }
        Ok(WorkspaceName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The URL-safe identifier of a workspace (`maison-lumiere`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// Derives a slug from a name: accents folded, lower-case ASCII letters and digits, dashes.
    pub fn from_name(name: &str) -> Slug {
        let mut out = String::new();
        let mut dash = false;
        for c in name.nfd().filter(|c| c.is_ascii() || c.is_alphanumeric()) {
            if c.is_ascii_alphanumeric() {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(c.to_ascii_lowercase());
            } else if !c.is_ascii() && c.is_alphanumeric() {
                // A letter outside ASCII that has no decomposition (ß, ø, 中): keep words apart.
                dash = true;
            } else {
                dash = true;
            }
            if out.len() >= 60 {
                break;
            }
        }
        Slug(out)
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone such as `Europe/Paris`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    /// Parses an IANA zone name.
    pub fn parse(value: &str, field: &'static str) -> Result<TimeZone, InputError> {
        value.trim().parse::<chrono_tz::Tz>().map(TimeZone).map_err(|_| {
            InputError::new(
                field,
                "timezone_unknown",
                format!(
                    "unknown time zone {:?}: use an IANA name such as Europe/Paris or America/Montreal",
                    clip(value, 40)
                ),
            )
        })
    }

    /// The zone.
    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    /// The IANA name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

/// The interface languages Tutti speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// French.
    Fr,
    /// English.
    En,
}

impl Locale {
    /// Every supported locale.
    pub const ALL: [Locale; 2] = [Locale::Fr, Locale::En];

    /// The BCP 47 tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }

    /// Parses `fr` or `en` (region subtags are accepted and ignored).
    pub fn parse(value: &str, field: &'static str) -> Result<Locale, InputError> {
        let primary = value.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "fr" => Ok(Locale::Fr),
            "en" => Ok(Locale::En),
            _ => Err(InputError::new(
                field,
                "locale_unknown",
                format!("unknown language {:?}: expected fr or en", clip(value, 20)),
            )),
        }
    }

    /// Picks the best supported locale from an `Accept-Language` header, if any matches.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Ok(locale) = Locale::parse(tag, "accept-language") {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, locale));
                }
            }
        }
        best.map(|(_, l)| l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_malformed_ones_name_the_field() {
        assert_eq!(Email::parse("  Camille@Example.COM ", "email").unwrap().as_str(), "camille@example.com");
        for bad in [
            "",
            "camille",
            "camille@",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@@example.com",
            "a@example.com\u{202E}",
        ] {
            let err = Email::parse(bad, "email").unwrap_err();
            assert_eq!(err.field, "email", "{bad:?}");
        }
    }

    #[test]
    fn passwords_shorter_than_ten_characters_are_refused() {
        assert_eq!(Password::parse("short", "password").unwrap_err().code, "password_short");
        assert!(Password::parse("correct horse", "password").is_ok());
        assert_eq!(format!("{:?}", Password::parse("correct horse", "p").unwrap()), "Password(<hidden>)");
    }

    #[test]
    fn slugs_fold_accents_and_punctuation() {
        let cases = [
            ("Maison Lumière", "maison-lumiere"),
            ("  Café & Co. — Paris ", "cafe-co-paris"),
            ("Northwind Coffee", "northwind-coffee"),
            ("L'Oréal Pro", "l-oreal-pro"),
        ];
        for (name, slug) in cases {
            assert_eq!(Slug::from_name(name).as_str(), slug, "{name}");
        }
        assert_eq!(WorkspaceName::parse("!!!", "name").unwrap_err().code, "name_no_letters");
    }

    #[test]
    fn names_refuse_invisible_and_bidi_characters() {
        assert_eq!(
            DisplayName::parse("Eve\u{202E}gnp.exe", "name").unwrap_err().code,
            "forbidden_characters"
        );
        assert_eq!(DisplayName::parse("   ", "name").unwrap_err().code, "required");
        assert_eq!(DisplayName::parse(&"é".repeat(101), "name").unwrap_err().code, "too_long");
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(TimeZone::parse("Europe/Paris", "timezone").unwrap().name(), "Europe/Paris");
        let err = TimeZone::parse("Mars/Olympus", "timezone").unwrap_err();
        assert_eq!((err.field, err.code), ("timezone", "timezone_unknown"));
    }

    #[test]
    fn accept_language_picks_the_highest_supported_quality() {
        let cases = [
            ("fr-FR,fr;q=0.9,en;q=0.8", Some(Locale::Fr)),
            ("de-DE,de;q=0.9,en;q=0.5,fr;q=0.7", Some(Locale::Fr)),
            ("en-GB", Some(Locale::En)),
            ("de, es", None),
            ("", None),
        ];
        for (header, want) in cases {
            assert_eq!(Locale::from_accept_language(header), want, "{header}");
        }
    }
}
