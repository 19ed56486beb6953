//! The charter checks as the composer sees them: findings, their byte ranges and severities.

use std::collections::HashMap;

use tutti_charter::{
    blocks, check, pillar_of, pillar_shares, Charter, CheckKind, Draft, Finding, Image, Lang, Pillar,
    Severities, Severity,
};

/// A charter with only banned words, and no spelling check.
fn banning(words: &[&str]) -> Charter {
    Charter {
        banned: words.iter().map(|w| (*w).to_owned()).collect(),
        spelling: Vec::new(),
        ..Charter::default()
    }
}

fn draft(text: &str) -> Draft {
    Draft { text: text.to_owned(), channel_handle: "@brand@masto.example".to_owned(), ..Draft::default() }
}

/// The text each finding of `kind` points at.
fn slices<'a>(text: &'a str, findings: &[Finding], kind: CheckKind) -> Vec<&'a str> {
    findings.iter().filter(|f| f.kind == kind).map(|f| &text[f.range().expect("a range")]).collect()
}

#[test]
fn banned_words_are_found_whatever_their_case_accents_and_elision() {
    let cases: &[(&[&str], &str, &[&str])] = &[
        (&["arnaque"], "🎉 Évitez l’ARNAQUE !", &["ARNAQUE"]),
        (&["arnaque"], "C'est l'arnaque du siècle", &["arnaque"]),
        (&["arnaque"], "Des arnaques partout", &["arnaques"]),
        (&["arnaque"], "Un arnaqueur, pas une arnaque-rie", &["arnaque"]),
        (&["arnaq*"], "Un arnaqueur 😬", &["arnaqueur"]),
        (&["Échec"], "Quel ECHEC, quel échec, quel Échec", &["ECHEC", "échec", "Échec"]),
        (&["c'est nul"], "Franchement, C’EST… NUL 😤", &["C’EST… NUL"]),
        (&["c'est nul"], "Ce n'est pas nul, c'est pas nul", &[]),
        (&["nul", "c'est nul"], "👎🏽 c'est nul, vraiment nul", &["c'est nul", "nul"]),
        (&["con"], "Un conseil : contactez-nous", &[]),
        (&["arnaque"], "Lien https://example.org/arnaque et @arnaque_fr", &[]),
        (&["arnaque"], "Stop #arnaque", &["arnaque"]),
        (&["concurrent x"], "Mieux que Concurrent-X !", &["Concurrent-X"]),
        (&["🤬"], "grr🤬🤬", &["🤬", "🤬"]),
        (&["  ", "!!"], "Rien à signaler", &[]),
    ];
    for (banned, text, expected) in cases {
        let findings = check(&banning(banned), &draft(text));
        assert_eq!(slices(text, &findings, CheckKind::Banned), *expected, "{banned:?} in {text:?}");
        assert_eq!(findings.len(), expected.len(), "{findings:?}");
        assert!(findings.iter().all(|f| f.severity == Severity::Block && f.suggestion.is_none()));
        assert_eq!(blocks(&findings), !expected.is_empty());
    }
}

#[test]
fn a_banned_finding_names_the_entry_and_follows_the_charters_severity() {
    let mut charter = banning(&["arnaque"]);
    charter.severity.banned = Severity::Warn;
    let findings = check(&charter, &draft("Une ARNAQUE"));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].message, "The editorial charter bans \"arnaque\".");
    assert_eq!(findings[0].severity, Severity::Warn);
    assert!(!blocks(&findings));
}

#[test]
fn required_hashtags_are_asked_of_their_channel_only() {
    let mut required = HashMap::new();
    required.insert("@Brand@Masto.example".to_owned(), vec!["#Tutti".to_owned(), "Réseau".to_owned()]);
    required.insert("brand.bsky.social".to_owned(), vec!["#Bluesky".to_owned()]);
    required.insert("*".to_owned(), vec!["#Team".to_owned()]);
    let charter = Charter { required_hashtags: required, spelling: Vec::new(), ..Charter::default() };

    let cases: &[(&str, &str, &[&str])] = &[
        ("brand@masto.example", "Bonjour #TUTTI #reseau #team", &[]),
        ("@brand@masto.example", "Bonjour #tutti #team", &["#Réseau"]),
        ("@brand@masto.example", "Bonjour tutti https://x.example/#Tutti #team #Réseau", &["#Tutti"]),
        ("@brand@masto.example", "Bonjour", &["#Team", "#Tutti", "#Réseau"]),
        ("brand.bsky.social", "Hello #team #bluesky", &[]),
        ("@other@masto.example", "Hello", &["#Team"]),
        ("", "Hello #Team", &[]),
    ];
    for (channel, text, expected) in cases {
        let d = Draft { text: (*text).to_owned(), channel_handle: (*channel).to_owned(), ..Draft::default() };
        let findings = check(&charter, &d);
        let asked: Vec<&str> = findings.iter().filter_map(|f| f.suggestion.as_deref()).collect();
        assert_eq!(asked, *expected, "{channel} {text}");
        for f in &findings {
            assert_eq!(
                (f.kind, f.severity, f.start, f.end),
                (CheckKind::Hashtags, Severity::Warn, None, None)
            );
            assert!(!blocks(&findings));
        }
    }
    let d = Draft {
        text: "Bonjour #team".to_owned(),
        channel_handle: "@brand@masto.example".to_owned(),
        ..Draft::default()
    };
    let messages: Vec<String> = check(&charter, &d).into_iter().map(|f| f.message).collect();
    assert_eq!(
        messages,
        [
            "Posts on @brand@masto.example must carry the hashtag #Tutti.",
            "Posts on @brand@masto.example must carry the hashtag #Réseau."
        ]
    );
}

#[test]
fn images_without_alt_text_are_found() {
    let image = |alt: &str| Image { alt: alt.to_owned() };
    let blocking = Charter {
        spelling: Vec::new(),
        severity: Severities { alt_text: Severity::Block, ..Severities::default() },
        ..Charter::default()
    };
    let cases: &[(&Charter, Vec<Image>, &[&str], bool)] = &[
        (&blocking, vec![image("  "), image("A cat on a sofa")], &["Image 1 of 2 has no alt text."], true),
        (&blocking, vec![image("")], &["The image has no alt text."], true),
        (&blocking, vec![image("Un chat")], &[], false),
        (&blocking, vec![], &[], false),
        (&Charter { alt_text_required: false, ..blocking.clone() }, vec![image("")], &[], false),
        (
            &Charter { spelling: Vec::new(), ..Charter::default() },
            vec![image("")],
            &["The image has no alt text."],
            false,
        ),
    ];
    for (charter, images, expected, blocked) in cases {
        let d = Draft { text: "Regardez !".to_owned(), images: images.clone(), ..Draft::default() };
        let findings = check(charter, &d);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages, *expected);
        assert!(findings.iter().all(|f| f.kind == CheckKind::AltText && f.start.is_none()));
        assert_eq!(blocks(&findings), *blocked);
    }
}

fn spelling(langs: &[Lang]) -> Charter {
    Charter { spelling: langs.to_vec(), ..Charter::default() }
}

fn checked(charter: &Charter, text: &str, lang: Option<&str>) -> Vec<Finding> {
    let d = Draft { text: text.to_owned(), lang: lang.map(str::to_owned), ..Draft::default() };
    check(charter, &d)
}

#[test]
fn misspellings_are_found_at_their_exact_range_with_suggestions() {
    let both = spelling(&[Lang::Fr, Lang::En]);
    // Text, its language, and each misspelled word with its first suggestion.
    type Case<'a> = (&'a str, Option<&'a str>, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (
            "🎉 Le nouveau réseau est magnifque, rendez-vous sur https://tutti.example/x avec @alice.bsky.social",
            Some("fr"),
            &[("magnifque", "magnifique")],
        ),
        ("Ça marche ? Bonjoor à tous 👋🏽", Some("fr-FR"), &[("Bonjoor", "Bonjour")]),
        ("Rendez-vous à l'ecole, aujourdhui.", Some("fr"), &[("l'ecole", "l'école"), ("aujourdhui", "aujourd'hui")]),
        ("Un numéro de téléphonne 📞", None, &[("téléphonne", "téléphone")]),
        ("Le developement continue", Some("fr"), &[("developement", "développement")]),
        ("We can’t wait to recieve you 🚀", Some("en"), &[("recieve", "receive")]),
        ("Café ☕ and teh best croissants", Some("en-GB"), &[("Café", "Cafe"), ("teh", "the")]),
        ("Definately the best! We dont stop", Some("en"), &[("Definately", "Definitely"), ("dont", "don't")]),
    ];
    for (text, lang, expected) in cases {
        let findings = checked(&both, text, *lang);
        let got: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| {
                assert_eq!((f.kind, f.severity), (CheckKind::Spelling, Severity::Warn), "{f:?}");
                assert!(f.suggestions.len() <= 3 && f.suggestion.as_ref() == f.suggestions.first());
                (&text[f.range().expect("a range")], f.suggestion.as_deref().unwrap_or(""))
            })
            .collect();
        assert_eq!(got, *expected, "{text}");
    }
}

#[test]
fn a_spelling_message_names_the_dictionaries_and_the_suggestions() {
    let findings = checked(&spelling(&[Lang::En]), "I find thier helo wierd", Some("en"));
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "\"thier\" is not in the English dictionary. Did you mean \"their\", \"thief\" or \"shier\"?",
            "\"helo\" is not in the English dictionary. Did you mean \"hello\", \"help\" or \"hell\"?",
            "\"wierd\" is not in the English dictionary. Did you mean \"weird\", \"wired\" or \"wield\"?",
        ]
    );
    let findings = checked(&spelling(&[Lang::Fr, Lang::En]), "zzzqx", None);
    assert_eq!(findings[0].message, "\"zzzqx\" is not in the French or English dictionaries.");
    assert_eq!((findings[0].suggestion.clone(), findings[0].suggestions.len()), (None, 0));
}

#[test]
fn correct_text_yields_no_spelling_finding() {
    let both = spelling(&[Lang::Fr, Lang::En]);
    let cases: &[(&str, Option<&str>)] = &[
        (
            "🎉 Aujourd’hui, l'équipe de Tutti présente son nouvel outil : rendez-vous sur \
             https://tutti.example/lancement?utm_source=bsky ou tutti.example, écrivez à \
             contact@tutti.example et suivez @tutti.bsky.social ! #LancementTutti #NouvelleÈre 🚀",
            Some("fr"),
        ),
        ("Peut-être qu’il viendra à Paris avec Marie Dupont le 12/05 à 18h30, c'est-à-dire demain.", Some("fr")),
        ("SOLDES MONSTRES : -50 % sur tout le site, 2 jours seulement 🔥🔥", Some("fr")),
        ("Œuvre, cœur, où, naïf, ça, déjà, là-bas, été, noël, garçon.", Some("fr")),
        ("We’re thrilled: our self-hosted team platform ships today! Read more at https://example.org/news 🎉", Some("en")),
        ("Don't miss it, it's the team's best release. Ask @bob@masto.example or visit www.example.org.", Some("en")),
        ("Le meeting de demain est un live sur notre newsletter", None),
        ("iPhone, VivaTech, NASA, h24, 5G, #Tuttiii", Some("fr")),
        ("Xyzzy zorglub blabla", Some("de")),
        ("", Some("fr")),
    ];
    for (text, lang) in cases {
        let findings = checked(&both, text, *lang);
        assert!(findings.is_empty(), "{text}: {findings:?}");
    }
    // A language the charter does not ask for is not checked.
    assert!(checked(&spelling(&[Lang::En]), "Bonjoor", Some("fr")).is_empty());
    assert!(checked(&spelling(&[]), "Bonjoor", None).is_empty());
}

#[test]
fn the_charters_own_words_pass_the_spelling_check() {
    let charter = Charter {
        banned: vec!["arnak".to_owned()],
        vocabulary: vec!["Tuttiverse".to_owned(), "zérodéchet".to_owned()],
        pillars: vec![Pillar {
            name: "Food".to_owned(),
            keywords: vec!["foodporn".to_owned()],
            target_share: 0.5,
        }],
        ..Charter::default()
    };
    let text = "Pas d'arnak dans le tuttiverse : du foodporn zerodechet";
    let findings = checked(&charter, text, Some("fr"));
    let kinds: Vec<(CheckKind, &str)> =
        findings.iter().map(|f| (f.kind, &text[f.range().unwrap()])).collect();
    assert_eq!(kinds, [(CheckKind::Banned, "arnak")]);
}

#[test]
fn findings_come_in_the_order_of_the_text_then_whole_post_ones() {
    let mut required = HashMap::new();
    required.insert("*".to_owned(), vec!["Tutti".to_owned()]);
    let charter =
        Charter { banned: vec!["arnaque".to_owned()], required_hashtags: required, ..Charter::default() };
    let text = "🎉 Bonjoor, pas d’arnaque ici 👍";
    let d = Draft { text: text.to_owned(), images: vec![Image::default()], lang: None, ..Draft::default() };
    let findings = check(&charter, &d);
    let seen: Vec<(CheckKind, Option<&str>)> =
        findings.iter().map(|f| (f.kind, f.range().map(|r| &text[r]))).collect();
    assert_eq!(
        seen,
        [
            (CheckKind::Spelling, Some("Bonjoor")),
            (CheckKind::Banned, Some("arnaque")),
            (CheckKind::Hashtags, None),
            (CheckKind::AltText, None),
        ]
    );
    assert!(blocks(&findings));
    assert!(!blocks(&findings[..1]));
}

fn pillars() -> Charter {
    let pillar = |name: &str, keywords: &[&str], target_share: f32| Pillar {
        name: name.to_owned(),
        keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
        target_share,
    };
    Charter {
        pillars: vec![
            pillar("Recettes", &["recette", "cuisin*", "fait maison"], 0.5),
            pillar("Coulisses", &["équipe", "coulisses", "atelier"], 0.3),
            pillar("Promotions", &["soldes", "promo*", "code"], 0.2),
        ],
        ..Charter::default()
    }
}

#[test]
fn a_post_belongs_to_the_pillar_whose_keywords_match_best() {
    let charter = pillars();
    let cases: &[(&str, Option<&str>)] = &[
        ("Notre RECETTE de crêpes faites maison 🥞", Some("Recettes")),
        ("Les coulisses de l'atelier : l’Équipe en cuisine", Some("Coulisses")),
        ("Promo : des recettes à -20 % avec le code CRÊPE", Some("Promotions")),
        ("Cuisinez nos recettes en promo", Some("Recettes")),
        ("Recette et promo", Some("Recettes")),
        ("#Soldes sur tout le site", Some("Promotions")),
        ("Bonne journée à tous !", None),
        ("Lien https://example.org/recette", None),
    ];
    for (text, expected) in cases {
        assert_eq!(pillar_of(&charter, text).as_deref(), *expected, "{text}");
    }
    assert_eq!(pillar_of(&Charter::default(), "Une recette"), None);
}

#[test]
fn pillar_shares_count_every_post_in_the_total() {
    let charter = pillars();
    let posts = [
        "Notre recette du jour",
        "Une autre recette fait maison",
        "L'équipe à l'atelier",
        "Soldes d'été !",
        "Bonne journée",
    ];
    let shares = pillar_shares(&charter, posts);
    let expected = [("Recettes", 0.4, 0.5), ("Coulisses", 0.2, 0.3), ("Promotions", 0.2, 0.2)];
    assert_eq!(shares.len(), expected.len());
    for ((name, share, target), (e_name, e_share, e_target)) in shares.iter().zip(expected) {
        assert_eq!((name.as_str(), *target), (e_name, e_target));
        assert!((share - e_share).abs() < 1e-6, "{name}: {share}");
    }
    let empty = pillar_shares(&charter, Vec::<String>::new());
    assert!(empty.iter().all(|(_, share, _)| *share == 0.0));
}

#[test]
fn a_charter_reads_from_partial_json_with_defaults() {
    let charter: Charter = serde_json::from_str(
        r##"{"banned": ["arnaque"], "spelling": ["fr"], "severity": {"spelling": "block"},
            "required_hashtags": {"@brand@masto.example": ["#Tutti"]}}"##,
    )
    .unwrap();
    assert_eq!(charter.spelling, [Lang::Fr]);
    assert_eq!(
        charter.severity,
        Severities {
            banned: Severity::Block,
            hashtags: Severity::Warn,
            alt_text: Severity::Warn,
            spelling: Severity::Block
        }
    );
    assert!(charter.alt_text_required && charter.tone_notes.is_empty() && charter.pillars.is_empty());
    let back: Charter = serde_json::from_str(&serde_json::to_string(&charter).unwrap()).unwrap();
    assert_eq!(back, charter);
    assert_eq!(serde_json::from_str::<Charter>("{}").unwrap(), Charter::default());
    assert_eq!(Charter::default().spelling, [Lang::Fr, Lang::En]);

    let findings = checked(&charter, "Une arnaque, bonjoor", None);
    let json = serde_json::to_value(&findings).unwrap();
    assert_eq!(json[0]["kind"], "banned");
    assert_eq!(json[0]["severity"], "block");
    assert_eq!((json[0]["start"].as_u64(), json[0]["end"].as_u64()), (Some(4), Some(11)));
    assert_eq!(json[1]["kind"], "spelling");
    assert_eq!(json[1]["suggestion"], "bonjour");
    let draft: Draft = serde_json::from_str(r#"{"text": "Salut", "images": [{"alt": ""}]}"#).unwrap();
    assert_eq!(
        check(&Charter { spelling: vec![], ..Charter::default() }, &draft)[0].kind,
        CheckKind::AltText
    );
}

#[test]
fn suggestions_are_searched_for_the_first_misspellings_only() {
    let text = "bonjoor ".repeat(tutti_charter::SUGGESTED_WORDS + 5);
    let findings = checked(&spelling(&[Lang::Fr]), &text, Some("fr"));
    assert_eq!(findings.len(), tutti_charter::SUGGESTED_WORDS + 5);
    let suggested = findings.iter().filter(|f| f.suggestion.as_deref() == Some("bonjour")).count();
    assert_eq!(suggested, tutti_charter::SUGGESTED_WORDS);
    assert!(findings[tutti_charter::SUGGESTED_WORDS..].iter().all(|f| f.suggestions.is_empty()));
    assert!(findings.iter().enumerate().all(|(i, f)| f.range() == Some(i * 8..i * 8 + 7)));
}
