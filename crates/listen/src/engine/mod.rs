//! The matching engine: many queries, one pass over each post to find the few that may match,
//! then an exact check of those few. See the crate documentation for the design.

mod anchor;
mod compile;

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::error::InstallError;
use crate::post::Post;
use crate::query::Query;
use crate::tokens::{PostTokens, TokenBuffers, SEP};
use anchor::{anchor_tree, exact_key, is_author_key, AnchorTree};
use compile::CompiledQuery;

/// Up to this many anchors the base automaton is a DFA (fastest to search, but its memory
/// grows with the number of states times the alphabet); beyond, a contiguous NFA.
const DFA_MAX_ANCHORS: usize = 25_000;

/// A small multiplicative hasher for the engine's own maps, whose keys are query ids and
/// short folded words: the standard library's SipHash resists flooding, which these keys do
/// not need, at several times the cost per lookup.
#[derive(Debug, Default, Clone, Copy)]
struct WordHasher(u64);

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;

/// The key under which the recent level finds an anchor by hash lookup, if it is one of those:
/// a whole word (its text), or an author (the anchor as it is).
fn lookup_key(anchor: &str) -> Option<&str> {
    if is_author_key(anchor) {
        Some(anchor)
    } else {
        exact_key(anchor)
    }
}

/// Buffers reused from one post to the next by [`Engine::matches`] on each thread.
#[derive(Debug, Default)]
struct Scratch {
    tokens: TokenBuffers,
    candidates: Vec<u64>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

static NEXT_ENGINE: AtomicU64 = AtomicU64::new(1);

/// One query held by the engine.
#[derive(Debug)]
struct Entry {
    compiled: CompiledQuery,
    /// `None`: the query has no anchor and is checked against every post.
    tree: Option<Arc<AnchorTree>>,
    /// The anchors chosen when the query was added, while it is in the recent level.
    recent: Option<Box<[Box<str>]>>,
    /// Insertion sequence number: the base index covers the entries below its `upto`.
    seq: u64,
}

/// The big, immutable level of the index: one automaton over the anchors of every query that
/// was in the engine when it was planned. Build it with [`RebuildPlan::build`], anywhere.
#[derive(Debug)]
pub struct BaseIndex {
    engine: u64,
    upto: u64,
    covered: usize,
    automaton: Option<AhoCorasick>,
    /// Query ids of pattern `p`: `ids[offsets[p]..offsets[p + 1]]`.
    offsets: Vec<u32>,
    ids: Vec<u64>,
    /// Query ids by `author:` anchor, looked up rather than scanned.
    by_author: FastMap<Box<str>, Vec<u64>>,
}

impl BaseIndex {
    fn empty(engine: u64) -> Self {
        BaseIndex {
            engine,
            upto: 0,
            covered: 0,
            automaton: None,
            offsets: vec![0],
            ids: Vec::new(),
            by_author: FastMap::default(),
        }
    }

    /// How many distinct anchors the automaton holds.
    pub fn anchor_count(&self) -> usize {
        self.offsets.len() - 1
    }

    fn heap_bytes(&self) -> usize {
        self.automaton.as_ref().map_or(0, AhoCorasick::memory_usage)
            + self.offsets.capacity() * 4
            + self.ids.capacity() * 8
            + self.by_author.iter().map(|(k, v)| k.len() + v.capacity() * 8 + 64).sum::<usize>()
    }
}

/// A snapshot of the possible anchors of every query, taken by [`Engine::plan_rebuild`]:
/// cheap to take, and owning everything [`RebuildPlan::build`] needs, so that the build can
/// run on another thread while the engine goes on matching and changing.
#[derive(Debug)]
pub struct RebuildPlan {
    engine: u64,
    upto: u64,
    trees: Vec<(u64, Arc<AnchorTree>)>,
}

impl RebuildPlan {
    /// Builds the base index: the expensive step (a fraction of a second for 100,000
    /// queries). Each query's anchors are chosen afresh, knowing how many queries share each.
    pub fn build(self) -> BaseIndex {
        let mut sharing: FastMap<&str, u32> = FastMap::default();
        for (_, tree) in &self.trees {
            for leaf in tree.leaves() {
                *sharing.entry(leaf).or_default() += 1;
            }
        }
        let mut by_anchor: FastMap<Box<str>, Vec<u64>> = FastMap::default();
        let mut by_author: FastMap<Box<str>, Vec<u64>> = FastMap::default();
        for (id, tree) in &self.trees {
            for anchor in tree.choose(&|t| sharing.get(t).copied().unwrap_or(1)).texts {
                let map = if is_author_key(&anchor) { &mut by_author } else { &mut by_anchor };
                map.entry(anchor).or_default().push(*id);
            }
        }
        let mut patterns: Vec<&str> = Vec::with_capacity(by_anchor.len());
        let mut offsets = Vec::with_capacity(by_anchor.len() + 1);
        let mut ids = Vec::with_capacity(self.trees.len() * 2);
        offsets.push(0u32);
        for (anchor, anchor_ids) in &by_anchor {
            patterns.push(anchor);
            ids.extend_from_slice(anchor_ids);
            offsets.push(u32::try_from(ids.len()).expect("fewer than 2^32 anchor uses"));
        }
        let automaton = (!patterns.is_empty()).then(|| {
            let kind = if patterns.len() <= DFA_MAX_ANCHORS {
                AhoCorasickKind::DFA
            } else {
                AhoCorasickKind::ContiguousNFA
            };
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(kind))
                .build(&patterns)
                .or_else(|_| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&patterns))
                .expect("anchors are short words: far from the automaton's size limits")
        });
        BaseIndex {
            engine: self.engine,
            upto: self.upto,
            covered: self.trees.len(),
            automaton,
            offsets,
            ids,
            by_author,
        }
    }
}

/// Figures about an engine, for monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineStats {
    /// Queries held.
    pub queries: usize,
    /// Distinct anchors in the base automaton.
    pub base_anchors: usize,
    /// Queries added since the base index was planned (looked up through the recent level).
    pub recent_queries: usize,
    /// Removed or replaced queries the base index still names (skipped when they come up).
    pub stale: usize,
    /// Queries with no anchor, checked against every post.
    pub always_checked: usize,
    /// An estimate of the heap memory the engine holds, in bytes.
    pub approx_heap_bytes: usize,
}

/// Many compiled queries, each with a `u64` id, matched together against each post.
///
/// Changes are cheap: [`Engine::insert`] and [`Engine::remove`] touch only the small recent
/// level and a tombstone, never the base automaton. Call [`Engine::rebuild`] (or plan, build
/// and install it elsewhere) when [`Engine::needs_rebuild`] says so.
#[derive(Debug)]
pub struct Engine {
    id: u64,
    entries: FastMap<u64, Entry>,
    base: BaseIndex,
    next_seq: u64,
    /// Recent queries by the whole-token text of their exact anchors, and by their `author:`
    /// anchors.
    recent_exact: FastMap<Box<str>, Vec<u64>>,
    /// Recent queries' other anchors (wildcards), with a small automaton over them.
    recent_partial: FastMap<Box<str>, Vec<u64>>,
    /// The automaton over the keys of `recent_partial`, and those keys in its pattern order.
    recent_partial_automaton: Option<(AhoCorasick, Vec<Box<str>>)>,
    recent_count: usize,
    stale: usize,
    always: BTreeSet<u64>,
    /// How many queries may anchor on each anchor text.
    sharing: FastMap<Box<str>, u32>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    /// An empty engine.
    pub fn new() -> Self {
        let id = NEXT_ENGINE.fetch_add(1, Ordering::Relaxed);
        Engine {
            id,
            entries: FastMap::default(),
            base: BaseIndex::empty(id),
            next_seq: 0,
            recent_exact: FastMap::default(),
            recent_partial: FastMap::default(),
            recent_partial_automaton: None,
            recent_count: 0,
            stale: 0,
            always: BTreeSet::new(),
            sharing: FastMap::default(),
        }
    }

    /// An engine holding `queries`, with its base index built.
    pub fn with_queries(queries: impl IntoIterator<Item = (u64, Query)>) -> Self {
        let mut engine = Engine::new();
        for (id, query) in queries {
            engine.add(id, query, false);
        }
        engine.rebuild();
        engine
    }

    /// How many queries the engine holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the engine holds no query.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether a query with this id is held.
    pub fn contains(&self, id: u64) -> bool {
        self.entries.contains_key(&id)
    }

    /// Adds a query, or replaces the one with the same id. Cost: compiling the query, plus
    /// rebuilding the small automaton of recent wildcard anchors when the query has one.
    pub fn insert(&mut self, id: u64, query: Query) {
        self.add(id, query, true);
    }

    /// [`Engine::insert`]; without `refresh`, the automaton of recent wildcard anchors is left
    /// for a rebuild to make, which adding many queries at once calls for.
    fn add(&mut self, id: u64, query: Query, refresh: bool) {
        self.remove(id);
        let tree = anchor_tree(query.root()).map(Arc::new);
        let compiled = CompiledQuery::new(query.root());
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut recent = None;
        match &tree {
            None => {
                self.always.insert(id);
            }
            Some(tree) => {
                for leaf in tree.leaves() {
                    match self.sharing.get_mut(leaf) {
                        Some(n) => *n += 1,
                        None => {
                            self.sharing.insert(leaf.into(), 1);
                        }
                    }
                }
                let sharing = &self.sharing;
                let anchors = tree.choose(&|t| sharing.get(t).copied().unwrap_or(1)).texts;
                let mut new_partial = false;
                for anchor in &anchors {
                    match lookup_key(anchor) {
                        Some(key) => self.recent_exact.entry(key.into()).or_default().push(id),
                        None => match self.recent_partial.get_mut(anchor) {
                            Some(ids) => ids.push(id),
                            None => {
                                self.recent_partial.insert(anchor.clone(), vec![id]);
                                new_partial = true;
                            }
                        },
                    }
                }
                self.recent_count += 1;
                if new_partial && refresh {
                    self.rebuild_recent_partial();
                }
                recent = Some(anchors.into_boxed_slice());
            }
        }
        self.entries.insert(id, Entry { compiled, tree, recent, seq });
    }

    /// Removes a query; returns whether it was held. If the base index names it, it keeps
    /// doing so until the next rebuild, and the engine skips it when it comes up.
    pub fn remove(&mut self, id: u64) -> bool {
        let Some(entry) = self.entries.remove(&id) else { return false };
        let Some(tree) = &entry.tree else {
            self.always.remove(&id);
            return true;
        };
        for leaf in tree.leaves() {
            if let Some(n) = self.sharing.get_mut(leaf) {
                *n -= 1;
                if *n == 0 {
                    self.sharing.remove(leaf);
                }
            }
        }
        let Some(anchors) = &entry.recent else {
            // Only the base index names the query: it becomes a tombstone there.
            self.stale += 1;
            return true;
        };
        let mut gone_partial = false;
        for anchor in anchors.iter() {
            let (map, key) = match lookup_key(anchor) {
                Some(key) => (&mut self.recent_exact, key),
                None => (&mut self.recent_partial, &**anchor),
            };
            if let Some(ids) = map.get_mut(key) {
                ids.retain(|&i| i != id);
                if ids.is_empty() {
                    map.remove(key);
                    gone_partial |= lookup_key(anchor).is_none();
                }
            }
        }
        if gone_partial {
            self.rebuild_recent_partial();
        }
        self.recent_count -= 1;
        true
    }

    fn rebuild_recent_partial(&mut self) {
        self.recent_partial_automaton = (!self.recent_partial.is_empty()).then(|| {
            let patterns: Vec<Box<str>> = self.recent_partial.keys().cloned().collect();
            // A contiguous NFA builds in microseconds for the few anchors here; a DFA would
            // search a little faster but take a good part of a millisecond to build.
            let automaton = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(patterns.iter().map(|p| p.as_bytes()))
                .expect("anchors are short words: far from the automaton's size limits");
            (automaton, patterns)
        });
    }

    /// How many changes the base index lags behind: queries added since it was planned, and
    /// removed or replaced queries it still names.
    pub fn pending(&self) -> usize {
        self.recent_count + self.stale
    }

    /// Whether a rebuild is due: the changes since the last one exceed 1,024 or a sixteenth of
    /// the queries. Matching stays exact either way; only its speed is at stake.
    pub fn needs_rebuild(&self) -> bool {
        self.pending() > (self.entries.len() / 16).max(1024)
    }

    /// Takes what a rebuild needs, for [`RebuildPlan::build`] to run anywhere.
    pub fn plan_rebuild(&self) -> RebuildPlan {
        let trees =
            self.entries.iter().filter_map(|(&id, e)| e.tree.as_ref().map(|t| (id, Arc::clone(t)))).collect();
        RebuildPlan { engine: self.id, upto: self.next_seq, trees }
    }

    /// Installs a base index built from a plan of this engine. Queries added since the plan
    /// stay in the recent level; queries removed since are skipped until the next rebuild.
    pub fn install(&mut self, index: BaseIndex) -> Result<(), InstallError> {
        if index.engine != self.id {
            return Err(InstallError::OtherEngine);
        }
        if index.upto < self.base.upto {
            return Err(InstallError::Outdated);
        }
        let upto = index.upto;
        self.base = index;
        let entries = &self.entries;
        let recent = |id: &u64| entries.get(id).is_some_and(|e| e.seq >= upto);
        self.recent_exact.retain(|_, ids| {
            ids.retain(recent);
            !ids.is_empty()
        });
        self.recent_partial.retain(|_, ids| {
            ids.retain(recent);
            !ids.is_empty()
        });
        self.rebuild_recent_partial();
        let (mut in_base, mut in_recent) = (0, 0);
        for entry in self.entries.values_mut().filter(|e| e.tree.is_some()) {
            if entry.seq < upto {
                entry.recent = None;
                in_base += 1;
            } else {
                in_recent += 1;
            }
        }
        self.recent_count = in_recent;
        self.stale = self.base.covered - in_base;
        Ok(())
    }

    /// Rebuilds the base index here and now: [`Engine::plan_rebuild`], [`RebuildPlan::build`]
    /// and [`Engine::install`] in one call.
    pub fn rebuild(&mut self) {
        let index = self.plan_rebuild().build();
        self.install(index).expect("a fresh plan of this engine installs");
    }

    /// The ids of the queries that match the post, in increasing order.
    pub fn matches(&self, post: &Post) -> Vec<u64> {
        SCRATCH.with(|scratch| {
            // Matching never calls back into the engine, so the scratch space is free here; the
            // fallback only keeps a misuse from panicking.
            let Ok(mut scratch) = scratch.try_borrow_mut() else {
                return self.matches_tokens(&PostTokens::new(post));
            };
            let Scratch { tokens, candidates } = &mut *scratch;
            let post = PostTokens::with_buffers(post, std::mem::take(tokens));
            let found = self.find(&post, candidates);
            *tokens = post.into_buffers();
            found
        })
    }

    /// [`Engine::matches`] on a post already tokenised.
    pub fn matches_tokens(&self, post: &PostTokens<'_>) -> Vec<u64> {
        self.find(post, &mut Vec::new())
    }

    /// The matching queries, with `candidates` as working space.
    fn find(&self, post: &PostTokens<'_>, candidates: &mut Vec<u64>) -> Vec<u64> {
        let scan = post.scan_text();
        candidates.clear();
        if let Some(automaton) = &self.base.automaton {
            for m in automaton.find_overlapping_iter(scan) {
                let p = m.pattern().as_usize();
                let range = self.base.offsets[p] as usize..self.base.offsets[p + 1] as usize;
                candidates.extend_from_slice(&self.base.ids[range]);
            }
        }
        if let Some(ids) = self.base.by_author.get(post.author_key()) {
            candidates.extend_from_slice(ids);
        }
        if !self.recent_exact.is_empty() {
            let keys = scan.split(SEP).filter(|k| !k.is_empty()).chain([post.author_key()]);
            for key in keys {
                if let Some(ids) = self.recent_exact.get(key) {
                    candidates.extend_from_slice(ids);
                }
            }
        }
        if let Some((automaton, patterns)) = &self.recent_partial_automaton {
            for m in automaton.find_overlapping_iter(scan) {
                if let Some(ids) = self.recent_partial.get(&patterns[m.pattern().as_usize()]) {
                    candidates.extend_from_slice(ids);
                }
            }
        }
        candidates.extend(self.always.iter().copied());
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .iter()
            .copied()
            .filter(|id| self.entries.get(id).is_some_and(|e| e.compiled.matches(post)))
            .collect()
    }

    /// Figures about the engine.
    pub fn stats(&self) -> EngineStats {
        // Each allocation also costs the allocator about 16 bytes.
        let entries: usize = self
            .entries
            .values()
            .map(|e| {
                let tree =
                    e.tree.as_ref().map_or(0, |t| std::mem::size_of::<AnchorTree>() + t.heap_bytes() + 32);
                let recent = e.recent.as_ref().map_or(0, |a| a.iter().map(|s| s.len() + 32).sum::<usize>());
                e.compiled.heap_bytes() + tree + recent + 64
            })
            .sum::<usize>()
            + self.entries.capacity() * (std::mem::size_of::<(u64, Entry)>() + 1);
        let sharing: usize = self.sharing.keys().map(|k| k.len() + 16 + 4 + 1 + 16).sum();
        let recent: usize = self
            .recent_exact
            .iter()
            .chain(&self.recent_partial)
            .map(|(k, v)| k.len() + v.capacity() * 8 + 64)
            .sum();
        EngineStats {
            queries: self.entries.len(),
            base_anchors: self.base.anchor_count(),
            recent_queries: self.recent_count,
            stale: self.stale,
            always_checked: self.always.len(),
            approx_heap_bytes: entries + sharing + recent + self.base.heap_bytes(),
        }
    }
}
