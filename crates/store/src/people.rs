//! The community CRM (D6): people with their network identities, tags, notes, custom fields,
//! saved segments and scores.
//!
//! Scores are derived data kept in `person_scores` and rebuilt for a whole workspace by
//! [`refresh_scores`]: a handful of set-based statements (one `INSERT … SELECT … GROUP BY` over
//! the workspace's items, then two `UPDATE`s), so that lists filter and sort tens of thousands
//! of people on indexed columns instead of aggregating on every read.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use tutti_domain::{ItemKind, Network, Sentiment};

use crate::inbox::ANSWERABLE_SQL;
use crate::{Db, Result, StoreError, DAY_MS};

/// A saved or ad hoc filter of people; empty fields mean any.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PeopleFilter {
    /// Name or handle contains (not saved in segments).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub q: String,
    /// A tag.
    pub tag: String,
    /// bluesky, mastodon.
    pub network: String,
    /// At least this many interactions.
    pub min_interactions: i64,
    /// At least this engagement score.
    pub min_engagement: f64,
    /// At least this advocacy score.
    pub min_advocacy: f64,
    /// Seen within the last N days (0: any).
    pub seen_within_days: i64,
    /// rising, falling: the last 30 days' sentiment against the 60 before.
    pub trend: String,
    /// Only people showing a churn signal.
    pub churn: bool,
}

/// How a list of people is sorted (highest first, name A to Z).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Engagement score.
    #[default]
    Engagement,
    /// Advocacy score.
    Advocacy,
    /// Last seen.
    LastSeen,
    /// Interactions.
    Interactions,
    /// Display name.
    Name,
}

impl Sort {
    /// The sort of a name (`engagement`, `advocacy`, `last_seen`, `interactions`, `name`).
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "engagement" => Sort::Engagement,
            "advocacy" => Sort::Advocacy,
            "last_seen" => Sort::LastSeen,
            "interactions" => Sort::Interactions,
            "name" => Sort::Name,
            _ => return None,
        })
    }

    fn order(self) -> &'static str {
        match self {
            Sort::Engagement => "COALESCE(s.engagement, 0) DESC, p.id DESC",
            Sort::Advocacy => "COALESCE(s.advocacy, 0) DESC, p.id DESC",
            Sort::LastSeen => "p.last_seen_at DESC, p.id DESC",
            Sort::Interactions => "p.interactions DESC, p.id DESC",
            Sort::Name => "LOWER(p.display_name), p.id",
        }
    }
}

/// A network identity of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// Stable identifier.
    pub id: i64,
    /// Whose.
    pub person_id: i64,
    /// bluesky, mastodon.
    pub network: Network,
    /// A DID, a Mastodon account id.
    pub author_id: String,
    /// Their handle.
    pub handle: String,
}

/// A person with their scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    /// Stable identifier.
    pub id: i64,
    /// Their workspace.
    pub workspace_id: i64,
    /// Their display name.
    pub display_name: String,
    /// Their tags.
    pub tags: Vec<String>,
    /// Items from them.
    pub interactions: i64,
    /// First item, ms.
    pub first_seen_at: i64,
    /// Latest item, ms.
    pub last_seen_at: i64,
    /// Engagement: interactions weighted by kind (reply, quote 3; mention, repost 2; like,
    /// follow 1) and recency (last 30 days ×1, 30–90 days ×0.5, older ×0.25).
    pub engagement: f64,
    /// Advocacy: positive items + 2 × defences − negative items.
    pub advocacy: f64,
    /// Positive answerable items.
    pub positives: i64,
    /// Negative answerable items.
    pub negatives: i64,
    /// Positive items under a post (a thread) where someone else was negative.
    pub defends: i64,
    /// Average sentiment of the last 30 days (pos +1, neu 0, neg -1).
    pub recent_sentiment: Option<f64>,
    /// Average sentiment of the 60 days before.
    pub previous_sentiment: Option<f64>,
    /// `quiet`, `souring`, or empty.
    pub churn: String,
    /// Their identities' handles, joined.
    pub handles: Vec<String>,
    /// Their identities' networks.
    pub networks: Vec<String>,
}

const PERSON_COLUMNS: &str = "p.id, p.workspace_id, p.display_name, p.tags, p.interactions, p.first_seen_at, \
    p.last_seen_at, CAST(COALESCE(s.engagement, 0) AS DOUBLE PRECISION) AS engagement, CAST(COALESCE(s.advocacy, 0) AS DOUBLE PRECISION) AS advocacy, \
    COALESCE(s.positives, 0) AS positives, COALESCE(s.negatives, 0) AS negatives, COALESCE(s.defends, 0) AS defends, \
    s.recent_sentiment, s.previous_sentiment, COALESCE(s.churn, '') AS churn";

fn split_tags(s: &str) -> Vec<String> {
    s.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

fn person(r: &sqlx::any::AnyRow) -> Result<Person> {
    Ok(Person {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        display_name: r.try_get("display_name")?,
        tags: split_tags(&r.try_get::<String, _>("tags")?),
        interactions: r.try_get("interactions")?,
        first_seen_at: r.try_get("first_seen_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
        engagement: r.try_get("engagement")?,
        advocacy: r.try_get("advocacy")?,
        positives: r.try_get("positives")?,
        negatives: r.try_get("negatives")?,
        defends: r.try_get("defends")?,
        recent_sentiment: r.try_get("recent_sentiment")?,
        previous_sentiment: r.try_get("previous_sentiment")?,
        churn: r.try_get("churn")?,
        handles: Vec::new(),
        networks: Vec::new(),
    })
}

/// `text` made literal for `LIKE … ESCAPE '\'`.
pub fn like_literal(text: &str) -> String {
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A page of a workspace's people matching `f`, sorted, with their identities.
pub async fn list(
    db: &mut Db,
    workspace_id: i64,
    f: &PeopleFilter,
    sort: Sort,
    now: i64,
    offset: i64,
    limit: i64,
) -> Result<Vec<Person>> {
    let mut sql = format!(
        "SELECT {PERSON_COLUMNS} FROM people p LEFT JOIN person_scores s ON s.person_id = p.id WHERE p.workspace_id = $1"
    );
    let mut n = 1;
    let mut arg = |sql: &mut String, clause: &str| {
        n += 1;
        sql.push_str(&clause.replace('?', &format!("${n}")));
    };
    let q = f.q.trim();
    if !q.is_empty() {
        arg(
            &mut sql,
            " AND (LOWER(p.display_name) LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM person_identities i \
             WHERE i.person_id = p.id AND LOWER(i.handle) LIKE ? ESCAPE '\\'))",
        );
    }
    if !f.tag.is_empty() {
        arg(&mut sql, " AND p.tags LIKE ?");
    }
    if !f.network.is_empty() {
        arg(
            &mut sql,
            " AND EXISTS (SELECT 1 FROM person_identities i WHERE i.person_id = p.id AND i.network = ?)",
        );
    }
    if f.min_interactions > 0 {
        arg(&mut sql, " AND p.interactions >= ?");
    }
    if f.min_engagement > 0.0 {
        arg(&mut sql, " AND COALESCE(s.engagement, 0) >= ?");
    }
    if f.min_advocacy > 0.0 {
        arg(&mut sql, " AND COALESCE(s.advocacy, 0) >= ?");
    }
    if f.seen_within_days > 0 {
        arg(&mut sql, " AND p.last_seen_at >= ?");
    }
    match f.trend.as_str() {
        "rising" => sql.push_str(" AND s.recent_sentiment > s.previous_sentiment"),
        "falling" => sql.push_str(" AND s.recent_sentiment < s.previous_sentiment"),
        _ => {}
    }
    if f.churn {
        sql.push_str(" AND s.churn <> ''");
    }
    n += 1;
    let lim = n;
    n += 1;
    sql.push_str(&format!(" ORDER BY {} LIMIT ${lim} OFFSET ${n}", sort.order()));
    let mut query = sqlx::query(&sql).bind(workspace_id);
    if !q.is_empty() {
        query = query.bind(format!("%{}%", like_literal(q)));
    }
    if !f.tag.is_empty() {
        query = query.bind(format!("%,{},%", f.tag));
    }
    if !f.network.is_empty() {
        query = query.bind(&f.network);
    }
    if f.min_interactions > 0 {
        query = query.bind(f.min_interactions);
    }
    if f.min_engagement > 0.0 {
        query = query.bind(f.min_engagement);
    }
    if f.min_advocacy > 0.0 {
        query = query.bind(f.min_advocacy);
    }
    if f.seen_within_days > 0 {
        query = query.bind(now - f.seen_within_days * DAY_MS);
    }
    let rows = query.bind(limit).bind(offset).fetch_all(&mut *db).await?;
    let mut people = rows.iter().map(person).collect::<Result<Vec<_>>>()?;
    attach_identities(db, &mut people).await?;
    Ok(people)
}

async fn attach_identities(db: &mut Db, people: &mut [Person]) -> Result<()> {
    if people.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = people.iter().map(|p| p.id.to_string()).collect();
    // Integers from the database, not input: safe to inline.
    let rows = sqlx::query(&format!(
        "SELECT id, person_id, network, author_id, handle FROM person_identities WHERE person_id IN ({}) ORDER BY id",
        ids.join(",")
    ))
    .fetch_all(db)
    .await?;
    for r in &rows {
        let pid: i64 = r.try_get("person_id")?;
        if let Some(p) = people.iter_mut().find(|p| p.id == pid) {
            let handle: String = r.try_get("handle")?;
            let network: String = r.try_get("network")?;
            if !handle.is_empty() {
                p.handles.push(handle);
            }
            if !p.networks.contains(&network) {
                p.networks.push(network);
            }
        }
    }
    Ok(())
}

/// One person of a workspace.
pub async fn person_by_id(db: &mut Db, workspace_id: i64, id: i64) -> Result<Person> {
    let row = sqlx::query(&format!(
        "SELECT {PERSON_COLUMNS} FROM people p LEFT JOIN person_scores s ON s.person_id = p.id \
         WHERE p.id = $1 AND p.workspace_id = $2"
    ))
    .bind(id)
    .bind(workspace_id)
    .fetch_optional(&mut *db)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut p = [person(&row)?];
    attach_identities(db, &mut p).await?;
    let [p] = p;
    Ok(p)
}

/// A person's identities.
pub async fn identities_of(db: &mut Db, person_id: i64) -> Result<Vec<Identity>> {
    let rows = sqlx::query(
        "SELECT id, person_id, network, author_id, handle FROM person_identities WHERE person_id = $1 ORDER BY id",
    )
    .bind(person_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Identity {
                id: r.try_get("id")?,
                person_id: r.try_get("person_id")?,
                network: crate::word(r, "network")?,
                author_id: r.try_get("author_id")?,
                handle: r.try_get("handle")?,
            })
        })
        .collect()
}

/// When the workspace's scores were last rebuilt, ms.
pub async fn scores_refreshed_at(db: &mut Db, workspace_id: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT refreshed_at FROM community_refresh WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_optional(db)
        .await?)
}

/// The workspaces whose scores are older than `stale_before` and that saw someone since their
/// last rebuild, or whose scores are older than `old_before` (recency weights move with time);
/// never-scored workspaces with people come first.
pub async fn workspaces_to_score(db: &mut Db, stale_before: i64, old_before: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT w.id FROM workspaces w LEFT JOIN community_refresh r ON r.workspace_id = w.id \
         WHERE (r.refreshed_at IS NULL OR r.refreshed_at < $1) \
           AND EXISTS (SELECT 1 FROM people p WHERE p.workspace_id = w.id \
                       AND (r.refreshed_at IS NULL OR r.refreshed_at < $2 OR p.last_seen_at > r.refreshed_at)) \
         ORDER BY r.refreshed_at IS NOT NULL, r.refreshed_at, w.id",
    )
    .bind(stale_before)
    .bind(old_before)
    .fetch_all(db)
    .await?)
}

/// Rebuilds the scores of every person of a workspace as of `now`. A loyal member has at
/// least `loyal_items` items older than 30 days.
pub async fn refresh_scores(db: &mut Db, workspace_id: i64, now: i64, loyal_items: i64) -> Result<()> {
    let d30 = now - 30 * DAY_MS;
    let d90 = now - 90 * DAY_MS;
    sqlx::query("DELETE FROM person_scores WHERE workspace_id = $1")
        .bind(workspace_id)
        .execute(&mut *db)
        .await?;
    let value = "CASE i.sentiment WHEN 'pos' THEN 1.0 WHEN 'neg' THEN -1.0 ELSE 0.0 END";
    sqlx::query(&format!(
        "INSERT INTO person_scores (person_id, workspace_id, items, engagement, positives, negatives, defends, advocacy, \
           recent_sentiment, previous_sentiment, earlier_items, churn, computed_at) \
         SELECT p.id, p.workspace_id, CAST(COUNT(i.id) AS BIGINT), \
           CAST(COALESCE(SUM( \
             CASE i.kind WHEN 'reply' THEN 3 WHEN 'quote' THEN 3 WHEN 'mention' THEN 2 WHEN 'repost' THEN 2 ELSE 1 END \
             * CASE WHEN i.created_at >= $2 THEN 1.0 WHEN i.created_at >= $3 THEN 0.5 ELSE 0.25 END), 0) AS DOUBLE PRECISION), \
           CAST(COALESCE(SUM(CASE WHEN i.sentiment = 'pos' AND i.kind IN {ANSWERABLE_SQL} THEN 1 ELSE 0 END), 0) AS BIGINT), \
           CAST(COALESCE(SUM(CASE WHEN i.sentiment = 'neg' AND i.kind IN {ANSWERABLE_SQL} THEN 1 ELSE 0 END), 0) AS BIGINT), \
           0, 0, \
           CAST(AVG(CASE WHEN i.created_at >= $2 AND i.kind IN {ANSWERABLE_SQL} THEN {value} END) AS DOUBLE PRECISION), \
           CAST(AVG(CASE WHEN i.created_at >= $3 AND i.created_at < $2 AND i.kind IN {ANSWERABLE_SQL} THEN {value} END) AS DOUBLE PRECISION), \
           CAST(COALESCE(SUM(CASE WHEN i.created_at < $2 THEN 1 ELSE 0 END), 0) AS BIGINT), \
           '', $4 \
         FROM people p LEFT JOIN inbox_items i ON i.person_id = p.id AND i.kind <> 'sent' \
         WHERE p.workspace_id = $1 GROUP BY p.id, p.workspace_id"
    ))
    .bind(workspace_id)
    .bind(d30)
    .bind(d90)
    .bind(now)
    .execute(&mut *db)
    .await?;
    // The counts and last sightings the ingestion leaves to this refresh: only people with
    // new items are written.
    sqlx::query(
        "UPDATE people SET \
           last_seen_at = COALESCE((SELECT CASE WHEN MAX(i.created_at) > people.last_seen_at \
             THEN MAX(i.created_at) ELSE people.last_seen_at END FROM inbox_items i WHERE i.person_id = people.id), \
             people.last_seen_at), \
           interactions = (SELECT s.items FROM person_scores s WHERE s.person_id = people.id) \
         WHERE workspace_id = $1 \
           AND interactions <> COALESCE((SELECT s.items FROM person_scores s WHERE s.person_id = people.id), interactions)",
    )
    .bind(workspace_id)
    .execute(&mut *db)
    .await?;
    sqlx::query(&format!(
        "UPDATE person_scores SET defends = (SELECT COUNT(*) FROM inbox_items i \
           WHERE i.person_id = person_scores.person_id AND i.sentiment = 'pos' AND i.kind IN {ANSWERABLE_SQL} \
           AND EXISTS (SELECT 1 FROM conversations ci \
             JOIN conversations co ON co.channel_id = ci.channel_id AND co.root_ref = ci.root_ref \
             JOIN inbox_items o ON o.conversation_id = co.id \
             WHERE ci.id = i.conversation_id AND o.sentiment = 'neg' \
             AND o.kind IN {ANSWERABLE_SQL} AND o.person_id <> i.person_id)) \
         WHERE workspace_id = $1 AND positives > 0"
    ))
    .bind(workspace_id)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "UPDATE person_scores SET advocacy = CAST(positives + 2 * defends - negatives AS DOUBLE PRECISION), \
           churn = CASE \
             WHEN earlier_items >= $2 AND (SELECT last_seen_at FROM people WHERE id = person_scores.person_id) < $3 THEN 'quiet' \
             WHEN earlier_items >= $2 AND recent_sentiment IS NOT NULL AND recent_sentiment <= -0.1 \
               AND (previous_sentiment IS NULL OR previous_sentiment >= 0) THEN 'souring' \
             ELSE '' END \
         WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .bind(loyal_items)
    .bind(d30)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "INSERT INTO community_refresh (workspace_id, refreshed_at) VALUES ($1, $2) \
         ON CONFLICT (workspace_id) DO UPDATE SET refreshed_at = excluded.refreshed_at",
    )
    .bind(workspace_id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Replaces a person's tags; returns whether they exist in the workspace.
pub async fn set_tags(db: &mut Db, workspace_id: i64, id: i64, tags: &[String]) -> Result<bool> {
    let stored = if tags.is_empty() { String::new() } else { format!(",{},", tags.join(",")) };
    let n = sqlx::query("UPDATE people SET tags = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(stored)
        .bind(id)
        .bind(workspace_id)
        .execute(db)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// A note on a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Stable identifier.
    pub id: i64,
    /// Who wrote it.
    pub author_name: String,
    /// The text.
    pub body: String,
    /// When, ms.
    pub created_at: i64,
}

/// Adds a note.
pub async fn add_note(
    db: &mut Db,
    workspace_id: i64,
    person_id: i64,
    author: Option<i64>,
    author_name: &str,
    body: &str,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO person_notes (workspace_id, person_id, author_user_id, author_name, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(workspace_id)
    .bind(person_id)
    .bind(author)
    .bind(author_name)
    .bind(body)
    .bind(now)
    .fetch_one(db)
    .await?)
}

/// A person's notes, newest first.
pub async fn notes_of(db: &mut Db, person_id: i64) -> Result<Vec<Note>> {
    let rows = sqlx::query(
        "SELECT id, author_name, body, created_at FROM person_notes WHERE person_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200",
    )
    .bind(person_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Note {
                id: r.try_get("id")?,
                author_name: r.try_get("author_name")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Sets a custom field (an empty value removes it).
pub async fn set_field(db: &mut Db, workspace_id: i64, person_id: i64, key: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        sqlx::query("DELETE FROM person_fields WHERE person_id = $1 AND field_key = $2")
            .bind(person_id)
            .bind(key)
            .execute(db)
            .await?;
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO person_fields (workspace_id, person_id, field_key, field_value) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (person_id, field_key) DO UPDATE SET field_value = excluded.field_value",
    )
    .bind(workspace_id)
    .bind(person_id)
    .bind(key)
    .bind(value)
    .execute(db)
    .await?;
    Ok(())
}

/// A person's custom fields, by key.
pub async fn fields_of(db: &mut Db, person_id: i64) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT field_key, field_value FROM person_fields WHERE person_id = $1 ORDER BY field_key",
    )
    .bind(person_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("field_key")?, r.try_get("field_value")?))).collect()
}

/// The custom field keys used in a workspace.
pub async fn field_keys(db: &mut Db, workspace_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT field_key FROM person_fields WHERE workspace_id = $1 ORDER BY field_key LIMIT 200",
    )
    .bind(workspace_id)
    .fetch_all(db)
    .await?)
}

/// A saved segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    /// Stable identifier.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its filter.
    pub filter: PeopleFilter,
}

fn segment(r: &sqlx::any::AnyRow) -> Result<Segment> {
    let def: String = r.try_get("definition")?;
    Ok(Segment {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        filter: serde_json::from_str(&def).unwrap_or_default(),
    })
}

/// Saves a segment; a conflict when the name is taken.
pub async fn save_segment(
    db: &mut Db,
    workspace_id: i64,
    name: &str,
    filter: &PeopleFilter,
    by: Option<i64>,
    now: i64,
) -> Result<i64> {
    let mut f = filter.clone();
    f.q.clear();
    let def = serde_json::to_string(&f).unwrap_or_else(|_| "{}".into());
    Ok(sqlx::query_scalar(
        "INSERT INTO segments (workspace_id, name, definition, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(workspace_id)
    .bind(name)
    .bind(def)
    .bind(by)
    .bind(now)
    .fetch_one(db)
    .await?)
}

/// A workspace's segments, by name.
pub async fn segments_of(db: &mut Db, workspace_id: i64) -> Result<Vec<Segment>> {
    let rows = sqlx::query("SELECT id, name, definition FROM segments WHERE workspace_id = $1 ORDER BY name")
        .bind(workspace_id)
        .fetch_all(db)
        .await?;
    rows.iter().map(segment).collect()
}

/// Deletes a segment; returns whether it existed.
pub async fn delete_segment(db: &mut Db, workspace_id: i64, id: i64) -> Result<bool> {
    let n = sqlx::query("DELETE FROM segments WHERE id = $1 AND workspace_id = $2")
        .bind(id)
        .bind(workspace_id)
        .execute(db)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Recomputes a person's interactions and first and last seen from their items.
async fn recount(db: &mut Db, person_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE people SET \
           interactions = (SELECT COUNT(*) FROM inbox_items WHERE person_id = $1), \
           first_seen_at = COALESCE((SELECT MIN(created_at) FROM inbox_items WHERE person_id = $1), first_seen_at), \
           last_seen_at = COALESCE((SELECT MAX(created_at) FROM inbox_items WHERE person_id = $1), last_seen_at) \
         WHERE id = $1",
    )
    .bind(person_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Merges `from` into `into`: identities, items, conversations, notes and fields move (the
/// fields `into` already has win), tags are united; `from` is deleted.
pub async fn merge(db: &mut Db, workspace_id: i64, into: &Person, from: &Person) -> Result<()> {
    for sql in [
        "UPDATE person_identities SET person_id = $1 WHERE person_id = $2",
        "UPDATE inbox_items SET person_id = $1 WHERE person_id = $2",
        "UPDATE conversations SET person_id = $1 WHERE person_id = $2",
        "UPDATE person_notes SET person_id = $1 WHERE person_id = $2",
        "INSERT INTO person_fields (workspace_id, person_id, field_key, field_value) \
           SELECT workspace_id, $1, field_key, field_value FROM person_fields WHERE person_id = $2 \
           AND field_key NOT IN (SELECT field_key FROM person_fields WHERE person_id = $1)",
    ] {
        sqlx::query(sql).bind(into.id).bind(from.id).execute(&mut *db).await?;
    }
    let mut tags = into.tags.clone();
    for t in &from.tags {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    set_tags(db, workspace_id, into.id, &tags).await?;
    sqlx::query("DELETE FROM people WHERE id = $1 AND workspace_id = $2")
        .bind(from.id)
        .bind(workspace_id)
        .execute(&mut *db)
        .await?;
    recount(db, into.id).await
}

/// Splits an identity off `person` into a new person who takes that identity's items and the
/// conversations only they took part in; returns the new person.
pub async fn split(
    db: &mut Db,
    workspace_id: i64,
    person: &Person,
    identity: &Identity,
    now: i64,
) -> Result<i64> {
    let name = if identity.handle.is_empty() { identity.author_id.clone() } else { identity.handle.clone() };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO people (workspace_id, display_name, interactions, first_seen_at, last_seen_at, created_at) \
         VALUES ($1, $2, 0, $3, $3, $3) RETURNING id",
    )
    .bind(workspace_id)
    .bind(&name)
    .bind(now)
    .fetch_one(&mut *db)
    .await?;
    sqlx::query("UPDATE person_identities SET person_id = $1 WHERE id = $2")
        .bind(id)
        .bind(identity.id)
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "UPDATE inbox_items SET person_id = $1 WHERE person_id = $2 AND author_id = $3 \
         AND channel_id IN (SELECT id FROM channels WHERE network = $4)",
    )
    .bind(id)
    .bind(person.id)
    .bind(&identity.author_id)
    .bind(identity.network.as_str())
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "UPDATE conversations SET person_id = $1 WHERE person_id = $2 \
         AND id IN (SELECT conversation_id FROM inbox_items WHERE person_id = $1) \
         AND id NOT IN (SELECT conversation_id FROM inbox_items WHERE person_id = $2)",
    )
    .bind(id)
    .bind(person.id)
    .execute(&mut *db)
    .await?;
    // The new person's name: the latest name their items carry.
    sqlx::query(
        "UPDATE people SET display_name = COALESCE((SELECT author_name FROM inbox_items WHERE person_id = $1 \
           AND author_name <> '' ORDER BY created_at DESC, id DESC LIMIT 1), display_name) WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *db)
    .await?;
    recount(db, id).await?;
    recount(db, person.id).await?;
    Ok(id)
}

/// An interaction of a person with the brand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interaction {
    /// The item.
    pub id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// reply, mention, quote, repost, like, follow, dm.
    pub kind: ItemKind,
    /// Its text.
    pub text: String,
    /// pos, neu, neg.
    pub sentiment: Sentiment,
    /// Its feedback category.
    pub category: String,
    /// When, ms.
    pub created_at: i64,
}

/// A page of a person's items, newest first.
pub async fn history(db: &mut Db, person_id: i64, offset: i64, limit: i64) -> Result<Vec<Interaction>> {
    let rows = sqlx::query(
        "SELECT id, conversation_id, kind, text, sentiment, category, created_at FROM inbox_items \
         WHERE person_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(person_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Interaction {
                id: r.try_get("id")?,
                conversation_id: r.try_get("conversation_id")?,
                kind: crate::word(r, "kind")?,
                text: r.try_get("text")?,
                sentiment: crate::word(r, "sentiment")?,
                category: r.try_get("category")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// The times and sentiments of a person's answerable items (at most the latest 5,000).
pub async fn sentiments_of(db: &mut Db, person_id: i64) -> Result<Vec<(i64, Sentiment)>> {
    let rows = sqlx::query(&format!(
        "SELECT created_at, sentiment FROM inbox_items WHERE person_id = $1 AND kind IN {ANSWERABLE_SQL} \
         ORDER BY created_at DESC LIMIT 5000"
    ))
    .bind(person_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("created_at")?, crate::word(r, "sentiment")?))).collect()
}
