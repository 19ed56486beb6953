//! The inbox (D1–D3): what the community says to the brand's accounts, as conversations.
//!
//! - Ingestion (module `ingest`, which the worker calls) turns a network notification into a
//!   bounded, enriched item (language, sentiment, toxicity), linked to the person behind its
//!   author and grouped into its conversation. A conversation is one person's thread with
//!   the brand: the items of one author hanging on one root (the brand's post they answer
//!   or quote, their mention's thread, their direct messages), with the brand's replies to
//!   them. Two customers and a troll answering the same post are three conversations, each
//!   with its own status, assignee and SLA. The likes and reposts of one post stay together
//!   in one conversation (nothing to answer there); each follower is a conversation of their
//!   own.
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
use tutti_domain::{Action, ConversationStatus, InputError, ItemKind, PostStatus};
use tutti_store::inbox::{self, Conversation, Filter, Item};
use tutti_store::publishing::{self, NewPost, Post};
use tutti_store::{alerts, Db, StoreError};

use crate::accounts::record;
pub use crate::moderation::{ACTION_QUEUE, TOXIC_AT};
use crate::text::answer_text;
use crate::{Actor, App, AppError};

/// How long opening the reply form keeps others from replying, ms.
pub const REPLY_HOLD_MS: i64 = 120_000;
/// The items of a conversation a reply can answer: its person's messages that have a post on
/// the network, oldest first.
pub fn answerable_items<'a>(c: &Conversation, items: &'a [Item]) -> Vec<&'a Item> {
    items
        .iter()
        .filter(|i| {
            i.kind.is_answerable()
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
                .filter(|i| i.kind != ItemKind::Sent)
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
        let Ok(status) = status.trim().parse::<ConversationStatus>() else {
            return Err(
                InputError::new("status", "status_unknown", "the status is open, pending or closed").into()
            );
        };
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
        self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Inbox).await?;
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
        self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Inbox).await?;
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
        let list = crate::text::parse_tags(tags)?;
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
        self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Inbox).await?;
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
        let network = self.network_of(channel)?;
        crate::publishing::check_text(network.as_ref(), text)?;
        crate::mentions::check(network.as_ref(), self.outbound(), &channel.service, text).await?;
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
            if fresh.items > seen && since.iter().skip(seen.max(0) as usize).any(|i| i.kind == ItemKind::Sent)
            {
                return Err(AppError::Conflict(InputError::new(
                    "text",
                    "reply_taken",
                    "someone answered this conversation since you opened it; read their reply first",
                )));
            }
        }
        let (text, private) = answer_text(target.kind, &target.author_handle, text);
        let text = text.as_ref();
        let needs_review =
            (crisis || c.tags.iter().any(|t| t == "crisis")) && !access.allows(Action::ApprovePosts);
        let direct = !needs_review && crate::queues::publishes_directly(&mut tx, &access).await?;
        let key = network.new_idempotency_key();
        let post = publishing::insert_post(
            &mut tx,
            &NewPost {
                workspace_id: access.workspace.id,
                channel_id: channel.id,
                author_user_id: me,
                text,
                langs: "",
                status: if direct { PostStatus::Scheduled } else { PostStatus::InReview },
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
