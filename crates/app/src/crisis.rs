//! Crisis mode: one action pauses the workspace's outgoing voice while the team handles a
//! crisis, one action ends it. The SMM is the crisis referent, so only SMMs and admins may
//! switch it; both switches are audited.

use serde_json::json;
use tutti_domain::Action;
use tutti_store::alerts::{self, Crisis};
use tutti_store::StoreError;

use crate::accounts::record;
use crate::{Actor, App, AppError};

impl App {
    /// The workspace's crisis mode, if it is on.
    pub async fn crisis(&self, actor: &Actor, slug: &str) -> Result<Option<Crisis>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewWorkspace).await?;
        Ok(alerts::crisis(&mut *self.store.conn().await?, access.workspace.id).await?)
    }

    /// Turns crisis mode on or off. Returns whether anything changed (turning on a crisis
    /// that is already on changes nothing and writes no audit entry).
    pub async fn set_crisis(
        &self,
        actor: &Actor,
        slug: &str,
        on: bool,
        reason: &str,
    ) -> Result<bool, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageCrisis).await?;
        let reason: String = reason.trim().chars().filter(|c| !c.is_control()).take(500).collect();
        let mut tx = self.store.begin().await?;
        let changed = if on {
            alerts::start_crisis(&mut tx, access.workspace.id, actor.user_id(), &reason).await?
        } else {
            alerts::end_crisis(&mut tx, access.workspace.id).await?
        };
        if changed {
            let action = if on { "crisis.on" } else { "crisis.off" };
            record(
                &mut tx,
                actor,
                Some(access.workspace.id),
                action,
                &access.workspace.name,
                None,
                Some(json!({"reason": reason})),
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(changed)
    }
}
