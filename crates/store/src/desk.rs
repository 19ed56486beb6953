//! The start of the day: what waits in a workspace (the sidebar's counts, in one statement),
//! the day's schedule, the failed posts and broken channels, the posts in review, the week's
//! headline numbers, and the search across people, conversations, posts and mentions.
//!
//! Inbox replies are posts too (`posts.conversation_id`); they belong to the inbox, so the
//! schedule, the failures and the numbers here leave them out.

use sqlx::Row;
use tutti_domain::{Network, PostStatus};

use crate::{Db, Result};

/// What waits in a workspace, counted in one statement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Open conversations assigned to the reader.
    pub inbox_mine: i64,
    /// Open conversations assigned to no one.
    pub inbox_unassigned: i64,
    /// Open conversations whose first answer is later than the workspace's SLA.
    pub sla_breaches: i64,
    /// Posts waiting for approval.
    pub review: i64,
    /// The reader's own posts sent back from review with a comment (drafts with a comment).
    pub sent_back: i64,
    /// Alerts nobody has acknowledged.
    pub alerts_open: i64,
    /// Posts whose publishing failed.
    pub failed_posts: i64,
    /// Channels that need reconnecting.
    pub broken_channels: i64,
    /// Posts scheduled to go out (those a crisis holds back).
    pub scheduled: i64,
    /// The workspace's channels.
    pub channels: i64,
}

/// Counts what waits in `workspace_id` for `user_id`; an open conversation is late once
/// `sla_minutes` have passed since its first item without an answer.
pub async fn counts(
    db: &mut Db,
    workspace_id: i64,
    user_id: i64,
    sla_minutes: i64,
    now: i64,
) -> Result<Counts> {
    let row = sqlx::query(
        "SELECT \
         (SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND status = 'open' AND assignee_user_id = $2) AS inbox_mine, \
         (SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND status = 'open' AND assignee_user_id IS NULL) AS inbox_unassigned, \
         (SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND status = 'open' AND unanswered = 1 AND first_item_at < $3) AS sla_breaches, \
         (SELECT COUNT(*) FROM posts WHERE workspace_id = $1 AND status = 'in_review' AND conversation_id IS NULL) AS review, \
         (SELECT COUNT(*) FROM posts WHERE workspace_id = $1 AND status = 'draft' AND author_user_id = $2 AND error IS NOT NULL AND conversation_id IS NULL) AS sent_back, \
         (SELECT COUNT(*) FROM alerts WHERE workspace_id = $1 AND acknowledged_at IS NULL) AS alerts_open, \
         (SELECT COUNT(*) FROM posts WHERE workspace_id = $1 AND status = 'failed' AND conversation_id IS NULL) AS failed_posts, \
         (SELECT COUNT(*) FROM channels WHERE workspace_id = $1 AND status <> 'ok') AS broken_channels, \
         (SELECT COUNT(*) FROM posts WHERE workspace_id = $1 AND status = 'scheduled' AND conversation_id IS NULL) AS scheduled, \
         (SELECT COUNT(*) FROM channels WHERE workspace_id = $1) AS channels",
    )
    .bind(workspace_id)
    .bind(user_id)
    .bind(now - sla_minutes * 60_000)
    .fetch_one(db)
    .await?;
    Ok(Counts {
        inbox_mine: row.try_get("inbox_mine")?,
        inbox_unassigned: row.try_get("inbox_unassigned")?,
        sla_breaches: row.try_get("sla_breaches")?,
        review: row.try_get("review")?,
        sent_back: row.try_get("sent_back")?,
        alerts_open: row.try_get("alerts_open")?,
        failed_posts: row.try_get("failed_posts")?,
        broken_channels: row.try_get("broken_channels")?,
        scheduled: row.try_get("scheduled")?,
        channels: row.try_get("channels")?,
    })
}

/// A post as the overview lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PostLine {
    /// The post.
    pub id: i64,
    /// Its channel's network (`bluesky`, `mastodon`).
    pub network: Network,
    /// Its channel's handle.
    pub handle: String,
    /// Its text.
    pub text: String,
    /// Its state: draft, in_review, scheduled, publishing, published, failed.
    pub status: PostStatus,
    /// When it goes out, ms.
    pub scheduled_at: Option<i64>,
    /// The network's words on a failure, or the reviewer's comment.
    pub error: Option<String>,
    /// Who wrote it.
    pub author: String,
    /// When it last changed, ms.
    pub updated_at: i64,
}

const POST_LINE: &str = "SELECT p.id, c.network, c.handle, p.text, p.status, p.scheduled_at, p.error, \
     COALESCE(u.name, '') AS author, p.updated_at FROM posts p JOIN channels c ON c.id = p.channel_id \
     LEFT JOIN users u ON u.id = p.author_user_id";

fn post_line(r: &sqlx::any::AnyRow) -> Result<PostLine> {
    Ok(PostLine {
        id: r.try_get("id")?,
        network: crate::word(r, "network")?,
        handle: r.try_get("handle")?,
        text: r.try_get("text")?,
        status: crate::word(r, "status")?,
        scheduled_at: r.try_get("scheduled_at")?,
        error: r.try_get("error")?,
        author: r.try_get("author")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The posts planned between `from` and `to` (ms), drafts left out, earliest first.
pub async fn schedule(
    db: &mut Db,
    workspace_id: i64,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<PostLine>> {
    let rows = sqlx::query(&format!(
        "{POST_LINE} WHERE p.workspace_id = $1 AND p.conversation_id IS NULL AND p.status <> 'draft' \
         AND p.scheduled_at >= $2 AND p.scheduled_at < $3 ORDER BY p.scheduled_at, p.id LIMIT $4"
    ))
    .bind(workspace_id)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(post_line).collect()
}

/// The posts in `status` (the newest change first); with `author`, only theirs.
pub async fn posts_in(
    db: &mut Db,
    workspace_id: i64,
    status: PostStatus,
    author: Option<i64>,
    limit: i64,
) -> Result<Vec<PostLine>> {
    let rows = sqlx::query(&format!(
        "{POST_LINE} WHERE p.workspace_id = $1 AND p.conversation_id IS NULL AND p.status = $2 \
         AND ($3 = 0 OR p.author_user_id = $3) AND ($2 <> 'draft' OR p.error IS NOT NULL) \
         ORDER BY p.updated_at DESC, p.id DESC LIMIT $4"
    ))
    .bind(workspace_id)
    .bind(status.as_str())
    .bind(author.unwrap_or(0))
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(post_line).collect()
}

/// A channel that needs reconnecting.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BrokenChannel {
    /// The channel.
    pub id: i64,
    /// Its network.
    pub network: Network,
    /// Its handle.
    pub handle: String,
    /// What the network said.
    pub message: String,
}

/// The workspace's channels that need reconnecting.
pub async fn broken_channels(db: &mut Db, workspace_id: i64) -> Result<Vec<BrokenChannel>> {
    let rows = sqlx::query(
        "SELECT id, network, handle, COALESCE(status_message, '') AS message FROM channels \
         WHERE workspace_id = $1 AND status <> 'ok' ORDER BY handle, id LIMIT 20",
    )
    .bind(workspace_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(BrokenChannel {
                id: r.try_get("id")?,
                network: crate::word(r, "network")?,
                handle: r.try_get("handle")?,
                message: r.try_get("message")?,
            })
        })
        .collect()
}

/// The listening mentions matched since `since` (ms): all of them, and the negative ones.
pub async fn mentions_since(db: &mut Db, workspace_id: i64, since: i64) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN m.sentiment = 'neg' THEN 1 ELSE 0 END), 0) AS neg \
         FROM mentions m JOIN listening_queries q ON q.id = m.query_id \
         WHERE q.workspace_id = $1 AND m.matched_at >= $2",
    )
    .bind(workspace_id)
    .bind(since)
    .fetch_one(db)
    .await?;
    Ok((row.try_get("n")?, row.try_get("neg")?))
}

/// What the data already says about a period: posts published, conversations answered for the
/// first time, listening mentions matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Numbers {
    /// Posts published (inbox replies left out).
    pub published: i64,
    /// Conversations that got their first answer.
    pub answered: i64,
    /// Listening mentions matched.
    pub mentions: i64,
}

/// The headline numbers since `since` (ms).
pub async fn numbers_since(db: &mut Db, workspace_id: i64, since: i64) -> Result<Numbers> {
    let row = sqlx::query(
        "SELECT \
         (SELECT COUNT(*) FROM posts WHERE workspace_id = $1 AND status = 'published' AND conversation_id IS NULL AND published_at >= $2) AS published, \
         (SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND first_response_at >= $2) AS answered, \
         (SELECT COUNT(*) FROM mentions m JOIN listening_queries q ON q.id = m.query_id WHERE q.workspace_id = $1 AND m.matched_at >= $2) AS mentions",
    )
    .bind(workspace_id)
    .bind(since)
    .fetch_one(db)
    .await?;
    Ok(Numbers {
        published: row.try_get("published")?,
        answered: row.try_get("answered")?,
        mentions: row.try_get("mentions")?,
    })
}

/// A `LIKE` pattern that finds `text` anywhere, its wildcards escaped (with `ESCAPE '\'`), in
/// lower case (compared with `LOWER(column)`).
pub fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hit {
    /// The row's id (a person, a conversation, a post, a mention).
    pub id: i64,
    /// What names it: a person's name, a handle, a channel.
    pub title: String,
    /// Its text (bounded by the caller).
    pub text: String,
    /// A secondary key: the conversation's status, the post's status, the mention's query id.
    pub extra: String,
    /// When, ms.
    pub at: i64,
}

/// Runs one group's search: `sql` takes the workspace (`$1`), the pattern (`$2`) and the limit
/// (`$3`) and selects `id, title, text, extra, at`.
async fn search(
    db: &mut Db,
    workspace_id: i64,
    pattern: &str,
    limit: i64,
    sql: &'static str,
) -> Result<Vec<Hit>> {
    let rows = sqlx::query(sql).bind(workspace_id).bind(pattern).bind(limit).fetch_all(db).await?;
    hits(rows)
}

fn hits(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<Hit>> {
    rows.iter()
        .map(|r| {
            Ok(Hit {
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                text: r.try_get("text")?,
                extra: r.try_get("extra")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// People whose name or one of whose handles contains the pattern (see [`contains_pattern`]).
pub async fn search_people(db: &mut Db, workspace_id: i64, pattern: &str, limit: i64) -> Result<Vec<Hit>> {
    search(
        db,
        workspace_id,
        pattern,
        limit,
        "SELECT p.id, p.display_name AS title, \
         COALESCE((SELECT MIN(i.handle) FROM person_identities i WHERE i.person_id = p.id), '') AS text, \
         '' AS extra, p.last_seen_at AS at FROM people p WHERE p.workspace_id = $1 \
         AND (LOWER(p.display_name) LIKE $2 ESCAPE '\\' OR EXISTS (SELECT 1 FROM person_identities i \
              WHERE i.person_id = p.id AND LOWER(i.handle) LIKE $2 ESCAPE '\\')) \
         ORDER BY p.last_seen_at DESC, p.id DESC LIMIT $3",
    )
    .await
}

/// Conversations one of whose messages, or whose person, matches the pattern.
pub async fn search_conversations(
    db: &mut Db,
    workspace_id: i64,
    pattern: &str,
    limit: i64,
) -> Result<Vec<Hit>> {
    search(
        db,
        workspace_id,
        pattern,
        limit,
        "SELECT c.id, COALESCE(p.display_name, '') AS title, c.excerpt AS text, c.status AS extra, \
         c.last_item_at AS at FROM conversations c LEFT JOIN people p ON p.id = c.person_id \
         WHERE c.workspace_id = $1 AND (LOWER(c.excerpt) LIKE $2 ESCAPE '\\' \
              OR LOWER(COALESCE(p.display_name, '')) LIKE $2 ESCAPE '\\' \
              OR EXISTS (SELECT 1 FROM inbox_items i WHERE i.conversation_id = c.id \
                         AND (LOWER(i.text) LIKE $2 ESCAPE '\\' OR LOWER(i.author_handle) LIKE $2 ESCAPE '\\'))) \
         ORDER BY c.last_item_at DESC, c.id DESC LIMIT $3",
    )
    .await
}

/// The team's posts (inbox replies left out) whose text matches the pattern.
pub async fn search_posts(db: &mut Db, workspace_id: i64, pattern: &str, limit: i64) -> Result<Vec<Hit>> {
    search(
        db,
        workspace_id,
        pattern,
        limit,
        "SELECT p.id, c.handle AS title, p.text, p.status AS extra, COALESCE(p.scheduled_at, p.updated_at) AS at \
         FROM posts p JOIN channels c ON c.id = p.channel_id \
         WHERE p.workspace_id = $1 AND p.conversation_id IS NULL AND LOWER(p.text) LIKE $2 ESCAPE '\\' \
         ORDER BY p.updated_at DESC, p.id DESC LIMIT $3",
    )
    .await
}

/// Listening mentions whose text or author matches the pattern; `extra` is the query's id.
pub async fn search_mentions(db: &mut Db, workspace_id: i64, pattern: &str, limit: i64) -> Result<Vec<Hit>> {
    search(
        db,
        workspace_id,
        pattern,
        limit,
        "SELECT m.id, COALESCE(m.author, '') AS title, m.text, CAST(m.query_id AS TEXT) AS extra, \
         m.matched_at AS at FROM mentions m JOIN listening_queries q ON q.id = m.query_id \
         WHERE q.workspace_id = $1 AND (LOWER(m.text) LIKE $2 ESCAPE '\\' OR LOWER(COALESCE(m.author, '')) LIKE $2 ESCAPE '\\') \
         ORDER BY m.matched_at DESC, m.id DESC LIMIT $3",
    )
    .await
}

/// The language a workspace's team works in, when it chose one.
pub async fn language(db: &mut Db, workspace_id: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT language FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(db)
        .await?)
}

/// Sets the language a workspace's team works in.
pub async fn set_language(db: &mut Db, workspace_id: i64, language: &str) -> Result<()> {
    sqlx::query("UPDATE workspaces SET language = $1 WHERE id = $2")
        .bind(language)
        .bind(workspace_id)
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn wildcards_are_escaped_and_the_pattern_is_lower_case() {
        assert_eq!(contains_pattern("Lampe"), "%lampe%");
        assert_eq!(contains_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }
}
