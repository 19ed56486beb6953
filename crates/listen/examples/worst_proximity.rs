//! Times the worst case of proximity known, `"a a a a a a b"~100` over a post of 241 words
//! (`b`, 120 other words, then `a` 120 times), with one to six repeated words, and gives up on
//! a case after a timeout (seconds, the first argument, 120 by default). Uses only the public
//! API, so the same file measures an older version of the crate too:
//!
//! ```text
//! cargo run --release -p tutti-listen --example worst_proximity -- 120
//! ```

use std::sync::mpsc;
use std::time::{Duration, Instant};

use tutti_listen::{Engine, Network, Post, Query};

fn post() -> Post {
    let mut words: Vec<String> = vec!["b".into()];
    words.extend((0..120).map(|i| format!("mot{i}")));
    words.extend(std::iter::repeat_n("a".to_owned(), 120));
    Post {
        text: words.join(" "),
        author: "bench".into(),
        lang: Some("fr".into()),
        network: Network::Bluesky,
        links: vec![],
    }
}

fn main() {
    let timeout = Duration::from_secs(std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(120));
    for k in 1..=6 {
        let text = format!("\"{}b\"~100", "a ".repeat(k));
        let (tx, rx) = mpsc::channel();
        let q = text.clone();
        std::thread::spawn(move || {
            let query = Query::parse(&q).unwrap();
            let engine = Engine::with_queries([(0, query.clone())]);
            let p = post();
            // The best of up to 20 runs, each the reference evaluator then the engine.
            let mut best = Duration::MAX;
            let mut matched = (false, false);
            let started = Instant::now();
            for _ in 0..20 {
                let run = Instant::now();
                matched = (query.matches(&p), !engine.matches(&p).is_empty());
                best = best.min(run.elapsed());
                if started.elapsed() > Duration::from_secs(1) {
                    break;
                }
            }
            let _ = tx.send((matched, best));
        });
        match rx.recv_timeout(timeout) {
            Ok(((reference, engine), best)) => {
                println!("{text}: reference {reference}, engine {engine}, {:.1} µs", best.as_secs_f64() * 1e6)
            }
            Err(_) => {
                println!("{text}: no answer after {} s (stopped)", timeout.as_secs());
                return;
            }
        }
    }
}
