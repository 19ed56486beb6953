//! Alerting jobs: evaluating every alert rule once a minute, and delivering each alert by
//! webhook and e-mail.
//!
//! **Exactly once.** Evaluating a rule reads how far it has looked (`checked_until`), and
//! stores the alerts it finds in the same transaction that moves that mark forward with a
//! compare-and-set; a second worker evaluating the same rule at the same time finds the mark
//! moved, rolls back, and raises nothing. Each delivery is a job whose unique key is
//! `alert:<id>:<channel>`, so it is enqueued once and run under the job queue's lease.

use std::collections::HashMap;

use chrono::{TimeZone as _, Timelike};
use serde_json::json;
use tracing::{info, warn};
use tutti_alerts::{Baseline, BaselineConfig, Bucket, KeywordAlert, SmtpSettings, SpikeKind};
use tutti_domain::{AlertKind, QueryKind};
use tutti_listen::{Network, Post};
use tutti_store::alerts::{self, Alert, AlertSample, RuleToCheck};
use tutti_store::listening::{self, Mention};
use tutti_store::{identities, jobs, users, workspaces, Store, StoreError};

/// The queue of the once-a-minute evaluation of alert rules.
pub const EVALUATE_QUEUE: &str = "alerts";

/// The queue of alert deliveries (payload `{"alert": id, "channel": "webhook"|"email"}`).
pub const DELIVER_QUEUE: &str = "alert.deliver";

/// Mentions are counted per quarter of an hour.
pub const BUCKET_MS: i64 = 15 * 60_000;

/// Only the latest closed buckets may alert; older ones (a new rule's history, or a worker
/// catching up after downtime) only teach the baseline.
const ALERTING_BUCKETS: i64 = 2;

/// A rule catches up at most this far back.
const MAX_CATCH_UP_MS: i64 = 30 * 86_400_000;

/// A delivery that keeps failing is given up after this many attempts (about a day with the
/// queue's backoff).
pub const MAX_DELIVERY_ATTEMPTS: i64 = 12;

/// What the alerting jobs need besides the database.
#[derive(Debug, Clone, Default)]
pub struct AlertingConfig {
    /// The address people open Tutti at, for links in alerts (`https://tutti.example`).
    pub public_url: String,
    /// The SMTP server alerts are e-mailed through; none disables e-mail.
    pub smtp: Option<SmtpSettings>,
    /// Which webhook addresses are called: public ones, and the private hosts the operator
    /// allows.
    pub outbound: tutti_outbound::Outbound,
    /// The key ring that opens the webhooks' sealed signing secrets.
    pub keys: Option<tutti_app::secrets::Keyring>,
}

/// Why an alerting job failed.
#[derive(Debug, thiserror::Error)]
pub enum AlertingError {
    /// The database failed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    /// The webhook or the SMTP server did not take the alert.
    #[error("delivery failed: {0}")]
    Delivery(String),
}

/// Evaluates every active rule up to `now`; returns how many alerts were raised.
pub async fn evaluate(store: &Store, now: i64) -> Result<usize, AlertingError> {
    let rules = alerts::rules_to_check(&mut *store.conn().await?).await?;
    let mut raised = 0;
    for rule in rules {
        raised += match rule.rule.kind {
            AlertKind::Spike => evaluate_spikes(store, &rule, now).await?,
            AlertKind::Keyword => evaluate_keywords(store, &rule, now).await?,
        };
    }
    Ok(raised)
}

async fn evaluate_spikes(store: &Store, r: &RuleToCheck, now: i64) -> Result<usize, AlertingError> {
    let end = now.div_euclid(BUCKET_MS) * BUCKET_MS;
    let mark = r.rule.checked_until;
    let from = mark.max(end - MAX_CATCH_UP_MS).div_euclid(BUCKET_MS) * BUCKET_MS;
    if from >= end {
        return Ok(0);
    }
    let tz: chrono_tz::Tz = r.timezone.parse().unwrap_or(chrono_tz::UTC);
    let mut conn = store.conn().await?;
    let counts: HashMap<i64, (i64, i64)> =
        listening::arrivals(&mut conn, r.rule.query_id, from, end, BUCKET_MS)
            .await?
            .into_iter()
            .map(|(b, n, neg)| (b, (n, neg)))
            .collect();
    let config = BaselineConfig::default();
    let mut baseline = r
        .rule
        .state
        .as_deref()
        .and_then(|s| serde_json::from_str::<Baseline>(s).ok())
        .unwrap_or_else(|| Baseline::new(config.clone()));
    baseline.set_config(config);
    let mut found = Vec::new();
    let mut bucket = from;
    while bucket < end {
        let (n, neg) = counts.get(&bucket).copied().unwrap_or((0, 0));
        let local_hour = tz.timestamp_millis_opt(bucket).single().map_or(0, |t| t.hour() as u8);
        let spikes = baseline.observe(Bucket {
            local_hour,
            count: u32::try_from(n).unwrap_or(u32::MAX),
            negative: u32::try_from(neg).unwrap_or(u32::MAX),
        });
        if bucket >= end - ALERTING_BUCKETS * BUCKET_MS {
            for s in spikes {
                let kind = match s.kind {
                    SpikeKind::Volume => "volume",
                    SpikeKind::NegativeShare => "negative_share",
                };
                let samples =
                    listening::arrived_between(&mut conn, r.rule.query_id, bucket, bucket + BUCKET_MS, 5)
                        .await?;
                let handles = identities::handles(&mut conn, &authors_of(&samples)).await?;
                let window = (bucket, bucket + BUCKET_MS);
                found.push(alert(r, kind, s.observed, s.expected, window, &samples, &handles, now));
            }
        }
        bucket += BUCKET_MS;
    }
    drop(conn);
    let state = serde_json::to_string(&baseline).ok();
    settle(store, r, mark, end, state.as_deref(), found).await
}

async fn evaluate_keywords(store: &Store, r: &RuleToCheck, now: i64) -> Result<usize, AlertingError> {
    let mark = r.rule.checked_until;
    let mentions = listening::mentions_after(&mut *store.conn().await?, r.rule.query_id, mark, 5_000).await?;
    let Some(last) = mentions.last().map(|m| m.id) else { return Ok(0) };
    let keyword = match KeywordAlert::parse(r.rule.keyword.as_deref().unwrap_or_default()) {
        Ok(k) => k,
        Err(e) => {
            warn!(rule = r.rule.id, error = %e, "skipping a keyword rule that does not parse");
            return Ok(0);
        }
    };
    let hits: Vec<&Mention> = mentions.iter().filter(|m| keyword.matches(&post_of(m))).collect();
    let mut found = Vec::new();
    if !hits.is_empty() {
        let samples: Vec<Mention> = hits.iter().take(5).map(|m| (*m).clone()).collect();
        let start = hits.iter().filter_map(|m| m.published_at).min().unwrap_or(now);
        let handles = identities::handles(&mut *store.conn().await?, &authors_of(&samples)).await?;
        found.push(alert(
            r,
            "keyword",
            hits.len() as f64,
            0.0,
            (start.min(now), now),
            &samples,
            &handles,
            now,
        ));
    }
    settle(store, r, mark, last, None, found).await
}

/// Stores `found` and moves the rule's mark from `mark` to `to`, in one transaction, unless
/// another worker moved the mark first.
async fn settle(
    store: &Store,
    r: &RuleToCheck,
    mark: i64,
    to: i64,
    state: Option<&str>,
    found: Vec<Alert>,
) -> Result<usize, AlertingError> {
    let mut tx = store.begin().await?;
    if !alerts::advance_rule(&mut tx, r.rule.id, mark, to, state).await? {
        // Another worker evaluated this rule meanwhile; its alerts stand.
        return Ok(0);
    }
    let n = found.len();
    for a in &found {
        let id = alerts::insert_alert(&mut tx, a).await?;
        for channel in &r.rule.deliver {
            let payload = json!({"alert": id, "channel": channel}).to_string();
            jobs::enqueue(
                &mut tx,
                DELIVER_QUEUE,
                Some(&format!("alert:{id}:{channel}")),
                &payload,
                a.created_at,
            )
            .await?;
        }
        info!(rule = r.rule.id, query = %r.query_name, kind = %a.kind, observed = a.observed, expected = a.expected, "alert raised");
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(n)
}

#[allow(clippy::too_many_arguments)]
fn alert(
    r: &RuleToCheck,
    kind: &str,
    observed: f64,
    expected: f64,
    (window_start, window_end): (i64, i64),
    samples: &[Mention],
    handles: &HashMap<String, String>,
    now: i64,
) -> Alert {
    Alert {
        id: 0,
        workspace_id: r.workspace_id,
        query_id: r.rule.query_id,
        rule_id: Some(r.rule.id),
        kind: kind.to_owned(),
        observed,
        expected,
        window_start,
        window_end,
        samples: samples
            .iter()
            .map(|m| AlertSample {
                author: {
                    let raw = m.author.as_deref().unwrap_or_default();
                    let shown = handles.get(raw).map(|h| format!("@{h}")).unwrap_or_else(|| raw.to_owned());
                    tutti_alerts::message::clean_text(&shown, 200)
                },
                text: tutti_alerts::message::clean_text(&m.text, 280),
                url: m.url.clone(),
            })
            .collect(),
        // The SMM is offered crisis mode on any alert about the brand itself.
        crisis_suggested: r.query_kind == QueryKind::Brand,
        created_at: now,
    }
}

/// The authors of these mentions.
fn authors_of(mentions: &[Mention]) -> Vec<String> {
    mentions.iter().filter_map(|m| m.author.clone()).collect()
}

/// What a keyword rule reads of a stored mention.
fn post_of(m: &Mention) -> Post {
    let mut post = Post::new(&m.text);
    post.author = m.author.clone().unwrap_or_default();
    post.lang = m.lang.clone();
    post.network = match m.source.as_str() {
        "jetstream" | "firehose" => Network::Bluesky,
        "mastodon" => Network::Mastodon,
        _ => Network::Rss,
    };
    post
}

/// Delivers one alert on one channel. A channel the workspace has not configured (no webhook,
/// no recipient, no SMTP server) is skipped with a warning; a delivery that fails is an
/// error, so the queue retries it later.
pub async fn deliver(store: &Store, config: &AlertingConfig, payload: &str) -> Result<(), AlertingError> {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let (Some(id), Some(channel)) = (v["alert"].as_i64(), v["channel"].as_str()) else {
        warn!(payload, "skipping a malformed alert delivery");
        return Ok(());
    };
    let mut conn = store.conn().await?;
    let a = match alerts::alert_by_id(&mut conn, id).await {
        Ok(a) => a,
        // Deleted with its query or workspace: nothing to deliver.
        Err(StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let ws = workspaces::by_id(&mut conn, a.workspace_id).await?;
    let settings = alerts::settings(&mut conn, ws.id).await?;
    let query_name = listening::queries_of(&mut conn, ws.id)
        .await?
        .into_iter()
        .find(|q| q.id == a.query_id)
        .map(|q| q.name)
        .unwrap_or_default();
    let mut locales = HashMap::new();
    for to in &settings.alert_emails {
        let locale = users::by_email(&mut conn, to).await.ok().and_then(|u| u.locale);
        locales.insert(to.clone(), locale);
    }
    drop(conn);
    let message = tutti_alerts::Alert {
        workspace: ws.name.clone(),
        query_name,
        kind: match a.kind.as_str() {
            "volume" => tutti_alerts::AlertKind::Volume,
            "negative_share" => tutti_alerts::AlertKind::NegativeShare,
            _ => tutti_alerts::AlertKind::Keyword,
        },
        observed: a.observed,
        expected: a.expected,
        window_start_ms: a.window_start,
        samples: a
            .samples
            .iter()
            .map(|s| tutti_alerts::Sample {
                author: s.author.clone(),
                text: s.text.clone(),
                url: s.url.clone().unwrap_or_default(),
            })
            .collect(),
        link: format!("{}/w/{}/listening/{}", config.public_url.trim_end_matches('/'), ws.slug, a.query_id),
        crisis_suggested: a.crisis_suggested,
    };
    match channel {
        "webhook" => {
            let (Some(url), Some(secret)) = (&settings.webhook_url, &settings.webhook_secret) else {
                warn!(alert = id, workspace = %ws.slug, "no webhook configured; alert not sent by webhook");
                return Ok(());
            };
            let secret = tutti_app::listening::open_webhook_secret(config.keys.as_ref(), secret)
                .map_err(|e| AlertingError::Delivery(format!("webhook secret: {e}")))?;
            // One attempt per job run: the queue spaces the retries out and survives restarts.
            let policy = tutti_alerts::RetryPolicy { max_attempts: 1, ..Default::default() };
            let client = tutti_alerts::WebhookClient::new(policy, &config.outbound)
                .map_err(|e| AlertingError::Delivery(e.to_string()))?;
            client
                .deliver_alert(url, secret.as_bytes(), &message)
                .await
                .map_err(|e| AlertingError::Delivery(format!("webhook: {e}")))?;
            info!(alert = id, workspace = %ws.slug, "alert delivered by webhook");
        }
        "email" => {
            let Some(smtp) = &config.smtp else {
                warn!(alert = id, "no SMTP server configured; alert not e-mailed");
                return Ok(());
            };
            if settings.alert_emails.is_empty() {
                warn!(alert = id, workspace = %ws.slug, "no alert recipient; alert not e-mailed");
                return Ok(());
            }
            // Each recipient who has a Tutti account gets their language; others English.
            for lang in [tutti_alerts::Lang::Fr, tutti_alerts::Lang::En] {
                let to: Vec<String> = settings
                    .alert_emails
                    .iter()
                    .filter(|e| {
                        let fr = locales.get(*e).and_then(|l| l.as_deref()) == Some("fr");
                        fr == (lang == tutti_alerts::Lang::Fr)
                    })
                    .cloned()
                    .collect();
                if !to.is_empty() {
                    tutti_alerts::mail::send_alert(smtp, &to, &message, lang)
                        .await
                        .map_err(|e| AlertingError::Delivery(format!("e-mail: {e}")))?;
                }
            }
            info!(alert = id, workspace = %ws.slug, "alert e-mailed");
        }
        other => warn!(alert = id, channel = other, "skipping an unknown delivery channel"),
    }
    Ok(())
}
