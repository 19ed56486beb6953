//! Text as the use cases keep it: hostile text from a network or a person made safe and
//! bounded, tags read from a comma-separated list, and the words of an answer to a message.

use std::borrow::Cow;

use tutti_domain::{InputError, ItemKind};

use crate::AppError;

/// Hostile text made safe to keep: control and invisible formatting characters (bidi
/// overrides, zero-width joiners used to hide words) removed, line breaks kept, length bounded.
pub fn clean_text(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|c| *c == '\n' || !(c.is_control() || is_invisible_format(*c)))
        .take(max_chars)
        .collect()
}

/// Bidi controls and zero-width characters (emoji sequences keep their joiner U+200D).
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{200C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Reads comma-separated tags (people and conversations alike): lower-cased, each up to 40
/// letters, digits, `-` or `_`, at most 20, duplicates dropped; refused at `tags`.
pub(crate) fn parse_tags(tags: &str) -> Result<Vec<String>, AppError> {
    let mut list: Vec<String> = Vec::new();
    for t in tags.split(',').map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()) {
        if t.chars().count() > 40 || !t.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            return Err(InputError::new(
                "tags",
                "tag_invalid",
                format!("{:?}: a tag is up to 40 letters, digits, - or _", tutti_domain::input::clip(&t, 40)),
            )
            .into());
        }
        if !list.contains(&t) {
            list.push(t);
        }
    }
    if list.len() > 20 {
        return Err(InputError::new("tags", "too_many_tags", "at most 20 tags").into());
    }
    Ok(list)
}

/// The text of an answer to an item of `kind` from `handle`, and whether it goes out
/// privately: a direct message is answered privately, and a private post is only seen by the
/// accounts it mentions, so the answer is [`addressed`] to its author.
pub(crate) fn answer_text<'t>(kind: ItemKind, handle: &str, text: &'t str) -> (Cow<'t, str>, bool) {
    if kind == ItemKind::Dm {
        (addressed(text, handle).into(), true)
    } else {
        (text.into(), false)
    }
}

/// `text` addressed to `handle`: as it is when it mentions them (`@handle`, whole, whatever
/// the case), else with `@handle ` in front.
fn addressed(text: &str, handle: &str) -> String {
    let wanted = format!("@{}", handle.to_lowercase());
    let lower = text.to_lowercase();
    let mentioned = lower.match_indices(&wanted).any(|(at, m)| {
        !lower[at + m.len()..]
            .starts_with(|c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'))
    });
    if mentioned {
        text.to_owned()
    } else {
        format!("@{handle} {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_answer_mentions_its_reader() {
        assert_eq!(addressed("Merci !", "ana@social.test"), "@ana@social.test Merci !");
        assert_eq!(addressed("@Ana@Social.test merci", "ana@social.test"), "@Ana@Social.test merci");
        assert_eq!(
            addressed("@ana@social.testing", "ana@social.test"),
            "@ana@social.test @ana@social.testing"
        );
    }

    #[test]
    fn hostile_text_loses_its_invisible_characters_and_is_bounded() {
        let text = "a\u{202E}b\u{200B}c\u{0007}\nd 👩\u{200D}💻";
        assert_eq!(clean_text(text, 100), "abc\nd 👩\u{200D}💻");
        assert_eq!(clean_text(&"😀".repeat(10_000), 5).chars().count(), 5);
    }
}
