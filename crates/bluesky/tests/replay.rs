//! Replaying recorded Jetstream events through a local websocket server that drops the
//! connection midway: the client resumes from its cursor with no gap and no duplicate. Asked
//! with `compress=true`, the server sends the events compressed, as Jetstream does.

// The handshake callback's error type is tungstenite's own, large, response.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::SinkExt;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;
use tutti_bluesky::jetstream::{parse_event, MAX_EVENT_BYTES, ZSTD_DICTIONARY};
use tutti_bluesky::{Jetstream, JetstreamEvent, JetstreamStats};

const EVENTS: &str = include_str!("data/jetstream.jsonl");

/// Serves the recorded events like Jetstream: from the `cursor` parameter on (inclusive). The
/// first connection breaks after `break_after` events, preceded by one malformed message.
/// With `compress=true`, each event is a binary message compressed with Jetstream's dictionary,
/// and after the third come a garbage binary message and a zstd bomb (a frame of a few dozen
/// bytes that inflates to 1 MiB without declaring its size).
async fn replay_server(break_after: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let urls = Arc::new(Mutex::new(Vec::new()));
    let seen = urls.clone();
    tokio::spawn(async move {
        let mut connection = 0;
        while let Ok((stream, _)) = listener.accept().await {
            connection += 1;
            let seen = seen.clone();
            let mut uri = String::new();
            let callback = |req: &Request, res: Response| {
                uri = req.uri().to_string();
                Ok(res)
            };
            let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else { continue };
            seen.lock().unwrap().push(uri.clone());
            let cursor: Option<i64> =
                uri.split("cursor=").nth(1).and_then(|c| c.split('&').next()).and_then(|c| c.parse().ok());
            let compress = uri.contains("compress=true");
            let mut zstd = zstd::bulk::Compressor::with_dictionary(3, ZSTD_DICTIONARY).unwrap();
            let mut sent = 0;
            for line in EVENTS.lines() {
                let t = parse_event(line).unwrap().time_us();
                if cursor.is_some_and(|c| t < c) {
                    continue;
                }
                if connection == 1 && sent == break_after {
                    let _ = ws.send(Message::text("{ this is not json")).await;
                    break; // Drop the connection without a close frame.
                }
                if compress && sent == 3 {
                    ws.send(Message::binary(b"\x28\xb5\x2f\xfd garbage".to_vec())).await.unwrap();
                    zstd.set_parameter(zstd::zstd_safe::CParameter::ContentSizeFlag(false)).unwrap();
                    let bomb = zstd.compress(&vec![b'{'; 16 * MAX_EVENT_BYTES]).unwrap();
                    assert!(bomb.len() < 200, "{}", bomb.len());
                    zstd.set_parameter(zstd::zstd_safe::CParameter::ContentSizeFlag(true)).unwrap();
                    ws.send(Message::binary(bomb)).await.unwrap();
                }
                let message = if compress {
                    Message::binary(zstd.compress(line.as_bytes()).unwrap())
                } else {
                    Message::text(line)
                };
                ws.send(message).await.unwrap();
                sent += 1;
            }
            if connection > 1 {
                let _ = ws.close(None).await;
            }
        }
    });
    (format!("ws://{addr}/subscribe"), urls)
}

#[tokio::test]
async fn a_dropped_stream_resumes_from_its_cursor_without_gap_or_duplicate() {
    let (endpoint, urls) = replay_server(5).await;
    let mut jetstream = Jetstream::new(endpoint);
    jetstream.initial_backoff = Duration::from_millis(10);
    let (tx, mut rx) = mpsc::channel(64);
    let (stop, stopped) = watch::channel(false);
    let stats = Arc::new(JetstreamStats::default());
    let task = tokio::spawn({
        let stats = stats.clone();
        async move { jetstream.run(None, tx, stats, stopped).await }
    });

    let expected: Vec<JetstreamEvent> = EVENTS.lines().map(|l| parse_event(l).unwrap()).collect();
    let mut got = Vec::new();
    while got.len() < expected.len() {
        let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("events keep coming")
            .unwrap();
        got.push(event);
    }
    stop.send(true).unwrap();
    let cursor = task.await.unwrap();

    assert_eq!(got, expected, "every event once, in order");
    assert_eq!(cursor, Some(expected.last().unwrap().time_us()));
    let urls = urls.lock().unwrap().clone();
    assert!(urls.len() >= 2, "{urls:?}");
    assert!(urls[0].contains("wantedCollections=app.bsky.feed.post") && !urls[0].contains("cursor="));
    assert!(
        urls[1].ends_with(&format!("cursor={}", expected[4].time_us())),
        "resumed at the last delivered event: {urls:?}"
    );
    assert_eq!(
        stats.skipped.load(std::sync::atomic::Ordering::Relaxed),
        1,
        "the malformed message was skipped"
    );
    assert!(stats.reconnects.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    assert_eq!(stats.delivered.load(std::sync::atomic::Ordering::Relaxed), expected.len() as u64);
}

#[tokio::test]
async fn a_restart_with_a_stored_cursor_delivers_only_later_events() {
    let (endpoint, _) = replay_server(usize::MAX).await;
    let expected: Vec<JetstreamEvent> = EVENTS.lines().map(|l| parse_event(l).unwrap()).collect();
    let stored = expected[7].time_us();
    let (tx, mut rx) = mpsc::channel(64);
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        Jetstream::new(endpoint).run(Some(stored), tx, Arc::new(JetstreamStats::default()), stopped).await
    });
    let mut got = Vec::new();
    while got.len() < expected.len() - 8 {
        got.push(tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap());
    }
    stop.send(true).unwrap();
    task.await.unwrap();
    assert_eq!(got, expected[8..].to_vec());
}

/// Runs `jetstream` until it delivered every recorded event, then stops it.
async fn receive_all(jetstream: Jetstream) -> (Vec<JetstreamEvent>, Option<i64>, Arc<JetstreamStats>) {
    let count = EVENTS.lines().count();
    let (tx, mut rx) = mpsc::channel(64);
    let (stop, stopped) = watch::channel(false);
    let stats = Arc::new(JetstreamStats::default());
    let task = tokio::spawn({
        let stats = stats.clone();
        async move { jetstream.run(None, tx, stats, stopped).await }
    });
    let mut got = Vec::new();
    while got.len() < count {
        got.push(tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap());
    }
    stop.send(true).unwrap();
    let cursor = task.await.unwrap();
    (got, cursor, stats)
}

#[tokio::test]
async fn a_compressed_stream_delivers_the_same_events_and_skips_garbage_and_bombs() {
    let (endpoint, urls) = replay_server(usize::MAX).await;
    let plain = Jetstream::new(endpoint.clone());
    let compressed = Jetstream::new(endpoint).compressed(true);
    assert!(!plain.url(Some(1)).contains("compress"));
    assert!(compressed.url(None).contains("compress=true"));
    assert!(compressed.url(Some(1)).contains("compress=true"));

    let (expected, plain_cursor, plain_stats) = receive_all(plain).await;
    let (got, cursor, stats) = receive_all(compressed).await;

    assert_eq!(got, expected, "the same events, posts and cursors, in order");
    assert_eq!(expected, EVENTS.lines().map(|l| parse_event(l).unwrap()).collect::<Vec<_>>());
    assert!(got.iter().filter(|e| matches!(e, JetstreamEvent::Post { .. })).count() >= 2);
    assert_eq!(cursor, plain_cursor);
    assert_eq!(cursor, Some(expected.last().unwrap().time_us()));
    let urls = urls.lock().unwrap().clone();
    // The plain client ran first, then the compressed one: only the latter asked for compression.
    let first_compressed =
        urls.iter().position(|u| u.contains("compress=true")).unwrap_or_else(|| panic!("{urls:?}"));
    assert!(first_compressed >= 1 && urls[first_compressed..].iter().all(|u| u.contains("compress=true")));
    assert!(
        urls[first_compressed].contains("wantedCollections=app.bsky.feed.post&compress=true"),
        "{urls:?}"
    );
    let load = |counter: &std::sync::atomic::AtomicU64| counter.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(load(&plain_stats.skipped), 0);
    assert_eq!(load(&stats.skipped), 2, "the garbage message and the bomb were skipped");
    assert_eq!(load(&stats.delivered), expected.len() as u64);
}
