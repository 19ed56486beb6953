//! The errors of a use case, split by what the caller shows or does.

use tutti_domain::{Action, InputError};
use tutti_store::StoreError;

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is invalid; the error names the field.
    #[error(transparent)]
    Invalid(InputError),
    /// The input conflicts with what is stored (an e-mail or a name taken); names the field.
    #[error("{0}")]
    Conflict(InputError),
    /// The caller is not signed in, or the credentials are wrong.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The caller may not do this.
    #[error("permission denied: you may not {}", .0.describe())]
    Forbidden(Action),
    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Too many attempts; try again after this many seconds.
    #[error("too many failed attempts; try again in {0} s")]
    RateLimited(u64),
    /// The workspace requires two-factor sign-in and the caller has not turned it on.
    #[error("this workspace requires two-factor sign-in: turn it on in your settings first")]
    TwoFactorRequired,
    /// Storage failed.
    #[error("storage error: {0}")]
    Store(StoreError),
    /// Something else failed (hashing, a task).
    #[error("{0}")]
    Internal(String),
}

impl From<InputError> for AppError {
    fn from(err: InputError) -> Self {
        AppError::Invalid(err)
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        AppError::Store(err)
    }
}

/// Turns a store `NotFound` into a named one.
pub(crate) fn not_found(what: &'static str) -> impl FnOnce(StoreError) -> AppError {
    move |err| match err {
        StoreError::NotFound => AppError::NotFound(what),
        other => AppError::Store(other),
    }
}
