//! Publishing use cases on every backend: posts refused at their field with nothing stored,
//! ambassador channels, approvals, and CSV imports that land whole or not at all.

use tutti_app::import::RowToImport;
use tutti_app::publishing::{ChannelToAdd, PostToWrite};
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App, AppError};

const PASSWORD: &str = "correct horse battery";

async fn setup(db: &tutti_test_support::TestDb) -> (App, String) {
    let app = App::new(db.open().await, tutti_test_support::app_config());
    let op = Actor::Operator;
    let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
    for (email, role) in [("smm@ml.test", "smm"), ("cm@ml.test", "cm"), ("contrib@ml.test", "contributor")] {
        app.add_user(&op, email, email, PASSWORD, false).await.unwrap();
        app.add_member(&op, &ws.slug, email, role).await.unwrap();
    }
    let keys = Keyring::generate();
    let channel = |handle: &str, ambassador: Option<&str>| ChannelToAdd {
        network: "bluesky".into(),
        handle: handle.into(),
        service: "http://127.0.0.1:9".into(),
        account_id: None,
        secret: "app-password".into(),
        ambassador: ambassador.map(str::to_owned),
    };
    app.add_channel(&op, &keys, &ws.slug, &channel("maison.test", None)).await.unwrap();
    app.add_channel(&op, &keys, &ws.slug, &channel("lucas.test", Some("cm@ml.test"))).await.unwrap();
    (app, ws.slug)
}

async fn as_user(app: &App, email: &str) -> Actor {
    Actor::User(app.user_by_email(email).await.unwrap())
}

fn field(e: AppError) -> (String, String) {
    match e {
        AppError::Invalid(i) | AppError::Conflict(i) => (i.field.to_owned(), i.message),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn posts_are_refused_at_their_field_and_ambassador_channels_belong_to_their_member() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug) = setup(&db).await;
        let now = tutti_store::now_ms();
        let smm = as_user(&app, "smm@ml.test").await;
        let post = |channel: &str, text: &str, at: Option<&str>| PostToWrite {
            channel: channel.into(),
            text: text.into(),
            at: at.map(str::to_owned),
            ..Default::default()
        };
        for (p, want) in [
            (post("nobody.test", "Bonjour", None), "channel"),
            (post("maison.test", &"é".repeat(301), None), "text"),
            (post("maison.test", "Bonjour", Some("2020-01-01T09:00:00+01:00")), "at"),
            (post("maison.test", "Bonjour", Some("demain matin")), "at"),
            (post("lucas.test", "Bonjour", None), "channel"),
        ] {
            let (f, message) = field(app.create_post(&smm, &slug, &p, now).await.unwrap_err());
            assert_eq!(f, want, "[{}] {message}", db.label());
        }
        assert!(app.posts(&smm, &slug, 10).await.unwrap().is_empty(), "nothing stored");
        let cm = as_user(&app, "cm@ml.test").await;
        let own =
            app.create_post(&cm, &slug, &post("lucas.test", "Mon avis perso", None), now).await.unwrap();
        assert_eq!(own.status, "scheduled", "the ambassador publishes through their own account");
    }
}

#[tokio::test]
async fn contributors_send_for_review_and_smms_approve_or_send_back() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug) = setup(&db).await;
        let now = tutti_store::now_ms();
        let contrib = as_user(&app, "contrib@ml.test").await;
        let p = PostToWrite {
            channel: "maison.test".into(),
            text: "Nouvelle collection".into(),
            ..Default::default()
        };
        let a = app.create_post(&contrib, &slug, &p, now).await.unwrap();
        let b = app.create_post(&contrib, &slug, &p, now).await.unwrap();
        assert_eq!((a.status.as_str(), b.status.as_str()), ("in_review", "in_review"));
        let cm = as_user(&app, "cm@ml.test").await;
        assert!(
            matches!(app.approve_post(&cm, &slug, a.id).await, Err(AppError::Forbidden(_))),
            "a CM does not approve"
        );
        let smm = as_user(&app, "smm@ml.test").await;
        assert_eq!(app.approve_post(&smm, &slug, a.id).await.unwrap().status, "scheduled");
        let (f, _) = field(app.approve_post(&smm, &slug, a.id).await.unwrap_err());
        assert_eq!(f, "post", "a post no longer in review cannot be approved again");
        assert_eq!(field(app.send_back_post(&smm, &slug, b.id, "  ").await.unwrap_err()).0, "comment");
        let back = app.send_back_post(&smm, &slug, b.id, "Ajoute le lien vers la boutique").await.unwrap();
        assert_eq!(
            (back.status.as_str(), back.error.as_deref()),
            ("draft", Some("Ajoute le lien vers la boutique"))
        );
    }
}

fn row(line: usize, date: &str, time: &str, channel: &str, text: &str) -> RowToImport {
    RowToImport {
        line,
        date: date.into(),
        time: time.into(),
        channel: channel.into(),
        text: text.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_import_lands_whole_or_reports_every_bad_row_and_column() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug) = setup(&db).await;
        let smm = as_user(&app, "smm@ml.test").await;
        let now = chrono::DateTime::parse_from_rfc3339("2027-01-10T12:00:00Z").unwrap().timestamp_millis();
        let bad = vec![
            row(2, "2027-02-01", "09:30", "maison.test", "Bonne année"),
            row(3, "2027-02-01", "09:30", "nobody.test", "Inconnu"),
            row(4, "2027-13-01", "09:30", "maison.test", "Mauvaise date"),
            row(5, "2027-03-28", "02:30", "maison.test", "Heure sautée au changement d'heure"),
            row(6, "2027-01-01", "10:00", "maison.test", "Passé"),
            RowToImport {
                link: "javascript:alert(1)".into(),
                ..row(7, "2027-02-02", "10:00", "maison.test", "Lien")
            },
            row(8, "2027-02-02", "10:00", "maison.test", &"a".repeat(301)),
        ];
        let (f, report) = field(app.import_posts(&smm, &slug, &bad, now).await.unwrap_err());
        assert_eq!(f, "file");
        for want in [
            "row 3, column channel",
            "row 4, column date",
            "row 5, column time",
            "row 6, column date",
            "row 7, column link",
            "row 8, column text",
        ] {
            assert!(report.contains(want), "[{}] {want} in:\n{report}", db.label());
        }
        assert!(!report.contains("row 2,"), "the good row is not blamed");
        assert!(app.posts(&smm, &slug, 10).await.unwrap().is_empty(), "nothing half-imported");

        let good = vec![
            RowToImport {
                link: "https://maison-lumiere.example/soldes".into(),
                ..row(2, "2027-02-01", "09:30", "maison.test", "Les soldes")
            },
            row(3, "2027-03-28", "09:30", "maison.test", "Dimanche du changement d'heure"),
        ];
        assert_eq!(app.import_posts(&smm, &slug, &good, now).await.unwrap(), 2);
        let mut posts = app.posts(&smm, &slug, 10).await.unwrap();
        posts.sort_by_key(|p| p.scheduled_at);
        assert_eq!(posts[0].text, "Les soldes https://maison-lumiere.example/soldes");
        // 09:30 in Paris is 08:30 UTC in winter and 07:30 UTC once summer time has begun.
        let utc = |p: &tutti_store::publishing::Post| {
            chrono::DateTime::from_timestamp_millis(p.scheduled_at.unwrap()).unwrap().to_rfc3339()
        };
        assert_eq!(utc(&posts[0]), "2027-02-01T08:30:00+00:00");
        assert_eq!(utc(&posts[1]), "2027-03-28T07:30:00+00:00");
    }
}

#[tokio::test]
async fn posts_wait_for_a_channel_that_needs_reconnecting_and_go_out_once_it_is_back() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug) = setup(&db).await;
        let smm = as_user(&app, "smm@ml.test").await;
        let now = tutti_store::now_ms();
        let p =
            PostToWrite { channel: "maison.test".into(), text: "En attente".into(), ..Default::default() };
        let post = app.create_post(&smm, &slug, &p, now).await.unwrap();
        let store = app.store().clone();
        let mut tx = store.begin().await.unwrap();
        tutti_store::publishing::set_channel_status(
            &mut tx,
            post.channel_id,
            tutti_domain::ChannelStatus::NeedsReconnect,
            Some("Invalid app password"),
        )
        .await
        .unwrap();
        let claimed =
            tutti_store::publishing::claim_due(&mut tx, store.backend(), "w", now + 1000, 60_000, 10)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        assert!(claimed.is_empty(), "[{}] the post waits for its channel", db.label());
        let cm = as_user(&app, "cm@ml.test").await;
        assert!(matches!(
            app.reconnect_channel(&cm, &Keyring::generate(), &slug, "maison.test", "x").await,
            Err(AppError::Forbidden(_))
        ));
        let back = app
            .reconnect_channel(&smm, &Keyring::generate(), &slug, "maison.test", "new-app-password")
            .await
            .unwrap();
        assert_eq!((back.status.as_str(), back.status_message.as_deref()), ("ok", None));
        let mut tx = store.begin().await.unwrap();
        let claimed =
            tutti_store::publishing::claim_due(&mut tx, store.backend(), "w", now + 1000, 60_000, 10)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            claimed.iter().map(|c| c.post.id).collect::<Vec<_>>(),
            vec![post.id],
            "and goes out once it is back"
        );
    }
}

#[tokio::test]
async fn add_to_queue_takes_each_free_weekly_slot_once() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug) = setup(&db).await;
        let smm = as_user(&app, "smm@ml.test").await;
        let cm = as_user(&app, "cm@ml.test").await;
        let now = tutti_store::now_ms();
        let queued = |text: &str| PostToWrite {
            channel: "maison.test".into(),
            text: text.into(),
            queue: true,
            ..Default::default()
        };
        let (f, _) = field(app.create_post(&smm, &slug, &queued("Sans créneau"), now).await.unwrap_err());
        assert_eq!(f, "queue", "[{}] a channel without slots", db.label());
        let slots = tutti_app::queues::parse_slots("lun 09:00, wed 12:30, fri 17:00").unwrap();
        assert!(
            matches!(
                app.set_queue_slots(&cm, &slug, "maison.test", &slots).await,
                Err(AppError::Forbidden(_))
            ),
            "a CM does not change a channel's queue"
        );
        app.set_queue_slots(&smm, &slug, "maison.test", &slots).await.unwrap();
        assert_eq!(
            tutti_app::queues::format_slots(&app.queue_slots(&cm, &slug, "maison.test").await.unwrap()),
            "mon 09:00, wed 12:30, fri 17:00"
        );
        let mut times = Vec::new();
        for i in 0..4 {
            let p = app.create_post(&cm, &slug, &queued(&format!("Dans la file {i}")), now).await.unwrap();
            times.push(p.scheduled_at.expect("a queued post has its slot's time"));
        }
        let mut sorted = times.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, times, "[{}] each post takes the next slot: {times:?}", db.label());
        assert!(times[0] > now && times[3] - times[0] < 8 * 24 * 3600 * 1000);
        let tz: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        for t in &times {
            use chrono::{Datelike, Timelike};
            let local = chrono::DateTime::from_timestamp_millis(*t).unwrap().with_timezone(&tz);
            let at = (local.weekday().num_days_from_monday(), local.hour(), local.minute());
            assert!([(0, 9, 0), (2, 12, 30), (4, 17, 0)].contains(&at), "{at:?} is a slot, in Paris time");
        }
        let both = PostToWrite { at: Some("2030-01-01T09:00:00+01:00".into()), ..queued("Les deux") };
        assert_eq!(field(app.create_post(&cm, &slug, &both, now).await.unwrap_err()).0, "queue");
    }
}

#[tokio::test]
async fn who_publishes_without_review_is_a_rule_of_the_workspace() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug) = setup(&db).await;
        let smm = as_user(&app, "smm@ml.test").await;
        let cm = as_user(&app, "cm@ml.test").await;
        let now = tutti_store::now_ms();
        let p = PostToWrite { channel: "maison.test".into(), text: "Bonjour".into(), ..Default::default() };
        assert_eq!(app.create_post(&cm, &slug, &p, now).await.unwrap().status, "scheduled", "by default");
        use tutti_domain::Role;
        assert!(matches!(app.set_direct_roles(&cm, &slug, &[Role::Cm]).await, Err(AppError::Forbidden(_))));
        let (f, _) =
            field(app.set_direct_roles(&smm, &slug, &[Role::Smm, Role::Contributor]).await.unwrap_err());
        assert_eq!(f, "roles", "contributors never publish without review");
        app.set_direct_roles(&smm, &slug, &[Role::Smm, Role::Admin]).await.unwrap();
        assert_eq!(app.direct_roles(&cm, &slug).await.unwrap(), vec![Role::Admin, Role::Smm]);
        assert!(!app.publishes_directly(&cm, &slug).await.unwrap());
        assert_eq!(
            app.create_post(&cm, &slug, &p, now).await.unwrap().status,
            "in_review",
            "[{}]",
            db.label()
        );
        assert_eq!(app.create_post(&smm, &slug, &p, now).await.unwrap().status, "scheduled");
        let audit = app.store().clone();
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'publishing.review_rule'")
                .fetch_one(&mut *audit.conn().await.unwrap())
                .await
                .unwrap();
        assert_eq!(n, 1, "the change is audited");
    }
}

#[tokio::test]
async fn a_refused_channel_notifies_the_people_who_can_reconnect_it() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug) = setup(&db).await;
        let store = app.store().clone();
        let channels = app.channels(&Actor::Operator, &slug).await.unwrap();
        let lucas = channels.iter().find(|c| c.handle == "lucas.test").unwrap();
        let mut tx = store.begin().await.unwrap();
        let ids = tutti_app::notices::channel_needs_reconnect(&mut tx, lucas, "Invalid app password <b>")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(ids.len(), 2, "[{}] the SMM and the ambassador (the CM), not the contributor", db.label());
        let cm = as_user(&app, "cm@ml.test").await;
        let contrib = as_user(&app, "contrib@ml.test").await;
        assert!(app.notices(&contrib, &slug).await.unwrap().is_empty());
        let mine = app.notices(&cm, &slug).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(
            (mine[0].subject.as_str(), mine[0].detail.as_str()),
            ("lucas.test", "Invalid app password <b>")
        );
        assert_eq!(mine[0].link, format!("/w/{slug}/channels"));
        assert_eq!(app.mark_notices_read(&cm, &slug).await.unwrap(), 1);
        assert!(app.notices(&cm, &slug).await.unwrap().is_empty());
        assert_eq!(app.notices(&as_user(&app, "smm@ml.test").await, &slug).await.unwrap().len(), 1);
    }
}
