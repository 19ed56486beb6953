//! Listening: the query language people write to follow a subject, and the engine that runs
//! every team's queries over the firehose of posts.
//!
//! This crate is pure and synchronous: no I/O, no async runtime, no database. It gives:
//!
//! - [`Query`]: `Query::parse` turns `(tutti OR "tutti app") AND NOT lang:de` into a syntax tree
//!   or a [`QueryError`] naming the column at fault (the language is in `GRAMMAR.md`), and
//!   [`Query::matches`] is the reference evaluator: a plain walk of the tree over the tokenised
//!   post, written to be obviously right.
//! - [`PostTokens`]: a [`Post`] split once into folded words, hashtags, mentions, links and
//!   emojis, with word positions.
//! - [`Engine`]: many queries with `u64` ids; [`Engine::matches`] gives the ids of those that
//!   match a post, always the same answer as asking each query's reference evaluator.
//! - [`mod@bench`]: a deterministic generator of queries and posts and a timed comparison.
//!
//! # The key design decision: anchor, then verify
//!
//! Checking every query against every post costs queries × posts: at 100,000 queries and a
//! few hundred posts a second that is out of reach. But almost every query needs some word to
//! be in the post before it can match, and almost every post contains the words of very few
//! queries. So the engine does two things:
//!
//! 1. **Anchors.** When a query is added, the engine derives its *anchors*: folded pieces of
//!    text at least one of which must occur in the post for the query to possibly match. A
//!    term anchors on itself; a wildcard term on its longest literal run (`complain*` on the
//!    start of a token `complain`, `customi?e` on `customi`); an AND, a phrase or a NEAR on
//!    its cheapest required child; an OR on the union of its children's; NOT, `lang:` and
//!    `network:` on nothing. "Cheapest" estimates how often an anchor would fire: long words
//!    and whole words fire less than short ones and word starts, a few very common words fire
//!    on most posts, and a word that many queries share (`application`, `bug*`) is a common
//!    word whereas a brand name usually belongs to one or two queries. A query left without
//!    an anchor (`lang:fr AND network:bluesky`) is checked against every post.
//!
//!    A post is folded once into a *scan text*, every token between NUL bytes
//!    (`\0application\0est\0lente\0` for « L'application est lente »), and an anchor carries
//!    the NULs on the sides where it is tied to a token's edge (`\0lente\0`, `\0complain`).
//!    The post's links and their hosts follow in sections of their own, so that `site:` and
//!    `links:` anchor too (`#tutti OR site:tutti.fr` needs no check on every post); `author:`
//!    anchors on the author's handle, found by one hash lookup. One Aho-Corasick automaton
//!    over every query's anchors reads the scan text once, in overlapping mode so that no
//!    anchor hides another, and gives the *candidate* queries.
//!
//! 2. **Verification.** Each candidate is checked exactly with a compiled form of its tree
//!    (literal words compared as strings, the cheap children of AND and OR first). Anchors
//!    only ever admit too much, never too little; the verification decides. So correctness
//!    rests on two simple facts, checked by property tests against the reference evaluator:
//!    every match contains an anchor, and the compiled tree means what the tree means.
//!
//! The cost of a post is then one tokenisation, one pass of the automaton over a text about
//! as long as the post, and a handful of exact checks, however many queries there are. (The
//! buffers of the tokenisation are kept from one post to the next on each thread.)
//!
//! # Changing the queries while matching: two levels
//!
//! Building the automaton for 100,000 queries takes a good fraction of a second, too long to
//! do on every change. The index therefore has two levels:
//!
//! - the **base**: a big immutable automaton over the anchors of every query present when it
//!   was planned, each query's anchors chosen knowing how many queries share each anchor;
//! - the **recent** level: queries added since, found by looking each token of the post up in
//!   a hash map of their whole-word anchors, plus a small automaton for their few wildcard
//!   anchors, rebuilt when a change adds or drops one of those (tens of microseconds).
//!
//! [`Engine::insert`] and [`Engine::remove`] touch only the recent level; a query removed (or
//! replaced) while the base still names it becomes a *tombstone*: the base may still offer it
//! as a candidate, and the engine skips ids it no longer holds. A rebuild folds the recent
//! level and the tombstones into a new base. It comes in three steps so that the expensive one
//! can run on another thread while the engine keeps matching and changing:
//! [`Engine::plan_rebuild`] (a cheap snapshot of the anchors), [`RebuildPlan::build`] (the
//! automaton) and [`Engine::install`] (a swap; queries added since the plan stay recent).
//! [`Engine::rebuild`] does all three in place. Matching is exact at every stage; only its
//! speed depends on how far the base lags behind, which [`Engine::needs_rebuild`] reports.

pub mod bench;
mod engine;
mod error;
mod fold;
mod pattern;
mod post;
mod query;
mod tokens;

pub use engine::{BaseIndex, Engine, EngineStats, RebuildPlan};
pub use error::{InstallError, QueryError, QueryErrorKind};
pub use fold::fold;
pub use pattern::Pattern;
pub use post::{Network, Post, UnknownNetwork};
pub use query::{Field, Node, Query, Term, TermKind, MAX_DEPTH, MAX_PROXIMITY_TERMS, MAX_QUERY_BYTES};
pub use tokens::PostTokens;
