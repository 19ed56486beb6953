//! Notices to members: something in a workspace needs a person's attention (a channel whose
//! credentials the network refused). Shown in the app until read, and sent by e-mail.

use sqlx::Row;

use crate::{Db, Result};

/// A notice to one member.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Notice {
    /// Stable identifier.
    pub id: i64,
    /// Its workspace.
    pub workspace_id: i64,
    /// Who it is for.
    pub user_id: i64,
    /// What happened (`channel_reconnect`); the reader's language says it.
    pub kind: String,
    /// What it is about (a channel's handle).
    pub subject: String,
    /// More, in the words of whoever said it (the network's message).
    pub detail: String,
    /// Where to act, a path in the app.
    pub link: String,
    /// When, ms.
    pub created_at: i64,
    /// When it was read, ms.
    pub read_at: Option<i64>,
}

const COLUMNS: &str = "id, workspace_id, user_id, kind, subject, detail, link, created_at, read_at";

fn notice(r: &sqlx::any::AnyRow) -> Result<Notice> {
    Ok(Notice {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        user_id: r.try_get("user_id")?,
        kind: r.try_get("kind")?,
        subject: r.try_get("subject")?,
        detail: r.try_get("detail")?,
        link: r.try_get("link")?,
        created_at: r.try_get("created_at")?,
        read_at: r.try_get("read_at")?,
    })
}

/// A notice to add.
#[derive(Debug, Clone)]
pub struct NewNotice<'a> {
    /// Its workspace.
    pub workspace_id: i64,
    /// Who it is for.
    pub user_id: i64,
    /// What happened.
    pub kind: &'a str,
    /// What it is about.
    pub subject: &'a str,
    /// More.
    pub detail: &'a str,
    /// Where to act.
    pub link: &'a str,
}

/// Adds a notice; returns its id.
pub async fn insert(db: &mut Db, n: &NewNotice<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO notices (workspace_id, user_id, kind, subject, detail, link, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(n.workspace_id)
    .bind(n.user_id)
    .bind(n.kind)
    .bind(n.subject)
    .bind(n.detail)
    .bind(n.link)
    .bind(crate::now_ms())
    .fetch_one(db)
    .await?)
}

/// One notice.
pub async fn by_id(db: &mut Db, id: i64) -> Result<Notice> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM notices WHERE id = $1")).bind(id).fetch_one(db).await?;
    notice(&row)
}

/// The unread notices of a member in a workspace, newest first.
pub async fn unread(db: &mut Db, workspace_id: i64, user_id: i64, limit: i64) -> Result<Vec<Notice>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notices WHERE workspace_id = $1 AND user_id = $2 AND read_at IS NULL \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    ))
    .bind(workspace_id)
    .bind(user_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(notice).collect()
}

/// Marks every notice of a member in a workspace read; returns how many were unread.
pub async fn mark_read(db: &mut Db, workspace_id: i64, user_id: i64) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE notices SET read_at = $1 WHERE workspace_id = $2 AND user_id = $3 AND read_at IS NULL",
    )
    .bind(crate::now_ms())
    .bind(workspace_id)
    .bind(user_id)
    .execute(db)
    .await?
    .rows_affected())
}
