//! Moving posts through review: a post in review is approved (scheduled) or sent back to its
//! author as a draft with a comment.

use tutti_domain::PostStatus;

use crate::{Db, Result};

/// Moves a post of `workspace_id` from `from` to `to`, keeping `note` in its `error` field
/// (the comment of a post sent back; none clears it); returns whether it moved.
pub async fn move_post(
    db: &mut Db,
    workspace_id: i64,
    id: i64,
    from: PostStatus,
    to: PostStatus,
    note: Option<&str>,
) -> Result<bool> {
    let now = crate::now_ms();
    let n = sqlx::query(
        "UPDATE posts SET status = $1, error = $2, next_attempt_at = COALESCE(scheduled_at, $3), updated_at = $3 \
         WHERE id = $4 AND workspace_id = $5 AND status = $6",
    )
    .bind(to.as_str())
    .bind(note)
    .bind(now)
    .bind(id)
    .bind(workspace_id)
    .bind(from.as_str())
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Replaces the text of a post of `workspace_id` still in review (the approver's edit);
/// returns whether it did.
pub async fn set_text(db: &mut Db, workspace_id: i64, id: i64, text: &str) -> Result<bool> {
    let n = sqlx::query("UPDATE posts SET text = $1, updated_at = $2 WHERE id = $3 AND workspace_id = $4 AND status = 'in_review'")
        .bind(text)
        .bind(crate::now_ms())
        .bind(id)
        .bind(workspace_id)
        .execute(db)
        .await?
        .rows_affected();
    Ok(n == 1)
}
