//! The community CRM on every backend: merge and split keep the history, scores on a small
//! fixture with known values, segments and their CSV export with hostile names neutralised.

use tutti_app::ingest::{item_of, Incoming};
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App, AppError};
use tutti_store::people::{PeopleFilter, Sort};

const PASSWORD: &str = "correct horse battery";
const DAY: i64 = 86_400_000;

async fn setup(db: &tutti_test_support::TestDb) -> (App, String, i64, i64) {
    let app = App::new(db.open().await, tutti_test_support::app_config());
    let op = Actor::Operator;
    let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
    for (email, role) in
        [("cm@ml.test", "cm"), ("analyst@ml.test", "analyst"), ("contrib@ml.test", "contributor")]
    {
        app.add_user(&op, email, email, PASSWORD, false).await.unwrap();
        app.add_member(&op, &ws.slug, email, role).await.unwrap();
    }
    let channel = tutti_test_support::offline_bluesky("maison.test", Some("did:plc:maison"));
    let c = app.add_channel(&op, &Keyring::generate(), &ws.slug, &channel).await.unwrap();
    (app, ws.slug, ws.id, c.id)
}

async fn as_user(app: &App, email: &str) -> Actor {
    Actor::User(app.user_by_email(email).await.unwrap())
}

fn note(id: &str, kind: &str, author: &str, name: &str, text: &str, root: &str, at: i64) -> Incoming {
    Incoming {
        remote_id: id.into(),
        kind: kind.parse().unwrap(),
        author_id: format!("did:plc:{author}"),
        author_handle: format!("{author}.test"),
        author_name: name.into(),
        text: text.into(),
        post: (kind != "like").then(|| (format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), None)),
        parent: (kind == "reply").then(|| format!("at://did:plc:maison/app.bsky.feed.post/{root}")),
        root: (kind == "reply").then(|| format!("at://did:plc:maison/app.bsky.feed.post/{root}")),
        subject: (kind == "like").then(|| format!("at://did:plc:maison/app.bsky.feed.post/{root}")),
        at,
        ..Default::default()
    }
}

async fn ingest(app: &App, ws: i64, ch: i64, notes: &[Incoming]) {
    let items: Vec<_> = notes.iter().map(|n| item_of(ws, ch, tutti_domain::Network::Bluesky, n)).collect();
    let mut tx = app.store().begin().await.unwrap();
    tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &items).await.unwrap();
    tx.commit().await.unwrap();
}

fn all() -> PeopleFilter {
    PeopleFilter::default()
}

#[tokio::test]
async fn scores_merge_split_segments_and_export() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (app, slug, ws, ch) = setup(&db).await;
        let now = tutti_store::now_ms();
        let mut notes = vec![
            // Carla: a complaint in thread 1, Dana defends the brand there.
            note("c1", "reply", "carla", "Carla", "Service nul, je suis très déçue", "1", now - DAY),
            note(
                "d1",
                "reply",
                "dana",
                "Dana",
                "Moi j'adore cette marque, merci pour tout !",
                "1",
                now - DAY + 1000,
            ),
            note("d2", "like", "dana", "Dana", "", "2", now - 2 * DAY),
            // Dana's second account on Bluesky.
            note(
                "e1",
                "mention",
                "dana2",
                "Dana bis",
                "Super contente, bravo @maison.test",
                "3",
                now - 40 * DAY,
            ),
            // Hostile name.
            note(
                "h1",
                "reply",
                "hostile",
                "=HYPERLINK(\"http://evil.test\",\"x\")",
                "bonjour",
                "4",
                now - 3 * DAY,
            ),
        ];
        // Lou: loyal (6 items 100+ days ago), quiet since.
        for i in 0..6 {
            notes.push(note(
                &format!("l{i}"),
                "reply",
                "lou",
                "Lou",
                "Merci, génial",
                "5",
                now - (100 + i) * DAY,
            ));
        }
        ingest(&app, ws, ch, &notes).await;
        let cm = as_user(&app, "cm@ml.test").await;
        app.refresh_community(&cm, &slug).await.unwrap();
        let list = app.people(&cm, &slug, &all(), Sort::Engagement, 0, 50).await.unwrap();
        let by = |h: &str| list.iter().find(|p| p.handles.iter().any(|x| x == h)).cloned().unwrap();
        let dana = by("dana.test");
        // Reply (3 × 1) + like (1 × 1) = 4.
        assert_eq!(dana.engagement, 4.0, "[{label}] {dana:#?}");
        assert_eq!((dana.positives, dana.defends, dana.advocacy), (1, 1, 3.0), "[{label}] defends the brand");
        let carla = by("carla.test");
        assert_eq!(
            (carla.negatives, carla.advocacy, carla.recent_sentiment),
            (1, -1.0, Some(-1.0)),
            "[{label}]"
        );
        let lou = by("lou.test");
        assert_eq!(lou.churn, "quiet", "[{label}] loyal and silent: {lou:#?}");
        assert!((lou.engagement - 6.0 * 3.0 * 0.25).abs() < 1e-9, "[{label}] old items weigh a quarter");
        assert_eq!(list[0].id, lou.id, "[{label}] sorted by engagement");
        let dana2 = by("dana2.test");
        assert_eq!(dana2.engagement, 2.0 * 0.5, "[{label}] a mention of 40 days ago");

        // Merge Dana's two accounts: one person, both identities, all history.
        app.merge_people(&cm, &slug, dana.id, dana2.id).await.unwrap();
        let p = app.person_profile(&cm, &slug, dana.id, 0).await.unwrap();
        assert_eq!(p.identities.len(), 2, "[{label}]");
        assert_eq!(p.history.len(), 3, "[{label}] {:#?}", p.history);
        assert_eq!(p.person.interactions, 3);
        assert_eq!(p.history[0].kind, "reply", "[{label}] newest first");
        assert_eq!(p.person.engagement, 5.0, "[{label}] scores follow the merge");
        assert!(matches!(app.person_profile(&cm, &slug, dana2.id, 0).await, Err(AppError::NotFound(_))));
        // Split the second account off again: its items go with it.
        let second = p.identities.iter().find(|i| i.handle == "dana2.test").unwrap().id;
        let new = app.split_person(&cm, &slug, dana.id, second).await.unwrap();
        let back = app.person_profile(&cm, &slug, new, 0).await.unwrap();
        assert_eq!((back.history.len(), back.person.display_name.as_str()), (1, "Dana bis"), "[{label}]");
        assert_eq!(app.person_profile(&cm, &slug, dana.id, 0).await.unwrap().history.len(), 2);
        let e = app.split_person(&cm, &slug, new, back.identities[0].id).await.unwrap_err();
        assert!(
            matches!(e, AppError::Invalid(ref i) if i.field == "identity"),
            "[{label}] the last identity stays"
        );

        // Tags, notes, fields.
        app.tag_person(&cm, &slug, dana.id, "VIP, ambassadrice").await.unwrap();
        app.add_person_note(&cm, &slug, dana.id, "Rencontrée au salon").await.unwrap();
        app.set_person_field(&cm, &slug, dana.id, "city", "Lyon").await.unwrap();
        let e = app.set_person_field(&cm, &slug, dana.id, "bad key!", "x").await.unwrap_err();
        assert!(matches!(e, AppError::Invalid(ref i) if i.field == "key"));
        let p = app.person_profile(&cm, &slug, dana.id, 0).await.unwrap();
        assert_eq!(p.person.tags, vec!["vip", "ambassadrice"]);
        assert_eq!((p.notes.len(), p.notes[0].author_name.as_str()), (1, "cm@ml.test"));
        assert_eq!(p.fields, vec![("city".to_owned(), "Lyon".to_owned())]);

        // Segments.
        let fans = PeopleFilter { min_advocacy: 1.0, ..Default::default() };
        app.save_segment(&cm, &slug, "Fans", &fans).await.unwrap();
        let e = app.save_segment(&cm, &slug, "Fans", &fans).await.unwrap_err();
        assert!(matches!(e, AppError::Conflict(ref i) if i.field == "name"), "[{label}]");
        let seg = app.segment(&cm, &slug, "Fans").await.unwrap();
        let found = app.people(&cm, &slug, &seg.filter, Sort::Advocacy, 0, 50).await.unwrap();
        let names: Vec<_> = found.iter().map(|p| p.display_name.as_str()).collect();
        assert_eq!(names, vec!["Lou", "Dana", "Dana bis"], "[{label}] advocacy ≥ 1, highest first");
        let vip = PeopleFilter { tag: "vip".into(), ..Default::default() };
        assert_eq!(app.people(&cm, &slug, &vip, Sort::Name, 0, 50).await.unwrap().len(), 1);
        let search = PeopleFilter { q: "HOSTILE.te".into(), ..Default::default() };
        assert_eq!(
            app.people(&cm, &slug, &search, Sort::Name, 0, 50).await.unwrap().len(),
            1,
            "[{label}] by handle"
        );
        let churn = PeopleFilter { churn: true, ..Default::default() };
        let c = app.people(&cm, &slug, &churn, Sort::Name, 0, 50).await.unwrap();
        assert_eq!(c.iter().map(|p| p.display_name.as_str()).collect::<Vec<_>>(), vec!["Lou"]);

        let csv = app.export_people_csv(&cm, &slug, &all()).await.unwrap();
        assert!(csv.starts_with("id,display_name,handles"), "{csv}");
        assert!(
            csv.contains("\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"x\"\")\""),
            "[{label}] neutralised: {csv}"
        );
        assert!(!csv.contains(",=HYPERLINK"), "[{label}]");
        assert!(csv.ends_with("\r\n"));

        // Roles: the analyst reads, does not change; a contributor does not even read.
        let analyst = as_user(&app, "analyst@ml.test").await;
        assert!(app.people(&analyst, &slug, &all(), Sort::Name, 0, 10).await.is_ok());
        assert!(matches!(app.tag_person(&analyst, &slug, dana.id, "x").await, Err(AppError::Forbidden(_))));
        let contrib = as_user(&app, "contrib@ml.test").await;
        assert!(matches!(
            app.people(&contrib, &slug, &all(), Sort::Name, 0, 10).await,
            Err(AppError::Forbidden(_))
        ));
        // Every change is audited.
        let log = app
            .audit_log(&Actor::Operator, &slug, &tutti_app::AuditQuery { limit: 500, ..Default::default() })
            .await
            .unwrap();
        for action in
            ["person.merge", "person.split", "person.tag", "person.note", "person.field", "segment.create"]
        {
            assert!(log.iter().any(|e| e.action == action), "[{label}] {action} audited");
        }
    }
}

#[tokio::test]
async fn the_worker_rebuilds_the_scores_of_workspaces_that_saw_someone() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (app, slug, ws, ch) = setup(&db).await;
        let now = tutti_store::now_ms();
        let cm = as_user(&app, "cm@ml.test").await;
        // No one yet: nothing to score.
        assert_eq!(tutti_app::people::refresh_stale_scores(app.store(), now).await.unwrap(), 0, "[{label}]");

        ingest(&app, ws, ch, &[note("w1", "reply", "ana", "Ana", "Merci, génial", "1", now - DAY)]).await;
        let before = app.people(&cm, &slug, &all(), Sort::Name, 0, 10).await.unwrap();
        assert_eq!(before[0].engagement, 0.0, "[{label}] reading the list does not rebuild the scores");
        assert_eq!(tutti_app::people::refresh_stale_scores(app.store(), now).await.unwrap(), 1, "[{label}]");
        let after = app.people(&cm, &slug, &all(), Sort::Name, 0, 10).await.unwrap();
        assert_eq!(after[0].engagement, 3.0, "[{label}] a reply of yesterday weighs 3");

        // Fresh: nothing to do; five minutes later still nothing unless someone came; an hour
        // later the recency weights have moved, so it is rebuilt.
        assert_eq!(tutti_app::people::refresh_stale_scores(app.store(), now + 1_000).await.unwrap(), 0);
        assert_eq!(tutti_app::people::refresh_stale_scores(app.store(), now + 6 * 60_000).await.unwrap(), 0);
        ingest(&app, ws, ch, &[note("w2", "mention", "bo", "Bo", "Bonjour", "2", now + 60_000)]).await;
        assert_eq!(tutti_app::people::refresh_stale_scores(app.store(), now + 6 * 60_000).await.unwrap(), 1);
        assert_eq!(tutti_app::people::refresh_stale_scores(app.store(), now + 7 * 60_000).await.unwrap(), 0);
        assert_eq!(
            tutti_app::people::refresh_stale_scores(app.store(), now + 2 * 3_600_000).await.unwrap(),
            1
        );
    }
}
