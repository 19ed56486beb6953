//! Short links: the links of posts, sent through Tutti's own redirect (`/l/{code}`), which
//! counts each click in one atomic statement.

use sqlx::Row;

use crate::{Db, Result};

/// A short link and its clicks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ShortLink {
    /// The code in `/l/{code}`.
    pub code: String,
    /// Its workspace.
    pub workspace_id: i64,
    /// The post it was made for (none once the post is deleted).
    pub post_id: Option<i64>,
    /// Where it leads.
    pub url: String,
    /// Clicks so far.
    pub clicks: i64,
    /// Creation time, ms.
    pub created_at: i64,
}

const COLUMNS: &str = "code, workspace_id, post_id, url, clicks, created_at";

fn link(r: &sqlx::any::AnyRow) -> Result<ShortLink> {
    Ok(ShortLink {
        code: r.try_get("code")?,
        workspace_id: r.try_get("workspace_id")?,
        post_id: r.try_get("post_id")?,
        url: r.try_get("url")?,
        clicks: r.try_get("clicks")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Saves a short link; returns `false`, writing nothing, when the code is taken (so that the
/// caller draws another code without aborting its transaction).
pub async fn insert(
    db: &mut Db,
    code: &str,
    workspace_id: i64,
    post_id: Option<i64>,
    url: &str,
) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO short_links (code, workspace_id, post_id, url, clicks, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (code) DO NOTHING",
    )
    .bind(code)
    .bind(workspace_id)
    .bind(post_id)
    .bind(url)
    .bind(crate::now_ms())
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Counts one click on `code` and returns where it leads, in one statement; none for an
/// unknown code.
pub async fn resolve_and_count(db: &mut Db, code: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("UPDATE short_links SET clicks = clicks + 1 WHERE code = $1 RETURNING url")
        .bind(code)
        .fetch_optional(db)
        .await?)
}

/// One short link.
pub async fn by_code(db: &mut Db, code: &str) -> Result<Option<ShortLink>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM short_links WHERE code = $1"))
        .bind(code)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(link).transpose()
}

/// The short links of a workspace, newest first.
pub async fn of_workspace(db: &mut Db, workspace_id: i64) -> Result<Vec<ShortLink>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM short_links WHERE workspace_id = $1 ORDER BY created_at DESC, code"
    ))
    .bind(workspace_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(link).collect()
}

/// The short links of a post, by code.
pub async fn of_post(db: &mut Db, post_id: i64) -> Result<Vec<ShortLink>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM short_links WHERE post_id = $1 ORDER BY code"))
        .bind(post_id)
        .fetch_all(db)
        .await?;
    rows.iter().map(link).collect()
}

/// Ties a short link to the post it was made for.
pub async fn set_post(db: &mut Db, code: &str, post_id: i64) -> Result<()> {
    sqlx::query("UPDATE short_links SET post_id = $1 WHERE code = $2")
        .bind(post_id)
        .bind(code)
        .execute(db)
        .await?;
    Ok(())
}
