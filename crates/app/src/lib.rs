//! Tutti's use cases: every change a person or a command can make, checked and audited.
//!
//! The web server and the CLI both call [`App`]; neither talks to the store directly for a
//! change. Each use case takes an [`Actor`], asks the domain policy whether the actor may act
//! (the policy lives in `tutti_domain::policy`, the enforcement here), performs its writes and
//! its audit entry in one transaction, and returns a typed [`AppError`] that names the field
//! when the input is at fault.

mod accounts;
mod actor;
mod calendar_feed;
mod channels;
pub mod charter;
mod crisis;
pub mod demo;
mod error;
pub mod feedback;
pub mod import;
pub mod inbox;
pub mod inbox_desk;
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

pub use accounts::{IssuedSession, NewToken};
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
    /// Failed sign-ins allowed per e-mail in the window before refusing.
    pub max_failures_per_email: i64,
    /// Failed sign-ins allowed per client address in the window before refusing.
    pub max_failures_per_client: i64,
    /// The rate-limiting window, in milliseconds.
    pub failure_window_ms: i64,
    /// Which addresses the use cases call (mention checks) and accept when saved (alert
    /// webhooks): public ones, and the private hosts the operator allows.
    pub outbound: tutti_outbound::Outbound,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            session_ttl_ms: 14 * 24 * 3600 * 1000,
            invitation_ttl_ms: 7 * 24 * 3600 * 1000,
            max_failures_per_email: 5,
            max_failures_per_client: 30,
            failure_window_ms: 15 * 60 * 1000,
            outbound: tutti_outbound::Outbound::strict(),
        }
    }
}

/// The application: the store and the rules.
#[derive(Debug, Clone)]
pub struct App {
    store: Store,
    config: AppConfig,
    /// The client of mention checks, under the outbound policy; one for every check, so that
    /// connections to a PDS or an instance are reused.
    http: tutti_outbound::Client,
    /// The key ring that seals the alert webhook's signing secret; without it a webhook cannot
    /// be given a new secret.
    keys: Option<secrets::Keyring>,
}

impl App {
    /// Wraps an opened store.
    pub fn new(store: Store, config: AppConfig) -> App {
        let http = config
            .outbound
            .client()
            .timeout(mentions::TIMEOUT)
            .connect_timeout(mentions::TIMEOUT)
            .build()
            .expect("HTTP client");
        App { store, config, http, keys: None }
    }

    /// The same application, sealing secrets it keeps (the alert webhook's) with `keys`.
    pub fn with_keys(mut self, keys: secrets::Keyring) -> App {
        self.keys = Some(keys);
        self
    }

    /// The outbound policy.
    pub fn outbound(&self) -> &tutti_outbound::Outbound {
        &self.config.outbound
    }

    /// The store, for reads that need no permission (health checks, metrics).
    pub fn store(&self) -> &Store {
        &self.store
    }
}
