//! Network identities seen as authors (Bluesky DIDs) and their verified handles.

use std::collections::HashMap;

use sqlx::Row;

use crate::{Db, Marks, Result};

/// The known handles of these DIDs (those without one are left out).
pub async fn handles(db: &mut Db, dids: &[String]) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    // One query per chunk; `IN` lists of bound parameters read the same on both backends.
    for chunk in dids.chunks(200) {
        if chunk.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT did, handle FROM identities WHERE handle IS NOT NULL AND did IN ({})",
            Marks::of(db).list(chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for d in chunk {
            q = q.bind(d);
        }
        for r in q.fetch_all(&mut *db).await? {
            out.insert(r.try_get("did")?, r.try_get("handle")?);
        }
    }
    Ok(out)
}

/// Whether `did` was resolved (successfully or not) at or after `since`.
pub async fn resolved_since(db: &mut Db, did: &str, since: i64) -> Result<bool> {
    let at: Option<i64> = sqlx::query_scalar("SELECT resolved_at FROM identities WHERE did = $1")
        .bind(did)
        .fetch_optional(db)
        .await?;
    Ok(at.is_some_and(|t| t >= since))
}

/// Records the outcome of resolving `did`: its verified handle, or none.
pub async fn save(db: &mut Db, did: &str, handle: Option<&str>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO identities (did, handle, resolved_at) VALUES ($1, $2, $3) \
         ON CONFLICT (did) DO UPDATE SET handle = excluded.handle, resolved_at = excluded.resolved_at",
    )
    .bind(did)
    .bind(handle)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}
