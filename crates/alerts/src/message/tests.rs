//! Tests of alert rendering and of the cleaning of hostile text.

use super::*;

const HOSTILE: &str = "Bad\r\nBcc: victim@example.org\r\n\r\n<script>alert(1)</script> \u{202E}gnp.exe\u{202C} \u{2066}x\u{2069}\u{200B}\u{FEFF}\u{0085}end";

fn sample(i: usize) -> Sample {
    Sample {
        author: format!("user{i}.bsky.social"),
        text: format!("post number {i}"),
        url: format!("https://bsky.app/profile/user{i}.bsky.social/post/{i}"),
    }
}

fn volume() -> Alert {
    Alert {
        workspace: "Acme".into(),
        query_name: "Acme brand".into(),
        kind: AlertKind::Volume,
        observed: 142.0,
        expected: 12.34,
        window_start_ms: 1_741_986_900_000, // 2025-03-14 21:15 UTC
        samples: vec![sample(1), sample(2)],
        link: "https://tutti.example.org/w/acme/listening/7".into(),
        crisis_suggested: false,
    }
}

#[test]
fn clean_text_makes_plain_bounded_lines() {
    let long = "é".repeat(300);
    let cases: &[(&str, usize, &str)] = &[
        ("plain", 280, "plain"),
        ("  two\r\nlines \n", 280, "two lines"),
        ("tab\tand\u{0085}nel\u{2028}sep\u{2029}par", 280, "tab and nel sep par"),
        ("a\u{202E}b\u{202C}c\u{2067}d\u{2069}\u{200E}\u{200F}\u{061C}", 280, "abcd"),
        ("zero\u{200B}width\u{FEFF}\u{2060}", 280, "zerowidth"),
        ("bell\u{7}nul\u{0}esc\u{1b}[31m", 280, "bell nul esc [31m"),
        ("family 👨\u{200D}👩\u{200D}👧", 280, "family 👨\u{200D}👩\u{200D}👧"),
        ("abcdef", 4, "abc…"),
        ("ab cdef", 4, "ab…"),
        ("abcd", 4, "abcd"),
        ("", 4, ""),
        ("\r\n\t", 4, ""),
    ];
    for &(input, max, expected) in cases {
        assert_eq!(clean_text(input, max), expected, "{input:?}");
    }
    let cut = clean_text(&long, limits::SAMPLE_TEXT);
    assert_eq!(cut.chars().count(), 280);
    assert!(cut.ends_with('…'));
}

#[test]
fn clean_url_keeps_only_web_links() {
    let cases = [
        ("https://bsky.app/profile/a/post/1", "https://bsky.app/profile/a/post/1"),
        ("HTTP://Example.org/a?b=c", "http://example.org/a?b=c"),
        ("javascript:alert(1)", ""),
        ("data:text/html,<script>", ""),
        ("https://example.org/a\r\nX-Evil: 1", ""),
        ("https://exa mple.org/", ""),
        ("https://example.org/\u{202E}fdp.exe", "https://example.org/fdp.exe"),
        ("not a url", ""),
        ("", ""),
    ];
    for (input, expected) in cases {
        assert_eq!(clean_url(input), expected, "{input:?}");
    }
    let long = format!("https://example.org/{}", "a".repeat(limits::URL));
    assert_eq!(clean_url(&long), "");
}

#[test]
fn emails_in_english_and_french() {
    let negative = Alert {
        kind: AlertKind::NegativeShare,
        observed: 0.6,
        expected: 0.123,
        crisis_suggested: true,
        ..volume()
    };
    let keyword = Alert { kind: AlertKind::Keyword, observed: 1.0, expected: 0.0, ..volume() };
    let quiet = Alert { observed: 12.0, expected: 2.46, ..volume() };
    let cases = [
        (&volume(), Lang::En, "[Tutti · Acme] Mention spike: \"Acme brand\" (142 mentions, usually 12)",
         "142 mentions in this window, where about 12 were expected at this time of day."),
        (&volume(), Lang::Fr, "[Tutti · Acme] Pic de mentions\u{a0}: «\u{a0}Acme brand\u{a0}» (142 mentions, 12 d’habitude)",
         "142 mentions sur cette période, quand environ 12 étaient attendues à cette heure-ci."),
        (&quiet, Lang::En, "[Tutti · Acme] Mention spike: \"Acme brand\" (12 mentions, usually 2.5)",
         "12 mentions in this window, where about 2.5 were expected at this time of day."),
        (&quiet, Lang::Fr, "[Tutti · Acme] Pic de mentions\u{a0}: «\u{a0}Acme brand\u{a0}» (12 mentions, 2,5 d’habitude)",
         "12 mentions sur cette période, quand environ 2,5 étaient attendues à cette heure-ci."),
        (&negative, Lang::En, "[Tutti · Acme] Possible crisis: Negative mentions rising: \"Acme brand\" (60% negative, usually 12%)",
         "60% of mentions were negative, where about 12% were expected at this time of day."),
        (&negative, Lang::Fr, "[Tutti · Acme] Crise possible\u{a0}: Hausse des mentions négatives\u{a0}: «\u{a0}Acme brand\u{a0}» (60\u{a0}% de négatives, 12\u{a0}% d’habitude)",
         "60\u{a0}% des mentions étaient négatives, quand environ 12\u{a0}% étaient attendues à cette heure-ci."),
        (&keyword, Lang::En, "[Tutti · Acme] Keyword alert: \"Acme brand\" (1 new mention)",
         "1 new mention matches this keyword alert."),
        (&keyword, Lang::Fr, "[Tutti · Acme] Alerte mot-clé\u{a0}: «\u{a0}Acme brand\u{a0}» (1 nouvelle mention)",
         "1 nouvelle mention correspond à cette alerte mot-clé."),
    ];
    for (alert, lang, subject, first_line) in cases {
        let email = alert.email(lang);
        assert_eq!(email.subject, subject);
        assert_eq!(email.body.lines().next(), Some(first_line), "{lang:?} {:?}", alert.kind);
    }

    let en = volume().email(Lang::En).body;
    for line in [
        "Workspace: Acme",
        "Query: Acme brand",
        "Window starting: 2025-03-14 21:15 UTC",
        "Sample mentions:",
        "1. user1.bsky.social: post number 1",
        "   https://bsky.app/profile/user1.bsky.social/post/1",
        "2. user2.bsky.social: post number 2",
        "Open the query: https://tutti.example.org/w/acme/listening/7",
    ] {
        assert!(en.lines().any(|l| l == line), "missing {line:?} in\n{en}");
    }
    assert!(!en.contains("crisis"));
    let fr = negative.email(Lang::Fr).body;
    for line in [
        "Espace de travail\u{a0}: Acme",
        "Requête\u{a0}: Acme brand",
        "Période commençant le\u{a0}: 2025-03-14 21:15 UTC",
        "Exemples de mentions\u{a0}:",
        "1. user1.bsky.social\u{a0}: post number 1",
        "Ouvrir la requête\u{a0}: https://tutti.example.org/w/acme/listening/7",
    ] {
        assert!(fr.lines().any(|l| l == line), "missing {line:?} in\n{fr}");
    }
    assert!(fr.contains("envisagez d’ouvrir une crise"));
}

#[test]
fn hostile_fields_stay_inert() {
    let alert = Alert {
        workspace: format!("Evil\r\nBcc: a@b.c {}", "w".repeat(500)),
        query_name: format!("q\r\nX-Injected: yes\u{202E}{}", "n".repeat(500)),
        samples: (0..9)
            .map(|i| Sample {
                author: format!("@mallory\n{}", "m".repeat(500)),
                text: format!("{HOSTILE} {}", "x".repeat(i * 100)),
                url: if i % 2 == 0 { "javascript:alert(1)".into() } else { sample(i).url },
            })
            .collect(),
        link: "https://tutti.example.org/q\r\nLocation: evil".into(),
        ..volume()
    };
    for lang in [Lang::En, Lang::Fr] {
        let email = alert.email(lang);
        assert!(!email.subject.contains(['\r', '\n', '\u{202E}']), "{:?}", email.subject);
        assert!(email.subject.chars().count() <= 250);
        assert!(email.subject.contains("Evil Bcc: a@b.c"));
        assert!(!email.body.contains('\r'));
        assert!(!email.body.chars().any(is_dropped));
        // Neither a sample nor a field can start a line of its own.
        assert!(!email.body.lines().any(|l| l.starts_with("Bcc:") || l.starts_with("X-Injected")));
        assert!(!email.body.lines().any(|l| l.starts_with("Location")));
        assert!(!email.body.contains("javascript:"));
        let samples: Vec<&str> =
            email.body.lines().filter(|l| l.contains("Bad Bcc: victim@example.org")).collect();
        assert_eq!(samples.len(), limits::SAMPLES, "{}", email.body);
        for line in samples {
            assert!(line.contains("<script>alert(1)</script> gnp.exe x end"), "{line}");
        }
    }
    let cleaned = alert.cleaned();
    assert_eq!(cleaned.samples.len(), 5);
    assert_eq!(cleaned.workspace.chars().count(), limits::WORKSPACE);
    assert_eq!(cleaned.query_name.chars().count(), limits::QUERY_NAME);
    assert_eq!(cleaned.link, "");
    for (i, s) in cleaned.samples.iter().enumerate() {
        assert!(s.text.chars().count() <= limits::SAMPLE_TEXT);
        assert_eq!(s.author.chars().count(), limits::AUTHOR);
        assert_eq!(s.url.is_empty(), i % 2 == 0);
    }
}

#[test]
fn webhook_payload() {
    let alert = Alert {
        samples: vec![Sample { text: HOSTILE.into(), ..sample(1) }],
        crisis_suggested: true,
        ..volume()
    };
    let payload = alert.webhook_payload();
    assert_eq!(payload["event"], "alert");
    assert_eq!(
        payload["text"],
        "Possible crisis: Acme · Mention spike: \"Acme brand\" (142 mentions, usually 12) \
         https://tutti.example.org/w/acme/listening/7"
    );
    let a = &payload["alert"];
    assert_eq!(a["workspace"], "Acme");
    assert_eq!(a["query_name"], "Acme brand");
    assert_eq!(a["kind"], "volume");
    assert_eq!(a["observed"], 142.0);
    assert_eq!(a["expected"], 12.34);
    assert_eq!(a["window_start_ms"], 1_741_986_900_000_i64);
    assert_eq!(a["window_start"], "2025-03-14T21:15:00Z");
    assert_eq!(a["link"], "https://tutti.example.org/w/acme/listening/7");
    assert_eq!(a["crisis_suggested"], true);
    let text = a["samples"][0]["text"].as_str().unwrap();
    assert_eq!(text, "Bad Bcc: victim@example.org <script>alert(1)</script> gnp.exe x end");

    // The bytes sent are the same JSON value, with no raw angle bracket or ampersand.
    let body = Alert { query_name: "R&D <team>".into(), ..alert.clone() }.webhook_body();
    let body = String::from_utf8(body).unwrap();
    assert!(!body.contains(['<', '>', '&', '\r', '\n']), "{body}");
    assert!(body.contains(r"\u003cscript\u003e"));
    let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed["alert"]["query_name"], "R&D <team>");
    assert_eq!(parsed["alert"]["samples"], payload["alert"]["samples"]);

    // A non-finite number never makes invalid JSON.
    let odd = Alert { observed: f64::NAN, expected: f64::INFINITY, ..volume() };
    let parsed: serde_json::Value = serde_json::from_slice(&odd.webhook_body()).unwrap();
    assert_eq!(parsed["alert"]["observed"], 0.0);
}

#[test]
fn alert_from_spike() {
    let spike = Spike { kind: SpikeKind::NegativeShare, observed: 0.5, expected: 0.1, z: 4.2 };
    let alert = Alert::from_spike("Acme", "brand", &spike, 0, vec![sample(1)], "https://t.example/q", true);
    assert_eq!(alert.kind, AlertKind::NegativeShare);
    assert_eq!((alert.observed, alert.expected), (0.5, 0.1));
    assert!(alert.crisis_suggested);
    assert_eq!(alert.samples, vec![sample(1)]);
}

#[test]
fn languages() {
    let tags = [
        ("fr", Lang::Fr),
        ("fr-CA", Lang::Fr),
        ("FR_fr", Lang::Fr),
        ("en-GB", Lang::En),
        ("de", Lang::En),
        ("", Lang::En),
    ];
    for (tag, lang) in tags {
        assert_eq!(Lang::from_tag(tag), lang, "{tag}");
    }
    assert_eq!("FR".parse::<Lang>(), Ok(Lang::Fr));
    assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
    assert_eq!("de".parse::<Lang>(), Err(UnknownLang("de".into())));
    assert_eq!(serde_json::to_string(&Lang::Fr).unwrap(), "\"fr\"");
}

#[test]
fn no_break_spaces_are_kept() {
    assert_eq!(clean_text("60\u{a0}%  \u{202F}!", 10), "60\u{a0}% \u{202F}!");
}
