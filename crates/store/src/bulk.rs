//! Bulk loading and bulk reads for the benchmarks (`tutti bench`): a large inbox written in
//! multi-row inserts inside large transactions, and the figures the publishing benchmark reads
//! back. Nothing in Tutti's own paths uses this module.
//!
//! The loader writes rows with their ids (so that rows can name each other without reading
//! them back), then [`finish`] moves PostgreSQL's identity sequences past them and [`analyse`]
//! gives the planner the tables' statistics. It fills an empty workspace of a database given to
//! a benchmark, and checks none of the invariants the use cases keep (a conversation's counters
//! against its items, a person's identities): the caller draws rows that keep them.

use crate::{Backend, Db, Result, Store};

/// Rows per INSERT statement.
const ROWS_PER_STATEMENT: usize = 1_000;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: usize = 100_000;

/// The tables the loader writes, whose ids and statistics it looks after.
const TABLES: [&str; 4] = ["people", "person_identities", "conversations", "inbox_items"];

/// The first free id of each table the loader writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextIds {
    /// `people`.
    pub people: i64,
    /// `person_identities`.
    pub identities: i64,
    /// `conversations`.
    pub conversations: i64,
    /// `inbox_items`.
    pub items: i64,
}

/// A person of the community.
#[derive(Debug, Clone)]
pub struct Person {
    /// Its id (from [`NextIds::people`] on).
    pub id: i64,
    /// The workspace.
    pub workspace_id: i64,
    /// The name shown.
    pub display_name: String,
    /// First and last seen, and created, ms UTC.
    pub seen_at: i64,
}

/// A person's account on a network.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Its id.
    pub id: i64,
    /// The workspace.
    pub workspace_id: i64,
    /// The person.
    pub person_id: i64,
    /// `bluesky`, `mastodon`…
    pub network: String,
    /// The account's id on the network (a DID on Bluesky).
    pub author_id: String,
    /// The account's handle.
    pub handle: String,
}

/// A conversation of the inbox, with the counters its items make.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Its id.
    pub id: i64,
    /// The workspace.
    pub workspace_id: i64,
    /// The channel it came through.
    pub channel_id: i64,
    /// What groups its items (a thread's root, a liked post, a follow).
    pub root_ref: String,
    /// The author, empty for the likes and reposts of a post.
    pub author_id: String,
    /// The person.
    pub person_id: i64,
    /// The first item's kind.
    pub kind: String,
    /// Text shown in the list.
    pub excerpt: String,
    /// `pos`, `neu`, `neg`.
    pub sentiment: String,
    /// Language tag, or empty.
    pub lang: String,
    /// 0 to 1.
    pub toxicity: f64,
    /// `open`, `pending`, `closed`.
    pub status: String,
    /// 0 to 3.
    pub priority: i64,
    /// The member it is assigned to.
    pub assignee_user_id: Option<i64>,
    /// `,tag,tag,` or empty.
    pub tags: String,
    /// Waiting for an answer.
    pub unanswered: bool,
    /// How many items it holds (as many as are loaded for it).
    pub items: i64,
    /// Its first and last item, ms UTC.
    pub first_item_at: i64,
    /// See `first_item_at`.
    pub last_item_at: i64,
    /// The first answer, ms UTC.
    pub first_response_at: Option<i64>,
    /// When it was closed, ms UTC.
    pub resolved_at: Option<i64>,
    /// Last change, ms UTC.
    pub touched_at: i64,
}

/// An item of a conversation.
#[derive(Debug, Clone)]
pub struct Item {
    /// Its id.
    pub id: i64,
    /// The workspace.
    pub workspace_id: i64,
    /// The channel.
    pub channel_id: i64,
    /// The conversation.
    pub conversation_id: i64,
    /// The notification's id on the network (unique per channel).
    pub remote_id: String,
    /// `reply`, `mention`, `quote`, `like`, `repost`, `follow`.
    pub kind: String,
    /// The person.
    pub person_id: i64,
    /// The author's id on the network.
    pub author_id: String,
    /// The author's handle.
    pub author_handle: String,
    /// The author's name.
    pub author_name: String,
    /// The text, empty for likes, reposts and follows.
    pub text: String,
    /// Language tag, or empty.
    pub lang: String,
    /// `pos`, `neu`, `neg`.
    pub sentiment: String,
    /// 0 to 1.
    pub toxicity: f64,
    /// The author's post, and its CID.
    pub post: Option<(String, String)>,
    /// The post it answers.
    pub parent_ref: Option<String>,
    /// The post liked, reposted or quoted.
    pub subject_ref: Option<String>,
    /// On the network, ms UTC.
    pub created_at: i64,
    /// In Tutti, ms UTC.
    pub received_at: i64,
}

/// Whether the database has no workspace at all (a benchmark fills only such a database).
pub async fn has_no_workspace(db: &mut Db) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workspaces").fetch_one(db).await?;
    Ok(n == 0)
}

/// The first free id of every table the loader writes.
pub async fn next_ids(store: &Store) -> Result<NextIds> {
    let mut conn = store.conn().await?;
    let mut next = [0; 4];
    for (slot, table) in next.iter_mut().zip(TABLES) {
        let max: Option<i64> =
            sqlx::query_scalar(&format!("SELECT MAX(id) FROM {table}")).fetch_one(&mut *conn).await?;
        *slot = max.unwrap_or(0) + 1;
    }
    Ok(NextIds { people: next[0], identities: next[1], conversations: next[2], items: next[3] })
}

/// Writes people; returns how many.
pub async fn insert_people(store: &Store, rows: impl Iterator<Item = Person>) -> Result<usize> {
    insert(
        store,
        "INSERT INTO people (id, workspace_id, display_name, interactions, first_seen_at, last_seen_at, created_at)",
        rows,
        |p| {
            format!(
                "({}, {}, {}, 1, {seen}, {seen}, {seen})",
                p.id,
                p.workspace_id,
                lit(&p.display_name),
                seen = p.seen_at
            )
        },
    )
    .await
}

/// Writes network identities; returns how many.
pub async fn insert_identities(store: &Store, rows: impl Iterator<Item = Identity>) -> Result<usize> {
    insert(
        store,
        "INSERT INTO person_identities (id, workspace_id, person_id, network, author_id, handle)",
        rows,
        |i| {
            format!(
                "({}, {}, {}, {}, {}, {})",
                i.id,
                i.workspace_id,
                i.person_id,
                lit(&i.network),
                lit(&i.author_id),
                lit(&i.handle)
            )
        },
    )
    .await
}

/// Writes conversations; returns how many.
pub async fn insert_conversations(store: &Store, rows: impl Iterator<Item = Conversation>) -> Result<usize> {
    insert(
        store,
        "INSERT INTO conversations (id, workspace_id, channel_id, root_ref, author_id, person_id, kind, excerpt, \
         sentiment, lang, toxicity, status, priority, assignee_user_id, tags, unanswered, items, first_item_at, \
         last_item_at, first_response_at, resolved_at, touched_at)",
        rows,
        |c| {
            format!(
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {:.3}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                c.id,
                c.workspace_id,
                c.channel_id,
                lit(&c.root_ref),
                lit(&c.author_id),
                c.person_id,
                lit(&c.kind),
                lit(&c.excerpt),
                lit(&c.sentiment),
                lit(&c.lang),
                c.toxicity,
                lit(&c.status),
                c.priority,
                int(c.assignee_user_id),
                lit(&c.tags),
                i64::from(c.unanswered),
                c.items,
                c.first_item_at,
                c.last_item_at,
                int(c.first_response_at),
                int(c.resolved_at),
                c.touched_at,
            )
        },
    )
    .await
}

/// Writes items; returns how many.
pub async fn insert_items(store: &Store, rows: impl Iterator<Item = Item>) -> Result<usize> {
    insert(
        store,
        "INSERT INTO inbox_items (id, workspace_id, channel_id, conversation_id, remote_id, kind, person_id, author_id, \
         author_handle, author_name, text, lang, sentiment, toxicity, post_ref, post_cid, parent_ref, subject_ref, \
         created_at, received_at)",
        rows,
        |i| {
            let (post, cid) = match &i.post {
                Some((post, cid)) => (lit(post), lit(cid)),
                None => ("NULL".to_owned(), "NULL".to_owned()),
            };
            format!(
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {:.3}, {}, {}, {}, {}, {}, {})",
                i.id,
                i.workspace_id,
                i.channel_id,
                i.conversation_id,
                lit(&i.remote_id),
                lit(&i.kind),
                i.person_id,
                lit(&i.author_id),
                lit(&i.author_handle),
                lit(&i.author_name),
                lit(&i.text),
                lit(&i.lang),
                lit(&i.sentiment),
                i.toxicity,
                post,
                cid,
                opt(i.parent_ref.as_deref()),
                opt(i.subject_ref.as_deref()),
                i.created_at,
                i.received_at,
            )
        },
    )
    .await
}

/// After a load: PostgreSQL's identity sequences moved past the ids written (SQLite needs
/// nothing).
pub async fn finish(store: &Store) -> Result<()> {
    if store.backend() == Backend::Postgres {
        let mut conn = store.conn().await?;
        for table in TABLES {
            sqlx::raw_sql(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Gives the query planner the statistics of the loaded tables (on PostgreSQL, vacuumed as
/// autovacuum would have done: visibility map and hint bits set).
pub async fn analyse(store: &Store) -> Result<()> {
    let sql = match store.backend() {
        Backend::Sqlite => "ANALYZE".to_owned(),
        Backend::Postgres => format!("VACUUM ANALYZE {}", TABLES.join(", ")),
    };
    sqlx::raw_sql(&sql).execute(&mut *store.conn().await?).await?;
    Ok(())
}

/// How many posts of a workspace are in `status`.
pub async fn count_posts(db: &mut Db, workspace_id: i64, status: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM posts WHERE workspace_id = $1 AND status = $2")
        .bind(workspace_id)
        .bind(status)
        .fetch_one(db)
        .await?)
}

/// When every published post of a workspace was due and when it was published, ms UTC.
pub async fn publish_times(db: &mut Db, workspace_id: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT scheduled_at, published_at FROM posts WHERE workspace_id = $1 AND status = 'published' \
         AND scheduled_at IS NOT NULL AND published_at IS NOT NULL",
    )
    .bind(workspace_id)
    .fetch_all(db)
    .await?)
}

/// A published post of the brand with its latest counts, for the analytics benchmark.
#[derive(Debug, Clone)]
pub struct MeasuredPost {
    /// Its id (past the table's largest).
    pub id: i64,
    /// The workspace.
    pub workspace_id: i64,
    /// The channel.
    pub channel_id: i64,
    /// The member who wrote it.
    pub author_user_id: Option<i64>,
    /// Its text.
    pub text: String,
    /// Its id on the network (unique per workspace in practice).
    pub remote_id: String,
    /// When it was published, ms UTC.
    pub published_at: i64,
    /// Latest likes, reposts, replies, quotes.
    pub counts: [i64; 4],
    /// When those were taken, ms UTC.
    pub counts_at: Option<i64>,
    /// The schedule's next point.
    pub snapshot_step: i64,
    /// When the next snapshot is due.
    pub next_snapshot_at: Option<i64>,
    /// The channel's followers when it was published.
    pub followers_at_publish: Option<i64>,
    /// Its pillar.
    pub pillar: Option<String>,
    /// Its campaign.
    pub campaign: Option<String>,
}

/// Writes published posts with their counts; returns how many. They bypass the daily rollup:
/// their workspaces' rollups are marked stale, for [`finish_analytics`] to rebuild.
pub async fn insert_measured_posts(store: &Store, rows: impl Iterator<Item = MeasuredPost>) -> Result<usize> {
    let mut workspaces = std::collections::BTreeSet::new();
    let rows = rows.inspect(|p| {
        workspaces.insert(p.workspace_id);
    });
    let n = insert(
        store,
        "INSERT INTO posts (id, workspace_id, channel_id, author_user_id, text, status, idempotency_key, remote_id, \
         remote_url, published_at, created_at, updated_at, likes, reposts, replies, quotes, engagements, counts_at, \
         snapshot_step, next_snapshot_at, followers_at_publish, pillar, campaign)",
        rows,
        |p| {
            let [likes, reposts, replies, quotes] = p.counts;
            format!(
                "({}, {}, {}, {}, {}, 'published', 'bench-{}', {}, NULL, {at}, {at}, {at}, {likes}, {reposts}, \
                 {replies}, {quotes}, {}, {}, {}, {}, {}, {}, {})",
                p.id,
                p.workspace_id,
                p.channel_id,
                int(p.author_user_id),
                lit(&p.text),
                p.id,
                lit(&p.remote_id),
                likes + reposts + replies + quotes,
                int(p.counts_at),
                p.snapshot_step,
                int(p.next_snapshot_at),
                int(p.followers_at_publish),
                opt(p.pillar.as_deref()),
                opt(p.campaign.as_deref()),
                at = p.published_at,
            )
        },
    )
    .await?;
    let mut conn = store.conn().await?;
    for ws in workspaces {
        sqlx::query("UPDATE workspaces SET post_days_zone = NULL WHERE id = $1")
            .bind(ws)
            .execute(&mut *conn)
            .await?;
    }
    Ok(n)
}

/// Writes post snapshots `(post_id, taken_at, step, [likes, reposts, replies, quotes])`;
/// returns how many.
pub async fn insert_snapshots(
    store: &Store,
    rows: impl Iterator<Item = (i64, i64, i64, [i64; 4])>,
) -> Result<usize> {
    insert(
        store,
        "INSERT INTO post_snapshots (post_id, taken_at, step, likes, reposts, replies, quotes)",
        rows,
        |(post, at, step, [l, r, p, q])| format!("({post}, {at}, {step}, {l}, {r}, {p}, {q})"),
    )
    .await
}

/// Writes channels' daily counts `(channel_id, day, followers, following, posts)`; returns how
/// many.
pub async fn insert_channel_counts(
    store: &Store,
    rows: impl Iterator<Item = (i64, i64, i64, i64, i64)>,
) -> Result<usize> {
    insert(
        store,
        "INSERT INTO channel_counts (channel_id, day, followers, following, posts, taken_at)",
        rows,
        |(c, day, followers, following, posts)| {
            format!("({c}, {day}, {followers}, {following}, {posts}, {})", day * 86_400_000 + 3_600_000)
        },
    )
    .await
}

/// The first free post id.
pub async fn next_post_id(db: &mut Db) -> Result<i64> {
    let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM posts").fetch_one(db).await?;
    Ok(max.unwrap_or(0) + 1)
}

/// After a load of posts: PostgreSQL's identity sequence of `posts` moved past them, the
/// daily rollups of the workspaces loaded rebuilt, and the analytics tables' statistics given
/// to the planner.
pub async fn finish_analytics(store: &Store) -> Result<()> {
    let mut conn = store.conn().await?;
    for ws in crate::analytics::rollup::stale_workspaces(&mut conn).await? {
        crate::analytics::rollup::rebuild(&mut conn, ws).await?;
    }
    let sql = match store.backend() {
        Backend::Sqlite => "ANALYZE".to_owned(),
        Backend::Postgres => {
            sqlx::raw_sql(
                "SELECT setval(pg_get_serial_sequence('posts', 'id'), (SELECT MAX(id) FROM posts))",
            )
            .execute(&mut *conn)
            .await?;
            format!("VACUUM ANALYZE posts, post_days, post_snapshots, channel_counts, {}", TABLES.join(", "))
        }
    };
    sqlx::raw_sql(&sql).execute(&mut *conn).await?;
    Ok(())
}

/// Runs INSERT statements of [`ROWS_PER_STATEMENT`] rows, [`ROWS_PER_TRANSACTION`] rows per
/// transaction; returns how many rows.
async fn insert<R>(
    store: &Store,
    head: &str,
    rows: impl Iterator<Item = R>,
    values: impl Fn(&R) -> String,
) -> Result<usize> {
    let mut rows = rows.peekable();
    let mut written = 0;
    while rows.peek().is_some() {
        let mut tx = store.begin().await?;
        let mut in_tx = 0;
        while in_tx < ROWS_PER_TRANSACTION && rows.peek().is_some() {
            let mut sql = String::with_capacity(512 * ROWS_PER_STATEMENT);
            sql.push_str(head);
            sql.push_str(" VALUES ");
            let mut in_statement = 0;
            while in_statement < ROWS_PER_STATEMENT && in_tx < ROWS_PER_TRANSACTION {
                let Some(row) = rows.next() else { break };
                if in_statement > 0 {
                    sql.push(',');
                }
                sql.push_str(&values(&row));
                in_statement += 1;
                in_tx += 1;
            }
            sqlx::raw_sql(&sql).execute(&mut *tx).await?;
            written += in_statement;
        }
        tx.commit().await?;
    }
    Ok(written)
}

/// A text as an SQL string literal (NUL, which neither database stores in text, dropped).
fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn opt(s: Option<&str>) -> String {
    s.map_or_else(|| "NULL".into(), lit)
}

fn int(n: Option<i64>) -> String {
    n.map_or_else(|| "NULL".into(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_quoted_and_escaped() {
        assert_eq!(lit("l'été"), "'l''été'");
        assert_eq!(lit("a\0b"), "'ab'");
        assert_eq!(opt(None), "NULL");
        assert_eq!(int(Some(4)), "4");
    }
}
