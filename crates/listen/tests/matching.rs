//! What queries match, case by case, through every way of evaluating them: the reference
//! evaluator, the engine's base index and the engine's recent level.

use tutti_listen::{Engine, Network, Post, Query};

fn post(text: &str) -> Post {
    Post::new(text)
}

fn with_lang(text: &str, lang: Option<&str>) -> Post {
    Post { lang: lang.map(str::to_owned), ..Post::new(text) }
}

/// Evaluates `query` on `post` in the three ways and checks they agree.
fn evaluate(query: &str, post: &Post) -> bool {
    let parsed = Query::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    let reference = parsed.matches(post);
    let base = Engine::with_queries([(7, parsed.clone())]);
    let mut recent = Engine::new();
    recent.insert(7, parsed);
    for (name, engine) in [("base", &base), ("recent", &recent)] {
        let expected: Vec<u64> = if reference { vec![7] } else { vec![] };
        assert_eq!(engine.matches(post), expected, "{name} level disagrees for {query:?} on {:?}", post.text);
    }
    reference
}

#[test]
fn words_match_whatever_their_case_and_accents() {
    let cases = [
        ("reseau", "Le Réseau social", true),
        ("RESEAU", "réseau", true),
        ("réseau", "RESEAU", true),
        ("cœur", "coeur", true),
        ("coeur", "CŒUR", true),
        ("application", "l'application plante", true),
        ("accord", "d’accord", true),
        ("il", "qu'il vienne", true),
        ("tutti", "tuttifrutti", false),
        ("e-mail", "send an e mail", true),
        ("\"e mail\"", "my e-mail", true),
    ];
    for (query, text, expected) in cases {
        assert_eq!(evaluate(query, &post(text)), expected, "{query} on {text}");
    }
}

#[test]
fn braces_match_case_and_accents_exactly() {
    let cases = [
        ("{Réseau}", "réseau", false),
        ("{Réseau}", "Réseau", true),
        ("{Reseau}", "Réseau", false),
        ("{Orange} AND forfait", "mon forfait Orange", true),
        ("{Orange} AND forfait", "mon forfait orange", false),
        ("{Crédit Agricole}", "au Crédit Agricole", true),
        ("{Crédit Agricole}", "au crédit agricole", false),
        ("{Tutti*}", "TuttiApp", true),
        ("{Tutti*}", "tuttiapp", false),
    ];
    for (query, text, expected) in cases {
        assert_eq!(evaluate(query, &post(text)), expected, "{query} on {text}");
    }
}

#[test]
fn wildcards_stay_within_one_word() {
    let cases = [
        ("complain*", "so many complaints", true),
        ("complain*", "complain", true),
        ("complain*", "complai", false),
        ("customi?e", "customize it", true),
        ("customi?e", "customise", true),
        ("customi?e", "custome", false),
        ("*phone", "my smartphone", true),
        ("*phone", "phones", false),
        ("dé*u", "vraiment déçu", true),
        ("\"service cli*\"", "le service clientèle", true),
        ("#tut*", "#TuttiApp", true),
        ("@alice*", "hi @alice.bsky.social", true),
    ];
    for (query, text, expected) in cases {
        assert_eq!(evaluate(query, &post(text)), expected, "{query} on {text}");
    }
}

#[test]
fn phrases_and_near_count_words_between() {
    let cases = [
        ("\"service client\"", "le service client est lent", true),
        ("\"service client\"", "client service", false),
        ("\"service client\"~2", "le client du service", true),
        ("\"service client\"~0", "client service", true),
        ("\"service client\"~1", "service après vente client", false),
        ("\"service client\"~2", "service après vente client", true),
        ("\"tutti tutti\"~3", "tutti app", false),
        ("\"tutti tutti\"~3", "tutti app tutti", true),
        ("tutti NEAR/2 lent", "tutti est vraiment lent", true),
        ("tutti NEAR/1 lent", "tutti est vraiment lent", false),
        ("tutti NEAR/2 lent", "lent est vraiment tutti", true),
        ("tutti NEAR/2f lent", "lent est vraiment tutti", false),
        ("tutti NEAR/2f lent", "tutti est vraiment lent", true),
        ("tutti NEAR/0 app", "app tutti", true),
        ("tutti NEAR/3 tutti*", "tutti", false),
        ("tutti NEAR/3 tutti*", "tutti tuttifrutti", true),
        ("\"tutti app\" NEAR/1 lente", "tutti app vraiment lente", true),
        ("\"tutti app\" NEAR/0 lente", "tutti app vraiment lente", false),
        ("(tutti OR bidule) NEAR/1f (lent* OR panne)", "bidule en panne", true),
        ("(tutti OR bidule) NEAR/1f (lent* OR panne)", "panne en bidule", false),
        ("\"love tutti\"", "love 🔥 tutti", true),
        ("love NEAR/0 tutti", "love 🔥🔥 tutti", true),
        ("love NEAR/0 tutti", "love https://x.com tutti", false),
    ];
    for (query, text, expected) in cases {
        assert_eq!(evaluate(query, &post(text)), expected, "{query} on {text}");
    }
}

#[test]
fn hashtags_mentions_and_emojis_match_their_own_kind() {
    let cases = [
        ("#tutti", "I love #Tutti", true),
        ("#tutti", "I love tutti", false),
        ("tutti", "#Tutti rocks", true),
        ("@alice.bsky.social", "hi @Alice.bsky.social", true),
        ("@alice.bsky.social", "hi alice.bsky.social", false),
        ("alice", "hi @alice", false),
        ("@bob@mastodon.social", "cc @bob@mastodon.social!", true),
        ("🔥 AND tutti", "tutti 🔥", true),
        ("🔥 AND tutti", "tutti", false),
        ("👍", "top 👍🏽", true),
    ];
    for (query, text, expected) in cases {
        assert_eq!(evaluate(query, &post(text)), expected, "{query} on {text}");
    }
}

#[test]
fn exclusions_remove_posts() {
    let cases = [
        ("tutti NOT spam", "tutti spam", false),
        ("tutti NOT spam", "tutti app", true),
        ("tutti AND NOT (concours OR promo)", "tutti promo", false),
        ("NOT promo AND tutti", "tutti", true),
        ("tutti AND NOT tutti NEAR/1 promo", "tutti x promo", false),
        ("tutti AND NOT tutti NEAR/1 promo", "tutti x y promo", true),
    ];
    for (query, text, expected) in cases {
        assert_eq!(evaluate(query, &post(text)), expected, "{query} on {text}");
    }
}

#[test]
fn fields_filter_on_what_the_post_is() {
    let mastodon = Post { network: Network::Mastodon, ..post("tutti") };
    let by_alice = Post { author: "@Alice.bsky.social".to_owned(), ..post("tutti") };
    let attached = Post { links: vec!["https://shop.example.com/promo".to_owned()], ..post("tutti") };
    let cases: Vec<(&str, Post, bool)> = vec![
        ("lang:fr AND tutti", with_lang("tutti", Some("fr-CA")), true),
        ("lang:fr AND tutti", with_lang("tutti", Some("fr")), true),
        ("lang:fr AND tutti", with_lang("tutti", Some("fry")), false),
        ("lang:fr AND tutti", with_lang("tutti", Some("en")), false),
        ("lang:fr AND tutti", with_lang("tutti", None), false),
        ("lang:fr-ca AND tutti", with_lang("tutti", Some("fr_CA")), true),
        ("network:mastodon AND tutti", mastodon.clone(), true),
        ("network:bluesky AND tutti", mastodon, false),
        ("author:alice.bsky.social AND tutti", by_alice.clone(), true),
        ("author:@ALICE.bsky.social", by_alice, true),
        ("site:example.com AND tutti", post("tutti https://blog.example.com/x"), true),
        ("site:example.com AND tutti", post("tutti https://example.community/"), false),
        ("site:example.com AND tutti", post("tutti https://notexample.com/"), false),
        ("site:example.com AND tutti", attached.clone(), true),
        ("links:example AND tutti", post("tutti https://foo.com/?ref=example"), true),
        ("links:* AND tutti", post("tutti"), false),
        ("links:* AND tutti", attached, true),
        ("lang:fr AND network:bluesky", with_lang("rien à voir", Some("fr")), true),
        ("lang:fr AND network:bluesky", with_lang("rien à voir", Some("en")), false),
    ];
    for (query, post, expected) in cases {
        assert_eq!(evaluate(query, &post), expected, "{query} on {post:?}");
    }
}
