//! Replaying recorded Mastodon statuses through a local server that speaks the streaming API
//! (server-sent events) and the timelines: the stream drops, statuses arrive while the client
//! is away, the client restarts from its stored cursor, the server sends garbage and rate
//! limits. Every status must arrive exactly once, in order.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::sync::{mpsc, watch};
use tutti_mastodon::{parse_status, MastodonEvent, MastodonStats, ParsedStatus, StatusId, Stream, Streaming};

const STATUSES: &str = include_str!("data/statuses.json");
const USER_STREAM: &str = include_str!("data/user.sse");
const TOKEN: &str = "test-token";

/// The recorded statuses, oldest first: (id, JSON).
fn recorded() -> Vec<(String, String)> {
    let values: Vec<serde_json::Value> = serde_json::from_str(STATUSES).unwrap();
    values.iter().map(|v| (v["id"].as_str().unwrap().to_owned(), v.to_string())).collect()
}

fn id(i: usize) -> StatusId {
    StatusId::parse(&recorded()[i].0).unwrap()
}

/// A recorded event of the user stream, by name (`status.update`, `delete`, `notification`).
fn recorded_event(name: &str) -> String {
    let block = USER_STREAM.split("\n\n").find(|b| b.starts_with(&format!("event: {name}\n"))).unwrap();
    format!("{block}\n\n")
}

fn update(json: &str) -> String {
    format!("event: update\ndata: {json}\n\n")
}

/// What one stream connection does once the client has caught up with the timeline.
#[derive(Debug, Clone)]
enum Step {
    /// Publish recorded status `i` on the timeline and send it as an `update` event.
    Post(usize),
    /// Publish recorded status `i` on the timeline only (it arrives while the client is away).
    Publish(usize),
    /// Send these bytes as they are.
    Raw(String),
    /// Keep the connection open, sending nothing more.
    Hold,
}

#[derive(Debug, Clone)]
struct Logged {
    path: String,
    query: String,
    authorization: Option<String>,
    /// Whether the request came before the end of a wait the server had asked for.
    early: bool,
}

struct Replay {
    statuses: Vec<(String, String)>,
    /// Indices of the statuses visible on the timelines.
    published: Mutex<Vec<usize>>,
    /// One script per stream connection, in order; without one a connection holds.
    scripts: Mutex<VecDeque<Vec<Step>>>,
    log: Mutex<Vec<Logged>>,
    /// Timeline requests that got nothing newer: the client has caught up.
    caught_up: watch::Sender<u32>,
    /// Stream connections opened.
    connections: watch::Sender<u32>,
    /// Timeline requests (1-based) answered `429 Retry-After: 1`.
    rate_limited: Vec<usize>,
    /// Until when the server asked clients to wait.
    wait_until: Mutex<Option<Instant>>,
}

impl Replay {
    fn publish(&self, i: usize) {
        let mut published = self.published.lock().unwrap();
        if !published.contains(&i) {
            published.push(i);
        }
    }
}

async fn serve(
    published: &[usize],
    scripts: Vec<Vec<Step>>,
    rate_limited: Vec<usize>,
) -> (String, Arc<Replay>) {
    let replay = Arc::new(Replay {
        statuses: recorded(),
        published: Mutex::new(published.to_vec()),
        scripts: Mutex::new(scripts.into()),
        log: Mutex::new(Vec::new()),
        caught_up: watch::channel(0).0,
        connections: watch::channel(0).0,
        rate_limited,
        wait_until: Mutex::new(None),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(handle).with_state(replay.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), replay)
}

async fn handle(State(replay): State<Arc<Replay>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let authorization = request.headers().get(header::AUTHORIZATION).map(|v| v.to_str().unwrap().to_owned());
    let early = replay.wait_until.lock().unwrap().is_some_and(|until| Instant::now() < until);
    let timeline_requests = {
        let mut log = replay.log.lock().unwrap();
        log.push(Logged { path: path.clone(), query: query.clone(), authorization, early });
        log.iter().filter(|l| l.path.starts_with("/api/v1/timelines/")).count()
    };
    if path.starts_with("/api/v1/streaming/") {
        stream(replay).await
    } else if path == "/api/v1/timelines/public" || path == "/api/v1/timelines/tag/hoot" {
        if replay.rate_limited.contains(&timeline_requests) {
            *replay.wait_until.lock().unwrap() = Some(Instant::now() + Duration::from_secs(1));
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "1")],
                "{\"error\":\"Too many requests\"}",
            )
                .into_response();
        }
        timeline(&replay, &query)
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// A timeline page as Mastodon serves it: newest first; with `min_id`, the statuses
/// immediately newer than it; otherwise the newest ones.
fn timeline(replay: &Replay, query: &str) -> Response {
    let param = |name: &str| {
        query.split('&').find_map(|pair| pair.strip_prefix(&format!("{name}="))).map(str::to_owned)
    };
    let min_id = param("min_id").map(|v| v.parse::<u64>().unwrap());
    let limit = param("limit").map_or(20, |v| v.parse::<usize>().unwrap()).min(40);
    let mut visible: Vec<(u64, &str)> = replay
        .published
        .lock()
        .unwrap()
        .iter()
        .map(|&i| (replay.statuses[i].0.parse().unwrap(), replay.statuses[i].1.as_str()))
        .filter(|(id, _)| min_id.is_none_or(|min| *id > min))
        .collect();
    visible.sort_unstable();
    let page: Vec<&str> = match min_id {
        Some(_) => visible.iter().take(limit).rev().map(|(_, json)| *json).collect(),
        None => visible.iter().rev().take(limit).map(|(_, json)| *json).collect(),
    };
    if min_id.is_none() || page.is_empty() {
        replay.caught_up.send_modify(|n| *n += 1);
    }
    ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], format!("[{}]", page.join(",")))
        .into_response()
}

/// A stream connection: `:)` at once, then, once the client has caught up with the timeline,
/// the next script.
async fn stream(replay: Arc<Replay>) -> Response {
    let script = replay.scripts.lock().unwrap().pop_front().unwrap_or_else(|| vec![Step::Hold]);
    let mut caught_up = replay.caught_up.subscribe();
    let start = *caught_up.borrow_and_update();
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    replay.connections.send_modify(|n| *n += 1);
    tokio::spawn(async move {
        let _ = tx.send(Ok(Bytes::from(":)\n"))).await;
        caught_up.wait_for(|&n| n > start).await.unwrap();
        for step in script {
            let text = match step {
                Step::Post(i) => {
                    replay.publish(i);
                    update(&replay.statuses[i].1)
                }
                Step::Publish(i) => {
                    replay.publish(i);
                    continue;
                }
                Step::Raw(text) => text,
                Step::Hold => std::future::pending().await,
            };
            if tx.send(Ok(Bytes::from(text))).await.is_err() {
                return;
            }
        }
        // The script is over: the server closes the stream.
    });
    let body =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    (
        [(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "private, no-store")],
        Body::from_stream(body),
    )
        .into_response()
}

struct Client {
    events: mpsc::Receiver<MastodonEvent>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Option<StatusId>>,
    stats: Arc<MastodonStats>,
}

fn start(client: Streaming, cursor: Option<StatusId>) -> Client {
    let (tx, events) = mpsc::channel(64);
    let (stop, stopped) = watch::channel(false);
    let stats = Arc::new(MastodonStats::default());
    let task = tokio::spawn({
        let stats = stats.clone();
        async move { client.run(cursor, tx, stats, stopped).await }
    });
    Client { events, stop, task, stats }
}

impl Client {
    async fn next(&mut self) -> MastodonEvent {
        tokio::time::timeout(Duration::from_secs(20), self.events.recv())
            .await
            .expect("events keep coming")
            .unwrap()
    }

    async fn take(&mut self, n: usize) -> Vec<MastodonEvent> {
        let mut got = Vec::new();
        while got.len() < n {
            got.push(self.next().await);
        }
        got
    }

    /// Stops the client; returns its cursor and whatever it delivered that was not taken.
    async fn stop(mut self) -> (Option<StatusId>, Vec<MastodonEvent>) {
        self.stop.send(true).unwrap();
        let cursor = self.task.await.unwrap();
        let mut rest = Vec::new();
        while let Some(event) = self.events.recv().await {
            rest.push(event);
        }
        (cursor, rest)
    }
}

fn client(base: &str, stream: Stream, token: Option<&str>) -> Streaming {
    let mut client = Streaming::new(
        base,
        stream,
        token.map(str::to_owned),
        &tutti_outbound::Outbound::strict().with_urls([base]),
    )
    .unwrap();
    client.initial_backoff = Duration::from_millis(10);
    client
}

/// The post a recorded status becomes, with the cursor to store after it.
fn post(i: usize, cursor: usize, domain: &str) -> MastodonEvent {
    let ParsedStatus::Post(post) = parse_status(&recorded()[i].1, domain).unwrap() else { panic!("a post") };
    MastodonEvent::Post { cursor: id(cursor), post }
}

fn posts(range: std::ops::RangeInclusive<usize>, domain: &str) -> Vec<MastodonEvent> {
    range.map(|i| post(i, i, domain)).collect()
}

async fn wait(counter: &watch::Sender<u32>, at_least: u32) {
    let mut rx = counter.subscribe();
    tokio::time::timeout(Duration::from_secs(20), rx.wait_for(|&n| n >= at_least))
        .await
        .expect("the client gets there")
        .unwrap();
}

fn requests(replay: &Replay) -> Vec<String> {
    replay
        .log
        .lock()
        .unwrap()
        .iter()
        .map(|l| format!("{}?{}", l.path, l.query).trim_end_matches('?').to_owned())
        .collect()
}

#[tokio::test]
async fn a_dropped_stream_is_backfilled_from_the_timeline_without_gap_or_duplicate() {
    let s = recorded();
    let oversized =
        format!("event: update\ndata: {{\"id\":\"1\",\"content\":\"{}\"}}\n\n", "x".repeat(600_000));
    let mut first = vec![
        Step::Post(2),
        Step::Raw(":thump\n\n".into()),
        Step::Post(3),
        Step::Raw("event: update\ndata: {\"id\": \"117440826000000000\", not json\n\n".into()),
        Step::Raw(oversized),
        Step::Post(4),
        Step::Raw(update(&s[3].1)), // a repeat
        Step::Raw(recorded_event("status.update")),
        Step::Raw(recorded_event("notification")),
        Step::Raw(recorded_event("delete")),
    ];
    // Then statuses 5 to 9 are posted while the client is away.
    first.extend((5..=9).map(Step::Publish));
    let second = vec![Step::Post(10), Step::Raw(update(&s[9].1)), Step::Post(11)];
    let (base, replay) = serve(&[0, 1], vec![first, second], vec![]).await;
    let domain = base.trim_start_matches("http://").to_owned();

    let mut streaming = client(&base, Stream::Public, Some(TOKEN));
    streaming.page_limit = 3;
    streaming.late_window = Duration::ZERO;
    let mut client = start(streaming, None);

    let mut expected = posts(2..=4, &domain);
    let edited = |name| {
        let data = recorded_event(name);
        let json = data.split_once("data: ").unwrap().1.trim_end();
        let ParsedStatus::Post(post) = parse_status(json, &domain).unwrap() else { panic!() };
        post
    };
    expected.push(MastodonEvent::Edited { post: edited("status.update") });
    expected.push(MastodonEvent::Deleted { id: StatusId::parse("117440836281096378").unwrap() });
    expected.extend(posts(5..=11, &domain));
    let got = client.take(expected.len()).await;
    assert_eq!(got, expected, "every status once, in order");

    // A third connection, caught up, brings nothing more.
    wait(&replay.connections, 3).await;
    wait(&replay.caught_up, 3).await;
    let stats = client.stats.clone();
    let (cursor, rest) = client.stop().await;
    assert!(rest.is_empty(), "no duplicate: {rest:?}");
    assert_eq!(cursor, Some(id(11)));

    let p = |query: &str| format!("/api/v1/timelines/public?{query}");
    assert_eq!(
        requests(&replay),
        [
            "/api/v1/streaming/public".to_owned(),
            p("limit=1"),
            "/api/v1/streaming/public".to_owned(),
            p(&format!("min_id={}&limit=3", s[4].0)),
            p(&format!("min_id={}&limit=3", s[7].0)),
            p(&format!("min_id={}&limit=3", s[9].0)),
            "/api/v1/streaming/public".to_owned(),
            p(&format!("min_id={}&limit=3", s[11].0)),
        ]
    );
    let bearer = format!("Bearer {TOKEN}");
    assert!(replay.log.lock().unwrap().iter().all(|l| l.authorization.as_deref() == Some(bearer.as_str())));
    assert_eq!(stats.malformed.load(Ordering::Relaxed), 2, "the malformed and the oversized event");
    assert_eq!(stats.delivered.load(Ordering::Relaxed), expected.len() as u64);
    assert_eq!(stats.reconnects.load(Ordering::Relaxed), 2);
    assert!(stats.lag_ms.load(Ordering::Relaxed) > 0);
}

#[tokio::test]
async fn a_restart_from_the_stored_cursor_delivers_only_what_came_after() {
    let s = recorded();
    // Status 2 arrives after status 3, as federated statuses do (their ids follow their
    // publication time, not their arrival).
    let first_run = vec![Step::Post(3), Step::Post(2), Step::Hold];
    // The server misbehaves after the restart: it replays a status older than the cursor and
    // one the backfill already brought.
    let second_run = vec![Step::Raw(update(&s[3].1)), Step::Raw(update(&s[5].1)), Step::Post(7), Step::Hold];
    let (base, replay) = serve(&[0, 1], vec![first_run, second_run], vec![]).await;
    let domain = base.trim_start_matches("http://").to_owned();
    let hashtag = || client(&base, Stream::Hashtag("#hoot".into()), Some(TOKEN));

    let mut client = start(hashtag(), None);
    assert_eq!(client.take(2).await, [post(3, 3, &domain), post(2, 3, &domain)]);
    let (stored, rest) = client.stop().await;
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(stored, Some(id(3)));

    // Statuses 4 to 6 are posted while Tutti is down.
    for i in 4..=6 {
        replay.publish(i);
    }
    let mut client = start(hashtag(), stored);
    assert_eq!(client.take(4).await, posts(4..=7, &domain));
    let (cursor, rest) = client.stop().await;
    assert!(rest.is_empty(), "no duplicate: {rest:?}");
    assert_eq!(cursor, Some(id(7)));

    let t = |query: &str| format!("/api/v1/timelines/tag/hoot?{query}");
    assert_eq!(
        requests(&replay),
        [
            "/api/v1/streaming/hashtag?tag=hoot".to_owned(),
            t("limit=1"),
            "/api/v1/streaming/hashtag?tag=hoot".to_owned(),
            t(&format!("min_id={}&limit=40", s[3].0)),
            t(&format!("min_id={}&limit=40", s[6].0)),
        ]
    );
}

#[tokio::test]
async fn a_rate_limited_client_waits_as_long_as_asked_and_sends_no_token_it_was_not_given() {
    let s = recorded();
    // The first timeline request is answered 429 Retry-After: 1.
    let (base, replay) =
        serve(&[0, 1], vec![vec![Step::Hold], vec![Step::Post(2), Step::Hold]], vec![1]).await;
    let domain = base.trim_start_matches("http://").to_owned();

    let mut client = start(client(&base, Stream::PublicLocal, None), Some(id(0)));
    assert_eq!(client.take(2).await, posts(1..=2, &domain));
    let stats = client.stats.clone();
    let (cursor, rest) = client.stop().await;
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(cursor, Some(id(2)));

    let p = |min: usize| format!("/api/v1/timelines/public?local=true&min_id={}&limit=40", s[min].0);
    assert_eq!(
        requests(&replay),
        [
            "/api/v1/streaming/public/local".to_owned(),
            p(0), // 429
            "/api/v1/streaming/public/local".to_owned(),
            p(0),
            p(1),
        ]
    );
    let log = replay.log.lock().unwrap().clone();
    assert!(log.iter().all(|l| !l.early), "no request before the asked delay: {log:?}");
    assert!(log.iter().all(|l| l.authorization.is_none()), "{log:?}");
    assert_eq!(stats.rate_limited.load(Ordering::Relaxed), 1);
    assert_eq!(stats.reconnects.load(Ordering::Relaxed), 1);
}
