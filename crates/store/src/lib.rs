//! Tutti's storage: one API over SQLite (embedded default) and PostgreSQL.
//!
//! **Key design decision.** Both backends sit behind sqlx's `Any` driver and answer the *same*
//! SQL: we write to the dialect the two share (`$n` placeholders, `RETURNING`,
//! `ON CONFLICT`, integers for times and flags). Only the migrations are written twice, one
//! folder per backend, and a conformance test checks that both produce the same columns. Where
//! the dialects truly differ (row locks for the job queue, online backup), the code branches on
//! [`Backend`] in this crate and nowhere else.
//!
//! Queries are free functions that take a `&mut Db` — a pooled connection from
//! [`Store::conn`] or a transaction from [`Store::begin`] — so that a use case can put several
//! writes and its audit entry in one transaction.

pub mod alerts;
pub mod analytics;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod calendar_feeds;
pub mod changes;
pub mod charters;
pub mod demo;
pub mod desk;
pub mod feedback;
pub mod identities;
pub mod inbox;
pub mod inbox_desk;
pub mod jobs;
pub mod links;
pub mod listening;
pub mod moderation;
pub mod notices;
pub mod people;
pub mod publishing;
pub mod queues;
pub mod review;
pub mod two_factor;
pub mod users;
pub mod workspaces;

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions};

/// A connection or a transaction: what every query function takes.
pub type Db = sqlx::AnyConnection;
/// A write transaction; commit it or it rolls back when dropped.
pub type Tx = sqlx::Transaction<'static, Any>;
/// A pooled connection for reads.
pub type Conn = sqlx::pool::PoolConnection<Any>;

/// Which database engine a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite: one file, nothing to install.
    Sqlite,
    /// PostgreSQL, for teams that run several servers and workers.
    Postgres,
}

/// What can go wrong in storage, split by what the caller does about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write; `constraint` names the rule or column.
    #[error("conflict on {constraint}")]
    Conflict {
        /// The database's name for the violated constraint, or its message.
        constraint: String,
    },
    /// The database could not be opened or migrated; the message says which and why.
    #[error("{0}")]
    Open(String),
    /// Anything else from the driver.
    #[error(transparent)]
    Other(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
                constraint: db.constraint().map(str::to_owned).unwrap_or_else(|| db.message().to_owned()),
            },
            other => StoreError::Other(other),
        }
    }
}

/// Shorthand for storage results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The database: a pool for reads and a pool for writes.
///
/// On SQLite the write pool has a single connection and opens transactions with
/// `BEGIN IMMEDIATE`, so writers queue instead of failing with "database is locked"; reads go
/// through the WAL concurrently. On PostgreSQL both pools are the same.
#[derive(Clone)]
pub struct Store {
    reads: AnyPool,
    writes: AnyPool,
    backend: Backend,
    location: String,
    /// The change feed of this process (see [`changes`]).
    feed: std::sync::Arc<changes::Feed>,
    /// Held by every clone: background work on the database ends when the last one goes.
    _alive: std::sync::Arc<()>,
    /// How many times this process took a connection to use it (reads, transactions, pings).
    uses: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).field("location", &self.location).finish()
    }
}

/// The SQLite file Tutti uses inside a data directory.
pub fn sqlite_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tutti.db")
}

/// Whether the SQLite file at `path` already holds a Tutti database (its migrations table
/// exists). Nothing is created or migrated; a file that is not SQLite at all is an error.
pub async fn is_tutti_sqlite(path: &Path) -> Result<bool> {
    use sqlx::Connection;
    let mut conn =
        sqlx::sqlite::SqliteConnectOptions::new().filename(path).create_if_missing(false).connect().await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(n > 0)
}

/// Hides the password of a database URL before it is printed.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Opens (creating it if needed) and migrates the database at `url`.
    ///
    /// `url` is `sqlite://PATH` or `postgres://…`. Errors say which database and why.
    pub async fn open(url: &str) -> Result<Store> {
        Store::open_migrated(url, None).await
    }

    /// Opens the database at `url` and applies only the migrations up to `version` (the number
    /// of a migration file): a database as an earlier Tutti left it, for the tests that check
    /// that a migration keeps the data made before it. Opening it later with [`Store::open`]
    /// applies the rest.
    pub async fn open_at_version(url: &str, version: i64) -> Result<Store> {
        Store::open_migrated(url, Some(version)).await
    }

    async fn open_migrated(url: &str, up_to: Option<i64>) -> Result<Store> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);

        let location = redact_url(url);
        let fail = |why: String| StoreError::Open(format!("cannot open the database {location}: {why}"));
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(fail("the URL must start with sqlite:// or postgres://".into()));
        };

        let (reads, writes) = match backend {
            Backend::Sqlite => {
                let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                private_database_file(Path::new(path)).map_err(fail)?;
                let opts: AnyConnectOptions = format!("sqlite://{path}?mode=rwc")
                    .parse::<AnyConnectOptions>()
                    .map_err(|e| fail(e.to_string()))?
                    .disable_statement_logging();
                probe(&opts, backend).await.map_err(fail)?;
                let pragmas = |pool: AnyPoolOptions| pool.after_connect(sqlite_pragmas);
                let writes = AnyPoolOptions::new()
                    .max_connections(1)
                    .after_connect(sqlite_writer_pragmas)
                    .connect_with(opts.clone())
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                let reads = pragmas(AnyPoolOptions::new().max_connections(8).min_connections(1))
                    .connect_with(opts)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                (reads, writes)
            }
            Backend::Postgres => {
                let opts = url
                    .parse::<AnyConnectOptions>()
                    .map_err(|e| fail(e.to_string()))?
                    .disable_statement_logging();
                probe(&opts, backend).await.map_err(fail)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                (pool.clone(), pool)
            }
        };
        let alive = std::sync::Arc::new(());
        if backend == Backend::Sqlite {
            tokio::spawn(checkpoints(reads.clone(), std::sync::Arc::downgrade(&alive)));
        }
        let feed = changes::Feed::new((backend == Backend::Postgres).then(|| url.to_owned()));
        let store = Store { reads, writes, backend, location, feed, _alive: alive, uses: Default::default() };
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let partial;
        let migrator = match up_to {
            None => migrator,
            Some(version) => {
                partial = sqlx::migrate::Migrator {
                    migrations: migrator.iter().filter(|m| m.version <= version).cloned().collect(),
                    ..sqlx::migrate::Migrator::DEFAULT
                };
                &partial
            }
        };
        migrator
            .run(&store.writes)
            .await
            .map_err(|e| StoreError::Open(format!("cannot migrate the database {}: {e}", store.location)))?;
        Ok(store)
    }

    /// Which engine this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database URL with its password hidden.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// A connection for reads.
    pub async fn conn(&self) -> Result<Conn> {
        self.used();
        Ok(self.reads.acquire().await?)
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        self.used();
        Ok(match self.backend {
            Backend::Sqlite => self.writes.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writes.begin().await?,
        })
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        self.used();
        sqlx::query("SELECT 1").execute(&self.reads).await?;
        Ok(())
    }

    fn used(&self) {
        self.uses.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many times this process has used the database (a connection taken for reads, a
    /// transaction begun, a ping) since it opened it: what an idle process must not add to.
    pub fn uses(&self) -> u64 {
        self.uses.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Connections open and idle, summed over the pools, for the metrics endpoint.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self.backend {
            Backend::Sqlite => {
                (self.reads.size() + self.writes.size(), self.reads.num_idle() + self.writes.num_idle())
            }
            Backend::Postgres => (self.reads.size(), self.reads.num_idle()),
        }
    }

    /// Writes a consistent copy of a live SQLite database to `target` (`VACUUM INTO`).
    pub async fn backup_to(&self, target: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Open(
                "backup copies a SQLite database; for PostgreSQL use pg_dump".into(),
            ));
        }
        if target.exists() {
            return Err(StoreError::Open(format!("{} already exists; choose a new file", target.display())));
        }
        let target =
            target.to_str().ok_or_else(|| StoreError::Open("the backup path must be valid UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1").bind(target.to_owned()).execute(&self.writes).await?;
        Ok(())
    }

    /// Closes every connection, the change feed's too.
    pub async fn close(&self) {
        self.feed.stop();
        self.reads.close().await;
        self.writes.close().await;
    }
}

/// Opens one connection outside the pools and prepares it as they would. A pool retries a
/// connection that is refused or fails its setup until its timeout, then reports only that it
/// timed out; this says why at once (connection refused, not a database, wrong password, …).
/// Makes the directory of a SQLite database (readable by its owner only when Tutti creates it)
/// and the database file itself, readable and writable by its owner only: the database holds
/// sessions, sealed credentials and the community's messages. SQLite gives its `-wal` and
/// `-shm` files the mode of the database file. An existing file readable by others is
/// tightened (logged).
pub fn private_database_file(path: &Path) -> std::result::Result<(), String> {
    if path.as_os_str().is_empty() || path.to_str() == Some(":memory:") {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir(dir).map_err(|e| format!("cannot create the directory {}: {e}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [path.to_path_buf(), sibling(path, "-wal"), sibling(path, "-shm")] {
            let Ok(meta) = std::fs::metadata(&p) else { continue };
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::debug!(file = %p.display(), "the database file was readable by others; now by its owner only");
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| format!("cannot restrict {}: {e}", p.display()))?;
            }
        }
    }
    drop(file);
    Ok(())
}

/// `tutti.db` → `tutti.db-wal`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Creates `dir` and its missing parents; the directories Tutti creates are its owner's only.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

async fn probe(opts: &AnyConnectOptions, backend: Backend) -> std::result::Result<(), String> {
    use sqlx::Connection;
    let attempt = async {
        let mut conn = opts.connect().await?;
        if backend == Backend::Sqlite {
            for pragma in SQLITE_PRAGMAS {
                sqlx::query(pragma).execute(&mut conn).await?;
            }
        }
        conn.close().await
    };
    match tokio::time::timeout(PROBE_TIMEOUT, attempt).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
    }
}

/// How long opening the first connection may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// WAL mode, foreign keys and a generous busy timeout, on every SQLite connection.
const SQLITE_PRAGMAS: [&str; 4] = [
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 10000",
];

type BoxFuture<'c, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'c>>;

/// Puts every SQLite connection of a pool in WAL mode ([`SQLITE_PRAGMAS`]).
fn sqlite_pragmas<'c>(
    conn: &'c mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> BoxFuture<'c, std::result::Result<(), sqlx::Error>> {
    Box::pin(async move {
        for pragma in SQLITE_PRAGMAS {
            sqlx::query(pragma).execute(&mut *conn).await?;
        }
        Ok(())
    })
}

/// The one writing connection also keeps more pages in memory (16 MB instead of 2): a batch of
/// the inbox touches a few thousand index pages spread over large tables, which a small cache
/// would spill to the log and write again within the same transaction. It leaves folding the
/// log back into the database to [`checkpoints`], on another connection (so on another
/// thread, and without making a writer wait for the disk), and only does it itself past
/// 20,000 pages, should that fall behind.
const SQLITE_WRITER_PRAGMAS: [&str; 2] = ["PRAGMA cache_size = -16384", "PRAGMA wal_autocheckpoint = 20000"];

/// How often the log is folded back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Folds the write-ahead log back into the database every [`CHECKPOINT_EVERY`] from a reading
/// connection (`PASSIVE`: it never waits for the writer nor blocks it), until the store is
/// closed or dropped.
async fn checkpoints(reads: AnyPool, store: std::sync::Weak<()>) {
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if reads.is_closed() || store.strong_count() == 0 {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&reads).await {
            tracing::debug!(error = %e, "the log could not be folded back now");
        }
    }
}

/// [`sqlite_pragmas`], then [`SQLITE_WRITER_PRAGMAS`].
fn sqlite_writer_pragmas<'c>(
    conn: &'c mut sqlx::AnyConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> BoxFuture<'c, std::result::Result<(), sqlx::Error>> {
    Box::pin(async move {
        sqlite_pragmas(conn, meta).await?;
        for pragma in SQLITE_WRITER_PRAGMAS {
            sqlx::query(pragma).execute(&mut *conn).await?;
        }
        Ok(())
    })
}

/// The placeholders of a statement with many parameters, in their textual order: `$1, $2, …`
/// on PostgreSQL, `?` on SQLite, which looks a named parameter up by walking the list of all
/// of them (binding thousands of `$n` would cost their square).
pub(crate) struct Marks {
    numbered: bool,
    next: usize,
}

impl Marks {
    /// The placeholders for a statement on `db`.
    pub(crate) fn of(db: &Db) -> Marks {
        Marks { numbered: db.backend_name() != "SQLite", next: 1 }
    }

    /// The next placeholder.
    pub(crate) fn one(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        if self.numbered {
            format!("${n}")
        } else {
            "?".to_owned()
        }
    }

    /// `n` placeholders, comma-separated.
    pub(crate) fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.one()).collect::<Vec<_>>().join(", ")
    }

    /// `rows` tuples of `cols` placeholders: `(…), (…)`.
    pub(crate) fn tuples(&mut self, rows: usize, cols: usize) -> String {
        (0..rows).map(|_| format!("({})", self.list(cols))).collect::<Vec<_>>().join(", ")
    }
}

/// A day, ms.
pub const DAY_MS: i64 = 86_400_000;
/// An hour, ms.
pub const HOUR_MS: i64 = 3_600_000;

/// Reads a column that holds one of the product's words (`tutti_domain::words`). A value the
/// word does not know (written by hand, or by a later version) is an error that names the
/// column and the value, never a panic.
pub(crate) fn word<T>(r: &sqlx::any::AnyRow, column: &str) -> Result<T>
where
    T: std::str::FromStr<Err = tutti_domain::UnknownWord>,
{
    use sqlx::Row;
    let text: String = r.try_get(column)?;
    parse_word(column, &text)
}

/// Like [`word`], for a column that may be NULL.
pub(crate) fn word_opt<T>(r: &sqlx::any::AnyRow, column: &str) -> Result<Option<T>>
where
    T: std::str::FromStr<Err = tutti_domain::UnknownWord>,
{
    use sqlx::Row;
    let text: Option<String> = r.try_get(column)?;
    text.map(|t| parse_word(column, &t)).transpose()
}

/// Parses the text of `column` as a word, with the column's name in the error.
pub(crate) fn parse_word<T>(column: &str, text: &str) -> Result<T>
where
    T: std::str::FromStr<Err = tutti_domain::UnknownWord>,
{
    text.parse().map_err(|e| {
        StoreError::Other(sqlx::Error::ColumnDecode { index: column.to_owned(), source: Box::new(e) })
    })
}

/// Milliseconds since the Unix epoch: how every time is stored.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
