//! The Moderation page on every backend: rules from the form with errors beside their field,
//! a dry run, the log with undo, hostile text inert, and roles.

mod common;

use common::{brand_channel, seed, spawn, PASSWORD, WS};
use tutti_app::ingest::{item_of, Incoming};
use tutti_app::Actor;

#[tokio::test]
async fn the_moderation_page_saves_rules_shows_errors_and_undoes() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let (ws_id, channel_id) = brand_channel(&t).await;
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let path = format!("/w/{WS}/moderation");
        let r = t.get(&mut cm, &path).await;
        assert_eq!(r.status(), 200, "[{label}]");
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("href=\"/w/{WS}/moderation\"")), "[{label}] the nav entry");

        // A wrong field: 422, the message beside it, the form kept.
        let r = t
            .post_form(
                &mut cm,
                &format!("{path}/rules"),
                &[("name", "Trolls"), ("words", "arnaque"), ("toxicity", "7"), ("tag", "troll")],
            )
            .await;
        assert_eq!(r.status(), 422, "[{label}]");
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"mr-toxicity-error\""), "[{label}] the error is beside its field");
        assert!(html.contains("value=\"Trolls\""), "[{label}] the form is kept");

        // Saved; an item the rule hits is tagged at ingestion; the log shows it with undo.
        let r = t
            .post_form(
                &mut cm,
                &format!("{path}/rules"),
                &[("name", "Trolls"), ("words", "arnaque"), ("tag", "troll")],
            )
            .await;
        assert_eq!(r.status(), 303, "[{label}]");
        let hostile = "<script>alert(1)</script> arnaque \u{202E}";
        let n = Incoming {
            remote_id: "r1".into(),
            kind: tutti_domain::ItemKind::Reply,
            author_id: "did:plc:evil".into(),
            author_handle: "<img src=x onerror=alert(2)>".into(),
            author_name: "<b>Evil</b>".into(),
            text: hostile.into(),
            post: Some(("at://did:plc:evil/app.bsky.feed.post/r1".into(), Some("cid".into()))),
            parent: Some("at://did:plc:maison/app.bsky.feed.post/1".into()),
            root: Some("at://did:plc:maison/app.bsky.feed.post/1".into()),
            at: tutti_app::store::now_ms(),
            ..Default::default()
        };
        let mut tx = t.app.store().begin().await.unwrap();
        tutti_app::ingest::ingest_batch(
            &mut tx,
            tutti_test_support::networks(),
            &[item_of(ws_id, channel_id, tutti_domain::Network::Bluesky, &n)],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let html = t.get(&mut cm, &path).await.text().await.unwrap();
        assert!(
            !html.contains("<script>alert(1)") && !html.contains("<img src=x") && !html.contains("<b>Evil")
        );
        assert!(html.contains("&#60;script&#62;alert(1)"), "[{label}] escaped");
        assert!(html.contains("/undo\""), "[{label}] an undo button");

        // A dry run of the form.
        let r = t
            .post_form(
                &mut cm,
                &format!("{path}/rules"),
                &[("name", "x"), ("words", "ARNAQUE"), ("op", "dry")],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap().matches("class=\"dry-hit\"").count(), 1, "[{label}]");

        // Undo the tag.
        let log = t.app.moderation_log(&Actor::Operator, WS, 10).await.unwrap();
        let r = t.post_form(&mut cm, &format!("{path}/actions/{}/undo", log[0].id), &[]).await;
        assert_eq!(r.status(), 303, "[{label}]");
        let log = t.app.moderation_log(&Actor::Operator, WS, 10).await.unwrap();
        assert_eq!(log[0].status, "undone");

        // Analysts and contributors do not see it.
        for email in ["analyst@acme.test", "contributor@acme.test"] {
            let mut b = t.sign_in(email, PASSWORD).await;
            assert_eq!(t.get(&mut b, &path).await.status(), 403, "[{label}] {email}");
            let html = t.get(&mut b, &format!("/w/{WS}")).await.text().await.unwrap();
            assert!(!html.contains(&format!("href=\"/w/{WS}/moderation\"")), "[{label}] no nav entry");
        }
    }
}
