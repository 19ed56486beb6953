//! Fuzz targets for the parsers of untrusted input in the use cases: a moderation rule as
//! written in a form or an API call (its regular expression included), a rule as stored
//! (JSON), and an import file (CSV). See `tutti-fuzz` for longer runs:
//!
//! ```text
//! TUTTI_FUZZ_SECONDS=600 cargo test --release -p tutti-app --test fuzz -- --test-threads=1 --nocapture
//! ```

use tutti_app::import::{read_csv, COLUMNS, MAX_FIELD_BYTES, MAX_IMPORT_ROWS};
use tutti_app::moderation::{parse_actions, parse_conditions, read_stored, Matcher, RuleToWrite, Subject};
use tutti_fuzz::proptest::prelude::*;
use tutti_fuzz::proptest::strategy::BoxedStrategy;
use tutti_fuzz::{fuzz, mutated, mutated_text, nested};

fn subjects() -> Vec<Subject<'static>> {
    let texts = [
        "Votre appli est NULLE, voyez https://spam.example/x",
        "merci pour le service",
        "",
        "((((((((((aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",
    ];
    texts
        .into_iter()
        .map(|text| Subject {
            kind: tutti_domain::ItemKind::Reply,
            text,
            lang: "fr",
            toxicity: 0.7,
            author_id: "did:plc:abc",
            author_handle: "troll.example",
            at: 1_000_000_000_000,
            author_since: Some(999_000_000_000),
        })
        .collect()
}

/// What must hold of a rule as written: refused with a field named, or accepted with
/// conditions that survive storage (JSON) and compile into a matcher that runs.
fn check_rule(r: &RuleToWrite) -> Result<(), TestCaseError> {
    match parse_conditions(r) {
        Err(e) => prop_assert!(!e.field.is_empty() && !e.message.is_empty()),
        Ok(c) => {
            let stored = serde_json::to_string(&c).unwrap();
            let actions = parse_actions(r);
            let stored_actions =
                serde_json::to_string(actions.as_ref().map(Vec::as_slice).unwrap_or(&[])).unwrap();
            let (again, again_actions) =
                read_stored(&stored, &stored_actions).expect("stored conditions read back");
            prop_assert_eq!(&again, &c);
            if let Ok(a) = &actions {
                prop_assert_eq!(&again_actions, a);
            }
            let m = Matcher::new(&c);
            prop_assert!(m.is_ok(), "accepted conditions compile: {:?}", m.err());
            let m = m.unwrap();
            for s in subjects() {
                let _ = m.matches(&s);
            }
        }
    }
    if let Err(e) = parse_actions(r) {
        prop_assert!(!e.field.is_empty() && !e.message.is_empty());
    }
    Ok(())
}

fn regex_soup() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "(",
        ")",
        "(?:",
        "(?i)",
        "(?P<n>",
        "[",
        "]",
        "[^",
        "a-z",
        "\\d",
        "\\b",
        "\\p{L}",
        "\\",
        "*",
        "+",
        "?",
        "{2,5}",
        "{1000}",
        "{1000,}",
        "|",
        "^",
        "$",
        ".",
        "a",
        "é",
        "spam",
        "\\x{10FFFF}",
        "(?u)",
        "\\Q",
        "\\E",
    ]);
    prop::collection::vec(piece, 0..60).prop_map(|ps| ps.concat())
}

/// Valid values of the nine fields of a rule, in the order of [`rule`].
const VALID: [&str; 9] = [
    "spam, arnaque\nviagra",
    "0,7",
    "@troll.example, did:plc:abc",
    "fr, en",
    "spam.example, https://www.x.fr/",
    "reply, mention",
    "7",
    "hide, tag:spam, report:spam, priority:3, assign:a@b.fr, reply",
    "Merci de rester courtois.",
];

/// A field: often valid (so that the rule gets past it), or empty, mutated or random.
fn field(valid: &'static str) -> BoxedStrategy<String> {
    prop_oneof![
        4 => Just(valid.to_owned()),
        2 => Just(String::new()),
        2 => mutated_text(&[valid]),
        1 => "\\PC{0,40}",
    ]
    .boxed()
}

fn rule() -> impl Strategy<Value = RuleToWrite> {
    (
        VALID.map(field).to_vec(),
        prop_oneof![
            2 => Just(String::new()),
            2 => regex_soup(),
            1 => mutated_text(&["(?i)v[i1]agra", "^spam$", "(a|b)+c"]),
            1 => nested("(", "x", ")", 100_000),
        ],
        any::<bool>(),
    )
        .prop_map(|(f, regex, enabled)| RuleToWrite {
            name: "rule".into(),
            enabled,
            words: f[0].clone(),
            regex,
            toxicity: f[1].clone(),
            authors: f[2].clone(),
            langs: f[3].clone(),
            domains: f[4].clone(),
            kinds: f[5].clone(),
            new_account_days: f[6].clone(),
            actions: f[7].clone(),
            reply: f[8].clone(),
        })
}

/// The target is only as strong as its inputs: many rules must get past every check.
#[test]
fn the_rules_generated_are_often_accepted() {
    use tutti_fuzz::proptest::strategy::ValueTree;
    use tutti_fuzz::proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let accepted = (0..500)
        .filter(|_| parse_conditions(&rule().new_tree(&mut runner).unwrap().current()).is_ok())
        .count();
    assert!((25..475).contains(&accepted), "{accepted} of 500 accepted");
}

#[test]
fn fuzz_moderation_rules_as_written() {
    fuzz("moderation-rule", 500, rule(), |r| check_rule(&r));
}

#[test]
fn fuzz_moderation_rules_as_stored() {
    let seeds = vec![
        br#"{"words":["spam","arnaque"],"regex":"(?i)v[i1]agra","toxicity":0.7,"authors":["did:plc:abc"],"langs":["fr"],"domains":["spam.example"],"kinds":["reply"],"new_account_days":7}"#.to_vec(),
        br#"[{"kind":"hide"},{"kind":"tag","value":"spam"},{"kind":"reply","value":"Merci"}]"#.to_vec(),
        b"{}".to_vec(),
    ];
    let deep = prop_oneof![
        nested("[", "1", "]", 100_000).prop_map(|s| format!("{{\"later\":{s}}}")),
        nested("{\"a\":", "1", "}", 100_000),
        nested("[", "\"x\"", "]", 100_000).prop_map(|s| format!("{{\"words\":{s}}}")),
    ];
    let input = prop_oneof![
        3 => mutated(seeds).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => deep,
    ];
    fuzz("moderation-stored", 1_000, (input.clone(), input), |(c, a)| {
        if let Some((c, _)) = read_stored(&c, &a) {
            // A stored rule may name a regular expression no form accepted: it must not
            // crash the matcher either.
            if let Ok(m) = Matcher::new(&c) {
                for s in subjects() {
                    let _ = m.matches(&s);
                }
            }
        }
        Ok(())
    });
}

const CSV_SEED: &str = "date,time,channel,text,link,image,alt\n\
2030-01-02,09:30,@maison.bsky.social,\"Bonjour, \"\"tout\"\" le monde\",https://x.fr,img.png,Une vitrine\n\
2030-01-03,10:00,mastodon,Texte simple,,,\n";

#[test]
fn fuzz_import_files() {
    let input = prop_oneof![
        4 => mutated(vec![CSV_SEED.as_bytes().to_vec(), b"date,time,channel,text,link,image,alt\r\n".to_vec()]),
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => nested("\"", "x", "\"", 100_000).prop_map(|s| format!("{}{s}\n", &CSV_SEED[..38]).into_bytes()),
    ];
    fuzz("csv-import", 1_000, input, |data| {
        match read_csv(&data) {
            Err(e) => prop_assert!(e.starts_with("row ") || e.starts_with("the file"), "{e}"),
            Ok(rows) => {
                prop_assert!(rows.len() <= MAX_IMPORT_ROWS);
                for (i, row) in rows.iter().enumerate() {
                    prop_assert_eq!(row.line, i + 2);
                    prop_assert!(row.fields.iter().all(|f| f.len() <= MAX_FIELD_BYTES));
                    prop_assert_eq!(row.fields.len(), COLUMNS.len());
                    let _ = row.clone().into_row(None);
                }
            }
        }
        Ok(())
    });
}
