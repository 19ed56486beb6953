//! The parser: query text to syntax tree, with every refusal naming its column.

use super::{Field, Node, Term, TermKind};
use crate::error::{QueryError, QueryErrorKind};
use crate::fold::fold;
use crate::pattern::Pattern;
use crate::tokens::{host_of, nfc, normalise_lang, split, Piece, TokenKind};

/// The largest distance `NEAR/n` and `"…"~n` accept.
pub(crate) const MAX_DISTANCE: u32 = 100;

/// The longest query, in bytes (UTF-8). Every walk over a query is then bounded too.
pub const MAX_QUERY_BYTES: usize = 2048;

/// The deepest nesting of a query: each parenthesis and each `NOT` is one level. The parser,
/// the evaluators, the compiler and the anchors all walk the tree recursively, so this bound
/// is what keeps a hostile query from exhausting a thread's stack.
pub const MAX_DEPTH: usize = 32;

/// The most words a proximity phrase (`"a b c"~n`) may hold.
pub const MAX_PROXIMITY_TERMS: usize = 16;

const FIELDS: &str = "author, lang, site, network, links";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Lex {
    Open,
    Close,
    And,
    Or,
    Not,
    Near { distance: u32, ordered: bool },
    Phrase { text: String, slop: Option<u32> },
    Exact(String),
    Bare(String),
}

#[derive(Debug, Clone)]
struct Tok {
    lex: Lex,
    col: usize,
}

fn is_open_quote(c: char) -> bool {
    matches!(c, '"' | '“')
}

fn is_close_quote(c: char) -> bool {
    matches!(c, '"' | '”')
}

fn ends_bare(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"' | '“' | '”' | '{' | '}')
}

fn parse_distance(digits: &str) -> Option<u32> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&n| n <= MAX_DISTANCE)
}

fn lex(source: &str) -> Result<Vec<Tok>, QueryError> {
    let chars: Vec<char> = source.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                toks.push(Tok { lex: Lex::Open, col });
                i += 1;
            }
            ')' => {
                toks.push(Tok { lex: Lex::Close, col });
                i += 1;
            }
            c if is_open_quote(c) => {
                let close = (i + 1..chars.len())
                    .find(|&j| is_close_quote(chars[j]))
                    .ok_or_else(|| QueryError::new(col, "unterminated quote"))?;
                let text: String = chars[i + 1..close].iter().collect();
                i = close + 1;
                let mut slop = None;
                if chars.get(i) == Some(&'~') {
                    let start = i + 1;
                    let mut end = start;
                    while chars.get(end).is_some_and(char::is_ascii_digit) {
                        end += 1;
                    }
                    let digits: String = chars[start..end].iter().collect();
                    slop = Some(parse_distance(&digits).ok_or_else(|| {
                        QueryError::new(
                            i + 1,
                            format!("bad proximity distance: write \"…\"~n with n from 0 to {MAX_DISTANCE}"),
                        )
                    })?);
                    i = end;
                }
                toks.push(Tok { lex: Lex::Phrase { text, slop }, col });
            }
            '{' => {
                let close = (i + 1..chars.len())
                    .find(|&j| chars[j] == '}')
                    .ok_or_else(|| QueryError::new(col, "unterminated brace"))?;
                toks.push(Tok { lex: Lex::Exact(chars[i + 1..close].iter().collect()), col });
                i = close + 1;
            }
            '}' => return Err(QueryError::new(col, "unmatched closing brace")),
            '”' => return Err(QueryError::new(col, "unmatched closing quote")),
            _ => {
                let start = i;
                while i < chars.len() && !ends_bare(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let lex = match word.as_str() {
                    "AND" => Lex::And,
                    "OR" => Lex::Or,
                    "NOT" => Lex::Not,
                    "NEAR" => return Err(QueryError::new(col, "NEAR needs a distance, as in NEAR/3")),
                    w if w.starts_with("NEAR/") => {
                        let spec = &w["NEAR/".len()..];
                        let (digits, ordered) = match spec.strip_suffix('f') {
                            Some(d) => (d, true),
                            None => (spec, false),
                        };
                        let distance = parse_distance(digits).ok_or_else(|| {
                            QueryError::new(
                                col,
                                format!(
                                    "bad NEAR distance '{spec}': write NEAR/n or NEAR/nf with n from 0 to {MAX_DISTANCE}"
                                ),
                            )
                        })?;
                        Lex::Near { distance, ordered }
                    }
                    _ => Lex::Bare(word),
                };
                toks.push(Tok { lex, col });
            }
        }
    }
    Ok(toks)
}

/// A parsed piece of the tree, with what the checks above it need to know.
struct Parsed {
    node: Node,
    col: usize,
    /// `Some(column of a NOT)` when the piece only excludes (`NOT x`, `NOT x AND NOT y`).
    exclusion: Option<usize>,
}

impl Parsed {
    fn plain(node: Node, col: usize) -> Self {
        Parsed { node, col, exclusion: None }
    }
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// How many parentheses and `NOT`s enclose the current position.
    depth: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Joint {
    And,
    Or,
}

impl Parser {
    /// Enters one level of nesting, opened at `col`.
    fn enter(&mut self, col: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::bound(
                QueryErrorKind::TooDeep,
                col,
                format!("too deeply nested: at most {MAX_DEPTH} levels of parentheses and NOT"),
            ));
        }
        Ok(())
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_lex(&self) -> Option<&Lex> {
        self.peek().map(|t| &t.lex)
    }

    /// Whether the next token can start an operand (of AND/OR when `not_allowed`).
    fn operand_follows(&self, not_allowed: bool) -> bool {
        match self.peek_lex() {
            Some(Lex::Open | Lex::Phrase { .. } | Lex::Exact(_) | Lex::Bare(_)) => true,
            Some(Lex::Not) => not_allowed,
            _ => false,
        }
    }

    /// The error for an operator at `col` with no operand after it: a NEAR standing there
    /// is the one missing a side.
    fn missing_operand(&self, col: usize, message: String) -> QueryError {
        match self.peek() {
            Some(Tok { lex: Lex::Near { .. }, col }) => {
                QueryError::new(*col, "NEAR needs a term on both sides")
            }
            _ => QueryError::new(col, message),
        }
    }

    fn expr(&mut self) -> Result<Parsed, QueryError> {
        let first = self.unary()?;
        let col = first.col;
        let mut items = vec![first];
        let mut joint: Option<Joint> = None;
        while let Some(tok) = self.peek() {
            let tok_col = tok.col;
            let this = match tok.lex {
                Lex::And => Joint::And,
                Lex::Or => Joint::Or,
                // `a NOT b` reads as `a AND NOT b`.
                Lex::Not => Joint::And,
                Lex::Close => break,
                Lex::Near { .. } => {
                    return Err(QueryError::new(
                        tok_col,
                        "NEAR cannot be chained: join NEAR clauses with AND",
                    ))
                }
                _ => return Err(QueryError::new(tok_col, "expected AND, OR or NOT between terms")),
            };
            if joint.is_some_and(|j| j != this) {
                return Err(QueryError::new(tok_col, "mixing AND and OR needs parentheses"));
            }
            joint = Some(this);
            if tok.lex != Lex::Not {
                let name = if this == Joint::And { "AND" } else { "OR" };
                self.pos += 1;
                if !self.operand_follows(true) {
                    return Err(self.missing_operand(tok_col, format!("{name} needs a term on both sides")));
                }
            }
            items.push(self.unary()?);
        }
        if items.len() == 1 {
            return Ok(items.pop().expect("one item"));
        }
        match joint.expect("several items are joined") {
            Joint::And => {
                let exclusion = items.iter().map(|p| p.exclusion).collect::<Option<Vec<_>>>().map(|c| c[0]);
                Ok(Parsed { node: Node::And(items.into_iter().map(|p| p.node).collect()), col, exclusion })
            }
            Joint::Or => {
                if let Some(not_col) = items.iter().find_map(|p| p.exclusion) {
                    return Err(QueryError::new(not_col, "an OR branch cannot be only exclusions"));
                }
                Ok(Parsed::plain(Node::Or(items.into_iter().map(|p| p.node).collect()), col))
            }
        }
    }

    fn unary(&mut self) -> Result<Parsed, QueryError> {
        let Some(Tok { lex: Lex::Not, col }) = self.peek().cloned() else { return self.near() };
        self.pos += 1;
        if !self.operand_follows(true) {
            return Err(self.missing_operand(col, "NOT needs a term after it".to_owned()));
        }
        self.enter(col)?;
        let inner = self.unary()?;
        self.depth -= 1;
        Ok(Parsed { node: Node::Not(Box::new(inner.node)), col, exclusion: Some(col) })
    }

    fn near(&mut self) -> Result<Parsed, QueryError> {
        let left = self.primary()?;
        let Some(Tok { lex: Lex::Near { distance, ordered }, col }) = self.peek().cloned() else {
            return Ok(left);
        };
        self.pos += 1;
        if !self.operand_follows(false) {
            return Err(QueryError::new(col, "NEAR needs a term on both sides"));
        }
        let right = self.primary()?;
        for side in [&left, &right] {
            if !is_positional(&side.node) {
                return Err(QueryError::new(
                    side.col,
                    "NEAR works on words, exact phrases and OR groups of them",
                ));
            }
        }
        let node = Node::Near { left: Box::new(left.node), right: Box::new(right.node), distance, ordered };
        Ok(Parsed::plain(node, left.col))
    }

    fn primary(&mut self) -> Result<Parsed, QueryError> {
        let Some(tok) = self.peek().cloned() else {
            // Only reached on an empty query; every operator checks for its operand first.
            return Err(QueryError::new(1, "empty query"));
        };
        self.pos += 1;
        let col = tok.col;
        match tok.lex {
            Lex::Open => {
                match self.peek_lex() {
                    None => return Err(QueryError::new(col, "unclosed parenthesis")),
                    Some(Lex::Close) => return Err(QueryError::new(col, "empty parentheses")),
                    _ => {}
                }
                self.enter(col)?;
                let inner = self.expr()?;
                if self.peek_lex() != Some(&Lex::Close) {
                    return Err(QueryError::new(col, "unclosed parenthesis"));
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(Parsed { col, ..inner })
            }
            Lex::Close => Err(QueryError::new(col, "unmatched closing parenthesis")),
            Lex::And => Err(QueryError::new(col, "AND needs a term on both sides")),
            Lex::Or => Err(QueryError::new(col, "OR needs a term on both sides")),
            Lex::Not => Err(QueryError::new(col, "NOT needs a term after it")),
            Lex::Near { .. } => Err(QueryError::new(col, "NEAR needs a term on both sides")),
            Lex::Phrase { text, slop } => {
                if text.trim().is_empty() {
                    return Err(QueryError::new(col, "empty phrase"));
                }
                Ok(Parsed::plain(words(&text, false, slop, col)?, col))
            }
            Lex::Exact(text) => {
                if text.trim().is_empty() {
                    return Err(QueryError::new(col, "empty braces"));
                }
                Ok(Parsed::plain(words(&text, true, None, col)?, col))
            }
            Lex::Bare(text) => Ok(Parsed::plain(bare(&text, col)?, col)),
        }
    }
}

/// Whether a node can stand beside NEAR: it has word positions.
fn is_positional(node: &Node) -> bool {
    match node {
        Node::Term(t) => t.kind != TermKind::Emoji,
        Node::Phrase { slop: None, .. } => true,
        Node::Or(children) => children.iter().all(is_positional),
        _ => false,
    }
}

/// A bare word of the query: a field filter, or words.
fn bare(text: &str, col: usize) -> Result<Node, QueryError> {
    if let Some((name, value)) = text.split_once(':') {
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic()) {
            return field(name, value, col).map(Node::Field);
        }
    }
    words(text, false, None, col)
}

fn field(name: &str, value: &str, col: usize) -> Result<Field, QueryError> {
    let name = name.to_ascii_lowercase();
    if !["author", "lang", "site", "network", "links"].contains(&name.as_str()) {
        let hint = if matches!(name.as_str(), "http" | "https") {
            "; search links with links: or site:"
        } else {
            ""
        };
        return Err(QueryError::new(col, format!("unknown field '{name}' (known: {FIELDS}){hint}")));
    }
    if value.is_empty() {
        return Err(QueryError::new(col, format!("{name}: needs a value")));
    }
    match name.as_str() {
        "author" => {
            let handle = fold(value.trim_start_matches('@'));
            if handle.is_empty() {
                return Err(QueryError::new(col, "author: needs a value"));
            }
            Ok(Field::Author(handle))
        }
        "lang" => {
            let ok = value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && value.as_bytes()[0].is_ascii_alphabetic();
            if !ok {
                return Err(QueryError::new(
                    col,
                    format!("bad language code '{value}': write lang:fr or lang:en-GB"),
                ));
            }
            Ok(Field::Lang(normalise_lang(value)))
        }
        "site" => match host_of(value) {
            Some(host) if !host.contains(['*', '?']) => Ok(Field::Site(host)),
            _ => Err(QueryError::new(col, format!("bad domain '{value}': write site:example.com"))),
        },
        "network" => value.parse().map(Field::Network).map_err(|e| QueryError::new(col, e.to_string())),
        "links" if value == "*" => Ok(Field::Links(None)),
        "links" if value.contains(['*', '?']) => {
            Err(QueryError::new(col, "links: takes a domain or a piece of address, or * for any link"))
        }
        _ => Ok(Field::Links(Some(value.to_lowercase()))),
    }
}

/// The words of a bare term, a phrase or braces: one term, or a phrase of several.
fn words(text: &str, case_sensitive: bool, slop: Option<u32>, col: usize) -> Result<Node, QueryError> {
    let text = nfc(text);
    let mut pieces: Vec<Piece> = Vec::new();
    split(&text, true, |kind, range| pieces.push(Piece { kind, range }));
    if pieces.iter().any(|p| p.kind == TokenKind::Url) {
        return Err(QueryError::new(col, "search links with links: or site:"));
    }
    // Emojis take no word position, so in a phrase of several words they are left out.
    if pieces.len() > 1 && pieces.iter().any(|p| p.kind != TokenKind::Emoji) {
        pieces.retain(|p| p.kind != TokenKind::Emoji);
    }
    let mut terms = Vec::with_capacity(pieces.len());
    for piece in &pieces {
        let source = &text[piece.range.clone()];
        let kind = match piece.kind {
            TokenKind::Word => TermKind::Word,
            TokenKind::Hashtag => TermKind::Hashtag,
            TokenKind::Mention => TermKind::Mention,
            TokenKind::Emoji => TermKind::Emoji,
            TokenKind::Url => unreachable!("links were refused above"),
        };
        let pattern = Pattern::new(source, case_sensitive && kind != TermKind::Emoji);
        if kind == TermKind::Emoji && pattern.has_wildcards() {
            return Err(QueryError::new(col, "an emoji cannot take a wildcard"));
        }
        if pattern.has_wildcards() && pattern.literal_count() < 2 {
            return Err(QueryError::new(
                col,
                format!("'{source}' is too broad: a wildcard term needs at least 2 other characters"),
            ));
        }
        if pattern.literal_count() == 0 {
            return Err(QueryError::new(col, format!("'{source}' has no searchable word")));
        }
        terms.push(Term { kind, pattern });
    }
    match terms.len() {
        0 => Err(QueryError::new(col, format!("'{}' has no searchable word", text.trim()))),
        1 => Ok(Node::Term(terms.pop().expect("one term"))),
        _ if terms.len() > 2 * MAX_DISTANCE as usize => Err(QueryError::new(col, "phrase too long")),
        // Proximity is matched with a window per set of positions: its cost grows with the
        // number of words, so the number is bounded.
        n if slop.is_some() && n > MAX_PROXIMITY_TERMS => Err(QueryError::bound(
            QueryErrorKind::TooManyTerms,
            col,
            format!("a proximity phrase \"…\"~n holds at most {MAX_PROXIMITY_TERMS} words ({n} here)"),
        )),
        _ if pieces.iter().all(|p| p.kind == TokenKind::Emoji) => {
            Err(QueryError::new(col, "emojis have no word position: join them with AND"))
        }
        _ => Ok(Node::Phrase { terms, slop }),
    }
}

/// Parses a whole query.
pub(super) fn parse(source: &str) -> Result<Node, QueryError> {
    if source.len() > MAX_QUERY_BYTES {
        // The column of the first character that does not fit.
        let column =
            source.char_indices().take_while(|(at, c)| at + c.len_utf8() <= MAX_QUERY_BYTES).count() + 1;
        return Err(QueryError::bound(
            QueryErrorKind::TooLong,
            column,
            format!("query too long: at most {MAX_QUERY_BYTES} bytes ({} here)", source.len()),
        ));
    }
    let toks = lex(source)?;
    if toks.is_empty() {
        return Err(QueryError::new(1, "empty query"));
    }
    let mut parser = Parser { toks, pos: 0, depth: 0 };
    let parsed = parser.expr()?;
    if let Some(tok) = parser.peek() {
        return Err(QueryError::new(tok.col, "unmatched closing parenthesis"));
    }
    if let Some(col) = parsed.exclusion {
        return Err(QueryError::new(col, "a query cannot be only exclusions"));
    }
    Ok(parsed.node)
}
