//! Publishing from the command line against the local reference Bluesky network: connect a
//! channel, write a post, and a `tutti worker` killed right after the network accepted the post
//! leaves, once restarted, exactly one post. The kill comes from the network's side: the channel
//! talks to the PDS through this test's relay, which passes every call on and, when armed,
//! kills the worker as soon as the PDS has created the record, before the answer reaches it.

mod common;

use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};

use common::ok;
use tempfile::TempDir;

/// The hosts of the local network, allowed as an operator allows a PDS on the LAN
/// (`TUTTI_ALLOW_PRIVATE_HOSTS`), for every `tutti` this test runs.
static ALLOWED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn allowed() -> &'static str {
    ALLOWED.get().map(String::as_str).unwrap_or_default()
}

fn tutti(dir: &TempDir, args: &[&str], stdin: &str) -> Output {
    common::tutti(dir.path(), allowed(), args, stdin)
}

fn posts(dir: &TempDir) -> Vec<serde_json::Value> {
    serde_json::from_str(&ok(tutti(dir, &["post", "list", "--workspace", "maison-lumiere", "--json"], "")))
        .unwrap()
}

/// A relay in front of the PDS. Answers that name the PDS's address name the relay's instead,
/// so the client keeps talking through it. While `victim` holds a process id, the first
/// `createRecord` the PDS accepts kills that process before the answer is passed back.
#[derive(Clone)]
struct Relay {
    pds: String,
    own: String,
    victim: Arc<AtomicU32>,
    http: reqwest::Client,
}

async fn relay(
    State(r): State<Relay>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut out = r.http.request(method, format!("{}{path}", r.pds)).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            out = out.header(name, value);
        }
    }
    let answer = out.send().await.expect("the PDS answers the relay");
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let mut kept = HeaderMap::new();
    if let Some(kind) = answer.headers().get("content-type") {
        kept.insert("content-type", kind.clone());
    }
    let body = answer.bytes().await.unwrap();
    let victim = r.victim.load(Ordering::SeqCst);
    if victim != 0 && uri.path().ends_with("com.atproto.repo.createRecord") && status.is_success() {
        r.victim.store(0, Ordering::SeqCst);
        let _ = Command::new("kill").args(["-KILL", &victim.to_string()]).status();
        return (StatusCode::BAD_GATEWAY, HeaderMap::new(), Vec::new());
    }
    let text = String::from_utf8_lossy(&body).replace(&r.pds, &r.own);
    (status, kept, text.into_bytes())
}

async fn start_relay(pds: &str) -> Relay {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let state = Relay {
        pds: pds.trim_end_matches('/').to_string(),
        own: format!("http://{}", listener.local_addr().unwrap()),
        victim: Arc::new(AtomicU32::new(0)),
        http: reqwest::Client::new(),
    };
    let app = axum::Router::new().fallback(relay).with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_after_sending_publishes_exactly_once_after_a_restart() {
    let Some(net) = tutti_test_support::devnet::Devnet::start("tutti worker", false).await else { return };
    let relay = start_relay(&net.pds_url).await;
    let reach = tutti_test_support::allowing(&[&net.pds_url, &net.plc_url, &relay.own]);
    let hosts: Vec<String> = reach.allowed().iter().map(ToString::to_string).collect();
    ALLOWED.set(hosts.join(",")).unwrap();
    let (did, _) = net.create_account("maison.test", "hunter2-hunter2").await;
    let dir = tempfile::tempdir().unwrap();
    ok(tutti(&dir, &["workspace", "add", "Maison Lumière"], ""));

    // Bad input is refused at its field, and nothing is stored.
    let out = tutti(
        &dir,
        &[
            "channel",
            "add",
            "bluesky",
            "--workspace",
            "maison-lumiere",
            "--handle",
            "maison.test",
            "--service",
            &net.pds_url,
            "--app-password-stdin",
        ],
        "wrong-password\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let added = ok(tutti(
        &dir,
        &[
            "channel",
            "add",
            "bluesky",
            "--workspace",
            "maison-lumiere",
            "--handle",
            "maison.test",
            "--service",
            &relay.own,
            "--app-password-stdin",
        ],
        "hunter2-hunter2\n",
    ));
    assert!(added.contains("Connected maison.test (brand voice)"), "{added}");
    let keys = std::fs::read_to_string(dir.path().join("secret.keys")).unwrap();
    let db = std::fs::read(dir.path().join("tutti.db")).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains("hunter2-hunter2"), "credentials are encrypted at rest");
    for (args, field) in [
        (vec!["--channel", "nobody.test", "--text", "x"], "channel"),
        (vec!["--channel", "maison.test", "--text", &"a".repeat(301)], "text"),
        (vec!["--channel", "maison.test", "--text", "x", "--at", "2020-01-01T00:00:00Z"], "at"),
    ] {
        let mut all = vec!["post", "create", "--workspace", "maison-lumiere"];
        all.extend(args);
        let out = tutti(&dir, &all, "");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(field), "{field}: {err}");
    }
    assert!(posts(&dir).is_empty(), "nothing half-written");

    ok(tutti(
        &dir,
        &[
            "post",
            "create",
            "--workspace",
            "maison-lumiere",
            "--channel",
            "maison.test",
            "--text",
            "Une seule fois, même après un crash.",
        ],
        "",
    ));
    // The first worker dies (killed) right after the network accepted the post.
    let first = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("worker")
        .env("TUTTI_ALLOW_PRIVATE_HOSTS", allowed())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    relay.victim.store(first.id(), Ordering::SeqCst);
    let first = first.wait_with_output().unwrap();
    assert!(!first.status.success(), "the first worker died");
    assert_eq!(
        relay.victim.load(Ordering::SeqCst),
        0,
        "it died at the relay, after the PDS created the record"
    );
    assert_eq!(posts(&dir)[0]["status"], "publishing", "the crash left the post unsettled");

    // A new worker waits for the dead one's lease (60 s) to run out; to keep the test short,
    // the lease is expired by hand, as time would.
    let store = tutti_store::Store::open(&format!("sqlite://{}", dir.path().join("tutti.db").display()))
        .await
        .unwrap();
    let mut conn = store.conn().await.unwrap();
    sqlx::query("UPDATE posts SET lease_until = 0").execute(&mut *conn).await.unwrap();
    drop(conn);
    store.close().await;
    let mut second = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("worker")
        .env("TUTTI_ALLOW_PRIVATE_HOSTS", allowed())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while posts(&dir)[0]["status"] != "published" {
        assert!(start.elapsed() < Duration::from_secs(20), "not published after the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill").args(["-INT", &second.id().to_string()]).status();
    let _ = second.wait();
    let url =
        format!("{}/xrpc/com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post", net.pds_url);
    let listed: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(listed["records"].as_array().unwrap().len(), 1, "exactly one post on the network");
    assert_eq!(keys, std::fs::read_to_string(dir.path().join("secret.keys")).unwrap());

    // Rotating the key re-encrypts the channel, which still publishes.
    ok(tutti(&dir, &["key", "rotate"], ""));
    assert_ne!(keys, std::fs::read_to_string(dir.path().join("secret.keys")).unwrap());
    ok(tutti(
        &dir,
        &[
            "post",
            "create",
            "--workspace",
            "maison-lumiere",
            "--channel",
            "maison.test",
            "--text",
            "Après la rotation de la clé.",
        ],
        "",
    ));
    let mut third = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("worker")
        .env("TUTTI_ALLOW_PRIVATE_HOSTS", allowed())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while posts(&dir).iter().any(|p| p["status"] != "published") {
        assert!(start.elapsed() < Duration::from_secs(20), "not published after the rotation");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill").args(["-INT", &third.id().to_string()]).status();
    let _ = third.wait();
}
