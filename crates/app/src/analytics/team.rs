//! The team's figures (items handled, first-response and resolution times per member and per
//! channel, SLA breaches, inbox and moderation actions) and the best times to post.

use serde::Serialize;
use tutti_domain::kpi::{self, Basis, Slot};
use tutti_domain::Action;
use tutti_store::analytics::{self as store, ConversationTiming};
use tutti_store::{inbox, DAY_MS};

use super::{channel_named, grid, ChannelName, Period};
use crate::inbox::DEFAULT_SLA_MINUTES;
use crate::{Actor, App, AppError};

/// The most conversations a period's team figures read.
const MAX_CONVERSATIONS: i64 = 200_000;

/// How far back the best times look, in days.
pub const BEST_TIMES_DAYS: i64 = 180;

/// Response times of a set of conversations: the store's, whether the database computed them
/// (the overview) or [`times`] did from the rows (the team's split per member and channel).
pub use tutti_store::analytics::ResponseTimes as Times;

fn times(rows: &[&ConversationTiming], sla_ms: i64, now: i64) -> Times {
    let first: Vec<i64> = rows
        .iter()
        .filter_map(|c| c.first_response_at.map(|r| (r - c.first_item_at).max(0) / 1000))
        .collect();
    let resolved: Vec<i64> =
        rows.iter().filter_map(|c| c.resolved_at.map(|r| (r - c.first_item_at).max(0) / 1000)).collect();
    let sla_breaches =
        rows.iter().filter(|c| c.first_response_at.unwrap_or(now) - c.first_item_at > sla_ms).count() as i64;
    Times {
        asked: rows.len() as i64,
        answered: first.len() as i64,
        first_response: kpi::spread(&first),
        resolution: kpi::spread(&resolved),
        sla_breaches,
    }
}

/// A member's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberTeam {
    /// The member (none: nobody, e.g. conversations never answered nor assigned).
    pub user_id: Option<i64>,
    /// Their name.
    pub name: String,
    /// Conversations they answered first, or that are assigned to them when unanswered.
    pub times: Times,
    /// Inbox and moderation actions they took (likes, reposts, hides, mutes, blocks…).
    pub actions: i64,
}

/// A channel's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelTeam {
    /// The channel.
    pub channel: ChannelName,
    /// Its conversations' times.
    pub times: Times,
}

/// The team view of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Team {
    /// The period.
    pub period: Period,
    /// The SLA, minutes.
    pub sla_minutes: i64,
    /// The whole workspace.
    pub all: Times,
    /// Per member, most conversations first.
    pub members: Vec<MemberTeam>,
    /// Per channel.
    pub channels: Vec<ChannelTeam>,
    /// Actions taken by moderation rules (no member).
    pub rule_actions: i64,
}

/// The best times of a channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BestTimes {
    /// The channel.
    pub channel: ChannelName,
    /// The workspace's time zone, in which weekdays and hours are given.
    pub time_zone: String,
    /// What the best slots rest on.
    pub basis: Basis,
    /// The channel's measured posts of the last [`BEST_TIMES_DAYS`] days.
    pub posts: i64,
    /// The best slots, best first.
    pub best: Vec<Slot>,
    /// Every cell, Monday 0:00 first (168).
    pub grid: Vec<Slot>,
}

impl App {
    /// The response times of the conversations that began in `[from, to)`, computed by the
    /// database (the overview's; the team's figures split them per member from the rows).
    pub(crate) async fn response_times(
        &self,
        workspace_id: i64,
        from: i64,
        to: i64,
        channel_id: Option<i64>,
    ) -> Result<Times, AppError> {
        let mut db = self.store.conn().await?;
        let sla = inbox::sla_minutes(&mut db, workspace_id).await?.unwrap_or(DEFAULT_SLA_MINUTES);
        Ok(store::response_times(
            &mut db,
            workspace_id,
            (from, to),
            channel_id,
            sla * 60_000,
            tutti_store::now_ms(),
        )
        .await?)
    }

    /// The team's figures over a period.
    pub async fn analytics_team(&self, actor: &Actor, slug: &str, period: &Period) -> Result<Team, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewAnalytics).await?;
        let ws = access.workspace.id;
        let channels = self.channel_names(ws).await?;
        let mut db = self.store.conn().await?;
        let rows =
            store::conversation_timings(&mut db, ws, period.from, period.to, None, MAX_CONVERSATIONS).await?;
        let sla = inbox::sla_minutes(&mut db, ws).await?.unwrap_or(DEFAULT_SLA_MINUTES);
        let actions = store::actions_by_member(&mut db, ws, period.from, period.to).await?;
        let members = tutti_store::workspaces::members(&mut db, ws).await?;
        drop(db);
        let (sla_ms, now) = (sla * 60_000, tutti_store::now_ms());
        let who = |c: &ConversationTiming| c.responder_user_id.or(c.assignee_user_id);
        let mut ids: Vec<Option<i64>> = rows.iter().map(who).collect();
        ids.extend(actions.iter().filter(|a| a.0.is_some()).map(|a| a.0));
        ids.sort();
        ids.dedup();
        let mut by_member: Vec<MemberTeam> = ids
            .into_iter()
            .map(|id| {
                let mine: Vec<&ConversationTiming> = rows.iter().filter(|c| who(c) == id).collect();
                let name = match id {
                    None => String::new(),
                    Some(uid) => members
                        .iter()
                        .find(|m| m.user_id == uid)
                        .map(|m| m.name.clone())
                        .unwrap_or_else(|| format!("#{uid}")),
                };
                MemberTeam {
                    user_id: id,
                    name,
                    times: times(&mine, sla_ms, now),
                    actions: actions.iter().filter(|a| a.0 == id && id.is_some()).map(|a| a.2).sum(),
                }
            })
            .collect();
        by_member.sort_by(|a, b| b.times.asked.cmp(&a.times.asked).then(a.name.cmp(&b.name)));
        let per_channel = channels
            .iter()
            .map(|c| ChannelTeam {
                channel: c.clone(),
                times: times(&rows.iter().filter(|r| r.channel_id == c.id).collect::<Vec<_>>(), sla_ms, now),
            })
            .collect();
        Ok(Team {
            period: period.clone(),
            sla_minutes: sla,
            all: times(&rows.iter().collect::<Vec<_>>(), sla_ms, now),
            members: by_member,
            channels: per_channel,
            rule_actions: actions.iter().filter(|a| a.0.is_none()).map(|a| a.2).sum(),
        })
    }

    /// The best times of the channel `handle`: the last [`BEST_TIMES_DAYS`] days of its posts'
    /// engagement rate by weekday and hour, or when its community writes when too few posts
    /// say it.
    pub async fn best_times(
        &self,
        actor: &Actor,
        slug: &str,
        handle: &str,
        slots: usize,
    ) -> Result<BestTimes, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewAnalytics).await?;
        let channels = self.channel_names(access.workspace.id).await?;
        let channel = channel_named(&channels, handle)?.clone();
        self.best_times_of(&access.workspace.timezone, channel, slots).await
    }

    /// The best times of every channel of the workspace (for the composer's hint); nobody is
    /// refused who may write posts, since the hint names hours, not figures.
    pub async fn best_times_for_composer(
        &self,
        actor: &Actor,
        slug: &str,
    ) -> Result<Vec<BestTimes>, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        let mut all = Vec::new();
        for c in self.channel_names(access.workspace.id).await? {
            all.push(self.best_times_of(&access.workspace.timezone, c, 3).await?);
        }
        Ok(all)
    }

    async fn best_times_of(
        &self,
        tz: &str,
        channel: ChannelName,
        slots: usize,
    ) -> Result<BestTimes, AppError> {
        let zone: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
        let now = tutti_store::now_ms();
        let since = now - BEST_TIMES_DAYS * DAY_MS;
        let mut db = self.store.conn().await?;
        let mut spans = Vec::new();
        for (from, to, offset) in store::rollup::offset_spans(&zone, since, now) {
            let posts = store::post_quarters(&mut db, channel.id, from, to).await?;
            let activity = store::activity_quarters(&mut db, channel.id, from, to).await?;
            spans.push((offset, posts, activity));
        }
        drop(db);
        let posts = spans.iter().flat_map(|s| &s.1).map(|q| q.posts).sum();
        let cells = grid(&spans);
        let (basis, best) = kpi::best_slots(&cells, slots.clamp(1, 20));
        Ok(BestTimes { channel, time_zone: tz.to_owned(), basis, posts, best, grid: cells })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(first: i64, response: Option<i64>, resolved: Option<i64>) -> ConversationTiming {
        ConversationTiming {
            channel_id: 1,
            assignee_user_id: None,
            responder_user_id: None,
            first_item_at: first,
            first_response_at: response,
            resolved_at: resolved,
        }
    }

    #[test]
    fn response_times_count_breaches_of_the_sla_answered_or_not() {
        let now = 10_000_000;
        let rows = [
            conv(0, Some(60_000), Some(600_000)),  // 1 min, resolved in 10 min
            conv(0, Some(3 * 3_600_000), None),    // 3 h: a breach of a 2 h SLA
            conv(now - 60_000, None, None),        // waiting for 1 min: not yet a breach
            conv(now - 3 * 3_600_000, None, None), // waiting for 3 h: a breach
        ];
        let t = times(&rows.iter().collect::<Vec<_>>(), 2 * 3_600_000, now);
        assert_eq!((t.asked, t.answered, t.sla_breaches), (4, 2, 2));
        assert_eq!(t.first_response, Some(kpi::Spread { count: 2, median: 60, p90: 10_800 }));
        assert_eq!(t.resolution, Some(kpi::Spread { count: 1, median: 600, p90: 600 }));
    }
}
