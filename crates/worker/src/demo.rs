//! Brings the demo workspaces to life, through the worker's own paths: the publisher sends what
//! is due through the demo network (the story's failed post fails there, with the network's
//! words), the inbox poller reads the demo channels' notifications (so the inbox follows
//! whatever model ingestion applies, and the moderation rules hit what arrives), the jobs run
//! the moderation actions, the listener matches the story's chatter, and the alert rules are
//! evaluated. Then the team's handling is recorded (`App::settle_demo`).
//!
//! While `tutti serve` runs, the same worker goes on: scheduled posts are published when they
//! fall due and the story's later messages arrive in the inbox at their time.

use tutti_app::demo::{DemoSummary, CHATTER_POSTS, SPIKE_POSTS};
use tutti_app::{store as tutti_store, App};
use tutti_demo::{hash, Story, HOUR_MS};
use tutti_listen::{Network, Post};

use crate::connectors::Connectors;
use crate::inbox::InboxPoller;
use crate::listener::{Listener, SourcePost};
use crate::publisher::Publisher;
use crate::Worker;

/// What bringing the demo to life did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Life {
    /// Posts the publisher settled (published or failed).
    pub published: usize,
    /// Notifications read into the inbox.
    pub notifications: usize,
    /// Jobs run (moderation actions, deliveries).
    pub jobs: usize,
    /// New listening mentions.
    pub mentions: usize,
    /// Alerts raised.
    pub alerts: usize,
}

/// The most jobs run in one go (each is run once; a failing one waits for its retry).
const MAX_JOBS: usize = 500;

/// The posts the story's listening hears: chatter spread over the month before `anchor`, and
/// a spike in the last day, each with a stable id.
pub fn listening_posts(story: &Story, anchor: i64) -> Vec<SourcePost> {
    let l = &story.listening;
    let make = |i: usize, text: &str, at: i64| {
        let h = hash(&format!("{}-{i}", story.name));
        let author = l.authors[(h % l.authors.len() as u64) as usize];
        let (user, instance) = author.split_once('@').unwrap_or((author, "mastodon.example"));
        let url = format!("https://{instance}/@{user}/demo{}{i:03}", story.name);
        SourcePost {
            source: "mastodon",
            external_id: url.clone(),
            url: Some(url),
            post: Post {
                text: text.to_owned(),
                author: author.to_owned(),
                lang: Some(story.lang.to_owned()),
                network: Network::Mastodon,
                links: Vec::new(),
            },
            published_at: Some(at),
        }
    };
    let month = 30 * 24 * HOUR_MS;
    let mut posts = Vec::new();
    for i in 0..CHATTER_POSTS {
        let h = hash(&format!("{}-chatter-{i}", story.name));
        let text = l.chatter[(h % l.chatter.len() as u64) as usize];
        let at =
            anchor - month + (i as i64) * month / CHATTER_POSTS as i64 + ((h >> 16) % 600) as i64 * 60_000;
        posts.push(make(i, text, at.min(anchor - 24 * HOUR_MS)));
    }
    for i in 0..SPIKE_POSTS {
        let text = l.spike[i % l.spike.len()];
        let at = anchor - 20 * HOUR_MS + (i as i64) * 35 * 60_000;
        posts.push(make(CHATTER_POSTS + i, text, at));
    }
    posts
}

/// Brings the workspaces of `summary` to life at `now`, as worker `name`, through `connectors`.
/// Running it again finds nothing new to do.
pub async fn bring_to_life(
    app: &App,
    connectors: &Connectors,
    summary: &DemoSummary,
    name: &str,
    now: i64,
) -> Result<Life, String> {
    let store = app.store().clone();
    let mut life = Life::default();
    // What was written while loading is due from the moment it was written.
    let now = now.max(tutti_store::now_ms());
    let publisher = Publisher::with_connectors(store.clone(), name.to_owned(), connectors.clone());
    life.published = publisher.run_once(now).await.map_err(|e| e.to_string())?.len();
    let poller = InboxPoller::new(store.clone(), name.to_owned(), connectors.clone());
    // A pass reads every page that is there; a second finds nothing new (bounded all the same).
    for _ in 0..10 {
        let read = poller.poll_once().await.map_err(|e| e.to_string())?;
        life.notifications += read;
        if read == 0 {
            break;
        }
    }
    life.jobs +=
        run_jobs(&Worker::new(store.clone(), name.to_owned()).with_connectors(connectors.clone())).await?;
    let listener = Listener::load(store.clone()).await.map_err(|e| e.to_string())?;
    for (story, anchor) in &summary.stories {
        life.mentions +=
            listener.ingest(&listening_posts(story, *anchor)).await.map_err(|e| e.to_string())?;
    }
    life.alerts = crate::alerting::evaluate(&store, now).await.map_err(|e| e.to_string())?;
    life.jobs +=
        run_jobs(&Worker::new(store.clone(), name.to_owned()).with_connectors(connectors.clone())).await?;
    app.settle_demo(now).await.map_err(|e| e.to_string())?;
    Ok(life)
}

async fn run_jobs(worker: &Worker) -> Result<usize, String> {
    let mut ran = 0;
    while ran < MAX_JOBS {
        match worker.run_once().await.map_err(|e| e.to_string())? {
            Some(_) => ran += 1,
            None => break,
        }
    }
    Ok(ran)
}
