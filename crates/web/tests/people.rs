//! The community pages as a browser uses them, on every backend: the list, a profile with
//! hostile text inert and readable, changes from the forms, a segment and its CSV export,
//! roles.

mod common;

use common::{brand_channel, ingest, reply, seed, spawn, PASSWORD, WS};
use tutti_app::Actor;

#[tokio::test]
async fn community_pages_render_change_and_export_with_hostile_text_inert() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let (ws, ch) = brand_channel(&t).await;
        let hostile = "<script>alert(1)</script>=HYPERLINK(\"x\") مرحبا";
        let items = [
            reply("1", "r1", "alice", hostile, "<img src=x onerror=alert(1)> merci !"),
            reply("1", "r2", "bob", "Bob", "Livraison en retard, nul"),
        ];
        ingest(&t, ws, ch, &items).await;

        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let r = t.get(&mut cm, &format!("/w/{WS}/community")).await;
        assert_eq!(r.status(), 200, "[{label}]");
        let html = r.text().await.unwrap();
        assert!(!html.contains("<script>alert") && !html.contains("<img src=x"), "[{label}] inert");
        assert!(
            html.contains("<bdi>&#60;script&#62;alert(1)&#60;/script&#62;"),
            "[{label}] escaped, readable"
        );
        assert!(html.contains(&format!("href=\"/w/{WS}/community\"")), "[{label}] the nav entry is live");
        let people =
            t.app.people(&Actor::Operator, WS, &Default::default(), Default::default(), 0, 10).await.unwrap();
        let alice = people.iter().find(|p| p.handles.contains(&"alice.test".to_owned())).unwrap().id;
        let bob = people.iter().find(|p| p.handles.contains(&"bob.test".to_owned())).unwrap().id;
        assert!(html.contains(&format!("/w/{WS}/people/{alice}\"")), "[{label}]");

        let page = t.get(&mut cm, &format!("/w/{WS}/people/{alice}")).await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(!page.contains("<img src=x") && !page.contains("<script>alert"), "[{label}] inert");
        assert!(page.contains("dir=\"auto\""), "[{label}]");
        // Forms: a note, tags (a bad one names the field), a field, merge.
        let r =
            t.post_form(&mut cm, &format!("/w/{WS}/people/{alice}/notes"), &[("note", "<b>VIP</b>")]).await;
        assert_eq!(r.status(), 303, "[{label}]");
        let bad = t.post_form(&mut cm, &format!("/w/{WS}/people/{alice}/tags"), &[("tags", "<b>")]).await;
        assert_eq!(bad.status(), 422, "[{label}]");
        assert!(bad
            .text()
            .await
            .unwrap()
            .contains("aria-invalid=\"true\" aria-describedby=\"person-error\""));
        let r = t.post_form(&mut cm, &format!("/w/{WS}/people/{alice}/tags"), &[("tags", "vip")]).await;
        assert_eq!(r.status(), 303);
        let page = t.get(&mut cm, &format!("/w/{WS}/people/{alice}")).await.text().await.unwrap();
        assert!(page.contains("&#60;b&#62;VIP&#60;/b&#62;") && page.contains("#vip"), "[{label}]");
        let r = t.post_form(&mut cm, &format!("/w/{WS}/people/{alice}/merge"), &[("other", "abc")]).await;
        assert_eq!(r.status(), 422, "[{label}] names the field");

        // A segment, then its export.
        let r = t
            .post_form(&mut cm, &format!("/w/{WS}/community/segments"), &[("name", "VIP"), ("tag", "vip")])
            .await;
        assert_eq!(r.status(), 303, "[{label}]");
        let seg = t.app.segment(&Actor::Operator, WS, "VIP").await.unwrap();
        let csv = t.get(&mut cm, &format!("/w/{WS}/community/segments/{}/export", seg.id)).await;
        assert_eq!(csv.status(), 200);
        assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let body = csv.text().await.unwrap();
        assert_eq!(body.lines().count(), 2, "[{label}] header and Alice: {body}");
        assert!(
            body.contains(",\"<script>alert(1)</script>=HYPERLINK(\"\"x\"\") مرحبا\","),
            "[{label}] {body}"
        );
        let list =
            t.get(&mut cm, &format!("/w/{WS}/community?segment={}", seg.id)).await.text().await.unwrap();
        assert!(list.contains(&format!("/people/{alice}\"")) && !list.contains(&format!("/people/{bob}\"")));
        let r = t.get(&mut cm, &format!("/w/{WS}/community?min_engagement=lots")).await;
        assert_eq!(r.status(), 422, "[{label}] a bad number names its field");

        // The analyst reads but has no forms and cannot post; a contributor does not read.
        let mut analyst = t.sign_in("analyst@acme.test", PASSWORD).await;
        let page = t.get(&mut analyst, &format!("/w/{WS}/people/{alice}")).await.text().await.unwrap();
        assert!(!page.contains("/merge\""), "[{label}]");
        let r = t.post_form(&mut analyst, &format!("/w/{WS}/people/{alice}/notes"), &[("note", "x")]).await;
        assert_eq!(r.status(), 403);
        let mut contributor = t.sign_in("contributor@acme.test", PASSWORD).await;
        assert_eq!(t.get(&mut contributor, &format!("/w/{WS}/community")).await.status(), 403);
        let home = t.get(&mut contributor, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(!home.contains(&format!("/w/{WS}/community\"")), "[{label}] no dead nav entry");
    }
}
