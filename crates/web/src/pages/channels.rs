//! The channels page: the accounts a workspace publishes through, with the voice each speaks
//! in, whether the network still takes its credentials (and the network's words when not),
//! its weekly queue slots, and the workspace's rule of who publishes without review.
//!
//! Everyone who writes reads it; SMMs and admins change slots (they manage channels) and the
//! review rule (they approve posts).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_app::queues::{format_slots_in, parse_slots};
use tutti_app::store::publishing::Channel;
use tutti_domain::{Action, ChannelStatus, ChannelVoice, Locale, Role};

use super::common::{form_error, form_status, layout, page_err, render, see_other, FieldError, Layout};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/w/{workspace}/channels", Access::Workspace(Action::WritePosts), channels_page)
        .post(
            "/w/{workspace}/channels/{channel}/slots",
            Access::Workspace(Action::ManageChannels),
            save_slots,
        )
        .post("/w/{workspace}/review-rule", Access::Workspace(Action::ApprovePosts), save_rule)
}

/// One channel as the page shows it.
struct ChannelRow {
    id: i64,
    network: &'static str,
    handle: String,
    /// « Marque », "Brand", or the ambassador's name.
    voice: String,
    ambassador: bool,
    /// A channel of the demo network, which publishes nowhere.
    demo: bool,
    needs_reconnect: bool,
    /// The network's words when it refused the credentials.
    status_message: String,
    /// The slots as written in the reader's language (`lun 09:00, mer 12:30`).
    slots: String,
    /// What was typed, shown again with an error.
    slots_input: String,
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    l: Layout,
    slug: String,
    zone: String,
    rows: Vec<ChannelRow>,
    can_manage: bool,
    can_rule: bool,
    /// The roles that may publish without review, and whether each is chosen.
    rule: Vec<(&'static str, String, bool)>,
    /// The channel whose slots the error is about (none for the review rule).
    error_channel: Option<i64>,
    error: FieldError,
    notice: String,
}

impl ChannelsPage {
    /// Whether no role publishes without review (every post is reviewed).
    fn nobody_direct(&self) -> bool {
        !self.rule.iter().any(|(_, _, chosen)| *chosen)
    }

    /// Whether the slots error is about the channel `id`.
    fn error_on(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.error_channel == Some(*id.borrow())
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    saved: String,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    error_channel: Option<i64>,
    typed: Option<&str>,
    error: FieldError,
    notice: String,
) -> Result<ChannelsPage, WebError> {
    let t = ctx.tr();
    let slug = ctx.ws().workspace.slug.clone();
    let actor = ctx.actor();
    let channels: Vec<Channel> = state.app.channels(&actor, &slug).await.map_err(|e| page_err(e, ctx))?;
    let members = state.app.list_members(&actor, &slug).await.map_err(|e| page_err(e, ctx))?;
    let names: HashMap<i64, String> = members.into_iter().map(|m| (m.user_id, m.name)).collect();
    let french = ctx.locale == Locale::Fr;
    let mut rows = Vec::new();
    for c in &channels {
        let slots =
            state.app.queue_slots(&actor, &slug, &c.id.to_string()).await.map_err(|e| page_err(e, ctx))?;
        let voice = match c.owner_user_id {
            Some(owner) if c.voice == ChannelVoice::Ambassador => {
                t.t1("compose-voice-ambassador", "name", names.get(&owner).map(String::as_str).unwrap_or("?"))
            }
            _ => t.t("compose-voice-brand"),
        };
        let written = format_slots_in(&slots, french);
        rows.push(ChannelRow {
            id: c.id,
            network: c.network.name(),
            handle: if c.handle.starts_with('@') { c.handle.clone() } else { format!("@{}", c.handle) },
            voice,
            ambassador: c.voice == ChannelVoice::Ambassador,
            demo: tutti_demo::is_demo(&c.service),
            needs_reconnect: c.status != ChannelStatus::Ok,
            status_message: c.status_message.clone().unwrap_or_default(),
            slots_input: match (error_channel, typed) {
                (Some(id), Some(typed)) if id == c.id => typed.to_owned(),
                _ => written.clone(),
            },
            slots: written,
        });
    }
    rows.sort_by(|a, b| (a.ambassador, a.network, &a.handle).cmp(&(b.ambassador, b.network, &b.handle)));
    let chosen = state.app.direct_roles(&actor, &slug).await.map_err(|e| page_err(e, ctx))?;
    let rule = [Role::Admin, Role::Smm, Role::Cm]
        .into_iter()
        .map(|r| (r.as_str(), super::common::role_label(&t, r), chosen.contains(&r)))
        .collect();
    let l = layout(state, ctx, t.t("channels-title"), "channels").await?;
    Ok(ChannelsPage {
        l,
        slug,
        zone: ctx.ws().workspace.timezone.clone(),
        rows,
        can_manage: ctx.ws().allows(Action::ManageChannels),
        can_rule: ctx.ws().allows(Action::ApprovePosts),
        rule,
        error_channel,
        error,
        notice,
    })
}

async fn channels_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let notice = match q.saved.as_str() {
        "slots" => ctx.tr().t("channels-slots-saved"),
        "rule" => ctx.tr().t("channels-rule-saved"),
        _ => String::new(),
    };
    let p = page(&state, &ctx, None, None, FieldError::default(), notice).await?;
    render(StatusCode::OK, &p)
}

#[derive(Debug, Deserialize)]
pub struct SlotsForm {
    #[serde(default)]
    slots: String,
}

async fn save_slots(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((_, channel)): Path<(String, i64)>,
    Form(form): Form<SlotsForm>,
) -> Result<Response, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    let result = match parse_slots(&form.slots) {
        Ok(slots) => {
            state.app.set_queue_slots(&ctx.actor(), &slug, &channel.to_string(), &slots).await.map(|_| ())
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/w/{slug}/channels?saved=slots#channel-{channel}"))),
        Err(e) => {
            let mut error = form_error(e, &ctx)?;
            if error.field == "slots" {
                // The app's message names the slot at fault; said again in the reader's words.
                error.message = ctx.tr().t1("channels-slots-invalid", "detail", &error.message);
            }
            let p = page(&state, &ctx, Some(channel), Some(&form.slots), error, String::new()).await?;
            render(form_status(&p.error), &p)
        }
    }
}

async fn save_rule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    let mut roles = Vec::new();
    for (k, v) in &form {
        if k == "roles" {
            match Role::parse(v, "roles") {
                Ok(r) => roles.push(r),
                Err(e) => {
                    let error = form_error(e.into(), &ctx)?;
                    let p = page(&state, &ctx, None, None, error, String::new()).await?;
                    return render(form_status(&p.error), &p);
                }
            }
        }
    }
    match state.app.set_direct_roles(&ctx.actor(), &slug, &roles).await {
        Ok(_) => Ok(see_other(&format!("/w/{slug}/channels?saved=rule#review-rule"))),
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let p = page(&state, &ctx, None, None, error, String::new()).await?;
            render(form_status(&p.error), &p)
        }
    }
}
