//! Two-factor sign-in: each account's TOTP secret (sealed by the app with the key ring), its
//! one-time recovery codes (hashed), and the challenges of sign-ins waiting for their code.

use sqlx::Row;

use crate::users::affected;
use crate::{Db, Result};

/// An account's TOTP secret as stored.
#[derive(Debug, Clone)]
pub struct StoredTotp {
    /// The id of the key that sealed the secret.
    pub key_id: String,
    /// The sealed secret.
    pub sealed: String,
    /// Whether the person confirmed a first code (until then, sign-in does not ask for one).
    pub enabled: bool,
    /// The last time step accepted.
    pub last_step: i64,
}

/// The TOTP secret of an account, if it has one (enabled or waiting for confirmation).
pub async fn totp(db: &mut Db, user_id: i64) -> Result<Option<StoredTotp>> {
    let row = sqlx::query("SELECT key_id, sealed, enabled_at, last_step FROM user_totp WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    row.map(|r| {
        Ok(StoredTotp {
            key_id: r.try_get("key_id")?,
            sealed: r.try_get("sealed")?,
            enabled: r.try_get::<Option<i64>, _>("enabled_at")?.is_some(),
            last_step: r.try_get("last_step")?,
        })
    })
    .transpose()
}

/// Every stored TOTP secret: (account, key id, sealed secret), for a key rotation.
pub async fn all_totp(db: &mut Db) -> Result<Vec<(i64, String, String)>> {
    let rows =
        sqlx::query("SELECT user_id, key_id, sealed FROM user_totp ORDER BY user_id").fetch_all(db).await?;
    rows.iter().map(|r| Ok((r.try_get("user_id")?, r.try_get("key_id")?, r.try_get("sealed")?))).collect()
}

/// Replaces a TOTP secret's seal (same secret, another key).
pub async fn reseal_totp(db: &mut Db, user_id: i64, key_id: &str, sealed: &str) -> Result<()> {
    affected(
        sqlx::query("UPDATE user_totp SET key_id = $1, sealed = $2 WHERE user_id = $3")
            .bind(key_id)
            .bind(sealed)
            .bind(user_id)
            .execute(db)
            .await?,
    )
}

/// Stores a new secret waiting for confirmation; `NotFound` if two-factor sign-in is already on
/// (it must be turned off, with a code, before a new secret replaces it).
pub async fn set_pending_totp(db: &mut Db, user_id: i64, key_id: &str, sealed: &str) -> Result<()> {
    affected(
        sqlx::query(
            "INSERT INTO user_totp (user_id, key_id, sealed, created_at, last_step) VALUES ($1, $2, $3, $4, 0) \
             ON CONFLICT (user_id) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, \
             created_at = excluded.created_at, last_step = 0 WHERE user_totp.enabled_at IS NULL",
        )
        .bind(user_id)
        .bind(key_id)
        .bind(sealed)
        .bind(crate::now_ms())
        .execute(db)
        .await?,
    )
}

/// Turns two-factor sign-in on after a first code (of time step `step`) was confirmed.
pub async fn enable_totp(db: &mut Db, user_id: i64, step: i64) -> Result<()> {
    affected(
        sqlx::query(
            "UPDATE user_totp SET enabled_at = $1, last_step = $2 WHERE user_id = $3 AND enabled_at IS NULL",
        )
        .bind(crate::now_ms())
        .bind(step)
        .bind(user_id)
        .execute(db)
        .await?,
    )
}

/// Records that the code of time step `step` was used; `false` if that step (or a later one)
/// was used already, so that a code is accepted once.
pub async fn use_totp_step(db: &mut Db, user_id: i64, step: i64) -> Result<bool> {
    Ok(sqlx::query("UPDATE user_totp SET last_step = $1 WHERE user_id = $2 AND last_step < $1")
        .bind(step)
        .bind(user_id)
        .execute(db)
        .await?
        .rows_affected()
        == 1)
}

/// Turns two-factor sign-in off: the secret and the recovery codes are deleted.
pub async fn delete_totp(db: &mut Db, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *db).await?;
    sqlx::query("DELETE FROM user_totp WHERE user_id = $1").bind(user_id).execute(db).await?;
    Ok(())
}

/// Replaces an account's recovery codes with these hashes.
pub async fn replace_recovery_codes(db: &mut Db, user_id: i64, hashes: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *db).await?;
    for hash in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(hash)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// Uses a recovery code; `false` if it is unknown or was used.
pub async fn use_recovery_code(db: &mut Db, user_id: i64, hash: &str) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(crate::now_ms())
    .bind(user_id)
    .bind(hash)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// How many unused recovery codes an account has left.
pub async fn recovery_codes_left(db: &mut Db, user_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(db)
        .await?)
}

/// Stores the challenge of a sign-in whose password was right and whose code is awaited.
pub async fn insert_challenge(db: &mut Db, token_hash: &str, user_id: i64, expires_at: i64) -> Result<()> {
    sqlx::query("INSERT INTO two_factor_challenges (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash)
        .bind(user_id)
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// The account of a live challenge.
pub async fn challenge_user(db: &mut Db, token_hash: &str, now: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT user_id FROM two_factor_challenges WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db)
    .await?)
}

/// Ends a challenge (answered); `NotFound` if it was answered meanwhile.
pub async fn delete_challenge(db: &mut Db, token_hash: &str) -> Result<()> {
    affected(
        sqlx::query("DELETE FROM two_factor_challenges WHERE token_hash = $1")
            .bind(token_hash)
            .execute(db)
            .await?,
    )
}
