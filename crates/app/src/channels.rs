//! Reconnecting a channel whose credentials the network refused: new credentials, sealed, and
//! the channel is back to `ok`, so that the posts that waited for it go out; and finding a
//! channel by the name a person gives it.

use serde_json::json;
use tutti_domain::{Action, ChannelStatus, InputError};
use tutti_store::publishing::{self, Channel};
use tutti_store::StoreError;

use crate::accounts::record;
use crate::secrets::Keyring;
use crate::{Actor, App, AppError};

impl App {
    /// Replaces a channel's credentials (checked with the network by the caller) and marks it
    /// `ok` again. Only SMMs and admins, as for connecting.
    pub async fn reconnect_channel(
        &self,
        actor: &Actor,
        keys: &Keyring,
        slug: &str,
        handle: &str,
        secret: &str,
    ) -> Result<Channel, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageChannels).await?;
        let channels = publishing::channels_of(&mut *self.store.conn().await?, access.workspace.id).await?;
        let wanted = handle.trim().trim_start_matches('@');
        let channel = find_channel(&channels, wanted).cloned().ok_or_else(|| {
            InputError::new("handle", "channel_unknown", format!("no channel {wanted:?} in this workspace"))
        })?;
        let (key_id, sealed) = keys.seal(secret);
        let mut tx = self.store.begin().await?;
        publishing::set_credentials(&mut tx, channel.id, &sealed, &key_id).await?;
        publishing::set_channel_status(&mut tx, channel.id, ChannelStatus::Ok, None).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "channel.reconnect",
            &channel.handle,
            Some(json!({"status": channel.status})),
            None,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(publishing::channel_by_id(&mut *self.store.conn().await?, channel.id).await?)
    }
}

/// The channel a post names (handle, `@handle` or id) among a workspace's channels.
pub fn find_channel<'a>(channels: &'a [Channel], wanted: &str) -> Option<&'a Channel> {
    let wanted = wanted.trim();
    channels.iter().find(|c| {
        c.handle == wanted
            || c.handle.trim_start_matches('@') == wanted.trim_start_matches('@')
            || c.id.to_string() == wanted
    })
}
