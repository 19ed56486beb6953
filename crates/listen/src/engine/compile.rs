//! The compiled form of a query that the engine verifies candidates with: the same meaning as
//! the syntax tree, with literal words ready for a plain comparison and the cheap checks of
//! every AND and OR placed first.

use crate::pattern::{glob, PatChar, Pattern};
use crate::query::{near_fits, proximity_fits, Field, Node, Term, TermKind};
use crate::tokens::{PostTokens, Token, TokenKind};

/// How a compiled term compares a token's text.
#[derive(Debug, Clone)]
enum Matcher {
    /// Equal to this text.
    Literal(Box<str>),
    /// Starts with `prefix`, then matches the whole pattern.
    Glob { prefix: Box<str>, chars: Box<[PatChar]> },
}

#[derive(Debug, Clone)]
struct CompiledTerm {
    kind: TermKind,
    case_sensitive: bool,
    matcher: Matcher,
}

impl CompiledTerm {
    fn new(term: &Term) -> Self {
        let pattern: &Pattern = term.pattern();
        let matcher = match pattern.literal() {
            Some(text) => Matcher::Literal(text.into()),
            None => {
                let prefix: String = pattern
                    .chars()
                    .iter()
                    .map_while(|c| match c {
                        PatChar::Lit(c) => Some(*c),
                        _ => None,
                    })
                    .collect();
                Matcher::Glob { prefix: prefix.into(), chars: pattern.chars().into() }
            }
        };
        CompiledTerm { kind: term.kind(), case_sensitive: pattern.is_case_sensitive(), matcher }
    }

    fn text_matches(&self, text: &str) -> bool {
        match &self.matcher {
            Matcher::Literal(lit) => text == &**lit,
            Matcher::Glob { prefix, chars } => text.starts_with(&**prefix) && glob(chars, text),
        }
    }

    fn token_matches(&self, token: &Token, post: &PostTokens<'_>) -> bool {
        let kind_fits = match self.kind {
            TermKind::Word => matches!(token.kind, TokenKind::Word | TokenKind::Hashtag),
            TermKind::Hashtag => token.kind == TokenKind::Hashtag,
            TermKind::Mention => token.kind == TokenKind::Mention,
            TermKind::Emoji => false,
        };
        kind_fits && self.text_matches(if self.case_sensitive { post.raw(token) } else { post.folded(token) })
    }

    fn present(&self, post: &PostTokens<'_>) -> bool {
        if self.kind == TermKind::Emoji {
            return post.emojis().any(|e| self.text_matches(e));
        }
        post.words().iter().any(|t| self.token_matches(t, post))
    }

    fn positions(&self, post: &PostTokens<'_>) -> Vec<u32> {
        let words = post.words();
        (0..words.len()).filter(|&p| self.token_matches(&words[p], post)).map(|p| p as u32).collect()
    }
}

/// One alternative of a NEAR operand: a term (one element) or an exact phrase.
type Sequence = Box<[CompiledTerm]>;

#[derive(Debug, Clone)]
enum Compiled {
    And(Box<[Compiled]>),
    Or(Box<[Compiled]>),
    Not(Box<Compiled>),
    Near { left: Box<[Sequence]>, right: Box<[Sequence]>, distance: u32, ordered: bool },
    Term(CompiledTerm),
    Phrase(Sequence),
    Proximity { terms: Sequence, slop: u32 },
    Field(Field),
}

/// A query compiled for verification.
#[derive(Debug, Clone)]
pub(crate) struct CompiledQuery(Compiled);

impl CompiledQuery {
    pub(crate) fn new(root: &Node) -> Self {
        CompiledQuery(compile(root))
    }

    /// Whether the post matches; the same answer as [`crate::Query::matches_tokens`].
    pub(crate) fn matches(&self, post: &PostTokens<'_>) -> bool {
        eval(&self.0, post)
    }

    /// The heap memory the compiled query holds, in bytes, roughly.
    pub(crate) fn heap_bytes(&self) -> usize {
        fn term(t: &CompiledTerm) -> usize {
            match &t.matcher {
                Matcher::Literal(lit) => lit.len(),
                Matcher::Glob { prefix, chars } => prefix.len() + std::mem::size_of_val::<[PatChar]>(chars),
            }
        }
        fn terms(ts: &[CompiledTerm]) -> usize {
            std::mem::size_of_val(ts) + ts.iter().map(term).sum::<usize>()
        }
        fn node(n: &Compiled) -> usize {
            match n {
                Compiled::And(children) | Compiled::Or(children) => {
                    std::mem::size_of_val::<[Compiled]>(children) + children.iter().map(node).sum::<usize>()
                }
                Compiled::Not(child) => std::mem::size_of::<Compiled>() + node(child),
                Compiled::Near { left, right, .. } => [&**left, &**right]
                    .into_iter()
                    .map(|side| std::mem::size_of_val(side) + side.iter().map(|s| terms(s)).sum::<usize>())
                    .sum(),
                Compiled::Term(t) => term(t),
                Compiled::Phrase(ts) | Compiled::Proximity { terms: ts, .. } => terms(ts),
                Compiled::Field(
                    Field::Author(s) | Field::Lang(s) | Field::Site(s) | Field::Links(Some(s)),
                ) => s.len(),
                Compiled::Field(_) => 0,
            }
        }
        node(&self.0)
    }
}

/// A rough cost of evaluating a node, to test cheap children of AND and OR first. Boolean
/// operators have no side effects, so their children may be evaluated in any order.
fn cost(node: &Compiled) -> u32 {
    match node {
        Compiled::Field(_) => 1,
        Compiled::Term(_) => 2,
        Compiled::Phrase(_) => 4,
        Compiled::Proximity { .. } | Compiled::Near { .. } => 8,
        Compiled::Not(child) => cost(child),
        Compiled::And(children) | Compiled::Or(children) => children.iter().map(cost).sum(),
    }
}

fn compile(node: &Node) -> Compiled {
    match node {
        Node::And(children) | Node::Or(children) => {
            let mut compiled: Vec<Compiled> = children.iter().map(compile).collect();
            compiled.sort_by_key(cost);
            if matches!(node, Node::And(_)) {
                Compiled::And(compiled.into())
            } else {
                Compiled::Or(compiled.into())
            }
        }
        Node::Not(child) => Compiled::Not(Box::new(compile(child))),
        Node::Near { left, right, distance, ordered } => Compiled::Near {
            left: sequences(left).into(),
            right: sequences(right).into(),
            distance: *distance,
            ordered: *ordered,
        },
        Node::Term(term) => Compiled::Term(CompiledTerm::new(term)),
        Node::Phrase { terms, slop: None } => Compiled::Phrase(terms.iter().map(CompiledTerm::new).collect()),
        Node::Phrase { terms, slop: Some(slop) } => {
            Compiled::Proximity { terms: terms.iter().map(CompiledTerm::new).collect(), slop: *slop }
        }
        Node::Field(field) => Compiled::Field(field.clone()),
    }
}

/// The alternatives of a NEAR operand, OR groups flattened.
fn sequences(node: &Node) -> Vec<Sequence> {
    match node {
        Node::Term(term) => vec![Sequence::from([CompiledTerm::new(term)])],
        Node::Phrase { terms, .. } => vec![terms.iter().map(CompiledTerm::new).collect()],
        Node::Or(children) => children.iter().flat_map(sequences).collect(),
        // The parser admits nothing else beside NEAR.
        _ => Vec::new(),
    }
}

/// The (first, last) positions of every occurrence of a sequence of terms.
fn sequence_spans(terms: &[CompiledTerm], post: &PostTokens<'_>, out: &mut Vec<(u32, u32)>) {
    let words = post.words();
    let k = terms.len();
    if k == 0 || words.len() < k {
        return;
    }
    for p in 0..=words.len() - k {
        if terms.iter().zip(&words[p..p + k]).all(|(t, w)| t.token_matches(w, post)) {
            out.push((p as u32, (p + k - 1) as u32));
        }
    }
}

fn eval(node: &Compiled, post: &PostTokens<'_>) -> bool {
    match node {
        Compiled::And(children) => children.iter().all(|c| eval(c, post)),
        Compiled::Or(children) => children.iter().any(|c| eval(c, post)),
        Compiled::Not(child) => !eval(child, post),
        Compiled::Term(term) => term.present(post),
        Compiled::Phrase(terms) => {
            let mut spans = Vec::new();
            sequence_spans(terms, post, &mut spans);
            !spans.is_empty()
        }
        Compiled::Proximity { terms, slop } => {
            let mut positions = Vec::with_capacity(terms.len());
            for term in terms.iter() {
                let p = term.positions(post);
                if p.is_empty() {
                    return false;
                }
                positions.push(p);
            }
            proximity_fits(&positions, *slop)
        }
        Compiled::Near { left, right, distance, ordered } => {
            let mut left_spans = Vec::new();
            for seq in left.iter() {
                sequence_spans(seq, post, &mut left_spans);
            }
            if left_spans.is_empty() {
                return false;
            }
            let mut right_spans = Vec::new();
            for seq in right.iter() {
                sequence_spans(seq, post, &mut right_spans);
            }
            left_spans.iter().any(|&a| right_spans.iter().any(|&b| near_fits(a, b, *distance, *ordered)))
        }
        Compiled::Field(field) => crate::query::field_matches(field, post),
    }
}
