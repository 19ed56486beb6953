//! Product feedback (D7): the feedback category of answerable inbox items, suggested at
//! ingestion and confirmed or changed by a community manager, read by period for reports.

use sqlx::Row;
use tutti_domain::{ItemKind, Sentiment};

use crate::inbox::ANSWERABLE_SQL;
use crate::{Db, Result};

/// An item as feedback.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FeedbackItem {
    /// The item.
    pub id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// reply, mention, quote, dm.
    pub kind: ItemKind,
    /// Who wrote it.
    pub person_id: Option<i64>,
    /// Their name.
    pub author_name: String,
    /// Their handle.
    pub author_handle: String,
    /// The text.
    pub text: String,
    /// pos, neu, neg.
    pub sentiment: Sentiment,
    /// complaint, bug, feature, question, praise, or empty.
    pub category: String,
    /// Whether a person confirmed (or chose) the category.
    pub confirmed: bool,
    /// When, ms.
    pub created_at: i64,
}

/// Which items to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedbackFilter {
    /// From (inclusive), ms.
    pub from: i64,
    /// To (exclusive), ms.
    pub to: i64,
    /// One category (`none` for items without one).
    pub category: Option<String>,
    /// Only confirmed (`Some(true)`) or only suggested (`Some(false)`).
    pub confirmed: Option<bool>,
}

/// The answerable items of a workspace in a period, newest first.
pub async fn items(
    db: &mut Db,
    workspace_id: i64,
    f: &FeedbackFilter,
    limit: i64,
) -> Result<Vec<FeedbackItem>> {
    let mut sql = format!(
        "SELECT id, conversation_id, kind, person_id, author_name, author_handle, text, sentiment, category, \
         category_confirmed, created_at FROM inbox_items \
         WHERE workspace_id = $1 AND kind IN {ANSWERABLE_SQL} AND created_at >= $2 AND created_at < $3",
    );
    let mut n = 3;
    if f.category.is_some() {
        n += 1;
        sql.push_str(&format!(" AND category = ${n}"));
    }
    match f.confirmed {
        Some(true) => sql.push_str(" AND category_confirmed = 1"),
        Some(false) => sql.push_str(" AND category_confirmed = 0"),
        None => {}
    }
    n += 1;
    sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT ${n}"));
    let mut q = sqlx::query(&sql).bind(workspace_id).bind(f.from).bind(f.to);
    if let Some(c) = &f.category {
        q = q.bind(if c == "none" { "" } else { c.as_str() });
    }
    let rows = q.bind(limit).fetch_all(db).await?;
    rows.iter()
        .map(|r| {
            Ok(FeedbackItem {
                id: r.try_get("id")?,
                conversation_id: r.try_get("conversation_id")?,
                kind: crate::word(r, "kind")?,
                person_id: r.try_get("person_id")?,
                author_name: r.try_get("author_name")?,
                author_handle: r.try_get("author_handle")?,
                text: r.try_get("text")?,
                sentiment: crate::word(r, "sentiment")?,
                category: r.try_get("category")?,
                confirmed: r.try_get::<i64, _>("category_confirmed")? != 0,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// The category of an answerable item of the workspace, `None` when there is no such item.
pub async fn category_of(db: &mut Db, workspace_id: i64, item_id: i64) -> Result<Option<(String, bool)>> {
    let row = sqlx::query(&format!(
        "SELECT category, category_confirmed FROM inbox_items WHERE id = $1 AND workspace_id = $2 \
         AND kind IN {ANSWERABLE_SQL}",
    ))
    .bind(item_id)
    .bind(workspace_id)
    .fetch_optional(db)
    .await?;
    row.map(|r| Ok((r.try_get("category")?, r.try_get::<i64, _>("category_confirmed")? != 0))).transpose()
}

/// Sets an item's category as confirmed by `by`.
pub async fn confirm(
    db: &mut Db,
    workspace_id: i64,
    item_id: i64,
    category: &str,
    by: Option<i64>,
) -> Result<bool> {
    let n = sqlx::query(&format!(
        "UPDATE inbox_items SET category = $1, category_confirmed = 1, category_by = $2 \
         WHERE id = $3 AND workspace_id = $4 AND kind IN {ANSWERABLE_SQL}",
    ))
    .bind(category)
    .bind(by)
    .bind(item_id)
    .bind(workspace_id)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// How many answerable items of each category (empty: none) a period has.
pub async fn counts(db: &mut Db, workspace_id: i64, from: i64, to: i64) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(&format!(
        "SELECT category, COUNT(*) AS n FROM inbox_items WHERE workspace_id = $1 AND kind IN {ANSWERABLE_SQL} \
         AND created_at >= $2 AND created_at < $3 GROUP BY category ORDER BY category",
    ))
    .bind(workspace_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("category")?, r.try_get("n")?))).collect()
}
