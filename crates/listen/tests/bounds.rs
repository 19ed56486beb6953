//! The bounds that keep a hostile query from crashing the server or stalling the engine: the
//! length, the nesting depth, the number of words of a proximity phrase; and matching that
//! stays fast on the worst posts.

use tutti_listen::{
    Engine, Network, Post, Query, QueryErrorKind, MAX_DEPTH, MAX_PROXIMITY_TERMS, MAX_QUERY_BYTES,
};

/// Runs `f` on a thread with a small stack, like the server's workers but smaller, so that a
/// walk that recurses without bound fails here.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(1024 * 1024).spawn(f).unwrap().join().unwrap()
}

fn nested(depth: usize, inner: &str) -> String {
    format!("{}{inner}{}", "(".repeat(depth), ")".repeat(depth))
}

fn post(text: &str) -> Post {
    Post {
        text: text.into(),
        author: "alice".into(),
        lang: Some("fr".into()),
        network: Network::Bluesky,
        links: vec![],
    }
}

#[test]
fn a_query_of_two_thousand_nested_parentheses_is_refused_for_its_length() {
    let query = nested(2_000, "tutti");
    let error = on_small_stack(move || Query::parse(&query)).unwrap_err();
    assert_eq!(error.kind, QueryErrorKind::TooLong);
    assert_eq!(error.column, MAX_QUERY_BYTES + 1);
    assert_eq!(error.to_string(), "col 2049: query too long: at most 2048 bytes (4005 here)");
}

#[test]
fn a_query_nested_one_level_too_deep_is_refused_at_that_parenthesis() {
    let error = on_small_stack(|| Query::parse(&nested(1_000, "tutti"))).unwrap_err();
    assert_eq!(error.kind, QueryErrorKind::TooDeep);
    assert_eq!(error.column, MAX_DEPTH + 1);
    assert_eq!(error.to_string(), "col 33: too deeply nested: at most 32 levels of parentheses and NOT");
    assert_eq!(Query::parse(&nested(MAX_DEPTH + 1, "tutti")).unwrap_err().column, MAX_DEPTH + 1);
}

#[test]
fn a_chain_of_not_counts_each_not_as_a_level() {
    let query = format!("tutti AND {}spam", "NOT ".repeat(400));
    let error = on_small_stack(move || Query::parse(&query)).unwrap_err();
    assert_eq!(error.kind, QueryErrorKind::TooDeep);
    // The 33rd NOT, after "tutti AND " (10 characters) and 32 "NOT " (128).
    assert_eq!(error.column, 10 + 4 * MAX_DEPTH + 1);
    // Parentheses and NOT add up.
    let mixed =
        format!("tutti AND {}", nested(MAX_DEPTH / 2, &format!("{}spam", "NOT ".repeat(MAX_DEPTH / 2 + 1))));
    assert_eq!(Query::parse(&mixed).unwrap_err().kind, QueryErrorKind::TooDeep);
}

#[test]
fn multibyte_characters_count_in_bytes_for_the_length_and_in_characters_for_the_column() {
    // "é" is 2 bytes: 1,024 of them fill the 2,048 bytes.
    let fits = "é".repeat(MAX_QUERY_BYTES / 2);
    assert!(Query::parse(&fits).is_ok());
    let error = Query::parse(&format!("{fits}é")).unwrap_err();
    assert_eq!((error.kind, error.column), (QueryErrorKind::TooLong, MAX_QUERY_BYTES / 2 + 1));
}

#[test]
fn the_deepest_and_the_longest_queries_allowed_are_parsed_compiled_and_matched_on_a_small_stack() {
    // 17 parentheses and 15 NOT: 32 levels.
    let deepest = format!(
        "tutti AND {}",
        nested(MAX_DEPTH / 2 + 1, &format!("{}spam", "NOT ".repeat(MAX_DEPTH / 2 - 1)))
    );
    let deep_or = nested(MAX_DEPTH, "tutti OR app");
    // Flat chains of as many terms as fit in the length: no walk recurses per term.
    let chain = |joint: &str| {
        let mut chain = String::from("w0");
        let mut i = 1;
        while chain.len() + format!(" {joint} w{i}").len() <= MAX_QUERY_BYTES {
            chain.push_str(&format!(" {joint} w{i}"));
            i += 1;
        }
        chain
    };
    let (flat, flat_and) = (chain("OR"), chain("AND"));
    let texts = vec![deepest, deep_or, flat.clone(), flat_and];
    let found = on_small_stack(move || {
        let queries: Vec<Query> =
            texts.iter().map(|t| Query::parse(t).map_err(|e| format!("{t}: {e}")).unwrap()).collect();
        let mut engine = Engine::new();
        for (id, q) in queries.iter().enumerate() {
            engine.insert(id as u64, q.clone());
        }
        engine.rebuild();
        let p = post("tutti w7 et w300 sans le mot interdit");
        let reference: Vec<u64> =
            queries.iter().enumerate().filter(|(_, q)| q.matches(&p)).map(|(id, _)| id as u64).collect();
        let displayed: Vec<String> = queries.iter().map(ToString::to_string).collect();
        assert_eq!(displayed, texts);
        (engine.matches(&p), reference)
    });
    assert_eq!(found.0, found.1);
    assert_eq!(found.0, vec![0, 1, 2]);
    assert!(flat.len() > MAX_QUERY_BYTES - 10 && flat.matches(" OR ").count() > 250);
}

#[test]
fn a_proximity_phrase_holds_at_most_sixteen_words() {
    let words: Vec<String> = (0..=MAX_PROXIMITY_TERMS).map(|i| format!("w{i}")).collect();
    let fits = format!("tutti AND \"{}\"~3", words[..MAX_PROXIMITY_TERMS].join(" "));
    assert!(Query::parse(&fits).is_ok());
    let error = Query::parse(&format!("tutti AND \"{}\"~3", words.join(" "))).unwrap_err();
    assert_eq!(error.kind, QueryErrorKind::TooManyTerms);
    assert_eq!(error.to_string(), "col 11: a proximity phrase \"…\"~n holds at most 16 words (17 here)");
    // An exact phrase is matched word after word: it may be longer.
    assert!(Query::parse(&format!("\"{}\"", words.join(" "))).is_ok());
}

/// `b`, 120 other words, then 120 `a`: 241 words.
fn worst_post(b_at_start: bool) -> Post {
    let mut words: Vec<String> = Vec::new();
    words.push(if b_at_start { "b".into() } else { "c".into() });
    words.extend((0..120).map(|i| format!("mot{i}")));
    words.extend(std::iter::repeat_n("a".to_owned(), 120));
    post(&words.join(" "))
}

#[test]
fn proximity_of_repeated_terms_answers_at_once() {
    let query = Query::parse("\"a a a a a a b\"~100").unwrap();
    let mut engine = Engine::new();
    engine.insert(1, query.clone());
    engine.rebuild();
    let far = worst_post(true);
    assert!(!query.matches(&far));
    assert!(engine.matches(&far).is_empty());
    let near = post(&format!("{} b", worst_post(false).text));
    assert!(query.matches(&near));
    assert_eq!(engine.matches(&near), vec![1]);
}
