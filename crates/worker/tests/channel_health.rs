//! Channel health: a channel whose inbox read the network refuses for authentication is marked
//! "needs reconnecting" once, with the network's words, and notifies the people who can fix it
//! once, as a refused publish does; it is not read again until it is reconnected. A channel
//! whose reads fail for another reason is read less and less often (exponential backoff), and
//! at the normal pace again as soon as a read succeeds. The poller's clock is driven by the
//! test, and the fake instance counts the requests it receives.

use std::sync::atomic::{AtomicI64, AtomicU16, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tutti_app::secrets::Keyring;
use tutti_app::store::publishing;
use tutti_app::{Actor, App};
use tutti_worker::connectors::Connectors;
use tutti_worker::inbox::InboxPoller;

const PASSWORD: &str = "correct horse battery";
const REVOKED: &str = "The access token was revoked";

/// A Mastodon instance whose notifications API answers with the status it is told to.
struct Instance {
    /// The status the notifications API answers (200: an empty list).
    status: AtomicU16,
    /// Requests to the notifications API.
    reads: AtomicUsize,
}

async fn notifications(State(s): State<Arc<Instance>>) -> Response {
    s.reads.fetch_add(1, Ordering::SeqCst);
    match s.status.load(Ordering::SeqCst) {
        200 => axum::Json(serde_json::json!([])).into_response(),
        401 => {
            (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({ "error": REVOKED }))).into_response()
        }
        other => (StatusCode::from_u16(other).unwrap(), "upstream trouble").into_response(),
    }
}

async fn refuse(State(s): State<Arc<Instance>>) -> Response {
    match s.status.load(Ordering::SeqCst) {
        401 => {
            (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({ "error": REVOKED }))).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn fake_instance(status: u16) -> (String, Arc<Instance>) {
    let state = Arc::new(Instance { status: AtomicU16::new(status), reads: AtomicUsize::new(0) });
    let app = axum::Router::new()
        .route("/api/v1/notifications", axum::routing::get(notifications))
        // The notification stream is refused too: the poller reads through the API alone.
        .route(
            "/api/v1/streaming/user/notification",
            axum::routing::get(|| async { StatusCode::UNAUTHORIZED }),
        )
        // Every other call (a like, a mute) answers as the notifications API does.
        .fallback(refuse)
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

/// A workspace with one SMM and a Mastodon channel on `url`; the poller reads it by a clock
/// the test moves.
async fn setup(
    app: &App,
    url: &str,
) -> (tutti_app::store::workspaces::Workspace, publishing::Channel, Keyring, InboxPoller, Arc<AtomicI64>) {
    let op = Actor::Operator;
    let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
    app.add_user(&op, "smm@ml.test", "Sam", PASSWORD, false).await.unwrap();
    app.add_member(&op, &ws.slug, "smm@ml.test", "smm").await.unwrap();
    let keys = Keyring::generate();
    let channel = app
        .add_channel(&op, &keys, &ws.slug, &tutti_test_support::mastodon_channel(url, "token"))
        .await
        .unwrap();
    let now = Arc::new(AtomicI64::new(1_800_000_000_000));
    let clock = now.clone();
    let poller = InboxPoller::new(
        app.store().clone(),
        "w".into(),
        Connectors::new(keys.clone(), tutti_test_support::allowing(&[url])),
    )
    .with_clock(Arc::new(move || clock.load(Ordering::SeqCst)));
    (ws, channel, keys, poller, now)
}

async fn count(app: &App, sql: &str) -> i64 {
    let mut conn = app.store().conn().await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut *conn).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_inbox_read_marks_the_channel_once_notifies_once_and_stops_reading() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (url, fake) = fake_instance(401).await;
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let (ws, channel, keys, poller, now) = setup(&app, &url).await;

        // Sixty passes, a second apart, as the poller's loop would make them.
        for _ in 0..60 {
            poller.poll_once().await.unwrap();
            now.fetch_add(1_000, Ordering::SeqCst);
        }
        let reads = fake.reads.load(Ordering::SeqCst);
        assert_eq!(reads, 1, "[{label}] a refused channel is not read again until reconnected");

        let mut conn = app.store().conn().await.unwrap();
        let c = publishing::channel_by_id(&mut conn, channel.id).await.unwrap();
        drop(conn);
        assert_eq!(c.status, "needs_reconnect", "[{label}]");
        assert_eq!(c.status_message.as_deref(), Some(REVOKED), "[{label}] the network's own words");
        let smm = Actor::User(app.user_by_email("smm@ml.test").await.unwrap());
        let notices = app.notices(&smm, &ws.slug).await.unwrap();
        assert_eq!(notices.len(), 1, "[{label}] one notice, not one per refusal");
        assert_eq!(notices[0].subject, channel.handle);
        assert!(notices[0].detail.contains(REVOKED), "[{label}] {:?}", notices[0].detail);
        let jobs = count(&app, "SELECT COUNT(*) FROM jobs WHERE queue = 'notice.deliver'").await;
        assert_eq!(jobs, 1, "[{label}] one e-mail to the one SMM");

        // Reconnected with a token the instance takes: read again at once, and at the normal pace.
        fake.status.store(200, Ordering::SeqCst);
        app.reconnect_channel(&Actor::Operator, &keys, &ws.slug, &channel.handle, "new-token").await.unwrap();
        for _ in 0..3 {
            poller.poll_once().await.unwrap();
            now.fetch_add(1_000, Ordering::SeqCst);
        }
        assert_eq!(fake.reads.load(Ordering::SeqCst), 4, "[{label}] read on every pass once reconnected");
        assert_eq!(poller.failures(channel.id), 0);
        assert_eq!(app.notices(&smm, &ws.slug).await.unwrap().len(), 1, "[{label}] no new notice");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_inbox_read_backs_off_and_resumes_its_pace_after_a_success() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (url, fake) = fake_instance(503).await;
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let (ws, channel, _keys, poller, now) = setup(&app, &url).await;

        // A minute of passes a second apart: reads at 0, 2, 6, 14 and 30 s, not sixty.
        for _ in 0..60 {
            poller.poll_once().await.unwrap();
            now.fetch_add(1_000, Ordering::SeqCst);
        }
        let reads = fake.reads.load(Ordering::SeqCst);
        assert!((3..=6).contains(&reads), "[{label}] {reads} reads of a failing channel in 60 passes");
        assert_eq!(poller.failures(channel.id), reads as u32, "[{label}]");

        // A failure that is not about credentials leaves the channel connected, without notice.
        let mut conn = app.store().conn().await.unwrap();
        assert_eq!(publishing::channel_by_id(&mut conn, channel.id).await.unwrap().status, "ok", "[{label}]");
        drop(conn);
        let smm = Actor::User(app.user_by_email("smm@ml.test").await.unwrap());
        assert!(app.notices(&smm, &ws.slug).await.unwrap().is_empty(), "[{label}]");

        // The instance answers again: once the pause is over, one read succeeds and every pass
        // reads again.
        fake.status.store(200, Ordering::SeqCst);
        now.fetch_add(tutti_worker::health::READ_BACKOFF_CAP_MS, Ordering::SeqCst);
        let before = fake.reads.load(Ordering::SeqCst);
        for _ in 0..5 {
            poller.poll_once().await.unwrap();
            now.fetch_add(1_000, Ordering::SeqCst);
        }
        assert_eq!(fake.reads.load(Ordering::SeqCst) - before, 5, "[{label}] the normal pace again");
        assert_eq!(poller.failures(channel.id), 0, "[{label}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_like_and_a_mute_refused_for_credentials_mark_the_channel_once() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (url, _fake) = fake_instance(401).await;
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let (ws, channel, keys, _poller, _now) = setup(&app, &url).await;
        // A mention in the inbox, as ingestion stores it.
        let incoming = tutti_app::ingest::Incoming {
            remote_id: "n1".into(),
            kind: tutti_domain::ItemKind::Mention,
            author_id: "1001".into(),
            author_handle: "alice@mastodon.example".into(),
            author_name: "Alice".into(),
            text: "@maison bonjour".into(),
            post: Some(("2001".into(), None)),
            at: tutti_app::store::now_ms(),
            ..Default::default()
        };
        let item = tutti_app::ingest::item_of(ws.id, channel.id, tutti_domain::Network::Mastodon, &incoming);
        let mut tx = app.store().begin().await.unwrap();
        let (_, items) =
            tutti_app::ingest::ingest_batch_items(&mut tx, tutti_test_support::networks(), &[item])
                .await
                .unwrap();
        tx.commit().await.unwrap();

        let op = Actor::Operator;
        let worker = tutti_worker::Worker::new(app.store().clone(), "w".into())
            .with_connectors(Connectors::new(keys.clone(), tutti_test_support::allowing(&[&url])));
        app.act_on_item(&op, &ws.slug, items[0], "like").await.unwrap();
        app.moderate_item(&op, &ws.slug, items[0], "mute").await.unwrap();
        let mut ran = 0;
        while let Some(outcome) = worker.run_once().await.unwrap() {
            assert!(matches!(outcome, tutti_worker::JobOutcome::Done(_)), "[{label}] {outcome:?}");
            ran += 1;
            assert!(ran < 20, "[{label}] jobs keep coming");
        }

        let mut conn = app.store().conn().await.unwrap();
        let c = publishing::channel_by_id(&mut conn, channel.id).await.unwrap();
        drop(conn);
        assert_eq!(c.status, "needs_reconnect", "[{label}] the refused actions marked the channel");
        assert_eq!(c.status_message.as_deref(), Some(REVOKED), "[{label}]");
        let smm = Actor::User(app.user_by_email("smm@ml.test").await.unwrap());
        assert_eq!(
            app.notices(&smm, &ws.slug).await.unwrap().len(),
            1,
            "[{label}] one notice for two refusals"
        );
        let failed = count(&app, "SELECT COUNT(*) FROM inbox_actions WHERE error IS NOT NULL").await;
        assert_eq!(failed, 2, "[{label}] each action keeps the network's words");
    }
}
