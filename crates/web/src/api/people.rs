//! The community part of the REST API: people listed (filtered, sorted, paged) and read with
//! their profile; tags, notes and custom fields; merge and split; saved segments and a
//! segment's CSV export. Errors name the property or query parameter at fault.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tutti_app::people::Profile;
use tutti_app::store::people::{PeopleFilter, Person, Segment, Sort};
use tutti_app::AppError;
use tutti_domain::{Action, InputError};
use utoipa::ToSchema;

use super::common::{body, err, required, text_response, ConversationResponse, ErrorResponse};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

/// Registers the routes of this part of the API with the access each needs.
pub fn routes(t: RouteTable) -> RouteTable {
    let view = Access::Workspace(Action::ViewCommunity);
    let manage = Access::Workspace(Action::ManageCommunity);
    t.get("/api/v1/workspaces/{workspace}/people", view, list_people)
        .get("/api/v1/workspaces/{workspace}/people/{id}", view, get_person)
        .post("/api/v1/workspaces/{workspace}/people/{id}/tags", manage, tag_person)
        .post("/api/v1/workspaces/{workspace}/people/{id}/notes", manage, add_note)
        .post("/api/v1/workspaces/{workspace}/people/{id}/fields", manage, set_field)
        .post("/api/v1/workspaces/{workspace}/people/{id}/merge", manage, merge)
        .post("/api/v1/workspaces/{workspace}/people/{id}/split", manage, split)
        .get("/api/v1/workspaces/{workspace}/segments", view, list_segments)
        .post("/api/v1/workspaces/{workspace}/segments", manage, save_segment)
        .get("/api/v1/workspaces/{workspace}/segments/{id}/export", view, export_segment)
}

fn invalid(field: &'static str, code: &'static str, message: &str) -> AppError {
    InputError::new(field, code, message.to_owned()).into()
}

/// A person of the community and their scores.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonResponse {
    id: i64,
    display_name: String,
    tags: Vec<String>,
    /// Their identities' handles.
    handles: Vec<String>,
    /// Their identities' networks.
    networks: Vec<String>,
    /// Items from them.
    interactions: i64,
    /// RFC 3339.
    first_seen_at: String,
    last_seen_at: String,
    /// Interactions weighted by kind and recency.
    engagement: f64,
    /// Positive items + 2 × defences − negative items.
    advocacy: f64,
    positives: i64,
    negatives: i64,
    /// Positive items in conversations where someone else was negative.
    defends: i64,
    /// Average sentiment of the last 30 days (−1 to 1).
    recent_sentiment: Option<f64>,
    /// Average sentiment of the 60 days before.
    previous_sentiment: Option<f64>,
    /// `quiet`, `souring`, or null.
    churn: Option<String>,
}

impl From<Person> for PersonResponse {
    fn from(p: Person) -> Self {
        PersonResponse {
            id: p.id,
            display_name: p.display_name,
            tags: p.tags,
            handles: p.handles,
            networks: p.networks,
            interactions: p.interactions,
            first_seen_at: crate::format::iso(p.first_seen_at),
            last_seen_at: crate::format::iso(p.last_seen_at),
            engagement: p.engagement,
            advocacy: p.advocacy,
            positives: p.positives,
            negatives: p.negatives,
            defends: p.defends,
            recent_sentiment: p.recent_sentiment,
            previous_sentiment: p.previous_sentiment,
            churn: Some(p.churn).filter(|c| !c.is_empty()),
        }
    }
}

/// Filters, sort and page of the people list.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct PeopleParams {
    /// Name or handle contains.
    q: Option<String>,
    tag: Option<String>,
    /// bluesky or mastodon.
    network: Option<String>,
    min_interactions: Option<String>,
    min_engagement: Option<String>,
    min_advocacy: Option<String>,
    /// Seen within the last N days.
    seen_within_days: Option<String>,
    /// rising or falling: the last 30 days' sentiment against the 60 before.
    trend: Option<String>,
    /// `true`: only people showing a churn signal.
    churn: Option<String>,
    /// engagement (default), advocacy, last_seen, interactions, name.
    sort: Option<String>,
    /// How many to skip (default 0).
    offset: Option<String>,
    /// 1–500, default 50.
    limit: Option<String>,
}

fn number<T: std::str::FromStr + Default>(field: &'static str, v: &Option<String>) -> Result<T, AppError> {
    match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(T::default()),
        Some(v) => v.parse().map_err(|_| invalid(field, "number_invalid", "write a number")),
    }
}

fn text(v: &Option<String>) -> String {
    v.as_deref().unwrap_or_default().trim().to_owned()
}

impl PeopleParams {
    fn filter(&self) -> Result<PeopleFilter, AppError> {
        let churn = match text(&self.churn).as_str() {
            "" | "false" | "0" => false,
            "true" | "1" => true,
            _ => return Err(invalid("churn", "boolean_invalid", "churn is true or false")),
        };
        Ok(PeopleFilter {
            q: text(&self.q).chars().take(100).collect(),
            tag: text(&self.tag).to_lowercase(),
            network: text(&self.network),
            min_interactions: number("min_interactions", &self.min_interactions)?,
            min_engagement: number("min_engagement", &self.min_engagement)?,
            min_advocacy: number("min_advocacy", &self.min_advocacy)?,
            seen_within_days: number("seen_within_days", &self.seen_within_days)?,
            trend: text(&self.trend),
            churn,
        })
    }

    fn page(&self) -> Result<(Sort, i64, i64), AppError> {
        let sort = match text(&self.sort).as_str() {
            "" => Sort::Engagement,
            s => Sort::parse(s).ok_or_else(|| {
                invalid(
                    "sort",
                    "sort_unknown",
                    "the sort is engagement, advocacy, last_seen, interactions or name",
                )
            })?,
        };
        let offset: i64 = number("offset", &self.offset)?;
        if offset < 0 {
            return Err(invalid("offset", "number_out_of_range", "the offset is 0 or more"));
        }
        let limit = match self.limit.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            None => 50,
            Some(_) => number::<i64>("limit", &self.limit)?,
        };
        if !(1..=500).contains(&limit) {
            return Err(invalid("limit", "limit_invalid", "the limit is a number from 1 to 500"));
        }
        Ok((sort, offset, limit))
    }
}

/// The people of the workspace matching the filters, sorted (highest first, names A to Z).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/people", tag = "community",
    params(("workspace" = String, Path, description = "The workspace's slug"), PeopleParams),
    responses((status = 200, body = [PersonResponse]), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn list_people(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<PeopleParams>,
) -> Result<Json<Vec<PersonResponse>>, WebError> {
    let filter = p.filter().map_err(err(&ctx))?;
    let (sort, offset, limit) = p.page().map_err(err(&ctx))?;
    let list =
        state.app.people(&ctx.actor(), &slug, &filter, sort, offset, limit).await.map_err(err(&ctx))?;
    Ok(Json(list.into_iter().map(PersonResponse::from).collect()))
}

/// An identity of a person on a network.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityResponse {
    id: i64,
    /// bluesky or mastodon.
    network: String,
    /// A DID, a Mastodon account id.
    author_id: String,
    handle: String,
}

/// A note about a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteResponse {
    id: i64,
    author_name: String,
    body: String,
    /// RFC 3339.
    at: String,
}

/// A custom field of a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldResponse {
    key: String,
    value: String,
}

/// An interaction of a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionResponse {
    /// The item.
    id: i64,
    conversation_id: i64,
    /// reply, mention, quote, repost, like, follow.
    kind: String,
    text: String,
    /// pos, neu, neg.
    sentiment: String,
    /// complaint, bug, feature, question, praise, or empty.
    category: String,
    /// RFC 3339.
    at: String,
}

/// The average sentiment of a month.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthSentiment {
    /// `YYYY-MM`, UTC.
    month: String,
    /// −1 (negative) to 1 (positive).
    average: f64,
    items: i64,
}

/// A person's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileResponse {
    person: PersonResponse,
    identities: Vec<IdentityResponse>,
    /// Newest first.
    notes: Vec<NoteResponse>,
    fields: Vec<FieldResponse>,
    /// A page of 50 interactions, newest first.
    history: Vec<InteractionResponse>,
    /// Their conversations, latest first (at most 50).
    conversations: Vec<ConversationResponse>,
    /// Oldest first.
    months: Vec<MonthSentiment>,
}

impl From<Profile> for ProfileResponse {
    fn from(p: Profile) -> Self {
        ProfileResponse {
            person: p.person.into(),
            identities: p
                .identities
                .into_iter()
                .map(|i| IdentityResponse {
                    id: i.id,
                    network: i.network.to_string(),
                    author_id: i.author_id,
                    handle: i.handle,
                })
                .collect(),
            notes: p
                .notes
                .into_iter()
                .map(|n| NoteResponse {
                    id: n.id,
                    author_name: n.author_name,
                    body: n.body,
                    at: crate::format::iso(n.created_at),
                })
                .collect(),
            fields: p.fields.into_iter().map(|(key, value)| FieldResponse { key, value }).collect(),
            history: p
                .history
                .into_iter()
                .map(|i| InteractionResponse {
                    id: i.id,
                    conversation_id: i.conversation_id,
                    kind: i.kind.to_string(),
                    text: i.text,
                    sentiment: i.sentiment.to_string(),
                    category: i.category,
                    at: crate::format::iso(i.created_at),
                })
                .collect(),
            conversations: p.conversations.into_iter().map(ConversationResponse::from).collect(),
            months: p
                .months
                .into_iter()
                .map(|(month, average, items)| MonthSentiment { month, average, items })
                .collect(),
        }
    }
}

/// The page of a profile's history.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct ProfileParams {
    /// How many interactions of the history to skip (pages of 50).
    offset: Option<String>,
}

async fn profile(state: &AppState, ctx: &Ctx, slug: &str, id: i64, offset: i64) -> Result<Profile, WebError> {
    state.app.person_profile(&ctx.actor(), slug, id, offset).await.map_err(err(ctx))
}

/// A person's profile: identities, notes, custom fields, history, conversations, sentiment
/// per month.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/people/{id}", tag = "community",
    params(("workspace" = String, Path, description = "The workspace's slug"), ("id" = i64, Path, description = "The person's id"), ProfileParams),
    responses((status = 200, body = ProfileResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn get_person(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    Query(p): Query<ProfileParams>,
) -> Result<Json<ProfileResponse>, WebError> {
    let offset: i64 = number("offset", &p.offset).map_err(err(&ctx))?;
    Ok(Json(profile(&state, &ctx, &slug, id, offset.max(0)).await?.into()))
}

/// A change of a person's tags: the whole list (`tags`), or tags to add and remove.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TagsRequest {
    /// Replaces every tag (then `add` and `remove` are absent).
    tags: Option<Vec<String>>,
    /// Tags to add.
    #[serde(default)]
    add: Vec<String>,
    /// Tags to remove.
    #[serde(default)]
    remove: Vec<String>,
}

/// A person's tags.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagsResponse {
    tags: Vec<String>,
}

/// Changes a person's tags (each up to 40 letters, digits, `-` or `_`, at most 20); answers
/// the tags the person has now. Audited.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/people/{id}/tags", tag = "community", request_body = TagsRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("id" = i64, Path, description = "The person's id")),
    responses((status = 200, body = TagsResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn tag_person(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    payload: Result<Json<TagsRequest>, JsonRejection>,
) -> Result<Json<TagsResponse>, WebError> {
    let req = body(&ctx, payload)?;
    if req.tags.iter().flatten().chain(&req.add).chain(&req.remove).any(|t| t.contains(',')) {
        return Err(err(&ctx)(invalid("tags", "tag_invalid", "a tag holds no comma")));
    }
    let tags: Vec<String> = match req.tags {
        Some(_) if !req.add.is_empty() || !req.remove.is_empty() => {
            return Err(err(&ctx)(invalid(
                "tags",
                "tags_ambiguous",
                "give either \"tags\" (the whole list) or \"add\" and \"remove\", not both",
            )))
        }
        Some(tags) => tags,
        None if req.add.is_empty() && req.remove.is_empty() => {
            return Err(err(&ctx)(invalid("tags", "required", "give \"tags\", \"add\" or \"remove\"")))
        }
        None => {
            let current = profile(&state, &ctx, &slug, id, 0).await?.person.tags;
            let norm = |t: &String| t.trim().to_lowercase();
            let removed: Vec<String> = req.remove.iter().map(norm).collect();
            current.into_iter().chain(req.add.iter().map(norm)).filter(|t| !removed.contains(t)).collect()
        }
    };
    let tags = state.app.tag_person(&ctx.actor(), &slug, id, &tags.join(",")).await.map_err(err(&ctx))?;
    Ok(Json(TagsResponse { tags }))
}

/// A note to add.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NoteRequest {
    /// Up to 5000 characters.
    note: Option<String>,
}

/// The note added.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteCreated {
    id: i64,
}

/// Adds a note about a person. Audited.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/people/{id}/notes", tag = "community", request_body = NoteRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("id" = i64, Path, description = "The person's id")),
    responses((status = 201, body = NoteCreated), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn add_note(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    payload: Result<Json<NoteRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = body(&ctx, payload)?;
    let note = required(req.note, "note").map_err(err(&ctx))?;
    let id = state.app.add_person_note(&ctx.actor(), &slug, id, &note).await.map_err(err(&ctx))?;
    Ok((StatusCode::CREATED, Json(NoteCreated { id })).into_response())
}

/// A custom field to set.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FieldRequest {
    /// 1 to 40 letters, digits, `-` or `_`.
    key: Option<String>,
    /// Up to 500 characters; empty removes the field.
    value: Option<String>,
}

/// Sets (or, with an empty value, removes) a custom field of a person. Audited.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/people/{id}/fields", tag = "community", request_body = FieldRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("id" = i64, Path, description = "The person's id")),
    responses((status = 204), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn set_field(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    payload: Result<Json<FieldRequest>, JsonRejection>,
) -> Result<StatusCode, WebError> {
    let req = body(&ctx, payload)?;
    let key = required(req.key, "key").map_err(err(&ctx))?;
    let value = req.value.unwrap_or_default();
    state.app.set_person_field(&ctx.actor(), &slug, id, &key, &value).await.map_err(err(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Another person to merge into this one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeRequest {
    /// The person merged (and gone afterwards).
    other: Option<i64>,
}

/// Merges person `other` into this one: one person with every identity, item, conversation,
/// note, field and tag. Answers the merged person. Audited.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/people/{id}/merge", tag = "community", request_body = MergeRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("id" = i64, Path, description = "The person kept")),
    responses((status = 200, body = PersonResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn merge(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    payload: Result<Json<MergeRequest>, JsonRejection>,
) -> Result<Json<PersonResponse>, WebError> {
    let req = body(&ctx, payload)?;
    let other = req
        .other
        .ok_or_else(|| err(&ctx)(invalid("other", "required", "the property \"other\" is required")))?;
    state.app.merge_people(&ctx.actor(), &slug, id, other).await.map_err(err(&ctx))?;
    Ok(Json(profile(&state, &ctx, &slug, id, 0).await?.person.into()))
}

/// An identity to split off.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SplitRequest {
    /// One of the person's identities (they keep at least one).
    identity: Option<i64>,
}

/// Splits an identity off a person into a new person, who takes its items. Answers the new
/// person. Audited.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/people/{id}/split", tag = "community", request_body = SplitRequest,
    params(("workspace" = String, Path, description = "The workspace's slug"), ("id" = i64, Path, description = "The person's id")),
    responses((status = 201, body = PersonResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn split(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
    payload: Result<Json<SplitRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = body(&ctx, payload)?;
    let identity = req
        .identity
        .ok_or_else(|| err(&ctx)(invalid("identity", "required", "the property \"identity\" is required")))?;
    let new = state.app.split_person(&ctx.actor(), &slug, id, identity).await.map_err(err(&ctx))?;
    let person: PersonResponse = profile(&state, &ctx, &slug, new, 0).await?.person.into();
    Ok((StatusCode::CREATED, Json(person)).into_response())
}

/// The filter of a segment; absent properties mean any.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct SegmentFilter {
    tag: String,
    /// bluesky or mastodon.
    network: String,
    min_interactions: i64,
    min_engagement: f64,
    min_advocacy: f64,
    /// Seen within the last N days (0: any).
    seen_within_days: i64,
    /// rising or falling.
    trend: String,
    /// Only people showing a churn signal.
    churn: bool,
}

impl From<PeopleFilter> for SegmentFilter {
    fn from(f: PeopleFilter) -> Self {
        SegmentFilter {
            tag: f.tag,
            network: f.network,
            min_interactions: f.min_interactions,
            min_engagement: f.min_engagement,
            min_advocacy: f.min_advocacy,
            seen_within_days: f.seen_within_days,
            trend: f.trend,
            churn: f.churn,
        }
    }
}

impl From<SegmentFilter> for PeopleFilter {
    fn from(f: SegmentFilter) -> Self {
        PeopleFilter {
            q: String::new(),
            tag: f.tag.trim().to_lowercase(),
            network: f.network.trim().to_owned(),
            min_interactions: f.min_interactions,
            min_engagement: f.min_engagement,
            min_advocacy: f.min_advocacy,
            seen_within_days: f.seen_within_days,
            trend: f.trend.trim().to_owned(),
            churn: f.churn,
        }
    }
}

/// A saved segment of the community.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentResponse {
    id: i64,
    name: String,
    filter: SegmentFilter,
}

impl From<Segment> for SegmentResponse {
    fn from(s: Segment) -> Self {
        SegmentResponse { id: s.id, name: s.name, filter: s.filter.into() }
    }
}

/// The segment of an id (a segment named by digits is not taken for another's id).
async fn segment_by_id(state: &AppState, ctx: &Ctx, slug: &str, id: i64) -> Result<Segment, WebError> {
    let list = state.app.segments(&ctx.actor(), slug).await.map_err(err(ctx))?;
    list.into_iter().find(|s| s.id == id).ok_or_else(|| err(ctx)(AppError::NotFound("segment")))
}

/// The saved segments of the workspace.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/segments", tag = "community",
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 200, body = [SegmentResponse]), (status = 403, body = ErrorResponse)))]
pub async fn list_segments(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Result<Json<Vec<SegmentResponse>>, WebError> {
    let list = state.app.segments(&ctx.actor(), &slug).await.map_err(err(&ctx))?;
    Ok(Json(list.into_iter().map(SegmentResponse::from).collect()))
}

/// A segment to save.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SegmentRequest {
    /// Unique in the workspace, 1 to 80 characters.
    name: Option<String>,
    #[serde(default)]
    filter: SegmentFilter,
}

/// Saves a filter as a named segment. Audited.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/segments", tag = "community", request_body = SegmentRequest,
    params(("workspace" = String, Path, description = "The workspace's slug")),
    responses((status = 201, body = SegmentResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse),
              (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn save_segment(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    payload: Result<Json<SegmentRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = body(&ctx, payload)?;
    let name = required(req.name, "name").map_err(err(&ctx))?;
    let filter = PeopleFilter::from(req.filter);
    let id = state.app.save_segment(&ctx.actor(), &slug, &name, &filter).await.map_err(err(&ctx))?;
    let saved = segment_by_id(&state, &ctx, &slug, id).await?;
    Ok((StatusCode::CREATED, Json(SegmentResponse::from(saved))).into_response())
}

/// Everyone of a segment as CSV (RFC 4180, formula-safe, a header row first), by engagement.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/segments/{id}/export", tag = "community",
    params(("workspace" = String, Path, description = "The workspace's slug"), ("id" = i64, Path, description = "The segment's id")),
    responses((status = 200, description = "The people of the segment", content((String = "text/csv"))),
              (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn export_segment(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let segment = segment_by_id(&state, &ctx, &slug, id).await?;
    let csv = state.app.export_people_csv(&ctx.actor(), &slug, &segment.filter).await.map_err(err(&ctx))?;
    Ok(text_response(csv, "text/csv; charset=utf-8"))
}
