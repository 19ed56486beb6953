//! The start of the day in a real headless Chromium: the overview as an SMM and as a CM, the
//! search, at both widths and in both languages, with no sideways scrolling on the narrow
//! screen. Screenshots go to `target/screenshots/`.

mod browser_support;
mod common;

use browser_support::{assert_fits, open_browser, path, shot, start_driver, submit, text, NARROW, WIDE};
use fantoccini::{Client, Locator};

/// Signs in as `email` (a seeded member: the common password), signing out whoever was in.
async fn sign_in_as(c: &Client, t: &common::TestApp, email: &str) {
    browser_support::sign_in(c, &t.base, email, common::PASSWORD).await;
}

#[tokio::test]
async fn the_start_of_the_day_in_a_real_browser() {
    let Some(driver) = start_driver() else { return };
    let db = tutti_test_support::sqlite();
    let t = common::spawn(db).await;
    common::seed(&t.app).await;
    let (ws, ch) = common::brand_channel(&t).await;
    let op = tutti_app::Actor::Operator;
    let now = tutti_store::now_ms();
    let smm_id = t.app.user_by_email("smm@acme.test").await.unwrap().id;
    let cm_id = t.app.user_by_email("cm@acme.test").await.unwrap().id;
    let posts = [
        (Some(smm_id), "Notre nouvelle lampe de chevet Aurore est arrivée : lumière douce, variateur intégré. #luminaire", "scheduled", now + 60_000),
        (Some(cm_id), "Atelier en direct jeudi à 18 h : montez votre propre suspension avec notre designer.", "scheduled", now + 120_000),
        (Some(cm_id), "Les coulisses de l'atelier : chaque abat-jour est cousu à la main à Lyon.", "failed", now - 3_600_000),
        (Some(cm_id), "Concours de Noël : partagez votre coin lecture et gagnez une lampe Aurore.", "in_review", now + 2 * 86_400_000),
        (Some(cm_id), "Soldes d'hiver : -20 % sur les suspensions jusqu'à dimanche.", "draft", now + 3 * 86_400_000),
    ];
    let mut tx = t.app.store().begin().await.unwrap();
    for (i, (author, text, status, at)) in posts.iter().enumerate() {
        let p = tutti_app::store::publishing::insert_post(
            &mut tx,
            &tutti_app::store::publishing::NewPost {
                workspace_id: ws,
                channel_id: ch,
                author_user_id: *author,
                text,
                langs: "fr",
                status: if *status == "failed" { "scheduled" } else { status }.parse().unwrap(),
                scheduled_at: Some(*at),
                idempotency_key: &format!("browser-desk-{i}"),
                reply_to_post_id: None,
            },
            &[],
        )
        .await
        .unwrap();
        let error = match *status {
            "failed" => Some("Invalid identifier or password"),
            "draft" => Some("Le pourcentage doit figurer dans le visuel aussi."),
            _ => None,
        };
        if let Some(error) = error {
            sqlx::query("UPDATE posts SET status = $1, error = $2 WHERE id = $3")
                .bind(status)
                .bind(error)
                .bind(p.id)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
    common::ingest(
        &t,
        ws,
        ch,
        &[
            common::reply(
                "p1",
                "r1",
                "claire",
                "Claire Dubois",
                "Ma lampe Aurore est arrivée cassée, le pied est fendu. Que faire ?",
            ),
            common::reply("p2", "r2", "tom", "Tom Becker", "Do you ship the Aurore lamp to Canada?"),
            common::reply(
                "p3",
                "r3",
                "ines",
                "Inès Moreau",
                "Superbe lampe, la lumière est parfaite pour lire !",
            ),
            common::reply(
                "p4",
                "r4",
                "marc",
                "Marc Petit",
                "Toujours pas de nouvelles de ma commande #4521…",
            ),
        ],
    )
    .await;
    let convs = t.app.inbox(&op, common::WS, &Default::default(), None, 10).await.unwrap();
    t.app.assign_conversation(&op, common::WS, convs[0].id, "cm@acme.test").await.unwrap();
    let q = t.app.add_query(&op, common::WS, "Maison Lumière", "lampe OR aurore", "brand").await.unwrap();
    let mut tx = t.app.store().begin().await.unwrap();
    for (i, (author, text, sentiment)) in [
        ("did:plc:julie", "La lampe Aurore de Maison Lumière, coup de cœur de l'année", "pos"),
        ("did:plc:paul", "Ma lampe Aurore clignote depuis hier, quelqu'un d'autre ?", "neg"),
        ("did:plc:nora", "Aurore lamp in my reading corner, so cozy", "pos"),
    ]
    .iter()
    .enumerate()
    {
        let m = tutti_app::store::listening::Mention {
            id: 0,
            query_id: q.id,
            source: "firehose".into(),
            external_id: format!("at://{author}/app.bsky.feed.post/m{i}"),
            url: None,
            author: Some((*author).into()),
            text: (*text).into(),
            lang: Some("fr".into()),
            sentiment: Some(sentiment.parse().unwrap()),
            sentiment_score: Some(0.0),
            toxicity: Some(0.0),
            published_at: Some(now - 600_000),
        };
        tutti_app::store::listening::insert_mention(&mut tx, &m).await.unwrap();
    }
    tutti_app::store::alerts::insert_alert(
        &mut tx,
        &tutti_app::store::alerts::Alert {
            id: 0,
            workspace_id: ws,
            query_id: q.id,
            rule_id: None,
            kind: "volume".into(),
            observed: 38.0,
            expected: 4.2,
            window_start: now - 900_000,
            window_end: now,
            samples: vec![tutti_app::store::alerts::AlertSample {
                author: "did:plc:paul".into(),
                text: "Ma lampe Aurore clignote depuis hier".into(),
                url: None,
            }],
            crisis_suggested: true,
            created_at: now,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let c = open_browser(&driver).await;
    let home = format!("/w/{}", common::WS);
    let search = format!("/w/{}/search?q=aurore", common::WS);
    for (email, who) in [("smm@acme.test", "smm"), ("cm@acme.test", "cm")] {
        sign_in_as(&c, &t, email).await;
        let me = t.app.user_by_email(email).await.unwrap();
        for lang in ["en", "fr"] {
            t.app.update_preferences(&me, &me.name, lang, &me.timezone).await.unwrap();
            for (size, tag) in [(WIDE, "1440"), (NARROW, "390")] {
                c.set_window_size(size.0, size.1).await.unwrap();
                c.goto(&t.url(&home)).await.unwrap();
                let page = text(&c).await;
                let waiting = if lang == "en" { "Waiting for you" } else { "Ce qui vous attend" };
                assert!(page.contains(waiting), "{who} {lang}: the overview");
                let approve =
                    if lang == "en" { "Posts waiting for your approval" } else { "Publications à valider" };
                assert_eq!(page.contains(approve), who == "smm", "{who} {lang}: approvals are the SMM's");
                assert_fits(&c, &format!("overview {who} {lang} {tag}")).await;
                shot(&c, &format!("{lang}-{tag}-overview-{who}")).await;
                c.goto(&t.url(&search)).await.unwrap();
                assert!(text(&c).await.contains("Claire"), "{who} {lang}: the search finds the conversation");
                assert_fits(&c, &format!("search {who} {lang} {tag}")).await;
                if who == "smm" {
                    shot(&c, &format!("{lang}-{tag}-search")).await;
                    for (page, name) in [("alerts", "alerts"), ("crisis?on=1", "crisis-confirm")] {
                        c.goto(&t.url(&format!("/w/{}/{page}", common::WS))).await.unwrap();
                        assert_fits(&c, &format!("{name} {lang} {tag}")).await;
                        shot(&c, &format!("{lang}-{tag}-{name}")).await;
                    }
                }
            }
        }
        t.app.update_preferences(&me, &me.name, "", &me.timezone).await.unwrap();
    }

    // The search from the keyboard: "/" focuses the top bar's box, Enter searches.
    c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
    c.goto(&t.url(&home)).await.unwrap();
    c.execute("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: '/', bubbles: true}))", vec![])
        .await
        .unwrap();
    let focused: String =
        serde_json::from_value(c.execute("return document.activeElement.id", vec![]).await.unwrap()).unwrap();
    assert_eq!(focused, "top-search", "/ focuses the search");
    let field = c.find(Locator::Css("#top-search")).await.unwrap();
    let old = c.find(Locator::Css("html")).await.unwrap();
    field.send_keys("tom\u{E007}").await.unwrap();
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    c.wait().for_element(Locator::Css(".search-results")).await.unwrap();
    assert!(path(&c).await.starts_with(&format!("/w/{}/search?q=tom", common::WS)));
    assert!(text(&c).await.contains("Tom Becker"));

    // The CM acknowledges nothing here (it is on the alerts page); the SMM acknowledges the alert
    // from the overview, and the sidebar's count goes.
    sign_in_as(&c, &t, "smm@acme.test").await;
    c.goto(&t.url(&home)).await.unwrap();
    assert!(c.find(Locator::Css(".nav-list a[href$='/alerts'] .nav-count")).await.is_ok());
    submit(&c, ".alert form[action$='/acknowledge'] button[type=submit]").await;
    assert!(c.find(Locator::Css(".nav-list a[href$='/alerts'] .nav-count")).await.is_err(), "no alert left");
    c.close().await.unwrap();
}
