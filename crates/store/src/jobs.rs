//! The job queue: leased jobs that two workers never run at the same time.
//!
//! A worker *claims* a due job by writing its name and a lease expiry on it in one atomic
//! statement. On PostgreSQL the candidate row is chosen with `FOR UPDATE SKIP LOCKED`, so
//! concurrent workers pick different rows without waiting; on SQLite the statement runs under
//! the database's single writer lock. A job whose lease ran out (its worker died) becomes due
//! again. Recurring jobs carry a `unique_key` (for example the hour they belong to), so that
//! however many workers schedule them, each period's job exists once.

use sqlx::Row;

use crate::{Backend, Db, Result};

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Stable identifier.
    pub id: i64,
    /// What kind of work (`housekeeping`, later `publish`, …).
    pub queue: String,
    /// JSON arguments.
    pub payload: String,
    /// How many times it has been claimed, this claim included.
    pub attempts: i64,
}

/// Enqueues a job due at `run_at`; with a `unique_key` already present, does nothing and
/// returns `None`.
pub async fn enqueue(
    db: &mut Db,
    queue: &str,
    unique_key: Option<&str>,
    payload: &str,
    run_at: i64,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO jobs (queue, unique_key, payload, run_at, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (unique_key) DO NOTHING RETURNING id",
    )
    .bind(queue)
    .bind(unique_key)
    .bind(payload)
    .bind(run_at)
    .bind(crate::now_ms())
    .fetch_optional(db)
    .await?)
}

/// Claims the next due job for `worker` until `now + lease_ms`, if there is one.
pub async fn claim(
    db: &mut Db,
    backend: Backend,
    worker: &str,
    now: i64,
    lease_ms: i64,
) -> Result<Option<Job>> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let row = sqlx::query(&format!(
        "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $3 \
                     AND (lease_until IS NULL OR lease_until < $3) \
                     ORDER BY run_at, id LIMIT 1{lock}) \
         RETURNING id, queue, payload, attempts"
    ))
    .bind(worker)
    .bind(now + lease_ms)
    .bind(now)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(Job {
            id: r.try_get("id")?,
            queue: r.try_get("queue")?,
            payload: r.try_get("payload")?,
            attempts: r.try_get("attempts")?,
        })
    })
    .transpose()
}

/// Marks a job done, if `worker` still holds its lease. Returns whether it did.
pub async fn complete(db: &mut Db, id: i64, worker: &str) -> Result<bool> {
    let n = sqlx::query("UPDATE jobs SET done_at = $1, lease_until = NULL WHERE id = $2 AND lease_owner = $3 AND done_at IS NULL")
        .bind(crate::now_ms())
        .bind(id)
        .bind(worker)
        .execute(db)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Releases a failed job to run again at `retry_at`, keeping the error.
pub async fn retry_later(db: &mut Db, id: i64, worker: &str, error: &str, retry_at: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE jobs SET lease_owner = NULL, lease_until = NULL, last_error = $1, run_at = $2 \
         WHERE id = $3 AND lease_owner = $4 AND done_at IS NULL",
    )
    .bind(error)
    .bind(retry_at)
    .bind(id)
    .bind(worker)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Deletes jobs finished before `before`; returns how many.
pub async fn purge_done(db: &mut Db, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM jobs WHERE done_at IS NOT NULL AND done_at < $1")
        .bind(before)
        .execute(db)
        .await?
        .rows_affected())
}
