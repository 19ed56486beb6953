//! Folding: the case- and accent-insensitive form every term and every token is compared in.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Appends the folded form of `text` to `out`: compatibility decomposition (NFKD), combining
/// marks removed, lower case, and a few letters that NFKD leaves whole spelled out (`œ` → `oe`,
/// `æ` → `ae`, `ß` → `ss`). Skin-tone modifiers are dropped too, so that 👍🏽 finds 👍.
///
/// Folding works character by character: the folded form of a concatenation is the
/// concatenation of the folded forms. The engine relies on this to anchor a pattern on a piece
/// of it (see `engine::anchor`).
pub fn fold_into(text: &str, out: &mut String) {
    if text.is_ascii() {
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
        return;
    }
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        if let Some(folded) = LATIN_1.get((c as usize).wrapping_sub(0xC0)) {
            out.push_str(folded);
            continue;
        }
        fold_char(c, out);
    }
}

/// The folded forms of U+00C0 to U+00FF, the accented letters of French and its neighbours,
/// spelled out because they are most of the non-ASCII text folded. A test checks them against
/// the general rule.
const LATIN_1: [&str; 64] = [
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", // À–Ï
    "ð", "n", "o", "o", "o", "o", "o", "×", "ø", "u", "u", "u", "u", "y", "þ", "ss", // Ð–ß
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", // à–ï
    "ð", "n", "o", "o", "o", "o", "o", "÷", "ø", "u", "u", "u", "u", "y", "þ", "y", // ð–ÿ
];

/// Folds one character by the general rule.
fn fold_char(c: char, out: &mut String) {
    decompose_compatible(c, |d| {
        if is_combining_mark(d) || is_skin_tone(d) {
            return;
        }
        for l in d.to_lowercase() {
            match l {
                'œ' => out.push_str("oe"),
                'æ' => out.push_str("ae"),
                'ß' => out.push_str("ss"),
                l if is_combining_mark(l) => {}
                l => out.push(l),
            }
        }
    });
}

/// The folded form of `text`: compatibility decomposition (NFKD), combining marks removed,
/// lower case, `œ` → `oe`, `æ` → `ae`, `ß` → `ss`, skin-tone modifiers dropped.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

fn is_skin_tone(c: char) -> bool {
    ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folding_removes_case_and_accents() {
        let cases = [
            ("Réseau", "reseau"),
            ("RÉSEAU", "reseau"),
            ("cœur", "coeur"),
            ("Æther", "aether"),
            ("Straße", "strasse"),
            ("ﬁne", "fine"),
            ("👍🏽", "👍"),
            ("İstanbul", "istanbul"),
            ("plain", "plain"),
        ];
        for (text, folded) in cases {
            assert_eq!(fold(text), folded, "{text}");
        }
    }

    #[test]
    fn the_latin_1_table_agrees_with_the_general_rule() {
        for (i, folded) in super::LATIN_1.iter().enumerate() {
            let c = char::from_u32(0xC0 + i as u32).unwrap();
            let mut general = String::new();
            super::fold_char(c, &mut general);
            assert_eq!(general, *folded, "{c}");
        }
    }

    #[test]
    fn folding_a_concatenation_concatenates_the_folds() {
        let parts = ["Ré", "seau", "Œ", "uvre", "👍", "🏽x"];
        for a in parts {
            for b in parts {
                assert_eq!(fold(&format!("{a}{b}")), format!("{}{}", fold(a), fold(b)));
            }
        }
    }
}
