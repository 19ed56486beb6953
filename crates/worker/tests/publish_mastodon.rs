//! The publisher with a Mastodon channel, against a local server that answers with responses
//! recorded from a real Mastodon server (Mastodon.py's test cassettes, MIT) and replays a
//! status for a repeated Idempotency-Key, as Mastodon does: a post is published once, and a
//! worker that died after sending leaves exactly one status.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tutti_app::publishing::PostToWrite;
use tutti_app::secrets::Keyring;
use tutti_app::store::publishing;
use tutti_app::{Actor, App, AppConfig};
use tutti_worker::publisher::{Outcome, Publisher, LEASE_MS};

const RECORDED: &str = include_str!("../../mastodon/tests/data/publishing.json");

#[derive(Default)]
struct Instance {
    statuses: HashMap<String, serde_json::Value>,
    requests: usize,
}

async fn fake_instance() -> (String, Arc<Mutex<Instance>>) {
    let recorded: serde_json::Value = serde_json::from_str(RECORDED).unwrap();
    let instance = recorded["instance"]["response"]["body"].clone();
    let created = recorded["status_created"]["response"]["body"].clone();
    let state: Arc<Mutex<Instance>> = Arc::default();
    let seen = state.clone();
    let app = axum::Router::new()
        .route("/api/v2/instance", axum::routing::get(move || async move { axum::Json(instance) }))
        // As documented: the account for a known acct, 404 "Record not found" otherwise.
        .route(
            "/api/v1/accounts/lookup",
            axum::routing::get(|q: axum::extract::Query<HashMap<String, String>>| async move {
                use axum::response::IntoResponse;
                match q.get("acct").map(String::as_str) {
                    Some("mastodonpy_test") => {
                        axum::Json(serde_json::json!({"id": "1", "username": "mastodonpy_test", "acct": "mastodonpy_test"}))
                            .into_response()
                    }
                    _ => (axum::http::StatusCode::NOT_FOUND, axum::Json(serde_json::json!({"error": "Record not found"})))
                        .into_response(),
                }
            }),
        )
        .route(
            "/api/v1/statuses",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let (seen, mut created) = (seen.clone(), created.clone());
                async move {
                    let key = headers
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let sent: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                    if sent["status"].as_str().unwrap_or_default().contains("REFUSE") {
                        // As Mastodon answers a status it will not take.
                        let e = serde_json::json!({"error": "Validation failed: Text contains a word this server refuses"});
                        return (axum::http::StatusCode::UNPROCESSABLE_ENTITY, axum::Json(e));
                    }
                    let mut s = seen.lock().unwrap();
                    s.requests += 1;
                    let n = s.statuses.len();
                    let status = s.statuses.entry(key).or_insert_with(|| {
                        let id = format!("11744690838304{n:04}");
                        created["id"] = id.clone().into();
                        created["content"] =
                            format!("<p>{}</p>", sent["status"].as_str().unwrap_or_default()).into();
                        created["url"] = format!("http://localhost:3000/@mastodonpy_test/{id}").into();
                        created
                    });
                    (axum::http::StatusCode::OK, axum::Json(status.clone()))
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

#[tokio::test]
async fn a_mastodon_post_is_published_once_even_when_a_worker_dies_after_sending() {
    for db in tutti_test_support::every_backend().await {
        let (url, state) = fake_instance().await;
        let app = App::new(
            db.open().await,
            AppConfig { outbound: tutti_test_support::allowing(&[&url]), ..tutti_test_support::app_config() },
        );
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        let keys = Keyring::generate();
        let channel = tutti_test_support::mastodon_channel(&url, "token");
        app.add_channel(&op, &keys, &ws.slug, &channel).await.unwrap();
        let write = |text: &str| PostToWrite {
            channel: "@maison@localhost".into(),
            text: text.into(),
            langs: vec!["fr".into()],
            ..Default::default()
        };
        let now = tutti_app::store::now_ms();
        let first = app.create_post(&op, &ws.slug, &write("Bonjour Mastodon"), now).await.unwrap();
        let publisher = Publisher::new(
            app.store().clone(),
            "w".into(),
            keys.clone(),
            &tutti_test_support::allowing(&[&url]),
        );
        assert_eq!(
            publisher.run_once(tutti_app::store::now_ms()).await.unwrap(),
            vec![(first.id, Outcome::Published)],
            "[{}]",
            db.label()
        );
        let stored = publishing::post_by_id(&mut app.store().conn().await.unwrap(), first.id).await.unwrap();
        assert!(stored.remote_url.unwrap().starts_with("http://localhost:3000/@mastodonpy_test/"));

        // A worker claims the second post, sends it, and dies before writing down the result.
        let second = app.create_post(&op, &ws.slug, &write("Une seule fois"), now).await.unwrap();
        let store = app.store().clone();
        let mut tx = store.begin().await.unwrap();
        let now = tutti_app::store::now_ms();
        assert_eq!(
            publishing::claim_due(&mut tx, store.backend(), "dead", now, LEASE_MS, 10).await.unwrap().len(),
            1
        );
        tx.commit().await.unwrap();
        let client =
            tutti_mastodon::MastodonClient::new(&url, "token", &tutti_test_support::allowing(&[&url]))
                .unwrap();
        client
            .publish(&tutti_mastodon::NewStatus::new("Une seule fois"), &second.idempotency_key)
            .await
            .unwrap();
        assert_eq!(
            publisher.run_once(now + LEASE_MS + 1).await.unwrap(),
            vec![(second.id, Outcome::Published)]
        );
        let s = state.lock().unwrap();
        assert_eq!(s.statuses.len(), 2, "[{}] one status per post on the instance", db.label());
        assert_eq!(s.requests, 3, "the retry went out with the same Idempotency-Key");
    }
}

#[tokio::test]
async fn a_mention_of_an_unknown_account_of_the_instance_is_refused_when_written() {
    for db in tutti_test_support::every_backend().await {
        let (url, state) = fake_instance().await;
        let app = App::new(
            db.open().await,
            AppConfig { outbound: tutti_test_support::allowing(&[&url]), ..tutti_test_support::app_config() },
        );
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        let channel = tutti_test_support::mastodon_channel(&url, "token");
        app.add_channel(&op, &Keyring::generate(), &ws.slug, &channel).await.unwrap();
        let write = |text: &str| PostToWrite {
            channel: "@maison@localhost".into(),
            text: text.into(),
            ..Default::default()
        };
        let now = tutti_app::store::now_ms();
        let e = app
            .create_post(&op, &ws.slug, &write("Merci @mastodonpy_test et @fantome !"), now)
            .await
            .unwrap_err();
        let tutti_app::AppError::Invalid(e) = e else { panic!("{e:?}") };
        assert_eq!((e.field, e.code), ("text", "mention_unknown"), "[{}]", db.label());
        assert!(e.message.starts_with("@fantome (character 27)"), "{}", e.message);
        app.create_post(
            &op,
            &ws.slug,
            &write("Merci @mastodonpy_test et @quelqu_un@ailleurs.example !"),
            now,
        )
        .await
        .expect("a known local account, and a remote one left to federation");
        assert_eq!(state.lock().unwrap().requests, 0, "nothing was published");
    }
}

#[tokio::test]
async fn a_reply_the_network_refuses_stays_in_the_conversation_with_its_words() {
    for db in tutti_test_support::every_backend().await {
        let (url, _) = fake_instance().await;
        let app = App::new(
            db.open().await,
            AppConfig { outbound: tutti_test_support::allowing(&[&url]), ..tutti_test_support::app_config() },
        );
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        let keys = Keyring::generate();
        let channel = tutti_test_support::mastodon_channel(&url, "token");
        let c = app.add_channel(&op, &keys, &ws.slug, &channel).await.unwrap();
        let n = tutti_app::ingest::Incoming {
            remote_id: "42".into(),
            kind: tutti_domain::ItemKind::Mention,
            author_id: "7".into(),
            author_handle: "alice@social.example".into(),
            text: "@maison ma commande ?".into(),
            post: Some(("117446908383040000".into(), None)),
            at: tutti_app::store::now_ms(),
            ..Default::default()
        };
        let mut tx = app.store().begin().await.unwrap();
        let moved = tutti_app::ingest::ingest_batch(
            &mut tx,
            tutti_test_support::networks(),
            &[tutti_app::ingest::item_of(ws.id, c.id, tutti_domain::Network::Mastodon, &n)],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let r = tutti_app::inbox::ReplyToWrite { text: "REFUSE ceci".into(), ..Default::default() };
        let post = app.reply(&op, &ws.slug, moved[0], &r).await.unwrap();
        let publisher = Publisher::new(
            app.store().clone(),
            "w".into(),
            keys.clone(),
            &tutti_test_support::allowing(&[&url]),
        );
        let done = publisher.run_once(tutti_app::store::now_ms()).await.unwrap();
        assert!(
            matches!(&done[..], [(id, Outcome::Failed(m))] if *id == post.id && m.contains("refuses")),
            "[{}] {done:?}",
            db.label()
        );
        let (conversation, items, posts) = app.conversation(&op, &ws.slug, moved[0]).await.unwrap();
        assert!(conversation.unanswered && conversation.status == "open", "waiting for an answer again");
        assert_eq!(items.last().unwrap().text, "REFUSE ceci", "the reply is kept, not lost");
        assert_eq!(posts[0].status, "failed");
        assert!(posts[0].error.as_deref().unwrap().contains("Text contains a word this server refuses"));
    }
}
