//! The Mastodon connector through the network-neutral `Connector` trait, against a local server
//! answering with responses recorded from a real Mastodon 4 instance (`tests/data/publishing.json`):
//! publishing with an idempotency key, a post's engagement, the account's counts, reposting,
//! notifications in neutral terms (a reply told from a mention, favourites as likes, a quote
//! and its subject), and moderation: mutes, blocks and reports as Mastodon's API takes them,
//! hiding a reply refused as unsupported.

use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};
use tutti_connector::{
    Connector, ConnectorError, Engagement, Network, NotificationKind, OutgoingPost, PostRef, ProfileCounts,
    ReportReason, ReportSubject,
};
use tutti_mastodon::MastodonClient;

const RECORDED: &str = include_str!("data/publishing.json");
const STATUSES: &str = include_str!("data/statuses.json");
/// The account muted, blocked and reported in the recorded exchanges.
const OTHER: &str = "109440137501589086";
/// The recorded status that quotes one of the account's.
const QUOTING: &str = "117440826460199151";
const QUOTED: &str = "117440826455183695";
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
    let statuses: Vec<Value> = serde_json::from_str(STATUSES).unwrap();
    let quoting = statuses.into_iter().find(|s| s["id"] == QUOTING).unwrap();
    let quote = json!({ "id": "24", "type": "quote", "created_at": quoting["created_at"],
                        "account": quoting["account"], "status": quoting });
    // Hostile: control and reordering characters in the name and the text.
    let mut hostile = mention.clone();
    hostile["id"] = json!("25");
    hostile["account"]["display_name"] = json!("Ev\u{202E}il\u{0}\nName");
    hostile["status"]["content"] = json!("<p>line one\u{1b}[2J<br>line two\u{2066}</p>");
    let mut all = recorded("notifications_follow")["body"].as_array().unwrap().clone();
    all.extend([mention, answer, favourite, reblog, quote, hostile]);
    // Newest first, as Mastodon sends them.
    all.reverse();
    Value::Array(all)
}

#[derive(Default)]
struct Fake {
    /// Method, path and query of every request.
    log: Mutex<Vec<(String, String, String)>>,
    /// Path and JSON body of every request that had one.
    bodies: Mutex<Vec<(String, Value)>>,
    /// The idempotency keys of the statuses posted.
    keys: Mutex<Vec<String>>,
}

async fn handle(State(fake): State<Arc<Fake>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 1024 * 1024).await.unwrap();
    let (method, path) = (parts.method.to_string(), parts.uri.path().to_owned());
    if let Ok(json) = serde_json::from_slice::<Value>(&body) {
        fake.bodies.lock().unwrap().push((path.clone(), json));
    }
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
        ("POST", p) if p == format!("/api/v1/accounts/{OTHER}/mute") => replay("muted"),
        ("POST", p) if p == format!("/api/v1/accounts/{OTHER}/unmute") => replay("unmuted"),
        ("POST", p) if p == format!("/api/v1/accounts/{OTHER}/block") => replay("blocked"),
        ("POST", p) if p == format!("/api/v1/accounts/{OTHER}/unblock") => replay("unblocked"),
        ("POST", "/api/v1/reports") => replay("reported"),
        ("GET", "/api/v1/notifications") if query.contains("min_id=25") => reply(200, &json!({}), &json!([])),
        // A page of nothing but malformed notifications, after 25.
        ("GET", "/api/v1/notifications") if query.contains("min_id=24") => {
            reply(200, &json!({}), &json!([{ "id": "25", "type": "mention" }, { "id": "../26" }]))
        }
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
    let client = MastodonClient::new(
        &format!("http://{address}"),
        TOKEN,
        &tutti_outbound::Outbound::allowing([address.to_string().parse().unwrap()]),
    )
    .unwrap();
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
            ("24", NotificationKind::Quote, "mastodonpy_test@localhost:3000", ACCOUNT_ID, Some(QUOTING)),
            ("25", NotificationKind::Mention, "admin@localhost:3000", admin, Some(mention)),
        ]
    );
    let (mention_n, reply_n, like_n, repost_n, quote_n, hostile_n) =
        (&found[4], &found[5], &found[6], &found[7], &found[8], &found[9]);
    assert_eq!(mention_n.text.as_deref(), Some("@mastodonpy_test hello!"));
    assert_eq!((mention_n.lang.as_deref(), mention_n.author_name.as_deref()), (Some("en"), None));
    assert_eq!((&mention_n.reply_parent, &mention_n.subject), (&None, &None));
    assert_eq!(reply_n.text.as_deref(), Some("@mastodonpy_test hello!"));
    // A reply names its parent; Mastodon does not say which post began the thread.
    assert_eq!(
        (reply_n.reply_parent.clone(), reply_n.reply_root.clone()),
        (Some(PostRef::id(FAVOURITED)), None)
    );
    for n in [like_n, repost_n] {
        assert_eq!((n.text.as_ref(), n.lang.as_ref()), (None, None), "{n:?}");
        assert_eq!(n.subject, Some(PostRef::id(FAVOURITED)), "{n:?}");
    }
    // A quote: the quoting status, its author, and the account's status quoted.
    assert_eq!(quote_n.subject, Some(PostRef::id(QUOTED)));
    assert_eq!((quote_n.author_name.as_deref(), quote_n.lang.as_deref()), (Some("John Lennon"), Some("ja")));
    assert!(quote_n.text.as_deref().is_some_and(|t| t.starts_with("RE: ")), "{quote_n:?}");
    // Hostile text is inert: no control or reordering characters.
    assert_eq!(hostile_n.author_name.as_deref(), Some("Evil Name"));
    let text = hostile_n.text.as_deref().unwrap();
    assert_eq!(text, "line one[2J line two");
    assert_eq!(cursor.as_deref(), Some("25"));

    // Nothing newer: the same cursor back.
    assert_eq!(mastodon.notifications(Some("25")).await.unwrap(), (Vec::new(), Some("25".into())));
    // A page of only malformed notifications is passed over, not read again and again.
    assert_eq!(mastodon.notifications(Some("24")).await.unwrap(), (Vec::new(), Some("25".into())));
    assert!(matches!(mastodon.notifications(Some("../x")).await, Err(ConnectorError::Permanent(_))));

    let asked: Vec<_> =
        fake.log.lock().unwrap().iter().filter(|(_, p, _)| p == "/api/v1/notifications").cloned().collect();
    assert_eq!(asked.len(), 3);
    for kind in ["mention", "favourite", "reblog", "follow", "quote"] {
        assert!(asked[0].2.contains(&format!("types%5B%5D={kind}")), "{:?}", asked[0].2);
    }
    assert!(asked[1].2.contains("min_id=25"), "{:?}", asked[1].2);
}

#[tokio::test]
async fn moderation_through_the_trait() {
    let (fake, mastodon) = serve().await;
    mastodon.mute(OTHER).await.unwrap();
    mastodon.unmute(OTHER).await.unwrap();
    // A block has no id of its own: the account stands for it, and unblock undoes it.
    assert_eq!(mastodon.block(OTHER).await.unwrap(), PostRef::id(OTHER));
    mastodon.unblock(OTHER).await.unwrap();
    let posted: Vec<String> =
        fake.log.lock().unwrap().iter().filter(|(m, _, _)| m == "POST").map(|(_, p, _)| p.clone()).collect();
    let expected: Vec<String> = ["mute", "unmute", "block", "unblock"]
        .iter()
        .map(|a| format!("/api/v1/accounts/{OTHER}/{a}"))
        .collect();
    assert_eq!(posted, expected);
    let mute_body = fake.bodies.lock().unwrap().iter().find(|(p, _)| p.ends_with("/mute")).cloned();
    assert_eq!(mute_body.map(|(_, b)| b), Some(json!({ "notifications": true })));

    // Reports: the account, with the status when a post is reported.
    let post = ReportSubject::Post { post: PostRef::id("109440146036471795"), author_id: OTHER.into() };
    let id = mastodon.report(&post, ReportReason::Spam, "  makes the bad post\u{0} ").await.unwrap();
    assert_eq!(id, "2");
    mastodon.report(&ReportSubject::Account(OTHER.into()), ReportReason::Abusive, "").await.unwrap();
    let reports: Vec<Value> = fake
        .bodies
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p == "/api/v1/reports")
        .map(|(_, b)| b.clone())
        .collect();
    assert_eq!(
        reports,
        [
            json!({ "account_id": OTHER, "category": "spam", "comment": "makes the bad post",
                    "status_ids": ["109440146036471795"] }),
            json!({ "account_id": OTHER, "category": "other", "comment": "" }),
        ]
    );
    let before = fake.log.lock().unwrap().len();
    let too_long =
        mastodon.report(&ReportSubject::Account(OTHER.into()), ReportReason::Other, &"a".repeat(1_001)).await;
    assert!(matches!(too_long, Err(ConnectorError::Permanent(_))), "{too_long:?}");
    for bad in ["../admin", "", "1 2"] {
        assert!(matches!(mastodon.mute(bad).await, Err(ConnectorError::Permanent(_))), "{bad:?}");
        assert!(matches!(mastodon.block(bad).await, Err(ConnectorError::Permanent(_))), "{bad:?}");
    }
    assert_eq!(fake.log.lock().unwrap().len(), before, "refused before any request");

    // Mastodon cannot hide someone else's reply: refused, saying so, without a request.
    let root = PostRef::id(FAVOURITED);
    let reply = PostRef::id("117440821662233205");
    for refused in [mastodon.hide_reply(&root, &reply).await, mastodon.unhide_reply(&root, &reply).await] {
        match refused {
            Err(ConnectorError::Permanent(why)) => {
                assert!(why.contains("not supported by Mastodon"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(fake.log.lock().unwrap().len(), before);
}
