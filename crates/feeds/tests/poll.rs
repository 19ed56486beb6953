//! Polling a local feed server: conditional GET, only new entries, errors that say why.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tutti_feeds::{FeedCursor, FeedError, FeedPoller, Poll};

#[derive(Clone, Default)]
struct Feed {
    body: Arc<Mutex<String>>,
    hits: Arc<AtomicUsize>,
}

fn rss(items: &[(&str, &str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(guid, title, date)| format!("<item><guid>{guid}</guid><title>{title}</title><link>https://blog.example.fr/{guid}</link><description>&lt;p&gt;Texte de &lt;b&gt;{guid}&lt;/b&gt;&lt;/p&gt;</description><pubDate>{date}</pubDate></item>"))
        .collect();
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title><link>https://blog.example.fr</link><description>d</description>{items}</channel></rss>"#
    )
}

async fn serve_feed(State(feed): State<Feed>, headers: HeaderMap) -> Response {
    feed.hits.fetch_add(1, Ordering::SeqCst);
    let body = feed.body.lock().unwrap().clone();
    let etag = format!("\"{}\"", body.len());
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    ([(header::ETAG, etag), (header::CONTENT_TYPE, "application/rss+xml".to_owned())], body).into_response()
}

async fn start(feed: Feed) -> String {
    let app = axum::Router::new()
        .route("/feed.xml", get(serve_feed))
        .route("/broken.xml", get(|| async { "<html>not a feed</html>" }))
        .route(
            "/busy.xml",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "120")], "later") }),
        )
        .route("/huge.xml", get(|| async { "x".repeat(tutti_feeds::MAX_FEED_BYTES + 1) }))
        .with_state(feed);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A poller under the outbound policy that allows the local feed server of these tests.
fn local_poller() -> FeedPoller {
    let outbound = tutti_outbound::Outbound::allowing(["127.0.0.1".parse().unwrap()]);
    FeedPoller::new(std::time::Duration::from_secs(20), &outbound)
}

#[tokio::test]
async fn a_feed_on_a_private_address_is_not_fetched_unless_allowed() {
    let feed = Feed::default();
    *feed.body.lock().unwrap() = rss(&[("a", "Premier", "Mon, 16 Nov 2026 10:00:00 GMT")]);
    let base = start(feed.clone()).await;
    for url in [format!("{base}/feed.xml"), format!("{base}/feed.xml").replace("127.0.0.1", "localhost")] {
        match FeedPoller::default().poll(&url, &FeedCursor::default()).await {
            Err(FeedError::Malformed(m)) => assert!(m.contains("refused"), "{url}: {m}"),
            other => panic!("{url}: {other:?}"),
        }
    }
    assert_eq!(feed.hits.load(Ordering::SeqCst), 0, "the server was never reached");
    assert!(local_poller().poll(&format!("{base}/feed.xml"), &FeedCursor::default()).await.is_ok());
}

#[tokio::test]
async fn a_feed_yields_each_entry_once_and_an_unchanged_feed_costs_nothing() {
    let feed = Feed::default();
    *feed.body.lock().unwrap() = rss(&[
        ("b", "Deuxième", "Tue, 17 Nov 2026 10:00:00 GMT"),
        ("a", "Premier <i>post</i>", "Mon, 16 Nov 2026 10:00:00 GMT"),
    ]);
    let base = start(feed.clone()).await;
    let poller = local_poller();
    let url = format!("{base}/feed.xml");

    let Poll::Changed { items, cursor } = poller.poll(&url, &FeedCursor::default()).await.unwrap() else {
        panic!("first poll")
    };
    assert_eq!(items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["a", "b"], "oldest first");
    assert_eq!(items[0].title, "Premier post");
    assert_eq!(items[0].text, "Texte de a");
    assert_eq!(items[0].url.as_deref(), Some("https://blog.example.fr/a"));
    assert!(cursor.etag.is_some());

    // The stored cursor survives a restart as JSON.
    let cursor = FeedCursor::from_json(&cursor.to_json());
    assert_eq!(poller.poll(&url, &cursor).await.unwrap(), Poll::NotModified);

    *feed.body.lock().unwrap() = rss(&[
        ("c", "Troisième", "Wed, 18 Nov 2026 10:00:00 GMT"),
        ("b", "Deuxième", "Tue, 17 Nov 2026 10:00:00 GMT"),
    ]);
    let Poll::Changed { items, .. } = poller.poll(&url, &cursor).await.unwrap() else {
        panic!("changed feed")
    };
    assert_eq!(items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["c"], "only the new entry");
    assert_eq!(feed.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn unusable_or_unavailable_feeds_say_why() {
    let base = start(Feed::default()).await;
    let poller = local_poller();
    match poller.poll(&format!("{base}/broken.xml"), &FeedCursor::default()).await {
        Err(FeedError::Malformed(m)) => assert!(m.contains("not an RSS or Atom feed"), "{m}"),
        other => panic!("{other:?}"),
    }
    match poller.poll(&format!("{base}/busy.xml"), &FeedCursor::default()).await {
        Err(FeedError::Transient { retry_after, .. }) => {
            assert_eq!(retry_after, Some(std::time::Duration::from_secs(120)))
        }
        other => panic!("{other:?}"),
    }
    match poller.poll(&format!("{base}/huge.xml"), &FeedCursor::default()).await {
        Err(FeedError::Malformed(m)) => assert!(m.contains("larger than"), "{m}"),
        other => panic!("{other:?}"),
    }
    match poller.poll(&format!("{base}/missing.xml"), &FeedCursor::default()).await {
        Err(FeedError::Malformed(m)) => assert!(m.contains("404"), "{m}"),
        other => panic!("{other:?}"),
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    assert!(matches!(
        poller.poll(&format!("http://{closed}/feed.xml"), &FeedCursor::default()).await,
        Err(FeedError::Transient { .. })
    ));
}

#[test]
fn atom_feeds_are_read_too() {
    let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Actus</title><id>urn:x</id><updated>2026-11-20T10:00:00Z</updated>
<entry><id>urn:1</id><title type="html">Lancement &amp;amp; avis</title><link href="https://news.example.com/1"/><updated>2026-11-20T10:00:00Z</updated><author><name>Zoé</name></author><summary>Très bon produit</summary></entry>
</feed>"#;
    let mut cursor = FeedCursor::default();
    let items = tutti_feeds::new_items(atom.as_bytes(), &mut cursor).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].title, "Lancement & avis");
    assert_eq!(items[0].author.as_deref(), Some("Zoé"));
    assert_eq!(items[0].text, "Très bon produit");
    assert!(
        tutti_feeds::new_items(atom.as_bytes(), &mut cursor).unwrap().is_empty(),
        "seen entries are not repeated"
    );
}
