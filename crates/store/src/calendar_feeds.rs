//! The secret iCalendar feed of each workspace: one token per workspace, stored hashed.

use crate::{Db, Result};

/// Replaces the workspace's feed token (its hash).
pub async fn set(db: &mut Db, workspace_id: i64, token_hash: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO calendar_feeds (workspace_id, token_hash, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at",
    )
    .bind(workspace_id)
    .bind(token_hash)
    .bind(crate::now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// The workspace whose feed token has this hash.
pub async fn workspace_of(db: &mut Db, token_hash: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT workspace_id FROM calendar_feeds WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(db)
        .await?)
}
