//! The community (D6): the people list with search, filters, saved segments and sorting by
//! score; a person's profile (identities, scores with sentiment over time, history, tags,
//! notes, custom fields, merge and split); a segment's CSV export.
//!
//! Names, handles, notes and posts come from outside: rendered escaped, with `dir="auto"` and
//! `<bdi>` so that right-to-left or mixed text stays readable and inert.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_app::people::Profile;
use tutti_app::store::people::{PeopleFilter, Person, Segment, Sort};
use tutti_app::AppError;
use tutti_domain::{Action, Network};

use super::common::{form_error, form_status, layout, page_err, render, see_other, FieldError, Layout};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let view = Access::Workspace(Action::ViewCommunity);
    let manage = Access::Workspace(Action::ManageCommunity);
    t.get("/w/{workspace}/community", view, community_page)
        .post("/w/{workspace}/community/segments", manage, save_segment)
        .post("/w/{workspace}/community/segments/{segment}/delete", manage, delete_segment)
        .get("/w/{workspace}/community/segments/{segment}/export", view, export_segment)
        .get("/w/{workspace}/people/{person}", view, person_page)
        .post("/w/{workspace}/people/{person}/tags", manage, set_tags)
        .post("/w/{workspace}/people/{person}/notes", manage, add_note)
        .post("/w/{workspace}/people/{person}/fields", manage, set_field)
        .post("/w/{workspace}/people/{person}/merge", manage, merge)
        .post("/w/{workspace}/people/{person}/split", manage, split)
}

/// The list's filters, as the query string (and the segment form) carries them.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct PeopleQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    network: String,
    #[serde(default)]
    min_interactions: String,
    #[serde(default)]
    min_engagement: String,
    #[serde(default)]
    min_advocacy: String,
    #[serde(default)]
    seen_within_days: String,
    #[serde(default)]
    trend: String,
    #[serde(default)]
    churn: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    segment: String,
    #[serde(default)]
    page: String,
    /// A segment's name (the save form).
    #[serde(default)]
    name: String,
}

impl PeopleQuery {
    fn filter(&self) -> Result<PeopleFilter, AppError> {
        fn num<T: std::str::FromStr + Default>(field: &'static str, v: &str) -> Result<T, AppError> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(T::default());
            }
            v.parse().map_err(|_| {
                tutti_domain::InputError::new(field, "number_invalid", "write a number (or leave it empty)")
                    .into()
            })
        }
        Ok(PeopleFilter {
            q: self.q.trim().chars().take(100).collect(),
            tag: self.tag.trim().to_lowercase(),
            network: self.network.trim().to_owned(),
            min_interactions: num("min_interactions", &self.min_interactions)?,
            min_engagement: num("min_engagement", &self.min_engagement)?,
            min_advocacy: num("min_advocacy", &self.min_advocacy)?,
            seen_within_days: num("seen_within_days", &self.seen_within_days)?,
            trend: self.trend.trim().to_owned(),
            churn: self.churn == "1",
        })
    }

    fn of_segment(s: &Segment) -> PeopleQuery {
        let f = &s.filter;
        let n = |v: f64| if v > 0.0 { v.to_string() } else { String::new() };
        PeopleQuery {
            tag: f.tag.clone(),
            network: f.network.clone(),
            min_interactions: n(f.min_interactions as f64),
            min_engagement: n(f.min_engagement),
            min_advocacy: n(f.min_advocacy),
            seen_within_days: n(f.seen_within_days as f64),
            trend: f.trend.clone(),
            churn: if f.churn { "1".into() } else { String::new() },
            segment: s.id.to_string(),
            ..Default::default()
        }
    }

    /// The filters a saved segment keeps, for the save form.
    fn hidden(&self) -> Vec<(&'static str, String)> {
        vec![
            ("tag", self.tag.clone()),
            ("network", self.network.clone()),
            ("min_interactions", self.min_interactions.clone()),
            ("min_engagement", self.min_engagement.clone()),
            ("min_advocacy", self.min_advocacy.clone()),
            ("seen_within_days", self.seen_within_days.clone()),
            ("trend", self.trend.clone()),
            ("churn", self.churn.clone()),
        ]
    }

    fn query_string(&self) -> String {
        let pairs = [
            ("q", &self.q),
            ("tag", &self.tag),
            ("network", &self.network),
            ("min_interactions", &self.min_interactions),
            ("min_engagement", &self.min_engagement),
            ("min_advocacy", &self.min_advocacy),
            ("seen_within_days", &self.seen_within_days),
            ("trend", &self.trend),
            ("churn", &self.churn),
            ("sort", &self.sort),
        ];
        serde_urlencoded::to_string(pairs.iter().filter(|(_, v)| !v.is_empty()).collect::<Vec<_>>())
            .unwrap_or_default()
    }
}

const PAGE: i64 = 50;

/// A row of the list.
pub struct PersonRow {
    p: Person,
    last_seen: String,
    last_seen_iso: String,
    /// How often they wrote, for plural words.
    interactions_n: usize,
    engagement: String,
    advocacy: String,
    sentiment: String,
    /// The sentiment in words, so that it reads without colour.
    sentiment_word: String,
    churn_label: String,
}

fn score(v: f64, ctx: &Ctx) -> String {
    crate::format::number(v, 1, ctx.locale)
}

fn sentiment_class(v: Option<f64>) -> &'static str {
    match v {
        Some(v) if v >= 0.1 => "pos",
        Some(v) if v <= -0.1 => "neg",
        Some(_) => "neu",
        None => "",
    }
}

fn row(ctx: &Ctx, p: Person) -> PersonRow {
    let t = ctx.tr();
    PersonRow {
        last_seen: crate::format::datetime(p.last_seen_at, &ctx.ws().workspace.timezone, ctx.locale),
        last_seen_iso: crate::format::iso(p.last_seen_at),
        interactions_n: usize::try_from(p.interactions).unwrap_or_default(),
        engagement: score(p.engagement, ctx),
        advocacy: crate::format::number(p.advocacy, 0, ctx.locale),
        sentiment: sentiment_class(p.recent_sentiment).to_owned(),
        sentiment_word: match sentiment_class(p.recent_sentiment) {
            "" => String::new(),
            s => t.t(&format!("sentiment-{s}")),
        },
        churn_label: if p.churn.is_empty() {
            String::new()
        } else {
            t.t(&format!("community-churn-{}", p.churn))
        },
        p,
    }
}

#[derive(Template)]
#[template(path = "people.html")]
struct CommunityPage {
    l: Layout,
    slug: String,
    rows: Vec<PersonRow>,
    q: PeopleQuery,
    qs: String,
    segments: Vec<Segment>,
    current: Option<Segment>,
    can_manage: bool,
    error: FieldError,
    /// The workspace's time zone, said beside exact times.
    zone: String,
    next: Option<i64>,
    prev: Option<i64>,
    /// The networks people may be filtered by.
    networks: &'static [Network],
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    mut q: PeopleQuery,
    error: FieldError,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let slug = ctx.ws().workspace.slug.clone();
    let actor = ctx.actor();
    let segments = state.app.segments(&actor, &slug).await.map_err(|e| page_err(e, ctx))?;
    let current = segments.iter().find(|s| s.id.to_string() == q.segment).cloned();
    if let Some(s) = &current {
        let (search, sort, page) = (q.q.clone(), q.sort.clone(), q.page.clone());
        q = PeopleQuery { q: search, sort, page, ..PeopleQuery::of_segment(s) };
    }
    let page: i64 = q.page.parse().unwrap_or(0).max(0);
    let sort = Sort::parse(&q.sort).unwrap_or_default();
    let (mut error, mut status) = (error, StatusCode::OK);
    let rows = match q.filter() {
        Ok(f) => match state.app.people(&actor, &slug, &f, sort, page * PAGE, PAGE + 1).await {
            Ok(list) => list,
            Err(e) => {
                error = form_error(e, ctx)?;
                status = form_status(&error);
                Vec::new()
            }
        },
        Err(e) => {
            error = form_error(e, ctx)?;
            status = form_status(&error);
            Vec::new()
        }
    };
    if !error.field.is_empty() && status == StatusCode::OK {
        status = form_status(&error);
    }
    let more = rows.len() as i64 > PAGE;
    let rows: Vec<PersonRow> = rows.into_iter().take(PAGE as usize).map(|p| row(ctx, p)).collect();
    let l = layout(state, ctx, t.t("community-title"), "community").await?;
    let page_view = CommunityPage {
        networks: Network::ALL,
        l,
        slug,
        rows,
        qs: q.query_string(),
        q,
        segments,
        current,
        can_manage: ctx.ws().allows(Action::ManageCommunity),
        error,
        zone: ctx.ws().workspace.timezone.clone(),
        next: more.then_some(page + 1),
        prev: (page > 0).then(|| page - 1),
    };
    render(status, &page_view)
}

async fn community_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<PeopleQuery>,
) -> Result<Response, WebError> {
    list_page(&state, &ctx, q, FieldError::default()).await
}

async fn save_segment(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Form(q): Form<PeopleQuery>,
) -> Result<Response, WebError> {
    let r = match q.filter() {
        Ok(f) => state.app.save_segment(&ctx.actor(), &slug, &q.name, &f).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(id) => Ok(see_other(&format!("/w/{slug}/community?segment={id}"))),
        Err(e) => {
            let error = form_error(e, &ctx)?;
            list_page(&state, &ctx, PeopleQuery { segment: String::new(), ..q }, error).await
        }
    }
}

async fn delete_segment(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    state.app.delete_segment(&ctx.actor(), &slug, id).await.map_err(|e| page_err(e, &ctx))?;
    Ok(see_other(&format!("/w/{slug}/community")))
}

async fn export_segment(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let actor = ctx.actor();
    let segment = state.app.segment(&actor, &slug, &id.to_string()).await.map_err(|e| page_err(e, &ctx))?;
    let csv =
        state.app.export_people_csv(&actor, &slug, &segment.filter).await.map_err(|e| page_err(e, &ctx))?;
    Ok(download(csv, "text/csv; charset=utf-8", &format!("segment-{id}.csv")))
}

/// A file to download.
pub fn download(body: String, content_type: &'static str, filename: &str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The name is built from digits, dashes and a fixed extension.
    let name: String =
        filename.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.')).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// An interaction as shown.
pub struct HistoryRow {
    conversation_id: i64,
    kind: String,
    kind_label: String,
    text: String,
    sentiment: String,
    category: String,
    when: String,
    iso: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    l: Layout,
    slug: String,
    p: Profile,
    first_seen: String,
    last_seen: String,
    engagement: String,
    advocacy: String,
    recent: String,
    previous: String,
    churn: String,
    history: Vec<HistoryRow>,
    notes: Vec<(String, String, String)>,
    months: Vec<(String, String, i64)>,
    /// The sentiment line: SVG polyline points (numbers only); empty when there are fewer
    /// than two months to draw a line between.
    points: String,
    /// The dots of the line, with their month and value for the hover: (x, y, title).
    dots: Vec<(String, String, String)>,
    /// The search for a person to merge into this one, and what it found.
    merge_q: String,
    merge_found: Vec<PersonRow>,
    can_manage: bool,
    error: FieldError,
    tags: String,
    page: i64,
    more: bool,
    zone: String,
}

async fn profile_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    page: i64,
    merge_q: String,
    error: FieldError,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let merge_q: String = merge_q.trim().chars().take(100).collect();
    // People to merge into this one, found by name or handle (never by an internal number).
    let merge_found = if merge_q.is_empty() || !ctx.ws().allows(Action::ManageCommunity) {
        Vec::new()
    } else {
        let filter = PeopleFilter { q: merge_q.clone(), ..Default::default() };
        state
            .app
            .people(&ctx.actor(), &ctx.ws().workspace.slug, &filter, Sort::default(), 0, 11)
            .await
            .map_err(|e| page_err(e, ctx))?
            .into_iter()
            .filter(|o| o.id != id)
            .take(10)
            .map(|o| row(ctx, o))
            .collect()
    };
    let slug = ctx.ws().workspace.slug.clone();
    let tz = ctx.ws().workspace.timezone.clone();
    let p =
        state.app.person_profile(&ctx.actor(), &slug, id, page * 50).await.map_err(|e| page_err(e, ctx))?;
    let fmt = |ms: i64| crate::format::datetime(ms, &tz, ctx.locale);
    let avg =
        |v: Option<f64>| v.map(|v| crate::format::signed(v, 2, ctx.locale)).unwrap_or_else(|| "—".into());
    let n = p.months.len();
    let xy = |i: usize, v: f64| {
        let x = if n > 1 { 10.0 + 220.0 * i as f64 / (n - 1) as f64 } else { 120.0 };
        (format!("{x:.1}"), format!("{:.1}", 35.0 - 25.0 * v.clamp(-1.0, 1.0)))
    };
    // A line needs two months; with one, the table alone says it.
    let points = if n > 1 {
        p.months
            .iter()
            .enumerate()
            .map(|(i, (_, v, _))| {
                let (x, y) = xy(i, *v);
                format!("{x},{y}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        String::new()
    };
    let dots = if n > 1 {
        p.months
            .iter()
            .enumerate()
            .map(|(i, (m, v, _))| {
                let (x, y) = xy(i, *v);
                (
                    x,
                    y,
                    format!(
                        "{} — {}",
                        crate::format::month(m, ctx.locale),
                        crate::format::signed(*v, 2, ctx.locale)
                    ),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let history = p
        .history
        .iter()
        .map(|h| HistoryRow {
            conversation_id: h.conversation_id,
            kind: h.kind.to_string(),
            kind_label: t.t(&format!("inbox-kind-{}", h.kind)),
            text: h.text.chars().take(400).collect(),
            sentiment: h.sentiment.to_string(),
            category: if h.category.is_empty() {
                String::new()
            } else {
                t.t(&format!("feedback-cat-{}", h.category))
            },
            when: fmt(h.created_at),
            iso: crate::format::iso(h.created_at),
        })
        .collect();
    let page_view = PersonPage {
        l: layout(state, ctx, p.person.display_name.clone(), "community").await?,
        slug,
        first_seen: fmt(p.person.first_seen_at),
        last_seen: fmt(p.person.last_seen_at),
        engagement: score(p.person.engagement, ctx),
        advocacy: crate::format::number(p.person.advocacy, 0, ctx.locale),
        recent: avg(p.person.recent_sentiment),
        previous: avg(p.person.previous_sentiment),
        churn: if p.person.churn.is_empty() {
            String::new()
        } else {
            t.t(&format!("community-churn-{}", p.person.churn))
        },
        more: p.history.len() == 50,
        history,
        notes: p.notes.iter().map(|n| (n.author_name.clone(), fmt(n.created_at), n.body.clone())).collect(),
        months: p
            .months
            .iter()
            .map(|(m, v, c)| {
                (crate::format::month(m, ctx.locale), crate::format::signed(*v, 2, ctx.locale), *c)
            })
            .collect(),
        points,
        dots,
        merge_found,
        merge_q,
        can_manage: ctx.ws().allows(Action::ManageCommunity),
        tags: p.person.tags.join(", "),
        error,
        page,
        zone: tz.clone(),
        p,
    };
    let status =
        if page_view.error.message.is_empty() { StatusCode::OK } else { form_status(&page_view.error) };
    render(status, &page_view)
}

#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    page: String,
    /// A name or handle to find someone to merge.
    #[serde(default)]
    merge_q: String,
}

async fn person_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    profile_page(&state, &ctx, id, q.page.parse().unwrap_or(0).max(0), q.merge_q, FieldError::default()).await
}

#[derive(Debug, Deserialize, Default)]
pub struct PersonForm {
    #[serde(default)]
    tags: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    other: String,
    #[serde(default)]
    identity: String,
}

async fn after(state: &AppState, ctx: &Ctx, id: i64, r: Result<i64, AppError>) -> Result<Response, WebError> {
    match r {
        Ok(to) => Ok(see_other(&format!("/w/{}/people/{to}", ctx.ws().workspace.slug))),
        Err(e) => {
            let error = form_error(e, ctx)?;
            profile_page(state, ctx, id, 0, String::new(), error).await
        }
    }
}

fn id_field(field: &'static str, v: &str) -> Result<i64, AppError> {
    v.trim().trim_start_matches('#').parse().map_err(|_| {
        tutti_domain::InputError::new(field, "person_unknown", "choose a person from the search results")
            .into()
    })
}

async fn set_tags(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<PersonForm>,
) -> Result<Response, WebError> {
    let r = state.app.tag_person(&ctx.actor(), &slug, id, &f.tags).await.map(|_| id);
    after(&state, &ctx, id, r).await
}

async fn add_note(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<PersonForm>,
) -> Result<Response, WebError> {
    let r = state.app.add_person_note(&ctx.actor(), &slug, id, &f.note).await.map(|_| id);
    after(&state, &ctx, id, r).await
}

async fn set_field(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<PersonForm>,
) -> Result<Response, WebError> {
    let r = state.app.set_person_field(&ctx.actor(), &slug, id, &f.key, &f.value).await.map(|_| id);
    after(&state, &ctx, id, r).await
}

async fn merge(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<PersonForm>,
) -> Result<Response, WebError> {
    let r = match id_field("other", &f.other) {
        Ok(other) => state.app.merge_people(&ctx.actor(), &slug, id, other).await.map(|_| id),
        Err(e) => Err(e),
    };
    after(&state, &ctx, id, r).await
}

async fn split(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<PersonForm>,
) -> Result<Response, WebError> {
    let r = match id_field("identity", &f.identity) {
        Ok(identity) => state.app.split_person(&ctx.actor(), &slug, id, identity).await,
        Err(e) => Err(e),
    };
    after(&state, &ctx, id, r).await
}
