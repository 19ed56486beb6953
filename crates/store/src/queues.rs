//! Queues and the review rule: the weekly time slots of each channel, which "add to queue"
//! fills in order, and the roles of a workspace whose posts go out without review.

use sqlx::Row;

use crate::{Db, Result};

/// One weekly slot of a channel's queue, in the workspace's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Slot {
    /// 0 is Monday, 6 is Sunday.
    pub weekday: u8,
    /// Minutes after local midnight (0 to 1439).
    pub minute: u16,
}

/// The slots of a channel, in weekly order.
pub async fn slots_of(db: &mut Db, channel_id: i64) -> Result<Vec<Slot>> {
    let rows =
        sqlx::query("SELECT weekday, minute FROM queue_slots WHERE channel_id = $1 ORDER BY weekday, minute")
            .bind(channel_id)
            .fetch_all(db)
            .await?;
    rows.iter()
        .map(|r| {
            let weekday: i64 = r.try_get("weekday")?;
            let minute: i64 = r.try_get("minute")?;
            Ok(Slot { weekday: weekday.clamp(0, 6) as u8, minute: minute.clamp(0, 1439) as u16 })
        })
        .collect()
}

/// Replaces the slots of a channel.
pub async fn set_slots(db: &mut Db, channel_id: i64, slots: &[Slot]) -> Result<()> {
    sqlx::query("DELETE FROM queue_slots WHERE channel_id = $1").bind(channel_id).execute(&mut *db).await?;
    for s in slots {
        sqlx::query(
            "INSERT INTO queue_slots (channel_id, weekday, minute) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(channel_id)
        .bind(i64::from(s.weekday))
        .bind(i64::from(s.minute))
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}

/// Locks the channel's row until the transaction ends, so that two writers taking its next
/// queue slot at once do it one after the other (SQLite serialises writers anyway).
pub async fn lock_channel(db: &mut Db, channel_id: i64) -> Result<()> {
    sqlx::query("UPDATE channels SET status = status WHERE id = $1").bind(channel_id).execute(db).await?;
    Ok(())
}

/// The times (ms) from `from` on at which posts of the channel that still count are due: any
/// post but a failed one.
pub async fn taken_times(db: &mut Db, channel_id: i64, from: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT scheduled_at FROM posts WHERE channel_id = $1 AND scheduled_at >= $2 AND status <> 'failed' \
         ORDER BY scheduled_at",
    )
    .bind(channel_id)
    .bind(from)
    .fetch_all(db)
    .await?)
}

/// The roles of a workspace that publish without review, as stored (comma-separated), or
/// `None` when the workspace keeps the default.
pub async fn direct_roles(db: &mut Db, workspace_id: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT direct_roles FROM publishing_settings WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_optional(db)
        .await?)
}

/// Sets the roles of a workspace that publish without review (comma-separated).
pub async fn set_direct_roles(db: &mut Db, workspace_id: i64, roles: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO publishing_settings (workspace_id, direct_roles, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id) DO UPDATE SET direct_roles = excluded.direct_roles, updated_at = excluded.updated_at",
    )
    .bind(workspace_id)
    .bind(roles)
    .bind(crate::now_ms())
    .execute(db)
    .await?;
    Ok(())
}
