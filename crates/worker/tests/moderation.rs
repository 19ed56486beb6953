//! Moderation against the full local reference Bluesky network (PDS, PLC, AppView), on every
//! backend: a customer answers the brand's post with an insult; the poller stores it, the rule
//! fires, and the worker hides the reply on the network (the brand post's threadgate lists it
//! in `hiddenReplies`); undo shows it again.

use std::time::{Duration, Instant};

use serde_json::json;
use tutti_app::moderation::RuleToWrite;
use tutti_app::publishing::{ChannelToAdd, PostToWrite};
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App};
use tutti_test_support::devnet::Devnet;
use tutti_worker::connectors::Connectors;
use tutti_worker::inbox::InboxPoller;
use tutti_worker::publisher::{Outcome, Publisher};

const PASSWORD: &str = "correct-horse-battery";

async fn get_record(net: &Devnet, repo: &str, collection: &str, rkey: &str) -> serde_json::Value {
    let url = format!(
        "{}/xrpc/com.atproto.repo.getRecord?repo={repo}&collection={collection}&rkey={rkey}",
        net.pds_url
    );
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// The replies the threadgate of `post` hides.
async fn hidden(net: &Devnet, post: &str) -> Vec<String> {
    let parts: Vec<&str> = post.trim_start_matches("at://").split('/').collect();
    let gate = get_record(net, parts[0], "app.bsky.feed.threadgate", parts[2]).await;
    gate["value"]["hiddenReplies"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Runs the `inbox.action` jobs waiting, as the worker does.
async fn run_actions(app: &App, connectors: &Connectors) {
    let payloads: Vec<String> = sqlx::query_scalar(
        "SELECT payload FROM jobs WHERE queue = 'inbox.action' AND done_at IS NULL ORDER BY id",
    )
    .fetch_all(&mut *app.store().conn().await.unwrap())
    .await
    .unwrap_or_default();
    for p in payloads {
        tutti_worker::inbox::act(app.store(), connectors, &p).await.unwrap();
    }
    sqlx::query("UPDATE jobs SET done_at = 1 WHERE queue = 'inbox.action'")
        .execute(&mut *app.store().conn().await.unwrap())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toxic_reply_is_hidden_on_the_network_and_shown_again_on_undo() {
    let Some(net) = Devnet::start("moderation", true).await else { return };
    for (n, db) in tutti_test_support::every_backend().await.into_iter().enumerate() {
        let label = db.label();
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        app.add_user(&op, "cm@ml.test", "cm@ml.test", PASSWORD, false).await.unwrap();
        app.add_member(&op, &ws.slug, "cm@ml.test", "cm").await.unwrap();
        let cm = Actor::User(app.user_by_email("cm@ml.test").await.unwrap());
        let brand = format!("modbrand{n}.test");
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
        app.add_moderation_rule(
            &cm,
            &ws.slug,
            &RuleToWrite {
                name: "Insultes".into(),
                enabled: true,
                toxicity: "0.5".into(),
                actions: "hide,tag:troll".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();

        let p = PostToWrite {
            channel: brand.clone(),
            text: "Notre nouvelle lampe !".into(),
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
        let parts: Vec<&str> = brand_uri.trim_start_matches("at://").split('/').collect();
        let brand_cid =
            get_record(&net, parts[0], parts[1], parts[2]).await["cid"].as_str().unwrap().to_owned();
        net.wait_indexed(&brand_uri).await;
        poller.poll_once().await.unwrap();

        let customer = format!("modtroll{n}.test");
        let (cust_did, jwt) = net.create_account(&customer, PASSWORD).await;
        let strong = json!({ "uri": brand_uri, "cid": brand_cid });
        let (reply_uri, _) = net
            .create_record(
                &jwt,
                &cust_did,
                "app.bsky.feed.post",
                json!({
                    "$type": "app.bsky.feed.post",
                    "text": "Espèce d'idiot, ta lampe est une merde, connard",
                    "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    "reply": { "root": strong, "parent": strong }, "langs": ["fr"],
                }),
            )
            .await;

        // The poller stores it; the rule fires.
        let start = Instant::now();
        let mut log = Vec::new();
        while start.elapsed() < Duration::from_secs(15) {
            poller.poll_once().await.unwrap();
            log = app.moderation_log(&cm, &ws.slug, 10).await.unwrap();
            if log.iter().any(|e| e.action == "hide") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let hide =
            log.iter().find(|e| e.action == "hide").unwrap_or_else(|| panic!("[{label}] the rule fired"));
        assert_eq!(hide.post_ref.as_deref(), Some(reply_uri.as_str()));
        assert!(log.iter().any(|e| e.action == "tag:troll"), "[{label}]");

        // The worker hides it on the network.
        run_actions(&app, &connectors).await;
        let log = app.moderation_log(&cm, &ws.slug, 10).await.unwrap();
        let hide = log.iter().find(|e| e.action == "hide").unwrap();
        assert_eq!(hide.status, "done", "[{label}] {hide:?}");
        assert_eq!(
            hidden(&net, &brand_uri).await,
            vec![reply_uri.clone()],
            "[{label}] hidden on the network"
        );

        // Undo shows it again.
        assert_eq!(app.undo_moderation(&cm, &ws.slug, hide.id).await.unwrap().status, "undoing");
        run_actions(&app, &connectors).await;
        let log = app.moderation_log(&cm, &ws.slug, 10).await.unwrap();
        assert_eq!(log.iter().find(|e| e.action == "hide").unwrap().status, "undone", "[{label}]");
        assert!(hidden(&net, &brand_uri).await.is_empty(), "[{label}] shown again");
    }
}
