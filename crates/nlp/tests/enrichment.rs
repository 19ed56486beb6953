//! Behaviour of the public API: language, sentiment, toxicity, entities and the JSON line.

use tutti_nlp::{analyse, detect_lang, entities, sentiment, to_json_line, toxicity, Enrichment, Label, Lang};

#[test]
fn short_sentences_get_their_language() {
    let cases = [
        ("Je ne sais pas si je viendrai ce soir, il pleut trop.", Lang::Fr),
        ("Vivement les vacances, je suis épuisée", Lang::Fr),
        ("I really think we should leave before the traffic gets worse.", Lang::En),
        ("Can't wait for the weekend with my friends", Lang::En),
        ("¿Dónde está la estación de tren más cercana?", Lang::Es),
        ("Mañana vamos a la playa con los niños", Lang::Es),
        ("Ich weiß nicht, ob ich heute Abend kommen kann.", Lang::De),
        ("Das Essen in diesem Restaurant war wirklich gut", Lang::De),
        ("Non so se riuscirò a venire stasera, piove troppo.", Lang::It),
        ("Questa sera andiamo a mangiare una pizza insieme", Lang::It),
        ("Ik weet niet of ik vanavond kan komen, het regent.", Lang::Nl),
        ("We gaan morgen met de kinderen naar het strand", Lang::Nl),
        ("Não sei se consigo ir hoje à noite, está chovendo.", Lang::Pt),
        ("Amanhã vamos para a praia com as crianças", Lang::Pt),
    ];
    for (text, lang) in cases {
        assert_eq!(detect_lang(text), Some(lang), "{text}");
    }
}

#[test]
fn language_is_none_when_the_text_cannot_tell() {
    let cases = [
        "",
        "ok",
        "😂😂😂",
        "https://example.org/a/very/long/path/that/is/not/language @someone #tag",
        "Это предложение написано по-русски и довольно длинное.",
        "これは日本語の文章です。",
        "Dzisiaj jest piękna pogoda w Warszawie",
    ];
    for text in cases {
        assert_eq!(detect_lang(text), None, "{text}");
    }
}

#[test]
fn links_and_mentions_do_not_sway_the_language() {
    let text = "Merci beaucoup pour votre aide précieuse @the_best_english_account https://www.example.com/english/words/here";
    assert_eq!(detect_lang(text), Some(Lang::Fr));
}

#[test]
fn clear_sentiments_get_their_label() {
    let cases = [
        ("J'adore ce film, il est magnifique", Some(Lang::Fr), Label::Pos),
        ("Super soirée avec les amis, merci à tous", Some(Lang::Fr), Label::Pos),
        ("Quel service horrible, je suis vraiment déçu", Some(Lang::Fr), Label::Neg),
        ("C'est nul, une vraie catastrophe", Some(Lang::Fr), Label::Neg),
        ("Le train arrive à huit heures", Some(Lang::Fr), Label::Neu),
        ("I love this, it is wonderful", Some(Lang::En), Label::Pos),
        ("Great job team, well done", Some(Lang::En), Label::Pos),
        ("This is terrible, I hate it", Some(Lang::En), Label::Neg),
        ("The worst customer service ever", Some(Lang::En), Label::Neg),
        ("The meeting is at three in room four", Some(Lang::En), Label::Neu),
    ];
    for (text, lang, label) in cases {
        assert_eq!(sentiment(text, lang).label, label, "{text}");
    }
}

#[test]
fn negation_turns_the_sentiment_around() {
    let cases = [
        ("c'est bon", "c'est pas bon", Lang::Fr),
        ("ce film est bien", "ce film n'est pas bien", Lang::Fr),
        ("j'aime ce livre", "je n'aime pas ce livre", Lang::Fr),
        ("j'aime ce livre", "j'aime pas ce livre", Lang::Fr),
        ("this is good", "this is not good", Lang::En),
        ("I like it", "I don't like it", Lang::En),
        ("this is bad", "this is not bad", Lang::En),
        ("c'est mal", "c'est pas mal", Lang::Fr),
    ];
    for (plain, negated, lang) in cases {
        let a = sentiment(plain, Some(lang)).score;
        let b = sentiment(negated, Some(lang)).score;
        assert!(a != 0.0 && a.signum() != b.signum(), "{plain} ({a}) vs {negated} ({b})");
    }
}

#[test]
fn pas_terrible_is_negative_in_french() {
    for text in ["ce n'est pas terrible", "c'est pas terrible", "le film n'était pas terrible"] {
        assert_eq!(sentiment(text, Some(Lang::Fr)).label, Label::Neg, "{text}");
    }
}

#[test]
fn intensifiers_capitals_and_exclamations_strengthen() {
    let cases = [
        ("c'est bien", "c'est très bien", Lang::Fr),
        ("this is good", "this is very good", Lang::En),
        ("this is good", "this is GOOD", Lang::En),
        ("this is good", "this is good!!!", Lang::En),
        ("c'est mauvais", "c'est vraiment mauvais", Lang::Fr),
    ];
    for (plain, strong, lang) in cases {
        let a = sentiment(plain, Some(lang)).score.abs();
        let b = sentiment(strong, Some(lang)).score.abs();
        assert!(b > a, "{plain} ({a}) vs {strong} ({b})");
    }
}

#[test]
fn emojis_carry_sentiment_in_any_language() {
    let cases = [
        ("😍", Label::Pos),
        ("👍", Label::Pos),
        ("👍🏽", Label::Pos),
        ("❤️", Label::Pos),
        ("😡", Label::Neg),
        ("👎", Label::Neg),
        ("🙄", Label::Neg),
        ("Der Zug kommt um acht 😡", Label::Neg),
        (":)", Label::Pos),
        (":(", Label::Neg),
    ];
    for (text, label) in cases {
        assert_eq!(analyse(text).sentiment.label, label, "{text}");
    }
}

#[test]
fn accents_are_folded_for_lookup() {
    let accented = sentiment("je suis déçu", Some(Lang::Fr)).score;
    let plain = sentiment("je suis decu", Some(Lang::Fr)).score;
    assert!(accented < 0.0);
    assert_eq!(accented, plain);
}

#[test]
fn sentiment_scores_stay_within_bounds() {
    let long_praise = "génial ".repeat(200);
    let long_rage = "horrible 😡 ".repeat(200);
    for text in [long_praise.as_str(), long_rage.as_str(), "", "!!!!!!"] {
        let s = analyse(text).sentiment.score;
        assert!((-1.0..=1.0).contains(&s), "{s}");
    }
}

#[test]
fn obfuscated_insults_are_flagged() {
    let cases = [
        ("t'es qu'un connard", Some(Lang::Fr)),
        ("t'es qu'un c0nnard", Some(Lang::Fr)),
        ("espèce de c.o.n.n.a.r.d", Some(Lang::Fr)),
        ("t'es qu'un connnnnard", Some(Lang::Fr)),
        ("sale 3nculé", Some(Lang::Fr)),
        ("espèce d'enculé", Some(Lang::Fr)),
        ("t'es qu'un CONNARD", None),
        ("ferme ta gueule", Some(Lang::Fr)),
        ("tu n'es qu'un imbécile", Some(Lang::Fr)),
        ("you are a f*cking idiot", Some(Lang::En)),
        ("f*ck you", Some(Lang::En)),
        ("you're such a b1tch", Some(Lang::En)),
        ("you stupid a$$hole", Some(Lang::En)),
        ("s h i t head, kill yourself", Some(Lang::En)),
        ("kys", None),
        ("you're such a loser", Some(Lang::En)),
        ("fuuuuck you", Some(Lang::En)),
    ];
    for (text, lang) in cases {
        let t = toxicity(text, lang);
        assert!(t.flagged, "{text}: {t:?}");
    }
}

#[test]
fn innocent_words_that_contain_insults_are_not_flagged() {
    let cases = [
        ("La constitution protège les citoyens", Some(Lang::Fr)),
        ("Les concombres sont de saison, quel conte !", Some(Lang::Fr)),
        ("Je suis en retard pour le train", Some(Lang::Fr)),
        ("La manche de ma veste est déchirée", Some(Lang::Fr)),
        ("The assistant in Scunthorpe was helpful", Some(Lang::En)),
        ("We passed the class and the assessment", Some(Lang::En)),
        ("Voy con mis amigos al cine", Some(Lang::Es)),
        ("Pros and cons of the new cocktail menu", Some(Lang::En)),
        ("Shuttlecock, cockpit and peacock", Some(Lang::En)),
        ("Version 3.5.1 is out: https://example.org/c0nnard/f*ck", Some(Lang::En)),
        ("@shithead_official thanks for the update", Some(Lang::En)),
    ];
    for (text, lang) in cases {
        let t = toxicity(text, lang);
        assert!(!t.flagged, "{text}: {t:?}");
    }
}

#[test]
fn lone_swear_words_are_scored_but_not_flagged() {
    let cases = [
        ("holy shit", Some(Lang::En)),
        ("This is fucking amazing", Some(Lang::En)),
        ("putain c'est génial", Some(Lang::Fr)),
        ("Cette série est une merde", Some(Lang::Fr)),
    ];
    for (text, lang) in cases {
        let t = toxicity(text, lang);
        assert!(t.score > 0.0 && !t.flagged, "{text}: {t:?}");
    }
}

#[test]
fn several_insults_are_flagged_even_untargeted() {
    for text in ["connard de merde", "quel connard, quel abruti", "fucking asshole"] {
        let t = toxicity(text, None);
        assert!(t.flagged, "{text}: {t:?}");
    }
}

#[test]
fn targeting_raises_the_toxicity_of_an_insult() {
    let cases = [
        ("quel imbécile", "t'es qu'un imbécile", Lang::Fr),
        ("con", "t'es qu'un con", Lang::Fr),
        ("what a dick", "you are a dick", Lang::En),
        ("shit", "you are a shit", Lang::En),
    ];
    for (untargeted, targeted, lang) in cases {
        let a = toxicity(untargeted, Some(lang)).score;
        let b = toxicity(targeted, Some(lang)).score;
        assert!(b > a, "{untargeted} ({a}) vs {targeted} ({b})");
    }
}

#[test]
fn harassment_phrases_score_high_without_profanity() {
    for text in ["kill yourself", "go die", "va crever", "suicide-toi", "ferme ta gueule"] {
        assert!(toxicity(text, None).score >= 0.6, "{text}");
    }
}

#[test]
fn clean_posts_score_zero_toxicity() {
    for text in ["Bonne journée à tous !", "Thanks for the great talk yesterday", "", "🙂"] {
        assert_eq!(toxicity(text, None).score, 0.0, "{text}");
    }
}

/// A text, then the hashtags, mentions, links and domains expected of it.
type EntityCase = (&'static str, [&'static [&'static str]; 4]);

#[test]
fn entities_are_extracted() {
    let cases: &[EntityCase] = &[
        (
            "Hello @alice and @bob.bsky.social, see https://www.Example.org/a?b=1. #Rust #rust",
            [
                &["Rust", "rust"],
                &["alice", "bob.bsky.social"],
                &["https://www.Example.org/a?b=1"],
                &["example.org"],
            ],
        ),
        (
            "cc @carol@mastodon.social (https://en.wikipedia.org/wiki/Rust_(programming_language))",
            [
                &[],
                &["carol@mastodon.social"],
                &["https://en.wikipedia.org/wiki/Rust_(programming_language)"],
                &["en.wikipedia.org"],
            ],
        ),
        ("mail me at someone@example.org or see #1 and C#", [&[], &[], &[], &[]]),
        (
            "http://a.example.com/x http://a.example.com/y #Été2024 @dave.",
            [
                &["Été2024"],
                &["dave"],
                &["http://a.example.com/x", "http://a.example.com/y"],
                &["a.example.com"],
            ],
        ),
        ("https:// is not a link, nor www.example.org", [&[], &[], &[], &[]]),
    ];
    for (text, [hashtags, mentions, links, domains]) in cases {
        let e = entities(text);
        assert_eq!(e.hashtags, *hashtags, "hashtags of {text}");
        assert_eq!(e.mentions, *mentions, "mentions of {text}");
        assert_eq!(e.links, *links, "links of {text}");
        assert_eq!(e.domains, *domains, "domains of {text}");
    }
}

#[test]
fn the_json_line_has_the_agreed_format() {
    let e = Enrichment {
        lang: Some(Lang::Fr),
        sentiment: tutti_nlp::Sentiment::from_score(-0.6213),
        toxicity: tutti_nlp::Toxicity::from_score(0.1004),
        entities: entities("#a @b https://c.example/d"),
    };
    let without =
        r#"{"lang":"fr","sentiment":{"label":"neg","score":-0.62},"toxicity":{"score":0.1,"flagged":false}}"#;
    let with = r#"{"lang":"fr","sentiment":{"label":"neg","score":-0.62},"toxicity":{"score":0.1,"flagged":false},"entities":{"hashtags":["a"],"mentions":["b"],"links":["https://c.example/d"],"domains":["c.example"]}}"#;
    let cases = [(to_json_line(&e, false), without), (to_json_line(&e, true), with)];
    for (line, expected) in cases {
        assert_eq!(line, expected);
    }
    assert_eq!(serde_json::to_string(&e).unwrap(), without);
}

#[test]
fn an_unknown_language_is_null_in_json() {
    let line = to_json_line(&analyse("xyz 42"), false);
    assert_eq!(
        line,
        r#"{"lang":null,"sentiment":{"label":"neu","score":0.0},"toxicity":{"score":0.0,"flagged":false}}"#
    );
}

#[test]
fn the_json_line_reads_back() {
    for text in ["J'adore 😍 #top", "you are a f*cking idiot", "Der Zug ist spät"] {
        let e = analyse(text);
        let back: Enrichment = serde_json::from_str(&to_json_line(&e, false)).unwrap();
        assert_eq!((back.lang, back.sentiment, back.toxicity), (e.lang, e.sentiment, e.toxicity), "{text}");
    }
}

#[test]
fn a_negation_does_not_reach_past_a_comma() {
    // Regression: "pas" used to negate "nul" across the comma and made this complaint positive.
    let e = tutti_nlp::analyse("Le service client ne répond pas, c'est nul");
    assert_eq!(e.sentiment.label, tutti_nlp::Label::Neg, "{e:?}");
}

#[test]
fn swear_words_are_profane_however_spelt() {
    let cases = [
        ("ｆｖｃｋ you", None),
        ("what a shiiiiit day", None),
        ("s h i t happens", None),
        ("you stupidbitch", None),
        ("get lost motherfuker", None),
        ("f*u*c*k this", None),
        ("fu\u{0441}k off", None),
        ("quel c0nnard ce type", Some(Lang::Fr)),
        ("ferme ta gueule sale con", Some(Lang::Fr)),
        ("putain, il pleut encore", Some(Lang::Fr)),
    ];
    for (text, lang) in cases {
        assert!(toxicity(text, lang).profane, "{text}");
        assert!(analyse(text).toxicity.profane, "{text} through analyse");
    }
}

#[test]
fn look_alikes_and_mild_words_are_not_profane() {
    let cases = [
        ("The cocktail bar in Scunthorpe", Some(Lang::En)),
        ("the assassin's creed game is on sale", Some(Lang::En)),
        ("a$5@s$in", None),
        ("Dick*ns is my favourite author", Some(Lang::En)),
        ("J'habite à Bitche, en Moselle", Some(Lang::Fr)),
        ("Le train était en retard, encore une fois", Some(Lang::Fr)),
        ("La constitution protège les citoyens", Some(Lang::Fr)),
        ("oh my God, this is delicious", Some(Lang::En)),
        ("what the hell happened to the website?", Some(Lang::En)),
    ];
    for (text, lang) in cases {
        let t = toxicity(text, lang);
        assert!(!t.profane && !t.flagged, "{text}: {t:?}");
    }
}

#[test]
fn insults_aimed_at_someone_are_flagged_and_swearing_alone_is_not() {
    for text in ["you are pathetic and ugly", "t'es qu'un minable", "pauvre con, apprends à lire"] {
        assert!(analyse(text).toxicity.flagged, "{text}");
    }
    for text in ["holy shit this update is amazing", "merde, j'ai raté le bus"] {
        let t = analyse(text).toxicity;
        assert!(t.profane && !t.flagged, "{text}: {t:?}");
    }
}

#[test]
fn french_sentiment_reads_what_the_lexicon_misses() {
    let cases = [
        ("Franchement décevant pour ce prix", Label::Neg),
        ("Très bonne qualité, rien à redire", Label::Pos),
        ("Je regrette vraiment cet achat", Label::Neg),
    ];
    for (text, label) in cases {
        assert_eq!(sentiment(text, Some(Lang::Fr)).label, label, "{text}");
    }
}
