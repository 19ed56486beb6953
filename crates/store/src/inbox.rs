//! The inbox: items (what the community did to or said to a channel), grouped into
//! conversations (one person's thread with the brand on one root), linked to people through their network identities; the notification cursor
//! of each channel under a lease; the guard that keeps two people from replying at once.

use std::collections::{HashMap, HashSet};

use sqlx::Row;
use tutti_domain::{ActionStatus, ConversationStatus, ItemKind, Network, Sentiment};

use crate::{Db, Marks, Result};

/// The kinds of item that ask for an answer.
pub const ANSWERABLE: [ItemKind; 4] = ItemKind::ANSWERABLE;

/// [`ANSWERABLE`] as an SQL list, for `kind IN …` (a test keeps the two the same).
pub(crate) const ANSWERABLE_SQL: &str = "('reply', 'mention', 'quote', 'dm')";

/// An item to store, as the ingestion read it from a network (already bounded and enriched).
#[derive(Debug, Clone)]
pub struct NewItem {
    /// Its workspace.
    pub workspace_id: i64,
    /// The channel whose notification it is.
    pub channel_id: i64,
    /// `bluesky` or `mastodon`.
    pub network: Network,
    /// The network's id of the notification.
    pub remote_id: String,
    /// reply, mention, quote, repost, like, follow, dm.
    pub kind: ItemKind,
    /// What its conversation hangs on (a post id, `follow:<author>`).
    pub root_ref: String,
    /// Who: a DID, a Mastodon account id.
    pub author_id: String,
    /// Their handle.
    pub author_handle: String,
    /// Their display name.
    pub author_name: String,
    /// When their account was created, ms, if the network says.
    pub author_since: Option<i64>,
    /// The text of their post.
    pub text: String,
    /// Its language.
    pub lang: String,
    /// pos, neu, neg.
    pub sentiment: Sentiment,
    /// 0 to 1.
    pub toxicity: f64,
    /// Their post.
    pub post_ref: Option<String>,
    /// Its CID (Bluesky).
    pub post_cid: Option<String>,
    /// The post it answers.
    pub parent_ref: Option<String>,
    /// The brand's post a like, repost or quote is about.
    pub subject_ref: Option<String>,
    /// When the network recorded it, ms.
    pub created_at: i64,
    /// The suggested product-feedback category (empty when none).
    pub category: String,
}

/// What storing one item of a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    /// Its position in the batch.
    pub index: usize,
    /// Its conversation.
    pub conversation_id: i64,
    /// The item.
    pub item_id: i64,
    /// The person who wrote it.
    pub person_id: i64,
}

/// Rows per multi-row statement: 400 rows of at most 21 columns stay far below the bound
/// parameters either engine accepts.
const ROWS_PER_STATEMENT: usize = 400;

/// On SQLite, the id the next row of `table` gets: the writer holds the database's only write
/// lock for the whole transaction, so a batch can number its rows itself (as SQLite would:
/// one more than the largest) instead of streaming each id back with `RETURNING`, which costs
/// a hand-over between threads per row. `None` on PostgreSQL, whose sequences number rows.
async fn first_new_id(db: &mut Db, table: &str) -> Result<Option<i64>> {
    if db.backend_name() != "SQLite" {
        return Ok(None);
    }
    let max: Option<i64> =
        sqlx::query_scalar(&format!("SELECT MAX(id) FROM {table}")).fetch_one(&mut *db).await?;
    Ok(Some(max.unwrap_or(0) + 1))
}

/// A row that a `RETURNING` clause should have given back and did not.
fn missing(what: &str) -> crate::StoreError {
    crate::StoreError::Other(sqlx::Error::Protocol(format!("{what} was not returned by the database")))
}

/// Stores a batch of items, each once, in a few statements whatever its size: an item the
/// channel already has (or that comes twice in the batch) is skipped. Returns what was stored,
/// in the batch's order.
///
/// Each item's person is found through its identity or created on first sight (their handle
/// and name refreshed, their interactions counted). Its conversation (one per channel, root
/// and thread author: one person's thread with the brand) is created or brought up to date as
/// if the items came one by one: an answerable item reopens it and marks it
/// unanswered, and the latest answerable item gives it its person, kind, excerpt and
/// sentiment; a like, a repost or a follow only adds to it (a conversation of those alone
/// starts closed: there is nothing to answer).
pub async fn ingest_many(db: &mut Db, items: &[NewItem]) -> Result<Vec<Ingested>> {
    let fresh = not_yet_stored(db, items).await?;
    if fresh.is_empty() {
        return Ok(Vec::new());
    }
    let persons = people_of(db, items, &fresh).await?;
    let conversations = upsert_conversations(db, items, &fresh, &persons).await?;
    let mut out = Vec::with_capacity(fresh.len());
    for (chunk, chunk_persons) in fresh.chunks(ROWS_PER_STATEMENT).zip(persons.chunks(ROWS_PER_STATEMENT)) {
        let now = crate::now_ms();
        let first = first_new_id(db, "inbox_items").await?;
        let sql = format!(
            "INSERT INTO inbox_items ({}workspace_id, channel_id, conversation_id, remote_id, kind, person_id, author_id, \
               author_handle, author_name, text, lang, sentiment, toxicity, post_ref, post_cid, parent_ref, subject_ref, \
               created_at, received_at, category, author_since) VALUES {}{}",
            if first.is_some() { "id, " } else { "" },
            Marks::of(db).tuples(chunk.len(), 21 + usize::from(first.is_some())),
            if first.is_some() { "" } else { " RETURNING id, channel_id, remote_id" },
        );
        let mut q = sqlx::query(&sql);
        for (k, (&i, &person_id)) in chunk.iter().zip(chunk_persons).enumerate() {
            let item = &items[i];
            if let Some(first) = first {
                q = q.bind(first + k as i64);
            }
            q = q
                .bind(item.workspace_id)
                .bind(item.channel_id)
                .bind(conversations[&key_of(item)])
                .bind(&item.remote_id)
                .bind(item.kind.as_str())
                .bind(person_id)
                .bind(&item.author_id)
                .bind(&item.author_handle)
                .bind(&item.author_name)
                .bind(&item.text)
                .bind(&item.lang)
                .bind(item.sentiment.as_str())
                .bind(item.toxicity)
                .bind(&item.post_ref)
                .bind(&item.post_cid)
                .bind(&item.parent_ref)
                .bind(&item.subject_ref)
                .bind(item.created_at)
                .bind(now)
                .bind(&item.category)
                .bind(item.author_since);
        }
        let mut ids: HashMap<(i64, String), i64> = HashMap::with_capacity(chunk.len());
        if first.is_some() {
            q.execute(&mut *db).await?;
        } else {
            for row in q.fetch_all(&mut *db).await? {
                ids.insert((row.try_get("channel_id")?, row.try_get("remote_id")?), row.try_get("id")?);
            }
        }
        for (k, (&i, &person_id)) in chunk.iter().zip(chunk_persons).enumerate() {
            let item = &items[i];
            let item_id = match first {
                Some(first) => first + k as i64,
                None => *ids
                    .get(&(item.channel_id, item.remote_id.clone()))
                    .ok_or_else(|| missing("an inserted item"))?,
            };
            out.push(Ingested {
                index: i,
                conversation_id: conversations[&key_of(item)],
                item_id,
                person_id,
            });
        }
    }
    Ok(out)
}

/// The positions of the items to store: those their channel does not have yet, the first of
/// each in the batch.
async fn not_yet_stored(db: &mut Db, items: &[NewItem]) -> Result<Vec<usize>> {
    let mut by_channel: HashMap<i64, Vec<&str>> = HashMap::new();
    for item in items {
        by_channel.entry(item.channel_id).or_default().push(&item.remote_id);
    }
    let mut stored: HashSet<(i64, String)> = HashSet::new();
    for (channel_id, remote_ids) in by_channel {
        for chunk in remote_ids.chunks(ROWS_PER_STATEMENT) {
            let mut m = Marks::of(db);
            let sql = format!(
                "SELECT remote_id FROM inbox_items WHERE channel_id = {} AND remote_id IN ({})",
                m.one(),
                m.list(chunk.len())
            );
            let mut q = sqlx::query_scalar::<_, String>(&sql).bind(channel_id);
            for id in chunk {
                q = q.bind(*id);
            }
            for id in q.fetch_all(&mut *db).await? {
                stored.insert((channel_id, id));
            }
        }
    }
    let mut seen: HashSet<(i64, &str)> = HashSet::new();
    Ok((0..items.len())
        .filter(|&i| {
            let item = &items[i];
            !stored.contains(&(item.channel_id, item.remote_id.clone()))
                && seen.insert((item.channel_id, &item.remote_id))
        })
        .collect())
}

/// What a batch says of one network identity.
struct Sighting<'a> {
    items: i64,
    first_at: i64,
    last_at: i64,
    handle: &'a str,
    name: &'a str,
}

/// The person of each of `fresh`'s items (in its order): found through their identity, or
/// created with it (their first and last sighting and their count of items set from the
/// batch). Known people are only read: a changed handle or name is written, and their count
/// of items and last sighting are brought up to date by the community refresh
/// (`people::refresh_scores`), so that a batch does not rewrite a row and an index entry of
/// every known person it meets.
async fn people_of(db: &mut Db, items: &[NewItem], fresh: &[usize]) -> Result<Vec<i64>> {
    type Key<'a> = (i64, &'a str, &'a str);
    let mut order: Vec<Key> = Vec::new();
    let mut sightings: HashMap<Key, Sighting> = HashMap::new();
    for &i in fresh {
        let item = &items[i];
        let key = (item.workspace_id, item.network.as_str(), item.author_id.as_str());
        let s = sightings.entry(key).or_insert_with(|| {
            order.push(key);
            Sighting { items: 0, first_at: item.created_at, last_at: item.created_at, handle: "", name: "" }
        });
        s.items += 1;
        s.first_at = s.first_at.min(item.created_at);
        s.last_at = s.last_at.max(item.created_at);
        s.handle = &item.author_handle;
        if !item.author_name.is_empty() {
            s.name = &item.author_name;
        }
    }
    // Who is known already: their person, handle and name.
    let mut known: HashMap<Key, (i64, String, String)> = HashMap::new();
    let mut groups: HashMap<(i64, &str), Vec<&str>> = HashMap::new();
    for &(ws, network, author) in &order {
        groups.entry((ws, network)).or_default().push(author);
    }
    for ((ws, network), authors) in groups {
        for chunk in authors.chunks(ROWS_PER_STATEMENT) {
            let mut m = Marks::of(db);
            let sql = format!(
                "SELECT i.author_id, i.person_id, i.handle, p.display_name FROM person_identities i \
                 JOIN people p ON p.id = i.person_id \
                 WHERE i.workspace_id = {} AND i.network = {} AND i.author_id IN ({})",
                m.one(),
                m.one(),
                m.list(chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(ws).bind(network);
            for a in chunk {
                q = q.bind(*a);
            }
            let asked: HashSet<&str> = chunk.iter().copied().collect();
            for row in q.fetch_all(&mut *db).await? {
                let author: String = row.try_get("author_id")?;
                if let Some(&a) = asked.get(author.as_str()) {
                    known.insert(
                        (ws, network, a),
                        (row.try_get("person_id")?, row.try_get("handle")?, row.try_get("display_name")?),
                    );
                }
            }
        }
    }
    // Known people: only what changed (a handle, a name; the latest sighting's wins), in one
    // statement per chunk whatever the number of changes.
    let mut rehandled: Vec<(Key, &str)> = Vec::new();
    let mut renamed: HashMap<i64, &str> = HashMap::new();
    for key in &order {
        let Some((person_id, handle, name)) = known.get(key) else { continue };
        let s = &sightings[key];
        if handle != s.handle {
            rehandled.push((*key, s.handle));
        }
        if !s.name.is_empty() && s.name != name {
            renamed.insert(*person_id, s.name);
        }
    }
    for chunk in rehandled.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "WITH v (workspace_id, network, author_id, handle) AS (VALUES {}) \
             UPDATE person_identities SET handle = (SELECT v.handle FROM v WHERE v.workspace_id = person_identities.workspace_id \
               AND v.network = person_identities.network AND v.author_id = person_identities.author_id) \
             WHERE (workspace_id, network, author_id) IN (SELECT workspace_id, network, author_id FROM v)",
            Marks::of(db).tuples(chunk.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for ((ws, network, author), handle) in chunk {
            q = q.bind(*ws).bind(*network).bind(*author).bind(*handle);
        }
        q.execute(&mut *db).await?;
    }
    let renamed: Vec<(i64, &str)> = renamed.into_iter().collect();
    for chunk in renamed.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "WITH v (id, display_name) AS (VALUES {}) \
             UPDATE people SET display_name = (SELECT v.display_name FROM v WHERE v.id = people.id) \
             WHERE id IN (SELECT id FROM v)",
            Marks::of(db).tuples(chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (person_id, name) in chunk {
            q = q.bind(*person_id).bind(*name);
        }
        q.execute(&mut *db).await?;
    }
    // New people, with their identity.
    let new: Vec<Key> = order.iter().filter(|k| !known.contains_key(*k)).copied().collect();
    let mut created: HashMap<Key, i64> = HashMap::with_capacity(new.len());
    for chunk in new.chunks(ROWS_PER_STATEMENT) {
        let now = crate::now_ms();
        let first = first_new_id(db, "people").await?;
        let sql = format!(
            "INSERT INTO people ({}workspace_id, display_name, interactions, first_seen_at, last_seen_at, created_at) \
             VALUES {}{}",
            if first.is_some() { "id, " } else { "" },
            Marks::of(db).tuples(chunk.len(), 6 + usize::from(first.is_some())),
            if first.is_some() { "" } else { " RETURNING id" },
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for (k, key) in chunk.iter().enumerate() {
            let s = &sightings[key];
            let display = if s.name.is_empty() { s.handle } else { s.name };
            if let Some(first) = first {
                q = q.bind(first + k as i64);
            }
            q = q.bind(key.0).bind(display).bind(s.items).bind(s.first_at).bind(s.last_at).bind(now);
        }
        let ids = match first {
            Some(first) => {
                q.fetch_all(&mut *db).await?;
                (0..chunk.len()).map(|k| first + k as i64).collect()
            }
            None => {
                // PostgreSQL numbers the rows of one INSERT … VALUES in the order of the list.
                let mut ids = q.fetch_all(&mut *db).await?;
                ids.sort_unstable();
                ids
            }
        };
        if ids.len() != chunk.len() {
            return Err(missing("a new person"));
        }
        let sql = format!(
            "INSERT INTO person_identities (workspace_id, person_id, network, author_id, handle) VALUES {}",
            Marks::of(db).tuples(chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for (key, id) in chunk.iter().zip(&ids) {
            q = q.bind(key.0).bind(*id).bind(key.1).bind(key.2).bind(sightings[key].handle);
            created.insert(*key, *id);
        }
        q.execute(&mut *db).await?;
    }
    Ok(fresh
        .iter()
        .map(|&i| {
            let item = &items[i];
            let key = (item.workspace_id, item.network.as_str(), item.author_id.as_str());
            known.get(&key).map(|k| k.0).unwrap_or_else(|| created[&key])
        })
        .collect())
}

/// What tells a conversation apart: its channel, its root and whose thread it is.
type ConversationKey<'a> = (i64, &'a str, &'a str);

fn key_of(item: &NewItem) -> ConversationKey<'_> {
    (item.channel_id, item.root_ref.as_str(), thread_author(item.kind, &item.author_id))
}

/// Whose thread with the brand an item of `kind` by `author_id` belongs to, the third part of
/// its conversation's key (with its channel and root): its author's, except the likes and
/// reposts of a post, which stay together (empty).
pub fn thread_author(kind: ItemKind, author_id: &str) -> &str {
    if matches!(kind, ItemKind::Like | ItemKind::Repost) {
        ""
    } else {
        author_id
    }
}

/// Creates or brings up to date the conversation of each of `fresh`'s items, one row per
/// conversation whatever the number of its items in the batch; returns each one's id by
/// `(channel, root, thread author)`.
async fn upsert_conversations<'a>(
    db: &mut Db,
    items: &'a [NewItem],
    fresh: &[usize],
    persons: &[i64],
) -> Result<HashMap<ConversationKey<'a>, i64>> {
    /// One conversation's share of the batch.
    struct Share {
        /// Its item that speaks for it: the latest answerable one, else the first.
        lead: usize,
        answerable: bool,
        items: i64,
        first_at: i64,
        last_at: i64,
        toxicity: f64,
    }
    let mut order: Vec<ConversationKey> = Vec::new();
    let mut shares: HashMap<ConversationKey, Share> = HashMap::new();
    for (k, &i) in fresh.iter().enumerate() {
        let item = &items[i];
        let answerable = item.kind.is_answerable();
        let key = key_of(item);
        match shares.get_mut(&key) {
            None => {
                order.push(key);
                shares.insert(
                    key,
                    Share {
                        lead: k,
                        answerable,
                        items: 1,
                        first_at: item.created_at,
                        last_at: item.created_at,
                        toxicity: item.toxicity,
                    },
                );
            }
            Some(s) => {
                s.items += 1;
                s.first_at = s.first_at.min(item.created_at);
                s.last_at = s.last_at.max(item.created_at);
                if answerable {
                    s.toxicity = if s.answerable { s.toxicity.max(item.toxicity) } else { item.toxicity };
                    s.lead = k;
                    s.answerable = true;
                }
            }
        }
    }
    let mut ids = HashMap::with_capacity(order.len());
    for chunk in order.chunks(ROWS_PER_STATEMENT) {
        let now = crate::now_ms();
        let sql = format!(
            "INSERT INTO conversations (workspace_id, channel_id, root_ref, author_id, person_id, kind, excerpt, sentiment, \
               lang, toxicity, status, unanswered, items, first_item_at, last_item_at, touched_at) VALUES {} \
             ON CONFLICT (channel_id, root_ref, author_id) DO UPDATE SET \
               items = conversations.items + excluded.items, touched_at = excluded.touched_at, \
               last_item_at = CASE WHEN excluded.last_item_at > conversations.last_item_at THEN excluded.last_item_at ELSE conversations.last_item_at END, \
               person_id = CASE WHEN excluded.unanswered = 1 THEN excluded.person_id ELSE conversations.person_id END, \
               kind = CASE WHEN excluded.unanswered = 1 THEN excluded.kind ELSE conversations.kind END, \
               excerpt = CASE WHEN excluded.unanswered = 1 THEN excluded.excerpt ELSE conversations.excerpt END, \
               sentiment = CASE WHEN excluded.unanswered = 1 THEN excluded.sentiment ELSE conversations.sentiment END, \
               lang = CASE WHEN excluded.unanswered = 1 THEN excluded.lang ELSE conversations.lang END, \
               toxicity = CASE WHEN excluded.unanswered = 1 AND excluded.toxicity > conversations.toxicity THEN excluded.toxicity ELSE conversations.toxicity END, \
               unanswered = CASE WHEN excluded.unanswered = 1 THEN 1 ELSE conversations.unanswered END, \
               status = CASE WHEN excluded.unanswered = 1 THEN 'open' ELSE conversations.status END, \
               resolved_at = CASE WHEN excluded.unanswered = 1 THEN NULL ELSE conversations.resolved_at END \
             RETURNING id, channel_id, root_ref, author_id",
            Marks::of(db).tuples(chunk.len(), 16)
        );
        let mut q = sqlx::query(&sql);
        for key in chunk {
            let s = &shares[key];
            let lead = &items[fresh[s.lead]];
            let excerpt: String = lead.text.chars().take(280).collect();
            q = q
                .bind(lead.workspace_id)
                .bind(key.0)
                .bind(key.1)
                .bind(key.2)
                .bind(persons[s.lead])
                .bind(lead.kind.as_str())
                .bind(excerpt)
                .bind(lead.sentiment.as_str())
                .bind(lead.lang.as_str())
                .bind(s.toxicity)
                .bind(
                    if s.answerable { ConversationStatus::Open } else { ConversationStatus::Closed }.as_str(),
                )
                .bind(i64::from(s.answerable))
                .bind(s.items)
                .bind(s.first_at)
                .bind(s.last_at)
                .bind(now);
        }
        let mut returned: HashMap<(i64, String, String), i64> = HashMap::with_capacity(chunk.len());
        for row in q.fetch_all(&mut *db).await? {
            returned.insert(
                (row.try_get("channel_id")?, row.try_get("root_ref")?, row.try_get("author_id")?),
                row.try_get("id")?,
            );
        }
        for &key in chunk {
            let id = returned
                .get(&(key.0, key.1.to_owned(), key.2.to_owned()))
                .ok_or_else(|| missing("a conversation"))?;
            ids.insert(key, *id);
        }
    }
    Ok(ids)
}

/// A conversation as the inbox lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Conversation {
    /// Stable identifier.
    pub id: i64,
    /// Its workspace.
    pub workspace_id: i64,
    /// The channel it happens on.
    pub channel_id: i64,
    /// What it hangs on.
    pub root_ref: String,
    /// Whose thread with the brand it is: the network id of its person (empty for the likes
    /// and reposts of a post).
    pub author_id: String,
    /// The person of its latest answerable item.
    pub person_id: Option<i64>,
    /// Their display name.
    pub person_name: String,
    /// The kind of its latest answerable item (or its first item).
    pub kind: ItemKind,
    /// That item's text, cut.
    pub excerpt: String,
    /// Its sentiment.
    pub sentiment: Sentiment,
    /// Its language.
    pub lang: String,
    /// The highest toxicity seen.
    pub toxicity: f64,
    /// open, pending, closed.
    pub status: ConversationStatus,
    /// 0 (normal) to 3 (urgent).
    pub priority: i64,
    /// Who handles it.
    pub assignee_user_id: Option<i64>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Whether the community's latest word has no answer.
    pub unanswered: bool,
    /// Items so far.
    pub items: i64,
    /// When it started, ms.
    pub first_item_at: i64,
    /// When it last moved, ms.
    pub last_item_at: i64,
    /// When the brand first answered, ms.
    pub first_response_at: Option<i64>,
    /// When it was closed, ms.
    pub resolved_at: Option<i64>,
    /// Who is writing a reply, until when.
    pub replying: Option<(i64, i64)>,
}

const CONVERSATION_COLUMNS: &str = "c.id, c.workspace_id, c.channel_id, c.root_ref, c.author_id, c.person_id, \
    COALESCE(p.display_name, '') AS person_name, c.kind, c.excerpt, c.sentiment, c.lang, c.toxicity, c.status, \
    c.priority, c.assignee_user_id, c.tags, c.unanswered, c.items, c.first_item_at, c.last_item_at, \
    c.first_response_at, c.resolved_at, c.replying_user_id, c.replying_until";

fn conversation(r: &sqlx::any::AnyRow) -> Result<Conversation> {
    let tags: String = r.try_get("tags")?;
    let unanswered: i64 = r.try_get("unanswered")?;
    let replying = match (
        r.try_get::<Option<i64>, _>("replying_user_id")?,
        r.try_get::<Option<i64>, _>("replying_until")?,
    ) {
        (Some(u), Some(until)) => Some((u, until)),
        _ => None,
    };
    Ok(Conversation {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        channel_id: r.try_get("channel_id")?,
        root_ref: r.try_get("root_ref")?,
        author_id: r.try_get("author_id")?,
        person_id: r.try_get("person_id")?,
        person_name: r.try_get("person_name")?,
        kind: crate::word(r, "kind")?,
        excerpt: r.try_get("excerpt")?,
        sentiment: crate::word(r, "sentiment")?,
        lang: r.try_get("lang")?,
        toxicity: r.try_get("toxicity")?,
        status: crate::word(r, "status")?,
        priority: r.try_get("priority")?,
        assignee_user_id: r.try_get("assignee_user_id")?,
        tags: tags.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        unanswered: unanswered != 0,
        items: r.try_get("items")?,
        first_item_at: r.try_get("first_item_at")?,
        last_item_at: r.try_get("last_item_at")?,
        first_response_at: r.try_get("first_response_at")?,
        resolved_at: r.try_get("resolved_at")?,
        replying,
    })
}

/// The filters of the inbox list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// open, pending, closed.
    pub status: Option<ConversationStatus>,
    /// A channel.
    pub channel_id: Option<i64>,
    /// The kind of the latest item.
    pub kind: Option<ItemKind>,
    /// pos, neu, neg.
    pub sentiment: Option<Sentiment>,
    /// A language code.
    pub lang: Option<String>,
    /// A tag.
    pub tag: Option<String>,
    /// `Some(Some(id))` assigned to that person, `Some(None)` assigned to no one.
    pub assignee: Option<Option<i64>>,
    /// Only those with no answer yet.
    pub unanswered: bool,
    /// A person.
    pub person_id: Option<i64>,
}

/// A page of a workspace's conversations, latest first; `before` is the `(last_item_at, id)`
/// of the last one of the previous page.
pub async fn list(
    db: &mut Db,
    workspace_id: i64,
    f: &Filter,
    before: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<Conversation>> {
    let mut sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations c LEFT JOIN people p ON p.id = c.person_id WHERE c.workspace_id = $1"
    );
    let mut n = 1;
    let mut next = |sql: &mut String, clause: &str| {
        n += 1;
        sql.push_str(&clause.replace('?', &format!("${n}")));
    };
    if f.status.is_some() {
        next(&mut sql, " AND c.status = ?");
    }
    if f.channel_id.is_some() {
        next(&mut sql, " AND c.channel_id = ?");
    }
    if f.kind.is_some() {
        next(&mut sql, " AND c.kind = ?");
    }
    if f.sentiment.is_some() {
        next(&mut sql, " AND c.sentiment = ?");
    }
    if f.lang.is_some() {
        next(&mut sql, " AND c.lang = ?");
    }
    if f.tag.is_some() {
        next(&mut sql, " AND c.tags LIKE ?");
    }
    match f.assignee {
        Some(Some(_)) => next(&mut sql, " AND c.assignee_user_id = ?"),
        Some(None) => sql.push_str(" AND c.assignee_user_id IS NULL"),
        None => {}
    }
    if f.unanswered {
        sql.push_str(" AND c.unanswered = 1");
    }
    if f.person_id.is_some() {
        next(&mut sql, " AND c.person_id = ?");
    }
    if before.is_some() {
        n += 1;
        let a = n;
        n += 1;
        sql.push_str(&format!(" AND (c.last_item_at < ${a} OR (c.last_item_at = ${a} AND c.id < ${n}))"));
    }
    n += 1;
    sql.push_str(&format!(" ORDER BY c.last_item_at DESC, c.id DESC LIMIT ${n}"));
    let mut q = sqlx::query(&sql).bind(workspace_id);
    if let Some(s) = f.status {
        q = q.bind(s.as_str());
    }
    if let Some(c) = f.channel_id {
        q = q.bind(c);
    }
    if let Some(k) = f.kind {
        q = q.bind(k.as_str());
    }
    if let Some(s) = f.sentiment {
        q = q.bind(s.as_str());
    }
    if let Some(l) = &f.lang {
        q = q.bind(l);
    }
    if let Some(t) = &f.tag {
        q = q.bind(format!("%,{t},%"));
    }
    if let Some(Some(a)) = f.assignee {
        q = q.bind(a);
    }
    if let Some(p) = f.person_id {
        q = q.bind(p);
    }
    if let Some((at, id)) = before {
        q = q.bind(at).bind(id);
    }
    let rows = q.bind(limit).fetch_all(db).await?;
    rows.iter().map(conversation).collect()
}

/// One conversation.
pub async fn conversation_by_id(db: &mut Db, id: i64) -> Result<Conversation> {
    let row = sqlx::query(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations c LEFT JOIN people p ON p.id = c.person_id WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_one(db)
    .await?;
    conversation(&row)
}

/// An item of a conversation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Item {
    /// Stable identifier.
    pub id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// reply, mention, quote, repost, like, follow, dm, sent.
    pub kind: ItemKind,
    /// The person who wrote it (none for the brand's own).
    pub person_id: Option<i64>,
    /// Their network id.
    pub author_id: String,
    /// Their handle.
    pub author_handle: String,
    /// Their display name.
    pub author_name: String,
    /// The text.
    pub text: String,
    /// Its language.
    pub lang: String,
    /// pos, neu, neg.
    pub sentiment: Sentiment,
    /// 0 to 1.
    pub toxicity: f64,
    /// Their post.
    pub post_ref: Option<String>,
    /// Its CID.
    pub post_cid: Option<String>,
    /// What it answers.
    pub parent_ref: Option<String>,
    /// The brand's post it is about.
    pub subject_ref: Option<String>,
    /// For the brand's replies: the post that carries it.
    pub post_id: Option<i64>,
    /// When, ms.
    pub created_at: i64,
    /// Its product-feedback category (complaint, bug, feature, question, praise; empty when
    /// none).
    pub category: String,
    /// Whether a person confirmed it (else it is a suggestion).
    pub category_confirmed: bool,
    /// For the brand's replies: the item of the conversation it answers.
    pub answers_item_id: Option<i64>,
}

/// The items of a conversation, oldest first.
pub async fn items_of(db: &mut Db, conversation_id: i64) -> Result<Vec<Item>> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM inbox_items WHERE conversation_id = $1 ORDER BY created_at, id LIMIT 500"
    ))
    .bind(conversation_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(item).collect()
}

const ITEM_COLUMNS: &str =
    "id, conversation_id, kind, person_id, author_id, author_handle, author_name, text, lang, \
    sentiment, toxicity, post_ref, post_cid, parent_ref, subject_ref, post_id, created_at, category, \
    category_confirmed, answers_item_id";

fn item(r: &sqlx::any::AnyRow) -> Result<Item> {
    Ok(Item {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        kind: crate::word(r, "kind")?,
        person_id: r.try_get("person_id")?,
        author_id: r.try_get("author_id")?,
        author_handle: r.try_get("author_handle")?,
        author_name: r.try_get("author_name")?,
        text: r.try_get("text")?,
        lang: r.try_get("lang")?,
        sentiment: crate::word(r, "sentiment")?,
        toxicity: r.try_get("toxicity")?,
        post_ref: r.try_get("post_ref")?,
        post_cid: r.try_get("post_cid")?,
        parent_ref: r.try_get("parent_ref")?,
        subject_ref: r.try_get("subject_ref")?,
        post_id: r.try_get("post_id")?,
        created_at: r.try_get("created_at")?,
        category: r.try_get("category")?,
        category_confirmed: r.try_get::<i64, _>("category_confirmed")? != 0,
        answers_item_id: r.try_get("answers_item_id")?,
    })
}

/// Changes a conversation's status (closing stamps `resolved_at`); returns whether it existed
/// in the workspace.
pub async fn set_status(
    db: &mut Db,
    workspace_id: i64,
    id: i64,
    status: ConversationStatus,
    now: i64,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE conversations SET status = $1, resolved_at = CASE WHEN $1 = 'closed' THEN $2 ELSE NULL END, \
         touched_at = $2 WHERE id = $3 AND workspace_id = $4",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(id)
    .bind(workspace_id)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Sets one column of a workspace's conversation and touches it, so that open inboxes hear it
/// moved; whether it was there.
async fn set_conversation<T>(db: &mut Db, workspace_id: i64, id: i64, column: &str, value: T) -> Result<bool>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
{
    let sql = format!(
        "UPDATE conversations SET {column} = $1, touched_at = $4 WHERE id = $2 AND workspace_id = $3"
    );
    let n = sqlx::query(&sql)
        .bind(value)
        .bind(id)
        .bind(workspace_id)
        .bind(crate::now_ms())
        .execute(db)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Assigns a conversation (none to unassign).
pub async fn assign(db: &mut Db, workspace_id: i64, id: i64, user: Option<i64>) -> Result<bool> {
    set_conversation(db, workspace_id, id, "assignee_user_id", user).await
}

/// Replaces a conversation's tags (stored `,a,b,` so that one tag is found with `LIKE`).
pub async fn set_tags(db: &mut Db, workspace_id: i64, id: i64, tags: &[String]) -> Result<bool> {
    let stored = if tags.is_empty() { String::new() } else { format!(",{},", tags.join(",")) };
    set_conversation(db, workspace_id, id, "tags", stored).await
}

/// Sets a conversation's priority.
pub async fn set_priority(db: &mut Db, workspace_id: i64, id: i64, priority: i64) -> Result<bool> {
    set_conversation(db, workspace_id, id, "priority", priority).await
}

/// Takes the right to reply to a conversation until `until`: granted when no one else holds
/// it (or their hold ran out). Returns the other person holding it when refused.
pub async fn claim_reply(db: &mut Db, id: i64, user: i64, now: i64, until: i64) -> Result<Option<i64>> {
    let n = sqlx::query(
        "UPDATE conversations SET replying_user_id = $1, replying_until = $2 \
         WHERE id = $3 AND (replying_user_id IS NULL OR replying_user_id = $1 OR replying_until < $4)",
    )
    .bind(user)
    .bind(until)
    .bind(id)
    .bind(now)
    .execute(&mut *db)
    .await?
    .rows_affected();
    if n == 1 {
        return Ok(None);
    }
    Ok(sqlx::query_scalar("SELECT replying_user_id FROM conversations WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await?)
}

/// Records the brand's reply (carried by `post_id`) in its conversation: answered, pending,
/// the first response time kept, the reply guard released.
pub async fn add_sent(
    db: &mut Db,
    c: &Conversation,
    post_id: i64,
    author: &str,
    text: &str,
    parent_ref: &str,
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO inbox_items (workspace_id, channel_id, conversation_id, remote_id, kind, author_name, text, \
           parent_ref, post_id, created_at, received_at) \
         VALUES ($1, $2, $3, $4, 'sent', $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(c.workspace_id)
    .bind(c.channel_id)
    .bind(c.id)
    .bind(format!("post:{post_id}"))
    .bind(author)
    .bind(text)
    .bind(parent_ref)
    .bind(post_id)
    .bind(now)
    .fetch_one(&mut *db)
    .await?;
    sqlx::query(
        "UPDATE conversations SET unanswered = 0, status = 'pending', items = items + 1, touched_at = $1, \
         first_response_at = COALESCE(first_response_at, $1), replying_user_id = NULL, replying_until = NULL \
         WHERE id = $2",
    )
    .bind(now)
    .bind(c.id)
    .execute(db)
    .await?;
    Ok(id)
}

/// Records which item of its conversation a reply of the brand (`sent_id`, from [`add_sent`])
/// answers.
pub async fn set_answers(db: &mut Db, sent_id: i64, item_id: i64) -> Result<()> {
    sqlx::query("UPDATE inbox_items SET answers_item_id = $1 WHERE id = $2 AND kind = 'sent'")
        .bind(item_id)
        .bind(sent_id)
        .execute(db)
        .await?;
    Ok(())
}

/// The id of the workspace's published post that is one of `refs` (network ids), the first
/// found in their order: the brand's post a conversation answers, when Tutti published it.
pub async fn brand_post_id(db: &mut Db, workspace_id: i64, refs: &[&str]) -> Result<Option<i64>> {
    for r in refs {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM posts WHERE workspace_id = $1 AND remote_id = $2 ORDER BY id LIMIT 1",
        )
        .bind(workspace_id)
        .bind(*r)
        .fetch_optional(&mut *db)
        .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The workspace's conversations Tutti changed after `since` (ms), latest first, at most `limit`:
/// what the live inbox adds.
pub async fn moved_since(db: &mut Db, workspace_id: i64, since: i64, limit: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM conversations WHERE workspace_id = $1 AND touched_at > $2 ORDER BY touched_at DESC LIMIT $3",
    )
    .bind(workspace_id)
    .bind(since)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Takes the lease on a channel's notifications for `owner` until `now + lease_ms`: the stored
/// cursor (`Some(None)` before the first read), or `None` while another process holds it.
pub async fn claim_cursor(
    db: &mut Db,
    channel_id: i64,
    owner: &str,
    now: i64,
    lease_ms: i64,
) -> Result<Option<Option<String>>> {
    sqlx::query("INSERT INTO inbox_cursors (channel_id, updated_at) VALUES ($1, $2) ON CONFLICT (channel_id) DO NOTHING")
        .bind(channel_id)
        .bind(now)
        .execute(&mut *db)
        .await?;
    let n = sqlx::query(
        "UPDATE inbox_cursors SET lease_owner = $1, lease_until = $2 \
         WHERE channel_id = $3 AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until < $4)",
    )
    .bind(owner)
    .bind(now + lease_ms)
    .bind(channel_id)
    .bind(now)
    .execute(&mut *db)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(None);
    }
    let cursor: Option<String> = sqlx::query_scalar("SELECT cursor FROM inbox_cursors WHERE channel_id = $1")
        .bind(channel_id)
        .fetch_one(db)
        .await?;
    Ok(Some(cursor))
}

/// Saves a channel's cursor, if `owner` still holds the lease; returns whether it did.
pub async fn save_cursor(
    db: &mut Db,
    channel_id: i64,
    owner: &str,
    cursor: Option<&str>,
    error: Option<&str>,
    now: i64,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE inbox_cursors SET cursor = COALESCE($1, cursor), last_error = $2, polled_at = $3, updated_at = $3 \
         WHERE channel_id = $4 AND lease_owner = $5",
    )
    .bind(cursor)
    .bind(error)
    .bind(now)
    .bind(channel_id)
    .bind(owner)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// An action on the network asked from the inbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Action {
    /// Stable identifier.
    pub id: i64,
    /// Its workspace.
    pub workspace_id: i64,
    /// The item acted on.
    pub item_id: i64,
    /// The channel acting.
    pub channel_id: i64,
    /// like, repost.
    pub action: String,
    /// pending, done, failed.
    pub status: ActionStatus,
    /// What undoes it.
    pub result_ref: Option<String>,
    /// The network's words when it failed.
    pub error: Option<String>,
}

fn action(r: &sqlx::any::AnyRow) -> Result<Action> {
    Ok(Action {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        item_id: r.try_get("item_id")?,
        channel_id: r.try_get("channel_id")?,
        action: r.try_get("action")?,
        status: crate::word(r, "status")?,
        result_ref: r.try_get("result_ref")?,
        error: r.try_get("error")?,
    })
}

const ACTION_COLUMNS: &str = "id, workspace_id, item_id, channel_id, action, status, result_ref, error";

/// Records an action to run; `None` when the same action on the same item by the same
/// channel was already asked.
pub async fn insert_action(
    db: &mut Db,
    workspace_id: i64,
    item_id: i64,
    channel_id: i64,
    action: &str,
    by: Option<i64>,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO inbox_actions (workspace_id, item_id, channel_id, action, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (item_id, channel_id, action) DO NOTHING RETURNING id",
    )
    .bind(workspace_id)
    .bind(item_id)
    .bind(channel_id)
    .bind(action)
    .bind(by)
    .bind(crate::now_ms())
    .fetch_optional(db)
    .await?)
}

/// One action.
pub async fn action_by_id(db: &mut Db, id: i64) -> Result<Action> {
    let row = sqlx::query(&format!("SELECT {ACTION_COLUMNS} FROM inbox_actions WHERE id = $1"))
        .bind(id)
        .fetch_one(db)
        .await?;
    action(&row)
}

/// The actions on the items of a conversation.
pub async fn actions_of(db: &mut Db, conversation_id: i64) -> Result<Vec<Action>> {
    let rows = sqlx::query(&format!(
        "SELECT {ACTION_COLUMNS} FROM inbox_actions WHERE item_id IN (SELECT id FROM inbox_items WHERE conversation_id = $1) ORDER BY id"
    ))
    .bind(conversation_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(action).collect()
}

/// Settles an action: done with what undoes it, or failed with the network's words.
pub async fn settle_action(
    db: &mut Db,
    id: i64,
    result_ref: Option<&str>,
    error: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE inbox_actions SET status = $1, result_ref = $2, error = $3 WHERE id = $4")
        .bind(if error.is_some() { ActionStatus::Failed } else { ActionStatus::Done }.as_str())
        .bind(result_ref)
        .bind(error)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// One item.
pub async fn item_by_id(db: &mut Db, id: i64) -> Result<Item> {
    let row = sqlx::query(&format!("SELECT {ITEM_COLUMNS} FROM inbox_items WHERE id = $1"))
        .bind(id)
        .fetch_one(db)
        .await?;
    item(&row)
}

/// A reply sent from the inbox failed: its conversation is open and unanswered again.
pub async fn reply_failed(db: &mut Db, post_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE conversations SET unanswered = 1, status = 'open' \
         WHERE id = (SELECT conversation_id FROM posts WHERE id = $1)",
    )
    .bind(post_id)
    .execute(db)
    .await?;
    Ok(())
}

/// The workspace's first-answer SLA in minutes, `None` when it never set one.
pub async fn sla_minutes(db: &mut Db, workspace_id: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT sla_minutes FROM inbox_settings WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_optional(db)
        .await?)
}

/// Sets the workspace's first-answer SLA in minutes.
pub async fn set_sla_minutes(db: &mut Db, workspace_id: i64, minutes: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO inbox_settings (workspace_id, sla_minutes, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id) DO UPDATE SET sla_minutes = excluded.sla_minutes, updated_at = excluded.updated_at",
    )
    .bind(workspace_id)
    .bind(minutes)
    .bind(crate::now_ms())
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_list_of_answerable_kinds_is_the_list() {
        let listed: Vec<String> = ANSWERABLE.iter().map(|k| format!("'{k}'")).collect();
        assert!(ANSWERABLE.iter().all(|k| k.is_answerable()));
        assert_eq!(ANSWERABLE_SQL, format!("({})", listed.join(", ")));
    }
}
