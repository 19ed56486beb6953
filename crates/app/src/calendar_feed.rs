//! The secret iCalendar feed of a workspace's schedule: SMMs and admins make (or remake) its
//! address; anyone holding the address reads the scheduled posts, and nothing else.

use serde_json::json;
use tutti_domain::{Action, PostStatus};
use tutti_store::publishing::{self, Channel, Post};
use tutti_store::workspaces::{self, Workspace};
use tutti_store::{calendar_feeds, StoreError};

use crate::accounts::record;
use crate::secrets::{hash_secret, new_secret};
use crate::{Actor, App, AppError};

impl App {
    /// Makes a new secret feed token for the workspace (the old address stops working) and
    /// returns it; it is shown once.
    pub async fn new_calendar_feed(&self, actor: &Actor, slug: &str) -> Result<String, AppError> {
        let access = self.workspace_access(actor, slug, Action::ApprovePosts).await?;
        let token = new_secret("ical_");
        let mut tx = self.store.begin().await?;
        calendar_feeds::set(&mut tx, access.workspace.id, &hash_secret(&token)).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "calendar.feed",
            &access.workspace.name,
            None,
            Some(json!({"new": true})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(token)
    }

    /// What a feed token opens: the workspace, its posts that have a time, and its channels.
    /// An unknown token is `NotFound`.
    pub async fn calendar_feed(&self, token: &str) -> Result<(Workspace, Vec<Post>, Vec<Channel>), AppError> {
        if !token.starts_with("ical_") || token.len() > 100 {
            return Err(AppError::NotFound("calendar"));
        }
        let mut db = self.store.conn().await?;
        let id = calendar_feeds::workspace_of(&mut db, &hash_secret(token))
            .await?
            .ok_or(AppError::NotFound("calendar"))?;
        let ws = workspaces::by_id(&mut db, id).await?;
        let posts = publishing::posts_of(&mut db, id, 2000)
            .await?
            .into_iter()
            .filter(|p| p.scheduled_at.is_some() && p.reply_ref.is_none() && p.status != PostStatus::Draft)
            .collect();
        let channels = publishing::channels_of(&mut db, id).await?;
        Ok((ws, posts, channels))
    }
}
