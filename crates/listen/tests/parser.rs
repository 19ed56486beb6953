//! The query parser: what valid queries mean, and the column and message of every refusal.

use tutti_listen::{Field, Node, Query, QueryError, QueryErrorKind, Term, TermKind};

/// A compact rendering of the tree: `(and tutti (or a b))`.
fn render(node: &Node) -> String {
    fn term(t: &Term) -> String {
        let source = t.pattern().source();
        let text = match t.kind() {
            TermKind::Word | TermKind::Emoji => source.to_owned(),
            TermKind::Hashtag => format!("#{source}"),
            TermKind::Mention => format!("@{source}"),
        };
        if t.pattern().is_case_sensitive() {
            format!("{{{text}}}")
        } else {
            text
        }
    }
    let list = |name: &str, children: &[Node]| {
        let inner: Vec<String> = children.iter().map(render).collect();
        format!("({name} {})", inner.join(" "))
    };
    match node {
        Node::And(children) => list("and", children),
        Node::Or(children) => list("or", children),
        Node::Not(child) => format!("(not {})", render(child)),
        Node::Near { left, right, distance, ordered } => {
            let f = if *ordered { "f" } else { "" };
            format!("(near/{distance}{f} {} {})", render(left), render(right))
        }
        Node::Term(t) => term(t),
        Node::Phrase { terms, slop } => {
            let words: Vec<String> = terms.iter().map(term).collect();
            let slop = slop.map(|n| format!("~{n}")).unwrap_or_default();
            format!("\"{}\"{slop}", words.join(" "))
        }
        Node::Field(Field::Author(h)) => format!("author={h}"),
        Node::Field(Field::Lang(l)) => format!("lang={l}"),
        Node::Field(Field::Site(d)) => format!("site={d}"),
        Node::Field(Field::Network(n)) => format!("network={n}"),
        Node::Field(Field::Links(None)) => "links=*".to_owned(),
        Node::Field(Field::Links(Some(l))) => format!("links={l}"),
    }
}

#[test]
fn valid_queries_parse_to_the_expected_tree() {
    let cases = [
        ("tutti", "tutti"),
        ("tutti AND app", "(and tutti app)"),
        ("a OR b OR c", "(or a b c)"),
        ("a AND (b OR c)", "(and a (or b c))"),
        ("(a AND b) OR c", "(or (and a b) c)"),
        ("tutti NOT spam", "(and tutti (not spam))"),
        ("tutti AND NOT spam", "(and tutti (not spam))"),
        ("NOT spam AND tutti", "(and (not spam) tutti)"),
        ("(NOT spam) AND tutti", "(and (not spam) tutti)"),
        ("\"tutti app\"", "\"tutti app\""),
        ("“tutti app”", "\"tutti app\""),
        ("\"service client\"~3", "\"service client\"~3"),
        ("\"tutti\"", "tutti"),
        ("complain* AND customi?e", "(and complain* customi?e)"),
        ("tutti NEAR/3 app", "(near/3 tutti app)"),
        ("tutti NEAR/0f app", "(near/0f tutti app)"),
        (
            "(tutti OR \"tutti app\") NEAR/5 (complain* OR panne)",
            "(near/5 (or tutti \"tutti app\") (or complain* panne))",
        ),
        ("NOT tutti NEAR/2 spam AND tutti", "(and (not (near/2 tutti spam)) tutti)"),
        ("{Orange}", "{Orange}"),
        ("{Crédit Agricole}", "\"{Crédit} {Agricole}\""),
        (
            "#Tutti OR @alice.bsky.social OR @bob@mastodon.social",
            "(or #Tutti @alice.bsky.social @bob@mastodon.social)",
        ),
        ("l'application", "application"),
        ("d’accord", "accord"),
        ("jusqu'ici", "ici"),
        ("e-mail", "\"e mail\""),
        ("10:30", "\"10 30\""),
        ("and OR or OR not OR near", "(or and or not near)"),
        ("🔥 AND tutti", "(and 🔥 tutti)"),
        ("\"love 🔥 tutti\"", "\"love tutti\""),
        ("author:@Alice.bsky.social AND lang:fr_CA", "(and author=alice.bsky.social lang=fr-ca)"),
        ("tutti AND site:https://Blog.Example.com/x", "(and tutti site=blog.example.com)"),
        ("network:Mastodon AND links:*", "(and network=mastodon links=*)"),
        ("tutti AND links:Example.com", "(and tutti links=example.com)"),
        ("lang:fr AND network:bluesky", "(and lang=fr network=bluesky)"),
        ("Lang:fr AND tutti", "(and lang=fr tutti)"),
    ];
    for (query, expected) in cases {
        let parsed = Query::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(render(parsed.root()), expected, "{query}");
    }
}

#[test]
fn refused_queries_name_the_column_and_the_problem() {
    let near_distance = "write NEAR/n or NEAR/nf with n from 0 to 100";
    let cases: Vec<(&str, usize, String)> = vec![
        ("", 1, "empty query".into()),
        ("   ", 1, "empty query".into()),
        ("tutti app", 7, "expected AND, OR or NOT between terms".into()),
        ("tutti AND app (b OR c)", 15, "expected AND, OR or NOT between terms".into()),
        ("\"tutti app\"x", 12, "expected AND, OR or NOT between terms".into()),
        ("a AND b OR c", 9, "mixing AND and OR needs parentheses".into()),
        ("a OR b NOT c", 8, "mixing AND and OR needs parentheses".into()),
        ("(tutti OR app", 1, "unclosed parenthesis".into()),
        ("(", 1, "unclosed parenthesis".into()),
        ("tutti)", 6, "unmatched closing parenthesis".into()),
        ("()", 1, "empty parentheses".into()),
        ("\"tutti app", 1, "unterminated quote".into()),
        ("tutti AND {Tutti", 11, "unterminated brace".into()),
        ("tutti}", 6, "unmatched closing brace".into()),
        ("NOT spam", 1, "a query cannot be only exclusions".into()),
        ("NOT spam AND NOT promo", 1, "a query cannot be only exclusions".into()),
        ("(NOT spam)", 2, "a query cannot be only exclusions".into()),
        ("tutti OR NOT spam", 10, "an OR branch cannot be only exclusions".into()),
        ("tutti AND NEAR/3 app", 11, "NEAR needs a term on both sides".into()),
        ("tutti NEAR/3", 7, "NEAR needs a term on both sides".into()),
        ("NEAR/3 tutti", 1, "NEAR needs a term on both sides".into()),
        ("tutti NEAR/3 NOT spam", 7, "NEAR needs a term on both sides".into()),
        ("tutti NEAR/x app", 7, format!("bad NEAR distance 'x': {near_distance}")),
        ("tutti NEAR/101 app", 7, format!("bad NEAR distance '101': {near_distance}")),
        ("tutti NEAR/ app", 7, format!("bad NEAR distance '': {near_distance}")),
        ("tutti NEAR app", 7, "NEAR needs a distance, as in NEAR/3".into()),
        ("lang:fr NEAR/3 app", 1, "NEAR works on words, exact phrases and OR groups of them".into()),
        ("app NEAR/3 (a AND b)", 12, "NEAR works on words, exact phrases and OR groups of them".into()),
        ("app NEAR/3 \"a b\"~2", 12, "NEAR works on words, exact phrases and OR groups of them".into()),
        ("a NEAR/2 b NEAR/2 c", 12, "NEAR cannot be chained: join NEAR clauses with AND".into()),
        ("foo:bar", 1, "unknown field 'foo' (known: author, lang, site, network, links)".into()),
        (
            "https://example.com",
            1,
            "unknown field 'https' (known: author, lang, site, network, links); search links with links: or site:"
                .into(),
        ),
        ("tutti AND network:myspace", 11, "unknown network 'myspace': expected bluesky, mastodon or rss".into()),
        ("tutti AND lang:", 11, "lang: needs a value".into()),
        ("tutti AND lang:f!", 11, "bad language code 'f!': write lang:fr or lang:en-GB".into()),
        ("tutti AND links:exa*", 11, "links: takes a domain or a piece of address, or * for any link".into()),
        ("c*", 1, "'c*' is too broad: a wildcard term needs at least 2 other characters".into()),
        ("tutti AND ?", 11, "'?' is too broad: a wildcard term needs at least 2 other characters".into()),
        ("\"a bc*\" AND c?", 13, "'c?' is too broad: a wildcard term needs at least 2 other characters".into()),
        ("\"a b\"~", 6, "bad proximity distance: write \"…\"~n with n from 0 to 100".into()),
        ("\"a b\"~200", 6, "bad proximity distance: write \"…\"~n with n from 0 to 100".into()),
        ("tutti AND", 7, "AND needs a term on both sides".into()),
        ("OR tutti", 1, "OR needs a term on both sides".into()),
        ("tutti AND OR app", 7, "AND needs a term on both sides".into()),
        ("tutti NOT", 7, "NOT needs a term after it".into()),
        ("\"\"", 1, "empty phrase".into()),
        ("tutti AND {}", 11, "empty braces".into()),
        ("tutti AND !!", 11, "'!!' has no searchable word".into()),
        ("\"🔥 🎉\"", 1, "emojis have no word position: join them with AND".into()),
    ];
    for (query, column, message) in cases {
        let expected = QueryError { column, message, kind: QueryErrorKind::Syntax };
        assert_eq!(Query::parse(query), Err(expected), "{query:?}");
    }
}

#[test]
fn an_error_displays_its_column_first() {
    let error = Query::parse("tutti app").unwrap_err();
    assert_eq!(error.to_string(), "col 7: expected AND, OR or NOT between terms");
}

#[test]
fn columns_count_characters_not_bytes() {
    let error = Query::parse("réseau café").unwrap_err();
    assert_eq!(error.column, 8);
}

#[test]
fn a_query_keeps_its_source_text() {
    let query: Query = "tutti AND app".parse().unwrap();
    assert_eq!(query.as_str(), "tutti AND app");
    assert_eq!(query.to_string(), "tutti AND app");
}
