//! Listening: the saved queries of a workspace, the mentions they matched and what they say
//! over a period (volume, sentiment, authors, terms, share of voice), alert rules and the
//! alerts raised, and where alerts go.

use std::collections::HashMap;

use chrono::TimeZone as _;
use serde_json::json;
use tutti_domain::{Action, AlertKind, DisplayName, Email, InputError, QueryKind, Sentiment};
use tutti_store::alerts::{self, Alert, AlertRule, ListeningSettings, NewAlertRule};
use tutti_store::listening::{self, Mention, MentionFilter, SavedQuery};
use tutti_store::StoreError;

use crate::accounts::record;
use crate::secrets::Keyring;
use crate::{Actor, App, AppError};

/// Whether a query follows the brand or a competitor (for share of voice).
pub const QUERY_KINDS: [&str; 2] = ["brand", "competitor"];

impl App {
    /// Saves a listening query after checking its syntax; a malformed query is refused with
    /// the column at fault (`query: col 17: NEAR needs a term on both sides`).
    pub async fn add_query(
        &self,
        actor: &Actor,
        slug: &str,
        name: &str,
        query: &str,
        kind: &str,
    ) -> Result<SavedQuery, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageListening).await?;
        let name = DisplayName::parse(name, "name")?;
        let parsed = tutti_listen::Query::parse(query)
            .map_err(|e| InputError::new("query", "query_invalid", e.to_string()))?;
        let Ok(kind) = kind.trim().to_ascii_lowercase().parse::<QueryKind>() else {
            return Err(InputError::new(
                "kind",
                "query_kind_unknown",
                "the kind must be brand or competitor",
            )
            .into());
        };
        let mut tx = self.store.begin().await?;
        let saved =
            listening::insert_query(&mut tx, access.workspace.id, name.as_str(), parsed.as_str(), kind)
                .await
                .map_err(|e| match e {
                    StoreError::Conflict { .. } => AppError::Conflict(InputError::new(
                        "name",
                        "query_name_taken",
                        format!("a query is already called {:?} in this workspace", name.as_str()),
                    )),
                    other => other.into(),
                })?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "listening.query.add",
            name.as_str(),
            None,
            Some(json!({"query": saved.query, "kind": saved.kind})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(saved)
    }

    /// The listening queries of a workspace.
    pub async fn list_queries(&self, actor: &Actor, slug: &str) -> Result<Vec<SavedQuery>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewListening).await?;
        Ok(listening::queries_of(&mut *self.store.conn().await?, access.workspace.id).await?)
    }

    /// One of the workspace's queries and its latest mentions that pass `filter`.
    pub async fn mentions(
        &self,
        actor: &Actor,
        slug: &str,
        query_id: i64,
        filter: &MentionFilter,
        limit: i64,
    ) -> Result<(SavedQuery, Vec<Mention>), AppError> {
        let (_, query) = self.query_of(actor, slug, query_id, Action::ViewListening).await?;
        let mentions =
            listening::mentions_of(&mut *self.store.conn().await?, query_id, filter, limit).await?;
        Ok((query, mentions))
    }

    /// The listening sources of the instance, with their place, lag and errors.
    pub async fn listening_sources(
        &self,
        actor: &Actor,
        slug: &str,
    ) -> Result<Vec<listening::SourceState>, AppError> {
        self.workspace_access(actor, slug, Action::ViewListening).await?;
        Ok(listening::sources(&mut *self.store.conn().await?).await?)
    }

    /// The verified handles of the Bluesky authors of these mentions (public information,
    /// read for mentions the caller was allowed to list).
    pub async fn author_handles(&self, mentions: &[Mention]) -> Result<HashMap<String, String>, AppError> {
        let mut dids: Vec<String> =
            mentions.iter().filter_map(|m| m.author.clone()).filter(|a| a.starts_with("did:")).collect();
        dids.sort();
        dids.dedup();
        Ok(tutti_store::identities::handles(&mut *self.store.conn().await?, &dids).await?)
    }

    /// The id of the query's latest stored mention (0 when none): where a live list starts.
    pub async fn last_mention_id(&self, actor: &Actor, slug: &str, query_id: i64) -> Result<i64, AppError> {
        let (_, query) = self.query_of(actor, slug, query_id, Action::ViewListening).await?;
        Ok(listening::last_mention_id(&mut *self.store.conn().await?, query.id).await?)
    }

    /// Opens a workspace for `action` and finds one of its queries.
    async fn query_of(
        &self,
        actor: &Actor,
        slug: &str,
        query_id: i64,
        action: Action,
    ) -> Result<(crate::WorkspaceAccess, SavedQuery), AppError> {
        let access = self.workspace_access(actor, slug, action).await?;
        let query = listening::queries_of(&mut *self.store.conn().await?, access.workspace.id)
            .await?
            .into_iter()
            .find(|q| q.id == query_id)
            .ok_or(AppError::NotFound("query"))?;
        Ok((access, query))
    }

    /// What a query's mentions say over `period`: volume and sentiment per hour or day (in
    /// the workspace's time zone), top authors, terms and hashtags, and the share of voice of
    /// every query of the workspace.
    pub async fn listening_report(
        &self,
        actor: &Actor,
        slug: &str,
        query_id: i64,
        period: Period,
        now: i64,
    ) -> Result<ListeningReport, AppError> {
        let (access, query) = self.query_of(actor, slug, query_id, Action::ViewListening).await?;
        let tz: chrono_tz::Tz = access.workspace.timezone.parse().unwrap_or(chrono_tz::UTC);
        let from = now - period.length_ms();
        let mut db = self.store.conn().await?;
        let raw = listening::volume(&mut db, query_id, from, now + 1, QUARTER_MS).await?;
        let series = series(&raw, from, now, period, tz);
        let top: Vec<(String, i64, i64)> = listening::top_authors(&mut db, query_id, from, 10).await?;
        let names: Vec<String> = top.iter().map(|(a, _, _)| a.clone()).collect();
        let handles = tutti_store::identities::handles(&mut db, &names).await?;
        let top_authors = top
            .into_iter()
            .map(|(author, mentions, negative)| AuthorCount {
                handle: handles.get(&author).cloned(),
                author,
                mentions,
                negative,
            })
            .collect();
        let texts = listening::recent_texts(&mut db, query_id, from, 2000).await?;
        let (top_terms, top_hashtags) = top_terms_and_hashtags(&texts, 12);
        let voices = listening::share_of_voice(&mut db, access.workspace.id, from).await?;
        let all: i64 = voices.iter().map(|(_, n, _)| n).sum();
        let share_of_voice = voices
            .into_iter()
            .map(|(q, mentions, negative)| VoiceShare {
                query_id: q.id,
                name: q.name,
                kind: q.kind,
                mentions,
                negative,
                percent: if all > 0 { 100.0 * mentions as f64 / all as f64 } else { 0.0 },
            })
            .collect();
        let total = series.iter().map(VolumePoint::total).sum();
        let negative = series.iter().map(|p| p.neg).sum();
        Ok(ListeningReport {
            query,
            period,
            from,
            to: now,
            series,
            total,
            negative,
            top_authors,
            top_terms,
            top_hashtags,
            share_of_voice,
        })
    }

    /// Adds an alert rule to a query: `spike` (volume and negative share against what the
    /// query usually gets at that time of day) or `keyword` (words in the query language).
    /// `deliver` may add `webhook` and `email` to the in-app alert.
    pub async fn add_alert_rule(
        &self,
        actor: &Actor,
        slug: &str,
        query_id: i64,
        kind: &str,
        keyword: Option<&str>,
        deliver: &[String],
    ) -> Result<AlertRule, AppError> {
        let (access, query) = self.query_of(actor, slug, query_id, Action::ManageListening).await?;
        let Ok(kind) = kind.parse::<AlertKind>() else {
            return Err(
                InputError::new("kind", "alert_kind_unknown", "the kind must be spike or keyword").into()
            );
        };
        let keyword = match kind {
            AlertKind::Spike => None,
            AlertKind::Keyword => {
                let text = keyword.unwrap_or_default().trim();
                if text.is_empty() {
                    return Err(InputError::new(
                        "keyword",
                        "required",
                        "a keyword rule needs the words to watch",
                    )
                    .into());
                }
                let parsed = tutti_listen::Query::parse(text)
                    .map_err(|e| InputError::new("keyword", "query_invalid", e.to_string()))?;
                Some(parsed.as_str().to_owned())
            }
        };
        let mut channels = Vec::new();
        for d in deliver.iter().map(|d| d.trim()).filter(|d| !d.is_empty()) {
            if !["webhook", "email"].contains(&d) {
                return Err(InputError::new(
                    "deliver",
                    "alert_channel_unknown",
                    format!("{d:?} is not webhook or email"),
                )
                .into());
            }
            if !channels.iter().any(|c| c == d) {
                channels.push(d.to_owned());
            }
        }
        let mut tx = self.store.begin().await?;
        let now = tutti_store::now_ms();
        // A spike rule learns from the last two weeks of mentions before it may alert; a
        // keyword rule starts with the mentions that arrive from now on.
        let checked_until = match kind {
            AlertKind::Spike => (now - LEARN_FROM_MS).div_euclid(QUARTER_MS) * QUARTER_MS,
            AlertKind::Keyword => listening::last_mention_id(&mut tx, query.id).await?,
        };
        let rule = alerts::insert_rule(
            &mut tx,
            &NewAlertRule {
                query_id: query.id,
                kind,
                keyword: keyword.as_deref(),
                deliver: &channels,
                checked_until,
                created_by: actor.user_id(),
            },
        )
        .await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "listening.alert_rule.add",
            &query.name,
            None,
            Some(
                json!({"rule": rule.id, "kind": rule.kind, "keyword": rule.keyword, "deliver": rule.deliver}),
            ),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rule)
    }

    /// Removes an alert rule.
    pub async fn remove_alert_rule(
        &self,
        actor: &Actor,
        slug: &str,
        query_id: i64,
        rule_id: i64,
    ) -> Result<(), AppError> {
        let (access, query) = self.query_of(actor, slug, query_id, Action::ManageListening).await?;
        let mut tx = self.store.begin().await?;
        if !alerts::delete_rule(&mut tx, query.id, rule_id).await? {
            return Err(AppError::NotFound("alert rule"));
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "listening.alert_rule.remove",
            &query.name,
            Some(json!({"rule": rule_id})),
            None,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// The alert rules of a query.
    pub async fn alert_rules(
        &self,
        actor: &Actor,
        slug: &str,
        query_id: i64,
    ) -> Result<Vec<AlertRule>, AppError> {
        let (_, query) = self.query_of(actor, slug, query_id, Action::ViewListening).await?;
        Ok(alerts::rules_of(&mut *self.store.conn().await?, query.id).await?)
    }

    /// The latest alerts of a workspace, or of one of its queries.
    pub async fn alerts(
        &self,
        actor: &Actor,
        slug: &str,
        query_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Alert>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewListening).await?;
        Ok(alerts::alerts_of(&mut *self.store.conn().await?, access.workspace.id, query_id, limit).await?)
    }

    /// The workspace's listening settings.
    pub async fn listening_settings(&self, actor: &Actor, slug: &str) -> Result<ListeningSettings, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewListening).await?;
        Ok(alerts::settings(&mut *self.store.conn().await?, access.workspace.id).await?)
    }

    /// Changes how long mentions are kept and where alerts go. Returns the settings and, when
    /// a webhook was set for the first time or `new_secret` asked for it, the new signing
    /// secret, shown once.
    pub async fn update_listening_settings(
        &self,
        actor: &Actor,
        slug: &str,
        change: &SettingsChange,
    ) -> Result<(ListeningSettings, Option<String>), AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageAlerting).await?;
        let retention_days = change
            .retention_days
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=3650).contains(d))
            .ok_or_else(|| {
                InputError::new("retention_days", "retention_invalid", "give a number of days from 1 to 3650")
            })?;
        let webhook_url = Some(change.webhook_url.trim()).filter(|u| !u.is_empty()).map(str::to_owned);
        if let Some(u) = &webhook_url {
            let ok = (u.starts_with("https://") || u.starts_with("http://"))
                && u.len() <= 2000
                && !u.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err(InputError::new(
                    "webhook_url",
                    "url_invalid",
                    "give an http:// or https:// address of at most 2000 characters",
                )
                .into());
            }
            // The worker checks the address again each time it calls it (its name may point
            // elsewhere by then); this check gives the person a clear answer now.
            if let Err(why) = self.outbound().check_saved(u).await {
                return Err(InputError::new(
                    "webhook_url",
                    "url_refused",
                    format!(
                        "Tutti does not send alerts to this address ({}): give a public address",
                        tutti_domain::input::clip(&why.to_string(), 200)
                    ),
                )
                .into());
            }
        }
        let mut emails = Vec::new();
        for (i, raw) in
            change.alert_emails.split([',', '\n', ';']).map(str::trim).filter(|e| !e.is_empty()).enumerate()
        {
            // The message names the address at fault, so it is shown as written, untranslated.
            let email = Email::parse(raw, "alert_emails").map_err(|e| {
                InputError::new(
                    "alert_emails",
                    "alert_email_invalid",
                    format!("address {} ({:?}): {}", i + 1, crate_bound(raw), e.message),
                )
            })?;
            emails.push(email.as_str().to_owned());
        }
        if emails.len() > 20 {
            return Err(InputError::new("alert_emails", "too_many", "at most 20 addresses").into());
        }
        let mut tx = self.store.begin().await?;
        let before = alerts::settings(&mut tx, access.workspace.id).await?;
        let mut secret = None;
        let webhook_secret = match (&webhook_url, &before.webhook_secret) {
            (None, _) => None,
            (Some(_), Some(s)) if !change.new_secret => Some(s.clone()),
            (Some(_), _) => {
                let keys = self.keys("a webhook's signing secret")?;
                let s = crate::secrets::new_secret("whsec_");
                let (key_id, sealed) = keys.seal(&s);
                secret = Some(s);
                Some(alerts::StoredSecret::Sealed { key_id, sealed })
            }
        };
        let after = ListeningSettings { retention_days, webhook_url, webhook_secret, alert_emails: emails };
        alerts::save_settings(&mut tx, access.workspace.id, &after).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "listening.settings",
            &access.workspace.name,
            Some(serde_json::to_value(&before).unwrap_or_default()),
            Some(json!({"settings": after, "new_secret": secret.is_some()})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((after, secret))
    }

    /// Seals with `keys` the webhook secrets a database made before secrets were sealed still
    /// holds in clear, and empties their clear form; returns how many were sealed. Run at
    /// start-up; running it again finds nothing to do.
    pub async fn seal_clear_webhook_secrets(&self, keys: &Keyring) -> Result<usize, AppError> {
        let clear = alerts::clear_webhook_secrets(&mut *self.store.conn().await?).await?;
        if clear.is_empty() {
            return Ok(0);
        }
        let mut tx = self.store.begin().await?;
        let mut sealed_count = 0;
        for (workspace_id, plain) in &clear {
            let (key_id, sealed) = keys.seal(plain);
            if alerts::seal_webhook_secret(&mut tx, *workspace_id, &key_id, &sealed, Some(plain)).await? {
                sealed_count += 1;
            }
        }
        record(
            &mut tx,
            &Actor::Operator,
            None,
            "webhook.secret.seal",
            keys.current_id(),
            None,
            Some(json!({"workspaces": sealed_count})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(sealed_count)
    }
}

/// The webhook's signing secret in clear, from its stored form.
pub fn open_webhook_secret(
    keys: Option<&Keyring>,
    stored: &alerts::StoredSecret,
) -> Result<String, AppError> {
    match stored {
        alerts::StoredSecret::Clear(plain) => Ok(plain.clone()),
        alerts::StoredSecret::Sealed { key_id, sealed } => keys
            .ok_or_else(|| {
                AppError::Internal("the key ring is not loaded: cannot open the webhook secret".into())
            })?
            .open(key_id, sealed),
    }
}

fn crate_bound(s: &str) -> String {
    s.chars().take(60).collect()
}

/// A change of listening settings, as typed in the form.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    /// Days to keep mentions.
    pub retention_days: String,
    /// The webhook address, empty for none.
    pub webhook_url: String,
    /// Recipients, separated by commas or lines.
    pub alert_emails: String,
    /// Make a new signing secret.
    pub new_secret: bool,
}

/// Mentions are counted in quarters of an hour, the finest grain of charts and alerts.
pub const QUARTER_MS: i64 = 15 * 60_000;

/// How far back a new spike rule learns from.
const LEARN_FROM_MS: i64 = 14 * 86_400_000;

/// The period a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Period {
    /// The last 24 hours, by hour.
    Day,
    /// The last 7 days, by day.
    #[default]
    Week,
    /// The last 30 days, by day.
    Month,
}

impl Period {
    /// Every period, in display order.
    pub const ALL: [Period; 3] = [Period::Day, Period::Week, Period::Month];

    /// Its name in URLs: `24h`, `7d`, `30d`.
    pub fn code(self) -> &'static str {
        match self {
            Period::Day => "24h",
            Period::Week => "7d",
            Period::Month => "30d",
        }
    }

    /// The period named `code`, else the week.
    pub fn from_code(code: &str) -> Period {
        Period::ALL.into_iter().find(|p| p.code() == code).unwrap_or_default()
    }

    fn length_ms(self) -> i64 {
        match self {
            Period::Day => 86_400_000,
            Period::Week => 7 * 86_400_000,
            Period::Month => 30 * 86_400_000,
        }
    }
}

/// Mentions in one hour or day of a report, by sentiment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VolumePoint {
    /// Where the hour or day starts, ms.
    pub start: i64,
    /// Its label in the workspace's time zone: `14h`, `Mon 23`.
    pub label: String,
    /// Negative mentions.
    pub neg: i64,
    /// Neutral (or unscored) mentions.
    pub neu: i64,
    /// Positive mentions.
    pub pos: i64,
}

impl VolumePoint {
    /// All mentions of the point.
    pub fn total(&self) -> i64 {
        self.neg + self.neu + self.pos
    }
}

/// An author and how often they were mentioned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuthorCount {
    /// The author as the source names them.
    pub author: String,
    /// Their verified handle, for Bluesky authors whose DID was resolved.
    pub handle: Option<String>,
    /// Their mentions in the period.
    pub mentions: i64,
    /// Of which negative.
    pub negative: i64,
}

/// A query's part of all the workspace's mentions.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VoiceShare {
    /// The query.
    pub query_id: i64,
    /// Its name.
    pub name: String,
    /// `brand` or `competitor`.
    pub kind: QueryKind,
    /// Its mentions in the period.
    pub mentions: i64,
    /// Of which negative.
    pub negative: i64,
    /// Its share of all, in percent.
    pub percent: f64,
}

/// What a query's mentions say over a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ListeningReport {
    /// The query.
    pub query: SavedQuery,
    /// The period.
    pub period: Period,
    /// Its start, ms.
    pub from: i64,
    /// Its end, ms.
    pub to: i64,
    /// Volume and sentiment per hour (24 h) or day (7 and 30 days).
    pub series: Vec<VolumePoint>,
    /// Mentions in the period.
    pub total: i64,
    /// Of which negative.
    pub negative: i64,
    /// The ten most frequent authors.
    pub top_authors: Vec<AuthorCount>,
    /// The most frequent content words, folded.
    pub top_terms: Vec<(String, usize)>,
    /// The most frequent hashtags, as first written.
    pub top_hashtags: Vec<(String, usize)>,
    /// Every query of the workspace with its share of the mentions.
    pub share_of_voice: Vec<VoiceShare>,
}

/// Groups quarter-hour counts into the report's hours or days, in the workspace's time zone,
/// with empty hours and days present so that a chart shows gaps as zeros.
fn series(
    raw: &[(i64, Option<Sentiment>, i64)],
    from: i64,
    to: i64,
    period: Period,
    tz: chrono_tz::Tz,
) -> Vec<VolumePoint> {
    let key = |t: i64| -> (String, i64) {
        let local =
            tz.timestamp_millis_opt(t).single().unwrap_or_else(|| tz.timestamp_millis_opt(0).unwrap());
        match period {
            Period::Day => (local.format("%Y-%m-%d %H").to_string(), t),
            Period::Week | Period::Month => (local.format("%Y-%m-%d").to_string(), t),
        }
    };
    let mut points: Vec<VolumePoint> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut t = from.div_euclid(QUARTER_MS) * QUARTER_MS;
    while t <= to {
        let (k, start) = key(t);
        if let std::collections::hash_map::Entry::Vacant(slot) = index.entry(k) {
            let local = tz
                .timestamp_millis_opt(start)
                .single()
                .unwrap_or_else(|| tz.timestamp_millis_opt(0).unwrap());
            let label = match period {
                Period::Day => local.format("%H h").to_string(),
                Period::Week | Period::Month => local.format("%d/%m").to_string(),
            };
            slot.insert(points.len());
            points.push(VolumePoint { start, label, neg: 0, neu: 0, pos: 0 });
        }
        t += QUARTER_MS;
    }
    for (bucket, sentiment, n) in raw {
        let Some(&i) = index.get(&key(*bucket).0) else { continue };
        let p = &mut points[i];
        match sentiment {
            Some(Sentiment::Neg) => p.neg += n,
            Some(Sentiment::Pos) => p.pos += n,
            Some(Sentiment::Neu) | None => p.neu += n,
        }
    }
    points
}

/// The most frequent content words and hashtags of `texts`.
/// Words or hashtags with how often they occur, most frequent first.
type Counts = Vec<(String, usize)>;

fn top_terms_and_hashtags(texts: &[String], n: usize) -> (Counts, Counts) {
    // Terms count without case or accents and show in their most frequent written form.
    let mut terms: HashMap<String, (HashMap<String, usize>, usize)> = HashMap::new();
    // Hashtags count case-insensitively and show as first written.
    let mut tags: HashMap<String, (String, usize)> = HashMap::new();
    for text in texts {
        for (folded, written) in tutti_nlp::term_forms(text) {
            let entry = terms.entry(folded).or_default();
            *entry.0.entry(written).or_default() += 1;
            entry.1 += 1;
        }
        for h in tutti_nlp::entities(text).hashtags {
            tags.entry(h.to_lowercase()).or_insert_with(|| (h.clone(), 0)).1 += 1;
        }
    }
    let mut terms: Vec<(String, usize)> = terms
        .into_values()
        .filter(|(_, c)| *c >= 2)
        .map(|(forms, c)| {
            let shown =
                forms.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0))).map(|f| f.0);
            (shown.unwrap_or_default(), c)
        })
        .collect();
    terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    terms.truncate(n);
    let mut tags: Vec<(String, usize)> = tags.into_values().collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    tags.truncate(n);
    (terms, tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_has_seven_or_eight_local_days_with_counts_in_the_right_one() {
        let tz: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        // Sunday 2026-03-29 is the spring change in Paris; 22:30 UTC on the 28th is 23:30 local.
        let now = chrono::Utc.with_ymd_and_hms(2026, 4, 1, 12, 0, 0).unwrap().timestamp_millis();
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 28, 22, 30, 0).unwrap().timestamp_millis();
        let raw = vec![(at, Some(Sentiment::Neg), 3), (at, None, 2)];
        let s = series(&raw, now - Period::Week.length_ms(), now, Period::Week, tz);
        assert!(s.len() == 8, "{s:?}");
        let day = s.iter().find(|p| p.label == "28/03").unwrap();
        assert_eq!((day.neg, day.neu, day.pos), (3, 2, 0));
        assert_eq!(s.iter().map(VolumePoint::total).sum::<i64>(), 5);
    }

    #[test]
    fn a_day_is_counted_by_local_hour() {
        let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
        let now = chrono::Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap().timestamp_millis();
        let raw = vec![(now - 3_600_000, Some(Sentiment::Pos), 4)];
        let s = series(&raw, now - Period::Day.length_ms(), now, Period::Day, tz);
        assert_eq!(s.iter().find(|p| p.label == "07 h").map(|p| p.pos), Some(4));
    }

    #[test]
    fn top_terms_need_two_uses_and_hashtags_merge_case() {
        let texts: Vec<String> = ["Livraison en retard #Colis", "encore une livraison ratée #colis", "rien"]
            .map(String::from)
            .into();
        let (terms, tags) = top_terms_and_hashtags(&texts, 5);
        assert_eq!(terms, vec![("livraison".to_owned(), 2)]);
        assert_eq!(tags, vec![("Colis".to_owned(), 2)]);
    }
}
