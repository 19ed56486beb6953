//! Test harness shared by the integration suites: a fresh database per test on every backend,
//! and the rule for peers that may be missing (skip with one line, or fail under
//! `TUTTI_TEST_STRICT=1`).

pub mod devnet;

use std::sync::atomic::{AtomicBool, Ordering};

use tutti_store::{Backend, Store};

/// Whether a missing peer must fail the run instead of skipping (`TUTTI_TEST_STRICT=1`).
pub fn strict() -> bool {
    std::env::var("TUTTI_TEST_STRICT").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// Reports a missing peer: panics under strict mode, otherwise says so where the person running
/// the tests sees it (see [`report_skip`]) and returns `false` so the caller can skip.
pub fn peer_missing(suite: &str, what: &str) -> bool {
    if strict() {
        panic!("{suite}: {what} (TUTTI_TEST_STRICT=1 forbids skipping)");
    }
    report_skip(suite, what);
    false
}

/// Says that `suite` did not run, and why, where the person running the tests sees it.
///
/// The test harness captures what `eprintln!` prints and shows it only for failing tests, so
/// a skip said that way is never seen. The line is written to the process's standard error
/// itself, which the harness does not capture: it reaches the terminal (or the CI log) in the
/// middle of the suite's output. It is also recorded under the target directory
/// (`skipped-suites/`), where the last suite of the workspace (`tutti-worker`'s
/// `suites_not_run`) reads every record back into one closing summary.
pub fn report_skip(suite: &str, what: &str) {
    use std::io::Write;
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let line = format!("skipping {suite}: {what}");
    {
        let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
        if said.contains(&line) {
            return;
        }
        said.push(line.clone());
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n{line} (not run; TUTTI_TEST_STRICT=1 makes a missing peer fail the run)"
    );
    if let Some(dir) = skip_dir() {
        forget_earlier_skips(&dir);
        let binary = this_binary();
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(mut f) =
            std::fs::OpenOptions::new().create(true).append(true).open(dir.join(format!("{binary}.txt")))
        {
            let _ = writeln!(f, "{binary}\t{suite}\t{what}");
        }
    }
}

/// Where the skips of the test binaries are recorded: `skipped-suites/` beside the test
/// binaries' `deps/` directory (`target/debug/skipped-suites`).
pub fn skip_dir() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile = exe.parent()?.parent()?;
    Some(profile.join("skipped-suites"))
}

/// The test binary's name without its hash (`inbox-3f2a…` → `inbox`), with its package.
fn this_binary() -> String {
    let exe = std::env::current_exe().ok();
    let stem = exe.as_deref().and_then(|p| p.file_stem()).and_then(|s| s.to_str()).unwrap_or("tests");
    let name = match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => name,
        _ => stem,
    };
    format!("{}::{name}", std::env::var("CARGO_PKG_NAME").unwrap_or_default())
}

/// A test binary's records describe its latest run: the first time a run reaches a peer (or
/// misses one), the records of its earlier runs go.
fn forget_earlier_skips(dir: &std::path::Path) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = std::fs::remove_file(dir.join(format!("{}.txt", this_binary())));
    });
}

/// Marks the start of this binary's run for the skip records (see [`report_skip`]): called
/// where a suite reaches for a peer, found or not.
pub fn reaching_peers() {
    if let Some(dir) = skip_dir() {
        forget_earlier_skips(&dir);
    }
}

/// The suites recorded as skipped by the latest run of each test binary: (binary, suite, why).
pub fn recorded_skips() -> Vec<(String, String, String)> {
    let Some(dir) = skip_dir() else { return Vec::new() };
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
        for line in text.lines() {
            let mut parts = line.splitn(3, '\t');
            if let (Some(b), Some(s), Some(w)) = (parts.next(), parts.next(), parts.next()) {
                out.push((b.to_owned(), s.to_owned(), w.to_owned()));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A database made for one test; PostgreSQL databases are dropped when it goes away.
#[derive(Debug)]
pub struct TestDb {
    /// Which engine.
    pub backend: Backend,
    /// The URL to open it with.
    pub url: String,
    pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// Opens (and migrates) the database.
    pub async fn open(&self) -> Store {
        Store::open(&self.url).await.expect("open test database")
    }

    /// A short name for messages and screenshot files.
    pub fn label(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            // Best effort, on a thread of its own: the test's runtime may be shutting down.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    use sqlx::Connection;
                    let mut conn = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn)
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}

/// A fresh SQLite database in a temporary directory.
pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("tutti.db").display());
    TestDb { backend: Backend::Sqlite, url, pg: None, _dir: Some(dir) }
}

/// A fresh PostgreSQL database, if `TUTTI_TEST_POSTGRES_URL` names a server.
pub async fn postgres() -> Option<TestDb> {
    static SAID: AtomicBool = AtomicBool::new(false);
    reaching_peers();
    let Ok(admin_url) = std::env::var("TUTTI_TEST_POSTGRES_URL") else {
        if strict() || !SAID.swap(true, Ordering::Relaxed) {
            peer_missing("PostgreSQL runs", "TUTTI_TEST_POSTGRES_URL is not set");
        }
        return None;
    };
    use sqlx::Connection;
    let name = format!("tutti_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = match sqlx::PgConnection::connect(&admin_url).await {
        Ok(c) => c,
        Err(e) => {
            peer_missing("PostgreSQL runs", &format!("cannot connect to TUTTI_TEST_POSTGRES_URL: {e}"));
            return None;
        }
    };
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = match admin_url.rfind('/') {
        Some(i) if admin_url[..i].contains("://") && i > admin_url.find("://").unwrap() + 2 => {
            &admin_url[..i]
        }
        _ => admin_url.as_str(),
    };
    let (base, query) = match admin_url.split_once('?') {
        Some((_, q)) => (base.split('?').next().unwrap_or(base), format!("?{q}")),
        None => (base, String::new()),
    };
    Some(TestDb {
        backend: Backend::Postgres,
        url: format!("{base}/{name}{query}"),
        pg: Some((admin_url.clone(), name)),
        _dir: None,
    })
}

/// A fresh database on every backend this run can reach: SQLite always, PostgreSQL when
/// `TUTTI_TEST_POSTGRES_URL` is set.
pub async fn every_backend() -> Vec<TestDb> {
    let mut dbs = vec![sqlite()];
    dbs.extend(postgres().await);
    dbs
}

/// The settings of the use cases in tests: the defaults, with every network registered.
pub fn app_config() -> tutti_app::AppConfig {
    tutti_app::AppConfig { networks: networks().clone(), ..tutti_app::AppConfig::default() }
}

/// Every network Tutti talks to, as `tutti serve` registers them.
pub fn networks() -> &'static tutti_connector::Networks {
    tutti_networks::registry()
}

/// The outbound policy tests give Tutti: public addresses, and the host and port of each of
/// these local servers, allowed one by one as an operator allows a host on the LAN (there is no
/// switch that allows every private address).
pub fn allowing(urls: &[&str]) -> tutti_outbound::Outbound {
    tutti_outbound::Outbound::strict().with_urls(urls.iter().copied())
}

/// A brand's Bluesky channel of `workspace_id`, as the store's own tests write it (sealed
/// credentials that open nothing, a service nobody answers on).
pub fn store_channel(workspace_id: i64, handle: &str) -> tutti_store::publishing::NewChannel<'_> {
    tutti_store::publishing::NewChannel {
        workspace_id,
        network: tutti_domain::Network::Bluesky,
        handle,
        service: "http://127.0.0.1:9",
        account_id: None,
        voice: tutti_domain::ChannelVoice::Brand,
        owner_user_id: None,
        credentials: "sealed",
        key_id: "k",
    }
}

/// A Bluesky channel `handle` (account `did`, if given) whose network is never reached: its
/// service is the discard port of this machine. For tests that store what the network would
/// have sent themselves.
pub fn offline_bluesky(handle: &str, did: Option<&str>) -> tutti_app::publishing::ChannelToAdd {
    tutti_app::publishing::ChannelToAdd {
        network: "bluesky".into(),
        handle: handle.into(),
        service: "http://127.0.0.1:9".into(),
        account_id: did.map(str::to_owned),
        secret: "x".into(),
        ambassador: None,
    }
}

/// The Mastodon channel `@maison@localhost` on the instance at `url`, with the account's
/// `token`.
pub fn mastodon_channel(url: &str, token: &str) -> tutti_app::publishing::ChannelToAdd {
    tutti_app::publishing::ChannelToAdd {
        network: "mastodon".into(),
        handle: "@maison@localhost".into(),
        service: url.into(),
        account_id: None,
        secret: token.into(),
        ambassador: None,
    }
}
