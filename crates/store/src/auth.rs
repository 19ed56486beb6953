//! Secrets that let someone in: sessions, API tokens, invitations, the first-run setup token,
//! and the record of failed sign-ins used for rate limiting.
//!
//! Only SHA-256 hashes of the secrets are stored; the secrets themselves are shown once.

use sqlx::Row;

use crate::users::affected;
use crate::{Db, Result};

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The account.
    pub user_id: i64,
    /// The token that state-changing forms of this session must carry.
    pub csrf_token: String,
}

/// Stores a new session.
pub async fn insert_session(
    db: &mut Db,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(crate::now_ms())
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// The live (unexpired) session with this token hash.
pub async fn session(db: &mut Db, token_hash: &str, now: i64) -> Result<Session> {
    let row =
        sqlx::query("SELECT user_id, csrf_token FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_one(db)
            .await?;
    Ok(Session { user_id: row.try_get("user_id")?, csrf_token: row.try_get("csrf_token")? })
}

/// Ends a session.
pub async fn delete_session(db: &mut Db, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(db).await?;
    Ok(())
}

/// Ends every session of a user except one (after a password change).
pub async fn delete_other_sessions(db: &mut Db, user_id: i64, keep_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes expired sessions, invitations and second-step challenges, and the sign-in attempts
/// of subjects that could try again before `failures_before`.
pub async fn purge_expired(db: &mut Db, now: i64, failures_before: i64) -> Result<u64> {
    let mut n = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *db)
        .await?
        .rows_affected();
    n += sqlx::query("DELETE FROM login_throttle WHERE not_before < $1 AND last_at < $1")
        .bind(failures_before)
        .execute(&mut *db)
        .await?
        .rows_affected();
    n += sqlx::query("DELETE FROM two_factor_challenges WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *db)
        .await?
        .rows_affected();
    n += sqlx::query("DELETE FROM invitations WHERE expires_at <= $1 AND used_at IS NULL")
        .bind(now)
        .execute(db)
        .await?
        .rows_affected();
    Ok(n)
}

/// A personal API token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    /// Stable identifier.
    pub id: i64,
    /// The owner.
    pub user_id: i64,
    /// What the owner called it.
    pub name: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    /// Creation time.
    pub created_at: i64,
    /// Last use, if any.
    pub last_used_at: Option<i64>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
}

fn token(row: &sqlx::any::AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

const TOKEN_COLUMNS: &str = "id, user_id, name, prefix, created_at, last_used_at, revoked_at";

/// Stores a new API token.
pub async fn insert_token(
    db: &mut Db,
    user_id: i64,
    name: &str,
    token_hash: &str,
    prefix: &str,
) -> Result<ApiToken> {
    let row = sqlx::query(&format!(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}"
    ))
    .bind(user_id)
    .bind(name)
    .bind(token_hash)
    .bind(prefix)
    .bind(crate::now_ms())
    .fetch_one(db)
    .await?;
    token(&row)
}

/// The owner of a live token, and whether its last-use time is over a minute old.
pub async fn token_owner(db: &mut Db, token_hash: &str) -> Result<Option<(i64, bool)>> {
    let row = sqlx::query(
        "SELECT user_id, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    let stale_before = crate::now_ms() - 60_000;
    row.map(|r| {
        let last: Option<i64> = r.try_get("last_used_at")?;
        Ok((r.try_get("user_id")?, last.is_none_or(|t| t < stale_before)))
    })
    .transpose()
}

/// Records that a token was used now. Done at most once a minute per token, so that API
/// reads stay reads.
pub async fn touch_token(db: &mut Db, token_hash: &str) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
        .bind(crate::now_ms())
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// A user's tokens, newest first.
pub async fn tokens_of(db: &mut Db, user_id: i64) -> Result<Vec<ApiToken>> {
    let rows =
        sqlx::query(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC"))
            .bind(user_id)
            .fetch_all(db)
            .await?;
    rows.iter().map(token).collect()
}

/// Revokes one of a user's tokens.
pub async fn revoke_token(db: &mut Db, user_id: i64, id: i64) -> Result<()> {
    affected(
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(crate::now_ms())
        .bind(id)
        .bind(user_id)
        .execute(db)
        .await?,
    )
}

/// Stores an invitation for an account that has no password yet.
pub async fn insert_invitation(
    db: &mut Db,
    token_hash: &str,
    user_id: i64,
    workspace_id: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO invitations (token_hash, user_id, workspace_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token_hash)
        .bind(user_id)
        .bind(workspace_id)
        .bind(crate::now_ms())
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// The account an invitation is for, while it is valid: unused, unexpired, for an account
/// that has no password yet, and issued by a workspace the account still belongs to.
pub async fn invitation_user(db: &mut Db, token_hash: &str, now: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT i.user_id FROM invitations i \
         JOIN users u ON u.id = i.user_id AND u.password_hash IS NULL \
         JOIN memberships m ON m.workspace_id = i.workspace_id AND m.user_id = i.user_id \
         WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_one(db)
    .await?)
}

/// Marks an invitation used; fails with `NotFound` if it was used meanwhile.
pub async fn use_invitation(db: &mut Db, token_hash: &str) -> Result<()> {
    affected(
        sqlx::query("UPDATE invitations SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(crate::now_ms())
            .bind(token_hash)
            .execute(db)
            .await?,
    )
}

/// Ends every unused invitation of an account (it has a password now).
pub async fn end_invitations(db: &mut Db, user_id: i64) -> Result<()> {
    sqlx::query("UPDATE invitations SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(crate::now_ms())
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every session of an account.
pub async fn delete_sessions(db: &mut Db, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(db).await?;
    Ok(())
}

/// Revokes every live API token of an account; returns how many.
pub async fn revoke_tokens(db: &mut Db, user_id: i64) -> Result<u64> {
    Ok(sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(crate::now_ms())
        .bind(user_id)
        .execute(db)
        .await?
        .rows_affected())
}

/// Stores a first-run setup token.
pub async fn insert_setup_token(db: &mut Db, token_hash: &str) -> Result<()> {
    sqlx::query("INSERT INTO setup_tokens (token_hash, created_at) VALUES ($1, $2)")
        .bind(token_hash)
        .bind(crate::now_ms())
        .execute(db)
        .await?;
    Ok(())
}

/// Consumes a setup token; `NotFound` if it is unknown or used.
pub async fn use_setup_token(db: &mut Db, token_hash: &str) -> Result<()> {
    affected(
        sqlx::query("UPDATE setup_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(crate::now_ms())
            .bind(token_hash)
            .execute(db)
            .await?,
    )
}

/// Whether a setup token is known and unused.
pub async fn setup_token_valid(db: &mut Db, token_hash: &str) -> Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM setup_tokens WHERE token_hash = $1 AND used_at IS NULL")
            .bind(token_hash)
            .fetch_one(db)
            .await?;
    Ok(n > 0)
}

/// How sign-in attempts of one subject are throttled.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    /// Attempts allowed without delay.
    pub free: i64,
    /// The delay after the last free attempt, doubled after each further one.
    pub base_delay_ms: i64,
    /// The longest delay.
    pub max_delay_ms: i64,
    /// Attempts are forgotten once no attempt was possible or made for this long.
    pub forget_after_ms: i64,
}

/// Counts a sign-in attempt of `subject` (an e-mail or a client address) *before* its
/// password is checked, and says whether it may go ahead: `Some(attempts so far)`, or `None`
/// while the subject must wait.
///
/// One statement reads, counts and, from the `free`-th attempt on, sets the delay before the
/// next one (doubling, capped): concurrent attempts are each counted exactly once (PostgreSQL
/// locks the row of the conflict, SQLite has one writer), so that no more than `free` of them
/// reach the password check before the delay applies.
pub async fn reserve_attempt(db: &mut Db, subject: &str, now: i64, t: &Throttle) -> Result<Option<i64>> {
    // Forgotten: nothing happened, and no delay ran, for a whole window.
    const FORGOTTEN: &str = "(login_throttle.last_at < $5 AND login_throttle.not_before < $5)";
    let delay = format!(
        "CASE WHEN {FORGOTTEN} THEN (CASE WHEN $2 <= 1 THEN $3 ELSE 0 END) \
         WHEN login_throttle.failures + 1 < $2 THEN 0 \
         WHEN login_throttle.delay_ms = 0 THEN $3 \
         WHEN login_throttle.delay_ms * 2 > $6 THEN $6 \
         ELSE login_throttle.delay_ms * 2 END"
    );
    // Each request's `now` was read before it reached the row, so the times of concurrent
    // attempts arrive out of order: without a delay `not_before` stays 0, and `last_at` only
    // moves forward.
    let sql = format!(
        "INSERT INTO login_throttle (subject, failures, delay_ms, not_before, last_at) \
         VALUES ($1, 1, CASE WHEN $2 <= 1 THEN $3 ELSE 0 END, CASE WHEN $2 <= 1 THEN $4 + $3 ELSE 0 END, $4) \
         ON CONFLICT (subject) DO UPDATE SET \
         failures = CASE WHEN {FORGOTTEN} THEN 1 ELSE login_throttle.failures + 1 END, \
         delay_ms = {delay}, \
         not_before = CASE WHEN ({delay}) = 0 THEN 0 ELSE $4 + {delay} END, \
         last_at = CASE WHEN login_throttle.last_at > $4 THEN login_throttle.last_at ELSE $4 END \
         WHERE login_throttle.not_before <= $4 \
         RETURNING failures"
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(subject)
        .bind(t.free)
        .bind(t.base_delay_ms)
        .bind(now)
        .bind(now - t.forget_after_ms)
        .bind(t.max_delay_ms)
        .fetch_optional(db)
        .await?)
}

/// When `subject` may try again (ms since the epoch), if it is throttled at all.
pub async fn attempt_allowed_at(db: &mut Db, subject: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT not_before FROM login_throttle WHERE subject = $1")
        .bind(subject)
        .fetch_optional(db)
        .await?)
}

/// Forgets the attempts of `subject` after a complete sign-in.
pub async fn forget_attempts(db: &mut Db, subject: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE subject = $1").bind(subject).execute(db).await?;
    Ok(())
}

/// Takes back one counted attempt of `subject` that turned out not to be a failure (a client
/// address shared by colleagues who sign in successfully).
pub async fn take_back_attempt(db: &mut Db, subject: &str) -> Result<()> {
    sqlx::query("UPDATE login_throttle SET failures = failures - 1 WHERE subject = $1 AND failures > 0")
        .bind(subject)
        .execute(db)
        .await?;
    Ok(())
}
