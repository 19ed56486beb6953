//! Source leases: with several processes configured with the same source, one follows it at
//! a time, a dead holder's lease passes on when it runs out, and a replayed Jetstream file
//! stores each mention once however often it is replayed.

use futures_util::StreamExt;
use tutti_store::listening;
use tutti_store::now_ms;

#[tokio::test]
async fn one_process_holds_a_source_and_an_expired_lease_passes_on() {
    for db in tutti_test_support::every_backend().await {
        let store = db.open().await;
        let lease = |owner: &'static str, now: i64| {
            let store = store.clone();
            async move {
                let mut tx = store.begin().await.unwrap();
                let held = listening::lease_source(
                    &mut tx,
                    "jetstream",
                    "wss://j.example",
                    owner,
                    now,
                    now + 30_000,
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                held
            }
        };
        let t = now_ms();
        assert!(lease("a", t).await, "[{}] a free source is taken", db.label());
        assert!(!lease("b", t + 1_000).await, "a held source is refused to another process");
        assert!(lease("a", t + 10_000).await, "the holder renews");
        assert!(!lease("b", t + 39_000).await, "the renewed lease still runs");
        assert!(lease("b", t + 40_001).await, "an expired lease passes on");
        assert!(!lease("a", t + 41_000).await, "the old holder has lost it");
        let mut tx = store.begin().await.unwrap();
        listening::release_source(&mut tx, "jetstream", "wss://j.example", "b").await.unwrap();
        tx.commit().await.unwrap();
        assert!(lease("a", t + 42_000).await, "a released source is free at once");
    }
}

#[tokio::test]
async fn replaying_a_jetstream_file_twice_stores_each_mention_once() {
    for db in tutti_test_support::every_backend().await {
        let store = db.open().await;
        let app = tutti_app::App::new(store.clone(), tutti_test_support::app_config());
        let op = tutti_app::Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        app.add_query(&op, &ws.slug, "Marque", "\"maison lumière\" OR #luminaire", "brand").await.unwrap();
        let listener = tutti_worker::listener::Listener::load(store.clone()).await.unwrap();
        let file = include_str!("../../bluesky/tests/data/jetstream.jsonl");
        let hostile = "{\"did\": 1}\nnot json at all\n";
        let first = listener.replay(format!("{file}{hostile}").as_bytes(), "test").await.unwrap();
        assert!(first.mentions > 0 && first.malformed == 2, "{first:?}");
        let second = listener.replay(file.as_bytes(), "test").await.unwrap();
        assert_eq!(second.mentions, 0, "[{}] a replay stores nothing twice", db.label());
        assert_eq!(first.events, second.events + 2);
    }
}

// A Mastodon timeline, served by a local server replaying an event recorded from a real
// Mastodon server, ends up as a mention with its author and source.
#[tokio::test]
async fn a_mastodon_timeline_is_matched_and_stored() {
    let db = tutti_test_support::sqlite();
    let store = db.open().await;
    let app = tutti_app::App::new(store.clone(), tutti_test_support::app_config());
    let op = tutti_app::Actor::Operator;
    let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
    app.add_query(&op, &ws.slug, "Test", "\"stream test\"", "brand").await.unwrap();
    let sse = include_str!("../../mastodon/tests/data/public_local.sse");
    let server = axum::Router::new()
        .route(
            "/api/v1/streaming/public/local",
            axum::routing::get(move || async move {
                // The recorded events, then an open stream until the client leaves.
                let body = futures_stream(sse);
                ([("content-type", "text/event-stream")], axum::body::Body::from_stream(body))
            }),
        )
        .route(
            "/api/v1/timelines/public",
            axum::routing::get(|| async { axum::Json(serde_json::json!([])) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, server).await.unwrap() });

    let l = std::sync::Arc::new(tutti_worker::listener::Listener::load(store.clone()).await.unwrap());
    let streaming = tutti_worker::sources::mastodon_stream(
        &format!("{base}#local"),
        None,
        &tutti_outbound::Outbound::strict(),
    )
    .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn({
        let l = l.clone();
        async move { l.run_mastodon(streaming, stopped).await }
    });
    let start = std::time::Instant::now();
    let found = loop {
        let q = listening::active_queries(&mut store.conn().await.unwrap()).await.unwrap()[0].id;
        let m = listening::mentions_of(&mut store.conn().await.unwrap(), q, &Default::default(), 10)
            .await
            .unwrap();
        if m.len() >= 2 || start.elapsed() > std::time::Duration::from_secs(15) {
            break m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    stop.send(true).unwrap();
    task.await.unwrap().unwrap();
    // The two recorded statuses say "SSE text-only stream test" and "SSE media-only stream test".
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|m| m.source == "mastodon" && m.text.contains("stream test")));
    assert!(found.iter().all(|m| m.author.as_deref().unwrap_or_default().starts_with("mastodonpy_test@")));
}

fn futures_stream(
    sse: &'static str,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::convert::Infallible>> {
    futures_util::stream::iter([Ok(axum::body::Bytes::from_static(sse.as_bytes()))])
        .chain(futures_util::stream::pending())
}

#[tokio::test]
async fn housekeeping_deletes_mentions_past_their_workspaces_retention() {
    for db in tutti_test_support::every_backend().await {
        let store = db.open().await;
        let app = tutti_app::App::new(store.clone(), tutti_test_support::app_config());
        let op = tutti_app::Actor::Operator;
        let mut queries = Vec::new();
        for (name, days) in [("Court", "7"), ("Long", "365")] {
            let ws = app.create_workspace(&op, name, "Europe/Paris").await.unwrap();
            let change =
                tutti_app::listening::SettingsChange { retention_days: days.into(), ..Default::default() };
            app.update_listening_settings(&op, &ws.slug, &change).await.unwrap();
            queries.push(app.add_query(&op, &ws.slug, "Marque", "acme", "brand").await.unwrap().id);
        }
        let day = 86_400_000;
        let mut tx = store.begin().await.unwrap();
        for (i, q) in queries.iter().enumerate() {
            for (j, age) in [1, 10, 400].into_iter().enumerate() {
                let m = listening::Mention {
                    id: 0,
                    query_id: *q,
                    source: "rss".into(),
                    external_id: format!("{i}-{j}"),
                    url: None,
                    author: None,
                    text: "acme".into(),
                    lang: None,
                    sentiment: None,
                    sentiment_score: None,
                    toxicity: None,
                    published_at: Some(now_ms() - age * day),
                };
                listening::insert_mention(&mut tx, &m).await.unwrap();
            }
        }
        sqlx::query("UPDATE mentions SET matched_at = published_at").execute(&mut *tx).await.unwrap();
        let purged = listening::purge_mentions(&mut tx, now_ms()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            purged,
            3,
            "[{}] 10 and 400 days in the 7-day workspace, 400 days in the other",
            db.label()
        );
        let mut conn = store.conn().await.unwrap();
        let short = listening::mentions_of(&mut conn, queries[0], &Default::default(), 10).await.unwrap();
        let long = listening::mentions_of(&mut conn, queries[1], &Default::default(), 10).await.unwrap();
        assert_eq!((short.len(), long.len()), (1, 2));
    }
}

// A DID document may claim any handle: the claim is kept only if the handle resolves back to
// the same DID.
#[tokio::test]
async fn a_handle_is_kept_only_when_it_resolves_back_to_the_did() {
    let server =
        axum::Router::new()
            .route(
                "/{did}",
                axum::routing::get(|axum::extract::Path(did): axum::extract::Path<String>| async move {
                    let handle =
                        if did.ends_with("honest") { "alice.example.com" } else { "brand.example.com" };
                    axum::Json(serde_json::json!({"id": did, "alsoKnownAs": [format!("at://{handle}")]}))
                }),
            )
            .route(
                "/xrpc/com.atproto.identity.resolveHandle",
                axum::routing::get(
                    |axum::extract::Query(q): axum::extract::Query<
                        std::collections::HashMap<String, String>,
                    >| async move {
                        let did = if q["handle"] == "alice.example.com" {
                            "did:plc:honest"
                        } else {
                            "did:plc:thebrand"
                        };
                        axum::Json(serde_json::json!({"did": did}))
                    },
                ),
            );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, server).await.unwrap() });
    let resolver =
        tutti_worker::identity::IdentityResolver::new(&base, &base, &tutti_outbound::Outbound::strict());
    assert_eq!(resolver.resolve("did:plc:honest").await.as_deref(), Some("alice.example.com"));
    assert_eq!(resolver.resolve("did:plc:impostor").await, None, "a handle owned by another DID is refused");
    assert_eq!(resolver.resolve("did:web:../../etc").await, None, "a malformed did:web is not fetched");
    assert_eq!(resolver.resolve("not-a-did").await, None);
}
