//! Listening from the command line: saved queries with column-precise errors, `query test`,
//! `nlp`, and `tutti listen` storing mentions from a local feed and a local Jetstream replay,
//! resuming after a restart without duplicates.

mod common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::ok;
use futures_util::SinkExt;
use tempfile::TempDir;
use tokio_tungstenite::tungstenite::Message;
use tutti_store::listening;
use tutti_store::Store;

fn tutti(dir: &TempDir, args: &[&str], stdin: &str) -> Output {
    common::tutti(dir.path(), "", args, stdin)
}

fn setup() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(tutti(&dir, &["workspace", "add", "Maison Lumière"], ""));
    dir
}

#[test]
fn saving_a_malformed_query_names_the_column_and_saves_nothing() {
    let dir = setup();
    let out = tutti(
        &dir,
        &["query", "add", "--workspace", "maison-lumiere", "--name", "Marque", "--query", "lampe AND"],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: query: col "), "{err}");
    assert_eq!(err.lines().count(), 1);
    let listed = ok(tutti(&dir, &["query", "list", "--workspace", "maison-lumiere", "--json"], ""));
    assert_eq!(listed.trim(), "[]");

    let saved = ok(tutti(
        &dir,
        &[
            "query",
            "add",
            "--workspace",
            "maison-lumiere",
            "--name",
            "Marque",
            "--query",
            "\"maison lumière\" OR #maisonlumiere",
        ],
        "",
    ));
    assert!(saved.contains("Saved the query Marque"));
    let dup = tutti(
        &dir,
        &["query", "add", "--workspace", "maison-lumiere", "--name", "Marque", "--query", "lampe"],
        "",
    );
    assert!(String::from_utf8(dup.stderr).unwrap().starts_with("error: name: "));
    let kind = tutti(
        &dir,
        &[
            "query",
            "add",
            "--workspace",
            "maison-lumiere",
            "--name",
            "X",
            "--query",
            "lampe",
            "--kind",
            "friend",
        ],
        "",
    );
    assert!(String::from_utf8(kind.stderr).unwrap().starts_with("error: kind: "));
}

#[test]
fn query_test_prints_the_posts_that_match() {
    let dir = tempfile::tempdir().unwrap();
    let posts = "J'adore ma lampe Maison Lumière\nrien à voir\n{\"text\":\"new lamp from maison lumiere\",\"lang\":\"en\"}\n{\"text\":\"Maison Lumière, en allemand\",\"lang\":\"de\"}\n";
    let out = ok(tutti(&dir, &["query", "test", "--query", "\"maison lumiere\" AND NOT lang:de"], posts));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        ["J'adore ma lampe Maison Lumière", "{\"text\":\"new lamp from maison lumiere\",\"lang\":\"en\"}"]
    );
    let bad = tutti(&dir, &["query", "test", "--query", "lampe"], "{\"txt\":1}\n");
    assert!(String::from_utf8(bad.stderr).unwrap().contains("line 1"));
}

#[test]
fn nlp_prints_one_json_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(tutti(
        &dir,
        &["nlp", "--json"],
        "Le service client est vraiment nul, je suis très déçu\nI love this lamp, it is wonderful!\n",
    ));
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["lang"], "fr");
    assert_eq!(lines[0]["sentiment"]["label"], "neg");
    assert_eq!(lines[1]["lang"], "en");
    assert_eq!(lines[1]["sentiment"]["label"], "pos");
    assert_eq!(lines[1]["toxicity"]["flagged"], false);
}

#[test]
fn nlp_eval_scores_the_labelled_sets_of_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let sets = dir.path().join("sets");
    std::fs::create_dir(&sets).unwrap();
    std::fs::write(
        sets.join("sentiment-fr.tsv"),
        "pos\tJ'adore ce film, il est magnifique\nneg\tC'est nul, une vraie catastrophe\n",
    )
    .unwrap();
    std::fs::write(
        sets.join("profane-mini.tsv"),
        "profane\tｆｖｃｋ you\nclean\tBitche est une ville de Moselle\n",
    )
    .unwrap();
    std::fs::write(sets.join("readme.txt"), "not a set").unwrap();
    let out = ok(tutti(&dir, &["nlp", "eval", sets.to_str().unwrap()], ""));
    assert!(out.contains("sentiment-fr.tsv (Sentiment): n=2 accuracy=100.0%"), "{out}");
    assert!(out.contains("profane-mini.tsv (Profane): n=2 accuracy=100.0%"), "{out}");
    assert!(out.contains("texts/s"), "{out}");
    let empty = tempfile::tempdir().unwrap();
    let bad = tutti(&dir, &["nlp", "eval", empty.path().to_str().unwrap()], "");
    assert!(!bad.status.success());
}

/// Stops a `tutti listen` the way Ctrl-C does, and waits for it.
async fn interrupt(mut child: Child) {
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    panic!("tutti listen did not stop on SIGINT");
}

async fn mentions(dir: &TempDir, at_least: usize) -> Vec<listening::Mention> {
    let store = Store::open(&format!("sqlite://{}", dir.path().join("tutti.db").display())).await.unwrap();
    let start = Instant::now();
    loop {
        let mut conn = store.conn().await.unwrap();
        let mut all = Vec::new();
        for q in listening::active_queries(&mut conn).await.unwrap() {
            all.extend(listening::mentions_of(&mut conn, q.id, &Default::default(), 100).await.unwrap());
        }
        if all.len() >= at_least || start.elapsed() > Duration::from_secs(20) {
            // `close` waits for every borrowed connection to come back.
            drop(conn);
            store.close().await;
            return all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// The local servers must keep answering while the test waits on the child processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_stores_feed_and_jetstream_mentions_once_across_restarts() {
    let dir = setup();
    for (name, query) in [
        ("Marque", "\"maison lumière\" OR @maison-lumiere.example OR #luminaire"),
        ("Service", "service AND client"),
    ] {
        ok(tutti(
            &dir,
            &["query", "add", "--workspace", "maison-lumiere", "--name", name, "--query", query],
            "",
        ));
    }

    // A local feed.
    let feed = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>b</title><link>https://b.example</link><description>d</description>
<item><guid>post-1</guid><title>Test de la lampe Maison Lumière</title><link>https://b.example/1</link><description>Très belle lampe</description></item>
<item><guid>post-2</guid><title>Autre sujet</title><link>https://b.example/2</link><description>rien</description></item></channel></rss>"#;
    let app = axum::Router::new().route("/feed.xml", axum::routing::get(move || async move { feed }));
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let feed_url = format!("http://{}/feed.xml", http.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(http, app).await.unwrap() });

    // A local Jetstream replaying the recorded events from the requested cursor on.
    let events: Vec<String> =
        include_str!("../../bluesky/tests/data/jetstream.jsonl").lines().map(str::to_owned).collect();
    let ws = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_url = format!("ws://{}/subscribe", ws.local_addr().unwrap());
    let cursors = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = cursors.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = ws.accept().await {
            let mut uri = String::new();
            #[allow(clippy::result_large_err)]
            let cb = |req: &tokio_tungstenite::tungstenite::handshake::server::Request, res| {
                uri = req.uri().to_string();
                Ok(res)
            };
            let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, cb).await else { continue };
            let cursor: Option<i64> = uri.split("cursor=").nth(1).and_then(|c| c.parse().ok());
            seen.lock().unwrap().push(cursor);
            for e in &events {
                let t: i64 =
                    serde_json::from_str::<serde_json::Value>(e).unwrap()["time_us"].as_i64().unwrap();
                if cursor.is_none_or(|c| t >= c) && socket.send(Message::text(e.clone())).await.is_err() {
                    break;
                }
            }
            // Stay open, as Jetstream does, until the client leaves.
            let _ = futures_util::StreamExt::next(&mut socket).await;
        }
    });

    let listen = |dir: &TempDir| {
        Command::new(env!("CARGO_BIN_EXE_tutti"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["listen", "--jetstream", &ws_url, "--feed", &feed_url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let child = listen(&dir);
    // Feed: post-1 (Marque). Jetstream: the first post (mention + tag, Marque), the one that
    // thanks @maison-lumiere.example (Marque) and the complaint about the service (Service).
    let found = mentions(&dir, 4).await;
    interrupt(child).await;
    let mut ids: Vec<(String, i64)> = found.iter().map(|m| (m.external_id.clone(), m.query_id)).collect();
    ids.sort();
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert!(ids.iter().any(|(id, _)| id == "post-1"));
    let complaint = found.iter().find(|m| m.text.contains("service client")).expect("the complaint matched");
    assert_eq!(complaint.sentiment.map(|s| s.as_str()), Some("neg"));
    assert_eq!(complaint.lang.as_deref(), Some("fr"));

    // A restart resumes from the stored cursor: nothing is stored twice.
    let child = listen(&dir);
    let start = Instant::now();
    while cursors.lock().unwrap().len() < 2 && start.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    interrupt(child).await;
    assert_eq!(mentions(&dir, 4).await.len(), 4, "no duplicate after a restart");
    let cursors = cursors.lock().unwrap().clone();
    assert_eq!(cursors.first(), Some(&None));
    assert!(cursors.last().unwrap().is_some(), "the second run resumed from a cursor: {cursors:?}");
}

// Posts created on the local reference Bluesky network (its PDS) reach `tutti listen
// --firehose` through com.atproto.sync.subscribeRepos, are matched and stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_matches_posts_created_on_the_local_reference_network() {
    let Some(net) = tutti_test_support::devnet::Devnet::start("tutti listen --firehose", false).await else {
        return;
    };
    let dir = setup();
    ok(tutti(
        &dir,
        &[
            "query",
            "add",
            "--workspace",
            "maison-lumiere",
            "--name",
            "Marque",
            "--query",
            "luminaria AND (lampe OR lamp)",
        ],
        "",
    ));
    let (did, jwt) = net.create_account("alice.test", "hunter2-hunter2").await;
    let child = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "listen",
            "--firehose",
            &net.pds_url,
            "--plc-url",
            &net.plc_url,
            "--handle-resolver",
            &net.pds_url,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Until the listener is connected, posts go by unseen (a first run starts at the live
    // end): post until one is matched.
    let start = Instant::now();
    let mut warmups = 0;
    while mentions_now(&dir).await.is_empty() {
        assert!(start.elapsed() < Duration::from_secs(60), "no post matched within a minute");
        net.create_post(&jwt, &did, &format!("Ma lampe Luminaria numéro {warmups}")).await;
        warmups += 1;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let sent = Instant::now();
    let uri = net
        .create_post(&jwt, &did, "Luminaria: la lampe est arrivée cassée, service client injoignable")
        .await;
    let stored = loop {
        let all = mentions_now(&dir).await;
        if let Some(m) = all.iter().find(|m| m.external_id == uri) {
            break m.clone();
        }
        assert!(sent.elapsed() < Duration::from_secs(10), "the post was not matched");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!("created on the PDS → stored as a mention in {} ms", sent.elapsed().as_millis());
    assert_eq!(stored.source, "firehose");
    assert_eq!(stored.author.as_deref(), Some(did.as_str()));
    assert_eq!(stored.sentiment.map(|s| s.as_str()), Some("neg"));
    let other = net.create_post(&jwt, &did, "Rien à voir : une lampe sans marque").await;
    // A last matching post, to know that the one before it went through the listener.
    let marker = net.create_post(&jwt, &did, "Luminaria : lampe réparée, merci").await;
    let start = Instant::now();
    while !mentions_now(&dir).await.iter().any(|m| m.external_id == marker) {
        assert!(start.elapsed() < Duration::from_secs(10), "the last post was not matched");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The author's DID is resolved to the handle its DID document claims, checked both ways.
    let start = Instant::now();
    let handle = loop {
        let store =
            Store::open(&format!("sqlite://{}", dir.path().join("tutti.db").display())).await.unwrap();
        let found =
            tutti_store::identities::handles(&mut store.conn().await.unwrap(), std::slice::from_ref(&did))
                .await
                .unwrap();
        store.close().await;
        if let Some(h) = found.get(&did) {
            break h.clone();
        }
        assert!(start.elapsed() < Duration::from_secs(15), "the author's handle was not resolved");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(handle, "alice.test");
    interrupt(child).await;
    let all = mentions_now(&dir).await;
    assert!(!all.iter().any(|m| m.external_id == other), "a post the query does not match is not stored");
    assert_eq!(all.iter().filter(|m| m.external_id == uri).count(), 1, "stored once");
}

async fn mentions_now(dir: &TempDir) -> Vec<listening::Mention> {
    let store = Store::open(&format!("sqlite://{}", dir.path().join("tutti.db").display())).await.unwrap();
    let mut conn = store.conn().await.unwrap();
    let mut all = Vec::new();
    for q in listening::active_queries(&mut conn).await.unwrap() {
        all.extend(listening::mentions_of(&mut conn, q.id, &Default::default(), 1000).await.unwrap());
    }
    drop(conn);
    store.close().await;
    all
}
