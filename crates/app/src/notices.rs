//! Notices: what a member must act on. A channel whose credentials the network refused
//! notifies the workspace's admins and SMMs, and the member whose own account an ambassador
//! channel is; they read it in the app (and by e-mail when the worker has an SMTP server).

use tutti_domain::{Action, Role};
use tutti_store::notices::{self, NewNotice, Notice};
use tutti_store::publishing::Channel;
use tutti_store::{workspaces, Db, StoreError};

use crate::{Actor, App, AppError};

/// The kind of notice for a channel that needs reconnecting.
pub const CHANNEL_RECONNECT: &str = "channel_reconnect";

/// Tells the people who can fix it that `channel` needs reconnecting, in `db` (the
/// transaction that marks the channel); returns the notices' ids. The network's `message` is
/// kept bounded, as it is text from outside.
pub async fn channel_needs_reconnect(
    db: &mut Db,
    channel: &Channel,
    message: &str,
) -> Result<Vec<i64>, StoreError> {
    let members = workspaces::members(db, channel.workspace_id).await?;
    let detail = tutti_domain::input::clip(message, 500);
    let link = format!("/w/{}/channels", workspaces::by_id(db, channel.workspace_id).await?.slug);
    let mut ids = Vec::new();
    for m in members {
        let fixes = matches!(m.role, Role::Admin | Role::Smm) || channel.owner_user_id == Some(m.user_id);
        if !fixes {
            continue;
        }
        let id = notices::insert(
            db,
            &NewNotice {
                workspace_id: channel.workspace_id,
                user_id: m.user_id,
                kind: CHANNEL_RECONNECT,
                subject: &channel.handle,
                detail: &detail,
                link: &link,
            },
        )
        .await?;
        ids.push(id);
    }
    Ok(ids)
}

impl App {
    /// The caller's unread notices in a workspace, newest first.
    pub async fn notices(&self, actor: &Actor, slug: &str) -> Result<Vec<Notice>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewWorkspace).await?;
        let Some(user) = actor.user_id() else { return Ok(Vec::new()) };
        Ok(notices::unread(&mut *self.store.conn().await?, access.workspace.id, user, 50).await?)
    }

    /// Marks the caller's notices in a workspace read.
    pub async fn mark_notices_read(&self, actor: &Actor, slug: &str) -> Result<u64, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewWorkspace).await?;
        let Some(user) = actor.user_id() else { return Ok(0) };
        let read = notices::mark_read(&mut *self.store.conn().await?, access.workspace.id, user).await?;
        if read > 0 {
            // The caller's other tabs show the notices gone.
            self.store.announce_now(access.workspace.id, tutti_store::changes::Topic::Notices).await?;
        }
        Ok(read)
    }
}
