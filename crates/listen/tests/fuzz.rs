//! Fuzz targets for the query language, the one parser here of untrusted input (a query is
//! written by anyone who can save one). See `tutti-fuzz` for how to run them longer:
//!
//! ```text
//! TUTTI_FUZZ_SECONDS=600 cargo test --release -p tutti-listen --test fuzz -- --test-threads=1 --nocapture
//! ```
//!
//! Every target checks the same things of each input: parsing never panics nor overflows; a
//! refusal names a column inside the query (or just past its end); an accepted query is
//! within the bounds, is printed back to text that parses to the same tree, and the engine
//! agrees with the reference evaluator on a few posts.

use tutti_fuzz::proptest::prelude::*;
use tutti_fuzz::{fuzz, mutated_text, nested};
use tutti_listen::{
    Engine, Field, Network, Node, Post, Query, QueryErrorKind, Term, TermKind, MAX_DEPTH,
    MAX_PROXIMITY_TERMS, MAX_QUERY_BYTES,
};

/// Query text that parses to `node`: the printer the round trip checks.
fn print(node: &Node) -> String {
    fn term(t: &Term) -> String {
        let source = t.pattern().source();
        match t.kind() {
            TermKind::Word | TermKind::Emoji => source.to_owned(),
            TermKind::Hashtag => format!("#{source}"),
            TermKind::Mention => format!("@{source}"),
        }
    }
    fn terms(ts: &[Term], slop: Option<u32>) -> String {
        let words: Vec<String> = ts.iter().map(term).collect();
        // Case-sensitive words are written in braces, the others in quotes (which also keeps
        // a word such as `AND` from reading as an operator).
        if ts.iter().any(|t| t.pattern().is_case_sensitive()) {
            format!("{{{}}}", words.join(" "))
        } else {
            let slop = slop.map(|n| format!("~{n}")).unwrap_or_default();
            format!("\"{}\"{slop}", words.join(" "))
        }
    }
    fn operand(node: &Node) -> String {
        match node {
            Node::And(_) | Node::Or(_) => format!("({})", print(node)),
            _ => print(node),
        }
    }
    match node {
        Node::And(children) => children.iter().map(operand).collect::<Vec<_>>().join(" AND "),
        Node::Or(children) => children.iter().map(operand).collect::<Vec<_>>().join(" OR "),
        Node::Not(child) => format!("NOT {}", operand(child)),
        Node::Near { left, right, distance, ordered } => {
            let f = if *ordered { "f" } else { "" };
            format!("{} NEAR/{distance}{f} {}", operand(left), operand(right))
        }
        Node::Term(t) => {
            // Bare when that reads back as the same term (not an operator, not a field).
            let bare = term(t);
            let same = Query::parse(&bare).is_ok_and(|q| *q.root() == Node::Term(t.clone()));
            if same && !bare.starts_with("NEAR") {
                bare
            } else {
                terms(std::slice::from_ref(t), None)
            }
        }
        Node::Phrase { terms: ts, slop } => terms(ts, *slop),
        Node::Field(Field::Author(h)) => format!("author:{h}"),
        Node::Field(Field::Lang(l)) => format!("lang:{l}"),
        Node::Field(Field::Site(d)) => format!("site:{d}"),
        Node::Field(Field::Network(n)) => format!("network:{n}"),
        Node::Field(Field::Links(None)) => "links:*".to_owned(),
        Node::Field(Field::Links(Some(l))) => format!("links:{l}"),
    }
}

/// The deepest nesting of the tree, counted as the parser counts it: each `NOT` and each
/// group below the top one level.
fn depth(node: &Node) -> usize {
    match node {
        Node::Not(child) => 1 + depth(child),
        Node::And(children) | Node::Or(children) => children
            .iter()
            .map(|c| depth(c) + usize::from(matches!(c, Node::And(_) | Node::Or(_))))
            .max()
            .unwrap_or(0),
        Node::Near { left, right, .. } => [left, right]
            .iter()
            .map(|c| depth(c) + usize::from(matches!(***c, Node::Or(_))))
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

fn proximity_sizes(node: &Node, out: &mut Vec<usize>) {
    match node {
        Node::And(children) | Node::Or(children) => children.iter().for_each(|c| proximity_sizes(c, out)),
        Node::Not(child) => proximity_sizes(child, out),
        Node::Near { left, right, .. } => {
            proximity_sizes(left, out);
            proximity_sizes(right, out);
        }
        Node::Phrase { terms, slop: Some(_) } => out.push(terms.len()),
        _ => {}
    }
}

const VOCABULARY: [&str; 16] = [
    "tutti",
    "app",
    "a",
    "b",
    "réseau",
    "Réseau",
    "#tutti",
    "@alice.bsky.social",
    "🔥",
    "l'appli",
    "service",
    "client",
    "panne",
    "e-mail",
    "https://example.com/x",
    "AND",
];

fn posts() -> Vec<Post> {
    let texts = [
        "tutti app a b a b réseau service client",
        "L'appli Tutti est en panne, #tutti 🔥 @alice.bsky.social https://example.com/x",
        "a a a a a a a b a a a AND e-mail client du service",
        "",
    ];
    texts
        .iter()
        .map(|t| Post {
            text: (*t).to_owned(),
            author: "alice.bsky.social".into(),
            lang: Some("fr".into()),
            network: Network::Bluesky,
            links: vec!["https://www.example.com/x".into()],
        })
        .collect()
}

/// What must hold of every input.
fn check(text: &str) -> Result<(), TestCaseError> {
    match Query::parse(text) {
        Err(e) => {
            let chars = text.chars().count();
            prop_assert!(
                e.column >= 1 && e.column <= chars + 1,
                "column {} of {} characters: {e}",
                e.column,
                chars
            );
            prop_assert!(!e.message.is_empty());
            if text.len() > MAX_QUERY_BYTES {
                prop_assert_eq!(e.kind, QueryErrorKind::TooLong);
            }
        }
        Ok(query) => {
            prop_assert!(text.len() <= MAX_QUERY_BYTES);
            prop_assert_eq!(query.to_string(), text);
            prop_assert!(depth(query.root()) <= MAX_DEPTH, "depth {}", depth(query.root()));
            let mut sizes = Vec::new();
            proximity_sizes(query.root(), &mut sizes);
            prop_assert!(sizes.iter().all(|&n| n <= MAX_PROXIMITY_TERMS), "{sizes:?}");
            let printed = print(query.root());
            // The printer writes every joint with spaces and may quote words: its text can be
            // a little longer than the query, and then only the length may refuse it.
            if printed.len() > MAX_QUERY_BYTES {
                let e = Query::parse(&printed).unwrap_err();
                prop_assert_eq!(e.kind, QueryErrorKind::TooLong);
                return Ok(());
            }
            let again = Query::parse(&printed);
            prop_assert!(again.is_ok(), "{text:?} printed as {printed:?}: {:?}", again);
            let again = again.unwrap();
            prop_assert_eq!(again.root(), query.root(), "{:?} printed as {:?}", text, printed);
            let mut engine = Engine::new();
            engine.insert(1, query.clone());
            for post in posts() {
                let expected = if query.matches(&post) { vec![1] } else { vec![] };
                prop_assert_eq!(engine.matches(&post), expected, "{:?} on {:?}", text, post.text);
            }
        }
    }
    Ok(())
}

/// Tokens of the language, stuck together at random: most are refused, many are not.
fn grammar_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(&VOCABULARY[..]).prop_map(str::to_owned),
        3 => prop::sample::select(vec![" AND ", " OR ", " NOT ", "NOT ", " NEAR/3 ", " NEAR/0f ", " NEAR/101 ", " NEAR/x "]).prop_map(str::to_owned),
        3 => prop::sample::select(vec!["(", ")", "\"", "“", "”", "{", "}", "~2", "~100", "~", "*", "?", " "]).prop_map(str::to_owned),
        2 => prop::sample::select(vec!["lang:fr", "author:@alice.bsky.social", "site:example.com", "network:rss", "links:*", "links:ex", "foo:bar", "lang:", "site:*.x", "http://x"]).prop_map(str::to_owned),
        1 => "\\PC{1,6}",
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 1..40).prop_map(|ps| ps.concat())
}

/// Queries built by the grammar's rules, from words that stress its corners: mostly valid,
/// deep and long ones included.
fn structured() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        4 => prop::sample::select(&VOCABULARY[..]).prop_map(str::to_owned),
        1 => "[a-zé]{2,6}\\*",
        1 => "\\*?[a-zé?]{3,6}",
        1 => "\\PL{1,4}",
    ];
    let positional = prop_oneof![
        3 => word.clone(),
        2 => prop::collection::vec(word.clone(), 2..5).prop_map(|ws| format!("\"{}\"", ws.join(" "))),
        1 => prop::collection::vec(word.clone(), 1..3).prop_map(|ws| format!("{{{}}}", ws.join(" "))),
    ];
    let leaf = prop_oneof![
        5 => positional.clone(),
        2 => (prop::collection::vec(word, 2..20), 0..120u32).prop_map(|(ws, n)| format!("\"{}\"~{n}", ws.join(" "))),
        2 => (positional.clone(), positional, 0..4u32, any::<bool>()).prop_map(|(a, b, n, f)| {
            format!("{a} NEAR/{n}{} {b}", if f { "f" } else { "" })
        }),
        1 => prop::sample::select(vec!["lang:fr", "author:alice.bsky.social", "site:example.com", "network:bluesky", "links:*"])
            .prop_map(str::to_owned),
    ];
    leaf.prop_recursive(40, 200, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..5).prop_map(|cs| format!("({})", cs.join(" AND "))),
            prop::collection::vec(inner.clone(), 2..5).prop_map(|cs| format!("({})", cs.join(" OR "))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND NOT {b})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("{a} AND NOT ({b})")),
        ]
    })
}

const SEEDS: [&str; 12] = [
    "(tutti OR \"tutti app\" OR #tutti) AND (complain* OR panne OR \"service client\"~2) AND NOT lang:de",
    "tutti AND NOT spam",
    "(tutti OR \"tutti app\") NEAR/5 (complain* OR panne)",
    "\"a a a a a a b\"~100",
    "{Crédit Agricole} AND site:example.com",
    "@alice* OR author:bob AND links:*",
    "🔥 AND tutti",
    "customi?e NEAR/2f l'appli-mobile",
    "((((tutti))))",
    "NOT NOT NOT tutti AND app",
    "lang:fr-CA AND network:mastodon AND \"e-mail\"",
    "“tutti app”~3 OR *phone",
];

#[test]
fn fuzz_queries_from_the_grammar() {
    fuzz("query-grammar", 2_000, prop_oneof![structured(), grammar_soup()], |text| check(&text));
}

#[test]
fn fuzz_mutated_queries() {
    fuzz("query-mutated", 2_000, mutated_text(&SEEDS), |text| check(&text));
}

#[test]
fn fuzz_arbitrary_text() {
    fuzz("query-text", 1_000, "\\PC{0,300}", |text| check(&text));
}

#[test]
fn fuzz_deeply_nested_queries() {
    let strategy = prop_oneof![
        nested("(", "tutti", ")", 100_000),
        nested("NOT ", "tutti", "", 100_000).prop_map(|s| format!("app AND {s}")),
        nested("(tutti AND ", "app", ")", 20_000),
        nested("((NOT ", "app", "))", 20_000).prop_map(|s| format!("tutti AND {s}")),
        nested("\"", "a", "\"", 20_000),
        prop::collection::vec(prop::sample::select(vec!["a", "b", "a"]), 1..40)
            .prop_map(|ws| format!("\"{}\"~100", ws.join(" "))),
    ];
    fuzz("query-nested", 300, strategy, |text| check(&text));
}

/// The targets are only as strong as their inputs: they must reach past the first refusal.
#[test]
fn the_generators_give_both_accepted_and_refused_queries() {
    use tutti_fuzz::proptest::strategy::ValueTree;
    use tutti_fuzz::proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let grammar = prop_oneof![structured(), grammar_soup()].boxed();
    for (name, strategy) in [("grammar", grammar), ("mutated", mutated_text(&SEEDS))] {
        let accepted = (0..1_000)
            .filter(|_| Query::parse(&strategy.new_tree(&mut runner).unwrap().current()).is_ok())
            .count();
        assert!((50..950).contains(&accepted), "{name}: {accepted} of 1000 accepted");
    }
}

/// Found by `query-mutated`: a query just under the length limit whose printed form is longer
/// (the printer quoted its words) was reported as a failed round trip; only the length may
/// refuse the printed form.
#[test]
fn regression_a_query_whose_printed_form_passes_the_length_limit() {
    let mut text = String::from("NOT NOT NOutti");
    while text.len() + " AND tti".len() + " AND appapp".len() <= MAX_QUERY_BYTES {
        text.push_str(" AND tti");
    }
    text.push_str(" AND appapp");
    check(&text).unwrap();
}
