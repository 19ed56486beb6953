//! Queries: the syntax tree, parsing, and the reference evaluator.

mod eval;
mod parse;

use std::fmt;

use crate::error::QueryError;
use crate::pattern::Pattern;
use crate::post::{Network, Post};
use crate::tokens::PostTokens;

pub(crate) use eval::{field_matches, near_fits, proximity_fits};
pub use parse::{MAX_DEPTH, MAX_PROXIMITY_TERMS, MAX_QUERY_BYTES};

/// What kind of token a [`Term`] looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKind {
    /// A word; it also matches the text of a hashtag (`tutti` finds `#Tutti`).
    Word,
    /// A hashtag (`#tutti`): only hashtags.
    Hashtag,
    /// A mention (`@alice.bsky.social`): only mentions.
    Mention,
    /// An emoji.
    Emoji,
}

/// One word of a query: a kind and a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub(crate) kind: TermKind,
    pub(crate) pattern: Pattern,
}

impl Term {
    /// What kind of token the term looks for.
    pub fn kind(&self) -> TermKind {
        self.kind
    }

    /// The pattern the token's text must match.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }
}

/// A filter on what a post is rather than what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// `author:handle`: the author's handle, folded, without `@`.
    Author(String),
    /// `lang:fr`: the post's language is this tag or one of its regional forms (`fr-ca`).
    Lang(String),
    /// `site:example.com`: a link's host is this domain or one of its subdomains.
    Site(String),
    /// `network:bluesky`: the post comes from this network.
    Network(Network),
    /// `links:example.com`: a link contains this text; `links:*` (`None`): the post has a link.
    Links(Option<String>),
}

/// A node of the syntax tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Every child matches.
    And(Vec<Node>),
    /// At least one child matches.
    Or(Vec<Node>),
    /// The child does not match.
    Not(Box<Node>),
    /// Two positional operands (terms, exact phrases, OR groups of them) occur at most
    /// `distance` words apart; with `ordered`, `left` comes first.
    Near {
        /// The left operand.
        left: Box<Node>,
        /// The right operand.
        right: Box<Node>,
        /// How many words may stand between them.
        distance: u32,
        /// Whether `left` must come before `right` (`NEAR/nf`).
        ordered: bool,
    },
    /// One term.
    Term(Term),
    /// An exact phrase (`slop` is `None`): the terms at consecutive positions; or a proximity
    /// phrase (`"a b"~n`): every term at its own position, with at most `n` other words
    /// inside the stretch they cover.
    Phrase {
        /// The words of the phrase, in order.
        terms: Vec<Term>,
        /// `Some(n)` for `"…"~n`.
        slop: Option<u32>,
    },
    /// A field filter.
    Field(Field),
}

/// A parsed listening query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    source: String,
    root: Node,
}

impl Query {
    /// Parses a query; see `GRAMMAR.md` for the language.
    pub fn parse(source: &str) -> Result<Query, QueryError> {
        let root = parse::parse(source)?;
        Ok(Query { source: source.to_owned(), root })
    }

    /// The query as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The root of the syntax tree.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// Whether the post matches: the reference evaluator, a plain walk of the tree. The engine
    /// gives the same answers, faster.
    pub fn matches(&self, post: &Post) -> bool {
        self.matches_tokens(&PostTokens::new(post))
    }

    /// [`Query::matches`] on a post already tokenised, to tokenise once for many queries.
    pub fn matches_tokens(&self, tokens: &PostTokens<'_>) -> bool {
        eval::eval(&self.root, tokens)
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for Query {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Query::parse(s)
    }
}
