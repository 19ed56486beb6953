//! Fuzz targets for what a Mastodon instance sends: statuses (timeline and streaming),
//! notifications, and the server-sent-events stream they travel in. Mutated from answers
//! recorded from a real instance, random, or nested deep. See `tutti-fuzz`:
//!
//! ```text
//! TUTTI_FUZZ_SECONDS=600 cargo test --release -p tutti-mastodon --test fuzz -- --test-threads=1 --nocapture
//! ```

use tutti_fuzz::proptest::prelude::*;
use tutti_fuzz::{fuzz, mutated, nested};
use tutti_mastodon::client::parse_notification;
use tutti_mastodon::sse::{SseItem, SseParser};
use tutti_mastodon::{parse_status, ParsedStatus};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn recorded_statuses() -> Vec<Vec<u8>> {
    let all: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/statuses.json")).unwrap()).unwrap();
    let mut seeds: Vec<Vec<u8>> = all.iter().map(|s| serde_json::to_vec(s).unwrap()).collect();
    seeds.push(std::fs::read(format!("{DATA}/reblog.json")).unwrap());
    seeds
}

fn recorded_notifications() -> Vec<Vec<u8>> {
    let cassettes: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/publishing.json")).unwrap()).unwrap();
    cassettes
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| name.starts_with("notifications"))
        .flat_map(|(_, c)| c["response"]["body"].as_array().cloned().unwrap_or_default())
        .map(|n| serde_json::to_vec(&n).unwrap())
        .collect()
}

fn check_status(json: &str) -> Result<(), TestCaseError> {
    match parse_status(json, "mastodon.example") {
        Err(e) => prop_assert!(!e.to_string().is_empty()),
        Ok(ParsedStatus::Post(post)) => {
            prop_assert!(post.text.chars().count() <= 20_000, "{}", post.text.len());
            prop_assert!(!post.text.chars().any(|c| c.is_control() && c != '\n'));
        }
        Ok(_) => {}
    }
    Ok(())
}

#[test]
fn fuzz_statuses() {
    let input = prop_oneof![
        6 => mutated(recorded_statuses()).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => "\\PC{0,200}",
        1 => nested("[", "1", "]", 100_000).prop_map(|d| format!(r#"{{"id":"1","content":"x","card":{d}}}"#)),
        1 => nested("{\"reblog\":", "null", "}", 100_000),
    ];
    fuzz("mastodon-status", 500, input, |json| check_status(&json));
}

#[test]
fn fuzz_notifications() {
    let input = prop_oneof![
        6 => mutated(recorded_notifications()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => nested("{\"status\":", "{}", "}", 100_000).prop_map(|d| d.into_bytes()),
    ];
    fuzz("mastodon-notification", 500, input, |body| {
        // As the client reads an answer: JSON (with the reader's nesting limit), then each
        // notification.
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) {
            if let Some(n) = parse_notification(value, "mastodon.example") {
                prop_assert!(!n.account.is_empty() && n.account.contains('@'));
                prop_assert!(n.account.chars().count() <= 400 && n.display_name.chars().count() <= 400);
            }
        }
        Ok(())
    });
}

#[test]
fn fuzz_event_streams() {
    let stream = std::fs::read(format!("{DATA}/user.sse")).unwrap();
    let input = (
        prop_oneof![
            4 => mutated(vec![stream.clone(), std::fs::read(format!("{DATA}/public_local.sse")).unwrap()]),
            1 => prop::collection::vec(prop::sample::select(vec![b'\n', b'\r', b':', b'd', b'a', b't', b' ', b'x']), 0..400),
        ],
        prop::collection::vec(1..64usize, 1..16),
        64..4096usize,
    );
    fuzz("mastodon-sse", 1_000, input, |(bytes, cuts, max)| {
        // Fed in pieces of any size, the same events come out; none is larger than the limit.
        let mut whole = Vec::new();
        SseParser::new(max).push(&bytes, &mut whole);
        let mut pieces = Vec::new();
        let mut parser = SseParser::new(max);
        let mut rest: &[u8] = &bytes;
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (head, tail) = rest.split_at((*cut).min(rest.len()));
            parser.push(head, &mut pieces);
            rest = tail;
        }
        prop_assert_eq!(&pieces, &whole);
        for item in &whole {
            if let SseItem::Event { name, data } = item {
                prop_assert!(data.len() <= max && name.len() <= 64);
                let _ = parse_status(data, "mastodon.example");
            }
        }
        Ok(())
    });
}
