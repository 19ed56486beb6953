//! The dashboards' reads: totals, series and tables over the measured posts of a period, the
//! inbox's response times, listening's sentiment and share of voice, and the times the brand
//! posted and the community wrote.
//!
//! Every read is bounded by its period and its workspace. A period's sums, days and pillar mix
//! read the daily rollup (`post_days`, see [`super::rollup`]) when it can answer, and `posts`
//! otherwise; the rest is answered from indexes on
//! `posts (workspace_id, published_at, …)` (the period's sums read only that index's entries),
//! `(workspace_id, engagements, id, published_at)` (the best and weakest posts) and
//! `(channel_id, published_at, …)` (the best times, summed per quarter-hour of the week);
//! none reads the snapshots.

use sqlx::Row;

use tutti_domain::kpi::Spread;

use super::{rollup, MEASURED};
use crate::{Db, Result};

/// Which posts a read covers: a workspace, a period of publication and optional filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostFilter {
    /// The workspace.
    pub workspace_id: i64,
    /// Published at or after, ms.
    pub from: i64,
    /// Published before, ms.
    pub to: i64,
    /// One channel.
    pub channel_id: Option<i64>,
    /// One author (the member who wrote it).
    pub author_user_id: Option<i64>,
    /// One pillar of the charter.
    pub pillar: Option<String>,
    /// One campaign (`utm_campaign`).
    pub campaign: Option<String>,
}

/// Binds a filter's values in the order its clause names them.
enum Value<'a> {
    Int(i64),
    Text(&'a str),
}

impl PostFilter {
    /// `WHERE …` on `posts p` with `$1…$n`, and the values to bind.
    fn clause<'a>(&'a self) -> (String, Vec<Value<'a>>) {
        self.clause_on("p.published_at")
    }

    /// The same, with the period written on `published` (`+p.published_at` keeps SQLite from
    /// choosing the period's index when another index gives the order wanted).
    fn clause_on<'a>(&'a self, published: &str) -> (String, Vec<Value<'a>>) {
        let mut sql =
            format!("p.workspace_id = $1 AND {published} >= $2 AND {published} < $3 AND {MEASURED}");
        let mut values = vec![Value::Int(self.workspace_id), Value::Int(self.from), Value::Int(self.to)];
        let mut add = |sql: &mut String, column: &str, v: Value<'a>| {
            values.push(v);
            sql.push_str(&format!(" AND p.{column} = ${}", values.len()));
        };
        if let Some(c) = self.channel_id {
            add(&mut sql, "channel_id", Value::Int(c));
        }
        if let Some(a) = self.author_user_id {
            add(&mut sql, "author_user_id", Value::Int(a));
        }
        if let Some(p) = &self.pillar {
            add(&mut sql, "pillar", Value::Text(p));
        }
        if let Some(c) = &self.campaign {
            add(&mut sql, "campaign", Value::Text(c));
        }
        (sql, values)
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    values: &[Value<'q>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for v in values {
        q = match v {
            Value::Int(i) => q.bind(*i),
            Value::Text(t) => q.bind(*t),
        };
    }
    q
}

/// The sums over the posts of a filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PostTotals {
    /// Posts published.
    pub posts: i64,
    /// Their likes.
    pub likes: i64,
    /// Their reposts.
    pub reposts: i64,
    /// Their replies.
    pub replies: i64,
    /// Their quotes.
    pub quotes: i64,
    /// Their interactions.
    pub engagements: i64,
    /// The interactions of the posts whose followers at publication are known.
    pub rated_engagements: i64,
    /// The sum of those posts' followers at publication.
    pub rated_followers: i64,
}

impl PostTotals {
    /// `self` less `o`, figure by figure.
    pub fn minus(self, o: &PostTotals) -> PostTotals {
        PostTotals {
            posts: self.posts - o.posts,
            likes: self.likes - o.likes,
            reposts: self.reposts - o.reposts,
            replies: self.replies - o.replies,
            quotes: self.quotes - o.quotes,
            engagements: self.engagements - o.engagements,
            rated_engagements: self.rated_engagements - o.rated_engagements,
            rated_followers: self.rated_followers - o.rated_followers,
        }
    }

    /// The sums of both.
    pub fn plus(self, o: &PostTotals) -> PostTotals {
        PostTotals {
            posts: self.posts + o.posts,
            likes: self.likes + o.likes,
            reposts: self.reposts + o.reposts,
            replies: self.replies + o.replies,
            quotes: self.quotes + o.quotes,
            engagements: self.engagements + o.engagements,
            rated_engagements: self.rated_engagements + o.rated_engagements,
            rated_followers: self.rated_followers + o.rated_followers,
        }
    }
}

/// The sums a read of `posts p` selects, named as [`PostTotals`]' fields.
const POST_SUMS: &str = "COUNT(*) AS posts, CAST(COALESCE(SUM(p.likes), 0) AS BIGINT) AS likes, \
    CAST(COALESCE(SUM(p.reposts), 0) AS BIGINT) AS reposts, CAST(COALESCE(SUM(p.replies), 0) AS BIGINT) AS replies, \
    CAST(COALESCE(SUM(p.quotes), 0) AS BIGINT) AS quotes, CAST(COALESCE(SUM(p.engagements), 0) AS BIGINT) AS engagements, \
    CAST(COALESCE(SUM(CASE WHEN p.followers_at_publish > 0 THEN p.engagements ELSE 0 END), 0) AS BIGINT) AS rated_engagements, \
    CAST(COALESCE(SUM(CASE WHEN p.followers_at_publish > 0 THEN p.followers_at_publish ELSE 0 END), 0) AS BIGINT) AS rated_followers";

fn totals(r: &sqlx::any::AnyRow) -> Result<PostTotals> {
    Ok(PostTotals {
        posts: r.try_get("posts")?,
        likes: r.try_get("likes")?,
        reposts: r.try_get("reposts")?,
        replies: r.try_get("replies")?,
        quotes: r.try_get("quotes")?,
        engagements: r.try_get("engagements")?,
        rated_engagements: r.try_get("rated_engagements")?,
        rated_followers: r.try_get("rated_followers")?,
    })
}

/// Runs `SELECT {head}{sums} FROM post_days d WHERE … {tail}` over the rollup's days of `f`.
async fn from_rollup(
    db: &mut Db,
    f: &PostFilter,
    days: (i64, i64),
    head: &str,
    tail: &str,
) -> Result<Vec<sqlx::any::AnyRow>> {
    let (clause, ints, pillar) = rollup::clause(f, days);
    let sql = format!("SELECT {head}{} FROM post_days d WHERE {clause} {tail}", rollup::SUMS);
    let mut q = sqlx::query(&sql);
    for i in ints {
        q = q.bind(i);
    }
    if let Some(p) = pillar {
        q = q.bind(p);
    }
    Ok(q.fetch_all(db).await?)
}

/// The sums over the posts of `f` (from the daily rollup when it can answer).
pub async fn post_totals(db: &mut Db, f: &PostFilter) -> Result<PostTotals> {
    if let Some(days) = rollup::span(db, f).await? {
        let rows = from_rollup(db, f, days, "", "").await?;
        return rows.first().map(totals).unwrap_or(Ok(PostTotals::default()));
    }
    let (clause, values) = f.clause();
    let sql = format!("SELECT {POST_SUMS} FROM posts p WHERE {clause}");
    let r = bind_all(sqlx::query(&sql), &values).fetch_one(db).await?;
    totals(&r)
}

/// The sums of each local day of the period, as `(day, totals)` (days since 1970-01-01);
/// days without posts are absent. From the daily rollup, days are the workspace's own (its
/// summer time included); from `posts` (an author or campaign filter, a period not of whole
/// days), they are counted at `offset_ms`, the workspace's UTC offset at the period's end.
pub async fn daily_totals(db: &mut Db, f: &PostFilter, offset_ms: i64) -> Result<Vec<(i64, PostTotals)>> {
    let rows = match rollup::span(db, f).await? {
        Some(days) => {
            from_rollup(
                db,
                f,
                days,
                "d.day AS day, ",
                "GROUP BY d.day HAVING SUM(d.posts) > 0 ORDER BY d.day",
            )
            .await?
        }
        None => {
            let (clause, values) = f.clause();
            let sql = format!(
                "SELECT (p.published_at + {offset_ms}) / 86400000 AS day, {POST_SUMS} FROM posts p WHERE {clause} \
                 GROUP BY (p.published_at + {offset_ms}) / 86400000 ORDER BY day"
            );
            bind_all(sqlx::query(&sql), &values).fetch_all(db).await?
        }
    };
    rows.iter().map(|r| Ok((r.try_get("day")?, totals(r)?))).collect()
}

/// The posts of each pillar (the empty name for posts in none), most first.
pub async fn pillar_counts(db: &mut Db, f: &PostFilter) -> Result<Vec<(String, i64)>> {
    let rows = match rollup::span(db, f).await? {
        Some(days) => {
            from_rollup(
                db,
                f,
                days,
                "d.pillar AS pillar, ",
                "GROUP BY d.pillar HAVING SUM(d.posts) > 0 ORDER BY posts DESC, pillar",
            )
            .await?
        }
        None => {
            let (clause, values) = f.clause();
            let sql = format!(
                "SELECT COALESCE(p.pillar, '') AS pillar, COUNT(*) AS posts FROM posts p WHERE {clause} \
                 GROUP BY COALESCE(p.pillar, '') ORDER BY posts DESC, pillar"
            );
            bind_all(sqlx::query(&sql), &values).fetch_all(db).await?
        }
    };
    rows.iter().map(|r| Ok((r.try_get("pillar")?, r.try_get("posts")?))).collect()
}

/// The campaigns the workspace's measured posts name, alphabetical.
pub async fn campaigns(db: &mut Db, workspace_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT campaign FROM posts WHERE workspace_id = $1 AND campaign IS NOT NULL ORDER BY campaign LIMIT 200",
    )
    .bind(workspace_id)
    .fetch_all(db)
    .await?)
}

/// How a post table is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostSort {
    /// The latest first.
    #[default]
    Published,
    /// By interactions.
    Engagements,
    /// By likes.
    Likes,
    /// By reposts.
    Reposts,
    /// By replies.
    Replies,
    /// By engagement rate (posts without followers at publication last).
    Rate,
}

impl PostSort {
    fn column(self) -> &'static str {
        match self {
            PostSort::Published => "p.published_at",
            PostSort::Engagements => "p.engagements",
            PostSort::Likes => "p.likes",
            PostSort::Reposts => "p.reposts",
            PostSort::Replies => "p.replies",
            PostSort::Rate => "CASE WHEN p.followers_at_publish > 0 THEN CAST(p.engagements AS REAL) / p.followers_at_publish ELSE -1 END",
        }
    }
}

/// One row of the post table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PostRow {
    /// The post.
    pub id: i64,
    /// Its channel.
    pub channel_id: i64,
    /// Who wrote it.
    pub author_user_id: Option<i64>,
    /// Its text.
    pub text: String,
    /// Where it is on the network.
    pub remote_url: Option<String>,
    /// When it was published, ms.
    pub published_at: i64,
    /// Likes.
    pub likes: i64,
    /// Reposts.
    pub reposts: i64,
    /// Replies.
    pub replies: i64,
    /// Quotes.
    pub quotes: i64,
    /// Interactions.
    pub engagements: i64,
    /// The channel's followers when it was published.
    pub followers_at_publish: Option<i64>,
    /// When its counts were taken, ms.
    pub counts_at: Option<i64>,
    /// Its pillar.
    pub pillar: Option<String>,
    /// Its campaign.
    pub campaign: Option<String>,
    /// Clicks on its short links.
    pub clicks: i64,
}

const ROW_COLUMNS: &str =
    "p.id, p.channel_id, p.author_user_id, p.text, p.remote_url, p.published_at, p.likes, p.reposts, \
    p.replies, p.quotes, p.engagements, p.followers_at_publish, p.counts_at, p.pillar, p.campaign, \
    COALESCE((SELECT CAST(SUM(l.clicks) AS BIGINT) FROM short_links l WHERE l.post_id = p.id), 0) AS clicks";

fn post_row(r: &sqlx::any::AnyRow) -> Result<PostRow> {
    Ok(PostRow {
        id: r.try_get("id")?,
        channel_id: r.try_get("channel_id")?,
        author_user_id: r.try_get("author_user_id")?,
        text: r.try_get("text")?,
        remote_url: r.try_get("remote_url")?,
        published_at: r.try_get("published_at")?,
        likes: r.try_get("likes")?,
        reposts: r.try_get("reposts")?,
        replies: r.try_get("replies")?,
        quotes: r.try_get("quotes")?,
        engagements: r.try_get("engagements")?,
        followers_at_publish: r.try_get("followers_at_publish")?,
        counts_at: r.try_get("counts_at")?,
        pillar: r.try_get("pillar")?,
        campaign: r.try_get("campaign")?,
        clicks: r.try_get("clicks")?,
    })
}

/// A page of the posts of `f`, sorted by `sort` (descending unless `ascending`), ties by id.
pub async fn posts(
    db: &mut Db,
    f: &PostFilter,
    sort: PostSort,
    ascending: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<PostRow>> {
    // By interactions, a page walks `posts_by_engagements` in order and stops once it has its
    // rows, the period checked on each entry: SQLite would otherwise take every post of the
    // period from the period's index and sort them (a quarter of a million for 90 days of a
    // busy workspace), so the period is hidden from its planner behind `+`. PostgreSQL weighs
    // both plans itself, and checks the period inside the index when it sees the column bare
    // (with `+`, the 15,000 posts without interactions older than a 90-day period cost it
    // 60 ms; bare, under 1 ms).
    let sqlite = db.backend_name() == "SQLite";
    let (clause, values) = match sort {
        PostSort::Engagements if sqlite => f.clause_on("+p.published_at"),
        _ => f.clause(),
    };
    let dir = if ascending { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT {ROW_COLUMNS} FROM posts p WHERE {clause} ORDER BY {} {dir}, p.id {dir} LIMIT {} OFFSET {}",
        sort.column(),
        limit.clamp(0, 10_000),
        offset.max(0)
    );
    let rows = bind_all(sqlx::query(&sql), &values).fetch_all(db).await?;
    rows.iter().map(post_row).collect()
}

/// One measured post of the workspace, with its counts.
pub async fn post(db: &mut Db, workspace_id: i64, post_id: i64) -> Result<Option<PostRow>> {
    let sql =
        format!("SELECT {ROW_COLUMNS} FROM posts p WHERE p.workspace_id = $1 AND p.id = $2 AND {MEASURED}");
    let row = sqlx::query(&sql).bind(workspace_id).bind(post_id).fetch_optional(db).await?;
    row.as_ref().map(post_row).transpose()
}

/// The clicks on the short links of the posts of `f`.
pub async fn clicks(db: &mut Db, f: &PostFilter) -> Result<i64> {
    let (clause, values) = f.clause();
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(l.clicks), 0) AS BIGINT) FROM short_links l JOIN posts p ON p.id = l.post_id \
         WHERE l.workspace_id = $1 AND {clause}"
    );
    let q = bind_all(sqlx::query(&sql), &values);
    let row = q.fetch_one(db).await?;
    Ok(row.try_get(0)?)
}

/// A conversation's timing, for the team's figures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConversationTiming {
    /// Its channel.
    pub channel_id: i64,
    /// Who it is assigned to.
    pub assignee_user_id: Option<i64>,
    /// Who sent the brand's first answer (the author of the post carrying it).
    pub responder_user_id: Option<i64>,
    /// Its first item, ms.
    pub first_item_at: i64,
    /// The brand's first answer, ms.
    pub first_response_at: Option<i64>,
    /// When it was closed, ms.
    pub resolved_at: Option<i64>,
}

/// The conversations of the workspace that asked for an answer (a reply, mention, quote or
/// message) and began in `[from, to)`, at most `limit`, with who answered first and who is
/// assigned (the team's figures).
pub async fn conversation_timings(
    db: &mut Db,
    workspace_id: i64,
    from: i64,
    to: i64,
    channel_id: Option<i64>,
    limit: i64,
) -> Result<Vec<ConversationTiming>> {
    let channel = if channel_id.is_some() { " AND c.channel_id = $5" } else { "" };
    let sql = format!(
        "SELECT c.channel_id, c.assignee_user_id, c.first_item_at, c.first_response_at, c.resolved_at, \
         (SELECT p.author_user_id FROM inbox_items i JOIN posts p ON p.id = i.post_id \
          WHERE i.conversation_id = c.id AND i.kind = 'sent' ORDER BY i.created_at, i.id LIMIT 1) AS responder \
         FROM conversations c WHERE c.workspace_id = $1 AND c.first_item_at >= $2 AND c.first_item_at < $3 \
         AND c.kind IN ('reply', 'mention', 'quote', 'dm'){channel} ORDER BY c.first_item_at LIMIT $4"
    );
    let mut q = sqlx::query(&sql).bind(workspace_id).bind(from).bind(to).bind(limit);
    if let Some(c) = channel_id {
        q = q.bind(c);
    }
    let rows = q.fetch_all(db).await?;
    rows.iter()
        .map(|r| {
            Ok(ConversationTiming {
                channel_id: r.try_get("channel_id")?,
                assignee_user_id: r.try_get("assignee_user_id")?,
                responder_user_id: r.try_get("responder")?,
                first_item_at: r.try_get("first_item_at")?,
                first_response_at: r.try_get("first_response_at")?,
                resolved_at: r.try_get("resolved_at")?,
            })
        })
        .collect()
}

/// The response times of a set of conversations, as the database computes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResponseTimes {
    /// Conversations that asked for an answer.
    pub asked: i64,
    /// Those the brand answered.
    pub answered: i64,
    /// Those answered later than the SLA, or not answered and past it at `now`.
    pub sla_breaches: i64,
    /// Time to the brand's first answer, seconds.
    pub first_response: Option<Spread>,
    /// Time to closing, seconds.
    pub resolution: Option<Spread>,
}

/// The conversations that asked for an answer and began in `[from, to)`, as SQL on
/// `conversations c` with `$1…$4` (workspace, from, to, channel or NULL).
const ASKED: &str = "c.workspace_id = $1 AND c.first_item_at >= $2 AND c.first_item_at < $3 \
    AND c.kind IN ('reply', 'mention', 'quote', 'dm') AND (CAST($4 AS BIGINT) IS NULL OR c.channel_id = $4)";

/// The response times of the conversations of the workspace (or of one channel) that asked
/// for an answer and began in `[from, to)`, with the SLA breaches at `now`, in one pass of the
/// index `conversations_timing`: the database counts and sends each duration list as one text
/// (tens of thousands of conversations would otherwise be as many rows), and the median and
/// 90th percentile are [`tutti_domain::kpi::spread`]'s.
pub async fn response_times(
    db: &mut Db,
    workspace_id: i64,
    (from, to): (i64, i64),
    channel_id: Option<i64>,
    sla_ms: i64,
    now: i64,
) -> Result<ResponseTimes> {
    let sqlite = db.backend_name() == "SQLite";
    let seconds = |column: &str| {
        let v = format!(
            "CASE WHEN c.{column} > c.first_item_at THEN (c.{column} - c.first_item_at) / 1000 \
             WHEN c.{column} IS NOT NULL THEN 0 END"
        );
        if sqlite {
            format!("group_concat({v})")
        } else {
            format!("string_agg(CAST({v} AS TEXT), ',')")
        }
    };
    let row = sqlx::query(&format!(
        "SELECT COUNT(*) AS asked, COUNT(c.first_response_at) AS answered, CAST(COALESCE(SUM(CASE WHEN \
         COALESCE(c.first_response_at, $5) - c.first_item_at > $6 THEN 1 ELSE 0 END), 0) AS BIGINT) AS breaches, \
         {} AS first_response, {} AS resolution FROM conversations c WHERE {ASKED}",
        seconds("first_response_at"),
        seconds("resolved_at")
    ))
    .bind(workspace_id)
    .bind(from)
    .bind(to)
    .bind(channel_id)
    .bind(now)
    .bind(sla_ms)
    .fetch_one(db)
    .await?;
    let spread_of = |column: &str| -> Result<Option<Spread>> {
        let list: Option<String> = row.try_get(column)?;
        let values: Vec<i64> =
            list.iter().flat_map(|l| l.split(',')).filter_map(|v| v.trim().parse().ok()).collect();
        Ok(tutti_domain::kpi::spread(&values))
    };
    Ok(ResponseTimes {
        asked: row.try_get("asked")?,
        answered: row.try_get("answered")?,
        sla_breaches: row.try_get("breaches")?,
        first_response: spread_of("first_response")?,
        resolution: spread_of("resolution")?,
    })
}

/// The inbox actions (likes, reposts, moderation) the members took in `[from, to)`: per member
/// (none for the rules' own), per action, how many.
pub async fn actions_by_member(
    db: &mut Db,
    workspace_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<(Option<i64>, String, i64)>> {
    let rows = sqlx::query(
        "SELECT created_by, action, COUNT(*) AS n FROM inbox_actions WHERE workspace_id = $1 AND created_at >= $2 \
         AND created_at < $3 AND status <> 'failed' GROUP BY created_by, action ORDER BY created_by, action",
    )
    .bind(workspace_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("created_by")?, r.try_get("action")?, r.try_get("n")?))).collect()
}

/// Counts of `pos`, `neu` and `neg`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SentimentCounts {
    /// Positive.
    pub positive: i64,
    /// Neutral (and unknown).
    pub neutral: i64,
    /// Negative.
    pub negative: i64,
}

fn sentiment_counts(rows: &[sqlx::any::AnyRow]) -> Result<SentimentCounts> {
    let mut c = SentimentCounts::default();
    for r in rows {
        let label: Option<String> = r.try_get("sentiment")?;
        let n: i64 = r.try_get("n")?;
        match label.as_deref() {
            Some("pos") => c.positive += n,
            Some("neg") => c.negative += n,
            _ => c.neutral += n,
        }
    }
    Ok(c)
}

/// The sentiment of the community's inbox items received in `[from, to)`.
pub async fn inbox_sentiment(db: &mut Db, workspace_id: i64, from: i64, to: i64) -> Result<SentimentCounts> {
    let rows = sqlx::query(
        "SELECT sentiment, COUNT(*) AS n FROM inbox_items WHERE workspace_id = $1 AND created_at >= $2 AND created_at < $3 \
         AND kind IN ('reply', 'mention', 'quote', 'dm') GROUP BY sentiment",
    )
    .bind(workspace_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    sentiment_counts(&rows)
}

/// The sentiment of the mentions the workspace's brand queries matched in `[from, to)`.
pub async fn mention_sentiment(
    db: &mut Db,
    workspace_id: i64,
    from: i64,
    to: i64,
) -> Result<SentimentCounts> {
    let rows = sqlx::query(
        "SELECT m.sentiment, COUNT(*) AS n FROM mentions m JOIN listening_queries q ON q.id = m.query_id \
         WHERE q.workspace_id = $1 AND q.kind = 'brand' AND m.matched_at >= $2 AND m.matched_at < $3 GROUP BY m.sentiment",
    )
    .bind(workspace_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    sentiment_counts(&rows)
}

/// The mentions each listening query matched in `[from, to)`: `(name, kind, count)`.
pub async fn mentions_by_query(
    db: &mut Db,
    workspace_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT q.name, q.kind, (SELECT COUNT(*) FROM mentions m WHERE m.query_id = q.id AND m.matched_at >= $2 \
         AND m.matched_at < $3) AS n FROM listening_queries q WHERE q.workspace_id = $1 ORDER BY q.kind, q.name",
    )
    .bind(workspace_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("name")?, r.try_get("kind")?, r.try_get("n")?))).collect()
}

/// Quarter-hours in a week. Quarter 0 of a week starts on a Thursday at 00:00 UTC (1 January
/// 1970 was a Thursday).
pub const QUARTERS_PER_WEEK: i64 = 672;

/// What a channel's measured posts published in one quarter-hour of the week add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuarterSums {
    /// The quarter-hour of the week, UTC (see [`QUARTERS_PER_WEEK`]).
    pub quarter: i64,
    /// Measured posts.
    pub posts: i64,
    /// The interactions of those whose followers at publication are known.
    pub rated_engagements: i64,
    /// Their followers at publication.
    pub rated_followers: i64,
}

/// A channel's measured posts (with counts) published in `[from, to)`, summed per UTC
/// quarter-hour of the week by the database: at most 672 rows, however many posts.
pub async fn post_quarters(db: &mut Db, channel_id: i64, from: i64, to: i64) -> Result<Vec<QuarterSums>> {
    let rows = sqlx::query(&format!(
        "SELECT (p.published_at / 900000) % {QUARTERS_PER_WEEK} AS quarter, COUNT(*) AS posts, \
         CAST(COALESCE(SUM(CASE WHEN p.followers_at_publish > 0 THEN p.engagements ELSE 0 END), 0) AS BIGINT) AS rated_engagements, \
         CAST(COALESCE(SUM(CASE WHEN p.followers_at_publish > 0 THEN p.followers_at_publish ELSE 0 END), 0) AS BIGINT) AS rated_followers \
         FROM posts p WHERE p.channel_id = $1 AND p.published_at >= $2 AND p.published_at < $3 AND p.counts_at IS NOT NULL \
         AND {MEASURED} GROUP BY (p.published_at / 900000) % {QUARTERS_PER_WEEK}"
    ))
    .bind(channel_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(QuarterSums {
                quarter: r.try_get("quarter")?,
                posts: r.try_get("posts")?,
                rated_engagements: r.try_get("rated_engagements")?,
                rated_followers: r.try_get("rated_followers")?,
            })
        })
        .collect()
}

/// How many times the community wrote to a channel (inbox items of every kind) in `[from,
/// to)`, per UTC quarter-hour of the week: `(quarter, items)`.
pub async fn activity_quarters(db: &mut Db, channel_id: i64, from: i64, to: i64) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(&format!(
        "SELECT (created_at / 900000) % {QUARTERS_PER_WEEK} AS quarter, COUNT(*) AS n FROM inbox_items \
         WHERE channel_id = $1 AND created_at >= $2 AND created_at < $3 AND kind <> 'sent' \
         GROUP BY (created_at / 900000) % {QUARTERS_PER_WEEK}"
    ))
    .bind(channel_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("quarter")?, r.try_get("n")?))).collect()
}
