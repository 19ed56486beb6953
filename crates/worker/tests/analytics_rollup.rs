//! The daily rollup of posts is rebuilt by the worker, on every backend, for a workspace whose
//! posts were published before the rollup existed (its zone unset, as migration 0062 leaves
//! it): the minute's scheduling enqueues one `analytics.rollup` job, the job sums the posts in
//! the workspace's local days, and the next minute enqueues none. Meanwhile the overview reads
//! the posts and gives the same figures.

use sqlx::Row;
use tutti_app::analytics::{period, Filters};
use tutti_app::store::{self, analytics::rollup, Store};
use tutti_app::{Actor, App};
use tutti_worker::{JobOutcome, Worker};

/// A post of the brand published at `at` with `likes`, written as a database from before the
/// rollup holds it.
async fn published(store: &Store, ws: i64, channel: i64, i: usize, at: i64, likes: i64) {
    sqlx::query(
        "INSERT INTO posts (workspace_id, channel_id, text, status, idempotency_key, remote_id, published_at, \
         created_at, updated_at, likes, engagements, counts_at) \
         VALUES ($1, $2, 'Notre nouvelle lampe', 'published', $3, $3, $4, $4, $4, $5, $5, $4)",
    )
    .bind(ws)
    .bind(channel)
    .bind(format!("at://did:plc:maisonrollup/app.bsky.feed.post/{i}"))
    .bind(at)
    .bind(likes)
    .execute(&mut *store.conn().await.unwrap())
    .await
    .unwrap();
}

#[tokio::test]
async fn the_worker_rebuilds_a_stale_rollup_once() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let st = app.store().clone();
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        app.add_user(&op, "smm@maison.test", "SMM", "correct horse battery", false).await.unwrap();
        app.add_member(&op, &ws.slug, "smm@maison.test", "smm").await.unwrap();
        let keys = tutti_app::secrets::Keyring::generate();
        let channel = tutti_test_support::offline_bluesky("maison.test", None);
        let channel = app.add_channel(&op, &keys, &ws.slug, &channel).await.unwrap();
        let now = store::now_ms();
        for (i, (days_ago, likes)) in [(1, 5), (2, 7), (2, 1), (40, 100)].into_iter().enumerate() {
            published(&st, ws.id, channel.id, i, now - days_ago * store::DAY_MS, likes).await;
        }
        sqlx::query("UPDATE workspaces SET post_days_zone = NULL")
            .execute(&mut *st.conn().await.unwrap())
            .await
            .unwrap();

        let me = Actor::User(app.user_by_email("smm@maison.test").await.unwrap());
        let week = period("7d", "", "", "Europe/Paris", now).unwrap();
        let from_posts = app.analytics_summary(&me, &ws.slug, &week, &Filters::default()).await.unwrap();
        assert_eq!((from_posts.posts, from_posts.engagements), (3, 13), "[{label}] read from the posts");

        let worker = Worker::new(st.clone(), "w".into());
        worker.schedule_analytics(now).await.unwrap();
        let mut rebuilt = 0;
        while let Some(o) = worker.run_once().await.unwrap() {
            if let JobOutcome::Done(j) = &o {
                rebuilt += usize::from(j.queue == tutti_worker::analytics::ROLLUP_QUEUE);
            }
        }
        assert_eq!(rebuilt, 1, "[{label}] one rebuild");
        let mut conn = st.conn().await.unwrap();
        assert!(rollup::stale_workspaces(&mut conn).await.unwrap().is_empty(), "[{label}]");
        let r = sqlx::query(
            "SELECT CAST(SUM(posts) AS BIGINT) AS posts, CAST(SUM(likes) AS BIGINT) AS likes, COUNT(*) AS days \
             FROM post_days WHERE workspace_id = $1",
        )
        .bind(ws.id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let got: (i64, i64, i64) = (r.get("posts"), r.get("likes"), r.get("days"));
        assert_eq!(got, (4, 113, 3), "[{label}] four posts on three days");
        drop(conn);

        let from_rollup = app.analytics_summary(&me, &ws.slug, &week, &Filters::default()).await.unwrap();
        assert_eq!(from_rollup.daily, from_posts.daily, "[{label}]");
        assert_eq!((from_rollup.posts, from_rollup.engagements), (3, 13), "[{label}] read from the rollup");

        // Built: the next minute has no rebuild to do.
        worker.schedule_analytics(now + 60_000).await.unwrap();
        while let Some(o) = worker.run_once().await.unwrap() {
            if let JobOutcome::Done(j) | JobOutcome::Retrying { job: j, .. } = &o {
                assert_ne!(j.queue, tutti_worker::analytics::ROLLUP_QUEUE, "[{label}]");
            }
        }
    }
}
