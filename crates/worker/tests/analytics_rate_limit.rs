//! A rate limit loses no count, on every backend: against a local server shaped like the
//! Bluesky AppView (`createSession`, `getPosts`, `getProfile` with `ratelimit-*` headers) that
//! answers 429 with `Retry-After` and `ratelimit-reset`, the posts job leaves the posts' counts
//! as they were and puts each back to be measured after the delay, and the channel's count job
//! fails and is retried by the queue. Once the server answers again, a later run of each stores
//! the counts the server gives.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sqlx::Row;
use tutti_app::secrets::Keyring;
use tutti_app::store::{self, analytics, Store};
use tutti_app::{Actor, App};
use tutti_worker::connectors::Connectors;
use tutti_worker::{JobOutcome, Worker};

const DID: &str = "did:plc:maisonratelimit";
/// The delay the server asks for, seconds.
const RETRY_AFTER: i64 = 3;

#[derive(Default)]
struct AppView {
    limited: AtomicBool,
    get_posts: AtomicUsize,
    refused: AtomicUsize,
}

/// The counts the server gives a post, drawn from its URI.
fn counts_of(uri: &str) -> [i64; 4] {
    let n = uri.bytes().map(i64::from).sum::<i64>();
    [n % 97, n % 13, n % 7, n % 5]
}

/// 429 as the AppView sends it: `retry-after` and the window's `ratelimit-*` headers.
fn too_many() -> Response {
    let mut h = HeaderMap::new();
    let reset = chrono::Utc::now().timestamp() + RETRY_AFTER;
    for (k, v) in [
        ("retry-after", RETRY_AFTER.to_string()),
        ("ratelimit-limit", "3000".into()),
        ("ratelimit-remaining", "0".into()),
        ("ratelimit-reset", reset.to_string()),
        ("ratelimit-policy", "3000;w=300".into()),
    ] {
        h.insert(k, HeaderValue::from_str(&v).unwrap());
    }
    let body = json!({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"});
    (StatusCode::TOO_MANY_REQUESTS, h, axum::Json(body)).into_response()
}

async fn create_session() -> axum::Json<serde_json::Value> {
    axum::Json(json!({"did": DID, "handle": "maison.test", "accessJwt": "a", "refreshJwt": "r"}))
}

async fn get_posts(State(s): State<Arc<AppView>>, Query(q): Query<Vec<(String, String)>>) -> Response {
    s.get_posts.fetch_add(1, Ordering::Relaxed);
    if s.limited.load(Ordering::Relaxed) {
        s.refused.fetch_add(1, Ordering::Relaxed);
        return too_many();
    }
    let posts: Vec<_> = q
        .iter()
        .filter(|(k, _)| k == "uris")
        .map(|(_, uri)| {
            let [l, r, p, q] = counts_of(uri);
            json!({"uri": uri, "likeCount": l, "repostCount": r, "replyCount": p, "quoteCount": q})
        })
        .collect();
    axum::Json(json!({ "posts": posts })).into_response()
}

async fn get_profile(State(s): State<Arc<AppView>>) -> Response {
    if s.limited.load(Ordering::Relaxed) {
        s.refused.fetch_add(1, Ordering::Relaxed);
        return too_many();
    }
    axum::Json(json!({"did": DID, "handle": "maison.test", "followersCount": 321, "followsCount": 12, "postsCount": 40}))
        .into_response()
}

async fn appview() -> (String, Arc<AppView>) {
    let state = Arc::new(AppView::default());
    let router = axum::Router::new()
        .route("/xrpc/com.atproto.server.createSession", axum::routing::post(create_session))
        .route("/xrpc/app.bsky.feed.getPosts", axum::routing::get(get_posts))
        .route("/xrpc/app.bsky.actor.getProfile", axum::routing::get(get_profile))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, state)
}

/// A post of the brand as the publisher leaves it once published: due for its first snapshot.
async fn published(store: &Store, ws: i64, channel: i64, uri: &str, at: i64) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO posts (workspace_id, channel_id, text, status, idempotency_key, remote_id, published_at, \
         created_at, updated_at, snapshot_step, next_snapshot_at) \
         VALUES ($1, $2, 'Notre nouvelle lampe', 'published', $3, $3, $4, $4, $4, 0, $5) RETURNING id",
    )
    .bind(ws)
    .bind(channel)
    .bind(uri)
    .bind(at)
    .bind(at + tutti_domain::kpi::SNAPSHOT_AFTER_MS[0])
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// A post's latest counts, when they were taken, and when its next snapshot is due.
async fn state_of(store: &Store, id: i64) -> ([i64; 4], Option<i64>, Option<i64>) {
    let r = sqlx::query(
        "SELECT likes, reposts, replies, quotes, counts_at, next_snapshot_at FROM posts WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *store.conn().await.unwrap())
    .await
    .unwrap();
    (
        [r.get("likes"), r.get("reposts"), r.get("replies"), r.get("quotes")],
        r.get("counts_at"),
        r.get("next_snapshot_at"),
    )
}

/// Runs every due job; what became of each.
async fn run_due(worker: &Worker) -> Vec<JobOutcome> {
    let mut outcomes = Vec::new();
    while let Some(o) = worker.run_once().await.unwrap() {
        outcomes.push(o);
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_defers_the_posts_and_retries_the_channel_without_losing_a_count() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (url, server) = appview().await;
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let st = app.store().clone();
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        let keys = Keyring::generate();
        let mut channel = tutti_test_support::offline_bluesky("maison.test", Some(DID));
        channel.service = url.clone();
        let channel = app.add_channel(&op, &keys, &ws.slug, &channel).await.unwrap();
        let connectors = Connectors::new(keys.clone(), tutti_test_support::allowing(&[&url]));
        let worker = Worker::new(st.clone(), "w".into()).with_connectors(connectors.clone());

        // 30 posts published 10 minutes ago: two calls of 25 and 5.
        let published_at = store::now_ms() - 10 * 60_000;
        let mut posts = Vec::new();
        for i in 0..30 {
            let uri = format!("at://{DID}/app.bsky.feed.post/3lamp{i:04}");
            posts.push((published(&st, ws.id, channel.id, &uri, published_at).await, uri));
        }

        // Rate limited: the minute's collection runs.
        server.limited.store(true, Ordering::Relaxed);
        let before = store::now_ms();
        worker.schedule_analytics(before).await.unwrap();
        let outcomes = run_due(&worker).await;
        let queue = |o: &JobOutcome| match o {
            JobOutcome::Done(j) | JobOutcome::LeaseLost(j) | JobOutcome::Retrying { job: j, .. } => {
                j.queue.clone()
            }
        };
        let posts_job = outcomes.iter().find(|o| queue(o) == tutti_worker::analytics::POSTS_QUEUE);
        assert!(matches!(posts_job, Some(JobOutcome::Done(_))), "[{label}] the posts job ends: {outcomes:?}");
        let channel_job = outcomes.iter().find(|o| queue(o) == tutti_worker::analytics::CHANNEL_QUEUE);
        let Some(JobOutcome::Retrying { job, error, retry_at }) = channel_job else {
            panic!("[{label}] the channel job fails and is retried: {outcomes:?}")
        };
        assert!(*retry_at > before, "[{label}]");
        assert_eq!(server.get_posts.load(Ordering::Relaxed), 1, "[{label}] the first 429 stops the reading");

        // Nothing stored, nothing lost: every post keeps its counts (none yet) and is due again
        // after the delay the server asked for.
        for (id, _) in &posts {
            let (counts, counts_at, next) = state_of(&st, *id).await;
            assert_eq!((counts, counts_at), ([0; 4], None), "[{label}] post {id}");
            let next = next.unwrap_or_else(|| panic!("[{label}] post {id} is no longer measured"));
            assert!(
                next >= before + RETRY_AFTER * 1000,
                "[{label}] post {id} due at {next}, before the delay"
            );
            assert!(analytics::snapshots(&mut st.conn().await.unwrap(), *id).await.unwrap().is_empty());
        }
        // The channel job's row says why, and when it runs again.
        let row = sqlx::query("SELECT last_error, run_at, done_at FROM jobs WHERE id = $1")
            .bind(job.id)
            .fetch_one(&mut *st.conn().await.unwrap())
            .await
            .unwrap();
        let last_error: Option<String> = row.get("last_error");
        assert_eq!(last_error.as_deref(), Some(error.as_str()), "[{label}]");
        assert!(error.to_lowercase().contains("rate"), "[{label}] {error}");
        assert_eq!(row.get::<i64, _>("run_at"), *retry_at);
        assert_eq!(row.get::<Option<i64>, _>("done_at"), None);
        let day = analytics::day_of(store::now_ms());
        assert!(analytics::channel_series(&mut st.conn().await.unwrap(), ws.id, day - 1, day)
            .await
            .unwrap()
            .is_empty());

        // The server answers again; once the delays are over, the posts job (its handler: the
        // queue schedules it once per five minutes) and the retried channel job store the counts.
        server.limited.store(false, Ordering::Relaxed);
        let due = (*retry_at).max(before + RETRY_AFTER * 1000 + 1000);
        while store::now_ms() <= due {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let payload = json!({ "channel": channel.id }).to_string();
        tutti_worker::analytics::collect_posts(&st, &connectors, &payload).await.unwrap();
        let outcomes = run_due(&worker).await;
        assert!(
            outcomes.iter().any(|o| matches!(o, JobOutcome::Done(j) if j.id == job.id)),
            "[{label}] the retried channel job is done: {outcomes:?}"
        );
        for (id, uri) in &posts {
            let (counts, counts_at, next) = state_of(&st, *id).await;
            assert_eq!(counts, counts_of(uri), "[{label}] post {id}");
            assert!(counts_at.is_some() && next.is_some_and(|n| n > published_at), "[{label}] post {id}");
            let snaps = analytics::snapshots(&mut st.conn().await.unwrap(), *id).await.unwrap();
            assert_eq!(snaps.len(), 1, "[{label}] post {id}: one snapshot");
            assert_eq!(snaps[0].step, 0, "[{label}] on the schedule's first point");
        }
        let series =
            analytics::channel_series(&mut st.conn().await.unwrap(), ws.id, day - 1, day).await.unwrap();
        assert_eq!(
            series.iter().map(|d| (d.followers, d.following, d.posts)).collect::<Vec<_>>(),
            [(321, 12, 40)]
        );
        assert!(
            server.refused.load(Ordering::Relaxed) >= 2,
            "[{label}] the posts and the channel were refused"
        );
    }
}
