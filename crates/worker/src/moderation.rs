//! Moderation actions on the networks (D5): hide a reply in the brand's thread, mute, block,
//! report, and undo the first three. They are `inbox.action` jobs, like the inbox's likes and
//! reposts; each is settled with its outcome (what undoes it, or the network's words).

use tracing::{info, warn};
use tutti_app::moderation::NETWORK_ACTIONS;
use tutti_connector::{ConnectorError, PostRef, ReportReason, ReportSubject};
use tutti_domain::ActionStatus;
use tutti_store::{inbox, moderation, publishing, Store, StoreError};

use crate::connectors::Connectors;

/// Whether an action is one this module runs.
pub fn is_moderation(action: &str) -> bool {
    NETWORK_ACTIONS.contains(&action)
}

/// What the network said: `Ok(Err(words))` for a refusal to record, `Err` for a failure worth
/// retrying. A refusal of the channel's credentials is also noted in `refused`, so that the
/// channel is marked (see [`crate::health`]).
fn outcome<T>(
    r: Result<T, ConnectorError>,
    refused: &mut Option<String>,
) -> Result<Result<T, String>, String> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(ConnectorError::Unauthorized(m)) => {
            *refused = Some(m.clone());
            Ok(Err(m))
        }
        Err(ConnectorError::Permanent(m)) => Ok(Err(m)),
        Err(e) => Err(e.to_string()),
    }
}

/// Marks the channel when the network refused its credentials.
async fn mark_if_refused(
    store: &Store,
    connectors: &Connectors,
    channel: &publishing::Channel,
    refused: Option<String>,
) -> Result<(), String> {
    if let Some(words) = refused {
        crate::health::refused(store, connectors, channel, &words).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

struct Target {
    action: inbox::Action,
    item: inbox::Item,
    root: String,
    channel: publishing::Channel,
}

async fn target(store: &Store, id: i64, status: ActionStatus) -> Result<Option<Target>, String> {
    let mut db = store.conn().await.map_err(|e| e.to_string())?;
    let action = match inbox::action_by_id(&mut db, id).await {
        Ok(a) if a.status == status => a,
        Ok(_) | Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let item = inbox::item_by_id(&mut db, action.item_id).await.map_err(|e| e.to_string())?;
    let root =
        inbox::conversation_by_id(&mut db, item.conversation_id).await.map_err(|e| e.to_string())?.root_ref;
    let channel = publishing::channel_by_id(&mut db, action.channel_id).await.map_err(|e| e.to_string())?;
    Ok(Some(Target { action, item, root, channel }))
}

/// The brand's post at the root of the thread, if the root is one of the channel's own posts
/// (only those can have replies hidden).
fn own_root(t: &Target, connectors: &Connectors) -> Result<PostRef, String> {
    let network = connectors.networks().of_channel(t.channel.network, &t.channel.service);
    let own =
        network.and_then(|n| n.is_own_post(t.channel.account_id.as_deref().unwrap_or_default(), &t.root));
    if own == Some(false) {
        return Err(
            "the thread's root is not one of the brand's posts: only its author can hide replies".into()
        );
    }
    Ok(PostRef::id(t.root.clone()))
}

/// Runs a pending hide, mute, block or report.
pub async fn act(store: &Store, connectors: &Connectors, id: i64) -> Result<(), String> {
    let Some(t) = target(store, id, ActionStatus::Pending).await? else { return Ok(()) };
    let client = connectors.get(&t.channel).await?;
    let reply = t.item.post_ref.clone().map(|p| PostRef { id: p, cid: t.item.post_cid.clone() });
    let author = t.item.author_id.clone();
    let mut refused = None;
    let done: Result<Option<String>, String> = match t.action.action.as_str() {
        "hide" => match (own_root(&t, connectors), reply) {
            (Ok(root), Some(reply)) => outcome(client.hide_reply(&root, &reply).await, &mut refused)?
                .map(|()| Some(reply.id.clone())),
            (Err(why), _) => Err(why),
            (_, None) => Err("there is no post to hide".into()),
        },
        "mute" => outcome(client.mute(&author).await, &mut refused)?.map(|()| Some(author.clone())),
        "block" => outcome(client.block(&author).await, &mut refused)?.map(|r| Some(r.id)),
        "report" => {
            let reason = match detail(store, &t).await?.as_str() {
                "spam" => ReportReason::Spam,
                "other" => ReportReason::Other,
                _ => ReportReason::Abusive,
            };
            let subject = match reply {
                Some(post) => ReportSubject::Post { post, author_id: author.clone() },
                None => ReportSubject::Account(author.clone()),
            };
            outcome(
                client.report(&subject, reason, "Reported by the brand's moderation team").await,
                &mut refused,
            )?
            .map(Some)
        }
        _ => return Ok(()),
    };
    let (result, error) = match done {
        Ok(r) => (r, None),
        Err(m) => (None, Some(m)),
    };
    let mut tx = store.begin().await.map_err(|e| e.to_string())?;
    inbox::settle_action(&mut tx, id, result.as_deref(), error.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    mark_if_refused(store, connectors, &t.channel, refused).await?;
    info!(action = id, kind = %t.action.action, failed = error.is_some(), "moderation action done");
    Ok(())
}

async fn detail(store: &Store, t: &Target) -> Result<String, String> {
    let mut db = store.conn().await.map_err(|e| e.to_string())?;
    Ok(moderation::log_entry_by_id(&mut db, t.action.workspace_id, t.action.id)
        .await
        .map(|e| e.detail)
        .unwrap_or_default())
}

/// Undoes a hide, a mute or a block (payload `{"action": id, "undo": true}`).
pub async fn undo(store: &Store, connectors: &Connectors, id: i64) -> Result<(), String> {
    let Some(t) = target(store, id, ActionStatus::Undoing).await? else { return Ok(()) };
    let client = connectors.get(&t.channel).await?;
    let author = t.item.author_id.clone();
    let mut refused = None;
    let done: Result<(), String> = match t.action.action.as_str() {
        "hide" => match (own_root(&t, connectors), t.item.post_ref.clone()) {
            (Ok(root), Some(reply)) => {
                outcome(client.unhide_reply(&root, &PostRef::id(reply)).await, &mut refused)?
            }
            (Err(why), _) => Err(why),
            (_, None) => Err("there is no post to show again".into()),
        },
        "mute" => outcome(client.unmute(&author).await, &mut refused)?,
        "block" => outcome(client.unblock(&author).await, &mut refused)?,
        other => {
            warn!(action = id, kind = other, "this action cannot be undone");
            Err(format!("{other} cannot be undone"))
        }
    };
    let error = done.err();
    let mut tx = store.begin().await.map_err(|e| e.to_string())?;
    moderation::settle_undo(&mut tx, id, error.as_deref()).await.map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    mark_if_refused(store, connectors, &t.channel, refused).await?;
    info!(action = id, kind = %t.action.action, failed = error.is_some(), "moderation action undone");
    Ok(())
}
