//! The change feed: which workspace's inbox, mentions, notices or calendar changed, told to
//! every open page of every process without each page asking the database.
//!
//! A writer calls [`Store::announce`] inside its transaction. On PostgreSQL that is
//! `pg_notify('tutti_changes', '<workspace>:<topic>')`, which the database delivers when (and
//! only if) the transaction commits, to every process: each process that has open streams
//! holds **one** connection doing `LISTEN tutti_changes` (opened by the first subscription)
//! and fans what it hears out in memory (a tokio broadcast) to every open stream. On SQLite, where one process writes through one connection, the announcement
//! waits for that connection to come back to its pool — that is, for the transaction to end —
//! and then goes on the same in-memory broadcast. A stream reads the database only when a
//! change for its workspace and topic arrives, or after [`Change::Resync`] (the listening
//! connection was opened, or dropped and came back, or the stream fell behind), when it looks
//! once again.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::{Backend, Db, Result, Store};

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "tutti_changes";

/// What changed in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Inbox items and conversations.
    Inbox,
    /// Listening mentions.
    Mentions,
    /// Notices to the team.
    Notices,
    /// Posts of the editorial calendar.
    Calendar,
    /// Who may read what: a session ended, a token was revoked, a member left or changed role.
    /// Streams check their caller again.
    Access,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 5] =
        [Topic::Inbox, Topic::Mentions, Topic::Notices, Topic::Calendar, Topic::Access];

    /// The topic's word in a notification.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Inbox => "inbox",
            Topic::Mentions => "mentions",
            Topic::Notices => "notices",
            Topic::Calendar => "calendar",
            Topic::Access => "access",
        }
    }

    /// The topic of a word, if it is one.
    pub fn parse(word: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == word)
    }
}

/// One message of the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `topic` of the workspace changed; workspace 0 means every workspace.
    Changed {
        /// The workspace's id, or 0 for all.
        workspace: i64,
        /// What changed.
        topic: Topic,
    },
    /// Changes may have been missed: every stream looks once again.
    Resync,
}

impl Change {
    /// `<workspace>:<topic>`, the notification's payload.
    pub fn payload(workspace: i64, topic: Topic) -> String {
        format!("{workspace}:{}", topic.as_str())
    }

    /// Reads a payload; anything else is ignored (`None`).
    pub fn parse(payload: &str) -> Option<Change> {
        let (workspace, topic) = payload.split_once(':')?;
        Some(Change::Changed { workspace: workspace.parse().ok()?, topic: Topic::parse(topic)? })
    }
}

/// What woke a stream up (see [`Changes::next_for`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wake {
    /// One of the topics asked for changed (or changes may have been missed): look again.
    pub changed: bool,
    /// Access changed somewhere (or may have): check the caller again.
    pub access: bool,
}

/// A subscription to the feed, one per open stream.
#[derive(Debug)]
pub struct Changes {
    rx: broadcast::Receiver<Change>,
}

impl Changes {
    /// The next change, `Resync` if this subscriber fell behind, `None` once the store is gone.
    pub async fn next(&mut self) -> Option<Change> {
        match self.rx.recv().await {
            Ok(change) => Some(change),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(Change::Resync),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// Waits for a change that concerns `workspace` and one of `topics` (an access change
    /// concerns everyone), then takes the changes already waiting too, so that a burst costs
    /// one look. `None` once the store is gone.
    pub async fn next_for(&mut self, workspace: i64, topics: &[Topic]) -> Option<Wake> {
        let mut wake = Wake::default();
        let concerns = |wake: &mut Wake, change: Change| match change {
            Change::Resync => {
                wake.changed = true;
                wake.access = true;
            }
            Change::Changed { topic: Topic::Access, .. } => wake.access = true,
            Change::Changed { workspace: w, topic } => {
                if (w == workspace || w == 0) && topics.contains(&topic) {
                    wake.changed = true;
                }
            }
        };
        while wake == Wake::default() {
            let change = self.next().await?;
            concerns(&mut wake, change);
        }
        loop {
            match self.rx.try_recv() {
                Ok(change) => concerns(&mut wake, change),
                Err(broadcast::error::TryRecvError::Lagged(_)) => concerns(&mut wake, Change::Resync),
                Err(_) => return Some(wake),
            }
        }
    }
}

/// The feed of one store (shared by its clones).
pub(crate) struct Feed {
    sender: broadcast::Sender<Change>,
    /// SQLite: the changes waiting for their transaction to end.
    pending: Mutex<HashSet<(i64, Topic)>>,
    /// PostgreSQL: the database to listen to, from the first subscription on (a process that
    /// only writes, such as `tutti worker` or a command, holds no listening connection).
    listen_to: Option<String>,
    listening: Once,
    /// Ends the PostgreSQL listener when the store is closed or dropped.
    stop: watch::Sender<bool>,
}

/// How many changes a slow stream may fall behind before it is told to look again.
const BACKLOG: usize = 1024;

impl Feed {
    /// The feed of a store; `listen_to` is the URL of a PostgreSQL database.
    pub(crate) fn new(listen_to: Option<String>) -> Arc<Feed> {
        let (sender, _) = broadcast::channel(BACKLOG);
        let (stop, _) = watch::channel(false);
        Arc::new(Feed {
            sender,
            pending: Mutex::new(HashSet::new()),
            listen_to,
            listening: Once::new(),
            stop,
        })
    }

    /// Starts the one listening connection of a PostgreSQL store, once.
    fn listen(&self) {
        if let Some(url) = &self.listen_to {
            self.listening.call_once(|| {
                tokio::spawn(listen(url.clone(), self.sender.clone(), self.stop.subscribe()));
            });
        }
    }

    pub(crate) fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// How long the listener waits before connecting again, at first and at most.
const RECONNECT_FIRST: Duration = Duration::from_millis(200);
const RECONNECT_MAX: Duration = Duration::from_secs(10);

/// Holds `LISTEN tutti_changes` on one connection and sends what it hears to the broadcast;
/// connects again when the connection drops (then tells every stream to look again, since
/// what was announced meanwhile is lost), until the store stops.
async fn listen(url: String, sender: broadcast::Sender<Change>, mut stop: watch::Receiver<bool>) {
    let mut wait = RECONNECT_FIRST;
    let mut again = false;
    loop {
        let connected = async {
            let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let listener = tokio::select! {
            l = connected => l,
            _ = stop.changed() => return,
        };
        match listener {
            Ok(mut listener) => {
                // What was announced before this connection listened is lost: the streams
                // open now look once (at the first connection, the streams that opened it).
                if again {
                    tracing::info!("the change feed is listening again");
                }
                let _ = sender.send(Change::Resync);
                wait = RECONNECT_FIRST;
                loop {
                    let heard = tokio::select! {
                        heard = listener.try_recv() => heard,
                        _ = stop.changed() => return,
                    };
                    match heard {
                        Ok(Some(n)) => {
                            if let Some(change) = Change::parse(n.payload()) {
                                let _ = sender.send(change);
                            }
                        }
                        Ok(None) => {
                            tracing::warn!("the change feed lost its connection; listening again");
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "the change feed failed; listening again");
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "the change feed cannot listen; trying again"),
        }
        again = true;
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        wait = (wait * 2).min(RECONNECT_MAX);
    }
}

impl Store {
    /// A subscription to this store's change feed. On PostgreSQL the first one starts the
    /// process's listening connection.
    pub fn changes(&self) -> Changes {
        let rx = self.feed.sender.subscribe();
        self.feed.listen();
        Changes { rx }
    }

    /// Announces, inside the transaction `db` that changes it, that `topic` of `workspace`
    /// changed (workspace 0: every workspace). Heard once the transaction ends: at commit on
    /// PostgreSQL (by every process), when the writing connection is free again on SQLite.
    pub async fn announce(&self, db: &mut Db, workspace: i64, topic: Topic) -> Result<()> {
        match self.backend {
            Backend::Postgres => {
                let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT pg_notify($1, $2)) AS n")
                    .bind(CHANNEL)
                    .bind(Change::payload(workspace, topic))
                    .fetch_one(db)
                    .await?;
            }
            Backend::Sqlite => self.announce_after_write(workspace, topic),
        }
        Ok(())
    }

    /// SQLite: sends the change once the one writing connection is back in its pool, which it
    /// is when the transaction holding it has committed (or rolled back: a look for nothing).
    /// One waiter per workspace and topic at a time.
    fn announce_after_write(&self, workspace: i64, topic: Topic) {
        let key = (workspace, topic);
        let first = self.feed.pending.lock().map(|mut p| p.insert(key)).unwrap_or(true);
        if !first {
            return;
        }
        let writes = self.writes.clone();
        let feed = Arc::clone(&self.feed);
        tokio::spawn(async move {
            let conn = writes.acquire().await;
            if let Ok(mut p) = feed.pending.lock() {
                p.remove(&key);
            }
            drop(conn);
            let _ = feed.sender.send(Change::Changed { workspace, topic });
        });
    }

    /// [`Store::announce`] for changes already committed. Never call it while holding a
    /// transaction of this store.
    pub async fn announce_now(&self, workspace: i64, topic: Topic) -> Result<()> {
        match self.backend {
            Backend::Postgres => self.announce(&mut *self.conn().await?, workspace, topic).await,
            Backend::Sqlite => {
                self.announce_after_write(workspace, topic);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back_and_strangers_are_ignored() {
        for topic in Topic::ALL {
            assert_eq!(
                Change::parse(&Change::payload(42, topic)),
                Some(Change::Changed { workspace: 42, topic })
            );
        }
        for junk in ["", "42", "x:inbox", "42:nothing", ":inbox", "42:"] {
            assert_eq!(Change::parse(junk), None, "{junk}");
        }
    }
}
