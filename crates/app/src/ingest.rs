//! Ingestion: what the worker calls when it has read a channel's notifications. Each one
//! becomes a bounded, enriched item (language, sentiment, toxicity, a suggested feedback
//! category) with its conversation chosen ([`item_of`]); a batch is stored in the caller's
//! transaction with the workspace's moderation rules run on its new items
//! ([`ingest_batch`]). Stored with the channel's cursor in that transaction, a notification
//! read twice is kept once.

use tutti_connector::Networks;
use tutti_domain::{ItemKind, Network};
use tutti_store::inbox::{self, NewItem};
use tutti_store::moderation::Candidate;
use tutti_store::{Db, StoreError};

use crate::text::clean_text;

/// The longest text kept from a network item.
pub const MAX_TEXT_CHARS: usize = 3_000;
/// The longest name or handle kept.
pub const MAX_NAME_CHARS: usize = 200;

/// A notification as read from a network, before it is stored.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    /// The network's id of the notification.
    pub remote_id: String,
    /// reply, mention, quote, repost, like, follow, dm.
    pub kind: ItemKind,
    /// Who: a DID, a Mastodon account id.
    pub author_id: String,
    /// Their handle.
    pub author_handle: String,
    /// Their display name.
    pub author_name: String,
    /// When their account was created, ms, if the network says.
    pub author_since: Option<i64>,
    /// Their post's text.
    pub text: String,
    /// The language the network declares.
    pub lang: Option<String>,
    /// Their post, and its CID.
    pub post: Option<(String, Option<String>)>,
    /// The post it answers.
    pub parent: Option<String>,
    /// The thread's root.
    pub root: Option<String>,
    /// The brand's post a like, a repost or a quote is about.
    pub subject: Option<String>,
    /// When, ms.
    pub at: i64,
}

/// Turns a notification of a channel into the item to store: text cleaned and bounded,
/// enriched, its conversation chosen.
pub fn item_of(workspace_id: i64, channel_id: i64, network: Network, n: &Incoming) -> NewItem {
    let text = clean_text(&n.text, MAX_TEXT_CHARS);
    let e = crate::enrichment::Enrichment::of(&text);
    let category = crate::feedback::suggest(n.kind, &text, e.analysis.sentiment.label);
    let post_ref = n.post.as_ref().map(|(id, _)| id.clone());
    // The thread's root, else the post answered, else the brand's post concerned, else the
    // author's own post; a follow is one conversation per follower. Whose thread it is (the
    // author's, except for likes and reposts) completes the key: `inbox::thread_author`.
    let root_ref = n
        .root
        .clone()
        .or_else(|| n.parent.clone())
        .or_else(|| n.subject.clone())
        .or_else(|| post_ref.clone())
        .unwrap_or_else(|| format!("{}:{}", n.kind, n.author_id));
    NewItem {
        workspace_id,
        channel_id,
        network,
        remote_id: clean_text(&n.remote_id, 500),
        // The brand's own replies are never a network's notification.
        kind: if n.kind == ItemKind::Sent { ItemKind::Mention } else { n.kind },
        root_ref: clean_text(&root_ref, 500),
        author_id: clean_text(&n.author_id, 300),
        author_handle: clean_text(&n.author_handle, MAX_NAME_CHARS),
        author_name: clean_text(&n.author_name, MAX_NAME_CHARS).replace('\n', " "),
        author_since: n.author_since,
        lang: e
            .lang()
            .map(str::to_owned)
            .or_else(|| n.lang.clone())
            .map(|l| clean_text(&l, 12))
            .unwrap_or_default(),
        text,
        sentiment: e.sentiment,
        toxicity: e.toxicity(),
        post_ref,
        post_cid: n.post.as_ref().and_then(|(_, cid)| cid.clone()),
        parent_ref: n.parent.clone(),
        subject_ref: n.subject.clone(),
        created_at: n.at,
        category,
    }
}

/// Stores a batch of a channel's notifications in one transaction; returns the conversations
/// that moved (each once). The workspace's moderation rules run on the new items in the same
/// transaction (see [`ingest_batch_items`]); a rule that replies writes its post with a key
/// of the channel's network, from `networks`.
pub async fn ingest_batch(
    db: &mut Db,
    networks: &Networks,
    items: &[NewItem],
) -> Result<Vec<i64>, StoreError> {
    Ok(ingest_batch_items(db, networks, items).await?.0)
}

/// [`ingest_batch`], also returning the ids of the new items.
pub async fn ingest_batch_items(
    db: &mut Db,
    networks: &Networks,
    items: &[NewItem],
) -> Result<(Vec<i64>, Vec<i64>), StoreError> {
    let stored = inbox::ingest_many(db, items).await?;
    let mut moved = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut candidates = Vec::with_capacity(stored.len());
    for done in &stored {
        if seen.insert(done.conversation_id) {
            moved.push(done.conversation_id);
        }
        let item = &items[done.index];
        candidates.push((
            item.workspace_id,
            Candidate {
                id: done.item_id,
                conversation_id: done.conversation_id,
                channel_id: item.channel_id,
                kind: item.kind,
                person_id: Some(done.person_id),
                author_id: item.author_id.clone(),
                author_handle: item.author_handle.clone(),
                text: item.text.clone(),
                lang: item.lang.clone(),
                toxicity: item.toxicity,
                post_ref: item.post_ref.clone(),
                created_at: item.created_at,
                author_since: item.author_since,
            },
        ));
    }
    crate::moderation::on_ingested(db, networks, &candidates).await?;
    Ok((moved, stored.iter().map(|d| d.item_id).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_hang_on_their_thread_or_on_the_brands_post() {
        let reply = Incoming {
            remote_id: "n1".into(),
            kind: ItemKind::Reply,
            author_id: "did:plc:alice".into(),
            text: "Ma commande n'est jamais arrivée, c'est nul".into(),
            post: Some(("at://alice/post/2".into(), Some("cid2".into()))),
            parent: Some("at://brand/post/1".into()),
            root: Some("at://brand/post/1".into()),
            ..Default::default()
        };
        let item = item_of(1, 2, Network::Bluesky, &reply);
        assert_eq!((item.root_ref.as_str(), item.sentiment.as_str()), ("at://brand/post/1", "neg"));
        let like =
            Incoming { kind: ItemKind::Like, subject: Some("at://brand/post/1".into()), ..reply.clone() };
        assert_eq!(inbox::thread_author(item.kind, &item.author_id), "did:plc:alice", "its author's thread");
        let like_item = item_of(1, 2, Network::Bluesky, &like);
        assert_eq!(like_item.root_ref, "at://brand/post/1");
        assert_eq!(inbox::thread_author(like_item.kind, &like_item.author_id), "", "likes stay together");
        let follow = Incoming { kind: ItemKind::Follow, post: None, parent: None, root: None, ..reply };
        assert_eq!(item_of(1, 2, Network::Bluesky, &follow).root_ref, "follow:did:plc:alice");
    }
}
