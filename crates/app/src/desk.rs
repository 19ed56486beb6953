//! The start of the day: the overview of a workspace for the person who opens it (what waits
//! for them, today's schedule, what failed, and for those who lead the team the approvals,
//! alerts, crisis state and the week's numbers), the sidebar's counts, the search, alert
//! acknowledgement, and the first workspace made right after setup.
//!
//! Every block is checked against the reader's role: a block they may not see is `None`, a
//! count they may not see is zero.

use chrono::{Datelike, TimeZone as _};
use serde_json::json;
use tutti_domain::{Action, Locale, PostStatus};
use tutti_store::alerts::{self, Acknowledgement, Alert, Crisis};
use tutti_store::desk::{self, BrokenChannel, Counts, Hit, Numbers, PostLine};
use tutti_store::workspaces::Workspace;
use tutti_store::{inbox, StoreError};

use crate::accounts::record;
use crate::inbox::DEFAULT_SLA_MINUTES;
use crate::{Actor, App, AppError};

/// How many rows a block of the overview lists.
const BLOCK_ROWS: i64 = 6;
/// How many results each group of a search lists.
pub const SEARCH_ROWS: i64 = 8;
/// The longest search accepted, in characters (longer ones are cut).
pub const SEARCH_MAX_CHARS: usize = 100;

/// What the reader's posts look like in review.
#[derive(Debug, Clone, Default)]
pub struct MyReview {
    /// Their posts waiting for approval.
    pub waiting: Vec<PostLine>,
    /// Their posts sent back with a comment.
    pub sent_back: Vec<PostLine>,
}

/// The overview of a workspace for one reader.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// The workspace's first-answer SLA, minutes (when the reader reads the inbox).
    pub sla_minutes: Option<i64>,
    /// Mentions matched in the last 24 hours, and how many of them are negative.
    pub mentions_today: Option<(i64, i64)>,
    /// Today's posts in the workspace's time zone (writers).
    pub today: Option<Vec<PostLine>>,
    /// Failed posts (writers).
    pub failed: Option<Vec<PostLine>>,
    /// Channels that need reconnecting (writers).
    pub broken: Option<Vec<BrokenChannel>>,
    /// The reader's own posts in review (writers who do not approve).
    pub my_review: Option<MyReview>,
    /// Posts waiting for approval (those who approve).
    pub to_approve: Option<Vec<PostLine>>,
    /// Alerts nobody acknowledged (those who lead the crisis).
    pub alerts: Option<Vec<Alert>>,
    /// The crisis mode, when on (everyone sees it).
    pub crisis: Option<Crisis>,
    /// Whether the reader may switch the crisis mode.
    pub can_crisis: bool,
    /// This week's numbers, since Monday in the workspace's zone (those who lead the team).
    pub week: Option<Numbers>,
}

/// Search results, one group per kind; a group the reader may not see is `None`.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// People of the community.
    pub people: Option<Vec<Hit>>,
    /// Inbox conversations.
    pub conversations: Option<Vec<Hit>>,
    /// The team's posts.
    pub posts: Option<Vec<Hit>>,
    /// Listening mentions.
    pub mentions: Option<Vec<Hit>>,
}

impl SearchResults {
    /// Whether no group found anything.
    pub fn is_empty(&self) -> bool {
        [&self.people, &self.conversations, &self.posts, &self.mentions]
            .iter()
            .all(|g| g.as_ref().is_none_or(Vec::is_empty))
    }
}

/// The start and end (ms) of the day and of the week (from Monday) that contain `now` in `tz`.
pub fn day_and_week(tz: &str, now: i64) -> ((i64, i64), i64) {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let local = tz.timestamp_millis_opt(now).single().unwrap_or_else(|| tz.timestamp_millis_opt(0).unwrap());
    let date = local.date_naive();
    let start_of = |d: chrono::NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).expect("midnight");
        tz.from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.timestamp_millis())
            // A day that starts inside a gap (a few zones move clocks at midnight).
            .unwrap_or_else(|| midnight.and_utc().timestamp_millis())
    };
    let day = (start_of(date), start_of(date + chrono::Days::new(1)));
    let monday = date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()));
    (day, start_of(monday))
}

impl App {
    /// The sidebar's counts for the reader: one statement, zero where they may not look.
    pub async fn desk_counts(&self, actor: &Actor, slug: &str) -> Result<Counts, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewWorkspace).await?;
        let mut db = self.store.conn().await?;
        let sla = inbox::sla_minutes(&mut db, access.workspace.id).await?.unwrap_or(DEFAULT_SLA_MINUTES);
        let c = desk::counts(
            &mut db,
            access.workspace.id,
            actor.user_id().unwrap_or(0),
            sla,
            tutti_store::now_ms(),
        )
        .await?;
        let inbox = access.allows(Action::ViewInbox);
        let write = access.allows(Action::WritePosts);
        let approve = access.allows(Action::ApprovePosts);
        let listen = access.allows(Action::ViewListening);
        let keep = |allowed: bool, n: i64| if allowed { n } else { 0 };
        Ok(Counts {
            inbox_mine: keep(inbox, c.inbox_mine),
            inbox_unassigned: keep(inbox, c.inbox_unassigned),
            sla_breaches: keep(inbox, c.sla_breaches),
            review: keep(write, c.review),
            sent_back: keep(write && !approve, c.sent_back),
            alerts_open: keep(listen, c.alerts_open),
            failed_posts: keep(write, c.failed_posts),
            broken_channels: keep(write, c.broken_channels),
            scheduled: keep(write, c.scheduled),
            channels: c.channels,
        })
    }

    /// The overview of the workspace for the reader.
    pub async fn overview(&self, actor: &Actor, slug: &str) -> Result<Overview, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewWorkspace).await?;
        let ws = access.workspace.id;
        let now = tutti_store::now_ms();
        let ((day_start, day_end), week_start) = day_and_week(&access.workspace.timezone, now);
        let mut db = self.store.conn().await?;
        let mut o = Overview::default();
        if access.allows(Action::ViewInbox) {
            o.sla_minutes = Some(inbox::sla_minutes(&mut db, ws).await?.unwrap_or(DEFAULT_SLA_MINUTES));
        }
        if access.allows(Action::ViewListening) {
            o.mentions_today = Some(desk::mentions_since(&mut db, ws, now - 86_400_000).await?);
        }
        if access.allows(Action::WritePosts) {
            o.today = Some(desk::schedule(&mut db, ws, day_start, day_end, 20).await?);
            o.failed = Some(desk::posts_in(&mut db, ws, PostStatus::Failed, None, BLOCK_ROWS).await?);
            o.broken = Some(desk::broken_channels(&mut db, ws).await?);
        }
        if access.allows(Action::ApprovePosts) {
            o.to_approve = Some(desk::posts_in(&mut db, ws, PostStatus::InReview, None, BLOCK_ROWS).await?);
            o.week = Some(desk::numbers_since(&mut db, ws, week_start).await?);
        } else if access.allows(Action::WritePosts) {
            let me = actor.user_id();
            o.my_review = Some(MyReview {
                waiting: desk::posts_in(&mut db, ws, PostStatus::InReview, me.or(Some(-1)), BLOCK_ROWS)
                    .await?,
                sent_back: desk::posts_in(&mut db, ws, PostStatus::Draft, me.or(Some(-1)), BLOCK_ROWS)
                    .await?,
            });
        }
        if access.allows(Action::ManageCrisis) && access.allows(Action::ViewListening) {
            o.alerts = Some(alerts::unacknowledged(&mut db, ws, BLOCK_ROWS).await?);
        }
        o.crisis = alerts::crisis(&mut db, ws).await?;
        o.can_crisis = access.allows(Action::ManageCrisis);
        Ok(o)
    }

    /// Searches the workspace for `query` in what the reader may see: people (community
    /// readers), conversations (inbox readers), posts (writers), mentions (listening readers).
    /// At most [`SEARCH_ROWS`] per group; the query is cut at [`SEARCH_MAX_CHARS`] characters.
    pub async fn search(&self, actor: &Actor, slug: &str, query: &str) -> Result<SearchResults, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewWorkspace).await?;
        let query: String = query.trim().chars().filter(|c| !c.is_control()).take(SEARCH_MAX_CHARS).collect();
        let mut r = SearchResults::default();
        if query.chars().count() < 2 {
            return Ok(r);
        }
        let pattern = desk::contains_pattern(&query);
        let ws = access.workspace.id;
        let mut db = self.store.conn().await?;
        if access.allows(Action::ViewCommunity) {
            r.people = Some(desk::search_people(&mut db, ws, &pattern, SEARCH_ROWS).await?);
        }
        if access.allows(Action::ViewInbox) {
            r.conversations = Some(desk::search_conversations(&mut db, ws, &pattern, SEARCH_ROWS).await?);
        }
        if access.allows(Action::WritePosts) {
            r.posts = Some(desk::search_posts(&mut db, ws, &pattern, SEARCH_ROWS).await?);
        }
        if access.allows(Action::ViewListening) {
            r.mentions = Some(desk::search_mentions(&mut db, ws, &pattern, SEARCH_ROWS).await?);
        }
        Ok(r)
    }

    /// Acknowledges an alert: someone of the team has seen it and acts. Audited; a second
    /// acknowledgement changes nothing and returns false.
    pub async fn acknowledge_alert(
        &self,
        actor: &Actor,
        slug: &str,
        alert_id: i64,
    ) -> Result<bool, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageListening).await?;
        let mut tx = self.store.begin().await?;
        let done = match alerts::acknowledge(
            &mut tx,
            access.workspace.id,
            alert_id,
            actor.user_id(),
            tutti_store::now_ms(),
        )
        .await
        {
            Ok(done) => done,
            Err(StoreError::NotFound) => return Err(AppError::NotFound("alert")),
            Err(e) => return Err(e.into()),
        };
        if done {
            record(
                &mut tx,
                actor,
                Some(access.workspace.id),
                "alert.acknowledge",
                &format!("#{alert_id}"),
                None,
                Some(json!({"alert": alert_id})),
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(done)
    }

    /// Who acknowledged which of these alerts, and when.
    pub async fn alert_acknowledgements(
        &self,
        actor: &Actor,
        slug: &str,
        ids: &[i64],
    ) -> Result<Vec<Acknowledgement>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewListening).await?;
        Ok(alerts::acknowledgements(&mut *self.store.conn().await?, access.workspace.id, ids).await?)
    }

    /// The language the workspace's team works in, when it chose one.
    pub async fn workspace_language(&self, actor: &Actor, slug: &str) -> Result<Option<Locale>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewWorkspace).await?;
        let lang = desk::language(&mut *self.store.conn().await?, access.workspace.id).await?;
        Ok(lang.and_then(|l| Locale::parse(&l, "language").ok()))
    }

    /// Creates a workspace whose team works in `language` (`fr`, `en`). The person who creates
    /// it and has not chosen an interface language gets that one. Audited.
    pub async fn create_workspace_in(
        &self,
        actor: &Actor,
        name: &str,
        timezone: &str,
        language: &str,
    ) -> Result<Workspace, AppError> {
        self.require(actor, Action::CreateWorkspace).await?;
        let locale = Locale::parse(language, "language")?;
        // The zone is checked before anything is written.
        tutti_domain::TimeZone::parse(timezone, "timezone")?;
        let ws = self.create_workspace(actor, name, timezone).await?;
        let mut tx = self.store.begin().await?;
        desk::set_language(&mut tx, ws.id, locale.as_str()).await?;
        record(
            &mut tx,
            actor,
            Some(ws.id),
            "workspace.language",
            &ws.name,
            None,
            Some(json!({"language": locale.as_str()})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        if let Actor::User(user) = actor {
            if user.locale.is_none() {
                self.update_preferences(user, &user.name, locale.as_str(), &user.timezone).await?;
            }
        }
        Ok(ws)
    }
}

#[cfg(test)]
mod tests {
    use super::day_and_week;

    #[test]
    fn the_day_and_the_week_are_the_workspace_s() {
        // Wednesday 2026-12-09 10:00 UTC = 11:00 in Paris.
        let now = 1_796_810_400_000;
        let ((start, end), monday) = day_and_week("Europe/Paris", now);
        assert_eq!(end - start, 86_400_000);
        assert!(start <= now && now < end);
        assert_eq!((now - start) / 3_600_000, 11, "eleven hours into the Paris day");
        assert_eq!((start - monday) / 86_400_000, 2, "Monday is two days before Wednesday");
    }
}
