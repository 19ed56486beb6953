//! What every command starts from: the options every command accepts (`Global`), and opening
//! what they work on with them: the database (`open`, with the SQLite lock), the use cases
//! acting as the operator or as `--as` (`app`), and the instance's key ring (`keyring`).
//!
//! The command modules import from here and never from each other, so that imports flow one
//! way: `main` → commands → `context`.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App};
use tutti_store::Store;

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// Directory of Tutti's data (the SQLite database lives here).
    #[arg(long, global = true, env = "TUTTI_DATA_DIR", default_value = "data")]
    pub(crate) data_dir: PathBuf,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB. Defaults to SQLite in the data directory.
    #[arg(long, global = true, env = "TUTTI_DATABASE_URL")]
    pub(crate) database_url: Option<String>,
    /// Log format.
    #[arg(long, global = true, env = "TUTTI_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub(crate) log_format: LogFormat,
    /// Act as this user: the command is then checked against their roles, as on the web.
    /// Without it, commands act as the operator who has direct access to the database.
    #[arg(long = "as", global = true, env = "TUTTI_AS", value_name = "EMAIL")]
    pub(crate) act_as: Option<String>,
    /// A host on a private network (loopback, LAN, VPN) that Tutti may call when a person or
    /// the network names it: a Mastodon instance or a PDS on the LAN, an in-house webhook
    /// receiver. HOST or HOST:PORT, an IPv6 address in brackets; repeat for several. Other
    /// private, link-local and cloud metadata addresses are never called.
    #[arg(
        long = "allow-private-host",
        global = true,
        env = "TUTTI_ALLOW_PRIVATE_HOSTS",
        value_delimiter = ',',
        value_name = "HOST[:PORT]"
    )]
    allow_private_hosts: Vec<PrivateHost>,
}

/// One `--allow-private-host` value; an empty one (`TUTTI_ALLOW_PRIVATE_HOSTS=`, a trailing
/// comma) allows nothing.
#[derive(Debug, Clone)]
struct PrivateHost(Option<tutti_outbound::Allowance>);

impl std::str::FromStr for PrivateHost {
    type Err = String;

    fn from_str(text: &str) -> Result<PrivateHost, String> {
        if text.trim().is_empty() {
            return Ok(PrivateHost(None));
        }
        text.parse().map(|a| PrivateHost(Some(a)))
    }
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

impl Global {
    /// The outbound policy: public addresses, and the private hosts the operator allows.
    pub fn outbound(&self) -> tutti_outbound::Outbound {
        tutti_outbound::Outbound::allowing(self.allow_private_hosts.iter().filter_map(|h| h.0.clone()))
    }

    /// The use cases' settings.
    pub fn app_config(&self) -> tutti_app::AppConfig {
        tutti_app::AppConfig {
            outbound: self.outbound(),
            networks: tutti_networks::registry().clone(),
            ..Default::default()
        }
    }

    /// The database URL: the one given, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", tutti_store::sqlite_path(&self.data_dir).display()),
        }
    }
}

/// Opens and migrates the database, with a message that says which database failed and why.
pub async fn open(global: &Global) -> anyhow::Result<Store> {
    let url = global.database_url();
    Ok(Store::open(&url).await?)
}

/// The lock that says "a Tutti process uses this SQLite database", so that `restore` refuses
/// to replace it underneath a running server.
pub fn sqlite_lock(global: &Global, exclusive: bool) -> anyhow::Result<Option<File>> {
    if !global.database_url().starts_with("sqlite:") {
        return Ok(None);
    }
    let path = lock_path(global);
    let mut options = File::options();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file =
        options.open(&path).with_context(|| format!("cannot open the lock file {}", path.display()))?;
    let locked = if exclusive { file.try_lock() } else { file.try_lock_shared() };
    match locked {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) if exclusive => {
            anyhow::bail!("a Tutti process is using {}; stop it first", global.database_url())
        }
        // Only a restore holds the lock exclusively: do not start on a file being replaced.
        Err(std::fs::TryLockError::WouldBlock) => {
            anyhow::bail!(
                "{} is being restored; start Tutti again once the restore is done",
                global.database_url()
            )
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Where the lock file of the SQLite database lives.
pub fn lock_path(global: &Global) -> PathBuf {
    let url = global.database_url();
    let db = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    PathBuf::from(format!("{}.lock", db.split('?').next().unwrap_or(db)))
}

/// The use cases, and who acts: the `--as` account, or the operator.
pub async fn app(global: &Global) -> anyhow::Result<(App, Actor)> {
    let store = open(global).await?;
    let app = App::new(store, global.app_config());
    let actor = match &global.act_as {
        Some(email) => Actor::User(app.user_by_email(email).await.with_context(|| format!("--as {email}"))?),
        None => Actor::Operator,
    };
    Ok((app, actor))
}

/// Where the key ring lives: `TUTTI_SECRET_KEYS` (its text), else `secret.keys` in the data
/// directory, made on first use. Every process of an instance must use the same ring.
pub fn keyring_path(global: &Global) -> PathBuf {
    global.data_dir.join("secret.keys")
}

/// The instance's key ring, made on first use.
pub fn keyring(global: &Global) -> anyhow::Result<Keyring> {
    if let Ok(text) = std::env::var("TUTTI_SECRET_KEYS") {
        return Keyring::parse(&text).map_err(|e| anyhow::anyhow!("TUTTI_SECRET_KEYS: {e}"));
    }
    let path = keyring_path(global);
    match std::fs::read_to_string(&path) {
        Ok(text) => Keyring::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let ring = Keyring::generate();
            write_private(&path, &ring.to_text())?;
            Ok(ring)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes a file readable by its owner only, replacing it atomically.
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        tutti_store::private_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = path.with_extension("keys.tmp");
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
