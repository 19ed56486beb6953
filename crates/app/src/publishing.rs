//! Publishing use cases: connecting channels (credentials sealed with the key ring), writing
//! and scheduling posts with their limits checked field by field, approvals, and rotating the
//! key that protects credentials.
//!
//! A post's idempotency key (chosen by its network: a TID, which Bluesky takes as the record
//! key; a random `Idempotency-Key` on Mastodon) is chosen here, when the post is saved, before
//! any call to a network. The limits are the network's (`tutti_connector::Limits`).

use chrono::{DateTime, Utc};
use serde_json::json;
use tutti_connector::NetworkKind;
use tutti_domain::{Action, ChannelVoice, InputError, Network, PostStatus};
use tutti_store::publishing::{self, Channel, NewChannel, NewPost, Post, PostMedia};
use tutti_store::{links, users, StoreError};

use crate::accounts::record;
pub use crate::channels::find_channel;
use crate::links::{find_links, new_code, rewrite_links, short_url, tag_utm, LinkOptions};
use crate::secrets::Keyring;
use crate::{Actor, App, AppError};

/// The most images a post carries on any network (the compose form's slots); each network's
/// own limit is in its [`Limits`].
pub use tutti_connector::MAX_IMAGES;
/// The largest image any network takes (what an upload may hold).
pub use tutti_connector::MAX_IMAGE_BYTES;

/// A channel to connect, once its credentials were checked with the network.
#[derive(Debug, Clone)]
pub struct ChannelToAdd {
    /// `bluesky` or `mastodon`.
    pub network: String,
    /// The handle the network confirmed.
    pub handle: String,
    /// The PDS or instance URL.
    pub service: String,
    /// The account's id on the network (a DID, a Mastodon account id).
    pub account_id: Option<String>,
    /// The app password or access token, sealed before it is stored.
    pub secret: String,
    /// For an ambassador channel: the member (e-mail) whose own account it is.
    pub ambassador: Option<String>,
}

/// A post to write.
#[derive(Debug, Clone, Default)]
pub struct PostToWrite {
    /// The channel, by handle (`brand.example.com`, `@brand@mastodon.example`) or id.
    pub channel: String,
    /// The text.
    pub text: String,
    /// When to publish (RFC 3339); none for as soon as possible.
    pub at: Option<String>,
    /// Languages (`fr`, `en`), at most three.
    pub langs: Vec<String>,
    /// Images with their alt text.
    pub images: Vec<PostMedia>,
    /// The post of the same channel this one continues, as the next post of a thread.
    pub reply_to: Option<i64>,
    /// Whether to take the channel's next free queue slot (then `at` must be empty).
    pub queue: bool,
}

impl App {
    /// Connects a channel. Only SMMs and admins connect accounts; an ambassador channel names
    /// the member whose own account it is.
    pub async fn add_channel(
        &self,
        actor: &Actor,
        keys: &Keyring,
        slug: &str,
        c: &ChannelToAdd,
    ) -> Result<Channel, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageChannels).await?;
        let network = c.network.parse::<Network>().ok().filter(|n| self.networks().get(n).is_some());
        let Some(network) = network else {
            let known: Vec<&str> = self.networks().names().collect();
            return Err(InputError::new(
                "network",
                "network_unknown",
                format!("the network must be {}", known.join(" or ")),
            )
            .into());
        };
        let mut db = self.store.conn().await?;
        let owner = match &c.ambassador {
            None => None,
            Some(email) => {
                let user = users::by_email(&mut db, &email.trim().to_lowercase()).await.map_err(|_| {
                    InputError::new(
                        "ambassador",
                        "ambassador_unknown",
                        format!("no account has the e-mail {email:?}"),
                    )
                })?;
                tutti_store::workspaces::member(&mut db, access.workspace.id, user.id).await.map_err(
                    |_| {
                        InputError::new(
                            "ambassador",
                            "ambassador_not_member",
                            format!("{email} is not a member of this workspace"),
                        )
                    },
                )?;
                Some(user.id)
            }
        };
        drop(db);
        let (key_id, sealed) = keys.seal(&c.secret);
        let mut tx = self.store.begin().await?;
        let channel = publishing::insert_channel(
            &mut tx,
            &NewChannel {
                workspace_id: access.workspace.id,
                network,
                handle: &c.handle,
                service: &c.service,
                account_id: c.account_id.as_deref(),
                voice: if owner.is_some() { ChannelVoice::Ambassador } else { ChannelVoice::Brand },
                owner_user_id: owner,
                credentials: &sealed,
                key_id: &key_id,
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => AppError::Conflict(InputError::new(
                "handle",
                "channel_taken",
                format!("{} is already connected to this workspace", c.handle),
            )),
            other => other.into(),
        })?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "channel.add",
            &channel.handle,
            None,
            Some(json!({"network": channel.network, "voice": channel.voice, "service": channel.service})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(channel)
    }

    /// The channels of a workspace.
    pub async fn channels(&self, actor: &Actor, slug: &str) -> Result<Vec<Channel>, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        Ok(publishing::channels_of(&mut *self.store.conn().await?, access.workspace.id).await?)
    }

    /// Writes a post. Every limit is checked before anything is stored, and the first problem
    /// is reported at its field (`channel`, `text`, `at`, `images`); then the workspace's
    /// editorial charter is applied, and a finding that blocks refuses the post at `text` (at
    /// `images` for missing alt text) with every blocking finding listed. A person who may
    /// publish without review schedules it; anyone else sends it for review.
    pub async fn create_post(
        &self,
        actor: &Actor,
        slug: &str,
        p: &PostToWrite,
        now: i64,
    ) -> Result<Post, AppError> {
        self.create_post_with_links(actor, slug, p, &LinkOptions::default(), now).await
    }

    /// Writes a post as [`App::create_post`] does, its links rewritten first: tagged with
    /// `link_options.utm`, then, when `link_options.shorten_base` is set, each replaced by a short link
    /// `{base}/l/{code}` stored with the post in the same transaction. The networks' limits
    /// apply to the rewritten text.
    pub async fn create_post_with_links(
        &self,
        actor: &Actor,
        slug: &str,
        p: &PostToWrite,
        link_options: &LinkOptions,
        now: i64,
    ) -> Result<Post, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        let (channels, charter) = {
            let mut db = self.store.conn().await?;
            let channels = publishing::channels_of(&mut db, access.workspace.id).await?;
            (channels, crate::charter::charter_of(&mut db, access.workspace.id).await?)
        };
        let wanted = p.channel.trim();
        let channel = find_channel(&channels, wanted).ok_or_else(|| {
            InputError::new("channel", "channel_unknown", format!("no channel {wanted:?} in this workspace"))
        })?;
        let network = self.network_of(channel)?;
        let limits = network.limits();
        let name = network.network().name();
        if let Some(owner) = channel.owner_user_id {
            if actor.user_id() != Some(owner) {
                return Err(InputError::new(
                    "channel",
                    "channel_ambassador",
                    format!("{} is a member's own account: only they publish through it", channel.handle),
                )
                .into());
            }
        }
        if let Some(parent) = p.reply_to {
            let found = publishing::post_by_id(&mut *self.store.conn().await?, parent).await.ok();
            match found {
                Some(q) if q.workspace_id == access.workspace.id && q.channel_id == channel.id => {
                    if q.status == PostStatus::Failed {
                        return Err(InputError::new(
                            "reply_to",
                            "thread_parent_failed",
                            format!("post {parent} failed to publish: fix it before continuing its thread"),
                        )
                        .into());
                    }
                }
                Some(_) => {
                    return Err(InputError::new(
                        "reply_to",
                        "thread_other_channel",
                        format!(
                            "post {parent} goes out through another channel: a thread stays on one account"
                        ),
                    )
                    .into())
                }
                None => {
                    return Err(InputError::new(
                        "reply_to",
                        "thread_parent_unknown",
                        format!("no post {parent} in this workspace"),
                    )
                    .into())
                }
            }
        }
        // Links are rewritten first (UTM, then short links): the limits apply to what goes out.
        let tagged = match &link_options.utm {
            Some(utm) => rewrite_links(&p.text, |l| tag_utm(l, utm)),
            None => p.text.clone(),
        };
        let base = match link_options.shorten_base.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
            None => None,
            Some(b) if crate::links::is_web_url(b) => Some(b.trim_end_matches('/')),
            Some(b) => {
                return Err(InputError::new(
                    "shorten",
                    "base_invalid",
                    format!("{b:?} is not an http(s) address to shorten links with"),
                )
                .into())
            }
        };
        // The links to shorten, once each, and a code for each (drawn again on a collision).
        let mut targets: Vec<String> = Vec::new();
        if let Some(base) = base {
            let own = format!("{base}/l/");
            for r in find_links(&tagged) {
                let link = &tagged[r];
                if !link.starts_with(&own) && !targets.iter().any(|t| t == link) {
                    targets.push(link.to_owned());
                }
            }
        }
        let mut codes: Vec<String> = targets.iter().map(|_| new_code()).collect();
        let shortened = |codes: &[String]| match base {
            None => tagged.clone(),
            Some(base) => rewrite_links(&tagged, |l| match targets.iter().position(|t| t == l) {
                Some(i) => short_url(base, &codes[i]),
                None => l.to_owned(),
            }),
        };
        check_text(network.as_ref(), &shortened(&codes))?;
        let at = p.at.as_deref().map(str::trim).filter(|a| !a.is_empty());
        if p.queue && at.is_some() {
            return Err(InputError::new(
                "queue",
                "queue_with_date",
                "a post takes either a date or the next queue slot, not both",
            )
            .into());
        }
        let scheduled_at = match at {
            None => None,
            Some(at) => {
                let t = DateTime::parse_from_rfc3339(at)
                    .map_err(|_| {
                        InputError::new(
                            "at",
                            "date_invalid",
                            format!("{at:?} is not a date like 2026-11-24T09:30:00+01:00"),
                        )
                    })?
                    .with_timezone(&Utc)
                    .timestamp_millis();
                if t < now - 60_000 {
                    return Err(InputError::new("at", "date_past", format!("{at} is in the past")).into());
                }
                Some(t)
            }
        };
        if p.langs.len() > limits.langs_max {
            return Err(InputError::new(
                "langs",
                "too_many_langs",
                format!("at most {} languages on {name}", limits.langs_max),
            )
            .into());
        }
        if p.images.len() > limits.images_max {
            return Err(InputError::new(
                "images",
                "too_many_images",
                format!("at most {} images on {name}", limits.images_max),
            )
            .into());
        }
        for (i, m) in p.images.iter().enumerate() {
            if m.bytes.len() > limits.image_max_bytes {
                return Err(InputError::new(
                    "images",
                    "image_too_large",
                    format!(
                        "image {} is {} bytes; the largest {} takes is {}",
                        i + 1,
                        m.bytes.len(),
                        name,
                        limits.image_max_bytes
                    ),
                )
                .into());
            }
            if !["image/png", "image/jpeg", "image/webp", "image/gif"].contains(&m.mime.as_str()) {
                return Err(InputError::new(
                    "images",
                    "image_type",
                    format!("image {} is not PNG, JPEG, WebP or GIF", i + 1),
                )
                .into());
            }
            if m.alt.chars().count() > limits.alt_max_chars {
                return Err(InputError::new(
                    "images",
                    "alt_too_long",
                    format!("the alt text of image {} is over {} characters", i + 1, limits.alt_max_chars),
                )
                .into());
            }
        }
        // The editorial charter last: a finding that blocks refuses the post; warnings do not.
        let draft = crate::charter::Draft {
            text: p.text.clone(),
            channel_handle: channel.handle.clone(),
            images: p.images.iter().map(|m| crate::charter::Image { alt: m.alt.clone() }).collect(),
            lang: crate::charter::draft_lang(&p.langs),
        };
        let findings = crate::charter::check_all(charter, vec![draft]).await?.pop().unwrap_or_default();
        if let Some((field, message)) = crate::charter::refusal(&p.text, &findings) {
            return Err(InputError::new(field, "charter_blocked", message).into());
        }
        crate::mentions::check(network.as_ref(), self.outbound(), &channel.service, &p.text).await?;
        let key = network.new_idempotency_key();
        let mut tx = self.store.begin().await?;
        let direct = crate::queues::publishes_directly(&mut tx, &access).await?;
        let scheduled_at = match p.queue {
            false => scheduled_at,
            true => {
                let tz: chrono_tz::Tz = access.workspace.timezone.parse().unwrap_or(chrono_tz::UTC);
                Some(crate::queues::take_slot(&mut tx, channel.id, tz, crate::store::now_ms()).await?)
            }
        };
        for (target, code) in targets.iter().zip(codes.iter_mut()) {
            let mut tries = 0;
            while !links::insert(&mut tx, code, access.workspace.id, None, target).await? {
                tries += 1;
                if tries > 20 {
                    return Err(AppError::Conflict(InputError::new(
                        "shorten",
                        "link_code_taken",
                        "no free short-link code was found; try again",
                    )));
                }
                *code = new_code();
            }
        }
        let text = shortened(&codes);
        let post = publishing::insert_post(
            &mut tx,
            &NewPost {
                workspace_id: access.workspace.id,
                channel_id: channel.id,
                author_user_id: actor.user_id(),
                text: &text,
                langs: &p.langs.join(","),
                status: if direct { PostStatus::Scheduled } else { PostStatus::InReview },
                scheduled_at,
                idempotency_key: &key,
                reply_to_post_id: p.reply_to,
            },
            &p.images,
        )
        .await?;
        for code in &codes {
            links::set_post(&mut tx, code, post.id).await?;
        }
        let mut after =
            json!({"post": post.id, "scheduled_at": post.scheduled_at, "key": post.idempotency_key});
        if !codes.is_empty() {
            after["short_links"] = json!(codes);
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            if direct { "post.schedule" } else { "post.review" },
            &channel.handle,
            None,
            Some(after),
        )
        .await?;
        self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Calendar).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(post)
    }

    /// The posts of a workspace, latest due first.
    pub async fn posts(&self, actor: &Actor, slug: &str, limit: i64) -> Result<Vec<Post>, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        Ok(publishing::posts_of(&mut *self.store.conn().await?, access.workspace.id, limit).await?)
    }

    /// Re-encrypts every channel's credentials with the newest key of `rotated` (made by
    /// [`Keyring::rotated`]), in one transaction. The operator's command only.
    pub async fn rotate_credentials(&self, actor: &Actor, rotated: &Keyring) -> Result<usize, AppError> {
        if !matches!(actor, Actor::Operator) {
            return Err(AppError::Forbidden(Action::ManageUsers));
        }
        let mut tx = self.store.begin().await?;
        let channels = publishing::all_channels(&mut tx).await?;
        for c in &channels {
            let plain = rotated.open(&c.key_id, &c.credentials)?;
            let (id, sealed) = rotated.seal(&plain);
            publishing::set_credentials(&mut tx, c.id, &sealed, &id).await?;
        }
        // The alert webhooks' signing secrets are sealed with the same ring: sealed again too,
        // and any still in clear sealed now.
        for (workspace_id, key_id, sealed) in tutti_store::alerts::sealed_webhook_secrets(&mut tx).await? {
            let (id, resealed) = rotated.seal(&rotated.open(&key_id, &sealed)?);
            tutti_store::alerts::seal_webhook_secret(&mut tx, workspace_id, &id, &resealed, None).await?;
        }
        for (workspace_id, plain) in tutti_store::alerts::clear_webhook_secrets(&mut tx).await? {
            let (id, sealed) = rotated.seal(&plain);
            tutti_store::alerts::seal_webhook_secret(&mut tx, workspace_id, &id, &sealed, Some(&plain))
                .await?;
        }
        let secrets = crate::two_factor::reseal_secrets(&mut tx, rotated).await?;
        record(
            &mut tx,
            actor,
            None,
            "key.rotate",
            rotated.current_id(),
            None,
            Some(json!({"channels": channels.len(), "two_factor_secrets": secrets})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(channels.len())
    }
}

/// Checks a post's text against its network's limits, naming the limit.
pub fn check_text(network: &dyn NetworkKind, text: &str) -> Result<(), InputError> {
    let (limits, name) = (network.limits(), network.network().name());
    if text.trim().is_empty() {
        return Err(InputError::new("text", "required", "the post has no text"));
    }
    let count = limits.count(text);
    if count > limits.text_max {
        return Err(InputError::new(
            "text",
            "text_too_long",
            format!("{count} characters; {name} takes {}", limits.text_max),
        ));
    }
    if let Some(max) = limits.text_max_bytes.filter(|&max| text.len() > max) {
        return Err(InputError::new(
            "text",
            "text_too_long",
            format!("{} bytes; {name} takes {max}", text.len()),
        ));
    }
    Ok(())
}

/// When a post is due, from the RFC 3339 date the caller gave; a date more than a minute in the
/// past is refused at `at`.
fn due_time(at: &str, now: i64) -> Result<i64, InputError> {
    let t = DateTime::parse_from_rfc3339(at.trim())
        .map_err(|_| {
            InputError::new(
                "at",
                "date_invalid",
                format!("{at:?} is not a date like 2026-11-24T09:30:00+01:00"),
            )
        })?
        .with_timezone(&Utc)
        .timestamp_millis();
    if t < now - 60_000 {
        return Err(InputError::new("at", "date_past", format!("{at} is in the past")));
    }
    Ok(t)
}

impl App {
    /// The posts of a workspace due in `[from, to)` (ms, UTC; an unscheduled post counts at
    /// its writing), earliest first, optionally only those in `status`: the calendar's posts.
    pub async fn calendar_posts(
        &self,
        actor: &Actor,
        slug: &str,
        from: i64,
        to: i64,
        status: Option<PostStatus>,
    ) -> Result<Vec<Post>, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        let mut db = self.store.conn().await?;
        Ok(publishing::posts_between(&mut db, access.workspace.id, from, to, status, 2_000).await?)
    }

    /// One post of a workspace.
    pub async fn post(&self, actor: &Actor, slug: &str, post_id: i64) -> Result<Post, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        let mut db = self.store.conn().await?;
        let post = publishing::post_by_id(&mut db, post_id).await.map_err(crate::error::not_found("post"))?;
        if post.workspace_id != access.workspace.id {
            return Err(AppError::NotFound("post"));
        }
        Ok(post)
    }

    /// Moves a post to `at` (RFC 3339). Its author moves it, or someone who approves posts; a
    /// post publishing or published cannot move (a `Conflict` at `post`), a date in the past is
    /// refused at `at`. A failed post moved is scheduled again, its attempts and error cleared.
    pub async fn reschedule_post(
        &self,
        actor: &Actor,
        slug: &str,
        post_id: i64,
        at: &str,
        now: i64,
    ) -> Result<Post, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        let (post, channel) = {
            let mut db = self.store.conn().await?;
            let post =
                publishing::post_by_id(&mut db, post_id).await.map_err(crate::error::not_found("post"))?;
            if post.workspace_id != access.workspace.id {
                return Err(AppError::NotFound("post"));
            }
            let channel = publishing::channel_by_id(&mut db, post.channel_id).await?;
            (post, channel)
        };
        let own = actor.user_id().is_some() && post.author_user_id == actor.user_id();
        if !own && !access.allows(Action::ApprovePosts) {
            return Err(AppError::Forbidden(Action::ApprovePosts));
        }
        if !matches!(post.status, PostStatus::Scheduled | PostStatus::InReview | PostStatus::Failed) {
            return Err(AppError::Conflict(InputError::new(
                "post",
                "post_not_movable",
                format!("the post is {}: only a post not yet publishing can move", post.status),
            )));
        }
        let t = due_time(at, now)?;
        let mut tx = self.store.begin().await?;
        if !publishing::reschedule(&mut tx, post.id, t).await? {
            return Err(AppError::Conflict(InputError::new(
                "post",
                "post_not_movable",
                "the post started publishing meanwhile: it can no longer move",
            )));
        }
        let moved = publishing::post_by_id(&mut tx, post.id).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "post.reschedule",
            &channel.handle,
            Some(json!({"post": post.id, "scheduled_at": post.scheduled_at, "status": post.status})),
            Some(json!({"post": moved.id, "scheduled_at": moved.scheduled_at, "status": moved.status})),
        )
        .await?;
        self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Calendar).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_graphemes_on_bluesky_and_name_the_limit() {
        let networks = tutti_networks::registry();
        let (bluesky, mastodon) = (networks.get("bluesky").unwrap(), networks.get("mastodon").unwrap());
        let family = "👨‍👩‍👧‍👦";
        assert!(check_text(bluesky.as_ref(), &family.repeat(300)).is_err(), "300 families are 7,500 bytes");
        assert!(check_text(bluesky.as_ref(), &"é".repeat(300)).is_ok());
        let e = check_text(bluesky.as_ref(), &"a".repeat(301)).unwrap_err();
        assert_eq!(e.field, "text");
        assert!(e.message.contains("301") && e.message.contains("300"), "{}", e.message);
        assert!(check_text(mastodon.as_ref(), &"a".repeat(500)).is_ok());
        assert!(check_text(mastodon.as_ref(), &"a".repeat(501)).is_err());
        assert_eq!(check_text(bluesky.as_ref(), "   ").unwrap_err().code, "required");
    }
}
