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
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            session_ttl_ms: 14 * 24 * 3600 * 1000,
            invitation_ttl_ms: 7 * 24 * 3600 * 1000,
            max_failures_per_email: 5,
            max_failures_per_client: 30,
            failure_window_ms: 15 * 60 * 1000,
        }
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

    /// The store, for reads that need no permission (health checks, metrics).
    pub fn store(&self) -> &Store {
        &self.store
    }
}
