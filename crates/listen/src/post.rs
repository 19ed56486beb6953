//! The post as the engine sees it: its text and the few facts that field filters read.

use std::fmt;
use std::str::FromStr;

/// The network a post comes from, as `network:` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    /// Bluesky (AT Protocol).
    Bluesky,
    /// Mastodon and the rest of the fediverse that speaks its API.
    Mastodon,
    /// An RSS or Atom feed.
    Rss,
}

impl Network {
    /// Every network, in the order the grammar lists them.
    pub const ALL: [Network; 3] = [Network::Bluesky, Network::Mastodon, Network::Rss];

    /// The lower-case name used in queries (`network:bluesky`).
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Bluesky => "bluesky",
            Network::Mastodon => "mastodon",
            Network::Rss => "rss",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`Network::from_str`]: the name is none of `bluesky`, `mastodon`, `rss`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown network '{0}': expected bluesky, mastodon or rss")]
pub struct UnknownNetwork(pub String);

impl FromStr for Network {
    type Err = UnknownNetwork;

    /// Parses a network name, ignoring case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Network::ALL
            .into_iter()
            .find(|n| n.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownNetwork(s.to_owned()))
    }
}

/// One post from a network, with what listening queries can ask about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// The text as published (any Unicode normalisation form).
    pub text: String,
    /// The author's handle, with or without a leading `@` (`alice.bsky.social`, `bob@mastodon.social`).
    pub author: String,
    /// The language the network or a detector gave the post (`fr`, `en-GB`), if any.
    pub lang: Option<String>,
    /// The network the post comes from.
    pub network: Network,
    /// Links attached to the post besides those written in its text (link cards, facets).
    pub links: Vec<String>,
}

impl Post {
    /// A post with only a text: author empty, no language, from Bluesky, no attached link.
    pub fn new(text: impl Into<String>) -> Self {
        Post {
            text: text.into(),
            author: String::new(),
            lang: None,
            network: Network::Bluesky,
            links: Vec::new(),
        }
    }
}
