//! The dictionaries and the suggester on their own.

use tutti_charter::Lang;

#[test]
fn the_embedded_dictionaries_know_their_words() {
    let known: &[(Lang, &[&str])] = &[
        (
            Lang::Fr,
            &[
                "bonjour",
                "Bonjour",
                "réseau",
                "l'arnaque",
                "l’arnaque",
                "aujourd'hui",
                "peut-être",
                "qu'il",
                "cœur",
                "à",
            ],
        ),
        (Lang::En, &["hello", "Hello", "don't", "don’t", "self-hosted", "receive", "it's", "a"]),
    ];
    for (lang, words) in known {
        for word in *words {
            assert!(lang.knows(word), "{lang:?} {word}");
        }
    }
    let unknown: &[(Lang, &[&str])] =
        &[(Lang::Fr, &["bonjoor", "reseau", "merçi"]), (Lang::En, &["recieve", "bonjour"])];
    for (lang, words) in unknown {
        for word in *words {
            assert!(!lang.knows(word), "{lang:?} {word}");
        }
    }
}

#[test]
fn suggestions_are_the_likely_corrections_first() {
    let cases: &[(Lang, &str, &[&str])] = &[
        (Lang::Fr, "reseau", &["réseau"]),
        (Lang::Fr, "telephone", &["téléphone"]),
        (Lang::Fr, "eleve", &["élève", "élevé"]),
        (Lang::Fr, "bonjoor", &["bonjour"]),
        (Lang::Fr, "téléphonne", &["téléphone", "téléphonie", "téléphonée"]),
        (Lang::Fr, "l'arnaqe", &["l'arnaque"]),
        (Lang::Fr, "l’arnaqe", &["l’arnaque"]),
        (Lang::Fr, "aujourdhui", &["aujourd'hui"]),
        (Lang::Fr, "developement", &["développement"]),
        (Lang::En, "helo", &["hello", "help", "hell"]),
        (Lang::En, "recieve", &["receive", "relieve"]),
        (Lang::En, "untill", &["until"]),
        (Lang::En, "dont", &["don't", "font", "cont"]),
        (Lang::En, "Teh", &["The", "Ten", "Meh"]),
        (Lang::En, "tommorow", &["tomorrow", "morrow", "Morrow"]),
        (Lang::Fr, "bonjour", &[]),
        (Lang::Fr, "xkcdzq", &[]),
    ];
    for (lang, word, expected) in cases {
        assert_eq!(lang.suggest(word), *expected, "{lang:?} {word}");
        // Remembered: the same answer again.
        assert_eq!(lang.suggest(word), *expected, "{lang:?} {word}, again");
    }
}

#[test]
fn language_tags_name_the_dictionaries() {
    let cases = [
        ("fr", Some(Lang::Fr)),
        ("FR-ca", Some(Lang::Fr)),
        ("fr_BE", Some(Lang::Fr)),
        (" en-GB ", Some(Lang::En)),
        ("eng", Some(Lang::En)),
        ("de", None),
        ("", None),
    ];
    for (tag, lang) in cases {
        assert_eq!(Lang::from_tag(tag), lang, "{tag}");
    }
    assert_eq!(
        (Lang::Fr.code(), Lang::Fr.name(), Lang::En.code(), Lang::En.name()),
        ("fr", "French", "en", "English")
    );
}
