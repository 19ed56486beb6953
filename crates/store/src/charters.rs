//! The editorial charter of each workspace, stored as the JSON document the charter checks
//! read. This module stores and returns the text; reading it is the use cases' business.

use crate::{Db, Result};

/// The charter of a workspace as stored (JSON), or `None` when it never saved one.
pub async fn charter_of(db: &mut Db, workspace_id: i64) -> Result<Option<String>> {
    let json: Option<String> = sqlx::query_scalar("SELECT charter FROM charters WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_optional(db)
        .await?;
    Ok(json)
}

/// Saves the charter of a workspace (JSON), replacing the one it had.
pub async fn save(db: &mut Db, workspace_id: i64, json: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO charters (workspace_id, charter, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id) DO UPDATE SET charter = excluded.charter, updated_at = excluded.updated_at",
    )
    .bind(workspace_id)
    .bind(json)
    .bind(crate::now_ms())
    .execute(db)
    .await?;
    Ok(())
}
