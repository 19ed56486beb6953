//! Input nested a hundred thousand deep, from both firehoses, refused cleanly on a thread
//! with a small stack: CBOR frames and records of subscribeRepos (checked to 64 levels before
//! decoding: the DAG-CBOR decoder's own limit, 256 levels of recursion, takes more than
//! 256 kB of stack in a debug build) and JSON events of Jetstream (the JSON reader's limit of
//! 128 levels).

use std::collections::BTreeMap;

use ipld_core::cid::multihash::Multihash;
use ipld_core::cid::Cid;
use ipld_core::ipld::Ipld;
use sha2::{Digest, Sha256};
use tutti_bluesky::cbor::MAX_CBOR_DEPTH;
use tutti_bluesky::firehose::parse_frame;
use tutti_bluesky::jetstream::parse_event;
use tutti_bluesky::{EventError, FrameError};

const DEPTH: usize = 100_000;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(f).unwrap().join().unwrap()
}

/// Arrays nested `depth` deep around a zero, in CBOR.
fn nested_cbor(depth: usize) -> Vec<u8> {
    let mut bytes = vec![0x81; depth];
    bytes.push(0x00);
    bytes
}

fn text(s: &str) -> Vec<u8> {
    assert!(s.len() < 24);
    let mut out = vec![0x60 | s.len() as u8];
    out.extend_from_slice(s.as_bytes());
    out
}

fn commit_header() -> Vec<u8> {
    let header = BTreeMap::from([("op", Ipld::Integer(1)), ("t", Ipld::String("#commit".into()))]);
    serde_ipld_dagcbor::to_vec(&header).unwrap()
}

/// A commit frame whose body has an unknown field nested `depth` deep.
fn commit_frame_with_deep_field(depth: usize) -> Vec<u8> {
    let mut frame = commit_header();
    // {"seq": 1, "repo": "did:plc:x", "later": [[[…]]]}
    frame.push(0xa3);
    frame.extend(text("seq"));
    frame.push(0x01);
    frame.extend(text("repo"));
    frame.extend(text("did:plc:x"));
    frame.extend(text("later"));
    frame.extend(nested_cbor(depth));
    frame
}

fn varint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A commit frame creating one post whose record (in the CAR file, under its right CID) has a
/// field nested `depth` deep.
fn commit_frame_with_deep_record(depth: usize) -> Vec<u8> {
    // {"text": "x", "$type": "app.bsky.feed.post", "later": [[[…]]]}, keys in DAG-CBOR order.
    let mut record = vec![0xa3];
    record.extend(text("text"));
    record.extend(text("x"));
    record.extend([0x65]);
    record.extend(b"$type");
    record.extend([0x72]);
    record.extend(b"app.bsky.feed.post");
    record.extend(text("later"));
    record.extend(nested_cbor(depth));
    let cid = Cid::new_v1(0x71, Multihash::wrap(0x12, &Sha256::digest(&record)).unwrap());
    let car_header = serde_ipld_dagcbor::to_vec(&BTreeMap::from([
        ("version", Ipld::Integer(1)),
        ("roots", Ipld::List(vec![])),
    ]))
    .unwrap();
    let mut car = Vec::new();
    varint(car_header.len(), &mut car);
    car.extend(&car_header);
    let cid_bytes = cid.to_bytes();
    varint(cid_bytes.len() + record.len(), &mut car);
    car.extend(&cid_bytes);
    car.extend(&record);
    let op = Ipld::Map(BTreeMap::from([
        ("action".to_owned(), Ipld::String("create".into())),
        ("path".to_owned(), Ipld::String("app.bsky.feed.post/3kabc".into())),
        ("cid".to_owned(), Ipld::Link(cid)),
    ]));
    let body = Ipld::Map(BTreeMap::from([
        ("seq".to_owned(), Ipld::Integer(7)),
        ("repo".to_owned(), Ipld::String("did:plc:x".into())),
        ("time".to_owned(), Ipld::String("2026-12-07T08:00:00Z".into())),
        ("ops".to_owned(), Ipld::List(vec![op])),
        ("blocks".to_owned(), Ipld::Bytes(car)),
    ]));
    let mut frame = commit_header();
    frame.extend(serde_ipld_dagcbor::to_vec(&body).unwrap());
    frame
}

fn refused_for_depth(result: Result<tutti_bluesky::Frame, FrameError>) {
    match result {
        Err(FrameError::Malformed(why)) => assert!(why.contains("nested deeper than 64"), "{why}"),
        other => panic!("refused for its depth, got {other:?}"),
    }
}

#[test]
fn a_firehose_frame_nested_a_hundred_thousand_deep_is_refused_cleanly() {
    refused_for_depth(on_small_stack(|| parse_frame(&commit_frame_with_deep_field(DEPTH))));
}

#[test]
fn a_firehose_record_nested_a_hundred_thousand_deep_is_refused_cleanly() {
    refused_for_depth(on_small_stack(|| parse_frame(&commit_frame_with_deep_record(DEPTH))));
}

#[test]
fn nesting_up_to_the_limit_still_decodes_on_a_small_stack() {
    // The frame's body is one level, its unknown field the others.
    let (ok, too_deep) = on_small_stack(|| {
        (
            parse_frame(&commit_frame_with_deep_field(MAX_CBOR_DEPTH - 1)),
            parse_frame(&commit_frame_with_deep_field(MAX_CBOR_DEPTH)),
        )
    });
    assert!(matches!(ok, Ok(tutti_bluesky::Frame::Event(_))), "{ok:?}");
    refused_for_depth(too_deep);
    // The record: a map, then the arrays.
    let (ok, too_deep) = on_small_stack(|| {
        (
            parse_frame(&commit_frame_with_deep_record(MAX_CBOR_DEPTH - 1)),
            parse_frame(&commit_frame_with_deep_record(MAX_CBOR_DEPTH)),
        )
    });
    match ok {
        Ok(tutti_bluesky::Frame::Event(tutti_bluesky::FirehoseEvent::Commit { posts, .. })) => {
            assert_eq!(posts[0].text, "x")
        }
        other => panic!("a post, got {other:?}"),
    }
    refused_for_depth(too_deep);
}

/// The decoder's own limit, behind the check: 256 levels, an error and not a crash on a
/// stack large enough for its recursion.
#[test]
fn the_decoder_alone_stops_at_256_levels() {
    #[derive(serde::Deserialize, Debug)]
    struct Anything {}
    let mut map = vec![0xa1];
    map.extend(text("later"));
    map.extend(nested_cbor(100_000));
    let e = std::thread::Builder::new()
        .stack_size(8 * 1024 * 1024)
        .spawn(move || serde_ipld_dagcbor::from_slice::<Anything>(&map).unwrap_err().to_string())
        .unwrap()
        .join()
        .unwrap();
    assert!(e.contains("ignored-any"), "{e}");
}

#[test]
fn a_jetstream_event_nested_thirty_thousand_deep_is_refused_cleanly() {
    // As deep as an event of at most 64 kB can nest.
    let deep = format!("{}1{}", "[".repeat(30_000), "]".repeat(30_000));
    let event = format!(
        r#"{{"did":"did:plc:x","time_us":1,"kind":"commit","commit":{{"operation":"create","collection":"app.bsky.feed.post","rkey":"3k","record":{{"text":"x","embed":{deep}}}}}}}"#
    );
    match on_small_stack(move || parse_event(&event)) {
        Err(EventError::Malformed(why)) => assert!(why.contains("recursion limit exceeded"), "{why}"),
        other => panic!("refused, got {other:?}"),
    }
}
