//! Listening: saved queries, the sources' cursors and health, and the mentions matched.

use sqlx::Row;

use crate::{Db, Result};

/// A saved listening query of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SavedQuery {
    /// Stable identifier (the matching engine's query id).
    pub id: i64,
    /// The workspace it belongs to.
    pub workspace_id: i64,
    /// Its name (`Maison Lumière`, `Concurrent A`).
    pub name: String,
    /// The query text, already validated by the query language parser.
    pub query: String,
    /// `brand` or `competitor`, for share of voice.
    pub kind: String,
    /// Whether sources are matched against it.
    pub active: bool,
    /// Creation time, ms.
    pub created_at: i64,
}

const QUERY_COLUMNS: &str = "id, workspace_id, name, query, kind, active, created_at";

fn saved_query(r: &sqlx::any::AnyRow) -> Result<SavedQuery> {
    Ok(SavedQuery {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        name: r.try_get("name")?,
        query: r.try_get("query")?,
        kind: r.try_get("kind")?,
        active: r.try_get::<i64, _>("active")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

/// Saves a query; a name already used in the workspace is a `Conflict`.
pub async fn insert_query(
    db: &mut Db,
    workspace_id: i64,
    name: &str,
    query: &str,
    kind: &str,
) -> Result<SavedQuery> {
    let row = sqlx::query(&format!(
        "INSERT INTO listening_queries (workspace_id, name, query, kind, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {QUERY_COLUMNS}"
    ))
    .bind(workspace_id)
    .bind(name)
    .bind(query)
    .bind(kind)
    .bind(crate::now_ms())
    .fetch_one(db)
    .await?;
    saved_query(&row)
}

/// The queries of a workspace, by name.
pub async fn queries_of(db: &mut Db, workspace_id: i64) -> Result<Vec<SavedQuery>> {
    let rows = sqlx::query(&format!(
        "SELECT {QUERY_COLUMNS} FROM listening_queries WHERE workspace_id = $1 ORDER BY name"
    ))
    .bind(workspace_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(saved_query).collect()
}

/// Every active query of every workspace: what the listener compiles.
pub async fn active_queries(db: &mut Db) -> Result<Vec<SavedQuery>> {
    let rows =
        sqlx::query(&format!("SELECT {QUERY_COLUMNS} FROM listening_queries WHERE active = 1 ORDER BY id"))
            .fetch_all(db)
            .await?;
    rows.iter().map(saved_query).collect()
}

/// A source's stored place and health.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceState {
    /// `jetstream`, `rss`, `mastodon`.
    pub kind: String,
    /// Its URL.
    pub address: String,
    /// Where to resume (the source's own format).
    pub cursor: Option<String>,
    /// How far behind the source the last delivery was, ms.
    pub lag_ms: Option<i64>,
    /// Items delivered so far.
    pub delivered: i64,
    /// Errors so far.
    pub errors: i64,
    /// The last error's message.
    pub last_error: Option<String>,
}

/// The stored state of a source, if it ran before.
pub async fn source(db: &mut Db, kind: &str, address: &str) -> Result<Option<SourceState>> {
    let row = sqlx::query("SELECT kind, address, cursor, lag_ms, delivered, errors, last_error FROM listening_sources WHERE kind = $1 AND address = $2")
        .bind(kind)
        .bind(address)
        .fetch_optional(db)
        .await?;
    row.map(|r| {
        Ok(SourceState {
            kind: r.try_get("kind")?,
            address: r.try_get("address")?,
            cursor: r.try_get("cursor")?,
            lag_ms: r.try_get("lag_ms")?,
            delivered: r.try_get("delivered")?,
            errors: r.try_get("errors")?,
            last_error: r.try_get("last_error")?,
        })
    })
    .transpose()
}

/// Records a source's progress: its new cursor, lag, and how many items it delivered.
pub async fn save_progress(
    db: &mut Db,
    kind: &str,
    address: &str,
    cursor: &str,
    lag_ms: Option<i64>,
    delivered: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO listening_sources (kind, address, cursor, lag_ms, delivered, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (kind, address) DO UPDATE SET cursor = excluded.cursor, lag_ms = excluded.lag_ms, \
         delivered = listening_sources.delivered + excluded.delivered, updated_at = excluded.updated_at",
    )
    .bind(kind)
    .bind(address)
    .bind(cursor)
    .bind(lag_ms)
    .bind(delivered)
    .bind(crate::now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// Records a source's error.
pub async fn save_error(db: &mut Db, kind: &str, address: &str, error: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO listening_sources (kind, address, errors, last_error, updated_at) VALUES ($1, $2, 1, $3, $4) \
         ON CONFLICT (kind, address) DO UPDATE SET errors = listening_sources.errors + 1, last_error = excluded.last_error, \
         updated_at = excluded.updated_at",
    )
    .bind(kind)
    .bind(address)
    .bind(error)
    .bind(crate::now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// A matched post, enriched.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mention {
    /// The query it matched.
    pub query_id: i64,
    /// The source kind (`jetstream`, `rss`).
    pub source: String,
    /// The post's id at the source (an `at://` URI, a feed entry id).
    pub external_id: String,
    /// A link to it, if any.
    pub url: Option<String>,
    /// Its author, as the source names them.
    pub author: Option<String>,
    /// Its text, bounded by the source.
    pub text: String,
    /// Detected language.
    pub lang: Option<String>,
    /// `neg`, `neu`, `pos`.
    pub sentiment: Option<String>,
    /// Sentiment score in [-1, 1].
    pub sentiment_score: Option<f64>,
    /// Toxicity score in [0, 1].
    pub toxicity: Option<f64>,
    /// When it was published, ms, if known.
    pub published_at: Option<i64>,
}

/// Stores a mention once per query; returns whether it was new.
pub async fn insert_mention(db: &mut Db, m: &Mention) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO mentions (query_id, source, external_id, url, author, text, lang, sentiment, sentiment_score, toxicity, published_at, matched_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (query_id, external_id) DO NOTHING",
    )
    .bind(m.query_id)
    .bind(&m.source)
    .bind(&m.external_id)
    .bind(&m.url)
    .bind(&m.author)
    .bind(&m.text)
    .bind(&m.lang)
    .bind(&m.sentiment)
    .bind(m.sentiment_score)
    .bind(m.toxicity)
    .bind(m.published_at)
    .bind(crate::now_ms())
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The latest mentions of a query, newest first.
pub async fn mentions_of(db: &mut Db, query_id: i64, limit: i64) -> Result<Vec<Mention>> {
    let rows = sqlx::query(
        "SELECT query_id, source, external_id, url, author, text, lang, sentiment, sentiment_score, toxicity, published_at \
         FROM mentions WHERE query_id = $1 ORDER BY matched_at DESC, id DESC LIMIT $2",
    )
    .bind(query_id)
    .bind(limit.clamp(1, 1000))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Mention {
                query_id: r.try_get("query_id")?,
                source: r.try_get("source")?,
                external_id: r.try_get("external_id")?,
                url: r.try_get("url")?,
                author: r.try_get("author")?,
                text: r.try_get("text")?,
                lang: r.try_get("lang")?,
                sentiment: r.try_get("sentiment")?,
                sentiment_score: r.try_get("sentiment_score")?,
                toxicity: r.try_get("toxicity")?,
                published_at: r.try_get("published_at")?,
            })
        })
        .collect()
}
