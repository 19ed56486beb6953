//! What Tutti knows of a network besides one account's connection, said once per network by
//! its connector crate: its limits, how a post is named before it is sent, which mentions a
//! text holds and whether their accounts exist, and how a channel's [`Connector`] is opened.
//!
//! Each network crate implements [`NetworkKind`]; [`Networks`] holds them, registered once
//! (`tutti_networks::registry`), and is what the use cases, the pages and the worker ask. A
//! channel whose service is not the network's own (the demo's `demo:…` channels) is reached
//! through a kind registered for its service prefix, wrapping its network's
//! ([`Networks::with_service_prefix`]), so that no caller tells such channels apart.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use unicode_segmentation::UnicodeSegmentation;

use crate::{Bell, Connector, ConnectorError, Network, Ringing};

/// How a network counts the length of a post's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// Grapheme clusters (what a reader sees as one character; Bluesky).
    Graphemes,
    /// Unicode scalar values (Mastodon).
    Chars,
}

/// A network's limits on a post, checked before anything is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest text, counted as [`Limits::counting`] says.
    pub text_max: usize,
    /// How the text is counted.
    pub counting: Counting,
    /// The most bytes of text, on networks that bound them too.
    pub text_max_bytes: Option<usize>,
    /// The most images a post carries.
    pub images_max: usize,
    /// The largest image Tutti sends, in bytes.
    pub image_max_bytes: usize,
    /// The longest description of an image (alt text), in characters.
    pub alt_max_chars: usize,
    /// The most languages a post declares.
    pub langs_max: usize,
}

/// What the analytics may read from a network: how many posts' counts one call answers, and
/// how many such calls a channel makes per five minutes, a share of the network's documented
/// limit that leaves room for publishing and the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadBudget {
    /// Posts per call of [`crate::Connector::engagements`]' underlying request.
    pub posts_per_call: usize,
    /// Calls per five minutes and channel.
    pub calls_per_5_min: u32,
}

impl Default for ReadBudget {
    fn default() -> Self {
        ReadBudget { posts_per_call: 1, calls_per_5_min: 60 }
    }
}

impl Limits {
    /// The length of `text` as the network counts it.
    pub fn count(&self, text: &str) -> usize {
        match self.counting {
            Counting::Graphemes => text.graphemes(true).count(),
            Counting::Chars => text.chars().count(),
        }
    }

    /// Whether `text` fits (its count and, where bounded, its bytes).
    pub fn fits(&self, text: &str) -> bool {
        self.count(text) <= self.text_max && self.text_max_bytes.is_none_or(|max| text.len() <= max)
    }
}

/// A mention in a post's text: where it starts (bytes) and the account it names, without
/// the `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// Its byte offset in the text.
    pub start: usize,
    /// The account, as the network will look it up.
    pub account: String,
}

/// What opening a channel's connector takes.
pub struct ChannelAccess<'a> {
    /// The channel's service: its PDS or instance URL (or `demo:…`).
    pub service: &'a str,
    /// Its handle.
    pub handle: &'a str,
    /// Opens its sealed credentials (an app password, an access token); a kind that needs
    /// none never calls it.
    pub secret: &'a (dyn Fn() -> Result<String, String> + Sync),
}

impl fmt::Debug for ChannelAccess<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelAccess").field("service", &self.service).field("handle", &self.handle).finish()
    }
}

/// One network, as its connector crate describes it.
#[async_trait]
pub trait NetworkKind: Send + Sync {
    /// The network, as the product's words name it ([`Network`]: its stored name and the name
    /// people read).
    fn network(&self) -> Network;

    /// The stable lowercase name stored with channels (`bluesky`, `mastodon`).
    fn name(&self) -> &'static str {
        self.network().as_str()
    }

    /// Its limits on a post.
    fn limits(&self) -> Limits;

    /// What the analytics may read from it per channel.
    fn read_budget(&self) -> ReadBudget {
        ReadBudget::default()
    }

    /// A new idempotency key for a post, chosen and stored before any call (a record key on
    /// Bluesky, an `Idempotency-Key` on Mastodon): what [`Connector::publish`] takes.
    fn new_idempotency_key(&self) -> String;

    /// The mentions of `text` that a channel at `service` would send as mentions, and that can
    /// be checked ([`NetworkKind::resolve_account`]), in order.
    fn mentions(&self, text: &str, service: &str) -> Vec<Mention>;

    /// The stable id (a DID, an account id) of `account` as the network at `service` knows it;
    /// `None` when it says there is no such account. Answers are bounded and short: this is
    /// asked while a person waits.
    async fn resolve_account(
        &self,
        outbound: &tutti_addresses::Outbound,
        service: &str,
        account: &str,
    ) -> Result<Option<String>, ConnectorError>;

    /// Whether `account` exists: `Some(false)` when the network says it does not, `None` when
    /// it could not be asked.
    async fn mention_exists(
        &self,
        outbound: &tutti_addresses::Outbound,
        service: &str,
        account: &str,
    ) -> Option<bool> {
        match self.resolve_account(outbound, service, account).await {
            Ok(found) => Some(found.is_some()),
            Err(e) => {
                tracing::warn!(network = self.name(), error = %e, "cannot check a mention; accepting it");
                None
            }
        }
    }

    /// Whether `post` (a post's id on the network) is one of the account's own posts, when the
    /// id says so (a Bluesky `at://` URI names its repository); `None` when it does not, and
    /// the network will refuse what the account may not do.
    fn is_own_post(&self, account_id: &str, post: &str) -> Option<bool> {
        let _ = (account_id, post);
        None
    }

    /// Opens the connector of a channel; the error says why it cannot be.
    fn open(
        &self,
        channel: &ChannelAccess<'_>,
        outbound: &tutti_addresses::Outbound,
    ) -> Result<Arc<dyn Connector>, String>;

    /// Whether the network rings when an account has news (Mastodon's notification stream),
    /// so that its channels are read on the bell ([`NetworkKind::bell`]) rather than polled
    /// every second.
    fn rings(&self) -> bool {
        false
    }

    /// The task that rings `bell` whenever the channel's account has news, for a kind that
    /// [rings](NetworkKind::rings): it keeps [`Bell::connected`] true while it listens, rings
    /// on every (re)connection, and runs until dropped. The error says why it cannot listen.
    fn bell(
        &self,
        channel: &ChannelAccess<'_>,
        outbound: &tutti_addresses::Outbound,
        bell: Arc<Bell>,
    ) -> Result<Ringing, String> {
        let _ = (channel, outbound, bell);
        Err(format!("{} has no notification bell", self.name()))
    }
}

/// Builds the kind of the channels of a service prefix from their network's kind.
pub type ServiceKind = fn(Arc<dyn NetworkKind>) -> Arc<dyn NetworkKind>;

/// The networks Tutti talks to, each registered once.
#[derive(Clone, Default)]
pub struct Networks {
    kinds: Vec<Arc<dyn NetworkKind>>,
    services: Vec<(&'static str, ServiceKind)>,
}

impl fmt::Debug for Networks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Networks")
            .field("kinds", &self.names().collect::<Vec<_>>())
            .field("services", &self.services.iter().map(|(p, _)| p).collect::<Vec<_>>())
            .finish()
    }
}

impl Networks {
    /// No network.
    pub fn new() -> Networks {
        Networks::default()
    }

    /// These networks and `kind` (replacing one of the same name).
    pub fn with(mut self, kind: impl NetworkKind + 'static) -> Networks {
        self.kinds.retain(|k| k.name() != kind.name());
        self.kinds.push(Arc::new(kind));
        self
    }

    /// These networks, where the channels whose service starts with `prefix` are reached
    /// through `kind` of their network's kind.
    pub fn with_service_prefix(mut self, prefix: &'static str, kind: ServiceKind) -> Networks {
        self.services.push((prefix, kind));
        self
    }

    /// The names of the networks, in the order they were registered.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.iter().map(|k| k.name())
    }

    /// The network named `network`.
    pub fn get(&self, network: impl AsRef<str>) -> Option<Arc<dyn NetworkKind>> {
        let network = network.as_ref();
        self.kinds.iter().find(|k| k.name() == network).cloned()
    }

    /// The kind a channel of `network` at `service` is reached through.
    pub fn of_channel(&self, network: impl AsRef<str>, service: &str) -> Option<Arc<dyn NetworkKind>> {
        let kind = self.get(network)?;
        Some(match self.services.iter().find(|(prefix, _)| service.starts_with(prefix)) {
            Some((_, wrap)) => wrap(kind),
            None => kind,
        })
    }

    /// The limits of `network`, when it is registered.
    pub fn limits(&self, network: &str) -> Option<Limits> {
        self.get(network).map(|k| k.limits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        text_max: 3,
        counting: Counting::Graphemes,
        text_max_bytes: Some(20),
        images_max: 1,
        image_max_bytes: 10,
        alt_max_chars: 5,
        langs_max: 1,
    };

    struct Test(&'static str);

    #[async_trait]
    impl NetworkKind for Test {
        fn network(&self) -> Network {
            Network::Bluesky
        }
        fn name(&self) -> &'static str {
            self.0
        }
        fn limits(&self) -> Limits {
            LIMITS
        }
        fn new_idempotency_key(&self) -> String {
            format!("{}-key", self.0)
        }
        fn mentions(&self, _: &str, _: &str) -> Vec<Mention> {
            Vec::new()
        }
        async fn resolve_account(
            &self,
            _: &tutti_addresses::Outbound,
            _: &str,
            account: &str,
        ) -> Result<Option<String>, ConnectorError> {
            Ok((account == "known").then(|| format!("{}:{account}", self.0)))
        }
        fn open(
            &self,
            _: &ChannelAccess<'_>,
            _: &tutti_addresses::Outbound,
        ) -> Result<Arc<dyn Connector>, String> {
            Err(format!("{} opens nothing", self.0))
        }
    }

    #[test]
    fn limits_count_as_the_network_does() {
        let family = "👨\u{200D}👩\u{200D}👧";
        assert_eq!(LIMITS.count(&family.repeat(3)), 3);
        assert!(!LIMITS.fits(&family.repeat(3)), "3 families are 54 bytes");
        assert!(LIMITS.fits("abc") && !LIMITS.fits("abcd"));
        assert_eq!(Limits { counting: Counting::Chars, ..LIMITS }.count(family), 5);
    }

    #[tokio::test]
    async fn channels_of_a_service_prefix_go_through_its_kind() {
        fn wrapped(_: Arc<dyn NetworkKind>) -> Arc<dyn NetworkKind> {
            Arc::new(Test("wrapped"))
        }
        let networks = Networks::new().with(Test("a")).with(Test("b")).with_service_prefix("demo:", wrapped);
        assert_eq!(networks.names().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(networks.of_channel("a", "https://a.example").unwrap().name(), "a");
        assert_eq!(networks.of_channel("a", "demo:fr:0").unwrap().name(), "wrapped");
        assert!(networks.of_channel("c", "https://c.example").is_none());
        assert_eq!(networks.get("b").unwrap().new_idempotency_key(), "b-key");
        let strict = tutti_addresses::Outbound::strict();
        let a = networks.get("a").unwrap();
        assert_eq!(a.mention_exists(&strict, "", "known").await, Some(true));
        assert_eq!(a.mention_exists(&strict, "", "nobody").await, Some(false));
    }
}
