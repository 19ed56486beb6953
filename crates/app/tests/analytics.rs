//! Analytics on every backend, on hand-computed data: what a collection stores (snapshots,
//! followers at publication, pillar, campaign, the schedule's next point), the overview of a
//! period against the one before, the post table's sorts and filters, the team's response
//! times, the best times, and who may read them.

use tutti_app::analytics::collect::{record_channel, record_posts, Measured};
use tutti_app::analytics::{self, Filters};
use tutti_app::ingest::{item_of, Incoming};
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App, AppError};
use tutti_domain::kpi::{Basis, Counts};
use tutti_domain::PostStatus;
use tutti_store::analytics::{self as store, DuePost};
use tutti_store::publishing::{self, NewPost};

const PASSWORD: &str = "correct horse battery";
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

fn ms(day: &str, hour: u32) -> i64 {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

/// Publishes a post at `at` the way the publisher leaves it, and returns it as due.
async fn published(app: &App, ws: i64, channel: i64, key: &str, text: &str, at: i64) -> DuePost {
    let mut tx = app.store().begin().await.unwrap();
    let post = publishing::insert_post(
        &mut tx,
        &NewPost {
            workspace_id: ws,
            channel_id: channel,
            author_user_id: None,
            text,
            langs: "fr",
            status: PostStatus::Published,
            scheduled_at: Some(at),
            idempotency_key: key,
            reply_to_post_id: None,
        },
        &[],
    )
    .await
    .unwrap();
    let remote = format!("at://did:plc:maison/app.bsky.feed.post/{key}");
    tutti_store::demo::backdate_published(&mut tx, &post, &remote, "https://bsky.app/x", at).await.unwrap();
    tx.commit().await.unwrap();
    DuePost {
        id: post.id,
        remote_id: remote,
        published_at: at,
        step: 0,
        text: text.into(),
        has_followers: false,
    }
}

fn counts(likes: i64, reposts: i64, replies: i64, quotes: i64) -> Counts {
    Counts { likes, reposts, replies, quotes }
}

#[tokio::test]
async fn a_period_s_numbers_are_the_hand_computed_ones() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "UTC").await.unwrap();
        for (email, role) in [("analyst@ml.test", "analyst"), ("contrib@ml.test", "contributor")] {
            app.add_user(&op, email, email, PASSWORD, false).await.unwrap();
            app.add_member(&op, &ws.slug, email, role).await.unwrap();
        }
        let analyst = Actor::User(app.user_by_email("analyst@ml.test").await.unwrap());
        let contrib = Actor::User(app.user_by_email("contrib@ml.test").await.unwrap());
        let ch = app
            .add_channel(
                &op,
                &Keyring::generate(),
                &ws.slug,
                &tutti_test_support::offline_bluesky("maison.test", Some("did:plc:maison")),
            )
            .await
            .unwrap();

        // Followers: 1,000 on 1 November, 1,100 on 20 November, 1,150 on 30 November.
        for (day, followers) in [("2026-11-01", 1000), ("2026-11-20", 1100), ("2026-11-30", 1150)] {
            record_channel(app.store(), ch.id, followers, 50, 10, ms(day, 6)).await.unwrap();
        }
        // The period is 21–30 November; its previous period is 11–20 November.
        let a = published(&app, ws.id, ch.id, "a", "Notre nouvelle collection", ms("2026-11-22", 9)).await;
        let b = published(&app, ws.id, ch.id, "b", "Les coulisses de l'atelier", ms("2026-11-25", 18)).await;
        let c = published(&app, ws.id, ch.id, "c", "Un mot de la semaine passée", ms("2026-11-15", 9)).await;
        let now = ms("2026-11-30", 12);
        let measured = [
            Measured { post: a.clone(), counts: counts(10, 2, 3, 1) },
            Measured { post: b.clone(), counts: counts(4, 0, 0, 0) },
            Measured { post: c.clone(), counts: counts(3, 1, 1, 0) },
        ];
        record_posts(app.store(), ws.id, ch.id, &measured, true, now).await.unwrap();

        // What the collection stored: the followers of the closest day before publication,
        // and the schedule's next point still ahead (a is 8 days old: 7 d is past, 30 d next).
        let snaps = store::snapshots(&mut app.store().conn().await.unwrap(), a.id).await.unwrap();
        assert_eq!(snaps.len(), 1, "[{label}]");
        assert_eq!((snaps[0].likes, snaps[0].reposts, snaps[0].replies, snaps[0].quotes), (10, 2, 3, 1));
        let period = analytics::period("custom", "2026-11-21", "2026-11-30", "UTC", now).unwrap();
        let none = Filters::default();
        let posts = app
            .analytics_posts(&analyst, &ws.slug, &period, &none, "engagements", false, 10, 0)
            .await
            .unwrap();
        assert_eq!(
            posts.iter().map(|p| p.row.id).collect::<Vec<_>>(),
            [a.id, b.id],
            "[{label}] by engagements"
        );
        assert_eq!(posts[0].row.engagements, 16, "[{label}]");
        assert_eq!(posts[0].row.followers_at_publish, Some(1100), "[{label}] 20 November's count");
        assert_eq!(posts[0].engagement_rate, Some(16.0 / 1100.0), "[{label}]");
        let page = app.analytics_post(&analyst, &ws.slug, a.id).await.unwrap();
        assert_eq!(page.snapshots.len(), 1, "[{label}]");

        // A second snapshot on request keeps the schedule and adds a point to the curve.
        let later =
            Measured { post: DuePost { has_followers: true, ..a.clone() }, counts: counts(12, 2, 3, 1) };
        record_posts(app.store(), ws.id, ch.id, &[later], false, now + HOUR).await.unwrap();
        let page = app.analytics_post(&analyst, &ws.slug, a.id).await.unwrap();
        assert_eq!(page.snapshots.iter().map(|s| s.step).collect::<Vec<_>>(), [0, -1], "[{label}]");
        assert_eq!(page.line.row.likes, 12, "[{label}] the latest counts");

        let s = app.analytics_summary(&analyst, &ws.slug, &period, &none).await.unwrap();
        assert_eq!((s.posts, s.engagements), (2, 18 + 4), "[{label}]");
        assert_eq!(s.engagement_rate, Some(22.0 / 2200.0), "[{label}] weighted by followers");
        assert_eq!(s.followers, 1150, "[{label}] the latest count");
        assert_eq!(s.follower_growth, 50, "[{label}] 1,100 on the 20th → 1,150 on the 30th");
        assert_eq!(s.changes.posts.rate, Some(1.0), "[{label}] 2 posts against 1");
        assert_eq!(
            s.daily.iter().map(|d| (d.day.as_str(), d.engagements)).collect::<Vec<_>>(),
            [("2026-11-22", 18), ("2026-11-25", 4)]
        );
        assert_eq!(s.top_posts[0].row.id, a.id, "[{label}]");
        assert_eq!(s.bottom_posts[0].row.id, b.id, "[{label}]");

        // Filters: a channel that does not exist is named; the author filter by e-mail.
        let bad = Filters { channel: "nobody.test".into(), ..Filters::default() };
        let e = app.analytics_summary(&analyst, &ws.slug, &period, &bad).await.unwrap_err();
        assert!(matches!(e, AppError::Invalid(ref i) if i.field == "channel"), "[{label}] {e:?}");
        let e = app
            .analytics_posts(&analyst, &ws.slug, &period, &none, "loudness", false, 10, 0)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Invalid(ref i) if i.field == "sort"), "[{label}] {e:?}");

        // Contributors prepare drafts; the numbers are not theirs.
        let e = app.analytics_summary(&contrib, &ws.slug, &period, &none).await.unwrap_err();
        assert!(matches!(e, AppError::Forbidden(_)), "[{label}] {e:?}");
        let e = app.analytics_collect_access(&analyst, &ws.slug).await.unwrap_err();
        assert!(matches!(e, AppError::Forbidden(_)), "[{label}] an analyst reads, does not collect");
    }
}

fn reply(id: &str, author: &str, at: i64) -> Incoming {
    Incoming {
        remote_id: id.into(),
        kind: "reply".parse().unwrap(),
        author_id: format!("did:plc:{author}"),
        author_handle: format!("{author}.test"),
        author_name: author.to_uppercase(),
        text: "Bonjour, une question sur ma commande".into(),
        post: Some((format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), None)),
        parent: Some("at://did:plc:maison/app.bsky.feed.post/root".into()),
        root: Some("at://did:plc:maison/app.bsky.feed.post/root".into()),
        at,
        ..Default::default()
    }
}

#[tokio::test]
async fn response_times_and_best_times_read_the_inbox() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "UTC").await.unwrap();
        let ch = app
            .add_channel(
                &op,
                &Keyring::generate(),
                &ws.slug,
                &tutti_test_support::offline_bluesky("maison.test", Some("did:plc:maison")),
            )
            .await
            .unwrap();
        // Three people write on Tuesdays at 19:00; nobody has answered yet.
        let tuesday = ms("2026-11-24", 19);
        let items: Vec<_> =
            [("r1", "ana", tuesday), ("r2", "bob", tuesday - 7 * DAY), ("r3", "eve", tuesday + 60_000)]
                .iter()
                .map(|(id, who, at)| {
                    item_of(ws.id, ch.id, tutti_domain::Network::Bluesky, &reply(id, who, *at))
                })
                .collect();
        let mut tx = app.store().begin().await.unwrap();
        tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &items).await.unwrap();
        tx.commit().await.unwrap();

        let now = tutti_store::now_ms();
        let period = analytics::period("custom", "2026-11-01", "2026-11-30", "UTC", now).unwrap();
        let team = app.analytics_team(&op, &ws.slug, &period).await.unwrap();
        assert_eq!((team.all.asked, team.all.answered), (3, 0), "[{label}]");
        assert_eq!(team.all.sla_breaches, 3, "[{label}] unanswered for days");
        assert_eq!(team.channels[0].times.asked, 3, "[{label}]");
        let s = app.analytics_summary(&op, &ws.slug, &period, &Filters::default()).await.unwrap();
        assert_eq!(s.response_rate, Some(0.0), "[{label}]");
        assert_eq!(
            s.inbox_sentiment.positive.unwrap_or(0.0)
                + s.inbox_sentiment.neutral.unwrap_or(0.0)
                + s.inbox_sentiment.negative.unwrap_or(0.0),
            1.0
        );

        // No posts measured: the best times fall back to when the community writes.
        let best = app.best_times(&op, &ws.slug, "@maison.test", 2).await.unwrap();
        assert_eq!(best.basis, Basis::CommunityActivity, "[{label}]");
        assert_eq!((best.best[0].weekday, best.best[0].hour, best.best[0].activity), (1, 19, 3), "[{label}]");
        let e = app.best_times(&op, &ws.slug, "someone.else", 2).await.unwrap_err();
        assert!(matches!(e, AppError::Invalid(ref i) if i.field == "channel"), "[{label}] {e:?}");
    }
}
