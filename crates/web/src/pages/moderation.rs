//! Moderation (D5): the workspace's rules (a form with errors beside their field), a dry run
//! of a rule on the latest items, the log of actions with undo, and the repeat offenders.
//! Texts and names from the networks are rendered escaped, never trusted.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_app::moderation::{Offender, RuleToWrite, RuleView};
use tutti_app::store::moderation::{Candidate, LogEntry};
use tutti_domain::{Action, ActionStatus, RuleActionKind};

use super::common::{form_error, form_status, layout, page_err, render, see_other, FieldError, Layout};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let m = Access::Workspace(Action::ManageModeration);
    t.get("/w/{workspace}/moderation", m, page)
        .post("/w/{workspace}/moderation/rules", m, add_rule)
        .post("/w/{workspace}/moderation/rules/{rule}/enabled", m, set_enabled)
        .post("/w/{workspace}/moderation/rules/{rule}/dry-run", m, dry_run_rule)
        .post("/w/{workspace}/moderation/actions/{id}/undo", m, undo)
        .post("/w/{workspace}/moderation/items/{id}", m, moderate_item)
}

/// The rule form, as posted (and shown again after an error).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    words: String,
    #[serde(default)]
    regex: String,
    #[serde(default)]
    toxicity: String,
    #[serde(default)]
    authors: String,
    #[serde(default)]
    langs: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    kinds: String,
    /// The kinds picked one by one (`kind_reply=1`…), added to `kinds`.
    #[serde(default)]
    kind_reply: String,
    #[serde(default)]
    kind_mention: String,
    #[serde(default)]
    kind_quote: String,
    #[serde(default)]
    kind_dm: String,
    /// Whether the toxicity slider counts, and its value in percent (the slider's value).
    #[serde(default)]
    toxicity_on: String,
    #[serde(default)]
    toxicity_pct: String,
    #[serde(default)]
    new_account_days: String,
    #[serde(default)]
    hide: String,
    #[serde(default)]
    mute: String,
    #[serde(default)]
    block: String,
    #[serde(default)]
    report: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    assign: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    reply: String,
    /// `save` or `dry`.
    #[serde(default)]
    op: String,
    #[serde(default)]
    last: String,
}

impl RuleForm {
    fn rule(&self) -> RuleToWrite {
        let mut actions: Vec<String> = Vec::new();
        for (on, a) in [(&self.hide, "hide"), (&self.mute, "mute"), (&self.block, "block")] {
            if !on.is_empty() {
                actions.push(a.into());
            }
        }
        if !self.report.is_empty() {
            actions.push(format!("report:{}", self.report));
        }
        if !self.tag.trim().is_empty() {
            actions.push(format!("tag:{}", self.tag.trim()));
        }
        if !self.assign.trim().is_empty() {
            actions.push(format!("assign:{}", self.assign.trim()));
        }
        if !self.priority.trim().is_empty() {
            actions.push(format!("priority:{}", self.priority.trim()));
        }
        RuleToWrite {
            name: self.name.clone(),
            enabled: true,
            words: self.words.clone(),
            regex: self.regex.clone(),
            toxicity: self.toxicity_value(),
            authors: self.authors.clone(),
            langs: self.langs.clone(),
            domains: self.domains.clone(),
            kinds: self.kinds_value(),
            new_account_days: self.new_account_days.clone(),
            actions: actions.join(","),
            reply: self.reply.clone(),
        }
    }
}

impl RuleForm {
    /// The kinds picked, with those written in `kinds` (the API's form).
    fn kinds_value(&self) -> String {
        let mut kinds: Vec<&str> = vec![self.kinds.trim()];
        for (on, k) in [
            (&self.kind_reply, "reply"),
            (&self.kind_mention, "mention"),
            (&self.kind_quote, "quote"),
            (&self.kind_dm, "dm"),
        ] {
            if !on.is_empty() {
                kinds.push(k);
            }
        }
        kinds.retain(|k| !k.is_empty());
        kinds.join(",")
    }

    /// The threshold from 0 to 1: as written in `toxicity` (the API's form), or the slider's
    /// percentage when its box is ticked. The use case checks it and names the field.
    fn toxicity_value(&self) -> String {
        if !self.toxicity.trim().is_empty() {
            return self.toxicity.clone();
        }
        if self.toxicity_on.is_empty() {
            return String::new();
        }
        match self.toxicity_pct.trim().parse::<f64>() {
            Ok(p) => format!("{}", (p / 100.0 * 1000.0).round() / 1000.0),
            Err(_) => self.toxicity_pct.clone(),
        }
    }

    /// Whether the kind `k` is picked.
    fn has_kind(&self, k: &str) -> bool {
        self.kinds_value().split([',', ' ']).any(|x| x.trim().eq_ignore_ascii_case(k))
    }

    /// The slider's value in percent (60 when nothing was chosen yet).
    fn toxicity_percent(&self) -> String {
        let from_text = self.toxicity.trim().replace(',', ".").parse::<f64>().ok().map(|v| v * 100.0);
        let v = from_text.or_else(|| self.toxicity_pct.trim().parse::<f64>().ok()).unwrap_or(60.0);
        format!("{:.0}", v.clamp(0.0, 100.0))
    }

    /// Whether the toxicity condition is on.
    fn toxicity_checked(&self) -> bool {
        !self.toxicity_on.is_empty() || !self.toxicity.trim().is_empty()
    }
}

pub struct RuleRow {
    id: i64,
    name: String,
    enabled: bool,
    when: String,
    then: String,
    hits: i64,
}

pub struct DryRow {
    conversation_id: i64,
    who: String,
    text: String,
    when: String,
    toxicity: String,
}

pub struct LogRow {
    id: i64,
    conversation_id: i64,
    when: String,
    action: String,
    detail: String,
    status: String,
    status_label: String,
    rule: String,
    who: String,
    text: String,
    error: String,
    can_undo: bool,
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct ModerationPage {
    l: Layout,
    slug: String,
    rules: Vec<RuleRow>,
    f: RuleForm,
    error: FieldError,
    notice: String,
    dry: Option<(String, Vec<DryRow>)>,
    log: Vec<LogRow>,
    offenders: Vec<Offender>,
    /// The workspace's members, to assign to: (e-mail, name).
    members: Vec<(String, String)>,
}

impl ModerationPage {
    /// The condition fields: name, label key, value.
    fn condition_fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let f = &self.f;
        vec![
            ("name", "moderation-f-name", f.name.clone()),
            ("words", "moderation-f-words", f.words.clone()),
            ("regex", "moderation-f-regex", f.regex.clone()),
            ("authors", "moderation-f-authors", f.authors.clone()),
            ("langs", "moderation-f-langs", f.langs.clone()),
            ("domains", "moderation-f-domains", f.domains.clone()),
            ("new_account_days", "moderation-f-new-account", f.new_account_days.clone()),
        ]
    }

    /// The local action fields: name, label key, value.
    fn action_fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let f = &self.f;
        vec![("tag", "moderation-f-tag", f.tag.clone())]
    }

    /// A troll score as the reader writes numbers.
    fn score(&self, v: impl std::borrow::Borrow<f64>) -> String {
        crate::format::number(*v.borrow(), 1, self.l.t.locale)
    }

    /// The kinds a rule can look at, with their label and whether picked.
    fn kinds(&self) -> Vec<(&'static str, String, bool)> {
        let t = self.l.t;
        tutti_app::moderation::RULE_KINDS
            .iter()
            .map(|k| (k.as_str(), t.t(&format!("inbox-kind-{k}")), self.f.has_kind(k.as_str())))
            .collect()
    }

    /// The priorities, with their label and whether chosen.
    fn priorities(&self) -> Vec<(String, String, bool)> {
        let t = self.l.t;
        (0..=3)
            .map(|p| {
                (p.to_string(), t.t(&format!("inbox-priority-{p}")), self.f.priority.trim() == p.to_string())
            })
            .collect()
    }

    /// The report reasons, with whether chosen.
    fn reasons(&self) -> Vec<(&'static str, bool)> {
        ["abusive", "spam", "other"].into_iter().map(|r| (r, self.f.report == r)).collect()
    }
}

fn rule_row(ctx: &Ctx, r: &RuleView, members: &[(String, String)]) -> RuleRow {
    let t = ctx.tr();
    let c = &r.conditions;
    let mut when: Vec<String> = Vec::new();
    let mut part = |key: &str, v: String| when.push(format!("{} {v}", t.t(key)));
    if !c.words.is_empty() {
        part("moderation-when-words", c.words.join(", "));
    }
    if let Some(re) = &c.regex {
        part("moderation-when-regex", re.clone());
    }
    if let Some(x) = c.toxicity {
        part("moderation-when-toxicity", crate::format::percent(x, 0, ctx.locale));
    }
    if !c.authors.is_empty() {
        part("moderation-when-authors", c.authors.join(", "));
    }
    if !c.langs.is_empty() {
        part("moderation-when-langs", c.langs.join(", "));
    }
    if !c.domains.is_empty() {
        part("moderation-when-domains", c.domains.join(", "));
    }
    if !c.kinds.is_empty() {
        let kinds: Vec<String> = c.kinds.iter().map(|k| t.t(&format!("inbox-kind-{k}"))).collect();
        part("moderation-when-kinds", kinds.join(", "));
    }
    if let Some(days) = c.new_account_days {
        when.push(t.t1("moderation-when-new-account", "days", &days.to_string()));
    }
    let then = r
        .actions
        .iter()
        .map(|a| {
            let label = t.t(&format!("moderation-action-{}", a.kind));
            let value = match a.kind {
                RuleActionKind::Assign => members
                    .iter()
                    .find(|(email, _)| email.eq_ignore_ascii_case(&a.value))
                    .map(|(_, name)| name.clone())
                    .unwrap_or_else(|| a.value.clone()),
                RuleActionKind::Priority => t.t(&format!("inbox-priority-{}", a.value)),
                RuleActionKind::Report => t.t(&format!("moderation-reason-{}", a.value)),
                _ => a.value.clone(),
            };
            if value.is_empty() {
                label
            } else {
                format!(
                    "{label} {}",
                    super::audit_values::quoted(&value.chars().take(60).collect::<String>(), &t)
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" · ");
    RuleRow {
        id: r.rule.id,
        name: r.rule.name.clone(),
        enabled: r.rule.enabled,
        when: when.join(" · "),
        then,
        hits: r.hits,
    }
}

fn when(ctx: &Ctx, ms: i64) -> String {
    crate::format::datetime(ms, &ctx.ws().workspace.timezone, ctx.locale)
}

fn dry_rows(ctx: &Ctx, items: &[Candidate]) -> Vec<DryRow> {
    items
        .iter()
        .map(|i| DryRow {
            conversation_id: i.conversation_id,
            who: i.author_handle.clone(),
            text: i.text.chars().take(200).collect(),
            when: when(ctx, i.created_at),
            toxicity: crate::format::percent(i.toxicity, 0, ctx.locale),
        })
        .collect()
}

fn log_row(ctx: &Ctx, e: &LogEntry) -> LogRow {
    let t = ctx.tr();
    let kind = e.action.split(':').next().unwrap_or_default();
    let undoable = matches!(kind, "tag" | "assign" | "priority" | "hide" | "mute" | "block");
    LogRow {
        id: e.id,
        conversation_id: e.conversation_id,
        when: when(ctx, e.created_at),
        action: t.t(&format!("moderation-action-{kind}")),
        detail: e.detail.chars().take(80).collect(),
        status: e.status.to_string(),
        status_label: t.t(&format!("moderation-status-{}", e.status)),
        rule: e.rule_name.clone(),
        who: e.author_handle.clone(),
        text: e.text.chars().take(140).collect(),
        error: e.error.clone().unwrap_or_default().chars().take(200).collect(),
        can_undo: undoable && e.status == ActionStatus::Done,
    }
}

async fn show(
    state: &AppState,
    ctx: &Ctx,
    f: RuleForm,
    error: FieldError,
    notice: String,
    dry: Option<(String, Vec<DryRow>)>,
) -> Result<Response, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    let actor = ctx.actor();
    let rules = state.app.moderation_rules(&actor, &slug).await.map_err(|e| page_err(e, ctx))?;
    let log = state.app.moderation_log(&actor, &slug, 100).await.map_err(|e| page_err(e, ctx))?;
    let offenders = state.app.repeat_offenders(&actor, &slug, 10).await.map_err(|e| page_err(e, ctx))?;
    let members: Vec<(String, String)> = state
        .app
        .list_members(&actor, &slug)
        .await
        .map_err(|e| page_err(e, ctx))?
        .into_iter()
        .filter(|m| m.active)
        .map(|m| (m.email, m.name))
        .collect();
    let status = form_status(&error);
    let status = if error.message.is_empty() { axum::http::StatusCode::OK } else { status };
    let page = ModerationPage {
        l: layout(state, ctx, ctx.tr().t("moderation-title"), "moderation").await?,
        slug,
        rules: rules.iter().map(|r| rule_row(ctx, r, &members)).collect(),
        f,
        error,
        notice,
        dry,
        log: log.iter().map(|e| log_row(ctx, e)).collect(),
        offenders,
        members,
    };
    render(status, &page)
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    notice: String,
}

async fn page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let notice = match q.notice.as_str() {
        "saved" | "undone" | "asked" | "changed" => ctx.tr().t(&format!("moderation-notice-{}", q.notice)),
        _ => String::new(),
    };
    show(
        &state,
        &ctx,
        RuleForm { priority: String::new(), ..Default::default() },
        FieldError::default(),
        notice,
        None,
    )
    .await
}

async fn add_rule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Form(f): Form<RuleForm>,
) -> Result<Response, WebError> {
    let actor = ctx.actor();
    if f.op == "dry" {
        let last = f.last.trim().parse().ok();
        return match state.app.dry_run_conditions(&actor, &slug, &f.rule(), last).await {
            Ok(items) => {
                let title = ctx.tr().t1("moderation-dry-title", "n", &items.len().to_string());
                let rows = dry_rows(&ctx, &items);
                show(&state, &ctx, f, FieldError::default(), String::new(), Some((title, rows))).await
            }
            Err(e) => {
                let error = form_error(e, &ctx)?;
                show(&state, &ctx, f, error, String::new(), None).await
            }
        };
    }
    match state.app.add_moderation_rule(&actor, &slug, &f.rule()).await {
        Ok(_) => Ok(see_other(&format!("/w/{slug}/moderation?notice=saved"))),
        Err(e) => {
            let error = form_error(e, &ctx)?;
            show(&state, &ctx, f, error, String::new(), None).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct EnabledForm {
    #[serde(default)]
    enabled: String,
}

async fn set_enabled(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<EnabledForm>,
) -> Result<Response, WebError> {
    state
        .app
        .set_moderation_rule_enabled(&ctx.actor(), &slug, id, f.enabled == "1")
        .await
        .map_err(|e| page_err(e, &ctx))?;
    Ok(see_other(&format!("/w/{slug}/moderation?notice=changed")))
}

#[derive(Debug, Deserialize)]
pub struct LastForm {
    #[serde(default)]
    last: String,
}

async fn dry_run_rule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<LastForm>,
) -> Result<Response, WebError> {
    let items = state
        .app
        .dry_run_rule(&ctx.actor(), &slug, id, f.last.trim().parse().ok())
        .await
        .map_err(|e| page_err(e, &ctx))?;
    let title = ctx.tr().t1("moderation-dry-title", "n", &items.len().to_string());
    let rows = dry_rows(&ctx, &items);
    show(&state, &ctx, RuleForm::default(), FieldError::default(), String::new(), Some((title, rows))).await
}

async fn undo(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    match state.app.undo_moderation(&ctx.actor(), &slug, id).await {
        Ok(_) => Ok(see_other(&format!("/w/{slug}/moderation?notice=undone"))),
        Err(e) => {
            let error = form_error(e, &ctx)?;
            show(
                &state,
                &ctx,
                RuleForm::default(),
                FieldError { field: String::new(), ..error },
                String::new(),
                None,
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    action: String,
    /// `inbox` to come back to the conversation instead of the moderation page.
    #[serde(default)]
    back: String,
}

async fn moderate_item(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<ItemForm>,
) -> Result<Response, WebError> {
    state.app.moderate_item(&ctx.actor(), &slug, id, &f.action).await.map_err(|e| page_err(e, &ctx))?;
    if f.back == "inbox" {
        let conversation =
            state.app.item_conversation(&ctx.actor(), &slug, id).await.map_err(|e| page_err(e, &ctx))?;
        return Ok(see_other(&format!("/w/{slug}/inbox/{conversation}")));
    }
    Ok(see_other(&format!("/w/{slug}/moderation?notice=asked")))
}
