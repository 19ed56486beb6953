//! Posts due for a snapshot are claimed like jobs, on SQLite and PostgreSQL: two workers
//! claiming at the same time get disjoint posts (PostgreSQL skips the rows the other holds;
//! SQLite has one writer), a claimed post is not due again until its lease runs out, and a
//! snapshot moves it to the schedule's next point or ends its schedule.

use std::collections::BTreeSet;

use tutti_store::analytics::{self, Snapshot, SnapshotContext};
use tutti_store::publishing::{self, NewPost};
use tutti_store::{workspaces, Store};

const LEASE: i64 = 600_000;

async fn due_posts(store: &Store, n: usize, due: i64) -> (i64, Vec<i64>) {
    let mut tx = store.begin().await.expect("tx");
    let org = workspaces::default_organisation(&mut tx, "Claims").await.expect("organisation");
    let ws = workspaces::insert(&mut tx, org, "claims", "Claims", "UTC").await.expect("workspace");
    let channel =
        publishing::insert_channel(&mut tx, &tutti_test_support::store_channel(ws.id, "maison.claims.test"))
            .await
            .expect("channel");
    let mut ids = Vec::new();
    for i in 0..n {
        let key = format!("claim-{i}");
        let post = publishing::insert_post(
            &mut tx,
            &NewPost {
                workspace_id: ws.id,
                channel_id: channel.id,
                author_user_id: None,
                text: "Une publication",
                langs: "fr",
                status: tutti_domain::PostStatus::Published,
                scheduled_at: Some(due),
                idempotency_key: &key,
                reply_to_post_id: None,
            },
            &[],
        )
        .await
        .expect("post");
        let remote = format!("at://did:plc:claims/app.bsky.feed.post/{i}");
        tutti_store::demo::backdate_published(&mut tx, &post, &remote, "https://x.test", due - 1000)
            .await
            .expect("published");
        ids.push(post.id);
    }
    analytics::defer(&mut tx, &ids, due).await.expect("due");
    tx.commit().await.expect("commit");
    (channel.id, ids)
}

async fn claim(store: Store, channel: i64, now: i64) -> Vec<i64> {
    let mut tx = store.begin().await.expect("tx");
    let claimed =
        analytics::claim_due(&mut tx, store.backend(), channel, now, LEASE, 60).await.expect("claim");
    // Hold the claim a moment, as a worker does while the network answers.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    tx.commit().await.expect("commit");
    claimed.into_iter().map(|p| p.id).collect()
}

#[tokio::test]
async fn two_workers_never_measure_the_same_post() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let store = db.open().await;
        let now = 1_800_000_000_000;
        let (channel, ids) = due_posts(&store, 100, now - 1).await;
        let (a, b) = tokio::join!(claim(store.clone(), channel, now), claim(store.clone(), channel, now));
        let (a, b): (BTreeSet<i64>, BTreeSet<i64>) = (a.into_iter().collect(), b.into_iter().collect());
        assert!(a.is_disjoint(&b), "[{label}] {a:?} and {b:?}");
        assert_eq!(a.len() + b.len(), 100, "[{label}] 60 and 40");
        assert_eq!(a.union(&b).copied().collect::<Vec<_>>(), ids, "[{label}] every post once");

        // Within the lease nobody else takes them; once it ran out (the worker died) they are due.
        assert!(claim(store.clone(), channel, now + LEASE - 1).await.is_empty(), "[{label}]");
        assert_eq!(claim(store.clone(), channel, now + LEASE + 1).await.len(), 60, "[{label}]");

        // A snapshot moves the post along its schedule, or ends it.
        let mut db = store.conn().await.expect("conn");
        let s = Snapshot { taken_at: now, step: 0, likes: 3, reposts: 1, replies: 0, quotes: 0 };
        let next = SnapshotContext { next: Some((1, Some(now + 3_600_000))), ..Default::default() };
        analytics::record_snapshot(&mut db, ids[0], &s, &next).await.expect("snapshot");
        let end = SnapshotContext { next: Some((6, None)), ..Default::default() };
        analytics::record_snapshot(&mut db, ids[1], &s, &end).await.expect("snapshot");
        drop(db);
        let later = now + 2 * LEASE + 3_600_000;
        let mut tx = store.begin().await.expect("tx");
        let due =
            analytics::claim_due(&mut tx, store.backend(), channel, later, LEASE, 1000).await.expect("claim");
        tx.commit().await.expect("commit");
        let due: BTreeSet<i64> = due.iter().map(|p| p.id).collect();
        assert!(due.contains(&ids[0]), "[{label}] due at its next point");
        assert!(!due.contains(&ids[1]), "[{label}] its schedule is over");
        assert_eq!(due.len(), 99, "[{label}]");
    }
}
