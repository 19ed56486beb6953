//! The publishing connector against a local server that answers with responses recorded from a
//! real Mastodon 4 instance (`tests/data/publishing.json`): what Tutti sends (token, JSON body,
//! `Idempotency-Key`, multipart uploads with their alt text), a retry after a lost answer
//! creating exactly one status, rate limits, validation errors, media still processing, and
//! the reads later features rely on.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tutti_connector::{Connector, ConnectorError, RateLimit};
use tutti_mastodon::{
    InstanceLimits, MastodonClient, NewMedia, NewPoll, NewStatus, NotificationKind, Reconciled, StatusId,
    Visibility,
};

const RECORDED: &str = include_str!("data/publishing.json");
const TOKEN: &str = "test-token";
/// The account of the recorded answers.
const ACCOUNT_ID: &str = "117440810532227399";
/// The media attachment of the recorded upload.
const MEDIA_ID: &str = "117440819877733537";

fn recorded(name: &str) -> Value {
    let all: Value = serde_json::from_str(RECORDED).unwrap();
    let exchange = all[name].clone();
    assert!(exchange.is_object(), "no recorded exchange {name}");
    exchange
}

fn recorded_body(name: &str) -> Value {
    recorded(name)["response"]["body"].clone()
}

/// A recorded answer, as the instance sent it: status, headers, body.
fn replay(name: &str) -> Response {
    let response = recorded(name)["response"].clone();
    let mut builder = Response::builder().status(response["status"].as_u64().unwrap() as u16);
    for (key, value) in response["headers"].as_object().unwrap() {
        builder = builder.header(key.as_str(), value.as_str().unwrap());
    }
    builder.body(Body::from(response["body"].to_string())).unwrap()
}

/// How the server answers the next `POST /api/v1/statuses` whose key it has not seen.
#[derive(Debug, Clone)]
enum Answer {
    /// Create the status, remember its key, and answer with this recorded status.
    Create(&'static str),
    /// Create the status and remember its key, then never answer: the answer is lost.
    CreateThenHang(&'static str),
    /// Answer with this recorded exchange, creating nothing.
    Replay(&'static str),
    /// `429 Too Many Requests` with `Retry-After: 1`, creating nothing. (No 429 was recorded;
    /// the headers are those Mastodon sends with one.)
    TooMany,
}

#[derive(Debug, Clone)]
struct Logged {
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Logged {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Fake {
    log: Mutex<Vec<Logged>>,
    /// Scripted answers to new statuses, in order; `Create("status_created")` when empty.
    answers: Mutex<VecDeque<Answer>>,
    /// The statuses created: the request body of each.
    created: Mutex<Vec<Value>>,
    /// What each idempotency key created: the status to answer with again.
    by_key: Mutex<HashMap<String, Value>>,
    /// How many more times `GET /api/v1/media/:id` answers "still processing".
    processing_polls: Mutex<u32>,
    /// Recorded notification pages to serve, in order.
    notifications: Mutex<VecDeque<&'static str>>,
}

impl Fake {
    fn new() -> Arc<Fake> {
        Arc::new(Fake::default())
    }

    fn script(&self, answers: &[Answer]) {
        self.answers.lock().unwrap().extend(answers.iter().cloned());
    }

    fn log(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }

    fn requests(&self, method: Method, path: &str) -> Vec<Logged> {
        self.log().into_iter().filter(|r| r.method == method && r.path == path).collect()
    }

    fn created(&self) -> Vec<Value> {
        self.created.lock().unwrap().clone()
    }

    fn post_status(&self, request: &Logged) -> Option<Response> {
        let key = request.header("idempotency-key").map(str::to_owned);
        if let Some(status) = key.as_ref().and_then(|k| self.by_key.lock().unwrap().get(k).cloned()) {
            // Mastodon's answer to a key it has seen: the status that key created.
            return Some(json_response(StatusCode::OK, &status));
        }
        let answer = self.answers.lock().unwrap().pop_front().unwrap_or(Answer::Create("status_created"));
        let create = |name: &str| {
            let status = recorded_body(name);
            self.created.lock().unwrap().push(request.json());
            if let Some(key) = key.clone() {
                self.by_key.lock().unwrap().insert(key, status);
            }
        };
        match answer {
            Answer::Create(name) => {
                create(name);
                Some(replay(name))
            }
            Answer::CreateThenHang(name) => {
                create(name);
                None
            }
            Answer::Replay(name) => Some(replay(name)),
            Answer::TooMany => Some(
                Response::builder()
                    .status(StatusCode::TOO_MANY_REQUESTS)
                    .header("retry-after", "1")
                    .header("x-ratelimit-limit", "300")
                    .header("x-ratelimit-remaining", "0")
                    .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
                    .body(Body::from(r#"{"error":"Too many requests"}"#))
                    .unwrap(),
            ),
        }
    }

    /// The answer to a request, or `None` to never answer.
    fn answer(&self, request: &Logged) -> Option<Response> {
        if request.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return Some(replay("token_invalid"));
        }
        let page = |name: &str| Some(replay(name));
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/api/v2/instance") => page("instance"),
            ("GET", "/api/v1/accounts/verify_credentials") => page("verify_credentials"),
            ("POST", "/api/v1/statuses") => self.post_status(request),
            ("POST", "/api/v2/media") => page("media_accepted"),
            ("GET", path) if path == format!("/api/v1/media/{MEDIA_ID}") => {
                let mut polls = self.processing_polls.lock().unwrap();
                if *polls > 0 {
                    *polls -= 1;
                    page("media_still_processing")
                } else {
                    page("media_processed")
                }
            }
            ("GET", path) if path == format!("/api/v1/accounts/{ACCOUNT_ID}/statuses") => {
                if request.query.contains("max_id=117440824995689268") {
                    page("account_statuses_older")
                } else if request.query.contains("max_id=") {
                    Some(json_response(StatusCode::OK, &json!([])))
                } else {
                    page("account_statuses")
                }
            }
            ("GET", "/api/v1/statuses/117440831328347550") => page("favourited"),
            ("POST", "/api/v1/statuses/117440831328347550/favourite") => page("favourited"),
            ("POST", "/api/v1/statuses/117440831307448422/reblog") => page("reblogged"),
            ("DELETE", "/api/v1/statuses/117440831328347550") => page("deleted"),
            ("GET", "/api/v1/notifications") => {
                let name = self.notifications.lock().unwrap().pop_front().unwrap();
                page(name)
            }
            _ => page("not_found"),
        }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn handle(State(fake): State<Arc<Fake>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let logged = Logged {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts.headers,
        body: to_bytes(body, 64 * 1024 * 1024).await.unwrap(),
    };
    fake.log.lock().unwrap().push(logged.clone());
    match fake.answer(&logged) {
        Some(response) => response,
        // The status is created but its answer is lost: hold the request until the client
        // gives up.
        None => std::future::pending().await,
    }
}

/// Serves `fake` on a port of its own; returns the instance's address.
async fn serve(fake: &Arc<Fake>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = Router::new().fallback(handle).with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

fn client(url: &str) -> MastodonClient {
    let mut client = MastodonClient::new(url, TOKEN, &local()).unwrap();
    client.media_poll_interval = Duration::from_millis(1);
    client
}

fn cat_video() -> NewMedia {
    NewMedia {
        bytes: b"\x00\x00\x00\x18ftypmp42 a very short video".to_vec(),
        mime_type: "video/mp4".into(),
        description: "me when a cat".into(),
        file_name: Some("cat.mp4".into()),
    }
}

/// The parts of a multipart body: each part's headers and content.
fn multipart_parts(content_type: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let boundary = content_type.split("boundary=").nth(1).unwrap();
    let delimiter = format!("--{boundary}");
    let text = body.to_vec();
    let mut parts = Vec::new();
    let positions: Vec<usize> = text
        .windows(delimiter.len())
        .enumerate()
        .filter(|(_, w)| *w == delimiter.as_bytes())
        .map(|(i, _)| i)
        .collect();
    assert!(text.ends_with(format!("{delimiter}--\r\n").as_bytes()));
    for pair in positions.windows(2) {
        let part = &text[pair[0] + delimiter.len() + 2..pair[1] - 2];
        let split = part.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        parts.push((String::from_utf8(part[..split].to_vec()).unwrap(), part[split + 4..].to_vec()));
    }
    parts
}

#[tokio::test]
async fn a_status_goes_out_with_the_token_its_key_and_every_field() {
    let fake = Fake::new();
    let url = serve(&fake).await;
    let client = client(&url);
    let post = NewStatus {
        spoiler_text: Some("Content warning".into()),
        language: Some("en".into()),
        visibility: Some(Visibility::Unlisted),
        in_reply_to_id: StatusId::parse("117440831176894179"),
        ..NewStatus::new("Toot! @alice@example.social https://example.com/a/long/link")
    };
    let published = client.publish(&post, "0b9e6d0c-5a5e-4c1e-9d8e-3f0a1b2c3d4e").await.unwrap();

    // The recorded status's identity.
    assert_eq!(published.id.as_str(), "117440831243989713");
    assert_eq!(
        published.uri,
        "http://localhost:3000/ap/users/117440810532227399/statuses/117440831243989713"
    );
    assert_eq!(published.url.as_deref(), Some("http://localhost:3000/@mastodonpy_test/117440831243989713"));

    // The limits were read first, then the status sent once.
    let log = fake.log();
    let paths: Vec<_> = log.iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(paths, ["GET /api/v2/instance", "POST /api/v1/statuses"]);
    for request in &log {
        assert_eq!(request.header("authorization"), Some("Bearer test-token"));
    }
    let sent = &log[1];
    assert_eq!(sent.header("idempotency-key"), Some("0b9e6d0c-5a5e-4c1e-9d8e-3f0a1b2c3d4e"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.json(),
        json!({
            "status": "Toot! @alice@example.social https://example.com/a/long/link",
            "sensitive": false,
            "spoiler_text": "Content warning",
            "visibility": "unlisted",
            "language": "en",
            "in_reply_to_id": "117440831176894179",
        })
    );
    // The recorded answer's rate-limit headers.
    let reset = DateTime::parse_from_rfc3339("2026-10-14T21:00:00Z").unwrap().timestamp();
    assert_eq!(
        client.last_rate_limit(),
        Some(RateLimit { limit: Some(300), remaining: Some(213), reset_at_unix: Some(reset) })
    );

    // The limits are cached: a second status is sent without asking again.
    client.publish(&NewStatus::new("again"), "second-key").await.unwrap();
    assert_eq!(fake.requests(Method::GET, "/api/v2/instance").len(), 1);
    assert_eq!(fake.created().len(), 2);
}

#[tokio::test]
async fn a_retry_after_a_lost_answer_yields_exactly_one_status() {
    let fake = Fake::new();
    fake.script(&[Answer::CreateThenHang("status_created")]);
    let url = serve(&fake).await;
    let post = NewStatus::new("Toot!");
    let key = "4f7d2c1e-idempotency";

    // The first attempt: the instance creates the status, the answer never comes.
    let mut impatient = client(&url);
    impatient.request_timeout = Duration::from_millis(300);
    let error = impatient.publish(&post, key).await.unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Transient(why) if why.contains("same idempotency key")),
        "{error:?}"
    );
    assert_eq!(fake.created().len(), 1);

    // The retry (here from a fresh client, as after a restart) sends the same request with
    // the same key, and gets the status the first attempt created.
    let retried = client(&url).publish(&post, key).await.unwrap();
    assert_eq!(retried.id.as_str(), "117440831243989713");

    let posts = fake.requests(Method::POST, "/api/v1/statuses");
    assert_eq!(posts.len(), 2);
    assert!(posts.iter().all(|p| p.header("idempotency-key") == Some(key)));
    assert_eq!(posts[0].body, posts[1].body);
    assert_eq!(fake.created().len(), 1, "exactly one status on the instance");

    // Reconciling does the same while the key lives: one status still.
    let reconciled = client(&url).reconcile(&post, key, Utc::now()).await.unwrap();
    assert!(matches!(&reconciled, Reconciled::Published(s) if s.id == retried.id), "{reconciled:?}");
    assert_eq!(fake.requests(Method::POST, "/api/v1/statuses").len(), 3);
    assert_eq!(fake.created().len(), 1);
}

#[tokio::test]
async fn after_the_key_expired_reconciling_looks_among_the_recent_statuses() {
    let fake = Fake::new();
    let url = serve(&fake).await;
    let client = client(&url);
    // The recorded statuses ("Toot number 0!" … "9!") were posted at 19:06:15–16 on
    // 2026-10-14: a first attempt just before them is long past the key's hour.
    let sent_at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);

    let found = client
        .reconcile(&NewStatus::new("Toot number 2!"), "expired-key", sent_at("2026-10-14T19:06:00Z"))
        .await
        .unwrap();
    let Reconciled::Published(status) = found else { panic!("not found: {found:?}") };
    assert_eq!(status.id.as_str(), "117440824981397045");
    assert_eq!(status.url.as_deref(), Some("http://localhost:3000/@mastodonpy_test/117440824981397045"));
    // Never sent again: the key has expired and a repeat could post twice.
    assert!(fake.requests(Method::POST, "/api/v1/statuses").is_empty());
    let pages = fake.requests(Method::GET, &format!("/api/v1/accounts/{ACCOUNT_ID}/statuses"));
    assert_eq!(pages.len(), 2);
    assert!(pages[0].query.contains("limit=40") && pages[0].query.contains("exclude_reblogs=true"));
    assert!(pages[1].query.contains("max_id=117440824995689268"));

    // A status that is not there: every page since the first attempt is read, then NotFound.
    let missing = client
        .reconcile(&NewStatus::new("Toot number 42!"), "expired-key", sent_at("2026-10-14T19:06:00Z"))
        .await
        .unwrap();
    assert_eq!(missing, Reconciled::NotFound);
    // Statuses older than the first attempt end the search without reading further.
    let before = fake.log().len();
    let none = client.find_recent("Toot number 2!", sent_at("2026-10-14T19:10:00Z")).await.unwrap();
    assert_eq!(none, None);
    assert_eq!(fake.log().len(), before + 1);
    // The account was looked up once.
    assert_eq!(fake.requests(Method::GET, "/api/v1/accounts/verify_credentials").len(), 1);
}

#[tokio::test]
async fn a_rate_limit_is_reported_with_the_wait_it_asks_for() {
    let fake = Fake::new();
    fake.script(&[Answer::TooMany]);
    let url = serve(&fake).await;
    let client = client(&url).with_limits(InstanceLimits::default());
    let error = client.publish(&NewStatus::new("Toot!"), "rate-limited-key").await.unwrap_err();
    assert_eq!(error, ConnectorError::RateLimited { retry_after_secs: 1 });
    assert_eq!(
        client.last_rate_limit(),
        Some(RateLimit { limit: Some(300), remaining: Some(0), reset_at_unix: None })
    );
    assert!(fake.created().is_empty());
}

#[tokio::test]
async fn a_validation_error_surfaces_the_instance_message() {
    let fake = Fake::new();
    fake.script(&[Answer::Replay("status_too_long")]);
    let url = serve(&fake).await;
    let client = client(&url);
    let error = client.publish(&NewStatus::new("a".repeat(400)), "refused-key").await.unwrap_err();
    assert_eq!(
        error,
        ConnectorError::Permanent(
            "Gültigkeitsprüfung ist fehlgeschlagen: Text Begrenzung von 500 Zeichen überschritten".into()
        )
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn an_over_long_status_is_refused_before_any_request() {
    let fake = Fake::new();
    let url = serve(&fake).await;

    // Limits already known: nothing at all is sent.
    let known = client(&url).with_limits(InstanceLimits::default());
    let error = known.publish(&NewStatus::new("a".repeat(501)), "too-long").await.unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Permanent(why) if why.contains("501") && why.contains("at most 500"))
    );
    assert!(fake.log().is_empty());

    // Limits not known yet: only the instance's description is read.
    let fresh = client(&url);
    let media = NewStatus { media: vec![cat_video()], ..NewStatus::new("a".repeat(501)) };
    assert!(matches!(fresh.publish(&media, "too-long").await, Err(ConnectorError::Permanent(_))));
    let paths: Vec<_> = fake.log().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/api/v2/instance"]);

    // Links count as 23 characters: 20 links of about 100 characters fit in 500.
    let links: Vec<String> =
        (0..20).map(|i| format!("https://example.com/{i:02}/{}", "x".repeat(80))).collect();
    let text = links.join(" ");
    assert!(text.chars().count() > 2_000);
    fresh.publish(&NewStatus::new(text.clone()), "links").await.unwrap();
    assert_eq!(fake.requests(Method::POST, "/api/v1/statuses")[0].json()["status"], json!(text));
}

#[tokio::test]
async fn media_are_uploaded_with_their_description_and_awaited_until_processed() {
    let fake = Fake::new();
    *fake.processing_polls.lock().unwrap() = 2;
    fake.script(&[Answer::Create("status_with_media")]);
    let url = serve(&fake).await;
    let client = client(&url);
    let post =
        NewStatus { sensitive: true, media: vec![cat_video()], ..NewStatus::new("LOL check this out") };
    let published = client.publish(&post, "media-key").await.unwrap();
    assert_eq!(published.id.as_str(), "117440821197397638");

    let paths: Vec<_> = fake.log().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    let poll = format!("GET /api/v1/media/{MEDIA_ID}");
    assert_eq!(
        paths,
        ["GET /api/v2/instance", "POST /api/v2/media", &poll, &poll, &poll, "POST /api/v1/statuses"]
    );

    let upload = &fake.requests(Method::POST, "/api/v2/media")[0];
    assert_eq!(upload.header("authorization"), Some("Bearer test-token"));
    assert!(upload.header("idempotency-key").is_none());
    let parts = multipart_parts(upload.header("content-type").unwrap(), &upload.body);
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].0, "Content-Disposition: form-data; name=\"description\"");
    assert_eq!(parts[0].1, b"me when a cat");
    assert_eq!(
        parts[1].0,
        "Content-Disposition: form-data; name=\"file\"; filename=\"cat.mp4\"\r\nContent-Type: video/mp4"
    );
    assert_eq!(parts[1].1, cat_video().bytes);

    let status = fake.requests(Method::POST, "/api/v1/statuses")[0].json();
    assert_eq!(status["media_ids"], json!([MEDIA_ID]));
    assert_eq!(status["sensitive"], json!(true));
}

#[tokio::test]
async fn media_still_processing_past_the_bound_fail_the_publication_transiently() {
    let fake = Fake::new();
    *fake.processing_polls.lock().unwrap() = u32::MAX;
    let url = serve(&fake).await;
    let mut client = client(&url).with_limits(InstanceLimits::default());
    client.media_processing_timeout = Duration::from_millis(50);
    let post = NewStatus { media: vec![cat_video()], ..NewStatus::new("") };
    let error = client.publish(&post, "slow-media").await.unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Transient(why) if why.contains(MEDIA_ID) && why.contains("still being processed")),
        "{error:?}"
    );
    assert!(!fake.requests(Method::GET, &format!("/api/v1/media/{MEDIA_ID}")).is_empty());
    assert!(fake.requests(Method::POST, "/api/v1/statuses").is_empty());
}

#[tokio::test]
async fn a_poll_is_sent_with_its_choices_and_duration() {
    let fake = Fake::new();
    fake.script(&[Answer::Create("status_with_poll")]);
    let url = serve(&fake).await;
    let client = client(&url);
    let post = NewStatus {
        poll: Some(NewPoll {
            options: vec!["four twenty".into(), "sixty-nine".into()],
            expires_in: Duration::from_secs(300),
            multiple: true,
            hide_totals: false,
        }),
        ..NewStatus::new("nice")
    };
    let published = client.publish(&post, "poll-key").await.unwrap();
    assert_eq!(published.id.as_str(), "117440826170289495");
    assert_eq!(
        fake.requests(Method::POST, "/api/v1/statuses")[0].json()["poll"],
        json!({ "options": ["four twenty", "sixty-nine"], "expires_in": 300, "multiple": true, "hide_totals": false })
    );
}

#[tokio::test]
async fn the_connector_verifies_the_account_and_reports_a_refused_token() {
    let fake = Fake::new();
    let url = serve(&fake).await;
    let connector: Box<dyn Connector> = Box::new(client(&url));
    assert_eq!(connector.network(), tutti_connector::Network::Mastodon);
    let me = connector.verify().await.unwrap();
    assert_eq!((me.handle.as_str(), me.display_name.as_deref()), ("@mastodonpy_test@localhost:3000", None));
    assert!(!me.account_id.is_empty() && me.account_id.bytes().all(|b| b.is_ascii_digit()), "{me:?}");

    let revoked = MastodonClient::new(&url, "revoked-token", &local()).unwrap();
    assert_eq!(
        revoked.verify().await.unwrap_err(),
        ConnectorError::Unauthorized("The access token is invalid".into())
    );
    let error = revoked.publish(&NewStatus::new("Toot!"), "k").await.unwrap_err();
    assert!(matches!(error, ConnectorError::Unauthorized(_)), "{error:?}");
}

#[tokio::test]
async fn interactions_counts_and_notifications_are_read() {
    let fake = Fake::new();
    fake.notifications.lock().unwrap().extend(["notifications_mention", "notifications_follow"]);
    let url = serve(&fake).await;
    let client = client(&url);
    let own = StatusId::parse("117440831328347550").unwrap();

    client.favourite(&own).await.unwrap();
    client.reblog(&StatusId::parse("117440831307448422").unwrap()).await.unwrap();
    let counts = client.status_counts(&own).await.unwrap();
    assert_eq!((counts.replies, counts.reblogs, counts.favourites), (0, 0, 1));
    client.delete(&own).await.unwrap();
    // Already gone (the recorded 404): deleted all the same.
    client.delete(&StatusId::parse("117440834327875693").unwrap()).await.unwrap();
    // Other failures are reported.
    assert!(matches!(
        client.favourite(&StatusId::parse("404").unwrap()).await,
        Err(ConnectorError::Permanent(why)) if why == "Record not found"
    ));

    let newest = client.notifications(None).await.unwrap();
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].kind, NotificationKind::Mention);
    // Local accounts get the instance's domain, as their handles have it.
    assert_eq!(newest[0].account, "admin@localhost:3000");
    assert_eq!(newest[0].status.as_ref().unwrap().text, "@mastodonpy_test hello!");

    let next = client.notifications(Some("1")).await.unwrap();
    let ids: Vec<_> = next.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["2", "3", "5", "10"], "oldest first");
    assert_eq!(next[3].kind, NotificationKind::Follow);
    assert_eq!(next[3].display_name, "John Lennon");
    assert_eq!(next[0].kind, NotificationKind::Other("admin.sign_up".into()));

    let asked = fake.requests(Method::GET, "/api/v1/notifications");
    for request in &asked {
        for kind in ["mention", "favourite", "reblog", "follow"] {
            assert!(request.query.contains(&format!("types%5B%5D={kind}")), "{}", request.query);
        }
    }
    assert!(!asked[0].query.contains("min_id"));
    assert!(asked[1].query.contains("min_id=1"));
}

/// The outbound policy of these tests: public addresses, and the fake instances they start on
/// the loopback.
fn local() -> tutti_outbound::Outbound {
    tutti_outbound::Outbound::allowing(["127.0.0.1".parse().unwrap()])
}

#[tokio::test]
async fn an_instance_on_a_private_address_is_not_called_unless_the_operator_allows_it() {
    let fake = Arc::new(Fake::default());
    let url = serve(&fake).await;
    let strict = tutti_outbound::Outbound::strict();
    for instance in [url.clone(), url.replace("127.0.0.1", "localhost")] {
        let client = MastodonClient::new(&instance, TOKEN, &strict).unwrap();
        match client.verify_credentials().await {
            Err(ConnectorError::Permanent(why)) => assert!(why.contains("outbound policy"), "{why}"),
            other => panic!("{instance}: {other:?}"),
        }
    }
    assert!(fake.log.lock().unwrap().is_empty(), "the instance was never reached");
}
