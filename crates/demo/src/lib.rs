//! The demo network: channels that publish nowhere, and the story `tutti demo` tells.
//!
//! A demo channel is an ordinary channel (Bluesky or Mastodon, so that every limit and every
//! page treats it as such) whose service is `demo:<story>:<anchor>` instead of an address:
//! [`demo_channels`], registered for that prefix (`tutti_networks`), is the network kind such
//! channels are reached through, so a [`DemoConnector`] is opened for them instead of a
//! network client, and no caller tells them apart. The connector answers every call of the `Connector` trait
//! deterministically and without any network: a post is "published" under an id made from its
//! idempotency key, engagement and profile counts are computed from the post's id, likes,
//! hides, mutes, blocks and reports are accepted, and the notifications are the story's
//! messages whose time has come, so that the inbox fills through the real ingestion path and
//! keeps filling while `tutti serve` runs.
//!
//! Every time of the story is an offset from the *anchor*, the morning of the day the demo was
//! first loaded (its office hours start, in UTC), written in the channel's service: loading the demo again, or
//! restarting the server, tells the same story at the same times.

use std::fmt::Write as _;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tutti_connector::{
    AccountProfile, ChannelAccess, Connector, ConnectorError, Engagement, Limits, Mention, Network,
    NetworkKind, Notification, NotificationKind, Outbound, OutgoingPost, PostRef, ProfileCounts, Published,
    ReportReason, ReportSubject,
};

mod stories;

pub use stories::{story, STORIES};

/// The prefix of a demo channel's service.
pub const SERVICE_PREFIX: &str = "demo:";

/// An hour, in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

/// The most notifications returned by one call, as a network pages them.
pub const PAGE: usize = 50;

/// Whether a channel's service names the demo network.
pub fn is_demo(service: &str) -> bool {
    service.starts_with(SERVICE_PREFIX)
}

/// The kind of a demo channel of `network` (registered for [`SERVICE_PREFIX`]): the network's
/// limits, keys and mentions, every account known, a [`DemoConnector`] that needs no
/// credentials, and no bell (its channels are read on every pass).
pub fn demo_channels(network: Arc<dyn NetworkKind>) -> Arc<dyn NetworkKind> {
    Arc::new(DemoChannels { network })
}

/// See [`demo_channels`].
struct DemoChannels {
    network: Arc<dyn NetworkKind>,
}

#[async_trait]
impl NetworkKind for DemoChannels {
    fn network(&self) -> Network {
        self.network.network()
    }

    fn limits(&self) -> Limits {
        self.network.limits()
    }

    fn new_idempotency_key(&self) -> String {
        self.network.new_idempotency_key()
    }

    fn mentions(&self, text: &str, service: &str) -> Vec<Mention> {
        self.network.mentions(text, service)
    }

    async fn resolve_account(
        &self,
        _outbound: &Outbound,
        _service: &str,
        account: &str,
    ) -> Result<Option<String>, ConnectorError> {
        // The demo network knows every account it is asked about.
        Ok(Some(format!("demo:{account}")))
    }

    fn is_own_post(&self, account_id: &str, post: &str) -> Option<bool> {
        self.network.is_own_post(account_id, post)
    }

    fn open(&self, channel: &ChannelAccess<'_>, _outbound: &Outbound) -> Result<Arc<dyn Connector>, String> {
        let demo = DemoConnector::open(channel.service, channel.handle)
            .ok_or_else(|| format!("{} is not a channel of the demo", channel.handle))?;
        Ok(Arc::new(demo))
    }
}

/// The service of a demo channel telling `story` from `anchor` (ms).
pub fn service(story: &str, anchor: i64) -> String {
    format!("{SERVICE_PREFIX}{story}:{anchor}")
}

/// The story and the anchor a demo channel's service names.
pub fn parse_service(service: &str) -> Option<(&str, i64)> {
    let rest = service.strip_prefix(SERVICE_PREFIX)?;
    let (story, anchor) = rest.split_once(':')?;
    Some((story, anchor.parse().ok()?))
}

/// The anchor of a story loaded at `now`: the morning of that day (UTC), at `morning_utc`
/// o'clock, so that its posts go out at office hours of its time zone whenever it is loaded.
pub fn anchor(now: i64, morning_utc: i64) -> i64 {
    now.div_euclid(24 * HOUR_MS) * 24 * HOUR_MS + morning_utc * HOUR_MS
}

/// What the demo network answers to a post it refuses: its words, or `None` when it takes it.
/// It refuses a post whose link points to a reserved `.invalid` address (its link card cannot
/// be built), which is how the story's failed post fails.
pub fn refusal(text: &str) -> Option<String> {
    let host = text.split_whitespace().filter_map(|w| w.split_once("://")).find_map(|(_, rest)| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        host.ends_with(".invalid").then(|| host.to_owned())
    })?;
    Some(format!(
        "Invalid link: the card of {host} could not be fetched (the address does not answer). \
         The post was not published."
    ))
}

/// The id a demo channel's post gets on the demo network, from its idempotency key.
pub fn post_id(network: Network, account_id: &str, key: &str) -> String {
    match network {
        Network::Bluesky => format!("at://{account_id}/app.bsky.feed.post/{key}"),
        Network::Mastodon => format!("demo-{key}"),
    }
}

/// A link to a demo post; `.example` addresses are reserved and lead nowhere.
pub fn post_url(network: Network, handle: &str, key: &str) -> String {
    match network {
        Network::Bluesky => format!("https://bsky.example/profile/{handle}/post/{key}"),
        Network::Mastodon => {
            let user = handle.trim_start_matches('@').split('@').next().unwrap_or_default();
            format!("https://mastodon.example/@{user}/{key}")
        }
    }
}

/// A stable 64-bit hash (FNV-1a): the story's numbers never depend on the platform or a run.
pub fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The engagement the demo network reports for a post: the same numbers for the same post.
pub fn engagement_of(post_id: &str) -> Engagement {
    let h = hash(post_id);
    Engagement {
        likes: 4 + h % 140,
        reposts: (h >> 8) % 31,
        replies: (h >> 16) % 17,
        quotes: Some((h >> 24) % 6),
    }
}

/// A channel of a story: which network, which handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoryChannel {
    /// Its network.
    pub network: Network,
    /// Its handle.
    pub handle: &'static str,
    /// Its id on the network (a DID on Bluesky).
    pub account_id: &'static str,
    /// Its followers on the anchor's day.
    pub followers: u64,
}

/// A post of the brand, published before the anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoryPost {
    /// Its key, unique in the story (the post's idempotency key is `demo-<story>-<key>`).
    pub key: &'static str,
    /// Which of the story's channels.
    pub channel: usize,
    /// When, in hours from the anchor (negative: before it).
    pub hours: i64,
    /// Its text; `{link}` stands for its short link.
    pub text: &'static str,
    /// The address its short link leads to, and how many times it was followed.
    pub link: Option<(&'static str, i64)>,
}

/// A post written for later, or waiting for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoryDraft {
    /// Which of the story's channels.
    pub channel: usize,
    /// When it is due, in hours from the anchor.
    pub hours: i64,
    /// Its text.
    pub text: &'static str,
}

/// Someone who writes to the brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Persona {
    /// Their name.
    pub name: &'static str,
    /// Their handle on the channel's network.
    pub handle: &'static str,
    /// Which of the story's channels they write to.
    pub channel: usize,
    /// How old their account is, in days.
    pub since_days: i64,
}

impl Persona {
    /// Their stable id on the network (a DID on Bluesky, an account id on Mastodon).
    pub fn author_id(&self, network: Network) -> String {
        match network {
            Network::Bluesky => format!("did:plc:demo{:016x}", hash(self.handle)),
            Network::Mastodon => format!("{}", 109_000_000_000 + hash(self.handle) % 1_000_000_000),
        }
    }
}

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// An answer to a brand post (or to their own earlier message).
    Reply,
    /// A post that names the brand.
    Mention,
    /// A quote of a brand post.
    Quote,
    /// A like of a brand post.
    Like,
    /// A repost of a brand post.
    Repost,
    /// A new follower.
    Follow,
    /// A private message.
    Direct,
}

/// Something a persona does, at a time of the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    /// Who.
    pub persona: usize,
    /// What.
    pub kind: MessageKind,
    /// When, in hours from the anchor (positive: it arrives while the demo runs).
    pub hours: i64,
    /// Their words (empty for a like, a repost, a follow).
    pub text: &'static str,
    /// The brand post concerned (its key).
    pub on: Option<&'static str>,
    /// Their earlier message this one answers (its index in the story's messages).
    pub after: Option<usize>,
}

/// A moderation rule of the story, in the words of the rule form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoryRule {
    /// Its name.
    pub name: &'static str,
    /// Words or phrases.
    pub words: &'static str,
    /// Toxicity threshold.
    pub toxicity: &'static str,
    /// Domains.
    pub domains: &'static str,
    /// Kinds.
    pub kinds: &'static str,
    /// Actions.
    pub actions: &'static str,
}

/// What the team did about a persona: their tags and a note on them, and their conversation's
/// assignee (an e-mail), status and internal note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handling {
    /// Who.
    pub persona: usize,
    /// Tags, comma-separated.
    pub tags: &'static str,
    /// A note on the person (empty: none).
    pub note: &'static str,
    /// Who handles their conversation (empty: no one yet).
    pub assignee: &'static str,
    /// `open`, `pending` or `closed`.
    pub status: &'static str,
    /// An internal note on their conversation (empty: none).
    pub conversation_note: &'static str,
}

/// The listening side of a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listening {
    /// Queries: name, query, kind (`brand`, `competitor`).
    pub queries: &'static [(&'static str, &'static str, &'static str)],
    /// What people write about the brand and its competitors, day after day.
    pub chatter: &'static [&'static str],
    /// What they write during the spike (the last day).
    pub spike: &'static [&'static str],
    /// Authors (Mastodon accounts).
    pub authors: &'static [&'static str],
    /// The keyword alert on the first query.
    pub alert_keyword: &'static str,
}

/// The whole story of one demo workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Story {
    /// Its name: `fr`, `en`.
    pub name: &'static str,
    /// The language of its posts.
    pub lang: &'static str,
    /// The hour (UTC) its days start at: its anchor's hour, the beginning of its office hours.
    pub morning_utc: i64,
    /// The workspace it fills (slug).
    pub workspace: &'static str,
    /// The SMM who writes the posts (e-mail).
    pub smm: &'static str,
    /// The contributor whose posts wait for review (e-mail).
    pub contributor: &'static str,
    /// The channels.
    pub channels: &'static [StoryChannel],
    /// The posts of the last month.
    pub published: &'static [StoryPost],
    /// The posts scheduled for the coming weeks.
    pub scheduled: &'static [StoryDraft],
    /// The posts waiting for review.
    pub review: &'static [StoryDraft],
    /// The post the network refuses.
    pub failing: StoryDraft,
    /// The people who write.
    pub personas: &'static [Persona],
    /// What they write, in the order of the story (times need not be sorted).
    pub messages: &'static [Message],
    /// The moderation rules.
    pub rules: &'static [StoryRule],
    /// What the team did.
    pub handling: &'static [Handling],
    /// Listening.
    pub listening: Listening,
    /// The editorial charter, in the text forms of the charter page.
    pub charter: StoryCharter,
}

/// A story's editorial charter: tone, banned words, hashtags, pillars, vocabulary (one item a
/// line, as the charter's text forms take them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoryCharter {
    /// The tone of voice.
    pub tone: &'static str,
    /// Banned words and phrases.
    pub banned: &'static str,
    /// Required hashtags (`*: #a` for every channel).
    pub hashtags: &'static str,
    /// Content pillars (`Name: keyword, keyword = 30%`).
    pub pillars: &'static str,
    /// Words the spelling check accepts.
    pub vocabulary: &'static str,
}

impl Story {
    /// The notification of message `i`, on its persona's channel, at its time from `anchor`.
    pub fn notification(&self, i: usize, anchor: i64) -> Notification {
        let m = &self.messages[i];
        let persona = &self.personas[m.persona];
        let channel = &self.channels[persona.channel];
        let network = channel.network;
        let author_id = persona.author_id(network);
        let own = |j: usize| match network {
            Network::Bluesky => {
                let who = self.personas[self.messages[j].persona].author_id(network);
                PostRef { id: format!("at://{who}/app.bsky.feed.post/demo{}{j:03}", self.name), cid: None }
            }
            Network::Mastodon => PostRef::id(format!("demo-{}-status-{j:03}", self.name)),
        };
        let brand = |key: &str| {
            PostRef::id(post_id(network, channel.account_id, &format!("demo-{}-{key}", self.name)))
        };
        let on = m.on.map(brand);
        let parent = m.after.map(own).or_else(|| on.clone());
        let at = anchor + m.hours * HOUR_MS + (hash(m.text) % 50) as i64 * 60_000;
        let (kind, post, text, reply_parent, reply_root, subject) = match m.kind {
            MessageKind::Reply => (
                NotificationKind::Reply,
                Some(own(i)),
                Some(m.text),
                parent,
                on.clone().filter(|_| network == Network::Bluesky),
                None,
            ),
            MessageKind::Mention => {
                (NotificationKind::Mention, Some(own(i)), Some(m.text), m.after.map(own), None, None)
            }
            MessageKind::Direct => {
                (NotificationKind::Direct, Some(own(i)), Some(m.text), m.after.map(own), None, None)
            }
            MessageKind::Quote => {
                (NotificationKind::Quote, Some(own(i)), Some(m.text), None, None, on.clone())
            }
            MessageKind::Like => (NotificationKind::Like, on.clone(), None, None, None, on.clone()),
            MessageKind::Repost => (NotificationKind::Repost, on.clone(), None, None, None, on.clone()),
            MessageKind::Follow => (NotificationKind::Follow, None, None, None, None, None),
        };
        Notification {
            id: format!("demo-{}-n{i:03}", self.name),
            kind,
            author_handle: persona.handle.to_owned(),
            author_id,
            author_name: Some(persona.name.to_owned()),
            author_since: DateTime::from_timestamp_millis(anchor - persona.since_days * 24 * HOUR_MS),
            post,
            text: text.map(str::to_owned),
            lang: text.map(|_| self.lang.to_owned()),
            reply_parent,
            reply_root,
            subject,
            at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
        }
    }

    /// The notifications of channel `channel` in the order the network delivers them (by time).
    pub fn notifications_of(&self, channel: usize, anchor: i64) -> Vec<Notification> {
        let mut all: Vec<Notification> = (0..self.messages.len())
            .filter(|&i| self.personas[self.messages[i].persona].channel == channel)
            .map(|i| self.notification(i, anchor))
            .collect();
        all.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
        all
    }
}

/// The connector of a demo channel.
#[derive(Debug, Clone)]
pub struct DemoConnector {
    story: &'static Story,
    channel: usize,
    anchor: i64,
    clock: fn() -> i64,
}

fn system_now() -> i64 {
    Utc::now().timestamp_millis()
}

impl DemoConnector {
    /// The connector of the channel `handle` whose service is `service`; `None` when the service
    /// is not the demo network's, or names a story or a channel the demo does not have.
    pub fn open(service: &str, handle: &str) -> Option<DemoConnector> {
        let (name, anchor) = parse_service(service)?;
        let story = story(name)?;
        let channel = story.channels.iter().position(|c| c.handle == handle)?;
        Some(DemoConnector { story, channel, anchor, clock: system_now })
    }

    /// The same connector, reading the time from `clock` (ms).
    pub fn with_clock(mut self, clock: fn() -> i64) -> DemoConnector {
        self.clock = clock;
        self
    }

    fn channel(&self) -> &StoryChannel {
        &self.story.channels[self.channel]
    }

    fn published(&self, key: &str) -> Published {
        let c = self.channel();
        Published {
            post: PostRef { id: post_id(c.network, c.account_id, key), cid: None },
            url: post_url(c.network, c.handle, key),
        }
    }
}

#[async_trait]
impl Connector for DemoConnector {
    fn network(&self) -> Network {
        self.channel().network
    }

    async fn verify(&self) -> Result<AccountProfile, ConnectorError> {
        Ok(AccountProfile {
            handle: self.channel().handle.to_owned(),
            display_name: None,
            account_id: self.channel().account_id.to_owned(),
        })
    }

    async fn publish(&self, post: &OutgoingPost, key: &str) -> Result<Published, ConnectorError> {
        match refusal(&post.text) {
            Some(words) => Err(ConnectorError::Permanent(words)),
            None => Ok(self.published(key)),
        }
    }

    async fn reconcile(
        &self,
        post: &OutgoingPost,
        key: &str,
        _first_sent: DateTime<Utc>,
    ) -> Result<Option<Published>, ConnectorError> {
        // The demo network takes every post it does not refuse at once: an earlier attempt
        // with this key published it.
        Ok(refusal(&post.text).is_none().then(|| self.published(key)))
    }

    async fn delete(&self, _post: &PostRef) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn like(&self, post: &PostRef) -> Result<PostRef, ConnectorError> {
        Ok(PostRef::id(format!("{}#like", post.id)))
    }

    async fn repost(&self, post: &PostRef) -> Result<PostRef, ConnectorError> {
        Ok(PostRef::id(format!("{}#repost", post.id)))
    }

    async fn engagement(&self, post: &PostRef) -> Result<Engagement, ConnectorError> {
        Ok(engagement_of(&post.id))
    }

    async fn profile_counts(&self) -> Result<ProfileCounts, ConnectorError> {
        let c = self.channel();
        let days = u64::try_from(((self.clock)() - self.anchor).max(0) / (24 * HOUR_MS)).unwrap_or(0);
        Ok(ProfileCounts {
            followers: c.followers + days * 7,
            following: 180 + hash(c.handle) % 300,
            posts: self.story.published.iter().filter(|p| p.channel == self.channel).count() as u64 + 312,
        })
    }

    async fn notifications(
        &self,
        since: Option<&str>,
    ) -> Result<(Vec<Notification>, Option<String>), ConnectorError> {
        let now = (self.clock)();
        let read: usize = since.and_then(|s| s.parse().ok()).unwrap_or(0);
        let due: Vec<Notification> = self
            .story
            .notifications_of(self.channel, self.anchor)
            .into_iter()
            .skip(read)
            .take_while(|n| n.at.timestamp_millis() <= now)
            .take(PAGE)
            .collect();
        let cursor = match (read + due.len(), since) {
            (0, None) => None,
            (n, _) => Some(n.to_string()),
        };
        Ok((due, cursor))
    }

    async fn hide_reply(&self, _root: &PostRef, _reply: &PostRef) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn unhide_reply(&self, _root: &PostRef, _reply: &PostRef) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn mute(&self, _author_id: &str) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn unmute(&self, _author_id: &str) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn block(&self, author_id: &str) -> Result<PostRef, ConnectorError> {
        Ok(PostRef::id(match self.network() {
            Network::Bluesky => {
                format!("at://{}/app.bsky.graph.block/demo{:x}", self.channel().account_id, hash(author_id))
            }
            Network::Mastodon => author_id.to_owned(),
        }))
    }

    async fn unblock(&self, _author_id: &str) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn report(
        &self,
        subject: &ReportSubject,
        reason: ReportReason,
        _comment: &str,
    ) -> Result<String, ConnectorError> {
        let mut id = String::from("demo-report-");
        let about = match subject {
            ReportSubject::Account(a) => a.clone(),
            ReportSubject::Post { post, .. } => post.id.clone(),
        };
        let _ = write!(id, "{:x}", hash(&format!("{about}{reason:?}")));
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_demo_service_names_its_story_and_anchor() {
        let s = service("fr", 1_800_000_000_000);
        assert!(is_demo(&s));
        assert_eq!(parse_service(&s), Some(("fr", 1_800_000_000_000)));
        assert!(!is_demo("https://bsky.social"));
        assert_eq!(parse_service("demo:fr"), None);
        assert_eq!(anchor(1_800_000_123_456, 7), 1_799_971_200_000 + 7 * HOUR_MS);
    }

    #[test]
    fn the_demo_network_refuses_only_links_that_lead_nowhere() {
        assert!(refusal("Nouveautés sur https://maison-lumiere.example/aube").is_none());
        let words = refusal("Soldes : https://boutique.maison-lumiere.invalid/soldes !").unwrap();
        assert!(words.contains("boutique.maison-lumiere.invalid"), "{words}");
    }

    #[test]
    fn every_story_is_consistent() {
        for story in STORIES {
            assert_eq!(crate::story(story.name).map(|s| s.name), Some(story.name));
            assert!(refusal(story.failing.text).is_some(), "{}: the failing post fails", story.name);
            for p in story.published {
                assert!(p.channel < story.channels.len() && p.hours < 0, "{}", p.key);
                assert!(refusal(p.text).is_none(), "{}", p.key);
                assert_eq!(p.text.contains("{link}"), p.link.is_some(), "{}", p.key);
            }
            for d in story.scheduled {
                assert!(d.hours > 0 && d.channel < story.channels.len());
            }
            for (i, m) in story.messages.iter().enumerate() {
                let persona = &story.personas[m.persona];
                if let Some(key) = m.on {
                    let post = story.published.iter().find(|p| p.key == key);
                    assert!(
                        post.is_some_and(|p| p.channel == persona.channel),
                        "{}: message {i}",
                        story.name
                    );
                }
                if let Some(j) = m.after {
                    assert!(j < i && story.messages[j].persona == m.persona, "{}: message {i}", story.name);
                }
                let needs_text =
                    !matches!(m.kind, MessageKind::Like | MessageKind::Repost | MessageKind::Follow);
                assert_eq!(!m.text.is_empty(), needs_text, "{}: message {i}", story.name);
            }
            for h in story.handling {
                assert!(h.persona < story.personas.len());
            }
        }
    }

    #[tokio::test]
    async fn notifications_come_when_their_time_has_come_each_once() {
        fn late() -> i64 {
            i64::MAX / 2
        }
        let story = &STORIES[0];
        let anchor = anchor(system_now(), story.morning_utc);
        let c = &story.channels[0];
        let now = DemoConnector::open(&service(story.name, anchor), c.handle).unwrap();
        let mut cursor = None;
        let mut seen = Vec::new();
        loop {
            let (page, next) = now.notifications(cursor.as_deref()).await.unwrap();
            if page.is_empty() {
                assert_eq!(next, cursor);
                break;
            }
            seen.extend(page.into_iter().map(|n| n.id));
            cursor = next;
        }
        let all = story.notifications_of(0, anchor);
        assert!(seen.len() < all.len(), "some arrive later, while the demo runs");
        let later = DemoConnector::open(&service(story.name, anchor), c.handle).unwrap().with_clock(late);
        let (rest, _) = later.notifications(cursor.as_deref()).await.unwrap();
        seen.extend(rest.into_iter().map(|n| n.id));
        let mut ids: Vec<_> = all.iter().map(|n| n.id.clone()).collect();
        assert_eq!(seen, ids, "every message, in time order");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "ids are unique");
    }

    #[tokio::test]
    async fn publishing_is_idempotent_and_engagement_stable() {
        let story = &STORIES[1];
        let c = &story.channels[1];
        let demo = DemoConnector::open(&service(story.name, 0), c.handle).unwrap();
        let post = OutgoingPost::new("Fresh roast today");
        let a = demo.publish(&post, "k1").await.unwrap();
        assert_eq!(demo.publish(&post, "k1").await.unwrap(), a);
        assert_eq!(demo.reconcile(&post, "k1", Utc::now()).await.unwrap(), Some(a.clone()));
        assert_eq!(demo.engagement(&a.post).await.unwrap(), demo.engagement(&a.post).await.unwrap());
        let refused = demo.publish(&OutgoingPost::new(story.failing.text), "k2").await.unwrap_err();
        assert!(matches!(refused, ConnectorError::Permanent(_)));
    }
}
