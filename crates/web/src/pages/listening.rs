//! Listening: a workspace's saved queries, the form to add one, and each query's mentions.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_app::listening::QUERY_KINDS;
use tutti_app::store::listening::{Mention, SavedQuery};
use tutti_domain::Action;

use super::{form_error, form_status, layout, page_err, render, see_other, FieldError, Layout};
use crate::error::WebError;
use crate::format;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let view = Access::Workspace(Action::ViewListening);
    t.get("/w/{workspace}/listening", view, queries_page)
        .post("/w/{workspace}/listening", Access::Workspace(Action::ManageListening), add_query)
        .get("/w/{workspace}/listening/{query}", view, mentions_page)
}

#[derive(Template)]
#[template(path = "listening.html")]
struct QueriesPage {
    l: Layout,
    slug: String,
    queries: Vec<SavedQuery>,
    can_manage: bool,
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
    let l = layout(state, ctx, t.t("nav-listening"), "listening").await?;
    Ok(QueriesPage {
        l,
        slug,
        queries,
        can_manage: ctx.ws().allows(Action::ManageListening),
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
    when: String,
    iso: String,
    sentiment_word: String,
}

#[derive(Template)]
#[template(path = "mentions.html")]
struct MentionsPage {
    l: Layout,
    slug: String,
    query: SavedQuery,
    mentions: Vec<MentionView>,
    counts: (usize, usize, usize),
    sentiment: String,
    lang: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct MentionFilters {
    #[serde(default)]
    sentiment: String,
    #[serde(default)]
    lang: String,
}

async fn mentions_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, query_id)): Path<(String, i64)>,
    Query(f): Query<MentionFilters>,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let actor = ctx.actor();
    let (query, all) =
        state.app.mentions(&actor, &slug, query_id, 200).await.map_err(|e| page_err(e, &ctx))?;
    let count = |label: &str| all.iter().filter(|m| m.sentiment.as_deref() == Some(label)).count();
    let counts = (count("neg"), count("neu"), count("pos"));
    let tz = ctx.me().timezone.clone();
    let mentions = all
        .into_iter()
        .filter(|m| f.sentiment.is_empty() || m.sentiment.as_deref() == Some(f.sentiment.as_str()))
        .filter(|m| f.lang.is_empty() || m.lang.as_deref() == Some(f.lang.as_str()))
        .map(|m| {
            let at = m.published_at.unwrap_or_default();
            MentionView {
                when: if at > 0 { format::datetime(at, &tz, ctx.locale) } else { String::new() },
                iso: if at > 0 { format::iso(at) } else { String::new() },
                sentiment_word: t.t(&format!("sentiment-{}", m.sentiment.as_deref().unwrap_or("neu"))),
                m,
            }
        })
        .collect();
    let l = layout(&state, &ctx, query.name.clone(), "listening").await?;
    render(
        StatusCode::OK,
        &MentionsPage { l, slug, query, mentions, counts, sentiment: f.sentiment, lang: f.lang },
    )
}
