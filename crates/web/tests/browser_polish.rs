//! Page polish in a real headless Chromium: every page this covers, read in both languages,
//! wide and on a phone, on every backend. Screenshots go to `target/screenshots/`.

mod browser_support;
mod common;

use browser_support::{
    assert_fits, click, fill, open_browser, shot, start_driver, submit, text, Driver, NARROW, WIDE,
};
use fantoccini::{Client, Locator};
use serde_json::json;

/// Signs in as `email` (a seeded member: the common password), signing out whoever was in.
async fn sign_in_as(c: &Client, t: &common::TestApp, email: &str) {
    browser_support::sign_in(c, &t.base, email, common::PASSWORD).await;
}

/// Scrolls `css` into view and takes a screenshot there (a page's lower part).
async fn shot_at(c: &Client, css: &str, name: &str) {
    let found = c
        .execute(
            "const e = document.querySelector(arguments[0]); if (!e) { return false; } e.scrollIntoView(); window.scrollBy(0, -90); return true;",
            vec![json!(css)],
        )
        .await
        .unwrap();
    assert_eq!(found, json!(true), "{name}: no {css} on the page");
    shot(c, name).await;
}

/// Switches the signed-in person's language from the settings page.
async fn speak(c: &Client, t: &common::TestApp, lang: &str) {
    c.goto(&t.url("/settings")).await.unwrap();
    c.find(Locator::Css(&format!("#s-locale option[value={lang}]"))).await.unwrap().click().await.unwrap();
    submit(c, "form[action='/settings'] button[type=submit]").await;
}

#[tokio::test]
async fn pages_read_well_in_both_languages_and_on_a_phone() {
    let Some(driver) = start_driver() else { return };
    for db in tutti_test_support::every_backend().await {
        polish_pages(&driver, db).await;
    }
}

/// The pages of [`pages_read_well_in_both_languages_and_on_a_phone`] on one database.
async fn polish_pages(driver: &Driver, db: tutti_test_support::TestDb) {
    use chrono::TimeZone;
    use tutti_app::ingest::{item_of, Incoming};
    use tutti_app::publishing::{ChannelToAdd, PostToWrite};
    use tutti_app::secrets::Keyring;
    use tutti_app::Actor;

    let label = db.label();
    let t = common::spawn(db).await;
    common::seed(&t.app).await;
    let ws = common::WS;
    let op = Actor::Operator;
    let admin = Actor::User(t.app.user_by_email("admin@acme.test").await.unwrap());
    let keys = Keyring::generate();
    let mut channels = Vec::new();
    for (network, handle) in [("bluesky", "maison.test"), ("mastodon", "@maison@mastodon.test")] {
        let channel = ChannelToAdd {
            network: network.into(),
            handle: handle.into(),
            service: "http://127.0.0.1:9".into(),
            account_id: None,
            secret: "x".into(),
            ambassador: None,
        };
        channels.push(t.app.add_channel(&op, &keys, ws, &channel).await.unwrap());
    }

    // The plan of this week and the next, at different hours, and one post moved (its old and
    // new times go to the audit log).
    let paris = chrono_tz::Europe::Paris;
    let now = tutti_store::now_ms();
    let today = chrono::Utc::now().with_timezone(&paris).date_naive();
    let day = today + chrono::Duration::days(8);
    let ymd = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut moved = 0;
    for (offset, hour, channel, words) in [
        (0, 10, "maison.test", "Nouvelle collection Lumière d'hiver : 12 lampes en verre soufflé ✨"),
        (0, 18, "@maison@mastodon.test", "Live ce soir à 19 h : bien éclairer un salon."),
        (1, 9, "maison.test", "Coulisses de l'atelier : le souffleur de verre au travail 🔥"),
        (3, 12, "maison.test", "Jeu-concours : gagnez la lampe Aube."),
        (5, 21, "@maison@mastodon.test", "Bonne soirée ! Quelle lumière pour vos soirées d'hiver ?"),
    ] {
        let at = paris
            .from_local_datetime(&(day + chrono::Duration::days(offset)).and_hms_opt(hour, 0, 0).unwrap())
            .unwrap()
            .to_rfc3339();
        let post = PostToWrite {
            channel: channel.into(),
            text: words.into(),
            at: Some(at),
            langs: vec!["fr".into()],
            images: vec![],
            reply_to: None,
            queue: false,
        };
        moved = t.app.create_post(&admin, ws, &post, now).await.unwrap().id;
    }
    let later = paris
        .from_local_datetime(&(day + chrono::Duration::days(6)).and_hms_opt(11, 30, 0).unwrap())
        .unwrap()
        .to_rfc3339();
    t.app.reschedule_post(&admin, ws, moved, &later, now).await.unwrap();

    // A charter whose pillar share is stored as a float (0.4000000059604645 in JSON).
    let charter = tutti_app::charter::CharterForm {
        tone_notes: "Chaleureux, précis, jamais familier.".into(),
        banned: "arnaque\ncheap".into(),
        required_hashtags: "*: #MaisonLumière".into(),
        alt_text_required: true,
        spelling: "fr".into(),
        pillars: "Produits: lampe, verre soufflé = 40%\nCoulisses: atelier, artisan = 30%".into(),
        vocabulary: "Lumière".into(),
        ..Default::default()
    };
    t.app.set_charter(&admin, ws, &charter).await.unwrap();

    // Customers writing to the brand: people for the community, items for the feedback
    // report; Alice also wrote two months ago, so her sentiment has a line.
    let brand = &channels[0];
    let notes = [
        (
            "r1",
            "reply",
            "alice",
            "Alice Martin",
            "Ma lampe est arrivée cassée, et le service client ne répond pas. Très déçue.",
            0,
        ),
        ("r0", "reply", "alice", "Alice Martin", "J'adore ma lampe Aube, merci, elle est superbe !", 62),
        (
            "m1",
            "mention",
            "bob",
            "Bob Durand",
            "Quelqu'un a testé @maison.test ? Leurs lampes ont l'air superbes, j'adore ✨",
            0,
        ),
        (
            "r2",
            "reply",
            "carla",
            "Carla Petit",
            "Livraison en retard, deuxième fois ce mois-ci. Bug sur le suivi de commande.",
            0,
        ),
        (
            "m2",
            "mention",
            "bob2",
            "Bob Durand",
            "Vous pourriez ajouter une option de gravure ? Ce serait génial.",
            0,
        ),
    ];
    let items: Vec<_> = notes
        .iter()
        .enumerate()
        .map(|(i, (id, kind, author, name, text, days))| {
            let n = Incoming {
                remote_id: (*id).into(),
                kind: kind.parse().unwrap(),
                author_id: format!("did:plc:{author}"),
                author_handle: format!("{author}.test"),
                author_name: (*name).into(),
                text: (*text).into(),
                post: Some((format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), None)),
                parent: (*kind == "reply").then(|| format!("at://did:plc:maison/app.bsky.feed.post/p{id}")),
                at: now - days * 86_400_000 - 3_600_000 + i as i64 * 60_000,
                ..Default::default()
            };
            item_of(brand.workspace_id, brand.id, tutti_domain::Network::Bluesky, &n)
        })
        .collect();
    let mut tx = t.app.store().begin().await.unwrap();
    tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &items).await.unwrap();
    tx.commit().await.unwrap();
    t.app.refresh_community(&admin, ws).await.unwrap();

    // Listening: a week of mentions, busiest on the latest days.
    let query =
        t.app.add_query(&admin, ws, "Maison Lumière", "\"maison lumière\" OR lampe", "brand").await.unwrap();
    let samples = [
        ("did:plc:claire", "Ma lampe Maison Lumière est arrivée cassée. Très déçue.", "neg"),
        ("did:plc:tom", "Just got the Maison Lumière desk lamp, the warm light is lovely", "pos"),
        ("did:plc:ines", "Quelqu'un connaît la lampe Maison Lumière ?", "neu"),
    ];
    let mut tx = t.app.store().begin().await.unwrap();
    for i in 0..42i64 {
        let (author, text, sentiment) = samples[(i % 3) as usize];
        let m = tutti_app::store::listening::Mention {
            id: 0,
            query_id: query.id,
            source: "firehose".into(),
            external_id: format!("at://{author}/app.bsky.feed.post/m{i}"),
            url: None,
            author: Some(author.into()),
            text: text.into(),
            lang: Some("fr".into()),
            sentiment: Some(sentiment.parse().unwrap()),
            sentiment_score: Some(0.0),
            toxicity: Some(0.0),
            published_at: Some(now - (i * i) * 3_000_000),
        };
        tutti_app::store::listening::insert_mention(&mut tx, &m).await.unwrap();
    }
    tx.commit().await.unwrap();

    let c = open_browser(driver).await;
    sign_in_as(&c, &t, "admin@acme.test").await;
    eprintln!("[{label}] pages read well");

    // Moderation, built with pickers: kinds ticked, the threshold on a slider shown as a
    // percentage, the assignee chosen among the members.
    c.goto(&t.url(&format!("/w/{ws}/moderation"))).await.unwrap();
    let kind_box = c.find(Locator::Css("input[name=kind_reply]")).await.unwrap();
    let width: f64 = serde_json::from_value(
        c.execute("return arguments[0].getBoundingClientRect().width;", vec![json!(kind_box)]).await.unwrap(),
    )
    .unwrap();
    assert!(width < 30.0, "a checkbox keeps its own size beside its label ({width} px)");
    fill(&c, "#mr-name", "Trolls").await;
    fill(&c, "#mr-words", "arnaque, nul").await;
    click(&c, "input[name=kind_reply]").await;
    click(&c, "input[name=kind_mention]").await;
    c.execute(
        "const r = document.getElementById('mr-toxicity'); r.value = 70; r.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![],
    )
    .await
    .unwrap();
    let shown = c.find(Locator::Css("#mr-toxicity-value")).await.unwrap().text().await.unwrap();
    assert_eq!(shown, "70%", "the slider shows its value as a percentage");
    let assignees = c.find(Locator::Css("#mr-assign")).await.unwrap().text().await.unwrap();
    assert!(assignees.contains("cm Person"), "members to assign to, by name: {assignees}");
    c.find(Locator::Css("#mr-assign option[value='cm@acme.test']")).await.unwrap().click().await.unwrap();
    click(&c, "input[name=hide]").await;
    submit(&c, "button[name=op][value=save]").await;
    let page = text(&c).await;
    assert!(
        page.contains("toxicity ≥ 70%")
            && page.contains("Reply, Mention")
            && page.contains("Assign “cm Person”"),
        "the rule reads as people write it: {page}"
    );
    // A threshold outside 0–1 is still refused at its field (the API's form).
    let refused = t
        .app
        .add_moderation_rule(
            &admin,
            ws,
            &tutti_app::moderation::RuleToWrite {
                name: "x".into(),
                toxicity: "7".into(),
                actions: "hide".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(format!("{refused:?}").contains("toxicity"), "{refused:?}");

    // The charter's hashtags and pillars as rows: one more pillar added from the page.
    c.goto(&t.url(&format!("/w/{ws}/charter"))).await.unwrap();
    let names = c.find_all(Locator::Css("input[name=pillar_name]")).await.unwrap();
    assert_eq!(names.len(), 4, "two pillars and two empty rows");
    assert_eq!(
        c.find(Locator::Css("#ch-pillar-target-1")).await.unwrap().prop("value").await.unwrap().as_deref(),
        Some("40")
    );
    fill(&c, "#ch-pillar-name-3", "Conseils").await;
    fill(&c, "#ch-pillar-keywords-3", "éclairage, astuce").await;
    fill(&c, "#ch-pillar-target-3", "20").await;
    fill(&c, "#ch-tag-tags-2", "Artisanat").await;
    c.find(Locator::Css("#ch-tag-channel-2 option[value='maison.test']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&c, ".charter-form button[type=submit]").await;
    shot(&c, "polish-en-1440-charter-saved").await;
    let page = text(&c).await;
    assert!(page.contains("The charter was saved"), "{page}");
    let saved = t.app.charter(&admin, ws).await.unwrap();
    assert_eq!(saved.pillars.len(), 3);
    assert_eq!(saved.required_hashtags.get("maison.test").map(Vec::len), Some(1), "{saved:?}");

    // The person page: merge a duplicate found by name, not by number.
    let people = t.app.people(&admin, ws, &Default::default(), Default::default(), 0, 50).await.unwrap();
    let bob = people.iter().find(|p| p.handles.iter().any(|h| h == "bob.test")).unwrap().id;
    let alice = people.iter().find(|p| p.display_name == "Alice Martin").unwrap().id;
    let carla = people.iter().find(|p| p.display_name == "Carla Petit").unwrap().id;
    c.goto(&t.url(&format!("/w/{ws}/people/{bob}"))).await.unwrap();
    fill(&c, "#merge-q", "bob2").await;
    submit(&c, ".merge-search button[type=submit]").await;
    let results = c.find(Locator::Css(".merge-results")).await.unwrap().text().await.unwrap();
    assert!(results.contains("@bob2.test"), "{results}");
    shot(&c, "en-1440-person-merge-search").await;
    submit(&c, ".merge-results form button[type=submit]").await;
    let merged = t.app.person_profile(&admin, ws, bob, 0).await.unwrap();
    assert_eq!(merged.identities.len(), 2, "bob2 was merged into Bob");

    // A person with one month of history: a sentence instead of an empty chart.
    c.goto(&t.url(&format!("/w/{ws}/people/{carla}"))).await.unwrap();
    assert!(c.find(Locator::Css("svg.sentiment-chart")).await.is_err(), "no chart for one month");
    assert!(text(&c).await.contains("One month so far"));

    // A CM who opens Channels is told what they cannot do and who can.
    // A second Chromium (its own profile) for the CM.
    let cm_driver = start_driver().expect("chromedriver");
    let cm = open_browser(&cm_driver).await;
    sign_in_as(&cm, &t, "cm@acme.test").await;
    cm.goto(&t.url(&format!("/w/{ws}/channels"))).await.unwrap();
    let page = text(&cm).await;
    assert!(
        page.contains("Only an administrator or the social media manager") && !page.contains("Uncheck"),
        "{page}"
    );
    shot(&cm, "en-1440-channels-cm").await;
    cm.close().await.unwrap();

    let report = format!("/w/{ws}/listening/{}", query.id);
    // Each page, and the parts further down it worth seeing.
    let pages: Vec<(String, &str, Vec<&str>)> = vec![
        (report.clone(), "listening-report", vec!["#mention-list"]),
        (format!("/w/{ws}/listening"), "listening", vec![]),
        (format!("/w/{ws}/community"), "community", vec![".people-table"]),
        (format!("/w/{ws}/people/{alice}"), "person", vec![".history-list"]),
        (format!("/w/{ws}/feedback"), "feedback", vec![".feedback-list"]),
        (format!("/w/{ws}/moderation"), "moderation", vec![".toxicity-field", "#log-h"]),
        (format!("/w/{ws}/charter"), "charter", vec![".hashtag-row", ".pillar-row"]),
        (format!("/w/{ws}/calendar?view=week&date={}", ymd(day)), "calendar-week", vec!["#calendar-body"]),
        (format!("/w/{ws}/calendar?view=month&date={}", ymd(day)), "calendar-month", vec![]),
        (format!("/w/{ws}/compose"), "compose", vec![]),
        (format!("/w/{ws}/channels"), "channels", vec!["#review-rule"]),
        (format!("/w/{ws}/team"), "team", vec![]),
        (format!("/w/{ws}/audit"), "audit", vec![]),
        ("/settings".to_owned(), "settings", vec![]),
    ];
    for lang in ["en", "fr"] {
        speak(&c, &t, lang).await;
        for (size, tag) in [(WIDE, "1440"), (NARROW, "390")] {
            c.set_window_size(size.0, size.1).await.unwrap();
            for (url, name, parts) in &pages {
                c.goto(&t.url(url)).await.unwrap();
                shot(&c, &format!("polish-{lang}-{tag}-{name}")).await;
                if tag == "390" {
                    assert_fits(&c, &format!("{lang} {name}")).await;
                }
                for (i, css) in parts.iter().enumerate() {
                    shot_at(&c, css, &format!("polish-{lang}-{tag}-{name}-{}", i + 2)).await;
                }
            }
        }
        c.set_window_size(WIDE.0, WIDE.1).await.unwrap();

        // Listening: chips with words readable on their background; the axis in the reader's
        // order; the latest day labelled.
        c.goto(&t.url(&report)).await.unwrap();
        let chips: Vec<(String, String)> = serde_json::from_value(
            c.execute(
                "return Array.from(document.querySelectorAll('.mention .sentiment')).map(e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]);",
                vec![],
            )
            .await
            .unwrap(),
        )
        .unwrap();
        assert!(!chips.is_empty() && chips.iter().all(|(fg, bg)| fg != bg), "{lang}: chips {chips:?}");
        let ticks: Vec<String> = serde_json::from_value(
            c.execute(
                "return Array.from(document.querySelectorAll('.chart svg > g .tick')).map(e => e.textContent);",
                vec![],
            )
            .await
            .unwrap(),
        )
        .unwrap();
        let latest: bool = serde_json::from_value(
            c.execute("const bars = document.querySelectorAll('.chart svg > g'); return bars.length > 0 && bars[bars.length - 1].querySelector('.tick') !== null;", vec![])
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(latest, "{lang}: the latest day has its label: {ticks:?}");
        let ordered = match lang {
            "en" => ticks.iter().all(|t| t.chars().next().is_some_and(char::is_alphabetic)),
            _ => ticks.iter().all(|t| t.chars().next().is_some_and(|c| c.is_ascii_digit())),
        };
        assert!(ordered, "{lang}: days in the reader's order (Dec 7, 7 déc.): {ticks:?}");
        assert!(!ticks.iter().any(|t| t.contains('/')), "{lang}: no dd/mm on the axis: {ticks:?}");
        let title =
            c.find(Locator::Css(".mention time")).await.unwrap().attr("title").await.unwrap().unwrap();
        assert!(
            title.contains("Europe/Paris") && !title.contains('T'),
            "{lang}: exact local time on hover: {title}"
        );

        // The audit log: dates, rounded numbers and keys in the reader's language.
        c.goto(&t.url(&format!("/w/{ws}/audit"))).await.unwrap();
        let page = text(&c).await;
        for raw in ["1797", "0.4000000059604645", "target_share", "scheduled_at", "\"name\""] {
            assert!(!page.contains(raw), "{lang}: the audit log shows {raw}: {page}");
        }
        let (scheduled, share) = match lang {
            "en" => ("Scheduled for", "40%"),
            _ => ("Programmée pour", "40\u{202F}%"),
        };
        assert!(page.contains(scheduled) && page.contains(share), "{lang}: {page}");

        // Community: sentiment in words; French decimals with a comma; "Advocacy" is not the
        // ambassador's word in French.
        c.goto(&t.url(&format!("/w/{ws}/community"))).await.unwrap();
        let page = text(&c).await;
        match lang {
            "en" => assert!(page.contains("Negative") || page.contains("Positive"), "{page}"),
            _ => {
                assert!(page.contains("Négatif") || page.contains("Positif"), "{page}");
                assert!(page.contains("Recommandation") && !page.contains("Ambassadeur"), "{page}");
            }
        }
        c.goto(&t.url(&format!("/w/{ws}/moderation"))).await.unwrap();
        let page = text(&c).await;
        match lang {
            "en" => assert!(!page.contains('«'), "no French quotes in English: {page}"),
            _ => assert!(
                page.contains("toxicité ≥ 70\u{202F}%") && page.contains("Réponse, Mention"),
                "{page}"
            ),
        }

        // The week as a time grid: each post in the row of its hour.
        c.goto(&t.url(&format!("/w/{ws}/calendar?view=week&date={}", ymd(day)))).await.unwrap();
        assert!(c.find(Locator::Css(".cal-gutter .cal-h10")).await.is_ok(), "hours down the side");
        let at_ten = c
            .find(Locator::Css(&format!("[data-drop-date='{}'] .cal-slot.cal-h10 .cal-post", ymd(day))))
            .await;
        assert!(at_ten.is_ok(), "{lang}: the 10 o'clock post is in the 10 o'clock row");
    }
    c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=week&date={}", ymd(day)))).await.unwrap();
    c.execute("document.getElementById('calendar-body').scrollIntoView();", vec![]).await.unwrap();
    shot(&c, "polish-fr-390-calendar-week-days").await;
    c.close().await.unwrap();
}
