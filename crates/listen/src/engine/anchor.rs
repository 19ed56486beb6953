//! Anchors: for each query, a set of folded pieces of text at least one of which must occur in
//! a post's scan text for the query to possibly match.
//!
//! A query's possible anchors form a tree ([`AnchorTree`]): an AND, a phrase or a NEAR needs
//! every child, so any one child's anchors will do; an OR needs the anchors of all its
//! children. Which child an AND anchors on is chosen with an estimate of how often each anchor
//! occurs: a short word occurs more often than a long one, a whole word less often than the
//! start of one, and a word that many queries share (`application`, `bug*`) is a common word
//! whereas a brand name usually belongs to one or two queries.

use crate::fold::fold;
use crate::pattern::Pattern;
use crate::query::{Field, Node, Term, TermKind};
use crate::tokens::{AUTHOR, HOST, LINK, SEP};

/// Very common words: anchoring on one of them would make the query a candidate for most posts.
const COMMON: [&str; 40] = [
    "the", "and", "for", "you", "that", "this", "with", "are", "is", "it", "to", "of", "in", "on", "a", "i",
    "be", "not", "le", "la", "les", "de", "des", "du", "et", "un", "une", "est", "en", "que", "qui", "pour",
    "pas", "je", "il", "on", "au", "ce", "sur", "avec",
];

/// The anchors a query may use.
#[derive(Debug, Clone)]
pub(crate) enum AnchorTree {
    /// One anchor, with its estimated frequency before counting the queries that share it.
    Leaf { text: Box<str>, cost: f64 },
    /// Every child is required: one child's anchors suffice.
    All(Box<[AnchorTree]>),
    /// Any child may match: the anchors of every child are needed.
    Any(Box<[AnchorTree]>),
}

/// A chosen set of anchors and its estimated cost.
#[derive(Debug, Clone)]
pub(crate) struct Anchors {
    pub texts: Vec<Box<str>>,
    pub cost: f64,
}

impl AnchorTree {
    fn leaf(text: String, cost: f64) -> Self {
        AnchorTree::Leaf { text: text.into(), cost }
    }

    /// The heap memory the tree holds, in bytes, roughly.
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            AnchorTree::Leaf { text, .. } => text.len(),
            AnchorTree::All(children) | AnchorTree::Any(children) => {
                std::mem::size_of_val::<[AnchorTree]>(children)
                    + children.iter().map(AnchorTree::heap_bytes).sum::<usize>()
            }
        }
    }

    /// Every anchor text in the tree, each once.
    pub(crate) fn leaves(&self) -> Vec<&str> {
        fn walk<'t>(tree: &'t AnchorTree, out: &mut Vec<&'t str>) {
            match tree {
                AnchorTree::Leaf { text, .. } => {
                    if !out.contains(&&**text) {
                        out.push(text);
                    }
                }
                AnchorTree::All(children) | AnchorTree::Any(children) => {
                    children.iter().for_each(|c| walk(c, out))
                }
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// The cheapest sufficient set of anchors, where `sharing(text)` is how many queries may
    /// anchor on `text` (at least 1).
    pub(crate) fn choose(&self, sharing: &impl Fn(&str) -> u32) -> Anchors {
        match self {
            AnchorTree::Leaf { text, cost } => {
                Anchors { texts: vec![text.clone()], cost: cost * f64::from(sharing(text).max(1)) }
            }
            AnchorTree::All(children) => children
                .iter()
                .map(|c| c.choose(sharing))
                .min_by(|a, b| a.cost.total_cmp(&b.cost))
                .expect("an All node has children"),
            AnchorTree::Any(children) => {
                let mut all = Anchors { texts: Vec::new(), cost: 0.0 };
                for child in children.iter() {
                    let chosen = child.choose(sharing);
                    for text in chosen.texts {
                        if !all.texts.contains(&text) {
                            all.texts.push(text);
                        }
                    }
                    all.cost += chosen.cost;
                }
                all
            }
        }
    }
}

/// An anchor is exact when it stands for a whole token (`\0word\0`); the engine can then look
/// it up by the token's text instead of scanning.
pub(crate) fn exact_key(anchor: &str) -> Option<&str> {
    anchor.strip_prefix(SEP)?.strip_suffix(SEP).filter(|k| !k.contains(SEP))
}

/// Whether the anchor is an `author:` handle, looked up by the post's author key rather than
/// scanned.
pub(crate) fn is_author_key(anchor: &str) -> bool {
    anchor.starts_with(AUTHOR)
}

/// The anchors a node may use, or `None` when nothing in the scan text is required
/// (exclusions, `lang:`, `network:`).
pub(crate) fn anchor_tree(node: &Node) -> Option<AnchorTree> {
    match node {
        Node::Term(term) => Some(term_anchor(term)),
        Node::Phrase { terms, .. } => all(terms.iter().map(|t| Some(term_anchor(t)))),
        Node::Near { left, right, .. } => all([anchor_tree(left), anchor_tree(right)].into_iter()),
        Node::And(children) => all(children.iter().map(anchor_tree)),
        Node::Or(children) => {
            let children: Option<Vec<AnchorTree>> = children.iter().map(anchor_tree).collect();
            Some(AnchorTree::Any(children?.into()))
        }
        Node::Field(field) => field_anchor(field),
        Node::Not(_) => None,
    }
}

/// The required children that can anchor, any one of which will do.
fn all(children: impl Iterator<Item = Option<AnchorTree>>) -> Option<AnchorTree> {
    let mut children: Vec<AnchorTree> = children.flatten().collect();
    match children.len() {
        0 => None,
        1 => children.pop(),
        _ => Some(AnchorTree::All(children.into())),
    }
}

/// `site:` and `links:` anchor on the links section of the scan text: a host ends with the
/// domain; a link contains the text; `links:*` needs a links section at all. `author:` anchors
/// on the handle at the end of the scan text.
fn field_anchor(field: &Field) -> Option<AnchorTree> {
    let cost = |text: &str| {
        let len = text.chars().count() as f64;
        6.0 / (len * len)
    };
    match field {
        Field::Site(domain) => Some(AnchorTree::leaf(format!("{domain}{HOST}"), cost(domain))),
        Field::Links(Some(text)) => Some(AnchorTree::leaf(text.clone(), cost(text))),
        Field::Links(None) => Some(AnchorTree::leaf(LINK.to_string(), 1.0)),
        Field::Author(handle) => Some(AnchorTree::leaf(format!("{AUTHOR}{handle}{AUTHOR}"), 1.0 / 64.0)),
        Field::Lang(_) | Field::Network(_) => None,
    }
}

/// A term's anchor: the whole token when the term has no wildcard, else its longest literal
/// run, tied to the start or the end of the token when it is there.
///
/// A case-sensitive term anchors on the folded form of its text: folding works character by
/// character, so the folded token contains it whenever the token contains the text as written.
fn term_anchor(term: &Term) -> AnchorTree {
    let pattern: &Pattern = term.pattern();
    let lead = if term.kind() == TermKind::Mention { "@" } else { "" };
    let chars = pattern.chars();
    let segments = pattern.segments();
    let (start, end, text) = segments
        .into_iter()
        .max_by_key(|(s, e, _)| (e - s, std::cmp::Reverse(*s)))
        .expect("the parser refuses terms without a literal character");
    let text = if pattern.is_case_sensitive() { fold(&text) } else { text };
    let at_start = start == 0;
    let at_end = end == chars.len();
    let mut anchor = String::with_capacity(text.len() + 3);
    if at_start {
        anchor.push(SEP);
        anchor.push_str(lead);
    }
    anchor.push_str(&text);
    if at_end {
        anchor.push(SEP);
    }
    let len = (text.chars().count() + usize::from(at_start && !lead.is_empty())).max(1) as f64;
    let cost = match (at_start, at_end) {
        (true, true) if COMMON.contains(&text.as_str()) => 1.0,
        (true, true) => 1.0 / (len * len),
        (true, false) | (false, true) => 3.0 / (len * len),
        (false, false) => 6.0 / (len * len),
    };
    AnchorTree::leaf(anchor, cost)
}
