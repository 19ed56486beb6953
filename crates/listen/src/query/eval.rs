//! The reference evaluator: a plain walk of the syntax tree over a tokenised post. It is
//! written to be obviously right, not fast; the engine is tested against it.

use super::{Field, Node, Term, TermKind};
use crate::tokens::{PostTokens, Token, TokenKind};

/// Whether `node` matches the post.
pub(super) fn eval(node: &Node, post: &PostTokens<'_>) -> bool {
    match node {
        Node::And(children) => children.iter().all(|c| eval(c, post)),
        Node::Or(children) => children.iter().any(|c| eval(c, post)),
        Node::Not(child) => !eval(child, post),
        Node::Near { left, right, distance, ordered } => {
            let (left, right) = (spans(left, post), spans(right, post));
            left.iter().any(|&a| right.iter().any(|&b| near_fits(a, b, *distance, *ordered)))
        }
        Node::Term(term) if term.kind == TermKind::Emoji => post.emojis().any(|e| term.pattern.matches(e)),
        Node::Term(term) => !positions(term, post).is_empty(),
        Node::Phrase { terms, slop: None } => !phrase_spans(terms, post).is_empty(),
        Node::Phrase { terms, slop: Some(slop) } => {
            let positions: Vec<Vec<u32>> = terms.iter().map(|t| positions(t, post)).collect();
            proximity_fits(&positions, *slop)
        }
        Node::Field(field) => field_matches(field, post),
    }
}

/// Whether `term` matches the token.
fn term_matches(term: &Term, token: &Token, post: &PostTokens<'_>) -> bool {
    let kind_fits = match term.kind {
        TermKind::Word => matches!(token.kind, TokenKind::Word | TokenKind::Hashtag),
        TermKind::Hashtag => token.kind == TokenKind::Hashtag,
        TermKind::Mention => token.kind == TokenKind::Mention,
        TermKind::Emoji => false,
    };
    let text = if term.pattern.is_case_sensitive() { post.raw(token) } else { post.folded(token) };
    kind_fits && term.pattern.matches(text)
}

/// The word positions where `term` matches.
fn positions(term: &Term, post: &PostTokens<'_>) -> Vec<u32> {
    (0..post.words().len() as u32).filter(|&p| term_matches(term, &post.words()[p as usize], post)).collect()
}

/// The (first, last) positions of every occurrence of an exact phrase.
fn phrase_spans(terms: &[Term], post: &PostTokens<'_>) -> Vec<(u32, u32)> {
    let words = post.words();
    let k = terms.len();
    if k == 0 || words.len() < k {
        return Vec::new();
    }
    (0..=words.len() - k)
        .filter(|&p| terms.iter().enumerate().all(|(i, t)| term_matches(t, &words[p + i], post)))
        .map(|p| (p as u32, (p + k - 1) as u32))
        .collect()
}

/// The (first, last) positions of every occurrence of a positional operand of NEAR.
fn spans(node: &Node, post: &PostTokens<'_>) -> Vec<(u32, u32)> {
    match node {
        Node::Term(term) => positions(term, post).into_iter().map(|p| (p, p)).collect(),
        Node::Phrase { terms, slop: None } => phrase_spans(terms, post),
        Node::Or(children) => children.iter().flat_map(|c| spans(c, post)).collect(),
        // The parser admits nothing else beside NEAR.
        _ => Vec::new(),
    }
}

/// Whether two occurrences are at most `distance` words apart, `a` first when `ordered`.
/// Occurrences that overlap are not near each other: they are the same words.
pub(crate) fn near_fits(a: (u32, u32), b: (u32, u32), distance: u32, ordered: bool) -> bool {
    if a.1 < b.0 {
        b.0 - a.1 - 1 <= distance
    } else if !ordered && b.1 < a.0 {
        a.0 - b.1 - 1 <= distance
    } else {
        false
    }
}

/// Whether every term (given by the positions where it matches) can take its own position so
/// that the stretch they cover holds at most `slop` other words.
pub(crate) fn proximity_fits(positions: &[Vec<u32>], slop: u32) -> bool {
    fn place(positions: &[Vec<u32>], i: usize, chosen: &mut Vec<u32>, width: u32) -> bool {
        let Some(candidates) = positions.get(i) else { return true };
        for &p in candidates {
            if chosen.contains(&p) {
                continue;
            }
            let lo = chosen.iter().copied().min().unwrap_or(p).min(p);
            let hi = chosen.iter().copied().max().unwrap_or(p).max(p);
            if hi - lo + 1 > width {
                continue;
            }
            chosen.push(p);
            if place(positions, i + 1, chosen, width) {
                return true;
            }
            chosen.pop();
        }
        false
    }
    if positions.iter().any(Vec::is_empty) {
        return false;
    }
    let width = slop.saturating_add(positions.len() as u32);
    place(positions, 0, &mut Vec::with_capacity(positions.len()), width)
}

/// Whether a field filter holds.
pub(crate) fn field_matches(field: &Field, post: &PostTokens<'_>) -> bool {
    match field {
        Field::Author(handle) => post.author() == handle,
        Field::Lang(code) => post.lang().is_some_and(|lang| {
            lang.strip_prefix(code.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
        }),
        Field::Site(domain) => post.hosts().iter().any(|host| {
            host.strip_suffix(domain.as_str()).is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
        }),
        Field::Network(network) => post.network() == *network,
        Field::Links(None) => !post.links().is_empty(),
        Field::Links(Some(text)) => post.links().iter().any(|l| l.contains(text.as_str())),
    }
}
