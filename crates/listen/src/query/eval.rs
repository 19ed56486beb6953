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

/// Whether every term (given by the positions where it matches, in increasing order) can take
/// its own position so that the stretch they cover holds at most `slop` other words.
///
/// The stretch is at most `width = terms + slop` positions long and starts at one of the
/// chosen positions, so it is enough to try each position where some term matches as the
/// start of a window of `width` positions, and to ask whether the terms can take distinct
/// positions inside it: a bipartite matching between terms and positions, found by augmenting
/// paths. That costs at most positions × terms² × width steps; trying every assignment of
/// positions instead grows exponentially with the number of terms (`"a a a a a a b"~100`
/// over a post full of `a`).
pub(crate) fn proximity_fits(positions: &[Vec<u32>], slop: u32) -> bool {
    if positions.iter().any(Vec::is_empty) {
        return false;
    }
    if positions.is_empty() {
        return true;
    }
    let width = slop.saturating_add(positions.len() as u32);
    let mut starts: Vec<u32> = positions.iter().flatten().copied().collect();
    starts.sort_unstable();
    starts.dedup();
    let last = *starts.last().expect("every term has a position");
    let mut windows: Vec<&[u32]> = Vec::with_capacity(positions.len());
    let mut owner: Vec<usize> = Vec::new();
    let mut seen: Vec<bool> = Vec::new();
    for &lo in &starts {
        let hi = lo.saturating_add(width - 1).min(last);
        windows.clear();
        for p in positions {
            let from = p.partition_point(|&x| x < lo);
            let to = p.partition_point(|&x| x <= hi);
            windows.push(&p[from..to]);
        }
        if windows.iter().any(|w| w.is_empty()) {
            continue;
        }
        // Slots are the positions lo..=hi; `owner[slot]` is the term that holds it.
        let slots = (hi - lo + 1) as usize;
        if slots < windows.len() {
            continue;
        }
        owner.clear();
        owner.resize(slots, usize::MAX);
        let all_placed = (0..windows.len()).all(|term| {
            seen.clear();
            seen.resize(slots, false);
            augment(term, &windows, lo, &mut owner, &mut seen)
        });
        if all_placed {
            return true;
        }
    }
    false
}

/// Finds a free position for `term` inside the window, moving the terms that hold the
/// positions it could take to others of theirs when they can (an augmenting path). The
/// recursion is at most as deep as the window has positions, since each call takes a slot
/// not seen before.
fn augment(term: usize, windows: &[&[u32]], lo: u32, owner: &mut [usize], seen: &mut [bool]) -> bool {
    for &p in windows[term] {
        let slot = (p - lo) as usize;
        if seen[slot] {
            continue;
        }
        seen[slot] = true;
        if owner[slot] == usize::MAX || augment(owner[slot], windows, lo, owner, seen) {
            owner[slot] = term;
            return true;
        }
    }
    false
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::proximity_fits;

    /// The definition, tried by brute force: every assignment of distinct positions.
    fn by_every_assignment(positions: &[Vec<u32>], slop: u32) -> bool {
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
        let width = slop.saturating_add(positions.len() as u32);
        place(positions, 0, &mut Vec::new(), width)
    }

    fn sorted(mut v: Vec<u32>) -> Vec<u32> {
        v.sort_unstable();
        v.dedup();
        v
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        #[test]
        fn the_window_search_agrees_with_trying_every_assignment(
            positions in prop::collection::vec(prop::collection::vec(0u32..24, 0..6).prop_map(sorted), 0..6),
            slop in 0u32..6,
        ) {
            prop_assert_eq!(proximity_fits(&positions, slop), by_every_assignment(&positions, slop));
        }
    }

    #[test]
    fn repeated_terms_need_as_many_distinct_positions() {
        // "a a b"~0: two a's and a b side by side.
        let (a2, b) = (vec![3, 4], vec![5]);
        assert!(proximity_fits(&[a2.clone(), a2.clone(), b.clone()], 0));
        let a1 = vec![4];
        assert!(!proximity_fits(&[a1.clone(), a1, b], 5));
    }

    #[test]
    fn six_repeated_terms_far_from_the_seventh_answer_at_once() {
        // `"a a a a a a b"~100` over a post of `b`, 120 other words, then 120 `a`: tried
        // assignment by assignment this takes hours.
        let a: Vec<u32> = (121..241).collect();
        let mut positions = vec![a; 6];
        positions.push(vec![0]);
        assert!(!proximity_fits(&positions, 100));
        positions[6] = vec![20];
        assert!(proximity_fits(&positions, 100));
    }
}
