//! Property tests: on random queries and posts drawn from one vocabulary (accents, elision,
//! hashtags, mentions, emojis, links), the engine finds exactly the queries whose reference
//! evaluator matches, whatever mix of base index, recent level and tombstones holds them.

use proptest::prelude::*;
use tutti_listen::{Engine, Network, Post, PostTokens, Query};

static WORDS: [&str; 30] = [
    "réseau",
    "reseau",
    "Réseau",
    "RESEAU",
    "café",
    "cafe",
    "élève",
    "application",
    "tutti",
    "Tutti",
    "complain",
    "complaint",
    "complaints",
    "customise",
    "customize",
    "service",
    "client",
    "lent",
    "lente",
    "slow",
    "génial",
    "problème",
    "probleme",
    "accord",
    "app",
    "cœur",
    "coeur",
    "love",
    "spam",
    "il",
];

static POST_ONLY: [&str; 14] = [
    "l'application",
    "d’accord",
    "qu'il",
    "#tutti",
    "#Café",
    "@alice.bsky.social",
    "@bob@mastodon.social",
    "🔥",
    "👍🏽",
    "https://www.example.com/x",
    "http://blog.exemple.fr/a",
    "e-mail",
    "Tutti,",
    "(réseau)",
];

static FIELDS: [&str; 12] = [
    "lang:fr",
    "lang:en",
    "network:bluesky",
    "network:mastodon",
    "site:example.com",
    "site:exemple.fr",
    "links:*",
    "links:example",
    "author:alice",
    "author:bob",
    "lang:fr-ca",
    "network:rss",
];

fn word() -> impl Strategy<Value = String> {
    (prop::sample::select(&WORDS[..]), 0..3u8).prop_map(|(w, case)| match case {
        0 => w.to_owned(),
        1 => w.to_uppercase(),
        _ => w.to_lowercase(),
    })
}

/// A word pattern: a word, a prefix wildcard, a `?` in place of one letter, or a leading `*`.
fn word_pattern() -> impl Strategy<Value = String> {
    (word(), 0..6u8, any::<prop::sample::Index>()).prop_map(|(w, shape, at)| {
        let chars: Vec<char> = w.chars().collect();
        let n = chars.len();
        match shape {
            0 if n > 2 => format!("{}*", chars[..2 + at.index(n - 2)].iter().collect::<String>()),
            1 if n > 2 => {
                let i = at.index(n);
                chars.iter().enumerate().map(|(j, c)| if j == i { '?' } else { *c }).collect()
            }
            2 if n > 3 => format!("*{}", chars[at.index(n - 2)..].iter().collect::<String>()),
            _ => w,
        }
    })
}

/// Leaves that have word positions, usable beside NEAR.
fn positional() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => word_pattern(),
        2 => prop::collection::vec(word_pattern(), 2..4).prop_map(|ws| format!("\"{}\"", ws.join(" "))),
        1 => word().prop_map(|w| format!("{{{w}}}")),
        1 => prop::sample::select(vec!["#tutti", "#cafe", "#Café", "#tut*"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec!["@alice.bsky.social", "@bob@mastodon.social", "@alice*"])
            .prop_map(str::to_owned),
    ];
    leaf.prop_recursive(1, 4, 2, |inner| (inner.clone(), inner).prop_map(|(a, b)| format!("({a} OR {b})")))
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => positional(),
        2 => (prop::collection::vec(word(), 2..4), 0..4u32)
            .prop_map(|(ws, n)| format!("\"{}\"~{n}", ws.join(" "))),
        1 => prop::sample::select(vec!["🔥", "👍"]).prop_map(str::to_owned),
        2 => prop::sample::select(&FIELDS[..]).prop_map(str::to_owned),
    ]
}

fn query_text() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("({a} OR {b} OR {c})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("({a} AND NOT {b})")),
            (positional(), positional(), 0..4u32, any::<bool>()).prop_map(|(a, b, n, f)| {
                let f = if f { "f" } else { "" };
                format!("({a} NEAR/{n}{f} {b})")
            }),
        ]
    })
}

fn query() -> impl Strategy<Value = Query> {
    query_text().prop_filter_map("the query must be valid", |text| Query::parse(&text).ok())
}

fn post() -> impl Strategy<Value = Post> {
    let token = prop_oneof![3 => word(), 1 => prop::sample::select(&POST_ONLY[..]).prop_map(str::to_owned)];
    (
        prop::collection::vec(token, 0..14),
        prop::sample::select(vec![None, Some("fr"), Some("en"), Some("fr-CA")]),
        prop::sample::select(Network::ALL.to_vec()),
        prop::sample::subsequence(
            vec!["https://example.com/a", "https://shop.example.com", "http://exemple.fr"],
            0..2,
        ),
        prop::sample::select(vec!["alice", "@Alice", "bob", "carol"]),
    )
        .prop_map(|(words, lang, network, links, author)| Post {
            text: words.join(" "),
            author: author.to_owned(),
            lang: lang.map(str::to_owned),
            network,
            links: links.into_iter().map(str::to_owned).collect(),
        })
}

fn reference(queries: &[(u64, Query)], post: &Post) -> Vec<u64> {
    let tokens = PostTokens::new(post);
    let mut ids: Vec<u64> =
        queries.iter().filter(|(_, q)| q.matches_tokens(&tokens)).map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_finds_exactly_what_the_reference_finds(
        queries in prop::collection::vec(query(), 1..24),
        posts in prop::collection::vec(post(), 1..12),
        in_base in 0usize..24,
        removed in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut held: Vec<(u64, Query)> = queries.into_iter().enumerate().map(|(i, q)| (i as u64, q)).collect();
        let mut engine = Engine::new();
        for (id, query) in &held[..in_base.min(held.len())] {
            engine.insert(*id, query.clone());
        }
        engine.rebuild();
        for (id, query) in &held[in_base.min(held.len())..] {
            engine.insert(*id, query.clone());
        }
        // Removals leave tombstones in the base or leave the recent level; the last query
        // is then also held under the id of the first, replacing it.
        for index in removed {
            let (id, _) = held.remove(index.index(held.len()));
            prop_assert!(engine.remove(id));
            if held.is_empty() {
                break;
            }
        }
        if let (Some(first), Some(last)) = (held.first().cloned(), held.last().cloned()) {
            if first.0 != last.0 {
                engine.insert(first.0, last.1.clone());
                held[0].1 = last.1;
            }
        }
        prop_assert_eq!(engine.len(), held.len());
        for post in &posts {
            prop_assert_eq!(engine.matches(post), reference(&held, post), "post {:?}", post.text);
        }
        engine.rebuild();
        for post in &posts {
            prop_assert_eq!(engine.matches(post), reference(&held, post), "after rebuild, post {:?}", post.text);
        }
    }

    #[test]
    fn every_generated_query_survives_a_round_trip_through_its_text(query in query()) {
        let again = Query::parse(query.as_str()).unwrap();
        prop_assert_eq!(again.root(), query.root());
    }
}

/// The property above is only as strong as its inputs: they must give plenty of matches and
/// plenty of misses.
#[test]
fn the_generators_give_both_matches_and_misses() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut matched, mut total) = (0, 0);
    for _ in 0..200 {
        let query = query().new_tree(&mut runner).unwrap().current();
        for _ in 0..20 {
            let post = post().new_tree(&mut runner).unwrap().current();
            matched += usize::from(query.matches(&post));
            total += 1;
        }
    }
    let share = matched as f64 / total as f64;
    assert!((0.05..0.6).contains(&share), "{matched} of {total} pairs match");
}
