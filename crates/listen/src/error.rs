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
    /// Which kind of refusal this is.
    pub kind: QueryErrorKind,
}

/// The kinds of refusal: a mistake in the language, or a query past one of the bounds that
/// keep matching cheap and the server's stack safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryErrorKind {
    /// Not a valid query (see `GRAMMAR.md`).
    Syntax,
    /// Longer than [`crate::MAX_QUERY_BYTES`]; the column is the first character past it.
    TooLong,
    /// Nested deeper than [`crate::MAX_DEPTH`]; the column is the parenthesis or `NOT` that
    /// goes one level too deep.
    TooDeep,
    /// A proximity phrase with more than [`crate::MAX_PROXIMITY_TERMS`] words.
    TooManyTerms,
}

impl QueryError {
    pub(crate) fn new(column: usize, message: impl Into<String>) -> Self {
        QueryError { column, message: message.into(), kind: QueryErrorKind::Syntax }
    }

    pub(crate) fn bound(kind: QueryErrorKind, column: usize, message: impl Into<String>) -> Self {
        QueryError { column, message: message.into(), kind }
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
