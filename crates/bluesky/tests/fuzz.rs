//! Fuzz targets for both firehoses: subscribeRepos frames (DAG-CBOR header and body, CAR
//! blocks, records) and Jetstream events (JSON), mutated from frames and events recorded on
//! the reference network, random, or nested deep. See `tutti-fuzz`:
//!
//! ```text
//! TUTTI_FUZZ_SECONDS=600 cargo test --release -p tutti-bluesky --test fuzz -- --test-threads=1 --nocapture
//! ```

use tutti_bluesky::cbor::{check_depth, MAX_CBOR_DEPTH};
use tutti_bluesky::firehose::parse_frame;
use tutti_bluesky::jetstream::{parse_event, MAX_TEXT_BYTES};
use tutti_bluesky::{BlueskyPost, FirehoseEvent, Frame, JetstreamEvent};
use tutti_fuzz::proptest::prelude::*;
use tutti_fuzz::{fuzz, mutated, nested};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn recorded_frames() -> Vec<Vec<u8>> {
    let mut frames: Vec<Vec<u8>> = std::fs::read_dir(format!("{DATA}/firehose"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    frames.sort();
    assert!(frames.len() >= 10);
    frames
}

fn recorded_events() -> Vec<Vec<u8>> {
    std::fs::read_to_string(format!("{DATA}/jetstream.jsonl"))
        .unwrap()
        .lines()
        .map(|l| l.as_bytes().to_vec())
        .collect()
}

fn check_post(post: &BlueskyPost) -> Result<(), TestCaseError> {
    prop_assert!(post.text.len() <= MAX_TEXT_BYTES);
    prop_assert!(post.langs.len() <= 3 && post.langs.iter().all(|l| l.len() <= 20));
    prop_assert!(post.links.len() <= 101 && post.tags.len() <= 100 && post.mentions.len() <= 100);
    prop_assert!(post.did.len() <= 200 && post.rkey.len() <= 100 && post.created_at.len() <= 40);
    prop_assert!(post.uri.starts_with("at://"));
    Ok(())
}

fn check_frame(frame: &[u8]) -> Result<(), TestCaseError> {
    match parse_frame(frame) {
        Err(e) => prop_assert!(!e.to_string().is_empty()),
        Ok(Frame::Event(FirehoseEvent::Commit { posts, deleted, .. })) => {
            prop_assert!(posts.len() + deleted.len() <= 200);
            for post in &posts {
                check_post(post)?;
            }
            // What was decoded was within the bound.
            prop_assert!(check_depth(frame, MAX_CBOR_DEPTH).is_ok());
        }
        Ok(Frame::Event(FirehoseEvent::Other { time, .. })) => prop_assert!(time.len() <= 40),
        Ok(Frame::Info { name, message }) | Ok(Frame::Error { error: name, message }) => {
            prop_assert!(name.len() <= 100 && message.is_none_or(|m| m.len() <= 500));
        }
    }
    Ok(())
}

/// CBOR arrays nested `depth` deep.
fn deep_cbor() -> impl Strategy<Value = Vec<u8>> {
    (0..=100_000usize, any::<bool>()).prop_map(|(depth, in_body)| {
        let mut frame = Vec::new();
        if in_body {
            // {"op": 1, "t": "#commit"}, then {"seq": 1, "later": [[…]]}
            frame.extend([0xa2, 0x62, b'o', b'p', 0x01, 0x61, b't', 0x67]);
            frame.extend(b"#commit");
            frame.extend([0xa2, 0x63, b's', b'e', b'q', 0x01, 0x65]);
            frame.extend(b"later");
        }
        frame.extend(std::iter::repeat_n(0x81, depth));
        frame.push(0x00);
        frame
    })
}

#[test]
fn fuzz_firehose_frames() {
    let input = prop_oneof![
        6 => mutated(recorded_frames()),
        1 => prop::collection::vec(any::<u8>(), 0..300),
        1 => deep_cbor(),
    ];
    fuzz("firehose-frame", 1_000, input, |frame| check_frame(&frame));
}

#[test]
fn fuzz_cbor_depth_check() {
    // The check before decoding agrees with the decoder on what is well formed enough to
    // walk, and never fails on what the decoder reads.
    let input = prop_oneof![3 => mutated(recorded_frames()), 1 => prop::collection::vec(any::<u8>(), 0..64)];
    fuzz("cbor-depth", 2_000, input, |bytes| {
        if check_depth(&bytes, MAX_CBOR_DEPTH).is_err() {
            return Ok(());
        }
        let _ = parse_frame(&bytes);
        Ok(())
    });
}

fn check_event(json: &str) -> Result<(), TestCaseError> {
    match parse_event(json) {
        Err(e) => prop_assert!(!e.to_string().is_empty()),
        Ok(JetstreamEvent::Post { post, .. }) => check_post(&post)?,
        Ok(JetstreamEvent::Deleted { uri, .. }) => prop_assert!(uri.starts_with("at://")),
        Ok(JetstreamEvent::Other { .. }) => {}
    }
    Ok(())
}

#[test]
fn fuzz_jetstream_events() {
    let input = prop_oneof![
        6 => mutated(recorded_events()).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => "\\PC{0,200}",
        1 => nested("[", "1", "]", 30_000).prop_map(|d| format!(
            r#"{{"did":"did:plc:x","time_us":1,"kind":"commit","commit":{{"operation":"create","collection":"app.bsky.feed.post","rkey":"3k","record":{{"text":"x","embed":{d}}}}}}}"#
        )),
        1 => nested("{\"a\":", "1", "}", 20_000).prop_map(|d| format!(r#"{{"did":"did:plc:x","time_us":1,"kind":"commit","commit":{d}}}"#)),
    ];
    fuzz("jetstream-event", 1_000, input, |json| check_event(&json));
}
