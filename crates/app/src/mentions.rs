//! Checking the @mentions of a post before it is saved: a mention the network says does not
//! exist is refused at `text`, with its place, instead of going out as plain text.
//!
//! Which mentions a text holds and how an account is looked up are the network's to say
//! ([`NetworkKind::mentions`], [`NetworkKind::mention_exists`]: on Bluesky a handle resolved
//! on the channel's PDS, on Mastodon an account of the channel's own instance). When the
//! network cannot be asked (unreachable, slow, a server error) the post is accepted: a network
//! having a bad minute must not stop a team from scheduling. The publisher resolves Bluesky
//! mentions again when it sends the post.

use tutti_connector::NetworkKind;
use tutti_domain::InputError;

use crate::AppError;

/// The most distinct mentions checked in one post.
const MAX_CHECKED: usize = 20;

/// Refuses `text` at `text` when one of its mentions names an account the network of a
/// channel at `service` says does not exist.
pub(crate) async fn check(
    network: &dyn NetworkKind,
    outbound: &tutti_addresses::Outbound,
    service: &str,
    text: &str,
) -> Result<(), AppError> {
    let mut seen: Vec<String> = Vec::new();
    for m in network.mentions(text, service) {
        let key = m.account.to_ascii_lowercase();
        if seen.contains(&key) {
            continue;
        }
        if seen.len() >= MAX_CHECKED {
            break;
        }
        seen.push(key);
        if network.mention_exists(outbound, service, &m.account).await == Some(false) {
            let column = text[..m.start].chars().count() + 1;
            return Err(InputError::new(
                "text",
                "mention_unknown",
                format!(
                    "@{} (character {column}) is not an account on {}: check the spelling, or remove the @",
                    tutti_domain::input::clip(&m.account, 80),
                    network.network().name(),
                ),
            )
            .into());
        }
    }
    Ok(())
}
