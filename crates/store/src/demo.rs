//! What only the demo loader writes: the brand's past posts, dated in the past as if the
//! publisher had sent them, and the clicks their short links received. Everything else the
//! demo holds is written through the ordinary use cases and the worker.

use crate::publishing::Post;
use crate::{Db, Result};

/// A day, in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// The post whose idempotency key is `key`, if any.
pub async fn post_by_key(db: &mut Db, key: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM posts WHERE idempotency_key = $1")
        .bind(key)
        .fetch_optional(db)
        .await?)
}

/// Marks a post published at `at` under `remote_id` and `url`, written a day before (and
/// counted in the daily rollup).
pub async fn backdate_published(db: &mut Db, post: &Post, remote_id: &str, url: &str, at: i64) -> Result<()> {
    let mut tx = sqlx::Connection::begin(db).await?;
    let before = crate::analytics::rollup::share_of(&mut tx, post.id).await?;
    sqlx::query(
        "UPDATE posts SET status = 'published', remote_id = $1, remote_url = $2, published_at = $3, \
         scheduled_at = $3, attempts = 1, created_at = $4, updated_at = $3 WHERE id = $5",
    )
    .bind(remote_id)
    .bind(url)
    .bind(at)
    .bind(at - DAY_MS)
    .bind(post.id)
    .execute(&mut *tx)
    .await?;
    let after = crate::analytics::rollup::share_of(&mut tx, post.id).await?;
    crate::analytics::rollup::shift(&mut tx, before, after).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the clicks of a short link.
pub async fn set_clicks(db: &mut Db, code: &str, clicks: i64) -> Result<()> {
    sqlx::query("UPDATE short_links SET clicks = $1 WHERE code = $2")
        .bind(clicks)
        .bind(code)
        .execute(db)
        .await?;
    Ok(())
}

/// The person of a workspace who has the identity `author_id` on `network`.
pub async fn person_by_identity(
    db: &mut Db,
    workspace_id: i64,
    network: &str,
    author_id: &str,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT person_id FROM person_identities WHERE workspace_id = $1 AND network = $2 AND author_id = $3",
    )
    .bind(workspace_id)
    .bind(network)
    .bind(author_id)
    .fetch_optional(db)
    .await?)
}

/// Marks the conversations the demo's team already handled (closed or waiting for the person,
/// begun before `before`) as answered: the first answer a few minutes to a few hours after the
/// first message (the same for the same conversation on every run), by the assignee or, when
/// there is none, one of `members` in turn. Returns how many.
pub async fn answer_handled(db: &mut Db, workspace_id: i64, before: i64, members: &[i64]) -> Result<u64> {
    let mut n = 0;
    for (i, member) in members.iter().enumerate() {
        n += sqlx::query(
            "UPDATE conversations SET first_response_at = first_item_at + ((id * 7919) % 235 + 6) * 60000, \
             assignee_user_id = COALESCE(assignee_user_id, $1) \
             WHERE workspace_id = $2 AND first_item_at < $3 AND first_response_at IS NULL \
             AND status IN ('closed', 'pending') AND kind IN ('reply', 'mention', 'quote', 'dm') \
             AND id % $4 = $5",
        )
        .bind(member)
        .bind(workspace_id)
        .bind(before)
        .bind(members.len() as i64)
        .bind(i as i64)
        .execute(&mut *db)
        .await?
        .rows_affected();
    }
    Ok(n)
}
