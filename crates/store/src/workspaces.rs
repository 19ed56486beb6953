//! Organisations, brand workspaces and their memberships.

use sqlx::Row;
use tutti_domain::Role;

use crate::users::affected;
use crate::{Db, Result, StoreError};

/// A brand workspace.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Workspace {
    /// Stable identifier.
    pub id: i64,
    /// URL identifier, unique.
    pub slug: String,
    /// Display name, unique within the organisation.
    pub name: String,
    /// IANA time zone the calendar and reports use.
    pub timezone: String,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Whether its members must sign in with a second factor.
    pub require_two_factor: bool,
}

/// A member of a workspace, with their role.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    /// The member's account id.
    pub user_id: i64,
    /// Their e-mail.
    pub email: String,
    /// Their display name.
    pub name: String,
    /// Their role in this workspace.
    pub role: Role,
    /// Whether they have signed in at least once (set a password).
    pub active: bool,
    /// When they joined, ms since the epoch.
    pub joined_at: i64,
}

fn workspace(row: &sqlx::any::AnyRow) -> Result<Workspace> {
    Ok(Workspace {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        timezone: row.try_get("timezone")?,
        created_at: row.try_get("created_at")?,
        require_two_factor: row.try_get::<i64, _>("require_two_factor")? != 0,
    })
}

fn role(value: &str) -> Result<Role> {
    Role::parse(value, "role").map_err(|e| StoreError::Other(sqlx::Error::Decode(e.message.into())))
}

fn member_row(row: &sqlx::any::AnyRow) -> Result<Member> {
    Ok(Member {
        user_id: row.try_get("user_id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: role(row.try_get("role")?)?,
        active: row.try_get::<i64, _>("active")? != 0,
        joined_at: row.try_get("created_at")?,
    })
}

/// The organisation that holds the workspaces, created on first use.
pub async fn default_organisation(db: &mut Db, name: &str) -> Result<i64> {
    if let Some(id) = sqlx::query_scalar("SELECT id FROM organisations ORDER BY id LIMIT 1")
        .fetch_optional(&mut *db)
        .await?
    {
        return Ok(id);
    }
    Ok(sqlx::query_scalar("INSERT INTO organisations (name, created_at) VALUES ($1, $2) RETURNING id")
        .bind(name)
        .bind(crate::now_ms())
        .fetch_one(db)
        .await?)
}

/// Inserts a workspace; a taken name or slug is a [`StoreError::Conflict`]. Its daily rollup of
/// posts is built (empty) in its time zone.
pub async fn insert(
    db: &mut Db,
    organisation_id: i64,
    slug: &str,
    name: &str,
    timezone: &str,
) -> Result<Workspace> {
    let row = sqlx::query(
        "INSERT INTO workspaces (organisation_id, slug, name, timezone, created_at, post_days_zone) \
         VALUES ($1, $2, $3, $4, $5, $4) RETURNING id, slug, name, timezone, created_at, require_two_factor",
    )
    .bind(organisation_id)
    .bind(slug)
    .bind(name)
    .bind(timezone)
    .bind(crate::now_ms())
    .fetch_one(db)
    .await?;
    workspace(&row)
}

/// Whether a workspace already uses this slug.
pub async fn slug_taken(db: &mut Db, slug: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workspaces WHERE slug = $1")
        .bind(slug)
        .fetch_one(db)
        .await?;
    Ok(n > 0)
}

/// Whether a workspace already uses this name (case-insensitive).
///
/// The names are compared here rather than with SQL `LOWER()`, which folds only ASCII letters
/// on SQLite (`LUMIÈRE` stays `lumiÈre`) and depends on the collation on PostgreSQL.
pub async fn name_taken(db: &mut Db, name: &str) -> Result<bool> {
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM workspaces").fetch_all(db).await?;
    let wanted = name.to_lowercase();
    Ok(names.iter().any(|n| n.to_lowercase() == wanted))
}

/// The workspace with this slug.
pub async fn by_slug(db: &mut Db, slug: &str) -> Result<Workspace> {
    let row = sqlx::query(
        "SELECT id, slug, name, timezone, created_at, require_two_factor FROM workspaces WHERE slug = $1",
    )
    .bind(slug)
    .fetch_one(db)
    .await?;
    workspace(&row)
}

/// The workspace with this id.
pub async fn by_id(db: &mut Db, id: i64) -> Result<Workspace> {
    let row = sqlx::query(
        "SELECT id, slug, name, timezone, created_at, require_two_factor FROM workspaces WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db)
    .await?;
    workspace(&row)
}

/// Every workspace, by name.
pub async fn list(db: &mut Db) -> Result<Vec<Workspace>> {
    let rows = sqlx::query(
        "SELECT id, slug, name, timezone, created_at, require_two_factor FROM workspaces ORDER BY name",
    )
    .fetch_all(db)
    .await?;
    rows.iter().map(workspace).collect()
}

/// The workspaces a user belongs to, with their role, by name.
pub async fn list_for_user(db: &mut Db, user_id: i64) -> Result<Vec<(Workspace, Role)>> {
    let rows = sqlx::query(
        "SELECT w.id, w.slug, w.name, w.timezone, w.created_at, w.require_two_factor, m.role FROM workspaces w \
         JOIN memberships m ON m.workspace_id = w.id WHERE m.user_id = $1 ORDER BY w.name",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| Ok((workspace(r)?, role(r.try_get("role")?)?))).collect()
}

const MEMBER_SELECT: &str = "SELECT m.user_id, u.email, u.name, m.role, m.created_at, \
     CASE WHEN u.password_hash IS NULL THEN 0 ELSE 1 END AS active \
     FROM memberships m JOIN users u ON u.id = m.user_id";

/// The members of a workspace, by name.
pub async fn members(db: &mut Db, workspace_id: i64) -> Result<Vec<Member>> {
    let rows = sqlx::query(&format!("{MEMBER_SELECT} WHERE m.workspace_id = $1 ORDER BY u.name, u.email"))
        .bind(workspace_id)
        .fetch_all(db)
        .await?;
    rows.iter().map(member_row).collect()
}

/// One member of a workspace.
pub async fn member(db: &mut Db, workspace_id: i64, user_id: i64) -> Result<Member> {
    let row = sqlx::query(&format!("{MEMBER_SELECT} WHERE m.workspace_id = $1 AND m.user_id = $2"))
        .bind(workspace_id)
        .bind(user_id)
        .fetch_one(db)
        .await?;
    member_row(&row)
}

/// Adds a member; an existing membership is a [`StoreError::Conflict`].
pub async fn add_member(db: &mut Db, workspace_id: i64, user_id: i64, role: Role) -> Result<()> {
    sqlx::query("INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(workspace_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(crate::now_ms())
        .execute(db)
        .await?;
    Ok(())
}

/// Changes a member's role.
pub async fn set_role(db: &mut Db, workspace_id: i64, user_id: i64, role: Role) -> Result<()> {
    affected(
        sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(workspace_id)
            .bind(user_id)
            .execute(db)
            .await?,
    )
}

/// Removes a member.
pub async fn remove_member(db: &mut Db, workspace_id: i64, user_id: i64) -> Result<()> {
    affected(
        sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace_id)
            .bind(user_id)
            .execute(db)
            .await?,
    )
}

/// How many members of a workspace hold the admin role.
pub async fn admin_count(db: &mut Db, workspace_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'admin'")
        .bind(workspace_id)
        .fetch_one(db)
        .await?)
}

/// Requires (or stops requiring) two-factor sign-in of a workspace's members.
pub async fn set_require_two_factor(db: &mut Db, workspace_id: i64, required: bool) -> Result<()> {
    crate::users::affected(
        sqlx::query("UPDATE workspaces SET require_two_factor = $1 WHERE id = $2")
            .bind(i64::from(required))
            .bind(workspace_id)
            .execute(db)
            .await?,
    )
}
