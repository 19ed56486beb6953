//! Listening: a workspace's saved queries, the form to add one, each query's report (volume,
//! sentiment, authors, terms, share of voice) with its live mentions and alert rules, the
//! workspace's alerts, the listening settings, and the crisis switch.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_app::listening::{ListeningReport, Period, SettingsChange, QUERY_KINDS};
use tutti_app::store::alerts::{Alert, AlertRule, ListeningSettings};
use tutti_app::store::listening::{Mention, MentionFilter, SavedQuery};
use tutti_domain::{Action, AlertKind, Sentiment};

use super::common::{form_error, form_status, layout, page_err, render, see_other, FieldError, Layout};
use crate::error::WebError;
use crate::format;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let view = Access::Workspace(Action::ViewListening);
    t.get("/w/{workspace}/listening", view, queries_page)
        .post("/w/{workspace}/listening", Access::Workspace(Action::ManageListening), add_query)
        .get("/w/{workspace}/listening/{query}", view, mentions_page)
        .get("/w/{workspace}/listening/{query}/live", view, live_mentions)
        .post("/w/{workspace}/listening/{query}/rules", Access::Workspace(Action::ManageListening), add_rule)
        .post(
            "/w/{workspace}/listening/{query}/rules/{rule}/delete",
            Access::Workspace(Action::ManageListening),
            remove_rule,
        )
        .get("/w/{workspace}/listening-settings", Access::Workspace(Action::ManageAlerting), settings_page)
        .post("/w/{workspace}/listening-settings", Access::Workspace(Action::ManageAlerting), save_settings)
        .post("/w/{workspace}/crisis", Access::Workspace(Action::ManageCrisis), switch_crisis)
}

#[derive(Template)]
#[template(path = "listening.html")]
struct QueriesPage {
    l: Layout,
    slug: String,
    queries: Vec<SavedQuery>,
    can_manage: bool,
    can_alerting: bool,
    alerts: Vec<AlertView>,
    sources: Vec<(tutti_app::store::listening::SourceState, &'static str)>,
    kinds: Vec<(&'static str, String)>,
    name: String,
    query: String,
    kind: String,
    error: FieldError,
    /// For a query error: the query and a caret under the column at fault.
    caret: Option<String>,
}

async fn view(
    state: &AppState,
    ctx: &Ctx,
    name: String,
    query: String,
    kind: String,
    error: FieldError,
    caret: Option<String>,
) -> Result<QueriesPage, WebError> {
    let t = ctx.tr();
    let slug = ctx.ws().workspace.slug.clone();
    let queries = state.app.list_queries(&ctx.actor(), &slug).await.map_err(|e| page_err(e, ctx))?;
    let alerts = state.app.alerts(&ctx.actor(), &slug, None, 5).await.map_err(|e| page_err(e, ctx))?;
    let alerts = alert_views(alerts, &queries, ctx);
    let sources = state.app.listening_sources(&ctx.actor(), &slug).await.map_err(|e| page_err(e, ctx))?;
    let sources = sources
        .into_iter()
        .filter(|s| s.kind != "replay")
        .map(|s| {
            let name = source_name(&s.kind);
            (s, name)
        })
        .collect();
    let l = layout(state, ctx, t.t("nav-listening"), "listening").await?;
    Ok(QueriesPage {
        l,
        slug,
        queries,
        can_manage: ctx.ws().allows(Action::ManageListening),
        can_alerting: ctx.ws().allows(Action::ManageAlerting),
        alerts,
        sources,
        kinds: QUERY_KINDS.iter().map(|k| (*k, t.t(&format!("listening-kind-{k}")))).collect(),
        name,
        query,
        kind,
        error,
        caret,
    })
}

async fn queries_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    let page =
        view(&state, &ctx, String::new(), String::new(), "brand".into(), FieldError::default(), None).await?;
    render(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
pub struct QueryForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    kind: String,
}

async fn add_query(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<QueryForm>,
) -> Result<Response, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    match state.app.add_query(&ctx.actor(), &slug, &form.name, &form.query, &form.kind).await {
        Ok(q) => Ok(see_other(&format!("/w/{slug}/listening/{}", q.id))),
        Err(tutti_app::AppError::Invalid(e)) if e.field == "query" => {
            // The parser's message ("col 17: NEAR needs a term on both sides") points at the
            // place; show it under a caret beneath that column of the query.
            let caret = e
                .message
                .split_once(':')
                .and_then(|(c, _)| c.trim().strip_prefix("col ")?.parse::<usize>().ok())
                .map(|col| format!("{}^", " ".repeat(col.saturating_sub(1).min(500))));
            let error = FieldError {
                field: "query".into(),
                message: format!("{} {}", ctx.tr().t("error-query_invalid"), e.message),
            };
            let page = view(&state, &ctx, form.name, form.query, form.kind, error, caret).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let page = view(&state, &ctx, form.name, form.query, form.kind, error, None).await?;
            render(form_status(&page.error), &page)
        }
    }
}

/// A mention as shown.
#[derive(Debug, Clone)]
pub struct MentionView {
    m: Mention,
    /// `@handle` for a Bluesky author whose handle is known, else the author as stored.
    author_label: Option<String>,
    when: String,
    iso: String,
    /// The exact time with its zone, for the hover.
    exact: String,
    sentiment_word: String,
    source_name: &'static str,
}

fn mention_view(m: Mention, ctx: &Ctx, handles: &std::collections::HashMap<String, String>) -> MentionView {
    let t = ctx.tr();
    let author_label =
        m.author.as_ref().map(|a| handles.get(a).map(|h| format!("@{h}")).unwrap_or_else(|| a.clone()));
    let at = m.published_at.unwrap_or_default();
    let tz = &ctx.ws().workspace.timezone;
    MentionView {
        when: if at > 0 { format::datetime(at, tz, ctx.locale) } else { String::new() },
        exact: if at > 0 {
            format!("{} ({tz})", format::datetime(at, tz, ctx.locale))
        } else {
            String::new()
        },
        iso: if at > 0 { format::iso(at) } else { String::new() },
        sentiment_word: t.t(&format!("sentiment-{}", m.sentiment.unwrap_or(Sentiment::Neu))),
        source_name: source_name(&m.source),
        author_label,
        m,
    }
}

/// The network a source kind reads, as people call it.
fn source_name(kind: &str) -> &'static str {
    match kind {
        "jetstream" | "firehose" => "Bluesky",
        "mastodon" => "Mastodon",
        _ => "RSS",
    }
}

/// A bar of the volume chart, laid out in the chart's 720 × 200 coordinates.
#[derive(Debug, Clone)]
pub struct Bar {
    x: f64,
    width: f64,
    /// (y, height) of the negative, neutral and positive parts, bottom to top.
    neg: (f64, f64),
    neu: (f64, f64),
    pos: (f64, f64),
    label: String,
    show_label: bool,
    /// The middle of the bar, where its label goes, and how the label hangs from it.
    center: f64,
    anchor: &'static str,
    title: String,
}

const CHART_W: f64 = 720.0;
const CHART_H: f64 = 170.0;

/// At most this many labels under the chart, so that they stay apart on a phone too.
const MAX_TICKS: usize = 7;

/// Writes the report's hours and days as the reader does (« 22 nov. », "Nov 22", « 14 h »,
/// "2 PM"), in the workspace's time zone.
fn relabel(report: &mut ListeningReport, tz: &str, locale: tutti_domain::Locale) {
    for p in report.series.iter_mut() {
        p.label = match report.period {
            Period::Day => format::hour(format::hour_of(p.start, tz), locale),
            Period::Week | Period::Month => format::day_month(p.start, tz, locale),
        };
    }
}

fn bars(report: &ListeningReport, t: &crate::i18n::Tr, tz: &str) -> (Vec<Bar>, i64) {
    let len = report.series.len();
    let n = len.max(1) as f64;
    let max = report.series.iter().map(|p| p.total()).max().unwrap_or(0).max(1);
    let slot = CHART_W / n;
    let every = len.div_ceil(MAX_TICKS).max(1);
    let scale = |v: i64| CHART_H * v as f64 / max as f64;
    let bars = report
        .series
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (hn, hu, hp) = (scale(p.neg), scale(p.neu), scale(p.pos));
            let when = match report.period {
                Period::Day => format!("{}, {}", format::day_month(p.start, tz, t.locale), p.label),
                Period::Week | Period::Month => p.label.clone(),
            };
            Bar {
                x: i as f64 * slot + slot * 0.15,
                width: slot * 0.7,
                neg: (CHART_H - hn, hn),
                neu: (CHART_H - hn - hu, hu),
                pos: (CHART_H - hn - hu - hp, hp),
                label: p.label.clone(),
                // Counted from the latest, so that the most recent day always has its label.
                show_label: (len - 1 - i).is_multiple_of(every),
                center: i as f64 * slot + slot / 2.0,
                anchor: if i + 1 == len {
                    "end"
                } else if i == 0 {
                    "start"
                } else {
                    "middle"
                },
                title: format!(
                    "{when} — {} {}, {} {}, {} {}",
                    p.neg,
                    t.t("sentiment-neg"),
                    p.neu,
                    t.t("sentiment-neu"),
                    p.pos,
                    t.t("sentiment-pos")
                ),
            }
        })
        .collect();
    (bars, max)
}

/// A rule as shown.
#[derive(Debug, Clone)]
pub struct RuleView {
    r: AlertRule,
    describe: String,
}

/// An alert as shown.
#[derive(Debug, Clone)]
pub struct AlertView {
    pub(super) a: Alert,
    pub(super) query_name: String,
    pub(super) headline: String,
    pub(super) when: String,
    pub(super) iso: String,
    /// "Acknowledged by …, when" once someone has (filled where acknowledgements are shown).
    pub(super) acknowledged: String,
    /// Whether the reader may acknowledge it here.
    pub(super) can_acknowledge: bool,
}

pub(super) fn alert_views(alerts: Vec<Alert>, queries: &[SavedQuery], ctx: &Ctx) -> Vec<AlertView> {
    let t = ctx.tr();
    let tz = &ctx.me().timezone;
    alerts
        .into_iter()
        .map(|a| {
            let query_name =
                queries.iter().find(|q| q.id == a.query_id).map(|q| q.name.clone()).unwrap_or_default();
            let headline = match a.kind.as_str() {
                "volume" => t.targs(
                    "alert-volume",
                    &[
                        ("n", &format::number(a.observed, 0, ctx.locale)),
                        ("expected", &format::number(a.expected, 1, ctx.locale)),
                    ],
                ),
                "negative_share" => t.targs(
                    "alert-negative",
                    &[
                        ("share", &format!("{:.0}", a.observed * 100.0)),
                        ("expected", &format!("{:.0}", a.expected * 100.0)),
                    ],
                ),
                _ => t.t1("alert-keyword", "n", &format!("{:.0}", a.observed)),
            };
            AlertView {
                acknowledged: String::new(),
                can_acknowledge: false,
                when: format::datetime(a.created_at, tz, ctx.locale),
                iso: format::iso(a.created_at),
                query_name,
                headline,
                a,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "mentions.html")]
struct MentionsPage {
    l: Layout,
    slug: String,
    query: SavedQuery,
    report: ListeningReport,
    bars: Vec<Bar>,
    max: i64,
    periods: Vec<(&'static str, String)>,
    mentions: Vec<MentionView>,
    last_id: i64,
    f: MentionFilters,
    filter_query: String,
    rules: Vec<RuleView>,
    alerts: Vec<AlertView>,
    can_manage: bool,
    error: FieldError,
    keyword: String,
}

impl MentionsPage {
    /// `part` of `whole` as a percentage in the reader's locale.
    fn percent(&self, part: impl std::borrow::Borrow<i64>, whole: impl std::borrow::Borrow<i64>) -> String {
        format::percent(*part.borrow() as f64 / (*whole.borrow()).max(1) as f64, 0, self.l.t.locale)
    }

    /// A share already in percent, in the reader's locale.
    fn share(&self, percent: impl std::borrow::Borrow<f64>) -> String {
        format::percent(*percent.borrow() / 100.0, 0, self.l.t.locale)
    }
}

#[derive(Template)]
#[template(path = "mention_items.html")]
struct MentionItems {
    slug: String,
    query_id: i64,
    mentions: Vec<MentionView>,
    last_id: i64,
    filter_query: String,
}

/// The filters of the mentions list, from the query string.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct MentionFilters {
    #[serde(default)]
    sentiment: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    after: i64,
}

impl MentionFilters {
    fn filter(&self, since: Option<i64>) -> MentionFilter {
        let keep = |v: &str, max: usize| {
            Some(v.trim().chars().take(max).collect::<String>()).filter(|v| !v.is_empty())
        };
        MentionFilter {
            sentiment: keep(&self.sentiment, 3).filter(|s| ["neg", "neu", "pos"].contains(&s.as_str())),
            lang: keep(&self.lang, 8).map(|l| l.to_lowercase()),
            source: keep(&self.source, 20),
            author: keep(&self.author, 300),
            since,
            after_id: (self.after > 0).then_some(self.after),
        }
    }

    /// The filters as a query string, for links that keep them.
    fn query_string(&self) -> String {
        let mut pairs = Vec::new();
        for (k, v) in [
            ("sentiment", &self.sentiment),
            ("lang", &self.lang),
            ("source", &self.source),
            ("author", &self.author),
            ("period", &self.period),
        ] {
            if !v.is_empty() {
                pairs.push(format!("{k}={}", urlencode(v)));
            }
        }
        pairs.join("&")
    }
}

fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn mentions_view(
    state: &AppState,
    ctx: &Ctx,
    query_id: i64,
    f: MentionFilters,
    error: FieldError,
    keyword: String,
) -> Result<MentionsPage, WebError> {
    let t = ctx.tr();
    let actor = ctx.actor();
    let slug = ctx.ws().workspace.slug.clone();
    let period = Period::from_code(&f.period);
    let now = tutti_app::store::now_ms();
    let report = state
        .app
        .listening_report(&actor, &slug, query_id, period, now)
        .await
        .map_err(|e| page_err(e, ctx))?;
    let (_, mentions) = state
        .app
        .mentions(
            &actor,
            &slug,
            query_id,
            &MentionFilters { after: 0, ..f.clone() }.filter(Some(report.from)),
            100,
        )
        .await
        .map_err(|e| page_err(e, ctx))?;
    let last_id = state.app.last_mention_id(&actor, &slug, query_id).await.map_err(|e| page_err(e, ctx))?;
    let rules = state.app.alert_rules(&actor, &slug, query_id).await.map_err(|e| page_err(e, ctx))?;
    let rules = rules
        .into_iter()
        .map(|r| {
            let mut describe = match r.kind {
                AlertKind::Spike => t.t("rule-spike"),
                AlertKind::Keyword => t.t1("rule-keyword", "words", r.keyword.as_deref().unwrap_or_default()),
            };
            for d in &r.deliver {
                describe.push_str(" · ");
                describe.push_str(&t.t(&format!("rule-deliver-{d}")));
            }
            RuleView { r, describe }
        })
        .collect();
    let alerts = state.app.alerts(&actor, &slug, Some(query_id), 5).await.map_err(|e| page_err(e, ctx))?;
    let alerts = alert_views(alerts, std::slice::from_ref(&report.query), ctx);
    let mut report = report;
    let ws_tz = ctx.ws().workspace.timezone.clone();
    relabel(&mut report, &ws_tz, ctx.locale);
    let (bars, max) = bars(&report, &t, &ws_tz);
    let l = layout(state, ctx, report.query.name.clone(), "listening").await?;
    Ok(MentionsPage {
        l,
        slug,
        query: report.query.clone(),
        periods: Period::ALL.iter().map(|p| (p.code(), t.t(&format!("period-{}", p.code())))).collect(),
        bars,
        max,
        report,
        mentions: {
            let handles = state.app.author_handles(&mentions).await.map_err(|e| page_err(e, ctx))?;
            mentions.into_iter().map(|m| mention_view(m, ctx, &handles)).collect()
        },
        last_id,
        filter_query: f.query_string(),
        f: MentionFilters { period: period.code().to_owned(), ..f },
        rules,
        alerts,
        can_manage: ctx.ws().allows(Action::ManageListening),
        error,
        keyword,
    })
}

async fn mentions_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((_, query_id)): Path<(String, i64)>,
    Query(f): Query<MentionFilters>,
) -> Result<Response, WebError> {
    let page = mentions_view(&state, &ctx, query_id, f, FieldError::default(), String::new()).await?;
    render(StatusCode::OK, &page)
}

/// The mentions stored since the page was drawn (`after`), for the live list: htmx asks
/// every few seconds and puts them on top.
async fn live_mentions(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, query_id)): Path<(String, i64)>,
    Query(f): Query<MentionFilters>,
) -> Result<Response, WebError> {
    let (_, mentions) = state
        .app
        .mentions(&ctx.actor(), &slug, query_id, &f.filter(None), 50)
        .await
        .map_err(|e| page_err(e, &ctx))?;
    let last_id = mentions.iter().map(|m| m.id).max().unwrap_or(f.after);
    let filter_query = MentionFilters { after: 0, ..f }.query_string();
    render(
        StatusCode::OK,
        &MentionItems {
            slug,
            query_id,
            mentions: {
                let handles = state.app.author_handles(&mentions).await.map_err(|e| page_err(e, &ctx))?;
                mentions.into_iter().map(|m| mention_view(m, &ctx, &handles)).collect()
            },
            last_id,
            filter_query,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    keyword: String,
    #[serde(default)]
    webhook: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

async fn add_rule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, query_id)): Path<(String, i64)>,
    Form(form): Form<RuleForm>,
) -> Result<Response, WebError> {
    let mut deliver = Vec::new();
    if form.webhook.is_some() {
        deliver.push("webhook".to_owned());
    }
    if form.email.is_some() {
        deliver.push("email".to_owned());
    }
    let keyword = Some(form.keyword.as_str()).filter(|k| !k.trim().is_empty());
    match state.app.add_alert_rule(&ctx.actor(), &slug, query_id, &form.kind, keyword, &deliver).await {
        Ok(_) => Ok(see_other(&format!("/w/{slug}/listening/{query_id}#rules-h"))),
        Err(e) => {
            // A keyword in the query language gets the parser's column, as queries do.
            let detail = match &e {
                tutti_app::AppError::Invalid(i) if i.code == "query_invalid" => Some(i.message.clone()),
                _ => None,
            };
            let mut error = form_error(e, &ctx)?;
            if let Some(d) = detail {
                error.message = format!("{} {d}", error.message);
            }
            let status = form_status(&error);
            let page =
                mentions_view(&state, &ctx, query_id, MentionFilters::default(), error, form.keyword).await?;
            render(status, &page)
        }
    }
}

async fn remove_rule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, query_id, rule_id)): Path<(String, i64, i64)>,
) -> Result<Response, WebError> {
    state
        .app
        .remove_alert_rule(&ctx.actor(), &slug, query_id, rule_id)
        .await
        .map_err(|e| page_err(e, &ctx))?;
    Ok(see_other(&format!("/w/{slug}/listening/{query_id}#rules-h")))
}

#[derive(Template)]
#[template(path = "listening_settings.html")]
struct SettingsPage {
    l: Layout,
    slug: String,
    settings: ListeningSettings,
    retention_days: String,
    webhook_url: String,
    alert_emails: String,
    new_secret: Option<String>,
    saved: bool,
    error: FieldError,
}

async fn settings_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    let settings = state.app.listening_settings(&ctx.actor(), &slug).await.map_err(|e| page_err(e, &ctx))?;
    let l = layout(&state, &ctx, ctx.tr().t("listening-settings"), "listening").await?;
    render(
        StatusCode::OK,
        &SettingsPage {
            l,
            slug,
            retention_days: settings.retention_days.to_string(),
            webhook_url: settings.webhook_url.clone().unwrap_or_default(),
            alert_emails: settings.alert_emails.join(", "),
            settings,
            new_secret: None,
            saved: false,
            error: FieldError::default(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    retention_days: String,
    #[serde(default)]
    webhook_url: String,
    #[serde(default)]
    alert_emails: String,
    #[serde(default)]
    new_secret: Option<String>,
}

async fn save_settings(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    let change = SettingsChange {
        retention_days: form.retention_days.clone(),
        webhook_url: form.webhook_url.clone(),
        alert_emails: form.alert_emails.clone(),
        new_secret: form.new_secret.is_some(),
    };
    let l = layout(&state, &ctx, ctx.tr().t("listening-settings"), "listening").await?;
    match state.app.update_listening_settings(&ctx.actor(), &slug, &change).await {
        Ok((settings, new_secret)) => render(
            StatusCode::OK,
            &SettingsPage {
                l,
                slug,
                retention_days: settings.retention_days.to_string(),
                webhook_url: settings.webhook_url.clone().unwrap_or_default(),
                alert_emails: settings.alert_emails.join(", "),
                settings,
                new_secret,
                saved: true,
                error: FieldError::default(),
            },
        ),
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let settings =
                state.app.listening_settings(&ctx.actor(), &slug).await.map_err(|e| page_err(e, &ctx))?;
            render(
                form_status(&error),
                &SettingsPage {
                    l,
                    slug,
                    settings,
                    retention_days: form.retention_days,
                    webhook_url: form.webhook_url,
                    alert_emails: form.alert_emails,
                    new_secret: None,
                    saved: false,
                    error,
                },
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CrisisForm {
    #[serde(default)]
    on: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    back: String,
}

async fn switch_crisis(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<CrisisForm>,
) -> Result<Response, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    let on = form.on == "1";
    state.app.set_crisis(&ctx.actor(), &slug, on, &form.reason).await.map_err(|e| page_err(e, &ctx))?;
    // Only a path inside this workspace is a place to go back to.
    let prefix = format!("/w/{slug}");
    let back = if form.back.starts_with(&prefix) && !form.back.contains("//") { form.back } else { prefix };
    Ok(see_other(&back))
}
