//! Demo data: a French and an English brand workspace with a realistic team, channels on the
//! demo network (`tutti_demo`: they publish nowhere), a month of posts, posts scheduled and
//! waiting for review, a failed post, moderation rules, listening queries and alert rules, so
//! that every screen has something to show.
//!
//! This module writes what the team made; the worker then brings the workspaces to life
//! (`tutti_worker::demo`): it publishes what is due through the demo network, reads the demo
//! channels' notifications into the inbox through the ordinary ingestion path, runs the
//! moderation actions, matches the listening chatter and raises the alerts; and
//! [`App::settle_demo`] records what the team did about it (tags, notes, assignments).
//!
//! Loading twice changes nothing: every object is looked up by its natural key (an e-mail, a
//! slug, a handle, a post's idempotency key or text, a rule's or a query's name) before it is
//! made, and every time is an offset from the demo's anchor, kept in its channels' service.

use chrono::DateTime;
use serde_json::json;
use tutti_demo::{Story, STORIES};
use tutti_store::publishing::{self, NewPost};
use tutti_store::{links, people, workspaces, StoreError};

use crate::accounts::record;
use crate::publishing::{ChannelToAdd, PostToWrite};
use crate::{Actor, App, AppError};

/// How many days of follower counts the demo's channels have.
const DEMO_HISTORY_DAYS: i64 = 120;

/// The password every demo account gets.
pub const DEMO_PASSWORD: &str = "tutti-demo-2026";

/// A demo account: e-mail, name, and its role in each workspace (slug, role).
pub type DemoPerson = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// The accounts `tutti demo` creates.
pub const DEMO_PEOPLE: &[DemoPerson] = &[
    (
        "camille.martin@demo.tutti.test",
        "Camille Martin",
        &[("maison-lumiere", "smm"), ("northwind-coffee", "analyst")],
    ),
    ("lucas.bernard@demo.tutti.test", "Lucas Bernard", &[("maison-lumiere", "cm")]),
    ("ines.haddad@demo.tutti.test", "Inès Haddad", &[("maison-lumiere", "cm"), ("northwind-coffee", "cm")]),
    ("zoe.lefebvre@demo.tutti.test", "Zoé Lefebvre", &[("maison-lumiere", "contributor")]),
    ("hugo.petit@demo.tutti.test", "Hugo Petit", &[("maison-lumiere", "product")]),
    ("emma.walker@demo.tutti.test", "Emma Walker", &[("northwind-coffee", "smm")]),
    ("noah.brooks@demo.tutti.test", "Noah Brooks", &[("northwind-coffee", "cm")]),
    (
        "olivia.chen@demo.tutti.test",
        "Olivia Chen",
        &[("northwind-coffee", "contributor"), ("maison-lumiere", "analyst")],
    ),
];

/// The administrator of the demo.
pub const DEMO_ADMIN: (&str, &str) = ("admin@demo.tutti.test", "Alex Admin");

/// The demo's workspaces: name, time zone, and the story that fills it.
pub const DEMO_WORKSPACES: [(&str, &str, &str); 2] =
    [("Maison Lumière", "Europe/Paris", "fr"), ("Northwind Coffee", "America/Montreal", "en")];

/// How many chatter posts of the month a story's listening gets, and how many in its spike.
pub const CHATTER_POSTS: usize = 60;
/// See [`CHATTER_POSTS`].
pub const SPIKE_POSTS: usize = 30;

/// What `tutti demo` made.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// Workspaces (slug, name).
    pub workspaces: Vec<(String, String)>,
    /// Accounts.
    pub people: usize,
    /// The demo channels (workspace slug, handle).
    pub channels: Vec<(String, String)>,
    /// Each story told, with its anchor (ms).
    pub stories: Vec<(&'static Story, i64)>,
}

/// A time of the story as RFC 3339.
fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339()
}

impl App {
    /// Fills the instance with the demo workspaces, their team, channels on the demo network
    /// and what the team wrote; `public_url` is where Tutti is opened (for short links) and
    /// `now` the time of loading. Loading again adds only what is missing.
    pub async fn load_demo(&self, public_url: &str, now: i64) -> Result<DemoSummary, AppError> {
        let op = Actor::Operator;
        let first = self.user_by_email(DEMO_ADMIN.0).await.is_err();
        let admin = match self.user_by_email(DEMO_ADMIN.0).await {
            Ok(u) => u,
            Err(_) => {
                self.add_user(&op, DEMO_ADMIN.0, DEMO_ADMIN.1, DEMO_PASSWORD, true).await?;
                self.user_by_email(DEMO_ADMIN.0).await?
            }
        };
        let admin = Actor::User(admin);
        let mut created = Vec::new();
        for (name, tz, _) in DEMO_WORKSPACES {
            let slug = tutti_domain::Slug::from_name(name);
            let existing = workspaces::by_slug(&mut *self.store.conn().await?, slug.as_str()).await.ok();
            let ws = match existing {
                Some(ws) => ws,
                None => self.create_workspace(&admin, name, tz).await?,
            };
            created.push((ws.slug, ws.name));
        }
        for (email, name, roles) in DEMO_PEOPLE {
            let user = match self.user_by_email(email).await {
                Ok(u) => u,
                Err(_) => {
                    self.add_user(&op, email, name, DEMO_PASSWORD, false).await?;
                    self.user_by_email(email).await?
                }
            };
            for (slug, role) in *roles {
                let mut db = self.store.conn().await?;
                let ws = workspaces::by_slug(&mut db, slug).await?;
                let member = workspaces::member(&mut db, ws.id, user.id).await.is_ok();
                drop(db);
                if !member {
                    self.add_member(&admin, slug, email, role).await?;
                }
            }
        }
        if first {
            // A few ordinary changes, so the audit log reads like a real week.
            self.change_role(&admin, "maison-lumiere", "olivia.chen@demo.tutti.test", "cm").await?;
            self.change_role(&admin, "maison-lumiere", "olivia.chen@demo.tutti.test", "analyst").await?;
            let camille = Actor::User(self.user_by_email("camille.martin@demo.tutti.test").await?);
            let invited = self
                .add_member(&camille, "maison-lumiere", "lea.moreau@agence-exemple.fr", "contributor")
                .await?;
            debug_assert!(invited.invitation.is_some());
        }
        let mut summary = DemoSummary {
            workspaces: created,
            people: DEMO_PEOPLE.len() + 1,
            channels: Vec::new(),
            stories: Vec::new(),
        };
        for story in &STORIES {
            let anchor = self.demo_story(story, public_url, now).await?;
            summary.stories.push((story, anchor));
            for c in story.channels {
                summary.channels.push((story.workspace.to_owned(), c.handle.to_owned()));
            }
        }
        Ok(summary)
    }

    /// The numbers the analytics would have collected: each new channel's followers over the last
    /// [`DEMO_HISTORY_DAYS`] days (what the demo network reports, growing by a week's worth
    /// before the anchor), and the new posts' counts at each point of the schedule already past
    /// (a share of what the demo network reports now, growing along the curve).
    #[allow(clippy::too_many_arguments)]
    async fn demo_analytics(
        &self,
        workspace_id: i64,
        story: &'static Story,
        channels: &[publishing::Channel],
        new_channels: &[usize],
        anchor: i64,
        posts: &[(usize, tutti_store::analytics::DuePost)],
        now: i64,
    ) -> Result<(), AppError> {
        use crate::analytics::collect::{record_channel, record_posts, Measured};
        let day = 24 * tutti_demo::HOUR_MS;
        for &i in new_channels {
            let (c, channel) = (&story.channels[i], &channels[i]);
            let following = 180 + (tutti_demo::hash(c.handle) % 300) as i64;
            for back in (0..DEMO_HISTORY_DAYS).rev() {
                let at = now - back * day;
                let days = (at - anchor).div_euclid(day);
                let wobble = (tutti_demo::hash(&format!("{}{days}", c.handle)) % 9) as i64 - 3;
                let followers = (c.followers as i64 + days * 7 + wobble).max(0);
                record_channel(&self.store, channel.id, followers, following, 300, at).await?;
            }
        }
        // Share of the final counts reached at each point: 5 min, 1 h, 6 h, 24 h, 7 d, 30 d.
        const CURVE: [i64; 6] = [12, 40, 68, 86, 96, 100];
        for (index, post) in posts {
            let final_counts = tutti_demo::engagement_of(&post.remote_id);
            for (step, after) in tutti_domain::kpi::SNAPSHOT_AFTER_MS.iter().enumerate() {
                let at = post.published_at + after;
                if at > now {
                    break;
                }
                let share = |v: u64| v as i64 * CURVE[step] / 100;
                let counts = tutti_domain::kpi::Counts {
                    likes: share(final_counts.likes),
                    reposts: share(final_counts.reposts),
                    replies: share(final_counts.replies),
                    quotes: share(final_counts.quotes.unwrap_or(0)),
                };
                let due = tutti_store::analytics::DuePost {
                    step: step as i64,
                    has_followers: step > 0,
                    ..post.clone()
                };
                let channel = channels[*index].id;
                record_posts(&self.store, workspace_id, channel, &[Measured { post: due, counts }], true, at)
                    .await?;
            }
        }
        Ok(())
    }

    /// Writes what the team of `story` made; returns the story's anchor.
    async fn demo_story(&self, story: &'static Story, public_url: &str, now: i64) -> Result<i64, AppError> {
        let op = Actor::Operator;
        let slug = story.workspace;
        let smm = Actor::User(self.user_by_email(story.smm).await?);
        let contributor = Actor::User(self.user_by_email(story.contributor).await?);
        let ws = workspaces::by_slug(&mut *self.store.conn().await?, slug).await?;

        // Channels on the demo network, all telling the story from the same anchor.
        let existing = publishing::channels_of(&mut *self.store.conn().await?, ws.id).await?;
        let anchor = existing
            .iter()
            .find_map(|c| tutti_demo::parse_service(&c.service).map(|(_, a)| a))
            .unwrap_or_else(|| tutti_demo::anchor(now, story.morning_utc));
        let keys = self.keys("the demo's channels")?.clone();
        let mut channels = Vec::new();
        let mut new_channels = Vec::new();
        for c in story.channels {
            let channel = match existing.iter().find(|e| e.handle == c.handle) {
                Some(e) => e.clone(),
                None => {
                    new_channels.push(channels.len());
                    let add = ChannelToAdd {
                        network: c.network.as_str().to_owned(),
                        handle: c.handle.to_owned(),
                        service: tutti_demo::service(story.name, anchor),
                        account_id: Some(c.account_id.to_owned()),
                        secret: "demo".to_owned(),
                        ambassador: None,
                    };
                    self.add_channel(&op, &keys, slug, &add).await?
                }
            };
            channels.push(channel);
        }

        // The month's posts, as the publisher left them, with their short links' clicks.
        let smm_id = smm.user_id();
        let base = public_url.trim_end_matches('/');
        let mut written = 0;
        let mut measured = Vec::new();
        for p in story.published {
            let key = format!("demo-{}-{}", story.name, p.key);
            if tutti_store::demo::post_by_key(&mut *self.store.conn().await?, &key).await?.is_some() {
                continue;
            }
            let channel = &channels[p.channel];
            let c = &story.channels[p.channel];
            let code = format!("demo{}{}", story.name, p.key);
            let text = p.text.replace("{link}", &crate::links::short_url(base, &code));
            let at = anchor + p.hours * tutti_demo::HOUR_MS;
            let mut tx = self.store.begin().await?;
            let post = publishing::insert_post(
                &mut tx,
                &NewPost {
                    workspace_id: ws.id,
                    channel_id: channel.id,
                    author_user_id: smm_id,
                    text: &text,
                    langs: story.lang,
                    status: tutti_domain::PostStatus::Published,
                    scheduled_at: Some(at),
                    idempotency_key: &key,
                    reply_to_post_id: None,
                },
                &[],
            )
            .await?;
            let remote = tutti_demo::post_id(c.network, c.account_id, &key);
            let url = tutti_demo::post_url(c.network, c.handle, &key);
            tutti_store::demo::backdate_published(&mut tx, &post, &remote, &url, at).await?;
            measured.push((
                p.channel,
                tutti_store::analytics::DuePost {
                    id: post.id,
                    remote_id: remote.clone(),
                    published_at: at,
                    step: 0,
                    text: text.clone(),
                    has_followers: false,
                },
            ));
            if let Some((target, clicks)) = p.link {
                if links::insert(&mut tx, &code, ws.id, Some(post.id), target).await? {
                    tutti_store::demo::set_clicks(&mut tx, &code, clicks).await?;
                }
            }
            tx.commit().await.map_err(StoreError::from)?;
            written += 1;
        }
        self.demo_analytics(ws.id, story, &channels, &new_channels, anchor, &measured, now).await?;
        if written > 0 {
            let mut tx = self.store.begin().await?;
            record(&mut tx, &op, Some(ws.id), "demo.posts", slug, None, Some(json!({"posts": written})))
                .await?;
            tx.commit().await.map_err(StoreError::from)?;
        }

        // What is scheduled, waiting for review, and the post the network will refuse.
        let texts: Vec<String> = publishing::posts_of(&mut *self.store.conn().await?, ws.id, 10_000)
            .await?
            .into_iter()
            .map(|p| p.text)
            .collect();
        let drafts = story
            .scheduled
            .iter()
            .map(|d| (&smm, d, Some(anchor + d.hours * tutti_demo::HOUR_MS)))
            .chain(
                story.review.iter().map(|d| (&contributor, d, Some(anchor + d.hours * tutti_demo::HOUR_MS))),
            )
            .chain(std::iter::once((&smm, &story.failing, None)));
        for (author, d, at) in drafts {
            if texts.iter().any(|t| t == d.text) || at.is_some_and(|at| at < now) {
                continue;
            }
            let write = PostToWrite {
                channel: story.channels[d.channel].handle.to_owned(),
                text: d.text.to_owned(),
                at: at.map(rfc3339),
                langs: vec![story.lang.to_owned()],
                ..PostToWrite::default()
            };
            self.create_post(author, slug, &write, now).await?;
        }

        // Moderation rules, before anything is read, so that they hit what arrives.
        let rules = self.moderation_rules(&smm, slug).await?;
        for r in story.rules {
            if rules.iter().any(|have| have.rule.name == r.name) {
                continue;
            }
            let write = crate::moderation::RuleToWrite {
                name: r.name.to_owned(),
                enabled: true,
                words: r.words.to_owned(),
                toxicity: r.toxicity.to_owned(),
                domains: r.domains.to_owned(),
                kinds: r.kinds.to_owned(),
                actions: r.actions.to_owned(),
                ..Default::default()
            };
            self.add_moderation_rule(&smm, slug, &write).await?;
        }

        // Listening queries, and alert rules on the brand's, before the chatter is matched.
        let queries = self.list_queries(&smm, slug).await?;
        for (i, (name, query, kind)) in story.listening.queries.iter().enumerate() {
            let saved = match queries.iter().find(|q| q.name == *name) {
                Some(q) => q.clone(),
                None => self.add_query(&smm, slug, name, query, kind).await?,
            };
            if i == 0 && self.alert_rules(&smm, slug, saved.id).await?.is_empty() {
                let keyword = story.listening.alert_keyword;
                self.add_alert_rule(&smm, slug, saved.id, "keyword", Some(keyword), &[]).await?;
                self.add_alert_rule(&smm, slug, saved.id, "spike", None, &[]).await?;
            }
        }

        // The editorial charter, once: a team that changed it keeps its own.
        if self.charter(&smm, slug).await? == tutti_charter::Charter::default() {
            let c = &story.charter;
            let form = crate::charter::CharterForm {
                tone_notes: c.tone.to_owned(),
                banned: c.banned.to_owned(),
                required_hashtags: c.hashtags.to_owned(),
                alt_text_required: true,
                spelling: story.lang.to_owned(),
                pillars: c.pillars.to_owned(),
                vocabulary: c.vocabulary.to_owned(),
                severity_banned: "block".to_owned(),
                severity_hashtags: "warn".to_owned(),
                severity_alt_text: "warn".to_owned(),
                severity_spelling: "warn".to_owned(),
            };
            self.set_charter(&smm, slug, &form).await?;
        }
        Ok(anchor)
    }

    /// What the team did once the demo's messages are in the inbox: tags and notes on the
    /// people, conversations assigned, answered or closed, feedback categories confirmed, and
    /// the community scores rebuilt. Doing it again changes nothing.
    pub async fn settle_demo(&self, now: i64) -> Result<(), AppError> {
        for story in &STORIES {
            let slug = story.workspace;
            let smm = Actor::User(self.user_by_email(story.smm).await?);
            let ws = workspaces::by_slug(&mut *self.store.conn().await?, slug).await?;
            for h in story.handling {
                let persona = &story.personas[h.persona];
                let network = story.channels[persona.channel].network;
                let Some(person) = tutti_store::demo::person_by_identity(
                    &mut *self.store.conn().await?,
                    ws.id,
                    network.as_str(),
                    &persona.author_id(network),
                )
                .await?
                else {
                    continue;
                };
                let profile = self.person_profile(&smm, slug, person, 0).await?;
                let tags: Vec<&str> = h.tags.split(',').collect();
                if profile.person.tags.iter().map(String::as_str).collect::<Vec<_>>() != tags {
                    self.tag_person(&smm, slug, person, h.tags).await?;
                }
                if !h.note.is_empty() && !profile.notes.iter().any(|n| n.body == h.note) {
                    self.add_person_note(&smm, slug, person, h.note).await?;
                }
                let filter = tutti_store::inbox::Filter {
                    person_id: Some(person),
                    status: None,
                    ..Default::default()
                };
                let conversations = self.inbox(&smm, slug, &filter, None, 50).await?;
                let assignee = match h.assignee {
                    "" => None,
                    email => Some(self.user_by_email(email).await?.id),
                };
                for c in &conversations {
                    if assignee.is_some() && c.assignee_user_id != assignee {
                        self.assign_conversation(&smm, slug, c.id, h.assignee).await?;
                    }
                    if c.status.as_str() != h.status {
                        self.set_conversation_status(&smm, slug, c.id, h.status).await?;
                    }
                }
                if let Some(c) = conversations.first().filter(|_| !h.conversation_note.is_empty()) {
                    if !self.notes(&smm, slug, c.id).await?.iter().any(|n| n.body == h.conversation_note) {
                        self.add_note(&smm, slug, c.id, h.conversation_note).await?;
                    }
                }
            }
            // The community managers confirmed the categories of what is older than three days.
            let tz: chrono_tz::Tz = ws.timezone.parse().unwrap_or(chrono_tz::UTC);
            let day = |ms: i64| {
                DateTime::from_timestamp_millis(ms)
                    .unwrap_or_default()
                    .with_timezone(&tz)
                    .format("%Y-%m-%d")
                    .to_string()
            };
            let (from, to) = (day(now - 40 * 24 * tutti_demo::HOUR_MS), day(now));
            for item in self.feedback(&smm, slug, &from, &to, None, Some(false)).await? {
                let settled = item.created_at < now - 72 * tutti_demo::HOUR_MS;
                if settled && crate::feedback::CATEGORIES.contains(&item.category.as_str()) {
                    self.set_feedback_category(&smm, slug, item.id, &item.category).await?;
                }
            }
            let mut tx = self.store.begin().await?;
            let cms: Vec<i64> = workspaces::members(&mut tx, ws.id)
                .await?
                .into_iter()
                .filter(|m| m.role == tutti_domain::Role::Cm)
                .map(|m| m.user_id)
                .collect();
            tutti_store::demo::answer_handled(&mut tx, ws.id, now - 72 * tutti_demo::HOUR_MS, &cms).await?;
            people::refresh_scores(&mut tx, ws.id, tutti_store::now_ms(), crate::people::LOYAL_ITEMS).await?;
            tx.commit().await.map_err(StoreError::from)?;
        }
        Ok(())
    }
}
