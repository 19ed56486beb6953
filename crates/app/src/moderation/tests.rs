//! Unit tests of moderation rules: conditions, actions and their evaluation on new items.

use super::*;

fn subject(text: &str) -> Subject<'_> {
    Subject {
        kind: ItemKind::Reply,
        text,
        lang: "fr",
        toxicity: 0.1,
        author_id: "did:plc:x",
        author_handle: "x.test",
        at: 100 * DAY_MS,
        author_since: None,
    }
}

#[test]
fn conditions_nested_a_hundred_thousand_deep_are_read_without_a_crash() {
    // Where a list of strings is expected, the reader stops at the first nested list.
    let deep = format!("{{\"words\":{}\"x\"{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(read_stored(&deep, "[]"), None);
    let deep_actions = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(read_stored("{}", &deep_actions), None);
    // Under a field it does not know, it skips the value without recursing.
    let unknown = format!("{{\"later\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(read_stored(&unknown, "[]"), Some((Conditions::default(), Vec::new())));
    // Read as a JSON value (as request bodies are before they are typed), the recursion
    // limit of 128 levels refuses it.
    let e = serde_json::from_str::<serde_json::Value>(&unknown).unwrap_err();
    assert!(e.to_string().contains("recursion limit exceeded"), "{e}");
    assert!(read_stored(r#"{"words":["x"]}"#, r#"[{"kind":"hide"}]"#).is_some());
}

#[test]
fn a_regex_nested_past_the_limit_is_refused_cleanly() {
    // 240 nested groups fit in the 500 characters; the nesting limit refuses them.
    let deep = format!("{}x{}", "(".repeat(240), ")".repeat(240));
    let r = RuleToWrite { regex: deep, actions: "hide".into(), ..Default::default() };
    let e = parse_conditions(&r).unwrap_err();
    assert_eq!(e.field, "regex");
    // Longer, it is refused for its length before it is read.
    let longer = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
    let e = parse_conditions(&RuleToWrite { regex: longer, ..Default::default() }).unwrap_err();
    assert_eq!(e.code, "regex_too_long");
}

#[test]
fn a_rule_on_profanity_hides_a_disguised_swear_word_and_leaves_bitche_alone() {
    let r = RuleToWrite { toxicity: "profane".into(), actions: "hide".into(), ..Default::default() };
    let c = parse_conditions(&r).unwrap();
    assert!(c.profane);
    let m = Matcher::new(&c).unwrap();
    let en = |text| Subject { lang: "en", ..subject(text) };
    assert!(m.matches(&en("ｆｖｃｋ you")));
    assert!(m.matches(&subject("t'es qu'un c0nnard")));
    assert!(!m.matches(&subject("J'habite à Bitche, en Moselle")));
    assert!(!m.matches(&en("The cocktail bar in Scunthorpe")));
}

#[test]
fn a_new_account_is_one_opened_less_than_n_days_before_it_wrote() {
    let m = Matcher::new(&Conditions { new_account_days: Some(7), ..Default::default() }).unwrap();
    let opened = |days_before: i64| Subject {
        author_since: Some(100 * DAY_MS - days_before * DAY_MS),
        ..subject("salut")
    };
    assert!(m.matches(&opened(0)));
    assert!(m.matches(&opened(6)));
    assert!(!m.matches(&opened(7)));
    assert!(!m.matches(&opened(400)));
    assert!(!m.matches(&subject("salut")), "an account of unknown age is not new");
    let r = RuleToWrite { new_account_days: "7".into(), actions: "tag:new".into(), ..Default::default() };
    assert_eq!(parse_conditions(&r).unwrap().new_account_days, Some(7), "a condition on its own");
}

#[test]
fn words_match_whole_words_whatever_the_case_and_accents() {
    let m = Matcher::new(&Conditions {
        words: vec!["Arnaque".into(), "remboursé".into()],
        ..Default::default()
    })
    .unwrap();
    assert!(m.matches(&subject("C'est une ARNAQUE !")));
    assert!(m.matches(&subject("jamais rembourse")));
    assert!(!m.matches(&subject("arnaques"))); // another word
    assert!(!m.matches(&Subject { kind: ItemKind::Like, ..subject("arnaque") }));
}

#[test]
fn links_are_found_with_or_without_their_scheme() {
    assert_eq!(
        link_hosts("voir https://www.Spam.example/x?y et promo.shop/abc…"),
        ["spam.example", "promo.shop"]
    );
    let m = Matcher::new(&Conditions { domains: vec!["spam.example".into()], ..Default::default() }).unwrap();
    assert!(m.matches(&subject("go http://deals.spam.example/now")));
    assert!(!m.matches(&subject("go http://notspam.example/now")));
}

#[test]
fn conditions_and_actions_name_the_field_at_fault() {
    let r = RuleToWrite { words: "a".into(), actions: "hide".into(), ..Default::default() };
    assert!(parse_conditions(&r).is_ok() && parse_actions(&r).is_ok());
    let field = |r: RuleToWrite| match parse_conditions(&r).and_then(|_| parse_actions(&r)) {
        Err(e) => e.field,
        Ok(_) => "none",
    };
    assert_eq!(field(RuleToWrite { toxicity: "2".into(), ..r.clone() }), "toxicity");
    assert_eq!(field(RuleToWrite { regex: "(".into(), ..r.clone() }), "regex");
    assert_eq!(field(RuleToWrite { regex: "a{1000}{1000}".into(), ..r.clone() }), "regex");
    assert_eq!(field(RuleToWrite { actions: "explode".into(), ..r.clone() }), "actions");
    assert_eq!(field(RuleToWrite { actions: "tag:<b>".into(), ..r.clone() }), "tag");
    assert_eq!(field(RuleToWrite { actions: "priority:9".into(), ..r.clone() }), "priority");
    assert_eq!(field(RuleToWrite { actions: "reply".into(), ..r.clone() }), "reply");
    assert_eq!(field(RuleToWrite { words: String::new(), ..r.clone() }), "words");
    assert_eq!(field(RuleToWrite { new_account_days: "0".into(), ..r.clone() }), "new_account_days");
    assert_eq!(field(RuleToWrite { new_account_days: "soon".into(), ..r.clone() }), "new_account_days");
    assert_eq!(field(RuleToWrite { domains: "not a domain!".into(), ..r }), "domains");
}

#[test]
fn the_troll_score_decays() {
    let now = 100 * 86_400_000;
    let fresh = troll_score(&[now], &[], now);
    let old = troll_score(&[now - 20 * 86_400_000], &[], now);
    assert!((fresh - 1.0).abs() < 1e-9 && old < 0.2);
    assert!((troll_score(&[], &[now, now], now) - 1.0).abs() < 1e-9);
}
