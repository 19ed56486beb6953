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

/// Reports a missing peer: panics under strict mode, otherwise prints one line and returns
/// `false` so the caller can skip.
pub fn peer_missing(suite: &str, what: &str) -> bool {
    if strict() {
        panic!("{suite}: {what} (TUTTI_TEST_STRICT=1 forbids skipping)");
    }
    eprintln!("skipping {suite}: {what}");
    false
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

/// The outbound policy tests give Tutti: public addresses, and the host and port of each of
/// these local servers, allowed one by one as an operator allows a host on the LAN (there is no
/// switch that allows every private address).
pub fn allowing(urls: &[&str]) -> tutti_outbound::Outbound {
    tutti_outbound::Outbound::strict().with_urls(urls.iter().copied())
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
