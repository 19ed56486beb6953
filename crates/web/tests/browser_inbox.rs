//! The inbox in a real headless Chromium: a conversation per person worked from the keyboard,
//! at both widths and in both languages (the list or the conversation on a phone, never both).
//! Screenshots go to `target/screenshots/`.

mod browser_support;
mod common;

use browser_support::{click, fill, open_browser, path, shot, start_driver, submit, text, NARROW, WIDE};
use fantoccini::{Client, Locator};

#[tokio::test]
async fn the_inbox_is_worked_from_the_keyboard_in_a_real_browser() {
    use tutti_app::ingest::{item_of, Incoming};
    use tutti_app::secrets::Keyring;
    use tutti_app::Actor;

    let Some(driver) = start_driver() else { return };
    let t = common::spawn(tutti_test_support::sqlite()).await;
    common::seed(&t.app).await;
    let ws = common::WS;
    let channel = tutti_test_support::offline_bluesky("maison.test", Some("did:plc:maison"));
    let ch = t.app.add_channel(&Actor::Operator, &Keyring::generate(), ws, &channel).await.unwrap();
    let now = tutti_store::now_ms();
    let notes = [
        (
            "r1",
            "reply",
            "alice",
            "Alice Martin",
            "Ma lampe est arrivée cassée, et le service client ne répond pas. Très déçue.",
            1,
        ),
        (
            "m1",
            "mention",
            "bob",
            "Bob",
            "Quelqu'un a testé @maison.test ? Leurs lampes ont l'air superbes ✨",
            2,
        ),
        (
            "r2",
            "reply",
            "carla",
            "<b>Carla</b>\u{202E}",
            "<script>alert(1)</script> Livraison en retard… 😡😡😡",
            3,
        ),
        ("f1", "follow", "dan", "Dan", "", 4),
    ];
    let items: Vec<_> = notes
        .iter()
        .map(|(id, kind, author, name, text, i)| {
            let n = Incoming {
                remote_id: (*id).into(),
                kind: kind.parse().unwrap(),
                author_id: format!("did:plc:{author}"),
                author_handle: format!("{author}.test"),
                author_name: (*name).into(),
                text: (*text).into(),
                post: (*kind != "follow")
                    .then(|| (format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), None)),
                parent: (*kind == "reply").then(|| format!("at://did:plc:maison/app.bsky.feed.post/{id}")),
                at: now - 3_600_000 * 3 + i * 600_000,
                ..Default::default()
            };
            item_of(ch.workspace_id, ch.id, tutti_domain::Network::Bluesky, &n)
        })
        .collect();
    let mut tx = t.app.store().begin().await.unwrap();
    tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &items).await.unwrap();
    tx.commit().await.unwrap();
    // Inbox per person: two customers and a troll under one post of the brand (published by
    // Tutti, shown above each conversation), and enough conversations to fill a screen.
    let (brand_post, trial, lea_first) = inbox_trial(&t, ch.workspace_id, ch.id, now).await;

    let c = open_browser(&driver).await;
    c.goto(&t.url("/login")).await.unwrap();
    fill(&c, "#email", "cm@acme.test").await;
    fill(&c, "#password", common::PASSWORD).await;
    submit(&c, "button[type=submit]").await;
    c.goto(&t.url(&format!("/w/{ws}/inbox"))).await.unwrap();
    let page = text(&c).await;
    assert!(
        page.contains("Alice Martin") && page.contains("<b>Carla</b>"),
        "hostile names shown as text: {page}"
    );
    shot(&c, "en-1440-inbox").await;

    // j opens the first conversation (the latest), j again the next one.
    let body = c.find(Locator::Css("body")).await.unwrap();
    body.send_keys("j").await.unwrap();
    c.wait().for_element(Locator::Css("[data-conversation]")).await.unwrap();
    let first =
        c.find(Locator::Css("[data-conversation]")).await.unwrap().attr("data-conversation").await.unwrap();
    c.find(Locator::Css("body")).await.unwrap().send_keys("j").await.unwrap();
    let mut second = first.clone();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        second = c
            .find(Locator::Css("[data-conversation]"))
            .await
            .unwrap()
            .attr("data-conversation")
            .await
            .unwrap();
        if second != first {
            break;
        }
    }
    assert_ne!(first, second, "j moves to the next conversation");
    assert!(
        path(&c).await.starts_with(&format!("/w/{ws}/inbox/")),
        "the address follows: {}",
        path(&c).await
    );
    // r writes a reply; it is sent without leaving the page.
    c.find(Locator::Css("body")).await.unwrap().send_keys("r").await.unwrap();
    let active = c.active_element().await.unwrap();
    assert_eq!(active.attr("id").await.unwrap().as_deref(), Some("reply-text"));
    // The second latest is Léa's, whose latest message is older than the troll's: the reply box
    // answers her, and says so.
    let page = text(&c).await;
    assert!(page.contains(brand_post), "the brand's post above the conversation: {page}");
    let answering = c
        .execute("return document.querySelector('#reply-to option:checked').textContent", vec![])
        .await
        .unwrap();
    assert!(answering.as_str().unwrap_or_default().contains("Léa Rousseau"), "{answering}");
    active.send_keys("Bonjour, nous sommes désolés : nous vous écrivons en privé.").await.unwrap();
    click(&c, "#reply-form button[type=submit]").await;
    let notice = c.wait().for_element(Locator::Css(".conversation .banner-ok")).await.unwrap();
    assert!(notice.text().await.unwrap().contains("Reply sent"));
    let apology = t
        .app
        .posts(&Actor::Operator, ws, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.text.starts_with("Bonjour, nous sommes désolés"))
        .expect("the apology is written");
    assert_eq!(
        apology.reply_ref.as_deref(),
        Some(trial.as_str()),
        "the apology lands under the customer's latest message, not under the troll's newer one"
    );
    shot(&c, "en-1440-inbox-conversation").await;
    // e closes it.
    c.find(Locator::Css("body")).await.unwrap().send_keys("e").await.unwrap();
    let mut closed = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if text(&c).await.contains("Conversation marked “Closed”") {
            closed = true;
            break;
        }
    }
    assert!(closed, "e closes the conversation");
    assert_eq!(
        t.app.posts(&Actor::Operator, ws, 10).await.unwrap().len(),
        2,
        "the brand's post and one reply were written"
    );
    // Choosing the message to answer, from the keyboard: "Answer this message" on her first one.
    let lea_first_id = lea_first;
    let pick = c.find(Locator::Css(&format!("[data-answer-item='{lea_first_id}']"))).await.unwrap();
    pick.send_keys("\u{E007}").await.unwrap();
    let chosen = c.execute("return document.querySelector('#reply-to').value", vec![]).await.unwrap();
    assert_eq!(chosen.as_str(), Some(lea_first_id.to_string().as_str()), "Enter on the button chooses it");
    let active = c.active_element().await.unwrap();
    assert_eq!(
        active.attr("id").await.unwrap().as_deref(),
        Some("reply-text"),
        "and the reply box has the focus"
    );
    assert!(
        c.find(Locator::Css(&format!("#item-{lea_first_id}.item-target"))).await.is_ok(),
        "the message answered is marked"
    );
    active.send_keys("Pour l'abat-jour : un nouveau part aujourd'hui.").await.unwrap();
    shot(&c, "en-1440-inbox-answer-choice").await;
    click(&c, "#reply-form button[type=submit]").await;
    let mut second = None;
    for _ in 0..100 {
        second = t
            .app
            .posts(&Actor::Operator, ws, 10)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.text == "Pour l'abat-jour : un nouveau part aujourd'hui.");
        if second.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let second = second.expect("the second reply is written");
    assert_eq!(
        second.reply_ref.as_deref(),
        Some("at://did:plc:lea/app.bsky.feed.post/lea1"),
        "under the message chosen"
    );
    // Density: at 1440 × 900, twelve conversations or more are in sight.
    let chrome = c.execute("return window.outerHeight - window.innerHeight", vec![]).await.unwrap();
    c.set_window_size(WIDE.0, 900 + chrome.as_u64().unwrap_or_default() as u32).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/inbox?status=all"))).await.unwrap();
    let seen = c
        .execute(
            "return Array.from(document.querySelectorAll('[data-row]')).filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length",
            vec![],
        )
        .await
        .unwrap();
    let height = c.execute("return window.innerHeight", vec![]).await.unwrap();
    assert_eq!(height.as_i64(), Some(900));
    assert!(seen.as_i64().unwrap_or_default() >= 12, "{seen} conversations in sight at 1440 × 900");
    shot(&c, "en-1440-inbox-900").await;
    // At 390 px: the list alone, then the conversation alone with a way back.
    c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/inbox"))).await.unwrap();
    assert_inbox_fits(&c, "en-390-inbox").await;
    shot(&c, "en-390-inbox").await;
    c.find(Locator::Css("[data-row-link]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("[data-conversation]")).await.unwrap();
    assert_inbox_fits(&c, "en-390-inbox-conversation").await;
    shot(&c, "en-390-inbox-conversation").await;

    // Moderation: a rule tried on what came in before it is switched on.
    c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/moderation"))).await.unwrap();
    fill(&c, "#mr-name", "Livraisons").await;
    fill(&c, "#mr-words", "livraison, déçue").await;
    submit(&c, "button[name=op][value=dry]").await;
    let page = text(&c).await;
    assert!(
        page.contains("Alice Martin") || page.contains("alice.test"),
        "the dry run lists what it would hit: {page}"
    );
    shot(&c, "en-1440-moderation-dry-run").await;
    // The person behind a conversation, and the feedback report.
    let list = t
        .app
        .inbox(&Actor::Operator, ws, &tutti_app::store::inbox::Filter::default(), None, 50)
        .await
        .unwrap();
    let alice = list.iter().find(|c| c.person_name == "Alice Martin").and_then(|c| c.person_id).unwrap();
    c.goto(&t.url(&format!("/w/{ws}/people/{alice}"))).await.unwrap();
    assert!(text(&c).await.contains("Alice Martin"));
    shot(&c, "en-1440-person").await;
    c.goto(&t.url(&format!("/w/{ws}/feedback"))).await.unwrap();
    shot(&c, "en-1440-feedback").await;

    // In French.
    c.goto(&t.url("/settings")).await.unwrap();
    c.find(Locator::Css("#s-locale option[value=fr]")).await.unwrap().click().await.unwrap();
    submit(&c, "form[action='/settings'] button[type=submit]").await;
    c.goto(&t.url(&format!("/w/{ws}/inbox?status=all"))).await.unwrap();
    assert!(text(&c).await.contains("Boîte de réception"));
    shot(&c, "fr-1440-inbox").await;
    // A conversation in French, with the feedback category to confirm.
    let alice_conversation = list.iter().find(|c| c.person_name == "Alice Martin").unwrap().id;
    c.goto(&t.url(&format!("/w/{ws}/inbox/{alice_conversation}"))).await.unwrap();
    let page = text(&c).await;
    assert!(
        page.contains("En réponse à") && page.contains("modifier"),
        "the reply box and the category speak French"
    );
    shot(&c, "fr-1440-inbox-conversation").await;
    c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/inbox?status=all"))).await.unwrap();
    assert_inbox_fits(&c, "fr-390-inbox").await;
    shot(&c, "fr-390-inbox").await;
    c.goto(&t.url(&format!("/w/{ws}/inbox/{alice_conversation}"))).await.unwrap();
    assert!(text(&c).await.contains("Toutes les conversations"), "the way back to the list");
    assert_inbox_fits(&c, "fr-390-inbox-conversation").await;
    shot(&c, "fr-390-inbox-conversation").await;
    c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
    // A person in French: the sentiment by month fits its card.
    c.goto(&t.url(&format!("/w/{ws}/people/{alice}"))).await.unwrap();
    assert!(text(&c).await.contains("Mois"), "the person page speaks French");
    shot(&c, "fr-1440-person").await;
    c.close().await.unwrap();
}

/// The trial's scenario, stored as the inbox reader stores notifications: the brand's post
/// (published through Tutti), Léa's two messages and Bruno's under it, then a troll's, the
/// newest; and twelve mentions, so that the list fills a screen. Returns the brand post's
/// text, the network id of Léa's latest message and the id of her first item.
async fn inbox_trial(t: &common::TestApp, ws: i64, ch: i64, now: i64) -> (&'static str, String, i64) {
    use tutti_app::ingest::{item_of, Incoming};
    let brand = "at://did:plc:maison/app.bsky.feed.post/aube";
    let text = "Notre lampe Aube est arrivée : lumière chaude, variateur tactile.";
    let p = tutti_app::publishing::PostToWrite {
        channel: "maison.test".into(),
        text: text.into(),
        ..Default::default()
    };
    let post = t.app.create_post(&tutti_app::Actor::Operator, common::WS, &p, now).await.unwrap();
    sqlx::query("UPDATE posts SET status = 'published', remote_id = $1, published_at = $2 WHERE id = $3")
        .bind(brand)
        .bind(now - 3_600_000)
        .bind(post.id)
        .execute(&mut *t.app.store().conn().await.unwrap())
        .await
        .unwrap();
    let under = |id: &str, author: &str, name: &str, text: &str, minutes: i64| Incoming {
        remote_id: id.into(),
        kind: tutti_domain::ItemKind::Reply,
        author_id: format!("did:plc:{author}"),
        author_handle: format!("{author}.test"),
        author_name: name.into(),
        text: text.into(),
        post: Some((format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), Some(format!("cid-{id}")))),
        parent: Some(brand.into()),
        root: Some(brand.into()),
        at: now - minutes * 60_000,
        ..Default::default()
    };
    let mut notes = vec![
        under(
            "lea1",
            "lea",
            "Léa Rousseau",
            "Ma lampe Aube est arrivée avec l'abat-jour fendu. Très déçue.",
            50,
        ),
        under("bruno1", "bruno", "Bruno Petit", "Toujours pas reçu ma commande, c'est long.", 45),
        under(
            "lea2",
            "lea",
            "Léa Rousseau",
            "Photo envoyée au service client hier, toujours aucune réponse.",
            40,
        ),
        under("troll1", "troll", "xXtrollXx", "LOL des nuls, arnaque, boycott !!!", 35),
    ];
    let texts = [
        "Quelqu'un a essayé la lampe Aube de @maison.test ? Elle a l'air superbe",
        "@maison.test livraison rapide, merci, j'adore",
        "@maison.test le variateur grésille, c'est normal ?",
        "Hésite entre Aube et Lune chez @maison.test, des avis ?",
    ];
    for k in 0..12 {
        let author = format!("fan{k:02}");
        notes.push(Incoming {
            remote_id: format!("m{k}"),
            kind: tutti_domain::ItemKind::Mention,
            author_id: format!("did:plc:{author}"),
            author_handle: format!("{author}.test"),
            author_name: format!("Fan {k}"),
            text: texts[k % texts.len()].into(),
            post: Some((format!("at://did:plc:{author}/app.bsky.feed.post/m{k}"), None)),
            at: now - 5 * 3_600_000 - k as i64 * 60_000,
            ..Default::default()
        });
    }
    let items: Vec<_> = notes.iter().map(|n| item_of(ws, ch, tutti_domain::Network::Bluesky, n)).collect();
    let mut tx = t.app.store().begin().await.unwrap();
    tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &items).await.unwrap();
    tx.commit().await.unwrap();
    let list =
        t.app.inbox(&tutti_app::Actor::Operator, common::WS, &Default::default(), None, 50).await.unwrap();
    let lea = list.iter().find(|c| c.author_id == "did:plc:lea").unwrap();
    let first = t.app.conversation(&tutti_app::Actor::Operator, common::WS, lea.id).await.unwrap().1[0].id;
    (text, "at://did:plc:lea/app.bsky.feed.post/lea2".into(), first)
}

/// The inbox at a narrow width: no sideways scrolling, and the list or the conversation, never
/// both.
async fn assert_inbox_fits(c: &Client, page: &str) {
    let v = c
        .execute(
            "const shown = s => { const e = document.querySelector(s); return !!e && getComputedStyle(e).display !== 'none'; }; \
             return [document.documentElement.scrollWidth, window.innerWidth, shown('.inbox-side'), shown('.inbox-main'), \
             Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className).slice(0, 8)]",
            vec![],
        )
        .await
        .unwrap();
    let (width, viewport) = (v[0].as_i64().unwrap(), v[1].as_i64().unwrap());
    assert!(width <= viewport, "{page}: the document is {width} px wide in {viewport} px: {}", v[4]);
    assert!(
        v[2] != v[3],
        "{page}: the list or the conversation, never both (list {}, conversation {})",
        v[2],
        v[3]
    );
}
