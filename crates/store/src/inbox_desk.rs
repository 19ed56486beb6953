//! The desk around the inbox: saved replies, internal notes, saved views, the assignment rule.

use sqlx::Row;
use tutti_domain::AssignmentMode;

use crate::{Db, Result};

/// A saved reply: a text with variables (`{prenom}`, `{handle}`) in one language.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SavedReply {
    /// Stable identifier.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its language (`fr`, `en`; empty for any).
    pub lang: String,
    /// Its text.
    pub body: String,
}

/// The saved replies of a workspace, by name then language.
pub async fn saved_replies(db: &mut Db, workspace_id: i64) -> Result<Vec<SavedReply>> {
    let rows = sqlx::query(
        "SELECT id, name, lang, body FROM saved_replies WHERE workspace_id = $1 ORDER BY name, lang",
    )
    .bind(workspace_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SavedReply {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                lang: r.try_get("lang")?,
                body: r.try_get("body")?,
            })
        })
        .collect()
}

/// Saves a reply; a taken (name, language) is a conflict.
pub async fn insert_saved_reply(
    db: &mut Db,
    workspace_id: i64,
    name: &str,
    lang: &str,
    body: &str,
    by: Option<i64>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO saved_replies (workspace_id, name, lang, body, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(workspace_id)
    .bind(name)
    .bind(lang)
    .bind(body)
    .bind(by)
    .bind(crate::now_ms())
    .fetch_one(db)
    .await?)
}

/// An internal note on a conversation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Note {
    /// Stable identifier.
    pub id: i64,
    /// Who wrote it.
    pub author_user_id: Option<i64>,
    /// Its text.
    pub body: String,
    /// When, ms.
    pub created_at: i64,
}

/// Adds a note.
pub async fn insert_note(
    db: &mut Db,
    workspace_id: i64,
    conversation_id: i64,
    by: Option<i64>,
    body: &str,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO inbox_notes (workspace_id, conversation_id, author_user_id, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(workspace_id)
    .bind(conversation_id)
    .bind(by)
    .bind(body)
    .bind(crate::now_ms())
    .fetch_one(db)
    .await?)
}

/// The notes of a conversation, oldest first.
pub async fn notes_of(db: &mut Db, conversation_id: i64) -> Result<Vec<Note>> {
    let rows = sqlx::query("SELECT id, author_user_id, body, created_at FROM inbox_notes WHERE conversation_id = $1 ORDER BY created_at, id")
        .bind(conversation_id)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Note {
                id: r.try_get("id")?,
                author_user_id: r.try_get("author_user_id")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// A saved view: a name and the inbox's query string.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct View {
    /// Stable identifier.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The filters, as the inbox's query string.
    pub query: String,
}

/// A member's saved views in a workspace.
pub async fn views_of(db: &mut Db, workspace_id: i64, user_id: i64) -> Result<Vec<View>> {
    let rows = sqlx::query(
        "SELECT id, name, query FROM inbox_views WHERE workspace_id = $1 AND user_id = $2 ORDER BY name",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| Ok(View { id: r.try_get("id")?, name: r.try_get("name")?, query: r.try_get("query")? }))
        .collect()
}

/// Saves a view (replacing one of the same name).
pub async fn save_view(db: &mut Db, workspace_id: i64, user_id: i64, name: &str, query: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO inbox_views (workspace_id, user_id, name, query, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (workspace_id, user_id, name) DO UPDATE SET query = excluded.query",
    )
    .bind(workspace_id)
    .bind(user_id)
    .bind(name)
    .bind(query)
    .bind(crate::now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// The workspace's assignment rule (`manual` when never set) and who was assigned last.
pub async fn assignment(db: &mut Db, workspace_id: i64) -> Result<(AssignmentMode, Option<i64>)> {
    let row = sqlx::query("SELECT mode, last_user_id FROM inbox_assignment WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_optional(db)
        .await?;
    Ok(match row {
        Some(r) => (crate::word(&r, "mode")?, r.try_get("last_user_id")?),
        None => (AssignmentMode::Manual, None),
    })
}

/// Sets the assignment rule, or who was assigned last (round robin).
pub async fn set_assignment(
    db: &mut Db,
    workspace_id: i64,
    mode: AssignmentMode,
    last_user_id: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO inbox_assignment (workspace_id, mode, last_user_id, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id) DO UPDATE SET mode = excluded.mode, last_user_id = excluded.last_user_id, updated_at = excluded.updated_at",
    )
    .bind(workspace_id)
    .bind(mode.as_str())
    .bind(last_user_id)
    .bind(crate::now_ms())
    .execute(db)
    .await?;
    Ok(())
}
