//! The subscribeRepos client on real frames recorded from the reference network
//! (`data/firehose/`, made by `devnet/capture-frames.mjs`), on damaged frames, through a local
//! replay server that drops the connection midway, and end to end against a running local
//! network (PLC + PDS) when one is installed.

// The handshake callback's error type is tungstenite's own, large, response.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;
use tutti_bluesky::firehose::{parse_frame, MAX_FRAME_BYTES};
use tutti_bluesky::{EventKind, Firehose, FirehoseEvent, FirehoseStats, Frame, FrameError};
use tutti_test_support::devnet::Devnet;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/firehose");

/// The recorded frames, in stream order, and the manifest written beside them.
fn recorded() -> (Vec<(String, Vec<u8>)>, serde_json::Value) {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/frames.json")).unwrap()).unwrap();
    let frames = manifest["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .filter(|name| !name.starts_with("error"))
        .map(|name| {
            let bytes = std::fs::read(format!("{DATA}/{name}")).unwrap();
            (name, bytes)
        })
        .collect();
    (frames, manifest)
}

fn event(frame: &[u8]) -> FirehoseEvent {
    match parse_frame(frame) {
        Ok(Frame::Event(event)) => event,
        other => panic!("an event, got {other:?}"),
    }
}

fn info_frame(name: &str) -> Vec<u8> {
    use ipld_core::ipld::Ipld;
    let header = BTreeMap::from([("op", Ipld::Integer(1)), ("t", Ipld::String("#info".into()))]);
    let mut frame = serde_ipld_dagcbor::to_vec(&header).unwrap();
    let body = BTreeMap::from([("name", name.to_owned()), ("message", "too old".to_owned())]);
    frame.extend(serde_ipld_dagcbor::to_vec(&body).unwrap());
    frame
}

#[test]
fn recorded_frames_decode_into_posts_deletions_and_other_events() {
    let (frames, manifest) = recorded();
    let alice = manifest["alice"].as_str().unwrap();
    let bob = manifest["bob"].as_str().unwrap();
    let first_uri = manifest["first"]["uri"].as_str().unwrap();
    let events: Vec<FirehoseEvent> = frames.iter().map(|(_, f)| event(f)).collect();

    let seqs: Vec<i64> = events.iter().map(FirehoseEvent::cursor).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "sequence numbers increase: {seqs:?}");

    // Creating an account: identity, account, its first (empty) commit, sync; twice.
    for (i, kind) in
        [EventKind::Identity, EventKind::Account, EventKind::Commit, EventKind::Sync].iter().enumerate()
    {
        for account in [0, 4] {
            match &events[account + i] {
                FirehoseEvent::Other { kind: k, .. } => assert_eq!(k, kind, "{}", frames[account + i].0),
                other => panic!("{}: {other:?}", frames[account + i].0),
            }
        }
    }

    let FirehoseEvent::Commit { repo, posts, deleted, time, .. } = &events[8] else {
        panic!("{:?}", events[8])
    };
    assert_eq!(repo, alice);
    assert!(deleted.is_empty());
    assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
    let [post] = posts.as_slice() else { panic!("one post: {posts:?}") };
    assert_eq!(post.uri, first_uri);
    assert_eq!(post.did, alice);
    assert_eq!(post.uri, format!("at://{alice}/app.bsky.feed.post/{}", post.rkey));
    assert_eq!(post.text, "Ma nouvelle lampe ✨ https://lampes.example #luminaire @bob.test");
    assert_eq!(post.langs, ["fr"]);
    assert_eq!(post.links, ["https://lampes.example", "https://blog.example/lampe"]);
    assert_eq!(post.tags, ["luminaire"]);
    assert_eq!(post.mentions, [bob]);
    assert!(post.reply_to.is_none());
    assert!(chrono::DateTime::parse_from_rfc3339(&post.created_at).is_ok(), "{}", post.created_at);

    let [reply] = events[9].posts() else { panic!("{:?}", events[9]) };
    assert_eq!(reply.did, bob);
    assert_eq!(reply.text, "Superbe !");
    assert_eq!(reply.langs, ["fr", "en"]);
    assert_eq!(reply.reply_to.as_deref(), Some(first_uri));

    assert!(
        matches!(&events[10], FirehoseEvent::Other { seq, kind: EventKind::Commit, .. } if *seq == seqs[10]),
        "a like: {:?}",
        events[10]
    );
    assert!(
        events.iter().all(|e| chrono::DateTime::parse_from_rfc3339(e.time()).is_ok()),
        "every event has a time"
    );

    let texts: Vec<&str> = events[11].posts().iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, ["Premier de deux", "Second de deux"], "two posts in one commit, in order");

    let FirehoseEvent::Commit { posts, deleted, .. } = &events[12] else { panic!("{:?}", events[12]) };
    assert!(posts.is_empty());
    assert_eq!(deleted, &[first_uri.to_owned()]);
}

#[test]
fn error_and_info_frames_are_recognised() {
    let future = std::fs::read(format!("{DATA}/error-FutureCursor.bin")).unwrap();
    let Ok(Frame::Error { error, message }) = parse_frame(&future) else {
        panic!("{:?}", parse_frame(&future))
    };
    assert_eq!(error, "FutureCursor");
    assert!(message.is_some());

    assert_eq!(
        parse_frame(&info_frame("OutdatedCursor")),
        Ok(Frame::Info { name: "OutdatedCursor".into(), message: Some("too old".into()) })
    );
}

#[test]
fn truncated_and_damaged_frames_are_refused_without_panicking() {
    let (frames, _) = recorded();
    for (name, frame) in &frames {
        for len in 0..frame.len() {
            assert!(
                matches!(parse_frame(&frame[..len]), Err(FrameError::Malformed(_))),
                "{name} cut at {len} bytes"
            );
        }
        // Any byte changed: decoded or refused, never a panic.
        for i in 0..frame.len() {
            let mut damaged = frame.clone();
            damaged[i] ^= 0xa5;
            let _ = parse_frame(&damaged);
        }
    }
}

#[test]
fn a_record_that_does_not_match_its_cid_is_refused() {
    let (frames, _) = recorded();
    let mut frame = frames[8].1.clone();
    let at = frame.windows(8).position(|w| w == b"nouvelle").expect("the text inside the CAR");
    frame[at] = b'N';
    let err = parse_frame(&frame).unwrap_err();
    assert!(err.to_string().contains("does not match its CID"), "{err}");
}

#[test]
fn hostile_frames_are_refused() {
    assert_eq!(parse_frame(&vec![0xa2; MAX_FRAME_BYTES + 1]), Err(FrameError::Oversized));
    let cases: [&[u8]; 6] = [
        b"",
        b"not cbor at all",
        // {op: 1, t: <a byte string claiming 2^64-1 bytes>}
        &[0xa2, 0x62, b'o', b'p', 0x01, 0x61, b't', 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        // {op: 7}
        &[0xa1, 0x62, b'o', b'p', 0x07],
        // {op: 1} without a type
        &[0xa1, 0x62, b'o', b'p', 0x01],
        // Nesting deeper than any decoder should follow.
        &[0x81; 10_000],
    ];
    for case in cases {
        assert!(matches!(parse_frame(case), Err(FrameError::Malformed(_))), "{case:?}");
    }
}

/// Serves the recorded frames like a PDS: those after the `cursor` parameter; for a cursor
/// beyond the last one, the recorded `FutureCursor` error frame. The first connection sends
/// an `#info` frame and a malformed frame, then breaks after `break_after` frames.
async fn replay_server(break_after: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let (frames, _) = recorded();
    let frames: Vec<(i64, Vec<u8>)> = frames.into_iter().map(|(_, f)| (event(&f).cursor(), f)).collect();
    let future = std::fs::read(format!("{DATA}/error-FutureCursor.bin")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let urls = Arc::new(Mutex::new(Vec::new()));
    let seen = urls.clone();
    tokio::spawn(async move {
        let mut connection = 0;
        while let Ok((stream, _)) = listener.accept().await {
            connection += 1;
            let mut uri = String::new();
            let callback = |req: &Request, res: Response| {
                uri = req.uri().to_string();
                Ok(res)
            };
            let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else { continue };
            seen.lock().unwrap().push(uri.clone());
            let cursor: Option<i64> =
                uri.split("cursor=").nth(1).and_then(|c| c.split('&').next()).and_then(|c| c.parse().ok());
            if cursor.is_some_and(|c| c > frames.last().unwrap().0) {
                let _ = ws.send(Message::binary(future.clone())).await;
                let _ = ws.close(None).await;
                continue;
            }
            if connection == 1 {
                ws.send(Message::binary(info_frame("OutdatedCursor"))).await.unwrap();
            }
            let mut sent = 0;
            for (seq, frame) in &frames {
                if cursor.is_some_and(|c| *seq <= c) {
                    continue;
                }
                if connection == 1 && sent == break_after {
                    let _ = ws.send(Message::binary(b"\xa2garbage".to_vec())).await;
                    break; // Drop the connection without a close frame.
                }
                ws.send(Message::binary(frame.clone())).await.unwrap();
                sent += 1;
            }
            if connection > 1 || break_after == usize::MAX {
                let _ = ws.close(None).await;
            }
        }
    });
    (format!("ws://{addr}/xrpc/com.atproto.sync.subscribeRepos"), urls)
}

async fn collect(
    endpoint: String,
    cursor: Option<i64>,
    want: usize,
) -> (Vec<FirehoseEvent>, Option<i64>, Arc<FirehoseStats>) {
    let mut firehose = Firehose::new(endpoint);
    firehose.initial_backoff = Duration::from_millis(10);
    let (tx, mut rx) = mpsc::channel(64);
    let (stop, stopped) = watch::channel(false);
    let stats = Arc::new(FirehoseStats::default());
    let task = tokio::spawn({
        let stats = stats.clone();
        async move { firehose.run(cursor, tx, stats, stopped).await }
    });
    let mut got = Vec::new();
    while got.len() < want {
        let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("events keep coming")
            .unwrap();
        got.push(event);
    }
    stop.send(true).unwrap();
    let cursor = task.await.unwrap();
    (got, cursor, stats)
}

#[tokio::test]
async fn a_dropped_stream_resumes_from_its_cursor_without_gap_or_duplicate() {
    let (endpoint, urls) = replay_server(5).await;
    let (frames, _) = recorded();
    let expected: Vec<FirehoseEvent> = frames.iter().map(|(_, f)| event(f)).collect();
    let (got, cursor, stats) = collect(endpoint, None, expected.len()).await;

    assert_eq!(got, expected, "every event once, in order");
    assert_eq!(cursor, Some(expected.last().unwrap().cursor()));
    let urls = urls.lock().unwrap().clone();
    assert!(urls.len() >= 2, "{urls:?}");
    assert!(!urls[0].contains("cursor="), "{urls:?}");
    assert!(
        urls[1].ends_with(&format!("?cursor={}", expected[4].cursor())),
        "resumed after the last delivered: {urls:?}"
    );
    assert_eq!(stats.skipped.load(Ordering::Relaxed), 1, "the malformed frame was skipped");
    assert_eq!(stats.info.load(Ordering::Relaxed), 1, "the OutdatedCursor info was counted");
    assert!(stats.reconnects.load(Ordering::Relaxed) >= 1);
    assert_eq!(stats.delivered.load(Ordering::Relaxed), expected.len() as u64);
}

#[tokio::test]
async fn a_restart_with_a_stored_cursor_delivers_only_later_events() {
    let (endpoint, _) = replay_server(usize::MAX).await;
    let (frames, _) = recorded();
    let expected: Vec<FirehoseEvent> = frames.iter().map(|(_, f)| event(f)).collect();
    let stored = expected[7].cursor();
    let (got, _, _) = collect(endpoint, Some(stored), expected.len() - 8).await;
    assert_eq!(got, expected[8..].to_vec());
}

#[tokio::test]
async fn a_cursor_from_the_future_restarts_the_stream_from_the_live_end() {
    let (endpoint, urls) = replay_server(usize::MAX).await;
    let (frames, _) = recorded();
    let expected: Vec<FirehoseEvent> = frames.iter().map(|(_, f)| event(f)).collect();
    let (got, _, stats) = collect(endpoint, Some(1_000_000), expected.len()).await;
    assert_eq!(got, expected);
    assert_eq!(stats.errors.load(Ordering::Relaxed), 1);
    let urls = urls.lock().unwrap().clone();
    assert!(urls[0].ends_with("?cursor=1000000") && !urls[1].contains("cursor="), "{urls:?}");
}

/// Receives events until one carries a post, skipping the others.
async fn next_posts(rx: &mut mpsc::Receiver<FirehoseEvent>, timeout: Duration) -> Option<FirehoseEvent> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(event)) if !event.posts().is_empty() => return Some(event),
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_on_the_local_network_arrive_and_a_restart_resumes_from_the_cursor() {
    let Some(devnet) = Devnet::start("the firehose against the local AT Protocol network", false).await
    else {
        return;
    };
    let (did, jwt) = devnet.create_account("alice.test", "alice-pass").await;

    let mut firehose = Firehose::for_service(&devnet.pds_url);
    firehose.initial_backoff = Duration::from_millis(100);
    let (tx, mut rx) = mpsc::channel(256);
    let (stop, stopped) = watch::channel(false);
    let stats = Arc::new(FirehoseStats::default());
    // From the start of the stream: the account's own events prove the client is connected.
    let task = tokio::spawn({
        let (firehose, stats) = (firehose.clone(), stats.clone());
        async move { firehose.run(Some(0), tx, stats, stopped).await }
    });
    let first = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.expect("connected").unwrap();
    assert!(first.posts().is_empty(), "{first:?}");
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
        assert!(event.posts().is_empty(), "{event:?}");
    }

    let sent = Instant::now();
    let uri = devnet.create_post(&jwt, &did, "Bonjour depuis le réseau local #tutti").await;
    let answered = sent.elapsed();
    let event = next_posts(&mut rx, Duration::from_secs(10)).await.expect("the post arrives on the firehose");
    let delay = sent.elapsed();
    eprintln!(
        "firehose: the post arrived {} ms after createRecord was sent (the PDS answered after {} ms)",
        delay.as_millis(),
        answered.as_millis()
    );
    let [post] = event.posts() else { panic!("{event:?}") };
    assert_eq!(post.uri, uri);
    assert_eq!(post.did, did);
    assert_eq!(post.text, "Bonjour depuis le réseau local #tutti");
    assert!(post.created_at.starts_with("20"), "{}", post.created_at);

    stop.send(true).unwrap();
    let cursor = task.await.unwrap();
    assert_eq!(cursor, Some(event.cursor()), "the cursor is the last delivered seq");
    assert_eq!(stats.skipped.load(Ordering::Relaxed), 0);

    // While the client is stopped, two more posts.
    let second = devnet.create_post(&jwt, &did, "Deuxième").await;
    let third = devnet.create_post(&jwt, &did, "Troisième").await;

    let (tx, mut rx) = mpsc::channel(256);
    let (stop, stopped) = watch::channel(false);
    let task =
        tokio::spawn(
            async move { firehose.run(cursor, tx, Arc::new(FirehoseStats::default()), stopped).await },
        );
    let mut uris = Vec::new();
    while let Some(event) =
        next_posts(&mut rx, Duration::from_secs(if uris.len() < 2 { 10 } else { 1 })).await
    {
        assert!(Some(event.cursor()) > cursor, "only events after the stored cursor");
        uris.extend(event.posts().iter().map(|p| p.uri.clone()));
    }
    stop.send(true).unwrap();
    task.await.unwrap();
    assert_eq!(uris, [second, third], "exactly the two later posts, once each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_appview_a_post_reaches_the_firehose_and_the_appview() {
    let Some(devnet) = Devnet::start("the firehose with the local AppView", true).await else { return };
    let appview = devnet.appview_url.clone().expect("the AppView's URL");
    assert!(appview.starts_with("http://localhost:"), "{appview}");
    let (did, jwt) = devnet.create_account("bob.test", "bob-pass").await;

    let uri = devnet.create_post(&jwt, &did, "Indexée par l'AppView").await;

    // From the start of the stream, the post is there among the network's own records.
    let (tx, mut rx) = mpsc::channel(256);
    let (stop, stopped) = watch::channel(false);
    let firehose = Firehose::for_service(&devnet.pds_url);
    let task =
        tokio::spawn(
            async move { firehose.run(Some(0), tx, Arc::new(FirehoseStats::default()), stopped).await },
        );
    let mut found = false;
    while let Some(event) = next_posts(&mut rx, Duration::from_secs(10)).await {
        if event.posts().iter().any(|p| p.uri == uri && p.text == "Indexée par l'AppView") {
            found = true;
            break;
        }
    }
    stop.send(true).unwrap();
    task.await.unwrap();
    assert!(found, "the post is on the firehose");

    // The launcher asks the AppView to index every 300 ms.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let posts = devnet.appview_get("app.bsky.feed.getPosts", &[("uris", uri.as_str())]).await;
        if let Some(post) = posts["posts"].as_array().and_then(|p| p.first()) {
            assert_eq!(post["record"]["text"], "Indexée par l'AppView");
            assert_eq!(post["author"]["handle"], "bob.test");
            break;
        }
        assert!(Instant::now() < deadline, "the AppView never indexed {uri}: {posts}\n{}", devnet.log_tail());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
