//! The append-only audit log: who changed what, when, with the state before and after.
//!
//! The schema refuses `UPDATE` and `DELETE` on this table (a trigger on both backends), so an
//! entry, once written, stays as it was.

use sqlx::Row;

use crate::{Db, Result};

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// Order of the entry.
    pub id: i64,
    /// When, ms since the epoch.
    pub at: i64,
    /// The account that acted, if a person did.
    pub actor_user_id: Option<i64>,
    /// Who acted, as shown: an e-mail, or `cli` / `system`.
    pub actor: String,
    /// The workspace concerned, if any.
    pub workspace_id: Option<i64>,
    /// What happened (`member.add`, `workspace.create`, …).
    pub action: String,
    /// What it happened to (an e-mail, a slug, a token name).
    pub target: String,
    /// JSON of the state before, if there was one.
    pub before: Option<String>,
    /// JSON of the state after, if there is one.
    pub after: Option<String>,
}

/// A change to record.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    /// The account that acted.
    pub actor_user_id: Option<i64>,
    /// Who acted, as shown.
    pub actor: &'a str,
    /// The workspace concerned.
    pub workspace_id: Option<i64>,
    /// What happened.
    pub action: &'a str,
    /// What it happened to.
    pub target: &'a str,
    /// State before.
    pub before: Option<serde_json::Value>,
    /// State after.
    pub after: Option<serde_json::Value>,
}

/// Appends an entry.
pub async fn append(db: &mut Db, entry: &NewAuditEntry<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_user_id, actor, workspace_id, action, target, before_state, after_state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(crate::now_ms())
    .bind(entry.actor_user_id)
    .bind(entry.actor)
    .bind(entry.workspace_id)
    .bind(entry.action)
    .bind(entry.target)
    .bind(entry.before.as_ref().map(|v| v.to_string()))
    .bind(entry.after.as_ref().map(|v| v.to_string()))
    .execute(db)
    .await?;
    Ok(())
}

/// What to show of the log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this workspace (and nothing instance-wide) when set.
    pub workspace_id: Option<i64>,
    /// Only actions starting with this text (`member.` for every membership change).
    pub action_prefix: Option<String>,
    /// Only entries whose actor contains this text.
    pub actor_contains: Option<String>,
    /// Only entries at or after this time.
    pub from: Option<i64>,
    /// Only entries before this time.
    pub to: Option<i64>,
    /// Only entries older than this id (for paging).
    pub before_id: Option<i64>,
    /// At most this many entries.
    pub limit: i64,
}

/// Entries matching the filter, newest first.
pub async fn list(db: &mut Db, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
    // Each optional condition is written so that a NULL parameter switches it off; the SQL is
    // then the same text for every filter, and the same on both backends.
    let rows = sqlx::query(
        "SELECT id, at, actor_user_id, actor, workspace_id, action, target, before_state, after_state \
         FROM audit_log WHERE \
         ($1 IS NULL OR workspace_id = $1) AND \
         ($2 IS NULL OR action LIKE $2) AND \
         ($3 IS NULL OR LOWER(actor) LIKE $3) AND \
         ($4 IS NULL OR at >= $4) AND \
         ($5 IS NULL OR at < $5) AND \
         ($6 IS NULL OR id < $6) \
         ORDER BY id DESC LIMIT $7",
    )
    .bind(filter.workspace_id)
    .bind(filter.action_prefix.as_ref().map(|p| format!("{}%", escape_like(p))))
    .bind(filter.actor_contains.as_ref().map(|p| format!("%{}%", escape_like(&p.to_lowercase()))))
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.before_id)
    .bind(filter.limit.clamp(1, 500))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor_user_id: r.try_get("actor_user_id")?,
                actor: r.try_get("actor")?,
                workspace_id: r.try_get("workspace_id")?,
                action: r.try_get("action")?,
                target: r.try_get("target")?,
                before: r.try_get("before_state")?,
                after: r.try_get("after_state")?,
            })
        })
        .collect()
}

/// LIKE wildcards in user text match themselves.
fn escape_like(text: &str) -> String {
    text.replace(['%', '_'], "")
}
