//! The analytics collection against the full local reference Bluesky network (PDS, PLC,
//! AppView), on every backend: the brand publishes a post through Tutti; two accounts like it,
//! one reposts it, one replies, one quotes it; two accounts follow the brand. Once the AppView
//! has indexed them, `collect_now` stores exactly 2 likes, 1 repost, 1 reply and 1 quote as the
//! post's latest snapshot and counts, and the channel's daily series shows the two new
//! followers against the count taken right after connecting (written as yesterday's row, since
//! the series keeps one row per UTC day and the test cannot wait for tomorrow).

use std::time::{Duration, Instant};

use serde_json::json;
use tutti_app::analytics::{period, Filters};
use tutti_app::publishing::{ChannelToAdd, PostToWrite};
use tutti_app::secrets::Keyring;
use tutti_app::store::{self, analytics};
use tutti_app::{Actor, App};
use tutti_test_support::devnet::Devnet;
use tutti_worker::connectors::Connectors;
use tutti_worker::publisher::{Outcome, Publisher};

const PASSWORD: &str = "correct-horse-battery";

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collected_counts_are_exactly_the_interactions_made_on_the_network() {
    let Some(net) = Devnet::start("analytics", true).await else { return };
    for (n, db) in tutti_test_support::every_backend().await.into_iter().enumerate() {
        let label = db.label();
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let st = app.store().clone();
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        let brand = format!("lumiere{n}.test");
        let (brand_did, _) = net.create_account(&brand, PASSWORD).await;
        let keys = Keyring::generate();
        let channel = ChannelToAdd {
            network: "bluesky".into(),
            handle: brand.clone(),
            service: net.pds_url.clone(),
            account_id: Some(brand_did.clone()),
            secret: PASSWORD.into(),
            ambassador: None,
        };
        let channel = app.add_channel(&op, &keys, &ws.slug, &channel).await.unwrap();
        let connectors = Connectors::new(keys.clone(), net.outbound());
        let publisher = Publisher::with_connectors(st.clone(), "w".into(), connectors.clone());

        // The channel's count right after connecting, kept as yesterday's row.
        // (A new account's profile reaches the AppView asynchronously too.)
        let connected = Instant::now();
        while tutti_worker::analytics::collect_now(&st, &connectors, ws.id).await.unwrap().channels == 0 {
            assert!(
                connected.elapsed() < Duration::from_secs(20),
                "[{label}] no profile\n{}",
                net.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let today = analytics::day_of(store::now_ms());
        let counted =
            analytics::channel_series(&mut st.conn().await.unwrap(), ws.id, today, today).await.unwrap();
        assert_eq!(counted.len(), 1, "[{label}] today's count: {counted:?}");
        let before = counted[0];
        let yesterday = analytics::ChannelDay { day: today - 1, ..before };
        analytics::record_channel_counts(
            &mut st.conn().await.unwrap(),
            &yesterday,
            store::now_ms() - 86_400_000,
        )
        .await
        .unwrap();

        // The brand posts through Tutti.
        let p = PostToWrite {
            channel: brand.clone(),
            text: "La lampe Aurore est arrivée !".into(),
            ..Default::default()
        };
        let post = app.create_post(&op, &ws.slug, &p, store::now_ms()).await.unwrap();
        assert_eq!(publisher.run_once(store::now_ms()).await.unwrap(), vec![(post.id, Outcome::Published)]);
        let post = store::publishing::post_by_id(&mut st.conn().await.unwrap(), post.id).await.unwrap();
        let uri = post.remote_id.clone().unwrap();
        net.wait_indexed(&uri).await;
        let record = net.appview_get("app.bsky.feed.getPosts", &[("uris", uri.as_str())]).await["posts"][0]
            ["cid"]
            .as_str()
            .unwrap()
            .to_owned();
        let strong = json!({ "uri": uri, "cid": record });

        // Four accounts: two like it, one reposts, one replies, one quotes; two follow the brand.
        let mut fans = Vec::new();
        for k in 0..4 {
            fans.push(net.create_account(&format!("fan{k}x{n}.test"), PASSWORD).await);
        }
        let like = json!({ "$type": "app.bsky.feed.like", "subject": strong, "createdAt": now_rfc3339() });
        for (did, jwt) in &fans[..2] {
            net.create_record(jwt, did, "app.bsky.feed.like", like.clone()).await;
        }
        let (did, jwt) = &fans[0];
        let repost =
            json!({ "$type": "app.bsky.feed.repost", "subject": strong, "createdAt": now_rfc3339() });
        net.create_record(jwt, did, "app.bsky.feed.repost", repost).await;
        let (did, jwt) = &fans[1];
        let reply = json!({
            "$type": "app.bsky.feed.post", "text": "Superbe !", "createdAt": now_rfc3339(),
            "reply": { "root": strong, "parent": strong },
        });
        net.create_record(jwt, did, "app.bsky.feed.post", reply).await;
        let (did, jwt) = &fans[2];
        let quote = json!({
            "$type": "app.bsky.feed.post", "text": "Regardez cette lampe", "createdAt": now_rfc3339(),
            "embed": { "$type": "app.bsky.embed.record", "record": strong },
        });
        net.create_record(jwt, did, "app.bsky.feed.post", quote).await;
        for (did, jwt) in &fans[2..] {
            let follow =
                json!({ "$type": "app.bsky.graph.follow", "subject": brand_did, "createdAt": now_rfc3339() });
            net.create_record(jwt, did, "app.bsky.graph.follow", follow).await;
        }

        // The AppView indexes asynchronously: collect until it counts everything (or 30 s).
        let acted = Instant::now();
        let (mut counts, mut followers) = ([0; 4], before.followers);
        while acted.elapsed() < Duration::from_secs(30) {
            let done = tutti_worker::analytics::collect_now(&st, &connectors, ws.id).await.unwrap();
            assert_eq!((done.posts, done.channels, done.gone), (1, 1, 0), "[{label}] {done:?}");
            let snaps = analytics::snapshots(&mut st.conn().await.unwrap(), post.id).await.unwrap();
            let s = snaps.last().copied().expect("a snapshot");
            counts = [s.likes, s.reposts, s.replies, s.quotes];
            let day = analytics::day_of(store::now_ms());
            let series =
                analytics::channel_series(&mut st.conn().await.unwrap(), ws.id, day, day).await.unwrap();
            followers = series.first().map_or(followers, |d| d.followers);
            if counts == [2, 1, 1, 1] && followers == before.followers + 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        eprintln!(
            "[{label}] counts {counts:?}, followers {followers} after {} ms",
            acted.elapsed().as_millis()
        );
        assert_eq!(counts, [2, 1, 1, 1], "[{label}] likes, reposts, replies, quotes\n{}", net.log_tail());
        let row = analytics::post(&mut st.conn().await.unwrap(), ws.id, post.id).await.unwrap().unwrap();
        assert_eq!(
            (row.likes, row.reposts, row.replies, row.quotes, row.engagements),
            (2, 1, 1, 1, 5),
            "[{label}] the post's latest counts"
        );

        // The series: yesterday's count (taken before the follows), today's with two more.
        let day = analytics::day_of(store::now_ms());
        let series =
            analytics::channel_series(&mut st.conn().await.unwrap(), ws.id, day - 1, day).await.unwrap();
        let followers: Vec<(i64, i64)> = series.iter().map(|d| (d.day, d.followers)).collect();
        assert_eq!(
            followers,
            [(day - 1, before.followers), (day, before.followers + 2)],
            "[{label}] +2 followers over the day"
        );
        assert!(series.iter().all(|d| d.channel_id == channel.id));
        // The overview reads the same growth.
        let week = period("7d", "", "", "Europe/Paris", store::now_ms()).unwrap();
        let summary = app.analytics_summary(&op, &ws.slug, &week, &Filters::default()).await.unwrap();
        assert_eq!(summary.follower_growth, 2, "[{label}]");
        assert_eq!((summary.posts, summary.engagements), (1, 5), "[{label}]");
    }
}
