//! Product feedback on every backend: categories suggested at ingestion, confirmed by a
//! community manager (not by the product team, who reads the report), recurring issues and
//! the report in Markdown and CSV.

use tutti_app::ingest::{item_of, Incoming};
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App, AppError};

const PASSWORD: &str = "correct horse battery";

fn ms(day: &str) -> i64 {
    // Noon UTC of the day: inside the day in Paris too.
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

fn note(id: &str, kind: &str, author: &str, text: &str, day: &str) -> Incoming {
    Incoming {
        remote_id: id.into(),
        kind: kind.parse().unwrap(),
        author_id: format!("did:plc:{author}"),
        author_handle: format!("{author}.test"),
        author_name: author.to_uppercase(),
        text: text.into(),
        post: Some((format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), None)),
        parent: (kind == "reply").then(|| format!("at://did:plc:maison/app.bsky.feed.post/{id}")),
        root: (kind == "reply").then(|| format!("at://did:plc:maison/app.bsky.feed.post/{id}")),
        at: ms(day),
        ..Default::default()
    }
}

#[tokio::test]
async fn categories_issues_and_the_report() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        for (email, role) in
            [("cm@ml.test", "cm"), ("product@ml.test", "product"), ("contrib@ml.test", "contributor")]
        {
            app.add_user(&op, email, email, PASSWORD, false).await.unwrap();
            app.add_member(&op, &ws.slug, email, role).await.unwrap();
        }
        let ch = app
            .add_channel(
                &op,
                &Keyring::generate(),
                &ws.slug,
                &tutti_test_support::offline_bluesky("maison.test", Some("did:plc:maison")),
            )
            .await
            .unwrap();
        let notes = [
            note("a", "reply", "a", "La livraison est encore en retard", "2026-11-03"),
            note("b", "reply", "b", "Livraison en retard, troisième fois", "2026-11-10"),
            note("c", "mention", "c", "Retard de livraison inadmissible", "2026-11-20"),
            note("d", "reply", "d", "L'appli plante au paiement", "2026-11-21"),
            note("e", "reply", "e", "J'aimerais un mode sombre", "2026-11-22"),
            note("f", "reply", "f", "Vous livrez en Belgique ?", "2026-11-23"),
            note("g", "mention", "g", "Merci, bravo à toute l'équipe", "2026-11-24"),
            note("h", "like", "h", "", "2026-11-24"),
            note("p", "reply", "p", "Livraison en retard aussi", "2026-10-20"),
            note("x", "reply", "x", "=HYPERLINK(\"http://evil.test\") <b>plante</b>", "2026-11-25"),
        ];
        let items: Vec<_> =
            notes.iter().map(|n| item_of(ws.id, ch.id, tutti_domain::Network::Bluesky, n)).collect();
        let cats: Vec<_> = items.iter().map(|i| i.category.as_str()).collect();
        assert_eq!(
            cats,
            [
                "complaint",
                "complaint",
                "complaint",
                "bug",
                "feature",
                "question",
                "praise",
                "",
                "complaint",
                "bug"
            ],
            "[{label}] suggested at ingestion"
        );
        let mut tx = app.store().begin().await.unwrap();
        tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &items).await.unwrap();
        tx.commit().await.unwrap();

        let cm = Actor::User(app.user_by_email("cm@ml.test").await.unwrap());
        let product = Actor::User(app.user_by_email("product@ml.test").await.unwrap());
        let contrib = Actor::User(app.user_by_email("contrib@ml.test").await.unwrap());
        let list = app.feedback(&product, &ws.slug, "2026-11-01", "2026-11-30", None, None).await.unwrap();
        assert_eq!(list.len(), 8, "[{label}] answerable items of November");
        let question = list.iter().find(|i| i.category == "question").unwrap().id;
        // The product team reads, does not change; a contributor does neither.
        assert!(matches!(
            app.set_feedback_category(&product, &ws.slug, question, "feature").await,
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            app.feedback(&contrib, &ws.slug, "2026-11-01", "2026-11-30", None, None).await,
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            app.feedback_report(&contrib, &ws.slug, "2026-11-01", "2026-11-30").await,
            Err(AppError::Forbidden(_))
        ));
        let e = app.set_feedback_category(&cm, &ws.slug, question, "gossip").await.unwrap_err();
        assert!(matches!(e, AppError::Invalid(ref i) if i.field == "category"));
        app.set_feedback_category(&cm, &ws.slug, question, "feature").await.unwrap();
        let confirmed = app
            .feedback(&cm, &ws.slug, "2026-11-01", "2026-11-30", Some("feature"), Some(true))
            .await
            .unwrap();
        assert_eq!(confirmed.iter().map(|i| i.id).collect::<Vec<_>>(), vec![question], "[{label}]");
        let e = app.feedback(&cm, &ws.slug, "2026-11-30", "2026-11-01", None, None).await.unwrap_err();
        assert!(matches!(e, AppError::Invalid(ref i) if i.field == "to"));

        let r = app.feedback_report(&product, &ws.slug, "2026-11-01", "2026-11-30").await.unwrap();
        let count =
            |c: &str| r.counts.iter().find(|x| x.category == c).map(|x| (x.count, x.previous)).unwrap();
        assert_eq!(count("complaint"), (3, 1), "[{label}] {:?}", r.counts);
        assert_eq!(count("bug"), (2, 0));
        assert_eq!(count("feature"), (2, 0));
        assert_eq!(count("question"), (0, 0));
        assert_eq!(count("praise"), (1, 0));
        assert_eq!(r.issues[0].label, "livraison retard", "[{label}] {:?}", r.issues);
        assert_eq!((r.issues[0].count, r.issues[0].previous), (3, 1));
        let md = r.markdown("https://tutti.example");
        assert!(md.contains("| complaint | 3 | 1 |"), "{md}");
        assert!(md.contains("**livraison retard**: 3 this period, 1 before (up)"), "{md}");
        let conv = list.iter().find(|i| i.text.starts_with("La livraison")).unwrap().conversation_id;
        assert!(md.contains(&format!("(https://tutti.example/w/{}/inbox/{conv})", ws.slug)), "{md}");
        assert!(md.contains("\\<b\\>plante\\</b\\>"), "[{label}] markup made literal: {md}");
        let csv = r.csv("");
        assert!(
            csv.starts_with("date,category,confirmed,kind,sentiment,author,text,issue,link\r\n"),
            "{csv}"
        );
        assert!(csv.contains("2026-11-23,feature,yes,reply"), "[{label}] {csv}");
        assert!(csv.contains("\"'=HYPERLINK(\"\"http://evil.test\"\") <b>plante</b>\""), "[{label}] {csv}");
        assert!(
            csv.contains(&format!("livraison retard,/w/{}/inbox/{conv}\r\n", ws.slug)),
            "[{label}] {csv}"
        );
        let log = app
            .audit_log(&op, &ws.slug, &tutti_app::AuditQuery { limit: 100, ..Default::default() })
            .await
            .unwrap();
        assert!(log.iter().any(|e| e.action == "feedback.category"), "[{label}] audited");
    }
}
