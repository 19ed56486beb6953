//! The demo stays alive while the worker runs: its scheduled posts are published through the
//! demo network when they fall due, each once, without any connection.

use tutti_app::store::publishing;
use tutti_app::{Actor, App};
use tutti_worker::connectors::Connectors;
use tutti_worker::publisher::{Outcome, Publisher};

const DAY_MS: i64 = 86_400_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_scheduled_posts_go_out_to_the_demo_network_when_due() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let app = App::new(db.open().await, tutti_test_support::app_config())
            .with_keys(tutti_app::secrets::Keyring::generate());
        let now = tutti_app::store::now_ms();
        let summary = app.load_demo("http://localhost:8080", now).await.unwrap();
        // No outbound address is allowed: the demo network needs none.
        let connectors =
            Connectors::new(tutti_app::secrets::Keyring::generate(), tutti_test_support::allowing(&[]));
        tutti_worker::demo::bring_to_life(&app, &connectors, &summary, "w", now).await.unwrap();

        let emma = Actor::User(app.user_by_email("emma.walker@demo.tutti.test").await.unwrap());
        let scheduled = |posts: &[publishing::Post]| {
            posts.iter().filter(|p| p.status == "scheduled").map(|p| p.id).collect::<Vec<_>>()
        };
        let before = scheduled(&app.posts(&emma, "northwind-coffee", 500).await.unwrap());
        assert!(!before.is_empty(), "[{label}] posts are scheduled");

        // A week later, the worker's publisher finds the posts of the week due.
        let publisher = Publisher::with_connectors(app.store().clone(), "w".into(), connectors.clone());
        let done = publisher.run_once(now + 7 * DAY_MS).await.unwrap();
        assert!(done.len() >= 8, "[{label}] {} posts of both workspaces were due: {done:?}", done.len());
        assert!(done.iter().all(|(_, o)| *o == Outcome::Published), "[{label}] {done:?}");
        let posts = app.posts(&emma, "northwind-coffee", 500).await.unwrap();
        for (id, _) in &done {
            let Some(p) = posts.iter().find(|p| p.id == *id) else { continue };
            assert_eq!(p.status, "published", "[{label}]");
            let remote = p.remote_id.as_deref().unwrap_or_default();
            assert!(
                remote.starts_with("at://did:plc:demonorthwindcoffee/") || remote.starts_with("demo-"),
                "[{label}] published on the demo network: {remote}"
            );
        }
        let after = scheduled(&posts);
        assert!(after.len() < before.len(), "[{label}] the week's posts left the schedule");
        // Each once: nothing is due again.
        assert!(publisher.run_once(now + 7 * DAY_MS).await.unwrap().is_empty(), "[{label}]");
    }
}
