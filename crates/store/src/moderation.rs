//! Moderation (D5): the rules of a workspace, which rule hit which item, and the log of the
//! actions they (or a person) took, with what undoes each. The actions themselves are rows of
//! `inbox_actions`, run on the networks by the worker like the inbox's likes and reposts.

use sqlx::Row;
use tutti_domain::{ActionStatus, ItemKind};

use crate::inbox::ANSWERABLE_SQL;
use crate::{Db, Result, StoreError};

/// A moderation rule as stored: its conditions and actions are JSON, read by the app crate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rule {
    /// Stable identifier.
    pub id: i64,
    /// Its workspace.
    pub workspace_id: i64,
    /// Its name, unique in the workspace.
    pub name: String,
    /// Whether it runs on new items.
    pub enabled: bool,
    /// The conditions, JSON.
    pub conditions: String,
    /// The actions, JSON.
    pub actions: String,
    /// When it was made, ms.
    pub created_at: i64,
}

const RULE_COLUMNS: &str = "id, workspace_id, name, enabled, conditions, actions, created_at";

fn rule(r: &sqlx::any::AnyRow) -> Result<Rule> {
    let enabled: i64 = r.try_get("enabled")?;
    Ok(Rule {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        name: r.try_get("name")?,
        enabled: enabled != 0,
        conditions: r.try_get("conditions")?,
        actions: r.try_get("actions")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Saves a new rule; `None` when the workspace already has a rule of that name.
pub async fn insert_rule(
    db: &mut Db,
    workspace_id: i64,
    name: &str,
    conditions: &str,
    actions: &str,
    enabled: bool,
    by: Option<i64>,
) -> Result<Option<i64>> {
    let now = crate::now_ms();
    Ok(sqlx::query_scalar(
        "INSERT INTO moderation_rules (workspace_id, name, enabled, conditions, actions, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (workspace_id, name) DO NOTHING RETURNING id",
    )
    .bind(workspace_id)
    .bind(name)
    .bind(i64::from(enabled))
    .bind(conditions)
    .bind(actions)
    .bind(by)
    .bind(now)
    .fetch_optional(db)
    .await?)
}

/// The rules of a workspace, by name.
pub async fn rules_of(db: &mut Db, workspace_id: i64) -> Result<Vec<Rule>> {
    let rows = sqlx::query(&format!(
        "SELECT {RULE_COLUMNS} FROM moderation_rules WHERE workspace_id = $1 ORDER BY name, id"
    ))
    .bind(workspace_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(rule).collect()
}

/// The enabled rules of a workspace, oldest first (the order they apply in).
pub async fn enabled_rules(db: &mut Db, workspace_id: i64) -> Result<Vec<Rule>> {
    let rows = sqlx::query(&format!(
        "SELECT {RULE_COLUMNS} FROM moderation_rules WHERE workspace_id = $1 AND enabled = 1 ORDER BY id"
    ))
    .bind(workspace_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(rule).collect()
}

/// One rule of a workspace.
pub async fn rule_by_id(db: &mut Db, workspace_id: i64, id: i64) -> Result<Rule> {
    let row = sqlx::query(&format!(
        "SELECT {RULE_COLUMNS} FROM moderation_rules WHERE id = $1 AND workspace_id = $2"
    ))
    .bind(id)
    .bind(workspace_id)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound)?;
    rule(&row)
}

/// Turns a rule on or off; returns whether it exists in the workspace.
pub async fn set_enabled(db: &mut Db, workspace_id: i64, id: i64, enabled: bool) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE moderation_rules SET enabled = $1, updated_at = $2 WHERE id = $3 AND workspace_id = $4",
    )
    .bind(i64::from(enabled))
    .bind(crate::now_ms())
    .bind(id)
    .bind(workspace_id)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records that a rule hit an item; returns whether it is new.
pub async fn record_hit(
    db: &mut Db,
    workspace_id: i64,
    rule_id: i64,
    item_id: i64,
    person_id: Option<i64>,
    at: i64,
) -> Result<bool> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO moderation_hits (workspace_id, rule_id, item_id, person_id, at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (rule_id, item_id) DO NOTHING RETURNING id",
    )
    .bind(workspace_id)
    .bind(rule_id)
    .bind(item_id)
    .bind(person_id)
    .bind(at)
    .fetch_optional(db)
    .await?;
    Ok(id.is_some())
}

/// The items a rule hit.
pub async fn hits_of_rule(db: &mut Db, rule_id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT item_id FROM moderation_hits WHERE rule_id = $1 ORDER BY item_id")
        .bind(rule_id)
        .fetch_all(db)
        .await?)
}

/// An action to record.
#[derive(Debug, Clone)]
pub struct NewAction<'a> {
    /// Its workspace.
    pub workspace_id: i64,
    /// The item acted on.
    pub item_id: i64,
    /// The channel acting.
    pub channel_id: i64,
    /// What: `tag:<tag>`, assign, priority, hide, mute, block, report, reply.
    pub action: &'a str,
    /// Its argument (a tag, an e-mail, a priority, a report reason, a reply's text).
    pub detail: &'a str,
    /// The rule that asked it, if one did.
    pub rule_id: Option<i64>,
    /// pending (the worker runs it) or done (applied here).
    pub status: ActionStatus,
    /// For a local action, the value before.
    pub undo_ref: Option<&'a str>,
    /// What it produced (a reply's post).
    pub result_ref: Option<&'a str>,
    /// Who asked it.
    pub by: Option<i64>,
}

/// Records an action once per item, channel and action; an action that was undone is asked
/// again. `None` when it is already there (and not undone).
pub async fn upsert_action(db: &mut Db, a: &NewAction<'_>) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO inbox_actions (workspace_id, item_id, channel_id, action, status, detail, rule_id, undo_ref, \
           result_ref, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (item_id, channel_id, action) DO UPDATE SET status = excluded.status, detail = excluded.detail, \
           rule_id = excluded.rule_id, undo_ref = excluded.undo_ref, result_ref = excluded.result_ref, error = NULL, \
           undone_at = NULL, undone_by = NULL, created_by = excluded.created_by, created_at = excluded.created_at \
         WHERE inbox_actions.status = 'undone' RETURNING id",
    )
    .bind(a.workspace_id)
    .bind(a.item_id)
    .bind(a.channel_id)
    .bind(a.action)
    .bind(a.status.as_str())
    .bind(a.detail)
    .bind(a.rule_id)
    .bind(a.undo_ref)
    .bind(a.result_ref)
    .bind(a.by)
    .bind(crate::now_ms())
    .fetch_optional(db)
    .await?)
}

/// An entry of the moderation log: an action and what it was about.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogEntry {
    /// The action's id.
    pub id: i64,
    /// The item acted on.
    pub item_id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// The channel acting.
    pub channel_id: i64,
    /// What.
    pub action: String,
    /// Its argument.
    pub detail: String,
    /// pending, done, failed, undoing, undone.
    pub status: ActionStatus,
    /// What undoes it on the network.
    pub result_ref: Option<String>,
    /// For local actions, the value before.
    pub undo_ref: Option<String>,
    /// The network's words when it failed.
    pub error: Option<String>,
    /// The rule that asked it.
    pub rule_id: Option<i64>,
    /// Its name.
    pub rule_name: String,
    /// The item's author: handle and network id.
    pub author_handle: String,
    /// Their network id.
    pub author_id: String,
    /// The item's text.
    pub text: String,
    /// The item's post.
    pub post_ref: Option<String>,
    /// When asked, ms.
    pub created_at: i64,
    /// When undone, ms.
    pub undone_at: Option<i64>,
}

const LOG_SQL: &str = "SELECT a.id, a.item_id, i.conversation_id, a.channel_id, a.action, a.detail, a.status, \
    a.result_ref, a.undo_ref, a.error, a.rule_id, COALESCE(r.name, '') AS rule_name, i.author_handle, i.author_id, \
    i.text, i.post_ref, a.created_at, a.undone_at \
    FROM inbox_actions a JOIN inbox_items i ON i.id = a.item_id LEFT JOIN moderation_rules r ON r.id = a.rule_id";

fn log_entry(r: &sqlx::any::AnyRow) -> Result<LogEntry> {
    Ok(LogEntry {
        id: r.try_get("id")?,
        item_id: r.try_get("item_id")?,
        conversation_id: r.try_get("conversation_id")?,
        channel_id: r.try_get("channel_id")?,
        action: r.try_get("action")?,
        detail: r.try_get("detail")?,
        status: crate::word(r, "status")?,
        result_ref: r.try_get("result_ref")?,
        undo_ref: r.try_get("undo_ref")?,
        error: r.try_get("error")?,
        rule_id: r.try_get("rule_id")?,
        rule_name: r.try_get("rule_name")?,
        author_handle: r.try_get("author_handle")?,
        author_id: r.try_get("author_id")?,
        text: r.try_get("text")?,
        post_ref: r.try_get("post_ref")?,
        created_at: r.try_get("created_at")?,
        undone_at: r.try_get("undone_at")?,
    })
}

/// The moderation log of a workspace (every action but likes and reposts), latest first.
pub async fn log(db: &mut Db, workspace_id: i64, limit: i64) -> Result<Vec<LogEntry>> {
    let rows = sqlx::query(&format!(
        "{LOG_SQL} WHERE a.workspace_id = $1 AND a.action NOT IN ('like', 'repost') ORDER BY a.created_at DESC, a.id DESC LIMIT $2"
    ))
    .bind(workspace_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(log_entry).collect()
}

/// One entry of the log.
pub async fn log_entry_by_id(db: &mut Db, workspace_id: i64, id: i64) -> Result<LogEntry> {
    let row = sqlx::query(&format!("{LOG_SQL} WHERE a.id = $1 AND a.workspace_id = $2"))
        .bind(id)
        .bind(workspace_id)
        .fetch_optional(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    log_entry(&row)
}

/// Moves an action from `from` to `to` (a compare-and-set); returns whether it moved.
pub async fn move_action(
    db: &mut Db,
    id: i64,
    from: ActionStatus,
    to: ActionStatus,
    by: Option<i64>,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE inbox_actions SET status = $1, undone_by = COALESCE($2, undone_by), \
         undone_at = CASE WHEN $1 = 'undone' THEN $3 ELSE undone_at END WHERE id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(by)
    .bind(crate::now_ms())
    .bind(id)
    .bind(from.as_str())
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Settles the undoing of an action: undone, or done again with the network's words.
pub async fn settle_undo(db: &mut Db, id: i64, error: Option<&str>) -> Result<()> {
    sqlx::query(
        "UPDATE inbox_actions SET status = $1, error = $2, undone_at = CASE WHEN $1 = 'undone' THEN $3 ELSE NULL END \
         WHERE id = $4 AND status = 'undoing'",
    )
    .bind(if error.is_some() { ActionStatus::Done } else { ActionStatus::Undone }.as_str())
    .bind(error)
    .bind(crate::now_ms())
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// An item as the rules see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Candidate {
    /// The item.
    pub id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// Its channel.
    pub channel_id: i64,
    /// reply, mention, quote, dm.
    pub kind: ItemKind,
    /// Its person.
    pub person_id: Option<i64>,
    /// The author's network id.
    pub author_id: String,
    /// Their handle.
    pub author_handle: String,
    /// The text.
    pub text: String,
    /// Its language.
    pub lang: String,
    /// 0 to 1.
    pub toxicity: f64,
    /// The author's post.
    pub post_ref: Option<String>,
    /// When, ms.
    pub created_at: i64,
    /// When the author's account was created, ms, if the network said.
    pub author_since: Option<i64>,
}

const CANDIDATE_COLUMNS: &str =
    "id, conversation_id, channel_id, kind, person_id, author_id, author_handle, text, \
    lang, toxicity, post_ref, created_at, author_since";

fn candidate(r: &sqlx::any::AnyRow) -> Result<Candidate> {
    Ok(Candidate {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        channel_id: r.try_get("channel_id")?,
        kind: crate::word(r, "kind")?,
        person_id: r.try_get("person_id")?,
        author_id: r.try_get("author_id")?,
        author_handle: r.try_get("author_handle")?,
        text: r.try_get("text")?,
        lang: r.try_get("lang")?,
        toxicity: r.try_get("toxicity")?,
        post_ref: r.try_get("post_ref")?,
        created_at: r.try_get("created_at")?,
        author_since: r.try_get("author_since")?,
    })
}

/// The latest `limit` items of a workspace that ask for an answer (reply, mention, quote).
pub async fn recent_items(db: &mut Db, workspace_id: i64, limit: i64) -> Result<Vec<Candidate>> {
    let rows = sqlx::query(&format!(
        "SELECT {CANDIDATE_COLUMNS} FROM inbox_items WHERE workspace_id = $1 AND kind IN {ANSWERABLE_SQL} \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(workspace_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(candidate).collect()
}

/// Items by id.
pub async fn candidate_by_id(db: &mut Db, id: i64) -> Result<Candidate> {
    let row = sqlx::query(&format!("SELECT {CANDIDATE_COLUMNS} FROM inbox_items WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    candidate(&row)
}

/// What a person did that counts towards their troll score since `since`: the times of their
/// rule hits and of their items at least `toxic_at` toxic, with their name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conduct {
    /// The person.
    pub person_id: i64,
    /// Their display name.
    pub name: String,
    /// When a rule hit them, ms.
    pub hits: Vec<i64>,
    /// When they wrote something toxic, ms.
    pub toxic: Vec<i64>,
}

/// The conduct of the workspace's people since `since`.
pub async fn conduct_since(
    db: &mut Db,
    workspace_id: i64,
    since: i64,
    toxic_at: f64,
) -> Result<Vec<Conduct>> {
    let rows = sqlx::query(
        "SELECT h.person_id AS person_id, h.at AS at, 'hit' AS what FROM moderation_hits h \
           WHERE h.workspace_id = $1 AND h.at >= $2 AND h.person_id IS NOT NULL \
         UNION ALL SELECT i.person_id AS person_id, i.created_at AS at, 'toxic' AS what FROM inbox_items i \
           WHERE i.workspace_id = $1 AND i.created_at >= $2 AND i.person_id IS NOT NULL AND i.toxicity >= $3 \
         ORDER BY person_id, at LIMIT 100000",
    )
    .bind(workspace_id)
    .bind(since)
    .bind(toxic_at)
    .fetch_all(&mut *db)
    .await?;
    let mut out: Vec<Conduct> = Vec::new();
    for r in &rows {
        let person: i64 = r.try_get("person_id")?;
        let at: i64 = r.try_get("at")?;
        let what: String = r.try_get("what")?;
        if out.last().map(|c| c.person_id) != Some(person) {
            out.push(Conduct { person_id: person, ..Default::default() });
        }
        let c = out.last_mut().expect("pushed");
        if what == "hit" {
            c.hits.push(at);
        } else {
            c.toxic.push(at);
        }
    }
    for c in &mut out {
        c.name = sqlx::query_scalar("SELECT display_name FROM people WHERE id = $1")
            .bind(c.person_id)
            .fetch_optional(&mut *db)
            .await?
            .unwrap_or_default();
    }
    Ok(out)
}
