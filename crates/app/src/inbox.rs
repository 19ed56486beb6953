//! The inbox (D1–D3): what the community says to the brand's accounts, as conversations.
//!
//! - Ingestion turns a network notification into a bounded, enriched item (language,
//!   sentiment, toxicity), linked to the person behind its author and grouped into its
//!   conversation. A conversation is one person's thread with the brand: the items of one
//!   author hanging on one root (the brand's post they answer or quote, their mention's
//!   thread, their direct messages), with the brand's replies to them. Two customers and a
//!   troll answering the same post are three conversations, each with its own status,
//!   assignee and SLA. The likes and reposts of one post stay together in one conversation
//!   (nothing to answer there); each follower is a conversation of their own.
//! - A reply answers one message, named in the reply box: by default the latest message of
//!   the conversation's person, or the one the community manager picks. It is stored with
//!   the post (`reply_ref`, the network post the publisher answers) and with the brand's item
//!   (`answers_item_id`).
//! - Community managers work conversations: status (open, pending, closed), assignment, tags,
//!   priority; they reply as the brand or as their own ambassador account, the voice named
//!   before sending. A reply is a post of the publisher's exactly-once queue answering the
//!   network post; a reply the network refuses stays in the conversation with its words.
//! - Two people never reply at once: opening the reply form takes the conversation for two
//!   minutes, and a reply is refused, before anything is sent, when someone else holds it or
//!   answered meanwhile.
//! - During a crisis (crisis mode on, or a conversation tagged `crisis`) a reply by anyone but
//!   an SMM or an admin goes to review: the SMM approves (or edits, then approves) before Tutti
//!   sends it.

use serde_json::json;
use tutti_domain::{Action, InputError};
use tutti_store::inbox::{self, Conversation, Filter, Item, NewItem};
use tutti_store::moderation::Candidate;
use tutti_store::publishing::{self, NewPost, Post};
use tutti_store::{alerts, Db, StoreError};

use crate::accounts::record;
use crate::{Actor, App, AppError};

/// How long opening the reply form keeps others from replying, ms.
pub const REPLY_HOLD_MS: i64 = 120_000;
/// The longest text kept from a network item.
pub const MAX_TEXT_CHARS: usize = 3_000;
/// The longest name or handle kept.
pub const MAX_NAME_CHARS: usize = 200;
/// The toxicity from which an item is flagged.
pub const TOXIC_AT: f64 = tutti_nlp::FLAG_THRESHOLD as f64;
/// The statuses of a conversation.
pub const STATUSES: [&str; 3] = ["open", "pending", "closed"];
/// The kinds of item.
pub const KINDS: [&str; 7] = ["reply", "mention", "quote", "repost", "like", "follow", "dm"];

/// Hostile text made safe to keep: control and invisible formatting characters (bidi
/// overrides, zero-width joiners used to hide words) removed, line breaks kept, length bounded.
pub fn clean_text(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|c| *c == '\n' || !(c.is_control() || is_invisible_format(*c)))
        .take(max_chars)
        .collect()
}

/// Bidi controls and zero-width characters (emoji sequences keep their joiner U+200D).
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{200C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A notification as read from a network, before it is stored.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    /// The network's id of the notification.
    pub remote_id: String,
    /// reply, mention, quote, repost, like, follow.
    pub kind: String,
    /// Who: a DID, a Mastodon account id.
    pub author_id: String,
    /// Their handle.
    pub author_handle: String,
    /// Their display name.
    pub author_name: String,
    /// When their account was created, ms, if the network says.
    pub author_since: Option<i64>,
    /// Their post's text.
    pub text: String,
    /// The language the network declares.
    pub lang: Option<String>,
    /// Their post, and its CID.
    pub post: Option<(String, Option<String>)>,
    /// The post it answers.
    pub parent: Option<String>,
    /// The thread's root.
    pub root: Option<String>,
    /// The brand's post a like, a repost or a quote is about.
    pub subject: Option<String>,
    /// When, ms.
    pub at: i64,
}

/// Turns a notification of a channel into the item to store: text cleaned and bounded,
/// enriched, its conversation chosen.
pub fn item_of(workspace_id: i64, channel_id: i64, network: &str, n: &Incoming) -> NewItem {
    let text = clean_text(&n.text, MAX_TEXT_CHARS);
    let e = tutti_nlp::analyse(&text);
    let sentiment = serde_json::to_value(e.sentiment.label)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "neu".into());
    let category = crate::feedback::suggest(&n.kind, &text, e.sentiment.label);
    let post_ref = n.post.as_ref().map(|(id, _)| id.clone());
    // The thread's root, else the post answered, else the brand's post concerned, else the
    // author's own post; a follow is one conversation per follower. Whose thread it is (the
    // author's, except for likes and reposts) completes the key: `inbox::thread_author`.
    let root_ref = n
        .root
        .clone()
        .or_else(|| n.parent.clone())
        .or_else(|| n.subject.clone())
        .or_else(|| post_ref.clone())
        .unwrap_or_else(|| format!("{}:{}", n.kind, n.author_id));
    NewItem {
        workspace_id,
        channel_id,
        network: network.to_owned(),
        remote_id: clean_text(&n.remote_id, 500),
        kind: if KINDS.contains(&n.kind.as_str()) { n.kind.clone() } else { "mention".into() },
        root_ref: clean_text(&root_ref, 500),
        author_id: clean_text(&n.author_id, 300),
        author_handle: clean_text(&n.author_handle, MAX_NAME_CHARS),
        author_name: clean_text(&n.author_name, MAX_NAME_CHARS).replace('\n', " "),
        author_since: n.author_since,
        lang: e
            .lang
            .map(|l| l.code().to_owned())
            .or_else(|| n.lang.clone())
            .map(|l| clean_text(&l, 12))
            .unwrap_or_default(),
        text,
        sentiment,
        toxicity: f64::from(e.toxicity.score),
        post_ref,
        post_cid: n.post.as_ref().and_then(|(_, cid)| cid.clone()),
        parent_ref: n.parent.clone(),
        subject_ref: n.subject.clone(),
        created_at: n.at,
        category,
    }
}

/// Stores a batch of a channel's notifications in one transaction; returns the conversations
/// that moved (each once). The workspace's moderation rules run on the new items in the same
/// transaction (see [`ingest_batch_items`]).
pub async fn ingest_batch(db: &mut Db, items: &[NewItem]) -> Result<Vec<i64>, StoreError> {
    Ok(ingest_batch_items(db, items).await?.0)
}

/// [`ingest_batch`], also returning the ids of the new items.
pub async fn ingest_batch_items(db: &mut Db, items: &[NewItem]) -> Result<(Vec<i64>, Vec<i64>), StoreError> {
    let stored = inbox::ingest_many(db, items).await?;
    let mut moved = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut candidates = Vec::with_capacity(stored.len());
    for done in &stored {
        if seen.insert(done.conversation_id) {
            moved.push(done.conversation_id);
        }
        let item = &items[done.index];
        candidates.push((
            item.workspace_id,
            Candidate {
                id: done.item_id,
                conversation_id: done.conversation_id,
                channel_id: item.channel_id,
                kind: item.kind.clone(),
                person_id: Some(done.person_id),
                author_id: item.author_id.clone(),
                author_handle: item.author_handle.clone(),
                text: item.text.clone(),
                lang: item.lang.clone(),
                toxicity: item.toxicity,
                post_ref: item.post_ref.clone(),
                created_at: item.created_at,
                author_since: item.author_since,
            },
        ));
    }
    crate::moderation::on_ingested(db, &candidates).await?;
    Ok((moved, stored.iter().map(|d| d.item_id).collect()))
}

/// The text of an answer to an item of `kind` from `handle`, and whether it goes out
/// privately: a direct message is answered privately, and a private post is only seen by the
/// accounts it mentions, so the answer is [`addressed`] to its author.
pub(crate) fn answer_text<'t>(kind: &str, handle: &str, text: &'t str) -> (std::borrow::Cow<'t, str>, bool) {
    if kind == "dm" {
        (addressed(text, handle).into(), true)
    } else {
        (text.into(), false)
    }
}

/// `text` addressed to `handle`: as it is when it mentions them (`@handle`, whole, whatever
/// the case), else with `@handle ` in front.
fn addressed(text: &str, handle: &str) -> String {
    let wanted = format!("@{}", handle.to_lowercase());
    let lower = text.to_lowercase();
    let mentioned = lower.match_indices(&wanted).any(|(at, m)| {
        !lower[at + m.len()..]
            .starts_with(|c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'))
    });
    if mentioned {
        text.to_owned()
    } else {
        format!("@{handle} {text}")
    }
}

/// The items of a conversation a reply can answer: its person's messages that have a post on
/// the network, oldest first.
pub fn answerable_items<'a>(c: &Conversation, items: &'a [Item]) -> Vec<&'a Item> {
    items
        .iter()
        .filter(|i| {
            inbox::ANSWERABLE.contains(&i.kind.as_str())
                && i.post_ref.is_some()
                && (c.author_id.is_empty() || i.author_id == c.author_id)
        })
        .collect()
}

/// The message a reply answers when the writer picks none: the latest message of the
/// conversation's person (never someone else's).
pub fn default_target<'a>(c: &Conversation, items: &'a [Item]) -> Option<&'a Item> {
    answerable_items(c, items).into_iter().next_back()
}

/// A reply to write from the inbox.
#[derive(Debug, Clone, Default)]
pub struct ReplyToWrite {
    /// The text.
    pub text: String,
    /// The item answered, one of the conversation's person's messages; their latest one when
    /// none.
    pub item_id: Option<i64>,
    /// Reply through the writer's own ambassador account on that network instead of the
    /// conversation's channel.
    pub as_ambassador: bool,
    /// How many items the writer saw: a reply from someone else since then refuses this one.
    pub seen_items: Option<i64>,
}

impl App {
    /// A page of the inbox, latest first.
    pub async fn inbox(
        &self,
        actor: &Actor,
        slug: &str,
        filter: &Filter,
        before: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<Conversation>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        let limit = limit.clamp(1, 200);
        Ok(inbox::list(&mut *self.store.conn().await?, access.workspace.id, filter, before, limit).await?)
    }

    /// A conversation and its items, oldest first, with the posts that carry the brand's
    /// replies (their status, and the network's words when one failed).
    pub async fn conversation(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
    ) -> Result<(Conversation, Vec<Item>, Vec<Post>), AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        let mut db = self.store.conn().await?;
        let c = conversation_in(&mut db, access.workspace.id, id).await?;
        let items = inbox::items_of(&mut db, id).await?;
        let mut posts = Vec::new();
        for post_id in items.iter().filter_map(|i| i.post_id) {
            posts.push(publishing::post_by_id(&mut db, post_id).await?);
        }
        Ok((c, items, posts))
    }

    /// The brand's post a conversation answers, shown above it as its context: the post of the
    /// workspace at its root, else the one its person's first message answers, when Tutti
    /// published it.
    pub async fn conversation_context(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
    ) -> Result<Option<Post>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        let mut db = self.store.conn().await?;
        let c = conversation_in(&mut db, access.workspace.id, id).await?;
        let items = inbox::items_of(&mut db, id).await?;
        let mut refs = vec![c.root_ref.as_str()];
        refs.extend(
            items
                .iter()
                .filter(|i| i.kind != "sent")
                .filter_map(|i| i.parent_ref.as_deref().or(i.subject_ref.as_deref())),
        );
        match inbox::brand_post_id(&mut db, access.workspace.id, &refs).await? {
            Some(post) => Ok(Some(publishing::post_by_id(&mut db, post).await?)),
            None => Ok(None),
        }
    }

    /// The network actions asked on a conversation's items (likes, reposts) and their state.
    pub async fn conversation_actions(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
    ) -> Result<Vec<inbox::Action>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        let mut db = self.store.conn().await?;
        conversation_in(&mut db, access.workspace.id, id).await?;
        Ok(inbox::actions_of(&mut db, id).await?)
    }

    /// Sets a conversation's status: open, pending or closed.
    pub async fn set_conversation_status(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
        status: &str,
    ) -> Result<(), AppError> {
        let access = self.workspace_access(actor, slug, Action::HandleInbox).await?;
        let status = status.trim();
        if !STATUSES.contains(&status) {
            return Err(
                InputError::new("status", "status_unknown", "the status is open, pending or closed").into()
            );
        }
        let mut tx = self.store.begin().await?;
        if !inbox::set_status(&mut tx, access.workspace.id, id, status, crate::store::now_ms()).await? {
            return Err(AppError::NotFound("conversation"));
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "inbox.status",
            &format!("conversation {id}"),
            None,
            Some(json!({"status": status})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Assigns a conversation to a member (by e-mail), to the caller (`me`), or to no one
    /// (empty).
    pub async fn assign_conversation(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
        to: &str,
    ) -> Result<Option<i64>, AppError> {
        let access = self.workspace_access(actor, slug, Action::HandleInbox).await?;
        let to = to.trim();
        let mut tx = self.store.begin().await?;
        let user = match to {
            "" => None,
            "me" => actor.user_id(),
            email => {
                let u = tutti_store::users::by_email(&mut tx, &email.to_lowercase()).await.map_err(|_| {
                    InputError::new(
                        "assignee",
                        "assignee_unknown",
                        format!("no member has the e-mail {email:?}"),
                    )
                })?;
                tutti_store::workspaces::member(&mut tx, access.workspace.id, u.id).await.map_err(|_| {
                    InputError::new(
                        "assignee",
                        "assignee_not_member",
                        format!("{email} is not a member of this workspace"),
                    )
                })?;
                Some(u.id)
            }
        };
        if !inbox::assign(&mut tx, access.workspace.id, id, user).await? {
            return Err(AppError::NotFound("conversation"));
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "inbox.assign",
            &format!("conversation {id}"),
            None,
            Some(json!({"assignee": user})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(user)
    }

    /// Replaces a conversation's tags (comma-separated; letters, digits, `-` and `_`).
    pub async fn tag_conversation(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
        tags: &str,
    ) -> Result<Vec<String>, AppError> {
        let access = self.workspace_access(actor, slug, Action::HandleInbox).await?;
        let list = crate::people::parse_tags(tags)?;
        let mut tx = self.store.begin().await?;
        if !inbox::set_tags(&mut tx, access.workspace.id, id, &list).await? {
            return Err(AppError::NotFound("conversation"));
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "inbox.tag",
            &format!("conversation {id}"),
            None,
            Some(json!({"tags": list})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(list)
    }

    /// Opens the reply form of a conversation: the caller holds it for two minutes. Returns the
    /// name of whoever else is replying, if someone is (then the caller does not hold it).
    pub async fn start_reply(&self, actor: &Actor, slug: &str, id: i64) -> Result<Option<String>, AppError> {
        let access = self.workspace_access(actor, slug, Action::HandleInbox).await?;
        let Some(me) = actor.user_id() else { return Ok(None) };
        let mut tx = self.store.begin().await?;
        conversation_in(&mut tx, access.workspace.id, id).await?;
        let now = crate::store::now_ms();
        let other = inbox::claim_reply(&mut tx, id, me, now, now + REPLY_HOLD_MS).await?;
        let name = match other {
            Some(u) => Some(tutti_store::users::by_id(&mut tx, u).await.map(|u| u.name).unwrap_or_default()),
            None => None,
        };
        tx.commit().await.map_err(StoreError::from)?;
        Ok(name)
    }

    /// Replies in a conversation. The reply is checked like any post (the network's limits,
    /// its mentions), refused at `text` when someone else is replying or replied since the
    /// writer looked, and saved as a post answering the item, scheduled at once — or sent to
    /// review during a crisis unless the writer is an SMM or an admin.
    pub async fn reply(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
        r: &ReplyToWrite,
    ) -> Result<Post, AppError> {
        let access = self.workspace_access(actor, slug, Action::HandleInbox).await?;
        let text = r.text.trim();
        if text.is_empty() {
            return Err(InputError::new("text", "required", "write the reply").into());
        }
        let (c, items, channels, crisis) = {
            let mut db = self.store.conn().await?;
            let c = conversation_in(&mut db, access.workspace.id, id).await?;
            let items = inbox::items_of(&mut db, id).await?;
            let channels = publishing::channels_of(&mut db, access.workspace.id).await?;
            let crisis = alerts::crisis(&mut db, access.workspace.id).await?.is_some();
            (c, items, channels, crisis)
        };
        let target = match r.item_id {
            Some(item) => {
                answerable_items(&c, &items).into_iter().find(|i| i.id == item).ok_or_else(|| {
                    InputError::new(
                        "item",
                        "not_answerable",
                        "choose one of this conversation's messages to answer",
                    )
                })?
            }
            None => default_target(&c, &items).ok_or_else(|| {
                InputError::new(
                    "item",
                    "nothing_to_answer",
                    "there is no post to answer in this conversation",
                )
            })?,
        };
        let home = channels.iter().find(|ch| ch.id == c.channel_id).ok_or(AppError::NotFound("channel"))?;
        let channel = if r.as_ambassador {
            channels
                .iter()
                .find(|ch| {
                    ch.network == home.network
                        && ch.owner_user_id.is_some()
                        && ch.owner_user_id == actor.user_id()
                })
                .ok_or_else(|| {
                    InputError::new(
                        "as",
                        "no_ambassador_channel",
                        format!("you have no {} account of your own connected here", home.network),
                    )
                })?
        } else {
            if home.owner_user_id.is_some() && home.owner_user_id != actor.user_id() {
                return Err(InputError::new(
                    "as",
                    "channel_ambassador",
                    format!("{} is a member's own account: only they reply through it", home.handle),
                )
                .into());
            }
            home
        };
        crate::publishing::check_text(&channel.network, text)?;
        crate::mentions::check(&self.http, &channel.network, &channel.service, text).await?;
        let me = actor.user_id();
        let now = crate::store::now_ms();
        let mut tx = self.store.begin().await?;
        // The guard: someone else holds the conversation, or answered since the writer looked.
        if let Some(me) = me {
            if let Some(other) = inbox::claim_reply(&mut tx, id, me, now, now + REPLY_HOLD_MS).await? {
                let name =
                    tutti_store::users::by_id(&mut tx, other).await.map(|u| u.name).unwrap_or_default();
                return Err(AppError::Conflict(InputError::new(
                    "text",
                    "reply_taken",
                    format!("{name} is replying to this conversation right now; your reply was not sent"),
                )));
            }
        }
        if let Some(seen) = r.seen_items {
            let fresh = inbox::conversation_by_id(&mut tx, id).await?;
            let since = inbox::items_of(&mut tx, id).await?;
            if fresh.items > seen && since.iter().skip(seen.max(0) as usize).any(|i| i.kind == "sent") {
                return Err(AppError::Conflict(InputError::new(
                    "text",
                    "reply_taken",
                    "someone answered this conversation since you opened it; read their reply first",
                )));
            }
        }
        let (text, private) = answer_text(&target.kind, &target.author_handle, text);
        let text = text.as_ref();
        let needs_review =
            (crisis || c.tags.iter().any(|t| t == "crisis")) && !access.allows(Action::ApprovePosts);
        let direct = !needs_review && crate::queues::publishes_directly(&mut tx, &access).await?;
        let key = tutti_bluesky::Tid::now().to_string();
        let post = publishing::insert_post(
            &mut tx,
            &NewPost {
                workspace_id: access.workspace.id,
                channel_id: channel.id,
                author_user_id: me,
                text,
                langs: "",
                status: if direct { "scheduled" } else { "in_review" },
                scheduled_at: None,
                idempotency_key: &key,
                reply_to_post_id: None,
            },
            &[],
        )
        .await?;
        let parent = target.post_ref.clone().unwrap_or_default();
        publishing::set_reply_target(&mut tx, post.id, &parent, target.post_cid.as_deref(), id, private)
            .await?;
        let sent = inbox::add_sent(&mut tx, &c, post.id, &channel.handle, text, &parent, now).await?;
        inbox::set_answers(&mut tx, sent, target.id).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            if direct { "inbox.reply" } else { "inbox.reply_review" },
            &format!("conversation {id}"),
            None,
            Some(json!({"post": post.id, "item": target.id, "channel": channel.handle, "voice": channel.voice, "crisis": needs_review})),
        )
        .await?;
        self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Inbox).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(publishing::post_by_id(&mut *self.store.conn().await?, post.id).await?)
    }

    /// Asks the worker to like or repost an item through the conversation's channel; returns
    /// the action (asked once: asking again returns the same one).
    pub async fn act_on_item(
        &self,
        actor: &Actor,
        slug: &str,
        item_id: i64,
        action: &str,
    ) -> Result<inbox::Action, AppError> {
        let access = self.workspace_access(actor, slug, Action::HandleInbox).await?;
        if !["like", "repost"].contains(&action) {
            return Err(InputError::new("action", "action_unknown", "the action is like or repost").into());
        }
        let mut tx = self.store.begin().await?;
        let item = match inbox::item_by_id(&mut tx, item_id).await {
            Ok(i) => i,
            Err(StoreError::NotFound) => return Err(AppError::NotFound("item")),
            Err(e) => return Err(e.into()),
        };
        let c = conversation_in(&mut tx, access.workspace.id, item.conversation_id).await?;
        if item.post_ref.is_none() {
            return Err(InputError::new(
                "action",
                "nothing_to_like",
                format!("a {} has no post to {action}", item.kind),
            )
            .into());
        }
        let id = match inbox::insert_action(
            &mut tx,
            access.workspace.id,
            item.id,
            c.channel_id,
            action,
            actor.user_id(),
        )
        .await?
        {
            Some(id) => {
                let payload = json!({ "action": id }).to_string();
                tutti_store::jobs::enqueue(
                    &mut tx,
                    ACTION_QUEUE,
                    Some(&format!("inbox-action:{id}")),
                    &payload,
                    crate::store::now_ms(),
                )
                .await?;
                record(
                    &mut tx,
                    actor,
                    Some(access.workspace.id),
                    &format!("inbox.{action}"),
                    &format!("conversation {}", c.id),
                    None,
                    Some(json!({"item": item.id})),
                )
                .await?;
                id
            }
            None => {
                let existing = inbox::actions_of(&mut tx, c.id).await?;
                existing
                    .iter()
                    .find(|a| a.item_id == item.id && a.action == action)
                    .map(|a| a.id)
                    .ok_or(AppError::NotFound("action"))?
            }
        };
        let a = inbox::action_by_id(&mut tx, id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(a)
    }
}

/// The first-answer SLA when a workspace has not set one, minutes.
pub const DEFAULT_SLA_MINUTES: i64 = 60;

impl App {
    /// The channels of the workspace, for those who read the inbox (analysts do, without
    /// writing posts).
    pub async fn inbox_channels(
        &self,
        actor: &Actor,
        slug: &str,
    ) -> Result<Vec<tutti_store::publishing::Channel>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        Ok(publishing::channels_of(&mut *self.store.conn().await?, access.workspace.id).await?)
    }

    /// The conversation an item of the workspace belongs to.
    pub async fn item_conversation(&self, actor: &Actor, slug: &str, item: i64) -> Result<i64, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        let mut db = self.store.conn().await?;
        let i = match inbox::item_by_id(&mut db, item).await {
            Ok(i) => i,
            Err(StoreError::NotFound) => return Err(AppError::NotFound("item")),
            Err(e) => return Err(e.into()),
        };
        Ok(conversation_in(&mut db, access.workspace.id, i.conversation_id).await?.id)
    }

    /// The workspace's first-answer SLA, minutes.
    pub async fn inbox_sla(&self, actor: &Actor, slug: &str) -> Result<i64, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        let stored = inbox::sla_minutes(&mut *self.store.conn().await?, access.workspace.id).await?;
        Ok(stored.unwrap_or(DEFAULT_SLA_MINUTES))
    }

    /// Sets the first-answer SLA (SMMs and admins), from 5 minutes to 7 days. Audited.
    pub async fn set_inbox_sla(&self, actor: &Actor, slug: &str, minutes: &str) -> Result<i64, AppError> {
        let access = self.workspace_access(actor, slug, Action::ApprovePosts).await?;
        let m: i64 =
            minutes.trim().parse().ok().filter(|m| (5..=7 * 24 * 60).contains(m)).ok_or_else(|| {
                InputError::new(
                    "sla",
                    "sla_invalid",
                    "the SLA is a number of minutes from 5 to 10080 (a week)",
                )
            })?;
        let mut tx = self.store.begin().await?;
        inbox::set_sla_minutes(&mut tx, access.workspace.id, m).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "inbox.sla",
            &access.workspace.slug,
            None,
            Some(json!({"minutes": m})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(m)
    }

    /// The conversations of the workspace that moved after `since` (ms): what the live inbox
    /// adds.
    pub async fn inbox_moved_since(
        &self,
        actor: &Actor,
        slug: &str,
        since: i64,
    ) -> Result<Vec<i64>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        Ok(inbox::moved_since(&mut *self.store.conn().await?, access.workspace.id, since, 100).await?)
    }
}

/// The conversation `id` if it belongs to the workspace; `NotFound` otherwise (another
/// workspace's conversation is not told apart from a missing one).
pub(crate) async fn conversation_in(
    db: &mut Db,
    workspace_id: i64,
    id: i64,
) -> Result<Conversation, AppError> {
    match inbox::conversation_by_id(db, id).await {
        Ok(c) if c.workspace_id == workspace_id => Ok(c),
        Ok(_) | Err(StoreError::NotFound) => Err(AppError::NotFound("conversation")),
        Err(e) => Err(e.into()),
    }
}

/// The job queue of inbox actions (payload `{"action": id}`).
pub const ACTION_QUEUE: &str = "inbox.action";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_answer_mentions_its_reader() {
        assert_eq!(addressed("Merci !", "ana@social.test"), "@ana@social.test Merci !");
        assert_eq!(addressed("@Ana@Social.test merci", "ana@social.test"), "@Ana@Social.test merci");
        assert_eq!(
            addressed("@ana@social.testing", "ana@social.test"),
            "@ana@social.test @ana@social.testing"
        );
    }

    #[test]
    fn hostile_text_loses_its_invisible_characters_and_is_bounded() {
        let text = "a\u{202E}b\u{200B}c\u{0007}\nd 👩\u{200D}💻";
        assert_eq!(clean_text(text, 100), "abc\nd 👩\u{200D}💻");
        assert_eq!(clean_text(&"😀".repeat(10_000), 5).chars().count(), 5);
    }

    #[test]
    fn items_hang_on_their_thread_or_on_the_brands_post() {
        let reply = Incoming {
            remote_id: "n1".into(),
            kind: "reply".into(),
            author_id: "did:plc:alice".into(),
            text: "Ma commande n'est jamais arrivée, c'est nul".into(),
            post: Some(("at://alice/post/2".into(), Some("cid2".into()))),
            parent: Some("at://brand/post/1".into()),
            root: Some("at://brand/post/1".into()),
            ..Default::default()
        };
        let item = item_of(1, 2, "bluesky", &reply);
        assert_eq!((item.root_ref.as_str(), item.sentiment.as_str()), ("at://brand/post/1", "neg"));
        let like =
            Incoming { kind: "like".into(), subject: Some("at://brand/post/1".into()), ..reply.clone() };
        assert_eq!(inbox::thread_author(&item.kind, &item.author_id), "did:plc:alice", "its author's thread");
        let like_item = item_of(1, 2, "bluesky", &like);
        assert_eq!(like_item.root_ref, "at://brand/post/1");
        assert_eq!(inbox::thread_author(&like_item.kind, &like_item.author_id), "", "likes stay together");
        let follow = Incoming { kind: "follow".into(), post: None, parent: None, root: None, ..reply };
        assert_eq!(item_of(1, 2, "bluesky", &follow).root_ref, "follow:did:plc:alice");
    }
}
