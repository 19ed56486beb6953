//! The daily rollup of posts (`post_days`) on SQLite and PostgreSQL: kept in step with the
//! posts by publication and snapshots (a post changing pillar moves between rows, an older
//! snapshot changes nothing), counted in the workspace's local days, equal to what a rebuild
//! from `posts` gives, and giving the dashboards' reads the same answers as `posts` does.

use tutti_store::analytics::{self, rollup, PostFilter, PostTotals, Snapshot, SnapshotContext};
use tutti_store::publishing::{self, NewPost};
use tutti_store::{workspaces, Db, Store};

const ZONE: &str = "Europe/Paris";

fn at(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).expect("time").timestamp_millis()
}

struct Setup {
    ws: i64,
    channels: [i64; 2],
    /// The posts published, by their publication time.
    posts: Vec<i64>,
}

async fn setup(store: &Store) -> Setup {
    let mut tx = store.begin().await.expect("tx");
    let org = workspaces::default_organisation(&mut tx, "Rollup").await.expect("organisation");
    let ws = workspaces::insert(&mut tx, org, "rollup", "Rollup", ZONE).await.expect("workspace");
    let mut channels = [0; 2];
    for (k, handle) in ["maison.rollup.test", "atelier.rollup.test"].iter().enumerate() {
        channels[k] = publishing::insert_channel(&mut tx, &tutti_test_support::store_channel(ws.id, handle))
            .await
            .expect("channel")
            .id;
    }
    let mut posts = Vec::new();
    // 1 Jan 11:00 and 2 Jan 00:30 in Paris on the first channel, 3 Jan 13:00 on the second,
    // 31 Dec 23:30 (before the period), and one never published.
    let plan = [
        (0, Some("2026-01-01T10:00:00Z")),
        (0, Some("2026-01-01T23:30:00Z")),
        (1, Some("2026-01-03T12:00:00Z")),
        (0, Some("2025-12-31T22:30:00Z")),
        // Summer: 2 July 00:30 in Paris (UTC+2), past a clock change since the others.
        (1, Some("2026-07-01T22:30:00Z")),
        (1, None),
    ];
    for (i, (channel, published)) in plan.into_iter().enumerate() {
        let key = format!("rollup-{i}");
        let post = publishing::insert_post(
            &mut tx,
            &NewPost {
                workspace_id: ws.id,
                channel_id: channels[channel],
                author_user_id: None,
                text: "Une publication",
                langs: "fr",
                status: tutti_domain::PostStatus::Scheduled,
                scheduled_at: Some(at("2026-01-10T10:00:00Z")),
                idempotency_key: &key,
                reply_to_post_id: None,
            },
            &[],
        )
        .await
        .expect("post");
        if let Some(when) = published {
            let remote = format!("at://did:plc:rollup/app.bsky.feed.post/{i}");
            tutti_store::demo::backdate_published(&mut tx, &post, &remote, "https://x.test", at(when))
                .await
                .expect("published");
            posts.push(post.id);
        }
    }
    tx.commit().await.expect("commit");
    Setup { ws: ws.id, channels, posts }
}

async fn snapshot(
    db: &mut Db,
    post: i64,
    taken: &str,
    counts: [i64; 4],
    followers: Option<i64>,
    pillar: Option<&str>,
) {
    let [likes, reposts, replies, quotes] = counts;
    let s = Snapshot { taken_at: at(taken), step: -1, likes, reposts, replies, quotes };
    let ctx = SnapshotContext {
        next: None,
        followers_at_publish: followers,
        pillar: pillar.map(str::to_owned),
        campaign: None,
    };
    analytics::record_snapshot(db, post, &s, &ctx).await.expect("snapshot");
}

/// The rollup's rows that hold something, in key order.
async fn rows(db: &mut Db, ws: i64) -> Vec<Vec<i64>> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT day, channel_id, posts, likes, reposts, replies, quotes, engagements, rated_engagements, rated_followers, pillar \
         FROM post_days WHERE workspace_id = $1 ORDER BY day, channel_id, pillar",
    )
    .bind(ws)
    .fetch_all(db)
    .await
    .expect("rows");
    rows.iter()
        .map(|r| {
            let mut v: Vec<i64> = (0..10).map(|i| r.try_get::<i64, _>(i).expect("int")).collect();
            v.push(r.try_get::<String, _>(10).expect("pillar").len() as i64);
            v
        })
        .filter(|v| v[2..10].iter().any(|x| *x != 0))
        .collect()
}

type Reads = (PostTotals, Vec<(i64, PostTotals)>, Vec<(String, i64)>, PostTotals, PostTotals);

/// The overview's reads over the first week of January in Paris, whole and filtered.
async fn reads(db: &mut Db, s: &Setup) -> Reads {
    let f = PostFilter {
        workspace_id: s.ws,
        from: at("2025-12-31T23:00:00Z"),
        to: at("2026-01-07T23:00:00Z"),
        ..PostFilter::default()
    };
    let by_channel = PostFilter { channel_id: Some(s.channels[1]), ..f.clone() };
    let by_pillar = PostFilter { pillar: Some("Produits".into()), ..f.clone() };
    (
        analytics::post_totals(db, &f).await.expect("totals"),
        analytics::daily_totals(db, &f, 3_600_000).await.expect("days"),
        analytics::pillar_counts(db, &f).await.expect("pillars"),
        analytics::post_totals(db, &by_channel).await.expect("channel"),
        analytics::post_totals(db, &by_pillar).await.expect("pillar"),
    )
}

#[tokio::test]
async fn the_daily_rollup_sums_the_posts_in_local_days_and_agrees_with_them() {
    for backend in tutti_test_support::every_backend().await {
        let label = backend.label();
        let store = backend.open().await;
        let s = setup(&store).await;
        let mut db = store.conn().await.expect("conn");
        let [p1, p2, p3, p4, _summer] = s.posts[..] else { panic!("[{label}] five posts published") };

        // Published: counted with no counts yet, in no pillar.
        let jan = |d: i64| rollup::local_day(ZONE, at("2026-01-01T12:00:00Z")) + d;
        let published = rows(&mut db, s.ws).await;
        assert_eq!(published.iter().map(|r| r[2]).sum::<i64>(), 5, "[{label}] {published:?}");
        let july = at("2026-07-02T12:00:00Z") / 86_400_000;
        // 23:30 UTC on 1 January is 2 January in Paris; 22:30 UTC on 31 December is still 31;
        // 22:30 UTC on 1 July is 2 July.
        assert_eq!(
            published.iter().map(|r| r[0]).collect::<Vec<_>>(),
            [jan(-1), jan(0), jan(1), jan(2), july],
            "[{label}]"
        );

        snapshot(&mut db, p1, "2026-01-01T11:00:00Z", [5, 1, 0, 0], Some(1_000), Some("Produits")).await;
        snapshot(&mut db, p1, "2026-01-02T10:00:00Z", [9, 2, 1, 0], None, None).await;
        // Taken before the latest: the post's counts stay, and so does the rollup.
        snapshot(&mut db, p1, "2026-01-01T12:00:00Z", [1, 0, 0, 0], None, None).await;
        snapshot(&mut db, p2, "2026-01-02T10:00:00Z", [2, 0, 0, 1], None, None).await;
        snapshot(&mut db, p3, "2026-01-04T10:00:00Z", [4, 0, 0, 0], Some(500), Some("Conseils")).await;
        snapshot(&mut db, p4, "2026-01-01T10:00:00Z", [7, 0, 0, 0], Some(900), Some("Produits")).await;

        let kept = rows(&mut db, s.ws).await;
        let (totals, days, pillars, channel, pillar) = reads(&mut db, &s).await;
        let expected = PostTotals {
            posts: 3,
            likes: 15,
            reposts: 2,
            replies: 1,
            quotes: 1,
            engagements: 19,
            rated_engagements: 16,
            rated_followers: 1_500,
        };
        assert_eq!(totals, expected, "[{label}]");
        assert_eq!(
            days.iter().map(|(d, t)| (*d, t.posts, t.engagements)).collect::<Vec<_>>(),
            [(jan(0), 1, 12), (jan(1), 1, 3), (jan(2), 1, 4)]
        );
        assert_eq!(days.iter().fold(PostTotals::default(), |a, (_, t)| a.plus(t)), expected, "[{label}]");
        assert_eq!(
            pillars,
            [("".to_owned(), 1), ("Conseils".to_owned(), 1), ("Produits".to_owned(), 1)],
            "[{label}]"
        );
        assert_eq!((channel.posts, channel.likes), (1, 4), "[{label}]");
        assert_eq!((pillar.posts, pillar.likes, pillar.rated_followers), (1, 9, 1_000), "[{label}]");

        // A rebuild from the posts gives the rows the store kept.
        assert_eq!(rollup::stale_workspaces(&mut db).await.expect("stale"), Vec::<i64>::new(), "[{label}]");
        rollup::rebuild(&mut db, s.ws).await.expect("rebuild");
        assert_eq!(rows(&mut db, s.ws).await, kept, "[{label}] rebuilt as kept");

        // Without a rollup (a database from before it), the reads use the posts, alike; the
        // worker finds the workspace stale and rebuilds it.
        sqlx::query("DELETE FROM post_days").execute(&mut *db).await.expect("empty");
        sqlx::query("UPDATE workspaces SET post_days_zone = NULL").execute(&mut *db).await.expect("stale");
        assert_eq!(
            reads(&mut db, &s).await,
            (totals, days.clone(), pillars.clone(), channel, pillar),
            "[{label}]"
        );
        assert_eq!(rollup::stale_workspaces(&mut db).await.expect("stale"), vec![s.ws], "[{label}]");
        // A snapshot meanwhile leaves the missing rollup alone.
        snapshot(&mut db, p3, "2026-01-05T10:00:00Z", [6, 0, 0, 0], None, None).await;
        assert!(rows(&mut db, s.ws).await.is_empty(), "[{label}]");
        rollup::rebuild(&mut db, s.ws).await.expect("rebuild");
        assert!(rollup::stale_workspaces(&mut db).await.expect("stale").is_empty(), "[{label}]");
        let (totals, ..) = reads(&mut db, &s).await;
        assert_eq!((totals.posts, totals.likes), (3, 17), "[{label}] built from the posts as they are now");
        drop(db);
        store.close().await;
    }
}
