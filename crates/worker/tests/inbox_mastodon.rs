//! The inbox of a Mastodon channel, against a local server that speaks the notifications API
//! and the account's notification stream (server-sent events) with a notification recorded
//! from a real Mastodon server (Mastodon.py's test cassettes, MIT): the poller listens to the
//! stream, reads a notification within seconds of the stream's `notification` event, and does
//! not spend the account's 300 requests per 5 minutes polling every second.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::{broadcast, watch};
use tutti_app::secrets::Keyring;
use tutti_app::store::inbox::Filter;
use tutti_app::{Actor, App};
use tutti_worker::connectors::Connectors;
use tutti_worker::inbox::InboxPoller;

const RECORDED: &str = include_str!("../../mastodon/tests/data/publishing.json");
const TOKEN: &str = "the-account-token";

struct Instance {
    notifications: Mutex<Vec<serde_json::Value>>,
    /// Requests to the notifications API.
    reads: Mutex<usize>,
    /// Stream connections, and whether each carried the account's token.
    streams: Mutex<Vec<bool>>,
    events: broadcast::Sender<String>,
}

fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

async fn notifications(
    State(s): State<Arc<Instance>>,
    Query(q): Query<Vec<(String, String)>>,
) -> axum::Json<serde_json::Value> {
    *s.reads.lock().unwrap() += 1;
    let param = |key: &str| q.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let min = param("min_id");
    let limit: usize = param("limit").and_then(|l| l.parse().ok()).unwrap_or(40);
    let list = s.notifications.lock().unwrap();
    // As Mastodon pages: after `min_id`, the `limit` oldest newer ones; without it, the
    // `limit` newest; newest first.
    let newer: Vec<_> = list
        .iter()
        .filter(|n| min.as_deref().is_none_or(|m| id_order(n["id"].as_str().unwrap(), m).is_gt()))
        .cloned()
        .collect();
    let page = if min.is_some() {
        newer.into_iter().take(limit).rev().collect()
    } else {
        newer.into_iter().rev().take(limit).collect()
    };
    axum::Json(serde_json::Value::Array(page))
}

async fn stream(State(s): State<Arc<Instance>>, headers: HeaderMap) -> Response {
    let authorized =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"));
    s.streams.lock().unwrap().push(authorized);
    if !authorized {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let rx = s.events.subscribe();
    let greeting = futures_util::stream::once(async { Ok::<_, std::io::Error>(Bytes::from(":)\n\n")) });
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(e) => return Some((Ok::<_, std::io::Error>(Bytes::from(e)), rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    use futures_util::StreamExt;
    ([(header::CONTENT_TYPE, "text/event-stream")], Body::from_stream(greeting.chain(events))).into_response()
}

async fn fake_instance() -> (String, Arc<Instance>) {
    let recorded: serde_json::Value = serde_json::from_str(RECORDED).unwrap();
    let instance = recorded["instance"]["response"]["body"].clone();
    let state = Arc::new(Instance {
        notifications: Mutex::default(),
        reads: Mutex::default(),
        streams: Mutex::default(),
        events: broadcast::channel(16).0,
    });
    let app = axum::Router::new()
        .route("/api/v2/instance", axum::routing::get(move || async move { axum::Json(instance) }))
        .route("/api/v1/notifications", axum::routing::get(notifications))
        .route("/api/v1/streaming/user/notification", axum::routing::get(stream))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

/// The recorded mention, as notification `id` with `text`.
fn mention(id: &str, text: &str) -> serde_json::Value {
    let recorded: serde_json::Value = serde_json::from_str(RECORDED).unwrap();
    let mut n = recorded["notifications_mention"]["response"]["body"][0].clone();
    n["id"] = id.into();
    n["status"]["id"] = format!("1174408216622{id:0>5}").into();
    n["status"]["content"] = format!("<p>{text}</p>").into();
    n
}

async fn wait_for<F: Fn() -> bool>(what: &str, within: Duration, ready: F) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mastodon_notification_is_read_when_the_stream_rings_without_polling_every_second() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (url, fake) = fake_instance().await;
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        let keys = Keyring::generate();
        let channel = tutti_test_support::mastodon_channel(&url, TOKEN);
        let c = app.add_channel(&op, &keys, &ws.slug, &channel).await.unwrap();
        fake.notifications.lock().unwrap().push(mention("20", "@maison hello!"));

        let poller = InboxPoller::new(
            app.store().clone(),
            "w".into(),
            Connectors::new(keys.clone(), tutti_test_support::allowing(&[&url])),
        );
        let (stop, stopped) = watch::channel(false);
        let running = tokio::spawn(poller.clone().run(stopped));

        // The first pass reads what is there and starts listening; the stream connects with the
        // account's token and rings, so the channel is read once more.
        let in_inbox = |text: &'static str| {
            let app = app.clone();
            let slug = ws.slug.clone();
            async move {
                let all = Filter { status: None, ..Filter::default() };
                let list = app.inbox(&op_actor(), &slug, &all, None, 50).await.unwrap();
                list.iter().any(|c| c.excerpt.contains(text))
            }
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !in_inbox("hello!").await {
            assert!(Instant::now() < deadline, "[{label}] the first notification was not read");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        wait_for("the stream is up", Duration::from_secs(10), || {
            poller.stream_state(c.id).is_some_and(|(up, rings)| up && rings >= 1)
        })
        .await;
        assert_eq!(*fake.streams.lock().unwrap(), [true], "[{label}] one stream, with the account's token");
        // The read the stream's first ring asks for comes at the next pass: the pass running
        // now may have begun before the ring, so the one after it has taken the ring and read.
        let passes = poller.passes();
        wait_for("the ring is read", Duration::from_secs(10), || poller.passes() >= passes + 2).await;

        // Quiet: the stream is up and says nothing, so the API is not asked every second. (The
        // three seconds are the window measured, not a wait for something to happen.)
        let before = *fake.reads.lock().unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let quiet = *fake.reads.lock().unwrap() - before;
        assert_eq!(quiet, 0, "[{label}] {quiet} reads in 3 quiet seconds");

        // A new mention, announced on the stream: in the inbox within 5 s, with one read.
        let new = mention("21", "Ma commande n'est jamais arrivée");
        fake.notifications.lock().unwrap().push(new.clone());
        let sent = Instant::now();
        fake.events.send(format!("event: notification\ndata: {new}\n\n")).unwrap();
        while !in_inbox("jamais arriv").await {
            assert!(
                sent.elapsed() < Duration::from_secs(5),
                "[{label}] the announced mention was not read within 5 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let reads = *fake.reads.lock().unwrap() - before;
        assert!((1..=2).contains(&reads), "[{label}] {reads} reads for one announced mention");

        let _ = stop.send(true);
        running.await.unwrap();
    }
}

fn op_actor() -> Actor {
    Actor::Operator
}

/// A flood of notifications: a pass reads at most `MAX_PAGES` pages and stores them in
/// transactions of up to `INGEST_BATCH`, each stored while the next pages are read; every
/// notification ends up in the inbox once, the next pass goes on where the last one stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_stored_in_batches_each_notification_once_across_passes() {
    use tutti_worker::inbox::{INGEST_BATCH, MAX_PAGES};
    const PAGE: usize = 40;
    const FLOOD: usize = 2_500;
    const { assert!(MAX_PAGES * PAGE < FLOOD && FLOOD > 2 * INGEST_BATCH, "the flood spans passes and batches") };
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (url, fake) = fake_instance().await;
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        let keys = Keyring::generate();
        let channel = tutti_test_support::mastodon_channel(&url, TOKEN);
        app.add_channel(&op, &keys, &ws.slug, &channel).await.unwrap();
        let poller = InboxPoller::new(
            app.store().clone(),
            "w".into(),
            Connectors::new(keys.clone(), tutti_test_support::allowing(&[&url])),
        );
        fake.notifications.lock().unwrap().push(mention("10000", "first"));
        assert_eq!(poller.poll_once().await.unwrap(), 1, "[{label}]");

        fake.notifications
            .lock()
            .unwrap()
            .extend((0..FLOOD).map(|k| mention(&(10_001 + k).to_string(), &format!("flood {k}"))));
        let count = || async {
            let mut conn = app.store().conn().await.unwrap();
            let items: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM inbox_items").fetch_one(&mut *conn).await.unwrap();
            let distinct: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT remote_id) FROM inbox_items")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(items, distinct, "[{label}] each notification once");
            items as usize
        };
        let reads = *fake.reads.lock().unwrap();
        assert_eq!(poller.poll_once().await.unwrap(), MAX_PAGES * PAGE, "[{label}] one pass: its pages");
        assert_eq!(*fake.reads.lock().unwrap() - reads, MAX_PAGES, "[{label}]");
        assert_eq!(count().await, 1 + MAX_PAGES * PAGE, "[{label}]");
        assert_eq!(poller.poll_once().await.unwrap(), FLOOD - MAX_PAGES * PAGE, "[{label}] the rest");
        assert_eq!(poller.poll_once().await.unwrap(), 0, "[{label}] nothing twice");
        assert_eq!(count().await, 1 + FLOOD, "[{label}]");
        let newest = app.inbox(&op, &ws.slug, &Filter::default(), None, 1).await.unwrap();
        assert!(
            newest[0].excerpt.contains(&format!("flood {}", FLOOD - 1)),
            "[{label}] {:?}",
            newest[0].excerpt
        );
    }
}
