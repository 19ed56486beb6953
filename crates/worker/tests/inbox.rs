//! The inbox against the full local reference Bluesky network (PDS, PLC, AppView), on every
//! backend: the brand posts through Tutti; another account replies with a complaint, mentions
//! the brand, likes the post and follows the account; within 5 s each is in the inbox with
//! its type, its person and its sentiment; a reply written in the inbox lands on the network
//! as a child of the customer's post; a crisis-tagged reply waits for the SMM.

use std::time::{Duration, Instant};

use serde_json::json;
use tutti_app::inbox::ReplyToWrite;
use tutti_app::publishing::{ChannelToAdd, PostToWrite};
use tutti_app::secrets::Keyring;
use tutti_app::store::inbox::Filter;
use tutti_app::{Actor, App};
use tutti_test_support::devnet::Devnet;
use tutti_worker::connectors::Connectors;
use tutti_worker::inbox::InboxPoller;
use tutti_worker::publisher::{Outcome, Publisher};

const PASSWORD: &str = "correct-horse-battery";

/// The CID of a record, read from the PDS that holds it.
/// A record as the PDS that holds it answers `getRecord`: `uri`, `cid`, `value`.
async fn get_record(net: &Devnet, uri: &str) -> serde_json::Value {
    let parts: Vec<&str> = uri.trim_start_matches("at://").split('/').collect();
    let url = format!(
        "{}/xrpc/com.atproto.repo.getRecord?repo={}&collection={}&rkey={}",
        net.pds_url, parts[0], parts[1], parts[2]
    );
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// The CID of a record.
async fn record_cid(net: &Devnet, uri: &str) -> String {
    get_record(net, uri).await["cid"].as_str().expect("a CID").to_owned()
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_community_reaches_the_inbox_within_seconds_and_a_reply_lands_as_a_child() {
    let Some(net) = Devnet::start("inbox", true).await else { return };
    for (n, db) in tutti_test_support::every_backend().await.into_iter().enumerate() {
        let label = db.label();
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        for (email, role) in [("smm@ml.test", "smm"), ("cm@ml.test", "cm")] {
            app.add_user(&op, email, email, PASSWORD, false).await.unwrap();
            app.add_member(&op, &ws.slug, email, role).await.unwrap();
        }
        let brand = format!("maison{n}.test");
        let (brand_did, _) = net.create_account(&brand, PASSWORD).await;
        let keys = Keyring::generate();
        let channel = ChannelToAdd {
            network: "bluesky".into(),
            handle: brand.clone(),
            service: net.pds_url.clone(),
            account_id: Some(brand_did.clone()),
            secret: PASSWORD.into(),
            ambassador: None,
        };
        app.add_channel(&op, &keys, &ws.slug, &channel).await.unwrap();
        let connectors = Connectors::new(keys.clone(), net.outbound());
        let publisher = Publisher::with_connectors(app.store().clone(), "w".into(), connectors.clone());
        let poller = InboxPoller::new(app.store().clone(), "w".into(), connectors.clone());

        // The brand posts through Tutti.
        let p = PostToWrite {
            channel: brand.clone(),
            text: "Notre nouvelle lampe est arrivée !".into(),
            ..Default::default()
        };
        let post = app.create_post(&op, &ws.slug, &p, tutti_app::store::now_ms()).await.unwrap();
        assert_eq!(
            publisher.run_once(tutti_app::store::now_ms()).await.unwrap(),
            vec![(post.id, Outcome::Published)]
        );
        let post = tutti_app::store::publishing::post_by_id(&mut app.store().conn().await.unwrap(), post.id)
            .await
            .unwrap();
        let brand_uri = post.remote_id.clone().unwrap();
        let brand_cid = record_cid(&net, &brand_uri).await;
        // The customer sees the brand's post (the AppView has it) before answering it.
        net.wait_indexed(&brand_uri).await;
        // The first read sets the cursor: what came before Tutti is not the inbox's.
        poller.poll_once().await.unwrap();

        // A customer: a complaint as a reply, a mention, a like, a follow.
        let customer = format!("client{n}.test");
        let (cust_did, jwt) = net.create_account(&customer, PASSWORD).await;
        let strong = json!({ "uri": brand_uri, "cid": brand_cid });
        let complaint =
            "Livraison ratée, la lampe est arrivée cassée. Service client nul, je suis très déçu.";
        let (reply_uri, _) = net
            .create_record(
                &jwt,
                &cust_did,
                "app.bsky.feed.post",
                json!({
                    "$type": "app.bsky.feed.post", "text": complaint, "createdAt": now_rfc3339(),
                    "reply": { "root": strong, "parent": strong }, "langs": ["fr"],
                }),
            )
            .await;
        let mention = format!("Quelqu'un connaît @{brand} ? Leurs lampes sont superbes");
        let start = mention.find('@').unwrap();
        net.create_record(&jwt, &cust_did, "app.bsky.feed.post", json!({
            "$type": "app.bsky.feed.post", "text": mention, "createdAt": now_rfc3339(),
            "facets": [{ "index": { "byteStart": start, "byteEnd": start + 1 + brand.len() },
                         "features": [{ "$type": "app.bsky.richtext.facet#mention", "did": brand_did }] }],
        }))
        .await;
        net.create_record(
            &jwt,
            &cust_did,
            "app.bsky.feed.like",
            json!({
                "$type": "app.bsky.feed.like", "subject": strong, "createdAt": now_rfc3339(),
            }),
        )
        .await;
        net.create_record(
            &jwt,
            &cust_did,
            "app.bsky.graph.follow",
            json!({
                "$type": "app.bsky.graph.follow", "subject": brand_did, "createdAt": now_rfc3339(),
            }),
        )
        .await;
        let acted = Instant::now();

        // The poller, as `tutti serve` runs it (every second), until all four are in.
        let cm = Actor::User(app.user_by_email("cm@ml.test").await.unwrap());
        let all = Filter::default();
        let mut kinds: Vec<String> = Vec::new();
        while acted.elapsed() < Duration::from_secs(15) {
            poller.poll_once().await.unwrap();
            let list = app.inbox(&cm, &ws.slug, &all, None, 50).await.unwrap();
            kinds = Vec::new();
            for c in &list {
                let (_, items, _) = app.conversation(&cm, &ws.slug, c.id).await.unwrap();
                kinds.extend(items.iter().map(|i| i.kind.to_string()));
            }
            kinds.sort();
            if kinds == ["follow", "like", "mention", "reply"] {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let took = acted.elapsed();
        eprintln!(
            "[{label}] reply, mention, like and follow in the inbox {} ms after the last one was made",
            took.as_millis()
        );
        assert_eq!(kinds, ["follow", "like", "mention", "reply"], "[{label}]");
        assert!(took < Duration::from_secs(5), "[{label}] within 5 s: {took:?}");

        let list = app.inbox(&cm, &ws.slug, &all, None, 50).await.unwrap();
        let thread = list
            .iter()
            .find(|c| c.root_ref == brand_uri && c.kind == "reply")
            .expect("the customer's thread under the brand's post");
        assert_eq!((thread.kind.as_str(), thread.sentiment.as_str()), ("reply", "neg"), "[{label}]");
        assert!(thread.unanswered && thread.status == "open");
        let (_, items, _) = app.conversation(&cm, &ws.slug, thread.id).await.unwrap();
        let complaint_item = items.iter().find(|i| i.kind == "reply").unwrap();
        assert_eq!(complaint_item.author_handle, customer);
        assert_eq!(complaint_item.author_id, cust_did);
        assert!(
            list.iter().any(|c| c.root_ref == brand_uri && c.kind == "like" && c.author_id.is_empty()),
            "[{label}] the like joins the likes of the post"
        );
        let people: std::collections::HashSet<_> = list.iter().filter_map(|c| c.person_id).collect();
        assert_eq!(people.len(), 1, "[{label}] one person behind the four");
        // Read again: stored once.
        poller.poll_once().await.unwrap();
        assert_eq!(app.inbox(&cm, &ws.slug, &all, None, 50).await.unwrap().len(), list.len());

        // The CM replies from the inbox; the publisher sends it as a child of the complaint.
        let r = ReplyToWrite {
            text: "Bonjour, toutes nos excuses ! Nous vous écrivons en privé.".into(),
            seen_items: Some(thread.items),
            ..Default::default()
        };
        let sent = app.reply(&cm, &ws.slug, thread.id, &r).await.unwrap();
        assert_eq!(sent.status, "scheduled");
        assert_eq!(
            publisher.run_once(tutti_app::store::now_ms()).await.unwrap(),
            vec![(sent.id, Outcome::Published)]
        );
        let sent = tutti_app::store::publishing::post_by_id(&mut app.store().conn().await.unwrap(), sent.id)
            .await
            .unwrap();
        let record = get_record(&net, sent.remote_id.as_deref().unwrap()).await;
        let reply = &record["value"]["reply"];
        assert_eq!(reply["parent"]["uri"], reply_uri.as_str(), "[{label}] a child of the customer's post");
        assert_eq!(reply["root"]["uri"], brand_uri.as_str(), "[{label}] in the brand's thread");
        let (after, ..) = app.conversation(&cm, &ws.slug, thread.id).await.unwrap();
        assert!(!after.unanswered && after.status == "pending");

        // Conversations are per person: a second customer and a troll answer the same post (the
        // troll last), and the customer answers the brand's reply. Three conversations; the
        // customer's goes on; the CM's answer lands under the customer's message, not the troll's.
        let sent_uri = sent.remote_id.clone().unwrap();
        // The customer sees the brand's reply (the AppView has it) before answering it.
        net.wait_indexed(&sent_uri).await;
        let sent_strong = json!({ "uri": sent_uri, "cid": record_cid(&net, &sent_uri).await });
        let (second_did, second_jwt) = net.create_account(&format!("second{n}.test"), PASSWORD).await;
        let (troll_did, troll_jwt) = net.create_account(&format!("troll{n}.test"), PASSWORD).await;
        let under = |text: &str, parent: &serde_json::Value| {
            json!({
                "$type": "app.bsky.feed.post", "text": text, "createdAt": now_rfc3339(),
                "reply": { "root": strong, "parent": parent },
            })
        };
        net.create_record(
            &second_jwt,
            &second_did,
            "app.bsky.feed.post",
            under("Toujours pas reçu ma commande.", &strong),
        )
        .await;
        net.create_record(
            &troll_jwt,
            &troll_did,
            "app.bsky.feed.post",
            under("Des nuls, boycott !", &strong),
        )
        .await;
        let (again_uri, _) = net
            .create_record(
                &jwt,
                &cust_did,
                "app.bsky.feed.post",
                under("Merci, mais quand arrive la nouvelle lampe ?", &sent_strong),
            )
            .await;
        // The troll's second message is the newest of all.
        net.create_record(&troll_jwt, &troll_did, "app.bsky.feed.post", under("Encore des nuls !", &strong))
            .await;
        let replying = Instant::now();
        let mut threads = Vec::new();
        while replying.elapsed() < Duration::from_secs(15) {
            poller.poll_once().await.unwrap();
            threads = app
                .inbox(&cm, &ws.slug, &all, None, 50)
                .await
                .unwrap()
                .into_iter()
                .filter(|c| c.root_ref == brand_uri && c.kind == "reply")
                .collect::<Vec<_>>();
            let mine = app.conversation(&cm, &ws.slug, thread.id).await.unwrap();
            let trolled = threads.iter().any(|c| c.author_id == troll_did && c.items == 2);
            if threads.len() == 3 && mine.0.unanswered && trolled {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(threads.len(), 3, "[{label}] the customer, the second customer, the troll: {threads:#?}");
        assert!(threads.iter().any(|c| c.author_id == troll_did && c.items == 2), "[{label}] {threads:#?}");
        let (mine, items, _) = app.conversation(&cm, &ws.slug, thread.id).await.unwrap();
        assert!(
            mine.unanswered,
            "[{label}] the customer's answer to the brand's reply is in their conversation"
        );
        assert!(items.iter().all(|i| i.kind == "sent" || i.author_id == cust_did), "[{label}] theirs alone");
        let r = ReplyToWrite { text: "Elle part demain, toutes nos excuses.".into(), ..Default::default() };
        let apology = app.reply(&cm, &ws.slug, thread.id, &r).await.unwrap();
        // The CM also answers the first complaint, chosen.
        let complaint_id =
            items.iter().find(|i| i.post_ref.as_deref() == Some(reply_uri.as_str())).unwrap().id;
        let r = ReplyToWrite {
            text: "Pour la lampe cassée : un échange est en route.".into(),
            item_id: Some(complaint_id),
            ..Default::default()
        };
        let chosen = app.reply(&cm, &ws.slug, thread.id, &r).await.unwrap();
        let published = publisher.run_once(tutti_app::store::now_ms()).await.unwrap();
        assert_eq!(published.len(), 2, "[{label}] {published:?}");
        for (post, parent) in [(apology.id, again_uri.as_str()), (chosen.id, reply_uri.as_str())] {
            let post = tutti_app::store::publishing::post_by_id(&mut app.store().conn().await.unwrap(), post)
                .await
                .unwrap();
            let record = get_record(&net, post.remote_id.as_deref().unwrap()).await;
            assert_eq!(
                record["value"]["reply"]["parent"]["uri"], parent,
                "[{label}] on the PDS, {:?} answers the customer's message it was aimed at",
                post.text
            );
            assert_eq!(record["value"]["reply"]["root"]["uri"], brand_uri.as_str(), "[{label}]");
        }

        // A crisis-tagged conversation: the CM's reply waits for the SMM, then goes out.
        let mention_c = list.iter().find(|c| c.kind == "mention").unwrap();
        app.tag_conversation(&cm, &ws.slug, mention_c.id, "crisis").await.unwrap();
        let r = ReplyToWrite { text: "Merci ! Nous revenons vers vous.".into(), ..Default::default() };
        let held = app.reply(&cm, &ws.slug, mention_c.id, &r).await.unwrap();
        assert_eq!(held.status, "in_review", "[{label}]");
        assert!(publisher.run_once(tutti_app::store::now_ms()).await.unwrap().is_empty(), "[{label}] held");
        let smm = Actor::User(app.user_by_email("smm@ml.test").await.unwrap());
        app.approve_post(&smm, &ws.slug, held.id).await.unwrap();
        assert_eq!(
            publisher.run_once(tutti_app::store::now_ms()).await.unwrap(),
            vec![(held.id, Outcome::Published)]
        );
    }
}
