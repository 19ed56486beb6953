//! Tutti's use cases: every change a person or a command can make, checked and audited.
//!
//! The web server and the CLI both call [`App`]; neither talks to the store directly for a
//! change. Each use case takes an [`Actor`], asks the domain policy whether the actor may act
//! (the policy lives in `tutti_domain::policy`, the enforcement here), performs its writes and
//! its audit entry in one transaction, and returns a typed [`AppError`] that names the field
//! when the input is at fault.

mod accounts;
mod actor;
pub mod analytics;
mod calendar_feed;
mod channels;
pub mod charter;
mod crisis;
mod csv_export;
pub mod demo;
pub mod desk;
pub mod enrichment;
mod error;
pub mod feedback;
pub mod import;
pub mod inbox;
pub mod inbox_desk;
pub mod ingest;
pub mod links;
pub mod listening;
mod mentions;
pub mod moderation;
pub mod notices;
pub mod people;
pub mod publishing;
pub mod queues;
mod review;
pub mod secrets;
mod team;
mod text;
pub mod two_factor;

pub use accounts::{Challenge, IssuedSession, NewToken, SignIn, WRONG_CODE};
pub use actor::{Actor, CurrentUser, WorkspaceAccess};
pub use error::AppError;
pub use team::{AddedMember, AuditQuery};
pub use tutti_store as store;

use tutti_store::Store;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// How long a browser session lasts, in milliseconds.
    pub session_ttl_ms: i64,
    /// How long an invitation link stays valid, in milliseconds.
    pub invitation_ttl_ms: i64,
    /// Sign-in attempts allowed per e-mail before each further one must wait a growing delay.
    pub max_failures_per_email: i64,
    /// Sign-in attempts allowed per client address before each further one must wait.
    pub max_failures_per_client: i64,
    /// Attempts are forgotten after this long without any, in milliseconds.
    pub failure_window_ms: i64,
    /// Which addresses the use cases call (mention checks) and accept when saved (alert
    /// webhooks): public ones, and the private hosts the operator allows.
    pub outbound: tutti_addresses::Outbound,
    /// The networks channels can be on (`tutti_networks::registry()`): their limits, post
    /// keys and mention checks. A channel of a network not in it cannot be posted to.
    pub networks: tutti_connector::Networks,
    /// The wait after the last free attempt, doubled after each further failure, in ms.
    pub login_delay_ms: i64,
    /// The longest wait between two attempts, in milliseconds.
    pub login_max_delay_ms: i64,
    /// The clock of sign-in limits and one-time codes (tests move it forward).
    pub clock: Clock,
    /// The key ring that seals secrets at rest (the alert webhook's, two-factor secrets);
    /// without one, neither can be given a new secret.
    pub keys: Option<secrets::Keyring>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            session_ttl_ms: 14 * 24 * 3600 * 1000,
            invitation_ttl_ms: 7 * 24 * 3600 * 1000,
            max_failures_per_email: 5,
            max_failures_per_client: 30,
            failure_window_ms: 15 * 60 * 1000,
            outbound: tutti_addresses::Outbound::strict(),
            networks: tutti_connector::Networks::default(),
            login_delay_ms: 10 * 1000,
            login_max_delay_ms: 15 * 60 * 1000,
            clock: Clock::default(),
            keys: None,
        }
    }
}

/// The time as the sign-in limits and one-time codes see it: the system clock, plus an offset
/// that tests move forward instead of sleeping. Clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    /// Now, in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        tutti_store::now_ms() + self.offset_ms.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves this clock (and its clones) forward.
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The application: the store and the rules.
#[derive(Debug, Clone)]
pub struct App {
    store: Store,
    config: AppConfig,
}

impl App {
    /// Wraps an opened store.
    pub fn new(store: Store, config: AppConfig) -> App {
        App { store, config }
    }

    /// The same application, sealing the secrets it keeps (the alert webhook's, two-factor
    /// secrets) with `keys`.
    pub fn with_keys(mut self, keys: secrets::Keyring) -> App {
        self.config.keys = Some(keys);
        self
    }

    /// Whether secrets can be sealed (a key ring was given).
    pub fn has_keys(&self) -> bool {
        self.config.keys.is_some()
    }

    /// The key ring, for `what` needs it: a secret sealed with a key nobody keeps could never
    /// be read again, so without a ring the change is refused.
    pub(crate) fn keys(&self, what: &str) -> Result<&secrets::Keyring, AppError> {
        self.config.keys.as_ref().ok_or_else(|| {
            AppError::Internal(format!(
                "{what} needs the instance's key ring (TUTTI_SECRET_KEYS or the data directory)"
            ))
        })
    }

    /// The outbound policy.
    pub fn outbound(&self) -> &tutti_addresses::Outbound {
        &self.config.outbound
    }

    /// The networks channels can be on.
    pub fn networks(&self) -> &tutti_connector::Networks {
        &self.config.networks
    }

    /// The network a channel is reached through: its limits, keys and mention checks.
    pub(crate) fn network_of(
        &self,
        channel: &tutti_store::publishing::Channel,
    ) -> Result<std::sync::Arc<dyn tutti_connector::NetworkKind>, AppError> {
        self.config.networks.of_channel(channel.network, &channel.service).ok_or_else(|| {
            AppError::Internal(format!(
                "Tutti does not talk to {} (no such network registered)",
                channel.network
            ))
        })
    }

    /// The store, for reads that need no permission (health checks, metrics).
    pub fn store(&self) -> &Store {
        &self.store
    }
}
