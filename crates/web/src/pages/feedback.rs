//! Product feedback (D7): the items of a period by category, confirm controls for community
//! managers, recurring issues with their trend, and the report for the product team in
//! Markdown and CSV.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_app::feedback::{trend, Report, CATEGORIES};
use tutti_domain::Action;

use super::common::{form_error, form_status, layout, page_err, render, see_other, FieldError, Layout};
use super::people::download;
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let view = Access::Workspace(Action::ViewFeedback);
    t.get("/w/{workspace}/feedback", view, feedback_page)
        .get("/w/{workspace}/feedback/report.md", view, report_md)
        .get("/w/{workspace}/feedback/report.csv", view, report_csv)
        .post(
            "/w/{workspace}/feedback/items/{item}/category",
            Access::Workspace(Action::ManageFeedback),
            set_category,
        )
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct FeedbackQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    confirmed: String,
}

impl FeedbackQuery {
    /// The period, by default the last 30 days in the workspace's time zone.
    fn with_defaults(mut self, ctx: &Ctx) -> FeedbackQuery {
        (self.from, self.to) =
            tutti_app::feedback::last_30_days(&ctx.ws().workspace.timezone, &self.from, &self.to);
        self
    }

    fn query_string(&self) -> String {
        serde_urlencoded::to_string([("from", &self.from), ("to", &self.to)]).unwrap_or_default()
    }
}

/// An item as shown.
pub struct ItemRow {
    id: i64,
    conversation_id: i64,
    who: String,
    text: String,
    when: String,
    sentiment: String,
    category: String,
    category_label: String,
    confirmed: bool,
}

#[derive(Template)]
#[template(path = "feedback.html")]
struct FeedbackPage {
    l: Layout,
    slug: String,
    q: FeedbackQuery,
    qs: String,
    categories: Vec<(&'static str, String)>,
    /// Category label, count, previous, trend label.
    counts: Vec<(String, i64, i64, String)>,
    /// Label, count, previous, trend label, conversations.
    issues: Vec<(String, usize, usize, String, Vec<i64>)>,
    items: Vec<ItemRow>,
    can_manage: bool,
    error: FieldError,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    q: FeedbackQuery,
    error: FieldError,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let slug = ctx.ws().workspace.slug.clone();
    let actor = ctx.actor();
    let q = q.with_defaults(ctx);
    let category = Some(q.category.trim()).filter(|c| !c.is_empty());
    let confirmed = match q.confirmed.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    };
    let (mut error, mut status) = (error, StatusCode::OK);
    let (report, items) = match state.app.feedback_report(&actor, &slug, &q.from, &q.to).await {
        Ok(r) => {
            let items =
                state.app.feedback(&actor, &slug, &q.from, &q.to, category, confirmed).await.or_else(
                    |e| {
                        form_error(e, ctx).map(|f| {
                            error = f;
                            Vec::new()
                        })
                    },
                )?;
            (Some(r), items)
        }
        Err(e) => {
            error = form_error(e, ctx)?;
            (None, Vec::new())
        }
    };
    if !error.message.is_empty() {
        status = form_status(&error);
    }
    let label = |c: &str| t.t(&format!("feedback-cat-{}", if c.is_empty() { "none" } else { c }));
    let tz = ctx.ws().workspace.timezone.clone();
    let view = FeedbackPage {
        l: layout(state, ctx, t.t("feedback-title"), "feedback").await?,
        slug,
        qs: q.query_string(),
        categories: CATEGORIES.iter().map(|c| (*c, label(c))).collect(),
        counts: report
            .as_ref()
            .map(|r| {
                r.counts
                    .iter()
                    .map(|c| {
                        (
                            label(&c.category),
                            c.count,
                            c.previous,
                            t.t(&format!("feedback-trend-{}", trend(c.count, c.previous))),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        issues: report
            .as_ref()
            .map(|r: &Report| {
                r.issues
                    .iter()
                    .map(|i| {
                        (
                            i.label.clone(),
                            i.count,
                            i.previous,
                            t.t(&format!("feedback-trend-{}", trend(i.count as i64, i.previous as i64))),
                            i.conversations.iter().take(10).copied().collect(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        items: items
            .into_iter()
            .map(|i| ItemRow {
                id: i.id,
                conversation_id: i.conversation_id,
                who: if i.author_name.is_empty() { i.author_handle.clone() } else { i.author_name.clone() },
                text: i.text.chars().take(400).collect(),
                when: crate::format::datetime(i.created_at, &tz, ctx.locale),
                sentiment: i.sentiment.to_string(),
                category_label: label(&i.category),
                category: i.category,
                confirmed: i.confirmed,
            })
            .collect(),
        can_manage: ctx.ws().allows(Action::ManageFeedback),
        error,
        q,
    };
    render(status, &view)
}

async fn feedback_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<FeedbackQuery>,
) -> Result<Response, WebError> {
    page(&state, &ctx, q, FieldError::default()).await
}

async fn report(state: &AppState, ctx: &Ctx, q: FeedbackQuery) -> Result<Report, WebError> {
    let q = q.with_defaults(ctx);
    state
        .app
        .feedback_report(&ctx.actor(), &ctx.ws().workspace.slug, &q.from, &q.to)
        .await
        .map_err(|e| page_err(e, ctx))
}

async fn report_md(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<FeedbackQuery>,
) -> Result<Response, WebError> {
    let r = report(&state, &ctx, q).await?;
    let name = format!("feedback-{}-{}.md", r.from, r.to);
    Ok(download(r.markdown(state.public_url()), "text/markdown; charset=utf-8", &name))
}

async fn report_csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<FeedbackQuery>,
) -> Result<Response, WebError> {
    let r = report(&state, &ctx, q).await?;
    let name = format!("feedback-{}-{}.csv", r.from, r.to);
    Ok(download(r.csv(state.public_url()), "text/csv; charset=utf-8", &name))
}

#[derive(Debug, Deserialize, Default)]
pub struct CategoryForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

async fn set_category(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, item)): Path<(String, i64)>,
    Form(f): Form<CategoryForm>,
) -> Result<Response, WebError> {
    let q = FeedbackQuery { from: f.from.clone(), to: f.to.clone(), ..Default::default() };
    match state.app.set_feedback_category(&ctx.actor(), &slug, item, &f.category).await {
        Ok(()) => {
            let q = q.with_defaults(&ctx);
            Ok(see_other(&format!("/w/{slug}/feedback?{}#item-{item}", q.query_string())))
        }
        Err(e) => {
            let error = form_error(e, &ctx)?;
            page(&state, &ctx, q, error).await
        }
    }
}
