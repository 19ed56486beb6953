//! The analytics dashboards in a real headless Chromium, on every backend: the overview, the
//! post table, a post's curve and the team view in both languages, wide and on a phone; the
//! period picker and the sortable headers reached with the keyboard; the composer's best
//! slots filling the time picker. Screenshots go to `target/screenshots/`.

mod browser_support;
mod common;

use browser_support::{assert_fits, open_browser, shot, start_driver, submit, text, Driver, NARROW, WIDE};
use fantoccini::{Client, Locator};
use serde_json::json;
use tutti_store::analytics::{record_channel_counts, ChannelDay};
use tutti_store::DAY_MS;

/// The Tab key, as WebDriver sends it.
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// Switches the signed-in person's language from the settings page.
async fn speak(c: &Client, t: &common::TestApp, lang: &str) {
    c.goto(&t.url("/settings")).await.unwrap();
    c.find(Locator::Css(&format!("#s-locale option[value={lang}]"))).await.unwrap().click().await.unwrap();
    submit(c, "form[action='/settings'] button[type=submit]").await;
}

/// Presses Tab from the top of the main area until the focused element matches `css`;
/// how many presses it took.
async fn tab_to(c: &Client, css: &str) -> usize {
    c.execute("document.getElementById('main').focus();", vec![]).await.unwrap();
    for presses in 1..=60 {
        c.active_element().await.unwrap().send_keys(TAB).await.unwrap();
        let here = c
            .execute("return document.activeElement.matches(arguments[0]);", vec![json!(css)])
            .await
            .unwrap();
        if here == json!(true) {
            return presses;
        }
    }
    panic!("{css} is not reached with Tab");
}

#[tokio::test]
async fn analytics_read_well_and_work_with_the_keyboard() {
    let Some(driver) = start_driver() else { return };
    for db in tutti_test_support::every_backend().await {
        analytics_pages(&driver, db).await;
    }
}

async fn analytics_pages(driver: &Driver, db: tutti_test_support::TestDb) {
    use tutti_app::Actor;
    let label = db.label();
    let t = common::spawn(db).await;
    common::seed(&t.app).await;
    let ws = common::WS;
    let (ws_id, ch) = common::brand_channel(&t).await;
    let admin = t.app.user_by_email("admin@acme.test").await.unwrap();
    let admin_actor = Actor::User(admin.clone());
    let charter = tutti_app::charter::CharterForm {
        pillars: "Produits: lampe = 40%\nCoulisses: atelier = 30%\nConseils: astuce = 30%".into(),
        ..Default::default()
    };
    t.app.set_charter(&admin_actor, ws, &charter).await.unwrap();

    // Three weeks of posts and of follower counts.
    let now = tutti_store::now_ms();
    let texts = [
        ("Nouvelle lampe Aube en verre soufflé ✨", Some("Produits")),
        ("Coulisses de l'atelier : le souffleur au travail", Some("Coulisses")),
        ("Astuce : bien éclairer un salon en hiver", Some("Conseils")),
        ("Jeu-concours : gagnez la lampe Aube", None),
    ];
    let mut post = 0;
    for i in 0..12i64 {
        let (words, pillar) = texts[(i % 4) as usize];
        let counts = (5 + i * 3 % 17, i % 5, 1 + i % 3, i % 2);
        post = common::measured_post(
            &t,
            (ws_id, ch, Some(admin.id)),
            &format!("{words} #{i}"),
            now - (20 - i) * DAY_MS - 7 * 3_600_000,
            counts,
            1_200 + i * 10,
            pillar,
        )
        .await;
    }
    let mut conn = t.app.store().conn().await.unwrap();
    for d in 0..30i64 {
        let day = tutti_store::analytics::day_of(now - d * DAY_MS);
        let counts = ChannelDay { channel_id: ch, day, followers: 1_320 - d * 4, following: 80, posts: 200 };
        record_channel_counts(&mut conn, &counts, now).await.unwrap();
    }
    drop(conn);
    let notes = [
        common::reply("p1", "r1", "ann", "Ann", "Elle est superbe, merci !"),
        common::reply("p2", "r2", "ben", "Ben", "Ma commande est en retard, très déçu."),
    ];
    common::ingest(&t, ws_id, ch, &notes).await;

    let c = open_browser(driver).await;
    browser_support::sign_in(&c, &t.base, "smm@acme.test", common::PASSWORD).await;
    eprintln!("[{label}] analytics in a browser");

    // The keyboard reaches the period picker and the sortable headers; Enter sorts.
    c.goto(&t.url(&format!("/w/{ws}/analytics"))).await.unwrap();
    let presses = tab_to(&c, "#a-range").await;
    assert!(presses <= 10, "[{label}] the period picker is near the top: {presses} presses");
    c.goto(&t.url(&format!("/w/{ws}/analytics/posts"))).await.unwrap();
    tab_to(&c, "a.sort-link[href*='sort=engagements']").await;
    c.active_element().await.unwrap().send_keys(ENTER).await.unwrap();
    c.wait().for_element(Locator::Css("th[aria-sort] a[href*='sort=engagements']")).await.unwrap();
    assert!(browser_support::path(&c).await.contains("sort=engagements"), "[{label}] Enter sorts");

    let pages: Vec<(String, &str)> = vec![
        (format!("/w/{ws}/analytics"), "analytics"),
        (format!("/w/{ws}/analytics/posts?sort=engagements"), "analytics-posts"),
        (format!("/w/{ws}/analytics/posts/{post}"), "analytics-post"),
        (format!("/w/{ws}/analytics/team"), "analytics-team"),
        (format!("/w/{ws}/analytics?range=custom&from=2020-01-01&to=2020-01-31"), "analytics-empty"),
        (format!("/w/{ws}/compose"), "compose-best"),
    ];
    for lang in ["en", "fr"] {
        speak(&c, &t, lang).await;
        for (size, tag) in [(WIDE, "1440"), (NARROW, "390")] {
            c.set_window_size(size.0, size.1).await.unwrap();
            for (url, name) in &pages {
                c.goto(&t.url(url)).await.unwrap();
                shot(&c, &format!("analytics-{lang}-{tag}-{name}")).await;
                if tag == "390" {
                    assert_fits(&c, &format!("{lang} {name}")).await;
                }
                if *name == "compose-best" {
                    c.execute("document.querySelector('[data-best-times]').scrollIntoView(); window.scrollBy(0, -200);", vec![]).await.unwrap();
                    shot(&c, &format!("analytics-{lang}-{tag}-{name}-2")).await;
                }
                if *name == "analytics" {
                    // The lower half of the overview.
                    c.execute("document.getElementById('pillars-h').scrollIntoView();", vec![])
                        .await
                        .unwrap();
                    shot(&c, &format!("analytics-{lang}-{tag}-{name}-2")).await;
                    c.execute("document.getElementById('top-h').scrollIntoView();", vec![]).await.unwrap();
                    shot(&c, &format!("analytics-{lang}-{tag}-{name}-3")).await;
                }
            }
        }
        c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
        c.goto(&t.url(&format!("/w/{ws}/analytics"))).await.unwrap();
        let page = text(&c).await;
        let words = match lang {
            "en" => ["Engagement rate", "Followers per channel", "Top 5 posts"],
            _ => ["Taux d’engagement", "Abonnés par compte", "Les 5 meilleures publications"],
        };
        for w in words {
            assert!(page.contains(w), "[{label}] {lang}: {w} in {page}");
        }
        // Each chart's table opens under it.
        c.find(Locator::Css("section[aria-labelledby=engagement-h] details summary"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let rows =
            c.find_all(Locator::Css("section[aria-labelledby=engagement-h] details tbody tr")).await.unwrap();
        assert!(!rows.is_empty(), "[{label}] the engagement table has rows");
    }

    // The composer's best slots fill the time picker.
    c.goto(&t.url(&format!("/w/{ws}/compose"))).await.unwrap();
    let slot = c.find(Locator::Css("[data-best-at]")).await.unwrap();
    let at = slot.attr("data-best-at").await.unwrap().unwrap();
    slot.click().await.unwrap();
    let value = c.find(Locator::Css("#c-at")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(value.as_deref(), Some(at.as_str()), "[{label}] the slot fills the time picker");
    c.close().await.unwrap();
}
