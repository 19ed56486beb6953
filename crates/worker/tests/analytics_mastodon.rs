//! The analytics collection of a Mastodon channel, on every backend, against a local server
//! that answers `GET /api/v1/statuses/:id` and `GET /api/v1/accounts/verify_credentials` with
//! responses recorded from a real Mastodon server (Mastodon.py's test cassettes, MIT; see
//! `crates/mastodon/tests/data/README.md`): the minute's jobs run through the queue, and each
//! post's stored counts and the channel's day are the recorded numbers; a status the server no
//! longer knows (the recorded 404) is no longer measured.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sqlx::Row;
use tutti_app::secrets::Keyring;
use tutti_app::store::{self, analytics, Store};
use tutti_app::{Actor, App};
use tutti_worker::connectors::Connectors;
use tutti_worker::{JobOutcome, Worker};

const RECORDED: &str = include_str!("../../mastodon/tests/data/publishing.json");
const TOKEN: &str = "the-account-token";
/// A status deleted since: the recorded `not_found` answer.
const GONE: &str = "117440831999999999";

/// A recorded exchange's response: status, headers, body.
fn recorded(name: &str) -> (u16, Vec<(String, String)>, Value) {
    let all: Value = serde_json::from_str(RECORDED).unwrap();
    let r = &all[name]["response"];
    let headers = r["headers"]
        .as_object()
        .map(|h| h.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default();
    (r["status"].as_u64().unwrap() as u16, headers, r["body"].clone())
}

fn replay((status, headers, body): (u16, Vec<(String, String)>, Value)) -> Response {
    let mut h = HeaderMap::new();
    for (k, v) in headers.iter().filter(|(k, _)| k != "content-type") {
        h.insert(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
    }
    (StatusCode::from_u16(status).unwrap(), h, axum::Json(body)).into_response()
}

/// The statuses the server knows, by id: the recorded entities of three cassettes.
fn statuses() -> HashMap<String, Value> {
    let favourited = recorded("favourited").2;
    // The reblog's own answer carries the status it boosted, with that status's counts.
    let boosted = recorded("reblogged").2["reblog"].clone();
    let plain = recorded("status_created").2;
    [favourited, boosted, plain].into_iter().map(|s| (s["id"].as_str().unwrap().to_owned(), s)).collect()
}

struct Instance {
    statuses: HashMap<String, Value>,
    asked: Mutex<Vec<String>>,
}

async fn status(State(s): State<Arc<Instance>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    s.asked.lock().unwrap().push(id.clone());
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {TOKEN}")) {
        return replay(recorded("token_invalid"));
    }
    match s.statuses.get(&id) {
        Some(st) => {
            let (code, h, _) = recorded("favourited");
            replay((code, h, st.clone()))
        }
        None => replay(recorded("not_found")),
    }
}

async fn instance() -> (String, Arc<Instance>) {
    let state = Arc::new(Instance { statuses: statuses(), asked: Mutex::default() });
    let info = recorded("instance").2;
    let router = axum::Router::new()
        .route("/api/v2/instance", axum::routing::get(move || async move { axum::Json(info) }))
        .route(
            "/api/v1/accounts/verify_credentials",
            axum::routing::get(|| async { replay(recorded("verify_credentials")) }),
        )
        .route("/api/v1/statuses/{id}", axum::routing::get(status))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, state)
}

/// A post of the brand as the publisher leaves it once published: due for its first snapshot.
async fn published(store: &Store, ws: i64, channel: i64, status_id: &str, at: i64) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO posts (workspace_id, channel_id, text, status, idempotency_key, remote_id, published_at, \
         created_at, updated_at, snapshot_step, next_snapshot_at) \
         VALUES ($1, $2, 'Toot!', 'published', $3, $3, $4, $4, $4, 0, $5) RETURNING id",
    )
    .bind(ws)
    .bind(channel)
    .bind(status_id)
    .bind(at)
    .bind(at + tutti_domain::kpi::SNAPSHOT_AFTER_MS[0])
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mastodon_channel_s_counts_are_the_instance_s_recorded_numbers() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (url, server) = instance().await;
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let st = app.store().clone();
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        let keys = Keyring::generate();
        let channel = tutti_test_support::mastodon_channel(&url, TOKEN);
        let channel = app.add_channel(&op, &keys, &ws.slug, &channel).await.unwrap();
        let connectors = Connectors::new(keys.clone(), tutti_test_support::allowing(&[&url]));
        let worker = Worker::new(st.clone(), "w".into()).with_connectors(connectors);

        let published_at = store::now_ms() - 10 * 60_000;
        let mut posts = Vec::new();
        for (status_id, entity) in &server.statuses {
            posts.push((published(&st, ws.id, channel.id, status_id, published_at).await, entity.clone()));
        }
        let gone = published(&st, ws.id, channel.id, GONE, published_at).await;

        // The minute's collection, through the queue.
        worker.schedule_analytics(store::now_ms()).await.unwrap();
        let mut outcomes = Vec::new();
        while let Some(o) = worker.run_once().await.unwrap() {
            outcomes.push(o);
        }
        assert_eq!(outcomes.len(), 3, "[{label}] the schedule, the posts and the channel: {outcomes:?}");
        assert!(outcomes.iter().all(|o| matches!(o, JobOutcome::Done(_))), "[{label}] {outcomes:?}");
        assert_eq!(server.asked.lock().unwrap().len(), 4, "[{label}] one call per status");

        let mut conn = st.conn().await.unwrap();
        let count = |v: &Value, k: &str| v[k].as_i64().unwrap_or_else(|| panic!("recorded {k}"));
        for (id, entity) in &posts {
            let want = [
                count(entity, "favourites_count"),
                count(entity, "reblogs_count"),
                count(entity, "replies_count"),
                count(entity, "quotes_count"),
            ];
            let snaps = analytics::snapshots(&mut conn, *id).await.unwrap();
            assert_eq!(snaps.len(), 1, "[{label}] status {}", entity["id"]);
            let s = snaps[0];
            assert_eq!([s.likes, s.reposts, s.replies, s.quotes], want, "[{label}] status {}", entity["id"]);
            let row = analytics::post(&mut conn, ws.id, *id).await.unwrap().unwrap();
            assert_eq!(
                [row.likes, row.reposts, row.replies, row.quotes],
                want,
                "[{label}] the post's latest"
            );
            assert_eq!(row.engagements, want.iter().sum::<i64>());
            // On the schedule: the next point is an hour after publication.
            let next: Option<i64> = sqlx::query("SELECT next_snapshot_at FROM posts WHERE id = $1")
                .bind(*id)
                .fetch_one(&mut *conn)
                .await
                .unwrap()
                .get(0);
            assert_eq!(next, Some(published_at + tutti_domain::kpi::SNAPSHOT_AFTER_MS[1]), "[{label}]");
        }
        // The recorded numbers are not all zeros: a favourite and a boost.
        let totals: Vec<[i64; 2]> =
            posts.iter().map(|(_, e)| [count(e, "favourites_count"), count(e, "reblogs_count")]).collect();
        assert!(totals.contains(&[1, 0]) && totals.contains(&[0, 1]), "{totals:?}");

        // The deleted status: no snapshot, no longer measured.
        assert!(analytics::snapshots(&mut conn, gone).await.unwrap().is_empty());
        let next: Option<i64> = sqlx::query("SELECT next_snapshot_at FROM posts WHERE id = $1")
            .bind(gone)
            .fetch_one(&mut *conn)
            .await
            .unwrap()
            .get(0);
        assert_eq!(next, None, "[{label}] the deleted status is no longer measured");

        // The channel's day: the recorded account's counts.
        let account = recorded("verify_credentials").2;
        let day = analytics::day_of(store::now_ms());
        let series = analytics::channel_series(&mut conn, ws.id, day - 1, day).await.unwrap();
        assert_eq!(
            series.iter().map(|d| (d.followers, d.following, d.posts)).collect::<Vec<_>>(),
            [(
                count(&account, "followers_count"),
                count(&account, "following_count"),
                count(&account, "statuses_count")
            )],
            "[{label}]"
        );
    }
}
