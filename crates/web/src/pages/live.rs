//! Live pages: the server-sent event streams that tell an open page its data changed (the
//! inbox, a query's mentions, the notices, the calendar), woken by the store's change feed.
//!
//! A stream asks the database nothing while nothing changes: it waits on the feed (one
//! `LISTEN` connection per process on PostgreSQL, an in-process broadcast on SQLite) and only
//! when a change for its workspace and topic arrives does it look (the inbox: which
//! conversations moved) and send an event, on which the page fetches what it shows through
//! its ordinary, guarded routes. When access changes anywhere (a sign-out, a revoked token, a
//! member removed or given another role) every stream checks its caller again and ends if
//! they may no longer read the page; so does a stream that has been open for
//! [`MAX_OPEN`] (the browser opens it again, through the guard).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Extension;
use tutti_app::store::changes::{Changes, Topic};
use tutti_app::Actor;
use tutti_domain::Action;

use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/w/{workspace}/listening/{query}/events", Access::Workspace(Action::ViewListening), mentions)
        .get("/w/{workspace}/calendar/events", Access::Workspace(Action::WritePosts), calendar)
        .get("/w/{workspace}/notices/events", Access::Workspace(Action::ViewWorkspace), notices)
}

/// How long a stream stays open before the browser is asked to open it again.
pub(crate) const MAX_OPEN: Duration = Duration::from_secs(15 * 60);

/// What a stream watches, and the event it sends.
pub(crate) enum Watch {
    /// The inbox: `moved` with the ids of the conversations that moved after `since` (ms).
    Inbox {
        /// The last look.
        since: i64,
    },
    /// `topic`: an event named after it, without data.
    Topic(Topic),
}

/// Who opened a stream, to check them again when access changes.
struct Caller {
    actor: Actor,
    slug: String,
    action: Action,
    session: Option<String>,
    api_token: Option<String>,
}

impl Caller {
    /// Whether the session cookie or API token the stream was opened with still signs in the
    /// same person, who still may do `action` in the workspace.
    async fn still_allowed(&self, state: &AppState) -> bool {
        let user = match (&self.session, &self.api_token) {
            (Some(s), _) => state.app.session_user(s).await.ok().flatten().map(|(u, _)| u),
            (None, Some(t)) => state.app.token_user(t).await.ok().flatten(),
            (None, None) => None,
        };
        if user.is_none_or(|u| Some(u.id) != self.actor.user_id()) {
            return false;
        }
        state.app.workspace_access(&self.actor, &self.slug, self.action).await.is_ok()
    }
}

struct Open {
    state: AppState,
    caller: Caller,
    workspace: i64,
    watch: Watch,
    feed: Changes,
    until: tokio::time::Instant,
}

/// A stream of `watch` for the caller of `ctx`, who was let in with `action`. The feed is
/// subscribed before the answer leaves, so nothing committed after the caller sees the stream
/// open is missed.
pub(crate) fn stream(
    state: AppState,
    ctx: &Ctx,
    slug: String,
    action: Action,
    watch: Watch,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let workspace = ctx.access.as_ref().map(|a| a.workspace.id).unwrap_or_default();
    let feed = state.app.store().changes();
    let caller = Caller {
        actor: ctx.actor(),
        slug,
        action,
        session: ctx.session_token.clone(),
        api_token: ctx.api_token.clone(),
    };
    let until = tokio::time::Instant::now() + MAX_OPEN;
    let open = Open { state, caller, workspace, watch, feed, until };
    let stream = futures_util::stream::unfold(open, |mut open| async move {
        let topics = [match open.watch {
            Watch::Inbox { .. } => Topic::Inbox,
            Watch::Topic(t) => t,
        }];
        loop {
            let wake = tokio::select! {
                wake = open.feed.next_for(open.workspace, &topics) => wake?,
                () = tokio::time::sleep_until(open.until) => return None,
            };
            if wake.access && !open.caller.still_allowed(&open.state).await {
                return None;
            }
            if !wake.changed {
                continue;
            }
            match &mut open.watch {
                Watch::Inbox { since } => {
                    let now = tutti_app::store::now_ms();
                    let c = &open.caller;
                    match open.state.app.inbox_moved_since(&c.actor, &c.slug, *since).await {
                        Ok(ids) if !ids.is_empty() => {
                            *since = now;
                            let data = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                            return Some((Ok(Event::default().event("moved").data(data)), open));
                        }
                        Ok(_) => {}
                        // Signed out or removed from the workspace: the stream ends.
                        Err(_) => return None,
                    }
                }
                Watch::Topic(t) => {
                    let event = Event::default().event(t.as_str()).data("");
                    return Some((Ok(event), open));
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// `mentions` when a mention of the workspace is stored; the page fetches the query's new ones.
async fn mentions(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, _query)): Path<(String, i64)>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    stream(state, &ctx, slug, Action::ViewListening, Watch::Topic(Topic::Mentions))
}

/// `calendar` when a post of the workspace changes.
async fn calendar(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    stream(state, &ctx, slug, Action::WritePosts, Watch::Topic(Topic::Calendar))
}

/// `notices` when a notice of the workspace is written or read.
async fn notices(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    stream(state, &ctx, slug, Action::ViewWorkspace, Watch::Topic(Topic::Notices))
}
