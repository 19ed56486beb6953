//! The Bluesky connector through the network-neutral `Connector` trait, against the full local
//! AT Protocol network (PLC, PDS and the AppView): the brand publishes; a second account
//! replies, mentions, likes, reposts and follows; the brand's inbox, the post's engagement and
//! the account's counts then show each of those, read through the PDS from the AppView.

use std::time::Duration;

use serde_json::{json, Value};
use tutti_bluesky::{Tid, XrpcClient};
use tutti_connector::{
    Connector, ConnectorError, Engagement, Network, Notification, NotificationKind, OutgoingPost, PostRef,
};
use tutti_test_support::devnet::Devnet;

const SUITE: &str = "the Bluesky connector against the local AT Protocol network with its AppView";
/// How long the AppView may take to index what the PDS wrote.
const INDEXING: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(250);

/// The second account, writing to its repository with plain XRPC calls.
struct Fan {
    pds: String,
    did: String,
    jwt: String,
    http: reqwest::Client,
}

impl Fan {
    async fn create(&self, collection: &str, record: Value) -> (String, String) {
        let body = json!({ "repo": self.did, "collection": collection, "record": record });
        let response = self
            .http
            .post(format!("{}/xrpc/com.atproto.repo.createRecord", self.pds))
            .bearer_auth(&self.jwt)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap();
        assert!(status.is_success(), "createRecord {collection}: {status} {answer}");
        (answer["uri"].as_str().unwrap().to_owned(), answer["cid"].as_str().unwrap().to_owned())
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Polls `read` until `done` holds for its answer, at most [`INDEXING`]; returns the last
/// answer and how many polls it took.
async fn poll_until<T, F, Fut>(mut read: F, done: impl Fn(&T) -> bool) -> (T, u32)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let attempts = (INDEXING.as_millis() / POLL.as_millis()) as u32;
    let mut last = read().await;
    for attempt in 1..=attempts {
        if done(&last) {
            return (last, attempt);
        }
        tokio::time::sleep(POLL).await;
        last = read().await;
    }
    (last, attempts + 1)
}

fn kinds(notifications: &[Notification]) -> Vec<NotificationKind> {
    let mut kinds: Vec<_> = notifications.iter().map(|n| n.kind.clone()).collect();
    kinds.sort_by_key(|k| format!("{k:?}"));
    kinds
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_the_inbox_and_analytics_through_the_trait() {
    let Some(devnet) = Devnet::start(SUITE, true).await else { return };
    let (brand_did, _) = devnet.create_account("brand.test", "brand-pass").await;
    let (fan_did, fan_jwt) = devnet.create_account("fan.test", "fan-pass").await;
    let fan =
        Fan { pds: devnet.pds_url.clone(), did: fan_did.clone(), jwt: fan_jwt, http: reqwest::Client::new() };
    let brand: Box<dyn Connector> = Box::new(
        XrpcClient::new(&devnet.pds_url, "brand.test", "brand-pass", &devnet.outbound()).expect("client"),
    );
    assert_eq!(brand.network(), Network::Bluesky);
    assert_eq!(brand.verify().await.unwrap().handle, "brand.test");

    // An empty inbox has no cursor yet.
    let (nothing, cursor) = brand.notifications(None).await.unwrap();
    assert!(nothing.is_empty(), "{nothing:?}");
    assert_eq!(cursor, None);

    // The brand publishes; the same key again is the same post.
    let key = Tid::now().to_string();
    let post = OutgoingPost { langs: vec!["en".into()], ..OutgoingPost::new("Our spring collection is out") };
    let published = brand.publish(&post, &key).await.unwrap();
    assert!(published.post.id.starts_with(&format!("at://{brand_did}/app.bsky.feed.post/")), "{published:?}");
    assert!(published.url.ends_with(&format!("/profile/{brand_did}/post/{key}")), "{published:?}");
    assert_eq!(brand.publish(&post, &key).await.unwrap(), published);
    let reconciled = brand.reconcile(&post, &key, chrono::Utc::now()).await.unwrap();
    assert_eq!(reconciled, Some(published.clone()));
    let unknown = Tid::now().to_string();
    assert_eq!(brand.reconcile(&post, &unknown, chrono::Utc::now()).await.unwrap(), None);

    // A fan sees the post once the AppView has indexed it (before that it answers replies to
    // it without a notification: it cannot tell whose post they answer).
    let (seen, polls) = poll_until(|| brand.engagement(&published.post), Result::is_ok).await;
    assert_eq!(
        seen,
        Ok(Engagement { replies: 0, reposts: 0, likes: 0, quotes: Some(0) }),
        "after {polls} polls"
    );

    // The fan replies, mentions, likes, reposts and follows.
    let subject = json!({ "uri": published.post.id, "cid": published.post.cid });
    let (reply_uri, reply_cid) = fan
        .create(
            "app.bsky.feed.post",
            json!({ "$type": "app.bsky.feed.post", "text": "Love it!", "createdAt": now(),
                    "reply": { "root": subject, "parent": subject } }),
        )
        .await;
    let mention_text = "Have you seen @brand.test this week?";
    let start = mention_text.find('@').unwrap();
    let (mention_uri, mention_cid) = fan
        .create(
            "app.bsky.feed.post",
            json!({ "$type": "app.bsky.feed.post", "text": mention_text, "createdAt": now(),
                    "facets": [{ "index": { "byteStart": start, "byteEnd": start + "@brand.test".len() },
                                 "features": [{ "$type": "app.bsky.richtext.facet#mention", "did": brand_did }] }] }),
        )
        .await;
    fan.create(
        "app.bsky.feed.like",
        json!({ "$type": "app.bsky.feed.like", "subject": subject, "createdAt": now() }),
    )
    .await;
    fan.create(
        "app.bsky.feed.repost",
        json!({ "$type": "app.bsky.feed.repost", "subject": subject, "createdAt": now() }),
    )
    .await;
    fan.create(
        "app.bsky.graph.follow",
        json!({ "$type": "app.bsky.graph.follow", "subject": brand_did, "createdAt": now() }),
    )
    .await;

    // All five reach the brand's inbox, oldest first, from the fan.
    let expected = {
        use NotificationKind::*;
        let mut all = vec![Reply, Mention, Like, Repost, Follow];
        all.sort_by_key(|k| format!("{k:?}"));
        all
    };
    let ((inbox, cursor), polls) = poll_until(
        || async { brand.notifications(None).await.unwrap() },
        |(found, _): &(Vec<Notification>, Option<String>)| kinds(found) == expected,
    )
    .await;
    assert_eq!(kinds(&inbox), expected, "after {polls} polls: {inbox:#?}");
    eprintln!("all five notifications arrived after {polls} poll(s) of {POLL:?}");
    assert!(inbox.windows(2).all(|w| w[0].at <= w[1].at), "oldest first: {inbox:#?}");
    for n in &inbox {
        assert_eq!((n.author_handle.as_str(), n.author_id.as_str()), ("fan.test", fan_did.as_str()), "{n:?}");
        let expected_post = match n.kind {
            NotificationKind::Reply => Some(PostRef { id: reply_uri.clone(), cid: Some(reply_cid.clone()) }),
            NotificationKind::Mention => {
                Some(PostRef { id: mention_uri.clone(), cid: Some(mention_cid.clone()) })
            }
            NotificationKind::Like | NotificationKind::Repost => Some(published.post.clone()),
            _ => None,
        };
        assert_eq!(n.post, expected_post, "{n:?}");
        let text = match n.kind {
            NotificationKind::Reply => Some("Love it!"),
            NotificationKind::Mention => Some(mention_text),
            _ => None,
        };
        assert_eq!(n.text.as_deref(), text, "{n:?}");
    }
    let cursor = cursor.expect("a cursor once there are notifications");
    assert_eq!(brand.notifications(Some(&cursor)).await.unwrap(), (Vec::new(), Some(cursor.clone())));
    assert!(matches!(brand.notifications(Some("yesterday")).await, Err(ConnectorError::Permanent(_))));

    // The post's counts and the account's.
    let (engagement, polls) = poll_until(
        || async { brand.engagement(&published.post).await.unwrap() },
        |e: &Engagement| e.replies == 1 && e.likes == 1 && e.reposts == 1,
    )
    .await;
    assert_eq!(
        engagement,
        Engagement { replies: 1, reposts: 1, likes: 1, quotes: Some(0) },
        "after {polls} polls"
    );
    let counts = brand.profile_counts().await.unwrap();
    assert_eq!((counts.followers, counts.following, counts.posts), (1, 0, 1), "{counts:?}");

    // The brand answers the fan's reply through the trait: the thread's root is looked up.
    let answer =
        OutgoingPost { reply_to: Some(PostRef::id(reply_uri.clone())), ..OutgoingPost::new("Thank you!") };
    let answered = brand.publish(&answer, &Tid::now().to_string()).await.unwrap();
    let rkey = answered.post.id.rsplit('/').next().unwrap();
    let record: Value = fan
        .http
        .get(format!("{}/xrpc/com.atproto.repo.getRecord", devnet.pds_url))
        .query(&[("repo", brand_did.as_str()), ("collection", "app.bsky.feed.post"), ("rkey", rkey)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(record["value"]["reply"]["parent"], json!({ "uri": reply_uri, "cid": reply_cid }));
    assert_eq!(record["value"]["reply"]["root"], subject);

    // Likes and reposts by the brand are records it can delete; so is the post.
    let like = brand.like(&PostRef::id(mention_uri.clone())).await.unwrap();
    assert!(like.id.starts_with(&format!("at://{brand_did}/app.bsky.feed.like/")), "{like:?}");
    let repost = brand.repost(&PostRef::id(mention_uri.clone())).await.unwrap();
    assert!(repost.id.starts_with(&format!("at://{brand_did}/app.bsky.feed.repost/")), "{repost:?}");
    for gone in [&like, &repost, &answered.post] {
        brand.delete(gone).await.unwrap();
    }
    assert_eq!(brand.reconcile(&answer, rkey, chrono::Utc::now()).await.unwrap(), None);
}
