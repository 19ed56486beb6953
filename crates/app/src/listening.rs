//! Listening: the saved queries of a workspace and the mentions they matched.

use serde_json::json;
use tutti_domain::{Action, DisplayName, InputError};
use tutti_store::listening::{self, Mention, SavedQuery};
use tutti_store::StoreError;

use crate::accounts::record;
use crate::{Actor, App, AppError};

/// Whether a query follows the brand or a competitor (for share of voice).
pub const QUERY_KINDS: [&str; 2] = ["brand", "competitor"];

impl App {
    /// Saves a listening query after checking its syntax; a malformed query is refused with
    /// the column at fault (`query: col 17: NEAR needs a term on both sides`).
    pub async fn add_query(
        &self,
        actor: &Actor,
        slug: &str,
        name: &str,
        query: &str,
        kind: &str,
    ) -> Result<SavedQuery, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageListening).await?;
        let name = DisplayName::parse(name, "name")?;
        let parsed = tutti_listen::Query::parse(query)
            .map_err(|e| InputError::new("query", "query_invalid", e.to_string()))?;
        let kind = kind.trim().to_ascii_lowercase();
        if !QUERY_KINDS.contains(&kind.as_str()) {
            return Err(InputError::new(
                "kind",
                "query_kind_unknown",
                "the kind must be brand or competitor",
            )
            .into());
        }
        let mut tx = self.store.begin().await?;
        let saved =
            listening::insert_query(&mut tx, access.workspace.id, name.as_str(), parsed.as_str(), &kind)
                .await
                .map_err(|e| match e {
                    StoreError::Conflict { .. } => AppError::Conflict(InputError::new(
                        "name",
                        "query_name_taken",
                        format!("a query is already called {:?} in this workspace", name.as_str()),
                    )),
                    other => other.into(),
                })?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "listening.query.add",
            name.as_str(),
            None,
            Some(json!({"query": saved.query, "kind": saved.kind})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(saved)
    }

    /// The listening queries of a workspace.
    pub async fn list_queries(&self, actor: &Actor, slug: &str) -> Result<Vec<SavedQuery>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewListening).await?;
        Ok(listening::queries_of(&mut *self.store.conn().await?, access.workspace.id).await?)
    }

    /// One of the workspace's queries and its latest mentions.
    pub async fn mentions(
        &self,
        actor: &Actor,
        slug: &str,
        query_id: i64,
        limit: i64,
    ) -> Result<(SavedQuery, Vec<Mention>), AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewListening).await?;
        let mut db = self.store.conn().await?;
        let query = listening::queries_of(&mut db, access.workspace.id)
            .await?
            .into_iter()
            .find(|q| q.id == query_id)
            .ok_or(AppError::NotFound("query"))?;
        let mentions = listening::mentions_of(&mut db, query_id, limit).await?;
        Ok((query, mentions))
    }
}
