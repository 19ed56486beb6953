//! The inbox as a browser uses it, on every backend: the list and a conversation, hostile
//! text rendered inert and readable, replies from the form, the guard against two replies,
//! roles, and new conversations announced by server-sent events.

mod common;

use common::{brand_channel, ingest, reply, seed, spawn, PASSWORD, WS};
use tutti_app::Actor;

#[tokio::test]
async fn the_inbox_lists_conversations_with_hostile_text_inert_and_replies_from_the_form() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let (ws, ch) = brand_channel(&t).await;
        let hostile_name = "<img src=x onerror=alert(1)>\u{202E}evil\u{200B}";
        let flood = "😡".repeat(10_000);
        let text = format!("<script>alert('x')</script> Livraison ratée, c'est nul {flood}");
        let c = ingest(&t, ws, ch, &[reply("1", "r1", "alice", hostile_name, &text)]).await[0];

        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let r = t.get(&mut cm, &format!("/w/{WS}/inbox")).await;
        assert_eq!(r.status(), 200, "[{label}]");
        let html = r.text().await.unwrap();
        assert!(
            html.contains(&format!("href=\"/w/{WS}/inbox/{c}\"")),
            "[{label}] the conversation is listed"
        );
        assert!(!html.contains("<img src=x") && !html.contains("<script>alert"), "[{label}] inert");
        assert!(
            html.contains("&#60;img src=x onerror=alert(1)&#62;evil"),
            "[{label}] readable, bidi and zero-width removed"
        );
        assert!(!html.contains('\u{202E}'));
        let pane = t.get(&mut cm, &format!("/w/{WS}/inbox/{c}")).await.text().await.unwrap();
        assert!(
            pane.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;")
                || pane.contains("&#60;script&#62;alert("),
            "[{label}]"
        );
        assert!(
            pane.matches('😡').count() < 3_500,
            "[{label}] a flood of 10,000 is cut to the 3,000 characters kept (and 160 in the list)"
        );
        assert!(pane.contains("Brand · @maison.test"), "[{label}] the voice is named before sending");

        // Another CM opened the reply form first: told, and refused.
        let mut cm2 = {
            t.app.add_user(&Actor::Operator, "cm2@acme.test", "Camille Deux", PASSWORD, false).await.unwrap();
            t.app.add_member(&Actor::Operator, WS, "cm2@acme.test", "cm").await.unwrap();
            t.sign_in("cm2@acme.test", PASSWORD).await
        };
        let start = t.post_form(&mut cm2, &format!("/w/{WS}/inbox/{c}/reply/start"), &[]).await;
        assert_eq!(start.status(), 200);
        assert!(start.text().await.unwrap().is_empty(), "no one else was replying");
        let start = t.post_form(&mut cm, &format!("/w/{WS}/inbox/{c}/reply/start"), &[]).await;
        assert!(start.text().await.unwrap().contains("Camille Deux is writing a reply"), "[{label}]");
        let r = t
            .post_form(
                &mut cm,
                &format!("/w/{WS}/inbox/{c}/reply"),
                &[("text", "Bonjour, on regarde"), ("seen_items", "1")],
            )
            .await;
        assert_eq!(r.status(), 422, "[{label}] refused before sending");
        assert!(r.text().await.unwrap().contains("Someone else is replying"), "[{label}] and told why");
        let r = t
            .post_form(
                &mut cm2,
                &format!("/w/{WS}/inbox/{c}/reply"),
                &[("text", "Bonjour Alice, nous regardons !"), ("seen_items", "1")],
            )
            .await;
        assert_eq!(r.status(), 303, "[{label}]");
        let posts = t.app.posts(&Actor::Operator, WS, 10).await.unwrap();
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].reply_ref.as_deref(), Some("at://did:plc:alice/app.bsky.feed.post/r1"));
        let pane = t.get(&mut cm, &format!("/w/{WS}/inbox/{c}")).await.text().await.unwrap();
        assert!(pane.contains("Bonjour Alice, nous regardons !") && pane.contains("Our reply"), "[{label}]");

        // Close, tag, assign, like: each answered with the pane (htmx) and listed.
        for (path, value) in [("status", "closed"), ("tags", "livraison, sav"), ("assign", "me")] {
            let r = t.post_form(&mut cm, &format!("/w/{WS}/inbox/{c}/{path}"), &[("value", value)]).await;
            assert_eq!(r.status(), 303, "[{label}] {path}");
        }
        let bad = t.post_form(&mut cm, &format!("/w/{WS}/inbox/{c}/tags"), &[("value", "<b>")]).await;
        assert_eq!(bad.status(), 422, "[{label}]");
        let closed = t
            .get(&mut cm, &format!("/w/{WS}/inbox?status=closed&tag=sav&assignee=me"))
            .await
            .text()
            .await
            .unwrap();
        assert!(closed.contains(&format!("/w/{WS}/inbox/{c}\"")), "[{label}] filters");
        let open = t.get(&mut cm, &format!("/w/{WS}/inbox")).await.text().await.unwrap();
        assert!(
            !open.contains(&format!("/w/{WS}/inbox/{c}\"")),
            "[{label}] the default view is what is open"
        );

        // Roles: analysts read, contributors do not.
        let mut analyst = t.sign_in("analyst@acme.test", PASSWORD).await;
        assert_eq!(t.get(&mut analyst, &format!("/w/{WS}/inbox/{c}")).await.status(), 200);
        let r = t.post_form(&mut analyst, &format!("/w/{WS}/inbox/{c}/reply"), &[("text", "Non")]).await;
        assert_eq!(r.status(), 403, "[{label}]");
        let mut contributor = t.sign_in("contributor@acme.test", PASSWORD).await;
        assert_eq!(t.get(&mut contributor, &format!("/w/{WS}/inbox")).await.status(), 403, "[{label}]");
    }
}

#[tokio::test]
async fn new_conversations_are_announced_by_server_sent_events() {
    let t = spawn(tutti_test_support::sqlite()).await;
    seed(&t.app).await;
    let (ws, ch) = brand_channel(&t).await;
    let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
    let mut events = t
        .client
        .get(t.url(&format!("/w/{WS}/inbox/events")))
        .header(reqwest::header::COOKIE, cm.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    assert!(events.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    // The stream listens to the change feed from before its answer: no wait is needed.
    let c = ingest(&t, ws, ch, &[reply("1", "r9", "bob", "Bob", "Un souci avec ma commande")]).await[0];
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains("event: moved") {
        let chunk = tokio::time::timeout_at(deadline, events.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains(&format!("data: {c}")), "{seen}");
    let _ = t.get(&mut cm, "/settings").await;
}

#[tokio::test]
async fn the_inbox_api_lists_reads_and_replies_with_the_pages_rules() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let (ws, ch) = brand_channel(&t).await;
        let c = ingest(
            &t,
            ws,
            ch,
            &[reply("1", "r1", "alice", "Alice", "Ma commande n'est jamais arrivée, c'est nul")],
        )
        .await[0];
        let token = |role: tutti_domain::Role| s.members[&role].1.clone();
        let cm = token(tutti_domain::Role::Cm);
        let r = t
            .bearer(reqwest::Method::GET, &format!("/api/v1/workspaces/{WS}/inbox?sentiment=neg"), &cm)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "[{label}]");
        let list: serde_json::Value = r.json().await.unwrap();
        assert_eq!(list[0]["id"], c);
        assert_eq!((list[0]["kind"].as_str(), list[0]["unanswered"].as_bool()), (Some("reply"), Some(true)));
        let r = t
            .bearer(reqwest::Method::GET, &format!("/api/v1/workspaces/{WS}/inbox?status=maybe"), &cm)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"]["field"], "status");
        let one: serde_json::Value = t
            .bearer(reqwest::Method::GET, &format!("/api/v1/workspaces/{WS}/inbox/{c}"), &cm)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(one["items"][0]["author_handle"], "alice.test");
        let path = format!("/api/v1/workspaces/{WS}/inbox/{c}/reply");
        let r = t
            .bearer(reqwest::Method::POST, &path, &cm)
            .json(&serde_json::json!({"text": ""}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "[{label}]");
        let r = t
            .bearer(reqwest::Method::POST, &path, &cm)
            .json(&serde_json::json!({"text": "Bonjour Alice !", "seen_items": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "[{label}]");
        let post: serde_json::Value = r.json().await.unwrap();
        assert_eq!(post["status"], "scheduled");
        // Someone answered since: refused with 409, nothing written.
        let r = t
            .bearer(reqwest::Method::POST, &path, &token(tutti_domain::Role::Smm))
            .json(&serde_json::json!({"text": "Bonjour !", "seen_items": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409, "[{label}]");
        assert_eq!(t.app.posts(&Actor::Operator, WS, 10).await.unwrap().len(), 1);
        let r = t
            .bearer(reqwest::Method::POST, &path, &token(tutti_domain::Role::Analyst))
            .json(&serde_json::json!({"text": "Non"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = t
            .bearer(
                reqwest::Method::GET,
                &format!("/api/v1/workspaces/{WS}/inbox"),
                &token(tutti_domain::Role::Contributor),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = t
            .bearer(reqwest::Method::POST, &format!("/api/v1/workspaces/{WS}/inbox/{c}/status"), &cm)
            .json(&serde_json::json!({"status": "closed"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
}

#[tokio::test]
async fn a_reply_is_hidden_from_the_conversation_and_the_cm_comes_back_to_it() {
    let t = spawn(tutti_test_support::sqlite()).await;
    seed(&t.app).await;
    let (ws, ch) = brand_channel(&t).await;
    let c = ingest(&t, ws, ch, &[reply("1", "r1", "troll", "Troll", "Vous êtes des idiots")]).await[0];
    let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
    let pane = t.get(&mut cm, &format!("/w/{WS}/inbox/{c}")).await.text().await.unwrap();
    assert!(pane.contains("Hide this reply") && pane.contains("Block the author"));
    let item = t.app.conversation(&Actor::Operator, WS, c).await.unwrap().1[0].id;
    let r = t
        .post_form(
            &mut cm,
            &format!("/w/{WS}/moderation/items/{item}"),
            &[("action", "hide"), ("back", "inbox")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("/w/{WS}/inbox/{c}").as_str(), "back to the conversation");
    let actions = t.app.conversation_actions(&Actor::Operator, WS, c).await.unwrap();
    assert!(actions.iter().any(|a| a.action == "hide" && a.status == "pending"), "{actions:?}");
    let mut analyst = t.sign_in("analyst@acme.test", PASSWORD).await;
    let pane = t.get(&mut analyst, &format!("/w/{WS}/inbox/{c}")).await.text().await.unwrap();
    assert!(!pane.contains("Hide this reply"), "analysts read only");
}

#[tokio::test]
async fn the_community_manager_confirms_a_feedback_category_from_the_conversation() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let (ws, ch) = brand_channel(&t).await;
        let c = ingest(
            &t,
            ws,
            ch,
            &[reply("1", "f1", "bea", "Béa", "Ma commande n'est jamais arrivée, c'est nul")],
        )
        .await[0];
        let item = t.app.conversation(&Actor::Operator, WS, c).await.unwrap().1[0].id;
        let today = chrono::Utc::now().date_naive();
        let (from, to) =
            ((today - chrono::Days::new(2)).to_string(), (today + chrono::Days::new(1)).to_string());

        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let pane = t.get(&mut cm, &format!("/w/{WS}/inbox/{c}")).await.text().await.unwrap();
        let form = format!("action=\"/w/{WS}/inbox/items/{item}/category\"");
        assert!(pane.contains(&form), "[{label}] the category can be confirmed from the pane");
        assert!(
            pane.contains("name=\"category\" value=\"complaint\" aria-pressed=\"true\""),
            "[{label}] suggested: a complaint"
        );
        assert!(pane.contains("Complaint · Suggested"), "[{label}] shown as a chip");
        assert!(!pane.contains("<select id=\"category-"), "[{label}] no full select on every message");

        let r = t
            .post_form(&mut cm, &format!("/w/{WS}/inbox/items/{item}/category"), &[("category", "bug")])
            .await;
        assert!(r.status().is_success() || r.status().is_redirection(), "[{label}] {}", r.status());
        let pane = t.get(&mut cm, &format!("/w/{WS}/inbox/{c}")).await.text().await.unwrap();
        assert!(
            pane.contains("name=\"category\" value=\"bug\" aria-pressed=\"true\"")
                && pane.contains("Bug · Confirmed"),
            "[{label}]"
        );
        let confirmed =
            t.app.feedback(&Actor::Operator, WS, &from, &to, Some("bug"), Some(true)).await.unwrap();
        assert_eq!(confirmed.len(), 1, "[{label}] the product team sees it as a confirmed bug");

        // A category that does not exist is refused and changes nothing.
        let r = t
            .post_form(&mut cm, &format!("/w/{WS}/inbox/items/{item}/category"), &[("category", "<b>")])
            .await;
        assert_eq!(r.status(), 422, "[{label}]");
        let body = r.text().await.unwrap();
        let shown = body.split("<p class=\"field-error\" role=\"alert\">").nth(1).unwrap_or_default();
        assert!(
            shown.to_lowercase().contains("categor"),
            "[{label}] the error names the category: {shown:.200}"
        );
        assert_eq!(
            t.app.feedback(&Actor::Operator, WS, &from, &to, Some("bug"), Some(true)).await.unwrap().len(),
            1
        );

        // Analysts read the conversation but do not classify.
        let mut analyst = t.sign_in("analyst@acme.test", PASSWORD).await;
        let pane = t.get(&mut analyst, &format!("/w/{WS}/inbox/{c}")).await.text().await.unwrap();
        assert!(!pane.contains(&form), "[{label}]");
        let r = t
            .post_form(
                &mut analyst,
                &format!("/w/{WS}/inbox/items/{item}/category"),
                &[("category", "praise")],
            )
            .await;
        assert_eq!(r.status(), 403, "[{label}]");
    }
}

/// The trial's scenario through the pages: two customers and a troll under one post of the
/// brand are three conversations; the customer's shows the brand's post above it, and its
/// reply box answers the customer's latest message by default, or the one chosen, never the
/// troll's. The inbox's settings have a page of their own, for the SMM.
#[tokio::test]
async fn each_person_is_a_conversation_and_the_reply_box_names_the_message_it_answers() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let (ws, ch) = brand_channel(&t).await;
        // The brand's post, published through Tutti.
        let brand = "at://did:plc:maison/app.bsky.feed.post/lampe";
        let p = tutti_app::publishing::PostToWrite {
            channel: "maison.test".into(),
            text: "Notre nouvelle lampe Aube est arrivée !".into(),
            ..Default::default()
        };
        let post = t.app.create_post(&Actor::Operator, WS, &p, tutti_store::now_ms()).await.unwrap();
        sqlx::query("UPDATE posts SET status = 'published', remote_id = $1, remote_url = $2 WHERE id = $3")
            .bind(brand)
            .bind("https://bsky.app/profile/maison.test/post/lampe")
            .bind(post.id)
            .execute(&mut *t.app.store().conn().await.unwrap())
            .await
            .unwrap();
        let at = |mut n: tutti_app::ingest::Incoming, k: i64| {
            n.parent = Some(brand.into());
            n.root = Some(brand.into());
            n.at = tutti_store::now_ms() - 60_000 + k * 1_000;
            n
        };
        ingest(
            &t,
            ws,
            ch,
            &[
                at(reply("lampe", "a1", "alice", "Alice Martin", "Ma lampe est arrivée cassée"), 1),
                at(reply("lampe", "b1", "bruno", "Bruno", "Toujours pas reçu ma commande"), 2),
                at(reply("lampe", "a2", "alice", "Alice Martin", "Et le service client ne répond pas"), 3),
                at(reply("lampe", "t1", "troll", "Troll", "Marque de nuls, boycott"), 4),
            ],
        )
        .await;
        let all = t.app.inbox(&Actor::Operator, WS, &Default::default(), None, 50).await.unwrap();
        assert_eq!(all.len(), 3, "[{label}] {all:#?}");
        let of = |who: &str| all.iter().find(|c| c.author_id == format!("did:plc:{who}")).unwrap().id;
        let (alice, troll) = (of("alice"), of("troll"));
        let items = t.app.conversation(&Actor::Operator, WS, alice).await.unwrap().1;
        let (a1, a2) = (items[0].id, items[1].id);
        let troll_item = t.app.conversation(&Actor::Operator, WS, troll).await.unwrap().1[0].id;

        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let list = t.get(&mut cm, &format!("/w/{WS}/inbox")).await.text().await.unwrap();
        assert_eq!(list.matches("data-row-link").count(), 3, "[{label}] three rows");
        assert!(list.contains("mood-mark") && list.contains("Negative"), "[{label}] sentiment in words too");
        assert!(!list.contains("id=\"sla\""), "[{label}] the settings are not in the list");
        assert!(!list.contains("/inbox-settings"), "[{label}] nor linked for a CM");
        let pane = t.get(&mut cm, &format!("/w/{WS}/inbox/{alice}")).await.text().await.unwrap();
        assert!(
            pane.contains("Notre nouvelle lampe Aube est arrivée !")
                && pane.contains("The post of @maison.test they answer"),
            "[{label}] the brand's post above the conversation"
        );
        assert!(pane.contains("id=\"reply-to\""), "[{label}] the reply box names the message");
        assert!(
            pane.contains(&format!("<option value=\"{a2}\" selected>")),
            "[{label}] by default her latest"
        );
        assert!(pane.contains(&format!("<option value=\"{a1}\">")), "[{label}] or her first");
        let conversation = pane.split("id=\"conversation\"").nth(1).unwrap_or_default();
        assert!(!conversation.contains("Marque de nuls"), "[{label}] the troll is not in her conversation");
        assert!(pane.contains(&format!("data-answer-item=\"{a1}\"")), "[{label}] each message can be chosen");

        // The apology answers her latest message by default.
        let r = t
            .post_form(
                &mut cm,
                &format!("/w/{WS}/inbox/{alice}/reply"),
                &[("text", "Toutes nos excuses, Alice !")],
            )
            .await;
        assert_eq!(r.status(), 303, "[{label}]");
        // Then the CM answers her first message.
        let r = t
            .post_form(
                &mut cm,
                &format!("/w/{WS}/inbox/{alice}/reply"),
                &[("text", "Pour la lampe : un échange part demain."), ("item", &a1.to_string())],
            )
            .await;
        assert_eq!(r.status(), 303, "[{label}]");
        let replies: std::collections::HashMap<String, Option<String>> = t
            .app
            .posts(&Actor::Operator, WS, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.text, p.reply_ref))
            .collect();
        assert_eq!(
            replies["Toutes nos excuses, Alice !"].as_deref(),
            Some("at://did:plc:alice/app.bsky.feed.post/a2"),
            "[{label}] under her latest message, not the troll's newer one"
        );
        assert_eq!(
            replies["Pour la lampe : un échange part demain."].as_deref(),
            Some("at://did:plc:alice/app.bsky.feed.post/a1"),
            "[{label}] under the message chosen"
        );
        // Someone else's message cannot be chosen.
        let r = t
            .post_form(
                &mut cm,
                &format!("/w/{WS}/inbox/{alice}/reply"),
                &[("text", "Non."), ("item", &troll_item.to_string())],
            )
            .await;
        assert_eq!(r.status(), 422, "[{label}]");
        assert!(r.text().await.unwrap().contains("Choose one of this conversation’s messages"), "[{label}]");
        let pane = t.get(&mut cm, &format!("/w/{WS}/inbox/{alice}")).await.text().await.unwrap();
        assert!(pane.contains("In answer to Alice Martin:"), "[{label}] each reply says what it answered");

        // The settings: their own page, for the SMM.
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let list = t.get(&mut smm, &format!("/w/{WS}/inbox")).await.text().await.unwrap();
        assert!(list.contains(&format!("href=\"/w/{WS}/inbox-settings\"")), "[{label}] linked for the SMM");
        let page = t.get(&mut smm, &format!("/w/{WS}/inbox-settings")).await;
        assert_eq!(page.status(), 200, "[{label}]");
        let page = page.text().await.unwrap();
        assert!(page.contains("id=\"sla\"") && page.contains("id=\"assign-mode\""), "[{label}]");
        let r = t.post_form(&mut smm, &format!("/w/{WS}/inbox-sla"), &[("sla", "90")]).await;
        assert_eq!(r.headers()["location"], format!("/w/{WS}/inbox-settings?saved=1"), "[{label}]");
        assert_eq!(t.app.inbox_sla(&Actor::Operator, WS).await.unwrap(), 90);
        assert_eq!(t.get(&mut cm, &format!("/w/{WS}/inbox-settings")).await.status(), 403, "[{label}]");
    }
}
