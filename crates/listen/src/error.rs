//! Errors: a query that cannot be parsed, and a rebuilt index that cannot be installed.

/// A query that cannot be parsed or is refused, with the 1-based column (in characters) where
/// the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("col {column}: {message}")]
pub struct QueryError {
    /// 1-based column, counted in characters, of the token at fault.
    pub column: usize,
    /// What is wrong, in words a person writing the query understands.
    pub message: String,
}

impl QueryError {
    pub(crate) fn new(column: usize, message: impl Into<String>) -> Self {
        QueryError { column, message: message.into() }
    }
}

/// Why [`crate::Engine::install`] refused a rebuilt index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InstallError {
    /// The index was planned by another engine.
    #[error("this index was planned by another engine")]
    OtherEngine,
    /// A newer index is already installed.
    #[error("a newer index is already installed")]
    Outdated,
}
