//! The Mastodon connector through the network-neutral `Connector` trait, against a local server
//! answering with responses recorded from a real Mastodon 4 instance (`tests/data/publishing.json`):
//! publishing with an idempotency key, a post's engagement, the account's counts, reposting,
//! and notifications in neutral terms (a reply told from a mention, favourites as likes).

use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};
use tutti_connector::{
    Connector, ConnectorError, Engagement, Network, NotificationKind, OutgoingPost, PostRef, ProfileCounts,
};
use tutti_mastodon::MastodonClient;

const RECORDED: &str = include_str!("data/publishing.json");
const TOKEN: &str = "test-token";
/// The account of the recorded answers.
const ACCOUNT_ID: &str = "117440810532227399";
/// The recorded status that was favourited once.
const FAVOURITED: &str = "117440831328347550";

fn recorded(name: &str) -> Value {
    let all: Value = serde_json::from_str(RECORDED).unwrap();
    let response = all[name]["response"].clone();
    assert!(response.is_object(), "no recorded exchange {name}");
    response
}

fn reply(status: u16, headers: &Value, body: &Value) -> Response {
    let mut builder = Response::builder().status(status);
    for (key, value) in headers.as_object().into_iter().flatten() {
        builder = builder.header(key.as_str(), value.as_str().unwrap());
    }
    builder
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn replay(name: &str) -> Response {
    let r = recorded(name);
    reply(r["status"].as_u64().unwrap() as u16, &r["headers"], &r["body"])
}

/// The notifications served: the recorded follow and mention pages, and, written here from the
/// recorded mention (the cassettes hold no v1 favourite, reblog or reply notifications), a
/// reply to the account's own status and a favourite and a reblog of it.
fn notifications() -> Value {
    let mention = recorded("notifications_mention")["body"][0].clone();
    let mut answer = mention.clone();
    answer["id"] = json!("21");
    answer["status"]["in_reply_to_id"] = json!(FAVOURITED);
    answer["status"]["in_reply_to_account_id"] = json!(ACCOUNT_ID);
    let own = recorded("favourited")["body"].clone();
    let favourite = json!({ "id": "22", "type": "favourite", "created_at": mention["created_at"],
                                "account": mention["account"], "status": own });
    let mut reblog = favourite.clone();
    reblog["id"] = json!("23");
    reblog["type"] = json!("reblog");
    let mut all = recorded("notifications_follow")["body"].as_array().unwrap().clone();
    all.extend([mention, answer, favourite, reblog]);
    // Newest first, as Mastodon sends them.
    all.reverse();
    Value::Array(all)
}

#[derive(Default)]
struct Fake {
    /// Method, path and query of every request.
    log: Mutex<Vec<(String, String, String)>>,
    /// The idempotency keys of the statuses posted.
    keys: Mutex<Vec<String>>,
}

async fn handle(State(fake): State<Arc<Fake>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let _ = to_bytes(body, 1024 * 1024).await.unwrap();
    let (method, path) = (parts.method.to_string(), parts.uri.path().to_owned());
    let query = parts.uri.query().unwrap_or("").to_owned();
    fake.log.lock().unwrap().push((method.clone(), path.clone(), query.clone()));
    if parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {TOKEN}"))
    {
        return replay("token_invalid");
    }
    match (method.as_str(), path.as_str()) {
        ("GET", "/api/v2/instance") => replay("instance"),
        ("GET", "/api/v1/accounts/verify_credentials") => replay("verify_credentials"),
        ("POST", "/api/v1/statuses") => {
            let key = parts.headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("");
            fake.keys.lock().unwrap().push(key.to_owned());
            replay("status_created")
        }
        ("GET", p) if p == format!("/api/v1/statuses/{FAVOURITED}") => replay("favourited"),
        ("POST", "/api/v1/statuses/117440831307448422/reblog") => replay("reblogged"),
        ("GET", "/api/v1/notifications") if query.contains("min_id=23") => reply(200, &json!({}), &json!([])),
        ("GET", "/api/v1/notifications") => reply(200, &json!({}), &notifications()),
        _ => replay("not_found"),
    }
}

async fn serve() -> (Arc<Fake>, Box<dyn Connector>) {
    let fake = Arc::new(Fake::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = Router::new().fallback(handle).with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = MastodonClient::new(&format!("http://{address}"), TOKEN).unwrap();
    (fake, Box::new(client))
}

#[tokio::test]
async fn publishing_and_engagement_through_the_trait() {
    let (fake, mastodon) = serve().await;
    assert_eq!(mastodon.network(), Network::Mastodon);

    let post = OutgoingPost { langs: vec!["en".into(), "fr".into()], ..OutgoingPost::new("Toot!") };
    let published = mastodon.publish(&post, "key-1").await.unwrap();
    assert_eq!(published.post, PostRef { id: "117440831243989713".into(), cid: None });
    assert_eq!(published.url, "http://localhost:3000/@mastodonpy_test/117440831243989713");
    assert_eq!(*fake.keys.lock().unwrap(), ["key-1"]);
    // Within the key's hour, reconciling repeats the request with the same key.
    let again = mastodon.reconcile(&post, "key-1", chrono::Utc::now()).await.unwrap();
    assert_eq!(again, Some(published));
    assert_eq!(*fake.keys.lock().unwrap(), ["key-1", "key-1"]);

    // A reply names its parent by status id; anything else is refused before any request.
    let bad = OutgoingPost { reply_to: Some(PostRef::id("at://did:plc:x/app.bsky.feed.post/1")), ..post };
    assert!(matches!(mastodon.publish(&bad, "key-2").await, Err(ConnectorError::Permanent(_))));
    assert_eq!(fake.keys.lock().unwrap().len(), 2);

    let engagement = mastodon.engagement(&PostRef::id(FAVOURITED)).await.unwrap();
    assert_eq!(engagement, Engagement { replies: 0, reposts: 0, likes: 1, quotes: Some(0) });
    assert_eq!(
        mastodon.profile_counts().await.unwrap(),
        ProfileCounts { followers: 0, following: 0, posts: 0 }
    );
    let reblog = mastodon.repost(&PostRef::id("117440831307448422")).await.unwrap();
    assert_eq!(reblog, PostRef::id("117440831312204861"));
}

#[tokio::test]
async fn notifications_are_mapped_to_neutral_kinds() {
    let (fake, mastodon) = serve().await;
    let (found, cursor) = mastodon.notifications(None).await.unwrap();
    let summary: Vec<(&str, NotificationKind, &str, &str, Option<&str>)> = found
        .iter()
        .map(|n| {
            (
                n.id.as_str(),
                n.kind.clone(),
                n.author_handle.as_str(),
                n.author_id.as_str(),
                n.post.as_ref().map(|p| p.id.as_str()),
            )
        })
        .collect();
    let admin = "117440810233042393";
    let mention = "117440821662233205";
    assert_eq!(
        summary,
        [
            (
                "2",
                NotificationKind::Other("admin.sign_up".into()),
                "admin2@localhost:3000",
                "117440810388717507",
                None
            ),
            (
                "3",
                NotificationKind::Other("admin.sign_up".into()),
                "mastodonpy_test@localhost:3000",
                ACCOUNT_ID,
                None
            ),
            (
                "5",
                NotificationKind::Other("admin.sign_up".into()),
                "mastodonpy_test_2@localhost:3000",
                "117440810673731823",
                None
            ),
            ("10", NotificationKind::Follow, "mastodonpy_test@localhost:3000", ACCOUNT_ID, None),
            ("20", NotificationKind::Mention, "admin@localhost:3000", admin, Some(mention)),
            ("21", NotificationKind::Reply, "admin@localhost:3000", admin, Some(mention)),
            ("22", NotificationKind::Like, "admin@localhost:3000", admin, Some(FAVOURITED)),
            ("23", NotificationKind::Repost, "admin@localhost:3000", admin, Some(FAVOURITED)),
        ]
    );
    assert_eq!(found[4].text.as_deref(), Some("@mastodonpy_test hello!"));
    assert_eq!(found[5].text.as_deref(), Some("@mastodonpy_test hello!"));
    assert_eq!(found[6].text, None);
    assert_eq!(cursor.as_deref(), Some("23"));

    // Nothing newer: the same cursor back.
    assert_eq!(mastodon.notifications(Some("23")).await.unwrap(), (Vec::new(), Some("23".into())));
    assert!(matches!(mastodon.notifications(Some("../x")).await, Err(ConnectorError::Permanent(_))));

    let asked: Vec<_> =
        fake.log.lock().unwrap().iter().filter(|(_, p, _)| p == "/api/v1/notifications").cloned().collect();
    assert_eq!(asked.len(), 2);
    for kind in ["mention", "favourite", "reblog", "follow", "quote"] {
        assert!(asked[0].2.contains(&format!("types%5B%5D={kind}")), "{:?}", asked[0].2);
    }
    assert!(asked[1].2.contains("min_id=23"), "{:?}", asked[1].2);
}
