//! Alerting: per-workspace listening settings (retention, webhook, e-mail recipients), crisis
//! mode, alert rules with their learned state, and the alerts they raised.
//!
//! A rule remembers how far it has looked (`checked_until`: the end of the last bucket for a
//! spike rule, the last mention id for a keyword rule). A worker moves that mark forward with
//! a compare-and-set in the transaction that stores the alerts, so two workers evaluating the
//! same rule at once raise each alert once: the second one's update finds the mark moved and
//! its transaction is rolled back.

use sqlx::Row;
use tutti_domain::{AlertKind, QueryKind};

use crate::{Db, Result};

/// How long mentions are kept when a workspace has not chosen.
pub const DEFAULT_RETENTION_DAYS: i64 = 90;

/// A workspace's listening settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListeningSettings {
    /// Mentions older than this many days are deleted.
    pub retention_days: i64,
    /// Where alerts are POSTed, signed, if set.
    pub webhook_url: Option<String>,
    /// The secret alerts are signed with, as stored; never shown after it was made.
    #[serde(skip)]
    pub webhook_secret: Option<StoredSecret>,
    /// Who receives alerts by e-mail.
    pub alert_emails: Vec<String>,
}

/// The webhook's signing secret as the database keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredSecret {
    /// Sealed with the key ring: the key's id and `base64(nonce ‖ ciphertext)`.
    Sealed {
        /// The id of the key that sealed it.
        key_id: String,
        /// The sealed secret.
        sealed: String,
    },
    /// In clear, as databases made before secrets were sealed hold it, until the application
    /// seals it at start-up ([`clear_webhook_secrets`], [`seal_webhook_secret`]).
    Clear(String),
}

impl Default for ListeningSettings {
    fn default() -> Self {
        ListeningSettings {
            retention_days: DEFAULT_RETENTION_DAYS,
            webhook_url: None,
            webhook_secret: None,
            alert_emails: Vec::new(),
        }
    }
}

/// The settings of a workspace, or the defaults.
pub async fn settings(db: &mut Db, workspace_id: i64) -> Result<ListeningSettings> {
    let row = sqlx::query(
        "SELECT retention_days, webhook_url, webhook_secret, webhook_secret_sealed, webhook_key_id, alert_emails \
         FROM listening_settings WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_optional(db)
    .await?;
    let Some(r) = row else { return Ok(ListeningSettings::default()) };
    let emails: String = r.try_get("alert_emails")?;
    let sealed: Option<String> = r.try_get("webhook_secret_sealed")?;
    let key_id: Option<String> = r.try_get("webhook_key_id")?;
    let clear: Option<String> = r.try_get("webhook_secret")?;
    let webhook_secret = match (sealed, key_id, clear) {
        (Some(sealed), Some(key_id), _) => Some(StoredSecret::Sealed { key_id, sealed }),
        (_, _, Some(clear)) => Some(StoredSecret::Clear(clear)),
        _ => None,
    };
    Ok(ListeningSettings {
        retention_days: r.try_get("retention_days")?,
        webhook_url: r.try_get("webhook_url")?,
        webhook_secret,
        alert_emails: emails.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned).collect(),
    })
}

/// Saves a workspace's settings.
pub async fn save_settings(db: &mut Db, workspace_id: i64, s: &ListeningSettings) -> Result<()> {
    let (clear, sealed, key_id) = match &s.webhook_secret {
        None => (None, None, None),
        Some(StoredSecret::Clear(c)) => (Some(c.as_str()), None, None),
        Some(StoredSecret::Sealed { key_id, sealed }) => (None, Some(sealed.as_str()), Some(key_id.as_str())),
    };
    sqlx::query(
        "INSERT INTO listening_settings (workspace_id, retention_days, webhook_url, webhook_secret, \
         webhook_secret_sealed, webhook_key_id, alert_emails, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (workspace_id) DO UPDATE SET retention_days = excluded.retention_days, \
         webhook_url = excluded.webhook_url, webhook_secret = excluded.webhook_secret, \
         webhook_secret_sealed = excluded.webhook_secret_sealed, webhook_key_id = excluded.webhook_key_id, \
         alert_emails = excluded.alert_emails, updated_at = excluded.updated_at",
    )
    .bind(workspace_id)
    .bind(s.retention_days)
    .bind(&s.webhook_url)
    .bind(clear)
    .bind(sealed)
    .bind(key_id)
    .bind(s.alert_emails.join(","))
    .bind(crate::now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// The webhook secrets still in clear (from a database made before secrets were sealed): the
/// workspace and the secret.
pub async fn clear_webhook_secrets(db: &mut Db) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT workspace_id, webhook_secret FROM listening_settings \
         WHERE webhook_secret IS NOT NULL ORDER BY workspace_id",
    )
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("workspace_id")?, r.try_get("webhook_secret")?))).collect()
}

/// The sealed webhook secrets: the workspace, the key id and the sealed secret (to seal them
/// again with a new key).
pub async fn sealed_webhook_secrets(db: &mut Db) -> Result<Vec<(i64, String, String)>> {
    let rows = sqlx::query(
        "SELECT workspace_id, webhook_key_id, webhook_secret_sealed FROM listening_settings \
         WHERE webhook_secret_sealed IS NOT NULL AND webhook_key_id IS NOT NULL ORDER BY workspace_id",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("workspace_id")?,
                r.try_get("webhook_key_id")?,
                r.try_get("webhook_secret_sealed")?,
            ))
        })
        .collect()
}

/// Stores the sealed form of a workspace's webhook secret and empties its clear form. When
/// `was_clear` is given, only if the clear secret is still that one (so that sealing at
/// start-up never overwrites a secret changed meanwhile); returns whether the row changed.
pub async fn seal_webhook_secret(
    db: &mut Db,
    workspace_id: i64,
    key_id: &str,
    sealed: &str,
    was_clear: Option<&str>,
) -> Result<bool> {
    let done = match was_clear {
        Some(clear) => {
            sqlx::query(
                "UPDATE listening_settings SET webhook_secret_sealed = $1, webhook_key_id = $2, webhook_secret = NULL \
                 WHERE workspace_id = $3 AND webhook_secret = $4",
            )
            .bind(sealed)
            .bind(key_id)
            .bind(workspace_id)
            .bind(clear)
            .execute(db)
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE listening_settings SET webhook_secret_sealed = $1, webhook_key_id = $2, webhook_secret = NULL \
                 WHERE workspace_id = $3",
            )
            .bind(sealed)
            .bind(key_id)
            .bind(workspace_id)
            .execute(db)
            .await?
        }
    };
    Ok(done.rows_affected() > 0)
}

/// A workspace's crisis mode, when it is on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Crisis {
    /// Since when, ms.
    pub since: i64,
    /// Who turned it on (none when the operator did, at the command line).
    pub started_by: Option<i64>,
    /// Why, in the words of who turned it on.
    pub reason: String,
}

/// The workspace's crisis mode, if it is on.
pub async fn crisis(db: &mut Db, workspace_id: i64) -> Result<Option<Crisis>> {
    let row = sqlx::query("SELECT since, started_by, reason FROM crisis_mode WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_optional(db)
        .await?;
    row.map(|r| {
        Ok(Crisis {
            since: r.try_get("since")?,
            started_by: r.try_get("started_by")?,
            reason: r.try_get("reason")?,
        })
    })
    .transpose()
}

/// Turns crisis mode on; returns false when it already was.
pub async fn start_crisis(db: &mut Db, workspace_id: i64, by: Option<i64>, reason: &str) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO crisis_mode (workspace_id, since, started_by, reason) VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id) DO NOTHING",
    )
    .bind(workspace_id)
    .bind(crate::now_ms())
    .bind(by)
    .bind(reason)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Turns crisis mode off; returns false when it was not on.
pub async fn end_crisis(db: &mut Db, workspace_id: i64) -> Result<bool> {
    let n = sqlx::query("DELETE FROM crisis_mode WHERE workspace_id = $1")
        .bind(workspace_id)
        .execute(db)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// An alert rule on a query.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertRule {
    /// Stable identifier.
    pub id: i64,
    /// The query it watches.
    pub query_id: i64,
    /// `spike` (volume and negative share against the learned baseline) or `keyword`.
    pub kind: AlertKind,
    /// For keyword rules: the words to watch, in the listening query language.
    pub keyword: Option<String>,
    /// Where it is delivered besides the app: any of `webhook`, `email`.
    pub deliver: Vec<String>,
    /// Whether it is evaluated.
    pub active: bool,
    /// What it learned (a spike rule's baseline), JSON.
    #[serde(skip)]
    pub state: Option<String>,
    /// How far it has looked (see the module's documentation).
    pub checked_until: i64,
    /// Creation time, ms.
    pub created_at: i64,
}

const RULE_COLUMNS: &str = "id, query_id, kind, keyword, deliver, active, state, checked_until, created_at";

fn rule(r: &sqlx::any::AnyRow) -> Result<AlertRule> {
    let deliver: String = r.try_get("deliver")?;
    Ok(AlertRule {
        id: r.try_get("id")?,
        query_id: r.try_get("query_id")?,
        kind: crate::word(r, "kind")?,
        keyword: r.try_get("keyword")?,
        deliver: deliver.split(',').filter(|d| !d.is_empty() && *d != "app").map(str::to_owned).collect(),
        active: r.try_get::<i64, _>("active")? != 0,
        state: r.try_get("state")?,
        checked_until: r.try_get("checked_until")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A rule to save.
#[derive(Debug, Clone)]
pub struct NewAlertRule<'a> {
    /// The query it watches.
    pub query_id: i64,
    /// `spike` or `keyword`.
    pub kind: AlertKind,
    /// The keyword query, for keyword rules.
    pub keyword: Option<&'a str>,
    /// Extra delivery channels.
    pub deliver: &'a [String],
    /// Where evaluation starts.
    pub checked_until: i64,
    /// Who made it.
    pub created_by: Option<i64>,
}

/// Saves a rule.
pub async fn insert_rule(db: &mut Db, r: &NewAlertRule<'_>) -> Result<AlertRule> {
    let mut deliver = vec!["app".to_owned()];
    deliver.extend(r.deliver.iter().cloned());
    let row = sqlx::query(&format!(
        "INSERT INTO alert_rules (query_id, kind, keyword, deliver, checked_until, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {RULE_COLUMNS}"
    ))
    .bind(r.query_id)
    .bind(r.kind.as_str())
    .bind(r.keyword)
    .bind(deliver.join(","))
    .bind(r.checked_until)
    .bind(r.created_by)
    .bind(crate::now_ms())
    .fetch_one(db)
    .await?;
    rule(&row)
}

/// The rules of one query.
pub async fn rules_of(db: &mut Db, query_id: i64) -> Result<Vec<AlertRule>> {
    let rows =
        sqlx::query(&format!("SELECT {RULE_COLUMNS} FROM alert_rules WHERE query_id = $1 ORDER BY id"))
            .bind(query_id)
            .fetch_all(db)
            .await?;
    rows.iter().map(rule).collect()
}

/// Deletes a rule of a query; returns whether it existed.
pub async fn delete_rule(db: &mut Db, query_id: i64, rule_id: i64) -> Result<bool> {
    let n = sqlx::query("DELETE FROM alert_rules WHERE id = $1 AND query_id = $2")
        .bind(rule_id)
        .bind(query_id)
        .execute(db)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// A rule with what evaluating it needs to know about its query and workspace.
#[derive(Debug, Clone)]
pub struct RuleToCheck {
    /// The rule.
    pub rule: AlertRule,
    /// Its query's workspace.
    pub workspace_id: i64,
    /// Its workspace's slug, for links.
    pub workspace_slug: String,
    /// Its workspace's name.
    pub workspace_name: String,
    /// Its workspace's time zone, for time-of-day baselines.
    pub timezone: String,
    /// The query's name.
    pub query_name: String,
    /// `brand` or `competitor`.
    pub query_kind: QueryKind,
}

/// Every active rule of every active query.
pub async fn rules_to_check(db: &mut Db) -> Result<Vec<RuleToCheck>> {
    let rows = sqlx::query(
        "SELECT r.id, r.query_id, r.kind, r.keyword, r.deliver, r.active, r.state, r.checked_until, r.created_at, \
         q.workspace_id, w.slug, w.name AS workspace_name, w.timezone, q.name AS query_name, q.kind AS query_kind \
         FROM alert_rules r JOIN listening_queries q ON q.id = r.query_id JOIN workspaces w ON w.id = q.workspace_id \
         WHERE r.active = 1 AND q.active = 1 ORDER BY r.id",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RuleToCheck {
                rule: rule(r)?,
                workspace_id: r.try_get("workspace_id")?,
                workspace_slug: r.try_get("slug")?,
                workspace_name: r.try_get("workspace_name")?,
                timezone: r.try_get("timezone")?,
                query_name: r.try_get("query_name")?,
                query_kind: crate::word(r, "query_kind")?,
            })
        })
        .collect()
}

/// Moves a rule's mark from `from` to `to` and saves its state, only if no one moved it
/// meanwhile; returns whether this caller did.
pub async fn advance_rule(
    db: &mut Db,
    rule_id: i64,
    from: i64,
    to: i64,
    state: Option<&str>,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE alert_rules SET checked_until = $1, state = $2 WHERE id = $3 AND checked_until = $4",
    )
    .bind(to)
    .bind(state)
    .bind(rule_id)
    .bind(from)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// A sample mention shown with an alert.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AlertSample {
    /// Who wrote it.
    pub author: String,
    /// What they wrote (bounded).
    pub text: String,
    /// Where to read it.
    pub url: Option<String>,
}

/// An alert raised on a query.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Alert {
    /// Stable identifier (0 before it is stored).
    pub id: i64,
    /// Its workspace.
    pub workspace_id: i64,
    /// Its query.
    pub query_id: i64,
    /// The rule that raised it.
    pub rule_id: Option<i64>,
    /// `volume`, `negative_share` or `keyword`.
    pub kind: String,
    /// What was seen: mentions in the window, the negative share, or matching mentions.
    pub observed: f64,
    /// What the baseline expected.
    pub expected: f64,
    /// The window, ms.
    pub window_start: i64,
    /// The window's end, ms.
    pub window_end: i64,
    /// Up to five mentions from the window.
    pub samples: Vec<AlertSample>,
    /// Whether the alert suggests crisis mode (a spike on a brand query).
    pub crisis_suggested: bool,
    /// When it was raised, ms.
    pub created_at: i64,
}

/// Stores an alert; returns its id.
pub async fn insert_alert(db: &mut Db, a: &Alert) -> Result<i64> {
    let samples = serde_json::to_string(&a.samples).unwrap_or_else(|_| "[]".into());
    Ok(sqlx::query_scalar(
        "INSERT INTO alerts (workspace_id, query_id, rule_id, kind, observed, expected, window_start, window_end, samples, crisis_suggested, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(a.workspace_id)
    .bind(a.query_id)
    .bind(a.rule_id)
    .bind(&a.kind)
    .bind(a.observed)
    .bind(a.expected)
    .bind(a.window_start)
    .bind(a.window_end)
    .bind(samples)
    .bind(i64::from(a.crisis_suggested))
    .bind(a.created_at)
    .fetch_one(db)
    .await?)
}

const ALERT_COLUMNS: &str = "id, workspace_id, query_id, rule_id, kind, observed, expected, window_start, window_end, samples, crisis_suggested, created_at";

fn alert(r: &sqlx::any::AnyRow) -> Result<Alert> {
    let samples: String = r.try_get("samples")?;
    Ok(Alert {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        query_id: r.try_get("query_id")?,
        rule_id: r.try_get("rule_id")?,
        kind: r.try_get("kind")?,
        observed: r.try_get("observed")?,
        expected: r.try_get("expected")?,
        window_start: r.try_get("window_start")?,
        window_end: r.try_get("window_end")?,
        samples: serde_json::from_str(&samples).unwrap_or_default(),
        crisis_suggested: r.try_get::<i64, _>("crisis_suggested")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

/// One alert.
pub async fn alert_by_id(db: &mut Db, id: i64) -> Result<Alert> {
    let row = sqlx::query(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"))
        .bind(id)
        .fetch_one(db)
        .await?;
    alert(&row)
}

/// The latest alerts of a workspace (of one query when given), newest first.
pub async fn alerts_of(
    db: &mut Db,
    workspace_id: i64,
    query_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Alert>> {
    let rows = sqlx::query(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE workspace_id = $1 AND ($2 = 0 OR query_id = $2) \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    ))
    .bind(workspace_id)
    .bind(query_id.unwrap_or(0))
    .bind(limit.clamp(1, 500))
    .fetch_all(db)
    .await?;
    rows.iter().map(alert).collect()
}

/// Who acknowledged an alert, and when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Acknowledgement {
    /// The alert.
    pub alert_id: i64,
    /// When, ms.
    pub at: i64,
    /// Their name (empty when the account is gone).
    pub by: String,
}

/// Acknowledges an alert of the workspace; returns false when it was already acknowledged.
/// An alert of another workspace is [`StoreError::NotFound`](crate::StoreError::NotFound).
pub async fn acknowledge(
    db: &mut Db,
    workspace_id: i64,
    alert_id: i64,
    by: Option<i64>,
    at: i64,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE alerts SET acknowledged_at = $1, acknowledged_by = $2 \
         WHERE id = $3 AND workspace_id = $4 AND acknowledged_at IS NULL",
    )
    .bind(at)
    .bind(by)
    .bind(alert_id)
    .bind(workspace_id)
    .execute(&mut *db)
    .await?
    .rows_affected();
    if n == 0 {
        let exists: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM alerts WHERE id = $1 AND workspace_id = $2")
                .bind(alert_id)
                .bind(workspace_id)
                .fetch_one(db)
                .await?;
        if exists == 0 {
            return Err(crate::StoreError::NotFound);
        }
    }
    Ok(n == 1)
}

/// The acknowledgements of the workspace's alerts among `ids`.
pub async fn acknowledgements(db: &mut Db, workspace_id: i64, ids: &[i64]) -> Result<Vec<Acknowledgement>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let rows = sqlx::query(&format!(
        "SELECT a.id, a.acknowledged_at, COALESCE(u.name, '') AS name FROM alerts a \
         LEFT JOIN users u ON u.id = a.acknowledged_by \
         WHERE a.workspace_id = $1 AND a.acknowledged_at IS NOT NULL AND a.id IN ({list})"
    ))
    .bind(workspace_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Acknowledgement {
                alert_id: r.try_get("id")?,
                at: r.try_get("acknowledged_at")?,
                by: r.try_get("name")?,
            })
        })
        .collect()
}

/// The workspace's alerts nobody has acknowledged, newest first.
pub async fn unacknowledged(db: &mut Db, workspace_id: i64, limit: i64) -> Result<Vec<Alert>> {
    let rows = sqlx::query(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE workspace_id = $1 AND acknowledged_at IS NULL \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(workspace_id)
    .bind(limit.clamp(1, 500))
    .fetch_all(db)
    .await?;
    rows.iter().map(alert).collect()
}
