//! The workspace's channels as the composer, the calendar and the post page show them: each
//! with its network, handle and voice (the brand's, or an ambassador's), the counter's limit,
//! whether it needs reconnecting and whether the reader may publish through it.

use std::collections::HashMap;

use tutti_app::store::publishing::Channel;
use tutti_domain::{ChannelStatus, ChannelVoice, Network};

use super::common::page_err;
use crate::error::WebError;
use crate::routes::Ctx;
use crate::AppState;

/// The network whose length limit is the strictest: what a counter counts against before a
/// channel is chosen.
pub(super) fn strictest_network() -> Network {
    let strictness = |n: &&Network| tutti_networks::limits(**n).text_max;
    Network::ALL.iter().min_by_key(strictness).copied().unwrap_or(Network::Bluesky)
}

/// The length limit the counter shows for a network.
pub(super) fn network_max(network: Network) -> usize {
    tutti_networks::limits(network).text_max
}

/// A post's length as its network counts it: graphemes on Bluesky, characters on Mastodon.
pub(super) fn network_count(network: Network, text: &str) -> usize {
    tutti_networks::limits(network).count(text)
}

/// `@handle`, whether or not it was stored with its `@`.
fn at_handle(handle: &str) -> String {
    if handle.starts_with('@') {
        handle.to_owned()
    } else {
        format!("@{handle}")
    }
}

/// A channel as the compose form and the calendar show it.
#[derive(Debug, Clone)]
pub struct ChannelView {
    pub(super) id: i64,
    pub(super) network: Network,
    pub(super) network_name: &'static str,
    pub(super) handle: String,
    /// « Marque », "Brand", or the ambassador's name.
    pub(super) voice: String,
    pub(super) ambassador: bool,
    pub(super) max: usize,
    pub(super) needs_reconnect: bool,
    /// Whether the reader may publish through it (an ambassador's account is theirs alone).
    pub(super) usable: bool,
    /// The option's whole label.
    pub(super) label: String,
}

/// The channels as shown: the brand's first, then the ambassadors', by network and handle.
pub(super) fn channel_views(
    channels: &[Channel],
    names: &HashMap<i64, String>,
    ctx: &Ctx,
) -> Vec<ChannelView> {
    let t = ctx.tr();
    let me = ctx.me().id;
    let mut views: Vec<ChannelView> = channels
        .iter()
        .map(|c| {
            let ambassador = c.voice == ChannelVoice::Ambassador;
            let voice = match c.owner_user_id {
                Some(owner) if ambassador => t.t1(
                    "compose-voice-ambassador",
                    "name",
                    names.get(&owner).map(String::as_str).unwrap_or("?"),
                ),
                _ => t.t("compose-voice-brand"),
            };
            let needs_reconnect = c.status != ChannelStatus::Ok;
            let usable = c.owner_user_id.is_none_or(|o| o == me);
            let mut label = format!("{voice} · {} · {}", c.network.name(), at_handle(&c.handle));
            if needs_reconnect {
                label.push_str(" — ");
                label.push_str(&t.t("channel-needs-reconnect"));
            }
            if !usable {
                label.push_str(" — ");
                label.push_str(&t.t("compose-not-yours"));
            }
            ChannelView {
                id: c.id,
                network: c.network,
                network_name: c.network.name(),
                handle: at_handle(&c.handle),
                voice,
                ambassador,
                max: network_max(c.network),
                needs_reconnect,
                usable,
                label,
            }
        })
        .collect();
    views.sort_by(|a, b| {
        (a.ambassador, a.network.as_str(), &a.handle).cmp(&(b.ambassador, b.network.as_str(), &b.handle))
    });
    views
}

/// Display names of the workspace's members, by account id.
pub(super) async fn member_names(state: &AppState, ctx: &Ctx) -> Result<HashMap<i64, String>, WebError> {
    let members =
        state.app.list_members(&ctx.actor(), &ctx.ws().workspace.slug).await.map_err(|e| page_err(e, ctx))?;
    Ok(members.into_iter().map(|m| (m.user_id, m.name)).collect())
}
