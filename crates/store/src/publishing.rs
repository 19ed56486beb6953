//! Publishing: channels (the accounts a workspace publishes through) and posts, which are
//! also the publisher's queue.
//!
//! A due post is *claimed* by a worker in one statement that marks it `publishing` and writes
//! a lease on it (on PostgreSQL the candidates are picked `FOR UPDATE SKIP LOCKED`, so
//! concurrent workers take different posts without waiting; on SQLite the statement runs
//! under the single writer). A post still `publishing` when its lease has run out was being
//! published by a worker that died: it is claimed again, and the publisher must then ask the
//! network whether the first attempt landed before trying again.

use sqlx::Row;
use tutti_domain::{ChannelStatus, ChannelVoice, Network, PostStatus};

use crate::{Backend, Db, Result};

/// A connected account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Channel {
    /// Stable identifier.
    pub id: i64,
    /// Its workspace.
    pub workspace_id: i64,
    /// `bluesky` or `mastodon`.
    pub network: Network,
    /// `brand.example.com`, `@brand@mastodon.example`.
    pub handle: String,
    /// The PDS or instance URL.
    pub service: String,
    /// The account's id on the network (a DID, a Mastodon account id).
    pub account_id: Option<String>,
    /// `brand` (the brand's voice) or `ambassador` (a member's own account).
    pub voice: ChannelVoice,
    /// For an ambassador channel: the only member who may publish through it.
    pub owner_user_id: Option<i64>,
    /// The encrypted credentials (see `tutti_app::secrets`); never shown.
    #[serde(skip)]
    pub credentials: String,
    /// Which key encrypted them.
    #[serde(skip)]
    pub key_id: String,
    /// `ok` or `needs_reconnect`.
    pub status: ChannelStatus,
    /// Why it needs reconnecting, in the network's words.
    pub status_message: Option<String>,
    /// Creation time, ms.
    pub created_at: i64,
}

const CHANNEL_COLUMNS: &str = "id, workspace_id, network, handle, service, account_id, voice, owner_user_id, credentials, key_id, status, status_message, created_at";

fn channel(r: &sqlx::any::AnyRow) -> Result<Channel> {
    Ok(Channel {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        network: crate::word(r, "network")?,
        handle: r.try_get("handle")?,
        service: r.try_get("service")?,
        account_id: r.try_get("account_id")?,
        voice: crate::word(r, "voice")?,
        owner_user_id: r.try_get("owner_user_id")?,
        credentials: r.try_get("credentials")?,
        key_id: r.try_get("key_id")?,
        status: crate::word(r, "status")?,
        status_message: r.try_get("status_message")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A channel to save.
#[derive(Debug, Clone)]
pub struct NewChannel<'a> {
    /// Its workspace.
    pub workspace_id: i64,
    /// `bluesky` or `mastodon`.
    pub network: Network,
    /// The handle.
    pub handle: &'a str,
    /// The PDS or instance URL.
    pub service: &'a str,
    /// The account's id on the network.
    pub account_id: Option<&'a str>,
    /// `brand` or `ambassador`.
    pub voice: ChannelVoice,
    /// The ambassador.
    pub owner_user_id: Option<i64>,
    /// Encrypted credentials.
    pub credentials: &'a str,
    /// The key that encrypted them.
    pub key_id: &'a str,
}

/// Saves a channel; the same handle twice in a workspace is a `Conflict`.
pub async fn insert_channel(db: &mut Db, c: &NewChannel<'_>) -> Result<Channel> {
    let row = sqlx::query(&format!(
        "INSERT INTO channels (workspace_id, network, handle, service, account_id, voice, owner_user_id, credentials, key_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {CHANNEL_COLUMNS}"
    ))
    .bind(c.workspace_id)
    .bind(c.network.as_str())
    .bind(c.handle)
    .bind(c.service)
    .bind(c.account_id)
    .bind(c.voice.as_str())
    .bind(c.owner_user_id)
    .bind(c.credentials)
    .bind(c.key_id)
    .bind(crate::now_ms())
    .fetch_one(db)
    .await?;
    channel(&row)
}

/// The channels of a workspace, by handle.
pub async fn channels_of(db: &mut Db, workspace_id: i64) -> Result<Vec<Channel>> {
    let rows = sqlx::query(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM channels WHERE workspace_id = $1 ORDER BY handle"
    ))
    .bind(workspace_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(channel).collect()
}

/// Every channel of the instance (for re-encrypting credentials).
pub async fn all_channels(db: &mut Db) -> Result<Vec<Channel>> {
    let rows =
        sqlx::query(&format!("SELECT {CHANNEL_COLUMNS} FROM channels ORDER BY id")).fetch_all(db).await?;
    rows.iter().map(channel).collect()
}

/// One channel.
pub async fn channel_by_id(db: &mut Db, id: i64) -> Result<Channel> {
    let row = sqlx::query(&format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE id = $1"))
        .bind(id)
        .fetch_one(db)
        .await?;
    channel(&row)
}

/// Replaces a channel's encrypted credentials.
pub async fn set_credentials(db: &mut Db, id: i64, credentials: &str, key_id: &str) -> Result<()> {
    sqlx::query("UPDATE channels SET credentials = $1, key_id = $2 WHERE id = $3")
        .bind(credentials)
        .bind(key_id)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks a channel `ok` or `needs_reconnect` with the network's message; returns whether the
/// status changed.
pub async fn set_channel_status(
    db: &mut Db,
    id: i64,
    status: ChannelStatus,
    message: Option<&str>,
) -> Result<bool> {
    let n =
        sqlx::query("UPDATE channels SET status = $1, status_message = $2 WHERE id = $3 AND status <> $1")
            .bind(status.as_str())
            .bind(message)
            .bind(id)
            .execute(db)
            .await?
            .rows_affected();
    Ok(n == 1)
}

/// A post and where it is in its life.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Post {
    /// Stable identifier.
    pub id: i64,
    /// Its workspace.
    pub workspace_id: i64,
    /// The channel it goes out through.
    pub channel_id: i64,
    /// Who wrote it.
    pub author_user_id: Option<i64>,
    /// Its text.
    pub text: String,
    /// Its languages (`fr`, `en`), comma-separated.
    pub langs: String,
    /// `draft`, `in_review`, `approved`, `scheduled`, `publishing`, `published`, `failed`.
    pub status: PostStatus,
    /// When it is due, ms (UTC); none for "as soon as possible".
    pub scheduled_at: Option<i64>,
    /// The record key or idempotency key chosen before any call.
    pub idempotency_key: String,
    /// Publishing attempts so far.
    pub attempts: i64,
    /// When the publisher tries next, ms.
    pub next_attempt_at: Option<i64>,
    /// The post on the network (an `at://` URI, a status id).
    pub remote_id: Option<String>,
    /// A link to it.
    pub remote_url: Option<String>,
    /// The last error, in the network's words.
    pub error: Option<String>,
    /// When it was published, ms.
    pub published_at: Option<i64>,
    /// Creation time, ms.
    pub created_at: i64,
    /// The post of the same channel this one continues (a thread): it goes out after it, as a
    /// reply to it.
    pub reply_to_post_id: Option<i64>,
    /// The network post this one answers (a reply from the inbox).
    pub reply_ref: Option<String>,
    /// That post's CID (Bluesky).
    pub reply_cid: Option<String>,
    /// The inbox conversation it answers in.
    pub conversation_id: Option<i64>,
    /// Seen only by the accounts it mentions (the answer to a direct message).
    pub direct: bool,
}

const POST_COLUMNS: &str = "id, workspace_id, channel_id, author_user_id, text, langs, status, scheduled_at, idempotency_key, attempts, next_attempt_at, remote_id, remote_url, error, published_at, created_at, reply_to_post_id, reply_ref, reply_cid, conversation_id, direct";

fn post(r: &sqlx::any::AnyRow) -> Result<Post> {
    Ok(Post {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        channel_id: r.try_get("channel_id")?,
        author_user_id: r.try_get("author_user_id")?,
        text: r.try_get("text")?,
        langs: r.try_get("langs")?,
        status: crate::word(r, "status")?,
        scheduled_at: r.try_get("scheduled_at")?,
        idempotency_key: r.try_get("idempotency_key")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        remote_id: r.try_get("remote_id")?,
        remote_url: r.try_get("remote_url")?,
        error: r.try_get("error")?,
        published_at: r.try_get("published_at")?,
        created_at: r.try_get("created_at")?,
        reply_to_post_id: r.try_get("reply_to_post_id")?,
        reply_ref: r.try_get("reply_ref")?,
        reply_cid: r.try_get("reply_cid")?,
        conversation_id: r.try_get("conversation_id")?,
        direct: r.try_get::<i64, _>("direct")? != 0,
    })
}

/// Makes a post a reply to a network post (from the inbox): the publisher sends it as an
/// answer to `reply_ref` (its CID `reply_cid` on Bluesky), in `conversation_id`; privately
/// when `direct` (the answer to a direct message).
pub async fn set_reply_target(
    db: &mut Db,
    post_id: i64,
    reply_ref: &str,
    reply_cid: Option<&str>,
    conversation_id: i64,
    direct: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE posts SET reply_ref = $1, reply_cid = $2, conversation_id = $3, direct = $4 WHERE id = $5",
    )
    .bind(reply_ref)
    .bind(reply_cid)
    .bind(conversation_id)
    .bind(i64::from(direct))
    .bind(post_id)
    .execute(db)
    .await?;
    Ok(())
}

/// A post to save.
#[derive(Debug, Clone)]
pub struct NewPost<'a> {
    /// Its workspace.
    pub workspace_id: i64,
    /// Its channel.
    pub channel_id: i64,
    /// Who wrote it.
    pub author_user_id: Option<i64>,
    /// Its text.
    pub text: &'a str,
    /// Its languages, comma-separated.
    pub langs: &'a str,
    /// `draft`, `in_review` or `scheduled`.
    pub status: PostStatus,
    /// When it is due; none for now.
    pub scheduled_at: Option<i64>,
    /// The key chosen before any call.
    pub idempotency_key: &'a str,
    /// The post this one continues, in a thread.
    pub reply_to_post_id: Option<i64>,
}

/// An image of a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostMedia {
    /// `image/png`, `image/jpeg`…
    pub mime: String,
    /// The file.
    pub bytes: Vec<u8>,
    /// Its alt text.
    pub alt: String,
}

/// Saves a post and its images.
pub async fn insert_post(db: &mut Db, p: &NewPost<'_>, media: &[PostMedia]) -> Result<Post> {
    let now = crate::now_ms();
    let row = sqlx::query(&format!(
        "INSERT INTO posts (workspace_id, channel_id, author_user_id, text, langs, status, scheduled_at, idempotency_key, next_attempt_at, created_at, updated_at, reply_to_post_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING {POST_COLUMNS}"
    ))
    .bind(p.workspace_id)
    .bind(p.channel_id)
    .bind(p.author_user_id)
    .bind(p.text)
    .bind(p.langs)
    .bind(p.status.as_str())
    .bind(p.scheduled_at)
    .bind(p.idempotency_key)
    .bind(p.scheduled_at.unwrap_or(now))
    .bind(now)
    .bind(p.reply_to_post_id)
    .fetch_one(&mut *db)
    .await?;
    let saved = post(&row)?;
    for (i, m) in media.iter().enumerate() {
        sqlx::query(
            "INSERT INTO post_media (post_id, position, mime, bytes, alt) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(saved.id)
        .bind(i as i64)
        .bind(&m.mime)
        .bind(m.bytes.clone())
        .bind(&m.alt)
        .execute(&mut *db)
        .await?;
    }
    Ok(saved)
}

/// The images of a post, in order.
pub async fn media_of(db: &mut Db, post_id: i64) -> Result<Vec<PostMedia>> {
    let rows = sqlx::query("SELECT mime, bytes, alt FROM post_media WHERE post_id = $1 ORDER BY position")
        .bind(post_id)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(PostMedia { mime: r.try_get("mime")?, bytes: r.try_get("bytes")?, alt: r.try_get("alt")? })
        })
        .collect()
}

/// The posts of a workspace, by due time (unscheduled last), newest first within.
pub async fn posts_of(db: &mut Db, workspace_id: i64, limit: i64) -> Result<Vec<Post>> {
    let rows = sqlx::query(&format!(
        "SELECT {POST_COLUMNS} FROM posts WHERE workspace_id = $1 ORDER BY COALESCE(scheduled_at, created_at) DESC, id DESC LIMIT $2"
    ))
    .bind(workspace_id)
    .bind(limit.clamp(1, 10_000))
    .fetch_all(db)
    .await?;
    rows.iter().map(post).collect()
}

/// One post.
pub async fn post_by_id(db: &mut Db, id: i64) -> Result<Post> {
    let row = sqlx::query(&format!("SELECT {POST_COLUMNS} FROM posts WHERE id = $1"))
        .bind(id)
        .fetch_one(db)
        .await?;
    post(&row)
}

/// A claimed post: the post, and whether an earlier attempt may have reached the network
/// (it was claimed before and its worker did not settle it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The post, now `publishing` under this worker's lease.
    pub post: Post,
    /// Whether to ask the network first.
    pub maybe_sent: bool,
}

/// Claims up to `limit` due posts for `worker` until `now + lease_ms`. Posts of workspaces in
/// crisis mode and of channels that need reconnecting are left waiting.
pub async fn claim_due(
    db: &mut Db,
    backend: Backend,
    worker: &str,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Claimed>> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE OF p SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // Any earlier attempt may have reached the network: a worker that died after sending, a
    // timeout, a server error after the write. `attempts > 1` after this claim says so.
    let rows = sqlx::query(&format!(
        "UPDATE posts SET status = 'publishing', lease_owner = $1, lease_until = $2, attempts = attempts + 1, updated_at = $3 \
         WHERE id IN (SELECT p.id FROM posts p JOIN channels c ON c.id = p.channel_id \
                      WHERE p.status IN ('scheduled', 'publishing') AND p.next_attempt_at <= $3 \
                      AND (p.lease_until IS NULL OR p.lease_until < $3) AND c.status = 'ok' \
                      AND (p.reply_to_post_id IS NULL OR EXISTS (SELECT 1 FROM posts t \
                           WHERE t.id = p.reply_to_post_id AND t.status = 'published')) \
                      AND NOT EXISTS (SELECT 1 FROM crisis_mode m WHERE m.workspace_id = p.workspace_id) \
                      ORDER BY p.next_attempt_at, p.id LIMIT $4{lock}) \
         RETURNING {POST_COLUMNS}"
    ))
    .bind(worker)
    .bind(now + lease_ms)
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            let post = post(r)?;
            Ok(Claimed { maybe_sent: post.attempts > 1, post })
        })
        .collect()
}

/// Records that `worker` published the post; returns whether it still held the lease. The
/// brand's own posts (not the inbox's replies nor direct messages) are then due for their first
/// snapshot of counts, and counted in the daily rollup.
pub async fn mark_published(
    db: &mut Db,
    id: i64,
    worker: &str,
    remote_id: &str,
    remote_url: &str,
    at: i64,
) -> Result<bool> {
    let mut tx = sqlx::Connection::begin(db).await?;
    let before = crate::analytics::rollup::share_of(&mut tx, id).await?;
    let n = sqlx::query(
        "UPDATE posts SET status = 'published', remote_id = $1, remote_url = $2, published_at = $3, error = NULL, \
         lease_owner = NULL, lease_until = NULL, updated_at = $3, snapshot_step = 0, \
         next_snapshot_at = CASE WHEN reply_ref IS NULL AND direct = 0 THEN $6 ELSE NULL END \
         WHERE id = $4 AND lease_owner = $5 AND status = 'publishing'",
    )
    .bind(remote_id)
    .bind(remote_url)
    .bind(at)
    .bind(id)
    .bind(worker)
    .bind(at + tutti_domain::kpi::SNAPSHOT_AFTER_MS[0])
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let after = crate::analytics::rollup::share_of(&mut tx, id).await?;
    crate::analytics::rollup::shift(&mut tx, before, after).await?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Puts a post back to wait until `retry_at`, keeping the error.
pub async fn retry_later(db: &mut Db, id: i64, worker: &str, error: &str, retry_at: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE posts SET status = 'scheduled', error = $1, next_attempt_at = $2, lease_owner = NULL, lease_until = NULL, updated_at = $3 \
         WHERE id = $4 AND lease_owner = $5 AND status = 'publishing'",
    )
    .bind(error)
    .bind(retry_at)
    .bind(crate::now_ms())
    .bind(id)
    .bind(worker)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Marks a post failed with the network's message.
pub async fn mark_failed(db: &mut Db, id: i64, worker: &str, error: &str) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE posts SET status = 'failed', error = $1, lease_owner = NULL, lease_until = NULL, updated_at = $2 \
         WHERE id = $3 AND lease_owner = $4 AND status = 'publishing'",
    )
    .bind(error)
    .bind(crate::now_ms())
    .bind(id)
    .bind(worker)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Moves a post to `at` (ms, UTC). Only a post that has not started publishing moves: one
/// `scheduled`, `in_review` or `failed`. A failed post moved is `scheduled` again, with its
/// attempts reset and its error cleared, so the publisher tries it afresh at the new time.
/// Returns whether the post moved (false: it does not exist, or it is publishing or published).
pub async fn reschedule(db: &mut Db, id: i64, at: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE posts SET scheduled_at = $1, next_attempt_at = $1, \
         attempts = CASE WHEN status = 'failed' THEN 0 ELSE attempts END, \
         error = CASE WHEN status = 'failed' THEN NULL ELSE error END, \
         status = CASE WHEN status = 'failed' THEN 'scheduled' ELSE status END, \
         updated_at = $2 \
         WHERE id = $3 AND status IN ('scheduled', 'in_review', 'failed')",
    )
    .bind(at)
    .bind(crate::now_ms())
    .bind(id)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The posts of a workspace due (or, unscheduled, written) in `[from, to)`, ms UTC, earliest
/// first; with `status`, only those in that state. At most `limit`. The replies sent from the
/// inbox (which answer a network post) are not the editorial calendar's: they stay in their
/// conversations.
pub async fn posts_between(
    db: &mut Db,
    workspace_id: i64,
    from: i64,
    to: i64,
    status: Option<PostStatus>,
    limit: i64,
) -> Result<Vec<Post>> {
    let rows = sqlx::query(&format!(
        "SELECT {POST_COLUMNS} FROM posts WHERE workspace_id = $1 \
         AND COALESCE(scheduled_at, created_at) >= $2 AND COALESCE(scheduled_at, created_at) < $3 \
         AND reply_ref IS NULL \
         AND (CAST($4 AS TEXT) IS NULL OR status = $4) \
         ORDER BY COALESCE(scheduled_at, created_at), id LIMIT $5"
    ))
    .bind(workspace_id)
    .bind(from)
    .bind(to)
    .bind(status.map(PostStatus::as_str))
    .bind(limit.clamp(1, 10_000))
    .fetch_all(db)
    .await?;
    rows.iter().map(post).collect()
}
