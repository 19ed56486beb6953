//! The product's words as types: networks, statuses, kinds and labels that the database stores
//! as lowercase text and every other crate compares.
//!
//! Each word is an enum with the stable text it is stored under (`as_str`), a parser that
//! names the refused value (`FromStr`, `TryFrom<String>`), `Display`, and serde under the same
//! text, so a value written by an earlier version reads back unchanged. The store turns a
//! column into its word when it reads a row and binds `as_str()` when it writes one; a value
//! it does not know is an error naming the column and the value, never a panic.

use std::fmt;
use std::str::FromStr;

use crate::input::clip;

/// A text that is none of a word's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}: expected one of {expected}")]
pub struct UnknownWord {
    /// What was being read (`network`, `post status`…).
    pub what: &'static str,
    /// The refused text, clipped.
    pub value: String,
    /// The values the word has, comma-separated.
    pub expected: String,
}

impl UnknownWord {
    fn new(what: &'static str, value: &str, all: &[&'static str]) -> Self {
        UnknownWord { what, value: clip(value, 40), expected: all.join(", ") }
    }

    /// The same refusal as an input error naming `field` (for forms, the API and the CLI).
    pub fn for_field(&self, field: &'static str) -> crate::InputError {
        crate::InputError::new(field, "value_unknown", self.to_string())
    }
}

macro_rules! words {
    ($(
        $(#[$meta:meta])*
        $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    )+) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in the order the product lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable lowercase text stored in the database and used in URLs and the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;

            fn from_str(value: &str) -> Result<Self, UnknownWord> {
                match value {
                    $( $text => Ok($name::$variant), )+
                    _ => Err(UnknownWord::new($what, value, &[$($text),+])),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownWord;

            fn try_from(value: String) -> Result<Self, UnknownWord> {
                value.parse()
            }
        }

        impl TryFrom<&str> for $name {
            type Error = UnknownWord;

            fn try_from(value: &str) -> Result<Self, UnknownWord> {
                value.parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// A word equals the text it is stored under (what tests and templates compare with).
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, text: &&str) -> bool {
                self.as_str() == *text
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, text: &str) -> bool {
                self.as_str() == text
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )+};
}

words! {
    /// A social network Tutti publishes to and reads from (`channels.network`,
    /// `inbox_items.network`, `person_identities.network`).
    Network ("network") {
        /// Bluesky, over the AT Protocol.
        Bluesky = "bluesky",
        /// Mastodon and compatible servers.
        Mastodon = "mastodon",
    }

    /// Whose voice a channel is (`channels.voice`).
    ChannelVoice ("channel voice") {
        /// The brand's own account.
        Brand = "brand",
        /// A member's own account; only that member publishes through it.
        Ambassador = "ambassador",
    }

    /// Whether a channel's credentials still work (`channels.status`).
    ChannelStatus ("channel status") {
        /// The network accepts them.
        Ok = "ok",
        /// The network refused them: someone must connect the account again.
        NeedsReconnect = "needs_reconnect",
    }

    /// Where a post is in its life (`posts.status`); the publisher's queue is the posts that
    /// are `scheduled` (or `publishing` with a lapsed lease).
    PostStatus ("post status") {
        /// Being written; not due.
        Draft = "draft",
        /// Waiting for a reviewer.
        InReview = "in_review",
        /// Approved, not yet scheduled.
        Approved = "approved",
        /// Due at its time (or as soon as possible).
        Scheduled = "scheduled",
        /// Claimed by a worker under a lease.
        Publishing = "publishing",
        /// On the network.
        Published = "published",
        /// Given up; the network's words are in `posts.error`.
        Failed = "failed",
    }

    /// Where a conversation of the inbox is (`conversations.status`).
    ConversationStatus ("conversation status") {
        /// Waiting for the team.
        Open = "open",
        /// Waiting for the person (or for a reply to go out).
        Pending = "pending",
        /// Done.
        Closed = "closed",
    }

    /// What an item of the inbox is (`inbox_items.kind`, `conversations.kind`).
    ItemKind ("item kind") {
        /// An answer to a post.
        Reply = "reply",
        /// A post that names the account.
        Mention = "mention",
        /// A post that quotes one of the account's.
        Quote = "quote",
        /// A direct message.
        Dm = "dm",
        /// A repost of one of the account's posts.
        Repost = "repost",
        /// A like of one of the account's posts.
        Like = "like",
        /// A new follower.
        Follow = "follow",
        /// The brand's own reply, sent from the inbox.
        Sent = "sent",
    }

    /// The polarity of a text (`inbox_items.sentiment`, `conversations.sentiment`,
    /// `mentions.sentiment`).
    Sentiment ("sentiment") {
        /// Positive.
        Pos = "pos",
        /// Neutral.
        Neu = "neu",
        /// Negative.
        Neg = "neg",
    }

    /// Where an action on an inbox item is (`inbox_actions.status`): a like, a repost, a
    /// moderation action.
    ActionStatus ("action status") {
        /// Waiting for the worker to run it on the network.
        Pending = "pending",
        /// Done (on the network, or here for a local action).
        Done = "done",
        /// The network refused it; its words are in `inbox_actions.error`.
        Failed = "failed",
        /// Being undone by the worker.
        Undoing = "undoing",
        /// Undone.
        Undone = "undone",
    }

    /// What a moderation rule does to an item it hits (`kind` of each action in
    /// `moderation_rules.actions`).
    RuleActionKind ("rule action") {
        /// Tags the conversation.
        Tag = "tag",
        /// Assigns the conversation to a member.
        Assign = "assign",
        /// Sets the conversation's priority.
        Priority = "priority",
        /// Hides the reply on the network.
        Hide = "hide",
        /// Mutes the author.
        Mute = "mute",
        /// Blocks the author.
        Block = "block",
        /// Reports the post or the author.
        Report = "report",
        /// Answers with a saved reply.
        Reply = "reply",
    }

    /// A category of product feedback (`inbox_items.category`, empty when none).
    FeedbackCategory ("feedback category") {
        /// Something went wrong for them.
        Complaint = "complaint",
        /// A defect of the product.
        Bug = "bug",
        /// Something they wish for.
        Feature = "feature",
        /// A question.
        Question = "question",
        /// Praise.
        Praise = "praise",
    }

    /// What a listening query watches (`listening_queries.kind`, for share of voice).
    QueryKind ("query kind") {
        /// The brand itself.
        Brand = "brand",
        /// A competitor.
        Competitor = "competitor",
    }

    /// What an alert rule looks for (`alert_rules.kind`).
    AlertKind ("alert kind") {
        /// Volume and negative share against the learned baseline.
        Spike = "spike",
        /// Words in the listening query language.
        Keyword = "keyword",
    }

    /// How new conversations find their member (`inbox_assignment.mode`).
    AssignmentMode ("assignment rule") {
        /// Someone assigns them.
        Manual = "manual",
        /// Each new conversation goes to the next community manager in turn.
        RoundRobin = "round_robin",
    }
}

impl Network {
    /// The network's name as people write it (`Bluesky`, `Mastodon`): a proper name, never
    /// translated.
    pub fn name(self) -> &'static str {
        match self {
            Network::Bluesky => "Bluesky",
            Network::Mastodon => "Mastodon",
        }
    }
}

impl ItemKind {
    /// Whether the item asks for an answer (reply, mention, quote, direct message): the kinds
    /// that open a conversation, that moderation rules look at and that carry a sentiment.
    pub fn is_answerable(self) -> bool {
        matches!(self, ItemKind::Reply | ItemKind::Mention | ItemKind::Quote | ItemKind::Dm)
    }

    /// The kinds a network's notification can have (all but the brand's own `sent`).
    pub const INCOMING: [ItemKind; 7] = [
        ItemKind::Reply,
        ItemKind::Mention,
        ItemKind::Quote,
        ItemKind::Repost,
        ItemKind::Like,
        ItemKind::Follow,
        ItemKind::Dm,
    ];

    /// The kinds that answer: reply, mention, quote, direct message.
    pub const ANSWERABLE: [ItemKind; 4] = [ItemKind::Reply, ItemKind::Mention, ItemKind::Quote, ItemKind::Dm];
}

/// A notification of a kind Tutti does not know is taken for a mention: someone said
/// something the team may want to read.
impl Default for ItemKind {
    fn default() -> Self {
        ItemKind::Mention
    }
}

impl FeedbackCategory {
    /// Whether it is a grievance (a complaint or a bug): the report's recurring issues.
    pub fn is_grievance(self) -> bool {
        matches!(self, FeedbackCategory::Complaint | FeedbackCategory::Bug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T>(all: &[T])
    where
        T: Copy + fmt::Debug + PartialEq + fmt::Display + FromStr<Err = UnknownWord> + serde::Serialize,
        T: for<'de> serde::Deserialize<'de>,
    {
        for &w in all {
            let text = w.to_string();
            assert_eq!(text.parse::<T>().unwrap(), w);
            assert_eq!(serde_json::to_value(w).unwrap(), serde_json::Value::String(text.clone()));
            assert_eq!(serde_json::from_value::<T>(serde_json::Value::String(text)).unwrap(), w);
        }
    }

    #[test]
    fn every_word_reads_back_from_its_stored_text() {
        round_trips(Network::ALL);
        round_trips(ChannelVoice::ALL);
        round_trips(ChannelStatus::ALL);
        round_trips(PostStatus::ALL);
        round_trips(ConversationStatus::ALL);
        round_trips(ItemKind::ALL);
        round_trips(Sentiment::ALL);
        round_trips(ActionStatus::ALL);
        round_trips(RuleActionKind::ALL);
        round_trips(FeedbackCategory::ALL);
        round_trips(QueryKind::ALL);
        round_trips(AlertKind::ALL);
        round_trips(AssignmentMode::ALL);
    }

    #[test]
    fn the_stored_texts_are_the_ones_the_schema_holds() {
        assert_eq!(PostStatus::InReview.as_str(), "in_review");
        assert_eq!(ChannelStatus::NeedsReconnect.as_str(), "needs_reconnect");
        assert_eq!(AssignmentMode::RoundRobin.as_str(), "round_robin");
        assert_eq!(Network::Bluesky.as_str(), "bluesky");
        assert!(PostStatus::InReview == "in_review" && PostStatus::InReview != "in review");
        let answerable: Vec<_> = ItemKind::ALL.iter().filter(|k| k.is_answerable()).collect();
        assert_eq!(answerable, ItemKind::ANSWERABLE.iter().collect::<Vec<_>>());
        assert!(!ItemKind::INCOMING.contains(&ItemKind::Sent));
    }

    #[test]
    fn an_unknown_value_is_named_with_what_was_expected() {
        let e = "tumblr".parse::<Network>().unwrap_err();
        assert_eq!(e.what, "network");
        assert_eq!(e.value, "tumblr");
        assert_eq!(e.to_string(), "unknown network \"tumblr\": expected one of bluesky, mastodon");
        // Case and spaces are not forgiven: the stored text is exact.
        assert!("Open".parse::<ConversationStatus>().is_err());
        assert!(serde_json::from_str::<PostStatus>("\"sent\"")
            .unwrap_err()
            .to_string()
            .contains("post status"));
        let long = "x".repeat(500);
        assert!(long.parse::<Sentiment>().unwrap_err().value.chars().count() <= 41);
        let input = e.for_field("network");
        assert_eq!(input.field, "network");
        assert!(input.message.contains("tumblr"));
    }
}
