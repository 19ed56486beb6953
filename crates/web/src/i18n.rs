//! The interface's words in French and English, from the Fluent catalogues in `i18n/`.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use tutti_domain::Locale;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./i18n",
        fallback_language: "en",
        // Bidi isolation marks would end up inside attributes and e-mail addresses.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A translator for one locale, handed to every template.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The locale.
    pub locale: Locale,
}

fn lang(locale: Locale) -> LanguageIdentifier {
    locale.as_str().parse().expect("valid language tag")
}

impl Tr {
    /// Builds a translator.
    pub fn new(locale: Locale) -> Tr {
        Tr { locale }
    }

    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(&lang(self.locale), key)
    }

    /// The message `key` with one argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(Cow::Owned(name.to_owned()), FluentValue::from(value.to_owned()));
        LOCALES.lookup_with_args(&lang(self.locale), key, &args)
    }

    /// The message `key` with several arguments.
    pub fn targs(&self, key: &str, pairs: &[(&str, &str)]) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        for (name, value) in pairs {
            args.insert(Cow::Owned((*name).to_owned()), FluentValue::from((*value).to_owned()));
        }
        LOCALES.lookup_with_args(&lang(self.locale), key, &args)
    }

    /// The message `key` with one number (plural forms follow it).
    pub fn tn(&self, key: &str, name: &str, n: &usize) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(Cow::Owned(name.to_owned()), FluentValue::from(*n));
        LOCALES.lookup_with_args(&lang(self.locale), key, &args)
    }

    /// The message for an error code, falling back to the English sentence given.
    pub fn error(&self, code: &str, fallback: &str) -> String {
        LOCALES
            .try_lookup(&lang(self.locale), &format!("error-{code}"))
            .unwrap_or_else(|| fallback.to_owned())
    }

    /// The message `key`, if the catalogue has it.
    pub fn maybe(&self, key: &str) -> Option<String> {
        LOCALES.try_lookup(&lang(self.locale), key)
    }

    /// The language tag for `<html lang>`.
    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn keys(text: &str) -> BTreeSet<String> {
        text.lines()
            .filter(|l| !l.starts_with(' ') && !l.starts_with('#'))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_owned()))
            .filter(|k| !k.is_empty())
            .collect()
    }

    #[test]
    fn french_and_english_catalogues_have_the_same_keys() {
        let en = keys(include_str!("../i18n/en/main.ftl"));
        let fr = keys(include_str!("../i18n/fr/main.ftl"));
        let only_en: Vec<_> = en.difference(&fr).collect();
        let only_fr: Vec<_> = fr.difference(&en).collect();
        assert!(only_en.is_empty() && only_fr.is_empty(), "only in en: {only_en:?}; only in fr: {only_fr:?}");
    }

    #[test]
    fn every_key_used_in_templates_exists() {
        let en = keys(include_str!("../i18n/en/main.ftl"));
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("t(\"").skip(1) {
                let key = piece.split('"').next().unwrap();
                if !en.contains(key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "missing keys: {missing:#?}");
    }
}
