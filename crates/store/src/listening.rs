//! Listening: saved queries, the sources' cursors and health, and the mentions matched.

use sqlx::Row;
use tutti_domain::{QueryKind, Sentiment};

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
    pub kind: QueryKind,
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
        kind: crate::word(r, "kind")?,
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
    kind: QueryKind,
) -> Result<SavedQuery> {
    let row = sqlx::query(&format!(
        "INSERT INTO listening_queries (workspace_id, name, query, kind, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {QUERY_COLUMNS}"
    ))
    .bind(workspace_id)
    .bind(name)
    .bind(query)
    .bind(kind.as_str())
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
    row.as_ref().map(source_state).transpose()
}

fn source_state(r: &sqlx::any::AnyRow) -> Result<SourceState> {
    Ok(SourceState {
        kind: r.try_get("kind")?,
        address: r.try_get("address")?,
        cursor: r.try_get("cursor")?,
        lag_ms: r.try_get("lag_ms")?,
        delivered: r.try_get("delivered")?,
        errors: r.try_get("errors")?,
        last_error: r.try_get("last_error")?,
    })
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
    add_errors(db, kind, address, 1, error).await
}

/// Records `n` errors of a source (malformed events skipped, dropped connections), with the
/// message that describes them.
pub async fn add_errors(db: &mut Db, kind: &str, address: &str, n: i64, error: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO listening_sources (kind, address, errors, last_error, updated_at) VALUES ($1, $2, $5, $3, $4) \
         ON CONFLICT (kind, address) DO UPDATE SET errors = listening_sources.errors + excluded.errors, \
         last_error = excluded.last_error, updated_at = excluded.updated_at",
    )
    .bind(kind)
    .bind(address)
    .bind(error)
    .bind(crate::now_ms())
    .bind(n)
    .execute(db)
    .await?;
    Ok(())
}

/// A matched post, enriched.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mention {
    /// Stable identifier once stored (0 before).
    pub id: i64,
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
    pub sentiment: Option<Sentiment>,
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
    .bind(m.sentiment.map(Sentiment::as_str))
    .bind(m.sentiment_score)
    .bind(m.toxicity)
    .bind(m.published_at)
    .bind(crate::now_ms())
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Which mentions of a query to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MentionFilter {
    /// `neg`, `neu`, `pos`.
    pub sentiment: Option<String>,
    /// A language code.
    pub lang: Option<String>,
    /// A source kind (`jetstream`, `firehose`, `mastodon`, `rss`).
    pub source: Option<String>,
    /// An author, exactly as stored.
    pub author: Option<String>,
    /// Only mentions at or after this time (publication, else arrival), ms.
    pub since: Option<i64>,
    /// Only mentions stored after this id (for live updates).
    pub after_id: Option<i64>,
}

const MENTION_COLUMNS: &str = "id, query_id, source, external_id, url, author, text, lang, sentiment, sentiment_score, toxicity, published_at";

/// When a mention happened: its publication time, else when it was matched.
const MENTION_TIME: &str = "COALESCE(published_at, matched_at)";

fn mention(r: &sqlx::any::AnyRow) -> Result<Mention> {
    Ok(Mention {
        id: r.try_get("id")?,
        query_id: r.try_get("query_id")?,
        source: r.try_get("source")?,
        external_id: r.try_get("external_id")?,
        url: r.try_get("url")?,
        author: r.try_get("author")?,
        text: r.try_get("text")?,
        lang: r.try_get("lang")?,
        sentiment: crate::word_opt(r, "sentiment")?,
        sentiment_score: r.try_get("sentiment_score")?,
        toxicity: r.try_get("toxicity")?,
        published_at: r.try_get("published_at")?,
    })
}

/// The latest mentions of a query that pass the filter, newest first.
pub async fn mentions_of(
    db: &mut Db,
    query_id: i64,
    filter: &MentionFilter,
    limit: i64,
) -> Result<Vec<Mention>> {
    // Each optional filter is "($n IS NULL OR column = $n)" with the same SQL on both backends;
    // the empty string stands for "no filter" so that every bind has one type.
    let rows = sqlx::query(&format!(
        "SELECT {MENTION_COLUMNS} FROM mentions WHERE query_id = $1 \
         AND ($2 = '' OR sentiment = $2) AND ($3 = '' OR lang = $3) AND ($4 = '' OR source = $4) \
         AND ($5 = '' OR author = $5) AND {MENTION_TIME} >= $6 AND id > $7 \
         ORDER BY {MENTION_TIME} DESC, id DESC LIMIT $8"
    ))
    .bind(query_id)
    .bind(filter.sentiment.clone().unwrap_or_default())
    .bind(filter.lang.clone().unwrap_or_default())
    .bind(filter.source.clone().unwrap_or_default())
    .bind(filter.author.clone().unwrap_or_default())
    .bind(filter.since.unwrap_or(i64::MIN))
    .bind(filter.after_id.unwrap_or(0))
    .bind(limit.clamp(1, 1000))
    .fetch_all(db)
    .await?;
    rows.iter().map(mention).collect()
}

/// Mentions of a query per time bucket and sentiment: `(bucket start ms, sentiment, count)`,
/// over `[from, to)`, with buckets of `bucket_ms` aligned on the epoch.
pub async fn volume(
    db: &mut Db,
    query_id: i64,
    from: i64,
    to: i64,
    bucket_ms: i64,
) -> Result<Vec<(i64, Option<Sentiment>, i64)>> {
    let rows = sqlx::query(&format!(
        "SELECT ({MENTION_TIME} / $4) * $4 AS bucket, sentiment, COUNT(*) AS n FROM mentions \
         WHERE query_id = $1 AND {MENTION_TIME} >= $2 AND {MENTION_TIME} < $3 \
         GROUP BY ({MENTION_TIME} / $4) * $4, sentiment ORDER BY bucket"
    ))
    .bind(query_id)
    .bind(from)
    .bind(to)
    .bind(bucket_ms.max(1))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("bucket")?, crate::word_opt(r, "sentiment")?, r.try_get("n")?)))
        .collect()
}

/// The arrival counts of a query per bucket over `[from, to)`: `(bucket start, mentions,
/// negative mentions)`, for alerting (arrival time, not publication time, so that a bucket
/// once closed never changes).
pub async fn arrivals(
    db: &mut Db,
    query_id: i64,
    from: i64,
    to: i64,
    bucket_ms: i64,
) -> Result<Vec<(i64, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT (matched_at / $4) * $4 AS bucket, COUNT(*) AS n, \
         SUM(CASE WHEN sentiment = 'neg' THEN 1 ELSE 0 END) AS neg FROM mentions \
         WHERE query_id = $1 AND matched_at >= $2 AND matched_at < $3 GROUP BY (matched_at / $4) * $4 ORDER BY bucket",
    )
    .bind(query_id)
    .bind(from)
    .bind(to)
    .bind(bucket_ms.max(1))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((r.try_get("bucket")?, r.try_get("n")?, r.try_get::<Option<i64>, _>("neg")?.unwrap_or(0)))
        })
        .collect()
}

/// A few mentions of a query that arrived in `[from, to)`, negative ones first.
pub async fn arrived_between(
    db: &mut Db,
    query_id: i64,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<Mention>> {
    let rows = sqlx::query(&format!(
        "SELECT {MENTION_COLUMNS} FROM mentions WHERE query_id = $1 AND matched_at >= $2 AND matched_at < $3 \
         ORDER BY CASE WHEN sentiment = 'neg' THEN 0 ELSE 1 END, id DESC LIMIT $4"
    ))
    .bind(query_id)
    .bind(from)
    .bind(to)
    .bind(limit.clamp(1, 1000))
    .fetch_all(db)
    .await?;
    rows.iter().map(mention).collect()
}

/// Mentions of a query stored after `after_id`, oldest first (for keyword alerts).
pub async fn mentions_after(db: &mut Db, query_id: i64, after_id: i64, limit: i64) -> Result<Vec<Mention>> {
    let rows = sqlx::query(&format!(
        "SELECT {MENTION_COLUMNS} FROM mentions WHERE query_id = $1 AND id > $2 ORDER BY id LIMIT $3"
    ))
    .bind(query_id)
    .bind(after_id)
    .bind(limit.clamp(1, 10_000))
    .fetch_all(db)
    .await?;
    rows.iter().map(mention).collect()
}

/// The highest mention id of a query (0 when it has none).
pub async fn last_mention_id(db: &mut Db, query_id: i64) -> Result<i64> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM mentions WHERE query_id = $1")
        .bind(query_id)
        .fetch_one(db)
        .await?;
    Ok(id.unwrap_or(0))
}

/// The most frequent authors of a query's mentions since `from`: `(author, mentions,
/// negative mentions)`.
pub async fn top_authors(
    db: &mut Db,
    query_id: i64,
    from: i64,
    limit: i64,
) -> Result<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(&format!(
        "SELECT author, COUNT(*) AS n, SUM(CASE WHEN sentiment = 'neg' THEN 1 ELSE 0 END) AS neg FROM mentions \
         WHERE query_id = $1 AND author IS NOT NULL AND {MENTION_TIME} >= $2 \
         GROUP BY author ORDER BY COUNT(*) DESC, author LIMIT $3"
    ))
    .bind(query_id)
    .bind(from)
    .bind(limit.clamp(1, 100))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((r.try_get("author")?, r.try_get("n")?, r.try_get::<Option<i64>, _>("neg")?.unwrap_or(0)))
        })
        .collect()
}

/// The texts of a query's latest mentions since `from`, for counting terms and hashtags.
pub async fn recent_texts(db: &mut Db, query_id: i64, from: i64, limit: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT text FROM mentions WHERE query_id = $1 AND {MENTION_TIME} >= $2 ORDER BY id DESC LIMIT $3"
    ))
    .bind(query_id)
    .bind(from)
    .bind(limit.clamp(1, 10_000))
    .fetch_all(db)
    .await?)
}

/// Mentions per query of a workspace since `from`: `(query, mentions, negative mentions)`,
/// for share of voice.
pub async fn share_of_voice(
    db: &mut Db,
    workspace_id: i64,
    from: i64,
) -> Result<Vec<(SavedQuery, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT q.id, q.workspace_id, q.name, q.query, q.kind, q.active, q.created_at, \
         COUNT(m.id) AS n, SUM(CASE WHEN m.sentiment = 'neg' THEN 1 ELSE 0 END) AS neg \
         FROM listening_queries q LEFT JOIN mentions m ON m.query_id = q.id AND COALESCE(m.published_at, m.matched_at) >= $2 \
         WHERE q.workspace_id = $1 GROUP BY q.id, q.workspace_id, q.name, q.query, q.kind, q.active, q.created_at \
         ORDER BY COUNT(m.id) DESC, q.name",
    )
    .bind(workspace_id)
    .bind(from)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| Ok((saved_query(r)?, r.try_get("n")?, r.try_get::<Option<i64>, _>("neg")?.unwrap_or(0))))
        .collect()
}

/// Deletes mentions older than their workspace's retention; returns how many.
pub async fn purge_mentions(db: &mut Db, now: i64) -> Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM mentions WHERE id IN (SELECT m.id FROM mentions m JOIN listening_queries q ON q.id = m.query_id \
         LEFT JOIN listening_settings s ON s.workspace_id = q.workspace_id \
         WHERE m.matched_at < $1 - COALESCE(s.retention_days, $2) * 86400000)",
    )
    .bind(now)
    .bind(crate::alerts::DEFAULT_RETENTION_DAYS)
    .execute(db)
    .await?
    .rows_affected())
}

/// Takes or renews the lease on a source for `owner` until `until`; returns whether `owner`
/// holds it. With several workers, each source is followed by the one holding its lease.
pub async fn lease_source(
    db: &mut Db,
    kind: &str,
    address: &str,
    owner: &str,
    now: i64,
    until: i64,
) -> Result<bool> {
    sqlx::query(
        "INSERT INTO listening_sources (kind, address, updated_at) VALUES ($1, $2, $3) ON CONFLICT (kind, address) DO NOTHING",
    )
    .bind(kind)
    .bind(address)
    .bind(now)
    .execute(&mut *db)
    .await?;
    let n = sqlx::query(
        "UPDATE listening_sources SET lease_owner = $1, lease_until = $2 WHERE kind = $3 AND address = $4 \
         AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until IS NULL OR lease_until < $5)",
    )
    .bind(owner)
    .bind(until)
    .bind(kind)
    .bind(address)
    .bind(now)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Gives a source's lease back, if `owner` holds it.
pub async fn release_source(db: &mut Db, kind: &str, address: &str, owner: &str) -> Result<()> {
    sqlx::query(
        "UPDATE listening_sources SET lease_owner = NULL, lease_until = NULL WHERE kind = $1 AND address = $2 AND lease_owner = $3",
    )
    .bind(kind)
    .bind(address)
    .bind(owner)
    .execute(db)
    .await?;
    Ok(())
}

/// Every source's stored place and health.
pub async fn sources(db: &mut Db) -> Result<Vec<SourceState>> {
    let rows = sqlx::query(
        "SELECT kind, address, cursor, lag_ms, delivered, errors, last_error FROM listening_sources ORDER BY kind, address",
    )
    .fetch_all(db)
    .await?;
    rows.iter().map(source_state).collect()
}
