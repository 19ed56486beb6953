//! Replaying recorded Jetstream events through a local websocket server that drops the
//! connection midway: the client resumes from its cursor with no gap and no duplicate.

// The handshake callback's error type is tungstenite's own, large, response.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::SinkExt;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;
use tutti_bluesky::jetstream::parse_event;
use tutti_bluesky::{Jetstream, JetstreamEvent, JetstreamStats};

const EVENTS: &str = include_str!("data/jetstream.jsonl");

/// Serves the recorded events like Jetstream: from the `cursor` parameter on (inclusive). The
/// first connection breaks after `break_after` events, preceded by one malformed message.
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
                ws.send(Message::text(line)).await.unwrap();
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
