//! The product feedback page on every backend: the report for the product team, confirm
//! controls for community managers only, downloads, hostile text inert.

mod common;

use common::{brand_channel, ingest, reply, seed, spawn, PASSWORD, WS};
use tutti_app::Actor;

/// Today plus `d` days, UTC.
fn day(d: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(d)).format("%Y-%m-%d").to_string()
}

#[tokio::test]
async fn the_feedback_page_and_report_by_role() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let (ws_id, channel_id) = brand_channel(&t).await;
        let items = [
            reply("a", "a", "ann", "ann", "L'appli plante <script>alert(1)</script>"),
            reply("b", "b", "ben", "ben", "L'appli plante encore"),
            reply("q", "q", "cat", "cat", "Vous livrez en Belgique ?"),
        ];
        ingest(&t, ws_id, channel_id, &items).await;

        let mut product = t.sign_in("product@acme.test", PASSWORD).await;
        let r = t.get(&mut product, &format!("/w/{WS}/feedback")).await;
        assert_eq!(r.status(), 200, "[{label}]");
        let html = r.text().await.unwrap();
        assert!(!html.contains("<script>alert"), "[{label}] inert");
        assert!(html.contains("appli plante"), "[{label}] a recurring issue: {html}");
        assert!(!html.contains("/category\""), "[{label}] no confirm controls for the product team");
        let md = t.get(&mut product, &format!("/w/{WS}/feedback/report.md")).await;
        assert_eq!(md.status(), 200);
        assert!(md.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
        let md = md.text().await.unwrap();
        assert!(md.contains("| bug | 2 | 0 |"), "[{label}] {md}");
        assert!(md.contains(&format!("/w/{WS}/inbox/")), "[{label}] links to conversations");
        let csv = t.get(&mut product, &format!("/w/{WS}/feedback/report.csv")).await.text().await.unwrap();
        assert!(csv.starts_with("date,category,"), "[{label}]");
        let question =
            t.app.feedback(&Actor::Operator, WS, &day(-10), &day(1), Some("question"), None).await.unwrap()
                [0]
            .id;
        let r = t
            .post_form(
                &mut product,
                &format!("/w/{WS}/feedback/items/{question}/category"),
                &[("category", "feature")],
            )
            .await;
        assert_eq!(r.status(), 403, "[{label}] the product team reads only");

        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let html = t.get(&mut cm, &format!("/w/{WS}/feedback")).await.text().await.unwrap();
        assert!(html.contains(&format!("/w/{WS}/feedback/items/{question}/category\"")), "[{label}]");
        let r = t
            .post_form(
                &mut cm,
                &format!("/w/{WS}/feedback/items/{question}/category"),
                &[("category", "feature")],
            )
            .await;
        assert_eq!(r.status(), 303, "[{label}]");
        let bad = t
            .post_form(&mut cm, &format!("/w/{WS}/feedback/items/{question}/category"), &[("category", "x")])
            .await;
        assert_eq!(bad.status(), 422, "[{label}]");
        let r = t.get(&mut cm, &format!("/w/{WS}/feedback?from=2026-13-01")).await;
        assert_eq!(r.status(), 422, "[{label}] a bad day names its field");
        let confirmed = t
            .app
            .feedback(&Actor::Operator, WS, &day(-10), &day(1), Some("feature"), Some(true))
            .await
            .unwrap();
        assert_eq!(confirmed.len(), 1);

        let mut contributor = t.sign_in("contributor@acme.test", PASSWORD).await;
        assert_eq!(t.get(&mut contributor, &format!("/w/{WS}/feedback")).await.status(), 403);
    }
}
