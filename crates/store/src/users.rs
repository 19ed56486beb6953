//! User accounts.

use sqlx::Row;

use crate::{Db, Result, StoreError};

/// A user account as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// Stable identifier.
    pub id: i64,
    /// Lower-cased e-mail address, unique.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Instance administrator: may create workspaces and accounts, and act in every workspace.
    pub is_admin: bool,
    /// Preferred interface language (`fr`, `en`), or none to follow the browser.
    pub locale: Option<String>,
    /// IANA time zone for dates shown to this user.
    pub timezone: String,
    /// Whether the account has a password yet (an invited person sets it on first visit).
    pub active: bool,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Whether the account signs in with a second factor (TOTP).
    pub two_factor: bool,
}

const BASE_COLUMNS: &str = "id, email, name, is_admin, locale, timezone, CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS active, created_at";
const COLUMNS: &str = "id, email, name, is_admin, locale, timezone, CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS active, created_at, \
     (SELECT COUNT(*) FROM user_totp t WHERE t.user_id = users.id AND t.enabled_at IS NOT NULL) AS two_factor";

fn from_row(row: &sqlx::any::AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
        locale: row.try_get("locale")?,
        timezone: row.try_get("timezone")?,
        active: row.try_get::<i64, _>("active")? != 0,
        created_at: row.try_get("created_at")?,
        two_factor: row.try_get::<i64, _>("two_factor")? != 0,
    })
}

/// A new account.
#[derive(Debug)]
pub struct NewUser<'a> {
    /// Normalised e-mail.
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Argon2id PHC string, or none for an invited account.
    pub password_hash: Option<&'a str>,
    /// Instance administrator.
    pub is_admin: bool,
    /// Time zone.
    pub timezone: &'a str,
}

/// Inserts an account; a taken e-mail is a [`StoreError::Conflict`].
pub async fn insert(db: &mut Db, new: &NewUser<'_>) -> Result<User> {
    let row = sqlx::query(&format!(
        "INSERT INTO users (email, name, password_hash, is_admin, timezone, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {BASE_COLUMNS}, 0 AS two_factor"
    ))
    .bind(new.email)
    .bind(new.name)
    .bind(new.password_hash)
    .bind(new.is_admin as i64)
    .bind(new.timezone)
    .bind(crate::now_ms())
    .fetch_one(db)
    .await?;
    from_row(&row)
}

/// The account with this e-mail.
pub async fn by_email(db: &mut Db, email: &str) -> Result<User> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
        .bind(email)
        .fetch_one(db)
        .await?;
    from_row(&row)
}

/// The account with this id.
pub async fn by_id(db: &mut Db, id: i64) -> Result<User> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1")).bind(id).fetch_one(db).await?;
    from_row(&row)
}

/// The password hash of an account, if it has one.
pub async fn password_hash(db: &mut Db, id: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1").bind(id).fetch_one(db).await?)
}

/// Every account, by e-mail.
pub async fn list(db: &mut Db) -> Result<Vec<User>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY email")).fetch_all(db).await?;
    rows.iter().map(from_row).collect()
}

/// How many accounts exist.
pub async fn count(db: &mut Db) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(db).await?)
}

/// Sets the password (and so activates an invited account).
pub async fn set_password(db: &mut Db, id: i64, hash: &str) -> Result<()> {
    affected(
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(db)
            .await?,
    )
}

/// Sets the first password of an invited account; `NotFound` if it has one already (an
/// invitation never replaces a password).
pub async fn set_first_password(db: &mut Db, id: i64, hash: &str) -> Result<()> {
    affected(
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash IS NULL")
            .bind(hash)
            .bind(id)
            .execute(db)
            .await?,
    )
}

/// Updates name, language and time zone.
pub async fn set_profile(
    db: &mut Db,
    id: i64,
    name: &str,
    locale: Option<&str>,
    timezone: &str,
) -> Result<()> {
    affected(
        sqlx::query("UPDATE users SET name = $1, locale = $2, timezone = $3 WHERE id = $4")
            .bind(name)
            .bind(locale)
            .bind(timezone)
            .bind(id)
            .execute(db)
            .await?,
    )
}

pub(crate) fn affected(result: sqlx::any::AnyQueryResult) -> Result<()> {
    if result.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
