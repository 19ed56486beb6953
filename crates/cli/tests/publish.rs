//! Publishing from the command line against the local reference Bluesky network: connect a
//! channel, write a post, and a `tutti worker` killed right after the network accepted the post
//! leaves, once restarted, exactly one post.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The hosts of the local network, allowed as an operator allows a PDS on the LAN
/// (`TUTTI_ALLOW_PRIVATE_HOSTS`), for every `tutti` this test runs.
static ALLOWED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn allowed() -> &'static str {
    ALLOWED.get().map(String::as_str).unwrap_or_default()
}

fn tutti(dir: &TempDir, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .env("TUTTI_ALLOW_PRIVATE_HOSTS", allowed())
        .env_remove("TUTTI_DATABASE_URL")
        .env_remove("TUTTI_AS")
        .env_remove("TUTTI_SECRET_KEYS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn posts(dir: &TempDir) -> Vec<serde_json::Value> {
    serde_json::from_str(&ok(tutti(dir, &["post", "list", "--workspace", "maison-lumiere", "--json"], "")))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_after_sending_publishes_exactly_once_after_a_restart() {
    let Some(net) = tutti_test_support::devnet::Devnet::start("tutti worker", false).await else { return };
    let hosts: Vec<String> = net.outbound().allowed().iter().map(ToString::to_string).collect();
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
            &net.pds_url,
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
    // The first worker dies (abort) right after the network accepted the post.
    let first = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("worker")
        .env("TUTTI_ALLOW_PRIVATE_HOSTS", allowed())
        .env(tutti_worker::publisher::ABORT_AFTER_SEND, "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(!first.status.success(), "the first worker died");
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
