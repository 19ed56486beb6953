//! The moderation part of the REST API: rules listed, written (every field checked before
//! anything is saved, the error naming it) and turned on or off; a dry run of a saved rule or
//! of conditions on the latest items; the moderation log with undo; actions asked from an
//! item; and the repeat offenders.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tutti_app::moderation::{Conditions, Offender, RuleAction, RuleToWrite, RuleView};
use tutti_app::store::moderation::{Candidate, LogEntry};
use tutti_app::AppError;
use tutti_domain::{Action, InputError};
use utoipa::ToSchema;

use super::common::{body, err, required, ErrorResponse};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

/// Registers the routes of this part of the API with the access each needs.
pub fn routes(t: RouteTable) -> RouteTable {
    let m = Access::Workspace(Action::ManageModeration);
    t.get("/api/v1/workspaces/{workspace}/moderation/rules", m, list_rules)
        .post("/api/v1/workspaces/{workspace}/moderation/rules", m, add_rule)
        .post("/api/v1/workspaces/{workspace}/moderation/rules/{id}/enabled", m, set_enabled)
        .post("/api/v1/workspaces/{workspace}/moderation/dry-run", m, dry_run)
        .get("/api/v1/workspaces/{workspace}/moderation/log", m, log)
        .post("/api/v1/workspaces/{workspace}/moderation/log/{id}/undo", m, undo)
        .post("/api/v1/workspaces/{workspace}/moderation/items/{id}", m, moderate_item)
        .get("/api/v1/workspaces/{workspace}/moderation/offenders", m, offenders)
}

/// What must hold for a rule to hit an item: every condition given (at least one).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct RuleConditions {
    /// Words or phrases, any of which (case and accents ignored; no commas).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    words: Vec<String>,
    /// A regular expression (case-insensitive, at most 500 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    regex: Option<String>,
    /// Toxicity at least this (0 to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    toxicity: Option<f64>,
    /// A swear word, however spelt (the enrichment's `toxicity.profane`); instead of a
    /// toxicity threshold.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    profane: bool,
    /// Authors, by handle or DID / account id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<String>,
    /// Languages (two- or three-letter codes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    langs: Vec<String>,
    /// Links to these domains (or their subdomains).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    domains: Vec<String>,
    /// Kinds of item: reply, mention, quote, dm (all when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    kinds: Vec<String>,
    /// The author's account was opened less than this many days before they wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    new_account_days: Option<u32>,
}

impl From<Conditions> for RuleConditions {
    fn from(c: Conditions) -> Self {
        RuleConditions {
            words: c.words,
            regex: c.regex,
            toxicity: c.toxicity,
            profane: c.profane,
            authors: c.authors,
            langs: c.langs,
            domains: c.domains,
            kinds: c.kinds.iter().map(ToString::to_string).collect(),
            new_account_days: c.new_account_days,
        }
    }
}

/// One action of a rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleActionBody {
    /// tag, assign, priority, hide, mute, block, report, reply.
    kind: String,
    /// Its argument: the tag, the member's e-mail, the priority (0–3), the report's reason
    /// (spam, abusive, other), the automatic reply's text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    value: String,
}

impl From<RuleAction> for RuleActionBody {
    fn from(a: RuleAction) -> Self {
        RuleActionBody { kind: a.kind.to_string(), value: a.value }
    }
}

/// A moderation rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleResponse {
    id: i64,
    name: String,
    /// Whether it runs on new items.
    enabled: bool,
    conditions: RuleConditions,
    actions: Vec<RuleActionBody>,
    /// How many items it hit.
    hits: i64,
    /// RFC 3339.
    created_at: String,
}

impl From<RuleView> for RuleResponse {
    fn from(v: RuleView) -> Self {
        RuleResponse {
            id: v.rule.id,
            name: v.rule.name,
            enabled: v.rule.enabled,
            conditions: v.conditions.into(),
            actions: v.actions.into_iter().map(RuleActionBody::from).collect(),
            hits: v.hits,
            created_at: crate::format::iso(v.rule.created_at),
        }
    }
}

/// A rule to write.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RuleRequest {
    /// Unique in the workspace, up to 80 characters.
    name: Option<String>,
    /// Whether it runs on new items (default true).
    enabled: Option<bool>,
    #[serde(default)]
    conditions: RuleConditions,
    /// At least one.
    #[serde(default)]
    actions: Vec<RuleActionBody>,
}

/// A list property joined for the app's parser; a comma or line break inside one entry would
/// split it, so it is refused at `field`.
fn joined(values: &[String], field: &'static str) -> Result<String, AppError> {
    if values.iter().any(|v| v.contains([',', '\n', '\r'])) {
        return Err(InputError::new(
            field,
            "list_entry_invalid",
            format!("an entry of \"{field}\" holds no comma or line break"),
        )
        .into());
    }
    Ok(values.join(","))
}

/// The conditions as the app reads them (in a rule with no name and no action).
fn conditions_to_write(c: &RuleConditions) -> Result<RuleToWrite, AppError> {
    let toxicity = match (c.profane, c.toxicity) {
        (true, Some(_)) => {
            return Err(InputError::new(
                "profane",
                "profane_and_toxicity",
                "a rule takes a toxicity threshold or profane, not both",
            )
            .into())
        }
        (true, None) => "profane".to_owned(),
        (false, t) => t.map(|t| t.to_string()).unwrap_or_default(),
    };
    Ok(RuleToWrite {
        words: joined(&c.words, "words")?,
        regex: c.regex.clone().unwrap_or_default(),
        toxicity,
        authors: joined(&c.authors, "authors")?,
        langs: joined(&c.langs, "langs")?,
        domains: joined(&c.domains, "domains")?,
        kinds: joined(&c.kinds, "kinds")?,
        new_account_days: c.new_account_days.map(|d| d.to_string()).unwrap_or_default(),
        ..Default::default()
    })
}

/// The whole rule as the app reads it.
fn rule_to_write(req: RuleRequest) -> Result<RuleToWrite, AppError> {
    let name = required(req.name, "name")?;
    let mut r = conditions_to_write(&req.conditions)?;
    let mut actions = Vec::new();
    for a in &req.actions {
        let kind = a.kind.trim().to_lowercase();
        if kind == "reply" {
            // The text goes apart: it may hold commas.
            r.reply = a.value.clone();
            actions.push(kind);
            continue;
        }
        if a.kind.contains([',', '\n', '\r']) || a.value.contains([',', '\n', '\r']) {
            let field = match kind.as_str() {
                "tag" => "tag",
                "assign" => "assign",
                "priority" => "priority",
                _ => "actions",
            };
            return Err(InputError::new(
                field,
                "action_invalid",
                "an action's kind and value hold no comma or line break",
            )
            .into());
        }
        let value = a.value.trim();
        actions.push(if value.is_empty() { kind } else { format!("{kind}:{value}") });
    }
    r.name = name;
    r.enabled = req.enabled.unwrap_or(true);
    r.actions = actions.join(",");
    Ok(r)
}

/// The rules of the workspace, with their conditions, actions and hit counts.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/moderation/rules", tag = "moderation",
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 200, body = [RuleResponse]), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn list_rules(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Result<Json<Vec<RuleResponse>>, WebError> {
    let rules = state.app.moderation_rules(&ctx.actor(), &slug).await.map_err(err(&ctx))?;
    Ok(Json(rules.into_iter().map(RuleResponse::from).collect()))
}

async fn rule_response(state: &AppState, ctx: &Ctx, slug: &str, id: i64) -> Result<RuleResponse, WebError> {
    let rules = state.app.moderation_rules(&ctx.actor(), slug).await.map_err(err(ctx))?;
    rules
        .into_iter()
        .find(|r| r.rule.id == id)
        .map(RuleResponse::from)
        .ok_or_else(|| err(ctx)(AppError::NotFound("rule")))
}

/// Saves a rule. Every field is checked first: nothing is saved when one is wrong, and the
/// error names it in `field` (`name`, `words`, `regex`, `toxicity`, `authors`, `langs`,
/// `domains`, `kinds`, `new_account_days`, `actions`, `tag`, `assign`, `priority`, `reply`).
/// Audited.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/moderation/rules", tag = "moderation", request_body = RuleRequest,
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 201, body = RuleResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 409, body = ErrorResponse, description = "Another rule has this name (`field: \"name\"`)"),
              (status = 422, body = ErrorResponse)))]
pub async fn add_rule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    payload: Result<Json<RuleRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = body(&ctx, payload)?;
    let r = rule_to_write(req).map_err(err(&ctx))?;
    let rule = state.app.add_moderation_rule(&ctx.actor(), &slug, &r).await.map_err(err(&ctx))?;
    Ok((StatusCode::CREATED, Json(rule_response(&state, &ctx, &slug, rule.id).await?)).into_response())
}

/// Turns a rule on or off.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EnabledRequest {
    enabled: Option<bool>,
}

/// Turns a rule on or off. Audited.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/moderation/rules/{id}/enabled", tag = "moderation", request_body = EnabledRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("id" = i64, Path, description = "The rule's id")),
    responses((status = 200, body = RuleResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn set_enabled(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    payload: Result<Json<EnabledRequest>, JsonRejection>,
) -> Result<Json<RuleResponse>, WebError> {
    let req = body(&ctx, payload)?;
    let enabled = req.enabled.ok_or_else(|| {
        err(&ctx)(InputError::new("enabled", "required", "the property \"enabled\" is required").into())
    })?;
    state.app.set_moderation_rule_enabled(&ctx.actor(), &slug, id, enabled).await.map_err(err(&ctx))?;
    Ok(Json(rule_response(&state, &ctx, &slug, id).await?))
}

/// A dry run: a saved rule, or conditions not saved.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DryRunRequest {
    /// A saved rule (then `conditions` is absent).
    rule_id: Option<i64>,
    /// Conditions to try.
    conditions: Option<RuleConditions>,
    /// How many of the latest items to read (default 500, at most 5000).
    last: Option<i64>,
}

/// An item a dry run hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct DryRunHit {
    /// The item.
    id: i64,
    conversation_id: i64,
    channel_id: i64,
    /// reply, mention, quote, dm.
    kind: String,
    person_id: Option<i64>,
    author_id: String,
    author_handle: String,
    text: String,
    lang: String,
    toxicity: f64,
    /// RFC 3339.
    at: String,
}

impl From<Candidate> for DryRunHit {
    fn from(c: Candidate) -> Self {
        DryRunHit {
            id: c.id,
            conversation_id: c.conversation_id,
            channel_id: c.channel_id,
            kind: c.kind.to_string(),
            person_id: c.person_id,
            author_id: c.author_id,
            author_handle: c.author_handle,
            text: c.text,
            lang: c.lang,
            toxicity: c.toxicity,
            at: crate::format::iso(c.created_at),
        }
    }
}

/// What a dry run would have hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct DryRunResponse {
    /// How many items it hit.
    count: usize,
    /// The items hit, latest first.
    hits: Vec<DryRunHit>,
}

/// Which of the latest items a saved rule (`rule_id`) or conditions would have hit; nothing
/// changes.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/moderation/dry-run", tag = "moderation", request_body = DryRunRequest,
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 200, body = DryRunResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn dry_run(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    payload: Result<Json<DryRunRequest>, JsonRejection>,
) -> Result<Json<DryRunResponse>, WebError> {
    let req = body(&ctx, payload)?;
    let actor = ctx.actor();
    let hits = match (req.rule_id, req.conditions) {
        (Some(id), None) => state.app.dry_run_rule(&actor, &slug, id, req.last).await,
        (None, Some(c)) => match conditions_to_write(&c) {
            Ok(r) => state.app.dry_run_conditions(&actor, &slug, &r, req.last).await,
            Err(e) => Err(e),
        },
        (Some(_), Some(_)) => Err(InputError::new(
            "conditions",
            "dry_run_ambiguous",
            "give either \"rule_id\" or \"conditions\", not both",
        )
        .into()),
        (None, None) => Err(InputError::new(
            "conditions",
            "required",
            "give \"rule_id\" (a saved rule) or \"conditions\"",
        )
        .into()),
    }
    .map_err(err(&ctx))?;
    Ok(Json(DryRunResponse { count: hits.len(), hits: hits.into_iter().map(DryRunHit::from).collect() }))
}

/// An action of the moderation log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogEntryResponse {
    id: i64,
    /// The item acted on.
    item_id: i64,
    conversation_id: i64,
    channel_id: i64,
    /// hide, mute, block, report, reply, assign, priority, or `tag:<tag>`.
    action: String,
    /// Its argument.
    detail: String,
    /// pending, done, failed, undoing, undone.
    status: String,
    /// The network's words when it failed.
    error: Option<String>,
    /// The rule that asked it (null: a person did).
    rule_id: Option<i64>,
    rule_name: String,
    author_handle: String,
    author_id: String,
    /// The item's text.
    text: String,
    /// RFC 3339.
    at: String,
    undone_at: Option<String>,
}

impl From<LogEntry> for LogEntryResponse {
    fn from(e: LogEntry) -> Self {
        LogEntryResponse {
            id: e.id,
            item_id: e.item_id,
            conversation_id: e.conversation_id,
            channel_id: e.channel_id,
            action: e.action,
            detail: e.detail,
            status: e.status.to_string(),
            error: e.error,
            rule_id: e.rule_id,
            rule_name: e.rule_name,
            author_handle: e.author_handle,
            author_id: e.author_id,
            text: e.text,
            at: crate::format::iso(e.created_at),
            undone_at: e.undone_at.map(crate::format::iso),
        }
    }
}

/// How many entries to read.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct LimitParams {
    /// 1–500, default 100 (offenders: default 20).
    limit: Option<String>,
}

fn limit(ctx: &Ctx, p: &LimitParams, default: i64) -> Result<i64, WebError> {
    match p.limit.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => Ok(default),
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=500).contains(&n) => Ok(n),
            _ => Err(err(ctx)(
                InputError::new("limit", "limit_invalid", "the limit is a number from 1 to 500").into(),
            )),
        },
    }
}

/// The moderation log, latest first.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/moderation/log", tag = "moderation",
    params(("workspace" = String, Path, description = "The workspace's slug"), LimitParams),
    responses((status = 200, body = [LogEntryResponse]), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn log(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<LimitParams>,
) -> Result<Json<Vec<LogEntryResponse>>, WebError> {
    let n = limit(&ctx, &p, 100)?;
    let entries = state.app.moderation_log(&ctx.actor(), &slug, n).await.map_err(err(&ctx))?;
    Ok(Json(entries.into_iter().map(LogEntryResponse::from).collect()))
}

/// Undoes an action of the log: a tag, an assignment or a priority at once; a hide, a mute or
/// a block on the network by the worker (`undoing`, then `undone`). A report or a reply cannot
/// be undone (409, `field: "action"`). Audited.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/moderation/log/{id}/undo", tag = "moderation",
    params(("workspace" = String, Path, description = "The workspace's slug"), ("id" = i64, Path, description = "The action's id")),
    responses((status = 200, body = LogEntryResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
              (status = 409, body = ErrorResponse)))]
pub async fn undo(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Json<LogEntryResponse>, WebError> {
    let e = state.app.undo_moderation(&ctx.actor(), &slug, id).await.map_err(err(&ctx))?;
    Ok(Json(e.into()))
}

/// An action to take on an item.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ModerateRequest {
    /// hide (a reply to the brand's post), mute, block or report.
    action: Option<String>,
}

/// The action asked, as the log holds it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModerateResponse {
    /// The action's id in the moderation log.
    action_id: i64,
}

/// Hides, mutes, blocks or reports from an item of the inbox; the worker runs it on the
/// network. Audited.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/moderation/items/{id}", tag = "moderation", request_body = ModerateRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("id" = i64, Path, description = "The item's id")),
    responses((status = 202, body = ModerateResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn moderate_item(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    payload: Result<Json<ModerateRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = body(&ctx, payload)?;
    let action = required(req.action, "action").map_err(err(&ctx))?;
    let action_id =
        state.app.moderate_item(&ctx.actor(), &slug, id, action.trim()).await.map_err(err(&ctx))?;
    Ok((StatusCode::ACCEPTED, Json(ModerateResponse { action_id })).into_response())
}

/// A repeat offender.
#[derive(Debug, Serialize, ToSchema)]
pub struct OffenderResponse {
    person_id: i64,
    name: String,
    /// Rule hits count 1 and toxic items ½, decayed with a 10-day scale, over 30 days.
    score: f64,
    /// Rule hits in 30 days.
    hits: usize,
    /// Toxic items in 30 days.
    toxic: usize,
}

impl From<Offender> for OffenderResponse {
    fn from(o: Offender) -> Self {
        OffenderResponse {
            person_id: o.person_id,
            name: o.name,
            score: o.score,
            hits: o.hits,
            toxic: o.toxic,
        }
    }
}

/// The people with the highest troll score, highest first.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/moderation/offenders", tag = "moderation",
    params(("workspace" = String, Path, description = "The workspace's slug"), LimitParams),
    responses((status = 200, body = [OffenderResponse]), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn offenders(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<LimitParams>,
) -> Result<Json<Vec<OffenderResponse>>, WebError> {
    let n = limit(&ctx, &p, 20)?;
    let list = state.app.repeat_offenders(&ctx.actor(), &slug, n as usize).await.map_err(err(&ctx))?;
    Ok(Json(list.into_iter().map(OffenderResponse::from).collect()))
}
