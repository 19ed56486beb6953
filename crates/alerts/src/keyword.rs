//! Keyword alerts: a listening query whose every match is worth telling someone about at once.
//!
//! They use the listening query language of [`tutti_listen`] (`GRAMMAR.md` in that crate), so a
//! team writes them the way it writes its listening queries: `(tutti AND (panne OR outage))
//! AND NOT lang:de`.

use tutti_listen::{Post, Query, QueryError};

/// A keyword alert: a parsed listening query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordAlert {
    query: Query,
}

impl KeywordAlert {
    /// Parses the alert's query; the error names the column at fault.
    pub fn parse(text: &str) -> Result<KeywordAlert, QueryError> {
        Ok(KeywordAlert { query: Query::parse(text)? })
    }

    /// Whether the post should raise the alert.
    pub fn matches(&self, post: &Post) -> bool {
        self.query.matches(post)
    }

    /// The query as written.
    pub fn as_str(&self) -> &str {
        self.query.as_str()
    }

    /// The parsed query.
    pub fn query(&self) -> &Query {
        &self.query
    }
}

impl std::str::FromStr for KeywordAlert {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeywordAlert::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tutti_listen::Network;

    fn post(text: &str, lang: Option<&str>, network: Network) -> Post {
        Post { lang: lang.map(str::to_owned), network, ..Post::new(text) }
    }

    #[test]
    fn matches_like_a_listening_query() {
        let alert = KeywordAlert::parse("tutti AND (panne OR outage) AND NOT lang:de").unwrap();
        let cases = [
            ("Tutti est en PANNE depuis ce matin", Some("fr"), true),
            ("tutti outage again?", None, true),
            ("#Tutti outage", Some("en"), true),
            ("Tutti Ausfall, outage", Some("de"), false),
            ("tutti is great", Some("en"), false),
            ("panne générale", Some("fr"), false),
        ];
        for (text, lang, expected) in cases {
            assert_eq!(alert.matches(&post(text, lang, Network::Mastodon)), expected, "{text}");
        }
        assert_eq!(alert.as_str(), "tutti AND (panne OR outage) AND NOT lang:de");
    }

    #[test]
    fn fields_and_phrases() {
        let alert: KeywordAlert = r#""service client"~2 AND network:bluesky"#.parse().unwrap();
        assert!(alert.matches(&post("le service du client est absent", None, Network::Bluesky)));
        assert!(!alert.matches(&post("le service client est absent", None, Network::Rss)));
    }

    #[test]
    fn refusals_name_the_column() {
        let cases = [("tutti app", 7), ("tutti AND", 7), ("a AND b OR c", 9), ("c*", 1)];
        for (text, column) in cases {
            let err = KeywordAlert::parse(text).unwrap_err();
            assert_eq!(err.column, column, "{text}: {err}");
            assert!(!err.message.is_empty());
        }
    }
}
