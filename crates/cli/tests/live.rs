//! Live pages across servers: two `tutti serve` processes over one PostgreSQL database hear
//! each other's changes through the change feed, and open event streams cost the database
//! nothing while nothing changes.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tutti_app::{Actor, App};
use tutti_store::changes::Topic;
use tutti_store::Store;
use tutti_test_support::TestDb;

const PASSWORD: &str = "correct horse battery";
const WS: &str = "maison-lumiere";

/// A running `tutti serve`, killed when dropped.
struct Server {
    child: Child,
    base: String,
    log: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    /// Starts `tutti serve` on a free port over `db`, without the background worker (so that
    /// the database hears only the pages), and learns the port from its first line.
    fn start(db: &TestDb, data: &std::path::Path) -> Server {
        let mut child = tutti(db, data)
            .args(["serve", "--listen", "127.0.0.1:0", "--no-worker"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tutti serve");
        let mut err = child.stderr.take().expect("stderr");
        let log = Some(std::thread::spawn(move || {
            let mut log = String::new();
            let _ = err.read_to_string(&mut log);
            log
        }));
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        let _ = out.read_line(&mut first);
        // Keep draining standard output so that the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let port = first
            .strip_prefix("Tutti is listening on http://127.0.0.1:")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|port| port.parse::<u16>().ok());
        let mut server = Server { child, base: String::new(), log };
        let Some(port) = port else {
            let _ = server.child.kill();
            let _ = server.child.wait();
            let log = server.log.take().and_then(|h| h.join().ok()).unwrap_or_default();
            panic!("tutti serve did not start: {first}\n{log}");
        };
        server.base = format!("http://127.0.0.1:{port}");
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `tutti` binary pointed at `db`, with nothing from the environment.
fn tutti(db: &TestDb, data: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tutti"));
    command.args(["--data-dir", &data.display().to_string(), "--database-url", &db.url]);
    command.env("TUTTI_METRICS_TOKEN", METRICS_TOKEN);
    for var in
        ["TUTTI_DATA_DIR", "TUTTI_DATABASE_URL", "TUTTI_AS", "TUTTI_LOG", "TUTTI_LOG_FORMAT", "TUTTI_LISTEN"]
    {
        command.env_remove(var);
    }
    command
}

/// Runs `tutti args` to success and returns its standard output.
fn run(db: &TestDb, data: &std::path::Path, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = tutti(db, data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tutti");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("stdin");
    let out = child.wait_with_output().expect("wait for tutti");
    assert!(out.status.success(), "tutti {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A workspace with a community manager; returns the manager's API token.
fn workspace_with_a_cm(db: &TestDb, data: &std::path::Path) -> String {
    let pw = format!("{PASSWORD}\n");
    run(db, data, &["user", "add", "--email", "marc@example.fr", "--name", "Marc", "--password-stdin"], &pw);
    run(db, data, &["workspace", "add", "Maison Lumière"], "");
    run(db, data, &["member", "add", "--workspace", WS, "--email", "marc@example.fr", "--role", "cm"], "");
    run(db, data, &["token", "create", "--email", "marc@example.fr"], "").trim().to_owned()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().expect("HTTP client")
}

/// Opens the inbox's event stream of `server`.
async fn inbox_stream(client: &reqwest::Client, server: &Server, token: &str) -> reqwest::Response {
    let r = client
        .get(server.url(&format!("/w/{WS}/inbox/events")))
        .bearer_auth(token)
        .send()
        .await
        .expect("open the event stream");
    assert_eq!(r.status(), 200, "opening a stream");
    r
}

/// Reads `stream` until it carries `event: moved` with `id`, at most 10 s; returns when.
async fn moved(stream: &mut reqwest::Response, id: i64) -> Instant {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("no `moved` for {id} within 10 s: {seen:?}"))
            .expect("read the stream")
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
        let found = seen.split("\n\n").any(|event| {
            event.contains("event: moved")
                && event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data: "))
                    .any(|d| d.split(',').any(|c| c == id.to_string()))
        });
        if found {
            return Instant::now();
        }
    }
}

/// The password of the servers' metrics (any user name).
const METRICS_TOKEN: &str = "metrics-secret";

/// How many times `server` has used the database, from its metrics.
async fn db_uses(client: &reqwest::Client, server: &Server) -> u64 {
    let r =
        client.get(server.url("/metrics")).basic_auth("scraper", Some(METRICS_TOKEN)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("tutti_db_uses_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no tutti_db_uses_total in {text}"))
}

/// The two tests take turns: the idle count must not share two cores with three servers
/// being started and fed next door (the first look of 1,000 streams then outlasts the wait).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn an_item_stored_through_one_server_reaches_a_stream_of_the_other() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(db) = tutti_test_support::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = workspace_with_a_cm(&db, &data);
    let (a, b) = (Server::start(&db, &data), Server::start(&db, &data));
    let client = http();
    let mut on_b = inbox_stream(&client, &b, &token).await;

    // An item ingested as the inbox reader stores it (here, in this test's process: a third
    // process on the same database) reaches the stream of server B.
    let app = App::new(Store::open(&db.url).await.unwrap(), tutti_test_support::app_config());
    let channel = tutti_test_support::offline_bluesky("maison.test", Some("did:plc:maison"));
    let keys = tutti_app::secrets::Keyring::generate();
    let ch = app.add_channel(&Actor::Operator, &keys, WS, &channel).await.unwrap();
    let brand_post = "at://did:plc:maison/app.bsky.feed.post/1".to_owned();
    let note = tutti_app::ingest::Incoming {
        remote_id: "r1".into(),
        kind: tutti_domain::ItemKind::Reply,
        author_id: "did:plc:alice".into(),
        author_handle: "alice.test".into(),
        author_name: "Alice".into(),
        text: "Ma commande n'est jamais arrivée".into(),
        post: Some(("at://did:plc:alice/app.bsky.feed.post/r1".into(), Some("cidr1".into()))),
        parent: Some(brand_post.clone()),
        root: Some(brand_post),
        at: tutti_store::now_ms() - 5_000,
        ..Default::default()
    };
    let item = tutti_app::ingest::item_of(ch.workspace_id, ch.id, tutti_domain::Network::Bluesky, &note);
    let store = app.store();
    let mut tx = store.begin().await.unwrap();
    let conversation =
        tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &[item]).await.unwrap()[0];
    store.announce(&mut tx, ch.workspace_id, Topic::Inbox).await.unwrap();
    let committed = Instant::now();
    tx.commit().await.unwrap();
    let heard = moved(&mut on_b, conversation).await;
    println!("stored by this process, heard by server B after {:?}", heard - committed);

    // A reply written through server A's API moves the conversation on server B too.
    let mut on_a = inbox_stream(&client, &a, &token).await;
    let sent = Instant::now();
    let r = client
        .post(a.url(&format!("/api/v1/workspaces/{WS}/inbox/{conversation}/reply")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"text": "Bonjour Alice, nous regardons.", "seen_items": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let answered = Instant::now();
    let heard = moved(&mut on_b, conversation).await;
    println!(
        "a reply through server A: answered after {:?}, heard by server B {:?} after the answer",
        answered - sent,
        heard.saturating_duration_since(answered)
    );
    moved(&mut on_a, conversation).await;

    // Closing it on server A moves it on server B too: a status change is news for every open
    // inbox, not only a new item.
    let r = client
        .post(a.url(&format!("/api/v1/workspaces/{WS}/inbox/{conversation}/status")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"status": "closed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap_or_default());
    moved(&mut on_b, conversation).await;
    app.store().close().await;
}

#[tokio::test]
async fn a_thousand_idle_streams_cost_the_database_no_queries() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(db) = tutti_test_support::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = workspace_with_a_cm(&db, &data);
    let server = Server::start(&db, &data);
    let client = http();

    const STREAMS: usize = 1_000;
    let mut streams = Vec::with_capacity(STREAMS);
    // Opened 25 at a time, each a signed-in request like any page's, with one API token: every
    // opening is answered (a request that held a pooled connection while waiting for a second
    // one used to starve the pool under such a burst and fail after the pool's 10 s wait).
    let open_one = || async {
        let r = client
            .get(server.url(&format!("/w/{WS}/inbox/events")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("open the event stream");
        let status = r.status();
        assert_eq!(status, 200, "a stream was refused: {}", r.text().await.unwrap_or_default());
        r
    };
    for _ in 0..STREAMS / 25 {
        let batch = (0..25).map(|_| open_one());
        streams.extend(futures_util::future::join_all(batch).await);
    }
    println!("{STREAMS} streams opened");
    assert_eq!(streams.len(), STREAMS);

    // The server counts every use of the database (a connection taken, a transaction, a
    // ping) and shows the count on /metrics, which reads it without using the database.
    let before = db_uses(&client, &server).await;
    const IDLE: Duration = Duration::from_secs(5);
    tokio::time::sleep(IDLE).await;
    let after = db_uses(&client, &server).await;
    println!(
        "{STREAMS} open streams, {} s idle: the server used the database {} times ({:.1}/s)",
        IDLE.as_secs(),
        after - before,
        (after - before) as f64 / IDLE.as_secs_f64()
    );
    assert_eq!(after, before, "the server used the database with {STREAMS} idle streams");

    // Still live: a change reaches them.
    let app = App::new(Store::open(&db.url).await.unwrap(), tutti_test_support::app_config());
    let channel = tutti_test_support::offline_bluesky("maison.test", Some("did:plc:maison"));
    let keys = tutti_app::secrets::Keyring::generate();
    let ch = app.add_channel(&Actor::Operator, &keys, WS, &channel).await.unwrap();
    let note = tutti_app::ingest::Incoming {
        remote_id: "r1".into(),
        kind: tutti_domain::ItemKind::Mention,
        author_id: "did:plc:bob".into(),
        author_handle: "bob.test".into(),
        author_name: "Bob".into(),
        text: "Bonjour".into(),
        post: Some(("at://did:plc:bob/app.bsky.feed.post/r1".into(), Some("cidr1".into()))),
        at: tutti_store::now_ms() - 5_000,
        ..Default::default()
    };
    let item = tutti_app::ingest::item_of(ch.workspace_id, ch.id, tutti_domain::Network::Bluesky, &note);
    let mut tx = app.store().begin().await.unwrap();
    let conversation =
        tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &[item]).await.unwrap()[0];
    app.store().announce(&mut tx, ch.workspace_id, Topic::Inbox).await.unwrap();
    tx.commit().await.unwrap();
    moved(&mut streams[0], conversation).await;
    moved(&mut streams[STREAMS - 1], conversation).await;
    app.store().close().await;
}
