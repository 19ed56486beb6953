//! The inbox a community manager works from, through the network-neutral `Connector` trait,
//! against the full local AT Protocol network (PLC, PDS, the AppView and its moderation
//! service): a fan replies, mentions, quotes, likes, reposts and follows; polling with the
//! cursor each call returns delivers each of those exactly once, oldest first, with its author,
//! text, language, thread and subject (a notification the AppView sorts behind one already
//! delivered included); then the brand answers in others' threads, hides and shows a reply,
//! mutes, blocks and reports.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};
use tutti_bluesky::{Tid, XrpcClient};
use tutti_connector::{
    Connector, ConnectorError, Notification, NotificationKind, OutgoingPost, PostRef, ReportReason,
    ReportSubject,
};
use tutti_test_support::devnet::Devnet;

/// How long the AppView may take to index what the PDS wrote.
const INDEXING: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(250);

/// An account writing to its repository with plain XRPC calls.
struct Account {
    pds: String,
    did: String,
    jwt: String,
    http: reqwest::Client,
}

impl Account {
    async fn xrpc(&self, method: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}/xrpc/{method}", self.pds))
            .bearer_auth(&self.jwt)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method}: {status} {answer}");
        answer
    }

    async fn get(&self, method: &str, query: &[(&str, &str)]) -> Value {
        let response = self
            .http
            .get(format!("{}/xrpc/{method}", self.pds))
            .bearer_auth(&self.jwt)
            .query(query)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method}: {status} {answer}");
        answer
    }

    /// Creates a record; returns its strong reference.
    async fn create(&self, collection: &str, mut record: Value) -> PostRef {
        record["$type"] = json!(collection);
        if record.get("createdAt").is_none() {
            record["createdAt"] = json!(now());
        }
        let body = json!({ "repo": self.did, "collection": collection, "record": record });
        let answer = self.xrpc("com.atproto.repo.createRecord", body).await;
        PostRef {
            id: answer["uri"].as_str().unwrap().to_owned(),
            cid: Some(answer["cid"].as_str().unwrap().to_owned()),
        }
    }

    /// A record of this account's repository, or `None`.
    async fn record(&self, collection: &str, rkey: &str) -> Option<Value> {
        let response = self
            .http
            .get(format!("{}/xrpc/com.atproto.repo.getRecord", self.pds))
            .query(&[("repo", self.did.as_str()), ("collection", collection), ("rkey", rkey)])
            .send()
            .await
            .unwrap();
        let ok = response.status().is_success();
        let answer: Value = response.json().await.unwrap();
        ok.then(|| answer["value"].clone())
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn strong(post: &PostRef) -> Value {
    json!({ "uri": post.id, "cid": post.cid })
}

fn rkey(uri: &str) -> &str {
    uri.rsplit('/').next().unwrap()
}

/// Polls `read` until `done` holds for its answer, at most [`INDEXING`].
async fn poll_until<T, F, Fut>(mut read: F, done: impl Fn(&T) -> bool) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let attempts = (INDEXING.as_millis() / POLL.as_millis()) as u32;
    let mut last = read().await;
    for _ in 0..attempts {
        if done(&last) {
            return last;
        }
        tokio::time::sleep(POLL).await;
        last = read().await;
    }
    last
}

/// The inbox as the ingestion reads it: one call after the other, each with the cursor the
/// previous one returned, everything delivered kept in order.
struct Inbox {
    cursor: Option<String>,
    delivered: Vec<Notification>,
    calls: usize,
}

impl Inbox {
    async fn poll(&mut self, brand: &dyn Connector) -> usize {
        let (found, next) = brand.notifications(self.cursor.as_deref()).await.unwrap();
        self.calls += 1;
        assert!(found.windows(2).all(|w| w[0].at <= w[1].at), "oldest first: {found:#?}");
        if found.is_empty() && self.cursor.is_some() {
            assert_eq!(next, self.cursor, "nothing new: the same cursor");
        }
        let count = found.len();
        self.delivered.extend(found);
        self.cursor = next;
        count
    }

    /// Polls until `ids` have all been delivered, at most [`INDEXING`].
    async fn wait_for(&mut self, brand: &dyn Connector, ids: &[&str]) {
        let deadline = tokio::time::Instant::now() + INDEXING;
        loop {
            self.poll(brand).await;
            let have: HashSet<&str> = self.delivered.iter().map(|n| n.id.as_str()).collect();
            if ids.iter().all(|id| have.contains(id)) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "after {} calls, still missing {:?} in {:#?}",
                self.calls,
                ids.iter().filter(|id| !have.contains(*id)).collect::<Vec<_>>(),
                self.delivered
            );
            tokio::time::sleep(POLL).await;
        }
    }

    fn only(&self, id: &str) -> &Notification {
        let found: Vec<&Notification> = self.delivered.iter().filter(|n| n.id == id).collect();
        assert_eq!(found.len(), 1, "{id} delivered exactly once: {:#?}", self.delivered);
        found[0]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_delivers_each_interaction_once_and_the_brand_moderates_it() {
    let Some(devnet) = Devnet::start("connector-inbox", true).await else { return };
    let http = reqwest::Client::new();
    let account =
        |(did, jwt): (String, String)| Account { pds: devnet.pds_url.clone(), did, jwt, http: http.clone() };
    let brand_repo = account(devnet.create_account("brand.test", "brand-pass").await);
    let fan = account(devnet.create_account("fan.test", "fan-pass").await);
    let profile = json!({ "$type": "app.bsky.actor.profile", "displayName": "Fan\u{202E} Club\n" });
    fan.xrpc(
        "com.atproto.repo.putRecord",
        json!({ "repo": fan.did, "collection": "app.bsky.actor.profile", "rkey": "self", "record": profile }),
    )
    .await;
    let client =
        XrpcClient::new(&devnet.pds_url, "brand.test", "brand-pass", &devnet.outbound()).expect("client");
    let brand: &dyn Connector = &client;

    let mut inbox = Inbox { cursor: None, delivered: Vec::new(), calls: 0 };
    inbox.poll(brand).await;
    assert_eq!((inbox.delivered.len(), inbox.cursor.as_deref()), (0, None));

    // The brand's post, once the AppView knows it (replies to an unknown post notify no one).
    let post = OutgoingPost { langs: vec!["en".into()], ..OutgoingPost::new("Our spring collection is out") };
    let mine = brand.publish(&post, &Tid::now().to_string()).await.unwrap().post;
    let indexed = poll_until(|| brand.engagement(&mine), Result::is_ok).await;
    assert!(indexed.is_ok(), "{indexed:?}");

    // First wave: a reply and a mention; the inbox is polled meanwhile.
    let reply = fan
        .create(
            "app.bsky.feed.post",
            json!({ "text": "J'adore !\u{7}", "langs": ["fr"], "reply": { "root": strong(&mine), "parent": strong(&mine) } }),
        )
        .await;
    let text = "Have you seen @brand.test this week?";
    let start = text.find('@').unwrap();
    let mention = fan
        .create(
            "app.bsky.feed.post",
            json!({ "text": text, "facets": [{ "index": { "byteStart": start, "byteEnd": start + "@brand.test".len() },
                    "features": [{ "$type": "app.bsky.richtext.facet#mention", "did": brand_repo.did }] }] }),
        )
        .await;
    inbox.wait_for(brand, &[&reply.id, &mention.id]).await;
    let first_cursor = inbox.cursor.clone().expect("a cursor once there are notifications");

    // Second wave: a quote, a like, a repost, a follow, and a reply whose author's clock is two
    // minutes late: the AppView sorts it *behind* the notifications already delivered.
    let quote = fan
        .create(
            "app.bsky.feed.post",
            json!({ "text": "Look at this", "embed": { "$type": "app.bsky.embed.record", "record": strong(&mine) } }),
        )
        .await;
    let like = fan.create("app.bsky.feed.like", json!({ "subject": strong(&mine) })).await;
    let repost = fan.create("app.bsky.feed.repost", json!({ "subject": strong(&mine) })).await;
    let follow = fan.create("app.bsky.graph.follow", json!({ "subject": brand_repo.did })).await;
    let late_at = (chrono::Utc::now() - chrono::Duration::minutes(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let late = fan
        .create(
            "app.bsky.feed.post",
            json!({ "text": "Sent from a slow clock", "createdAt": late_at,
                    "reply": { "root": strong(&mine), "parent": strong(&reply) } }),
        )
        .await;
    inbox.wait_for(brand, &[&quote.id, &like.id, &repost.id, &follow.id, &late.id]).await;
    assert_ne!(inbox.cursor.as_deref(), Some(first_cursor.as_str()));
    eprintln!("the inbox was complete after {} calls", inbox.calls);

    // Nothing more, however often it is asked.
    for _ in 0..3 {
        assert_eq!(inbox.poll(brand).await, 0, "{:#?}", inbox.delivered);
    }
    assert_eq!(inbox.delivered.len(), 7, "{:#?}", inbox.delivered);
    let kinds: Vec<NotificationKind> = inbox.delivered.iter().map(|n| n.kind.clone()).collect();
    for kind in [
        NotificationKind::Mention,
        NotificationKind::Quote,
        NotificationKind::Like,
        NotificationKind::Repost,
        NotificationKind::Follow,
    ] {
        assert_eq!(kinds.iter().filter(|k| **k == kind).count(), 1, "{kind:?} in {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| **k == NotificationKind::Reply).count(), 2, "{kinds:?}");
    for n in &inbox.delivered {
        assert_eq!((n.author_id.as_str(), n.author_handle.as_str()), (fan.did.as_str(), "fan.test"), "{n:?}");
        assert_eq!(n.author_name.as_deref(), Some("Fan Club"), "{n:?}");
    }

    let n = inbox.only(&reply.id);
    assert_eq!(n.kind, NotificationKind::Reply);
    assert_eq!(
        (n.post.as_ref(), n.text.as_deref(), n.lang.as_deref()),
        (Some(&reply), Some("J'adore !"), Some("fr"))
    );
    assert_eq!((n.reply_parent.as_ref(), n.reply_root.as_ref()), (Some(&mine), Some(&mine)));
    assert_eq!(n.subject, None);

    let n = inbox.only(&late.id);
    assert_eq!(n.kind, NotificationKind::Reply);
    assert_eq!((n.reply_parent.as_ref(), n.reply_root.as_ref()), (Some(&reply), Some(&mine)));
    assert_eq!(n.text.as_deref(), Some("Sent from a slow clock"));

    let n = inbox.only(&mention.id);
    assert_eq!(n.kind, NotificationKind::Mention);
    assert_eq!((n.post.as_ref(), n.text.as_deref(), n.lang.as_deref()), (Some(&mention), Some(text), None));
    assert_eq!((n.reply_parent.as_ref(), n.reply_root.as_ref(), n.subject.as_ref()), (None, None, None));

    let n = inbox.only(&quote.id);
    assert_eq!(n.kind, NotificationKind::Quote);
    assert_eq!((n.post.as_ref(), n.text.as_deref()), (Some(&quote), Some("Look at this")));
    assert_eq!(n.subject.as_ref(), Some(&mine));

    for (id, kind) in [(&like.id, NotificationKind::Like), (&repost.id, NotificationKind::Repost)] {
        let n = inbox.only(id);
        assert_eq!(n.kind, kind);
        assert_eq!((n.subject.as_ref(), n.post.as_ref(), n.text.as_ref()), (Some(&mine), Some(&mine), None));
    }
    let n = inbox.only(&follow.id);
    assert_eq!((n.kind.clone(), n.post.as_ref(), n.subject.as_ref()), (NotificationKind::Follow, None, None));

    // A restart with the cursor of the first wave delivers the second wave again, oldest first,
    // and nothing of the first.
    let (again, _) = brand.notifications(Some(&first_cursor)).await.unwrap();
    let again: Vec<&str> = again.iter().map(|n| n.id.as_str()).collect();
    let mut second: Vec<&str> = vec![&quote.id, &like.id, &repost.id, &follow.id, &late.id];
    second.sort();
    let mut sorted = again.clone();
    sorted.sort();
    assert_eq!(sorted, second, "{again:?}");

    // The brand answers the fan's reply, someone else's post: parent = it, root = the thread's.
    let answer = OutgoingPost { reply_to: Some(PostRef::id(&reply.id)), ..OutgoingPost::new("Merci !") };
    let answered = brand.publish(&answer, &Tid::now().to_string()).await.unwrap().post;
    let record = brand_repo.record("app.bsky.feed.post", rkey(&answered.id)).await.unwrap();
    assert_eq!(record["reply"], json!({ "root": strong(&mine), "parent": strong(&reply) }), "{record}");
    // … and in a thread the fan started: the root is the fan's first post.
    let fan_root = fan.create("app.bsky.feed.post", json!({ "text": "What do you all think?" })).await;
    let fan_next = fan
        .create(
            "app.bsky.feed.post",
            json!({ "text": "Brand, any news?", "reply": { "root": strong(&fan_root), "parent": strong(&fan_root) } }),
        )
        .await;
    let answer = OutgoingPost { reply_to: Some(PostRef::id(&fan_next.id)), ..OutgoingPost::new("Soon!") };
    let answered = brand.publish(&answer, &Tid::now().to_string()).await.unwrap().post;
    let record = brand_repo.record("app.bsky.feed.post", rkey(&answered.id)).await.unwrap();
    assert_eq!(
        record["reply"],
        json!({ "root": strong(&fan_root), "parent": strong(&fan_next) }),
        "{record}"
    );
    // A reply to a thread's first post: that post is the root.
    let answer = OutgoingPost { reply_to: Some(PostRef::id(&fan_root.id)), ..OutgoingPost::new("Hello") };
    let answered = brand.publish(&answer, &Tid::now().to_string()).await.unwrap().post;
    let record = brand_repo.record("app.bsky.feed.post", rkey(&answered.id)).await.unwrap();
    assert_eq!(
        record["reply"],
        json!({ "root": strong(&fan_root), "parent": strong(&fan_root) }),
        "{record}"
    );

    // Hiding a reply: the root's threadgate lists it, and allows everyone to reply still.
    brand.hide_reply(&mine, &reply).await.unwrap();
    let gate = brand_repo.record("app.bsky.feed.threadgate", rkey(&mine.id)).await.expect("a threadgate");
    assert_eq!(gate["post"], json!(mine.id));
    assert_eq!(gate["hiddenReplies"], json!([reply.id]));
    assert!(gate.get("allow").is_none(), "{gate}");
    brand.hide_reply(&mine, &reply).await.unwrap();
    let thread_query = [("uri", mine.id.as_str())];
    let thread = poll_until(
        || devnet.appview_get("app.bsky.feed.getPostThread", &thread_query),
        |thread| thread.pointer("/threadgate/record/hiddenReplies") == Some(&json!([reply.id])),
    )
    .await;
    assert_eq!(thread.pointer("/threadgate/record/hiddenReplies"), Some(&json!([reply.id])), "{thread}");
    // Rules set elsewhere are kept.
    let mut ruled = gate.clone();
    ruled["allow"] = json!([{ "$type": "app.bsky.feed.threadgate#mentionRule" }]);
    brand_repo
        .xrpc(
            "com.atproto.repo.putRecord",
            json!({ "repo": brand_repo.did, "collection": "app.bsky.feed.threadgate", "rkey": rkey(&mine.id), "record": ruled }),
        )
        .await;
    brand.hide_reply(&mine, &late).await.unwrap();
    brand.unhide_reply(&mine, &reply).await.unwrap();
    let gate = brand_repo.record("app.bsky.feed.threadgate", rkey(&mine.id)).await.unwrap();
    assert_eq!(gate["hiddenReplies"], json!([late.id]), "{gate}");
    assert_eq!(gate["allow"], json!([{ "$type": "app.bsky.feed.threadgate#mentionRule" }]), "{gate}");
    // Only the account's own threads can be gated.
    let refused = brand.hide_reply(&fan_root, &fan_next).await;
    assert!(matches!(refused, Err(ConnectorError::Permanent(_))), "{refused:?}");

    // Muting and unmuting: the account's mutes, as the AppView keeps them.
    let mutes = || async { brand_repo.get("app.bsky.graph.getMutes", &[]).await };
    let muted = |list: &Value| -> Vec<String> {
        list["mutes"].as_array().unwrap().iter().map(|m| m["did"].as_str().unwrap().to_owned()).collect()
    };
    brand.mute(&fan.did).await.unwrap();
    let list = poll_until(mutes, |l| muted(l) == std::slice::from_ref(&fan.did)).await;
    assert_eq!(muted(&list), std::slice::from_ref(&fan.did));
    brand.unmute(&fan.did).await.unwrap();
    let list = poll_until(mutes, |l| muted(l).is_empty()).await;
    assert!(muted(&list).is_empty(), "{list}");
    assert!(matches!(brand.mute("fan.test").await, Err(ConnectorError::Permanent(_))));

    // Blocking: a record (twice: two records); unblocking removes them all.
    let block = brand.block(&fan.did).await.unwrap();
    assert!(block.id.starts_with(&format!("at://{}/app.bsky.graph.block/", brand_repo.did)), "{block:?}");
    let record = brand_repo.record("app.bsky.graph.block", rkey(&block.id)).await.unwrap();
    assert_eq!(record["subject"], json!(fan.did));
    brand.block(&fan.did).await.unwrap();
    brand.unblock(&fan.did).await.unwrap();
    let blocks = brand_repo
        .get(
            "com.atproto.repo.listRecords",
            &[("repo", &brand_repo.did), ("collection", "app.bsky.graph.block")],
        )
        .await;
    assert_eq!(blocks["records"], json!([]), "{blocks}");
    brand.unblock(&fan.did).await.unwrap();
    // A block record can be deleted like a like, too.
    let block = brand.block(&fan.did).await.unwrap();
    brand.delete(&block).await.unwrap();
    assert_eq!(brand_repo.record("app.bsky.graph.block", rkey(&block.id)).await, None);

    // Reports go to the network's moderation service through the PDS.
    let reported = brand
        .report(
            &ReportSubject::Post { post: PostRef::id(&late.id), author_id: fan.did.clone() },
            ReportReason::Spam,
            "Repeated promotional replies",
        )
        .await
        .unwrap();
    assert!(!reported.is_empty());
    let account =
        brand.report(&ReportSubject::Account(fan.did.clone()), ReportReason::Abusive, "").await.unwrap();
    assert_ne!(account, reported);
    let refused = brand.report(&ReportSubject::Account("fan.test".into()), ReportReason::Other, "").await;
    assert!(matches!(refused, Err(ConnectorError::Permanent(_))), "{refused:?}");
}
