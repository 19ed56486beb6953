//! The REST API under `/api/v1`, one file per subject, and its OpenAPI document generated from
//! their handlers.
//!
//! Imports flow one way: this module assembles the subjects' routes and the document; each
//! subject (`members`, `listening`, `posts`, `inbox`, `moderation`, `people`, `feedback`,
//! `analytics`)
//! imports only `common` (errors in the API's shape, and the answers one subject embeds in
//! another's), never another subject, and nothing imports this module but the crate's router.

mod analytics;
mod common;
mod feedback;
mod inbox;
mod listening;
mod members;
mod moderation;
mod people;
mod posts;

use axum::response::IntoResponse;
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::RouteTable;

/// Registers every API route.
pub fn routes(t: RouteTable) -> RouteTable {
    let t = inbox::routes(posts::routes(listening::routes(members::routes(t))));
    analytics::routes(feedback::routes(people::routes(moderation::routes(t))))
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token: tutti token create, or Settings → API tokens"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tutti API", description = "The REST API of Tutti, the social media team platform. Authenticate with `Authorization: Bearer <token>`."),
    paths(members::me, members::workspaces, members::list_members, members::add_member, members::change_role, members::remove_member,
          listening::list_queries, listening::add_query, listening::mentions,
          listening::report, listening::add_rule, listening::alerts,
          listening::crisis_on, listening::crisis_off,
          posts::list_posts, posts::get_post, posts::create_post,
          posts::approve_post, posts::send_back_post,
          inbox::list, inbox::one, inbox::reply, inbox::status,
          moderation::list_rules, moderation::add_rule, moderation::set_enabled,
          moderation::dry_run, moderation::log, moderation::undo,
          moderation::moderate_item, moderation::offenders,
          people::list_people, people::get_person, people::tag_person,
          people::add_note, people::set_field, people::merge,
          people::split, people::list_segments, people::save_segment,
          people::export_segment,
          feedback::list_feedback, feedback::set_category, feedback::report,
          analytics::summary, analytics::posts, analytics::post,
          analytics::channels, analytics::team, analytics::best_times),
    components(schemas(members::MeResponse, members::WorkspaceResponse, members::MemberResponse, members::AddMemberRequest, members::ChangeRoleRequest, common::ErrorResponse, common::ErrorBody,
                       listening::QueryResponse, listening::AddQueryRequest,
                       listening::AddRuleRequest, listening::CrisisRequest,
                       common::PostResponse, common::PostChannel, common::PostAuthor,
                       common::PostLink, posts::CreatePostRequest, posts::ChannelRef,
                       posts::UtmRequest, posts::SendBackRequest,
                       common::ConversationResponse, inbox::ItemResponse,
                       inbox::ConversationDetail, inbox::ReplyRequest,
                       inbox::StatusRequest,
                       moderation::RuleConditions, moderation::RuleActionBody,
                       moderation::RuleResponse, moderation::RuleRequest,
                       moderation::EnabledRequest, moderation::DryRunRequest,
                       moderation::DryRunHit, moderation::DryRunResponse,
                       moderation::LogEntryResponse, moderation::ModerateRequest,
                       moderation::ModerateResponse, moderation::OffenderResponse,
                       people::PersonResponse, people::IdentityResponse,
                       people::NoteResponse, people::FieldResponse,
                       people::InteractionResponse, people::MonthSentiment,
                       people::ProfileResponse, people::TagsRequest,
                       people::TagsResponse, people::NoteRequest,
                       people::NoteCreated, people::FieldRequest,
                       people::MergeRequest, people::SplitRequest,
                       people::SegmentFilter, people::SegmentResponse,
                       people::SegmentRequest,
                       feedback::FeedbackItemResponse, feedback::CategoryCountResponse,
                       feedback::IssueResponse, feedback::FeedbackResponse,
                       feedback::CategoryRequest,
                       analytics::PeriodResponse, analytics::ChangeResponse,
                       analytics::ChangesResponse, analytics::SentimentResponse,
                       analytics::DayResponse, analytics::ChannelNameResponse,
                       analytics::FollowersDay, analytics::AudienceResponse,
                       analytics::PostLineResponse, analytics::PillarResponse,
                       analytics::VoiceResponse, analytics::SummaryResponse,
                       analytics::PostsResponse, analytics::SnapshotResponse,
                       analytics::PostAnalyticsResponse, analytics::ChannelsResponse,
                       analytics::SpreadResponse, analytics::TimesResponse,
                       analytics::MemberTeamResponse, analytics::ChannelTeamResponse,
                       analytics::TeamResponse, analytics::SlotResponse,
                       analytics::BestTimesResponse)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
struct ApiDoc;

/// The OpenAPI document.
pub async fn openapi_json() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}
