//! The analytics dashboards and API on every backend: the overview's figures computed by hand,
//! the post table sorted by engagements, a post's curve, the CSV downloads, the team view, the
//! API's errors naming their field, who may read them, and the composer's best-time hint.

mod common;

use common::{brand_channel, ingest, measured_post, reply, seed, spawn, PASSWORD, WS};
use reqwest::Method;
use serde_json::Value;
use tutti_store::analytics::{record_snapshot, ChannelDay, Snapshot, SnapshotContext};
use tutti_store::DAY_MS;

#[tokio::test]
async fn dashboards_show_the_figures_of_the_period() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let (ws, ch) = brand_channel(&t).await;
        let admin = t.app.user_by_email("admin@acme.test").await.unwrap().id;
        let now = tutti_store::now_ms();
        // Three posts of the last days, 500 followers each time: 15 + 40 + 3 = 58 engagements,
        // a rate of 58 / 1500 = 3.87 %.
        let a = measured_post(
            &t,
            (ws, ch, Some(admin)),
            "Atelier ouvert samedi",
            now - 2 * DAY_MS,
            (10, 2, 3, 0),
            500,
            Some("Coulisses"),
        )
        .await;
        let b = measured_post(
            &t,
            (ws, ch, Some(admin)),
            "Nouvelle lampe Aube <script>alert(1)</script>",
            now - DAY_MS,
            (30, 5, 4, 1),
            500,
            Some("Produits"),
        )
        .await;
        let c = measured_post(
            &t,
            (ws, ch, None),
            "Bonne soirée à tous",
            now - 3 * 3_600_000,
            (2, 0, 1, 0),
            500,
            None,
        )
        .await;
        // Post b's earlier snapshot, for its curve.
        let mut conn = t.app.store().conn().await.unwrap();
        let early = Snapshot {
            taken_at: now - DAY_MS + 300_000,
            step: 0,
            likes: 3,
            reposts: 0,
            replies: 1,
            quotes: 0,
        };
        record_snapshot(&mut conn, b, &early, &SnapshotContext::default()).await.unwrap();
        for (days_ago, followers) in [(3, 480), (1, 495), (0, 500)] {
            let day = tutti_store::analytics::day_of(now - days_ago * DAY_MS);
            let counts = ChannelDay { channel_id: ch, day, followers, following: 10, posts: 30 };
            tutti_store::analytics::record_channel_counts(&mut conn, &counts, now).await.unwrap();
        }
        drop(conn);

        let mut analyst = t.sign_in("analyst@acme.test", PASSWORD).await;
        let r = t.get(&mut analyst, &format!("/w/{WS}/analytics?range=7d")).await;
        assert_eq!(r.status(), 200, "[{label}]");
        let html = r.text().await.unwrap();
        assert!(html.contains("<p class=\"stat-value tabular\">58</p>"), "[{label}] engagements: {html}");
        assert!(html.contains("<p class=\"stat-value tabular\">3</p>"), "[{label}] posts");
        assert!(html.contains("3.87%"), "[{label}] engagement rate");
        assert!(html.contains("<p class=\"stat-value tabular\">500</p>"), "[{label}] followers");
        assert!(!html.contains("<script>alert"), "[{label}] a post's text is inert");
        assert!(
            html.contains("role=\"img\"") && html.contains("<details class=\"data-table\">"),
            "[{label}] charts and tables"
        );
        assert!(
            html.contains(&format!("/w/{WS}/analytics/posts/{b}?")),
            "[{label}] the top posts link to theirs"
        );
        assert!(!html.contains("Nothing measured yet"), "[{label}]");
        assert!(html.contains(&format!("href=\"/w/{WS}/analytics\"")), "[{label}] the nav shows analytics");
        assert!(!html.contains("nav-soon") && !html.contains(">Soon<"), "[{label}]");

        // An empty period says how numbers arrive.
        let old = t
            .get(&mut analyst, &format!("/w/{WS}/analytics?range=custom&from=2020-01-01&to=2020-01-07"))
            .await;
        assert_eq!(old.status(), 200, "[{label}]");
        let old = old.text().await.unwrap();
        assert!(old.contains("Nothing measured yet") && old.contains("tutti analytics collect"), "[{label}]");
        // A period that cannot be read names its field; the last 30 days show instead.
        let bad = t.get(&mut analyst, &format!("/w/{WS}/analytics?range=12d")).await;
        assert_eq!(bad.status(), 422, "[{label}]");
        assert!(bad.text().await.unwrap().contains("aria-invalid"), "[{label}]");

        // The post table, by engagements, most first, then fewest first.
        let html = t
            .get(&mut analyst, &format!("/w/{WS}/analytics/posts?range=7d&sort=engagements&order=desc"))
            .await
            .text()
            .await
            .unwrap();
        let at = |id: i64| {
            html.find(&format!("/analytics/posts/{id}?")).unwrap_or_else(|| panic!("[{label}] {id} listed"))
        };
        assert!(at(b) < at(a) && at(a) < at(c), "[{label}] sorted by engagements");
        assert!(html.contains("aria-sort=\"descending\""), "[{label}]");
        let header = html
            .split("aria-sort=\"descending\"")
            .nth(1)
            .and_then(|h| h.split("</th>").next())
            .unwrap_or_default();
        assert!(
            header.contains("sort=engagements") && header.contains("order=asc"),
            "[{label}] the header sorts the other way next: {header}"
        );
        let html = t
            .get(&mut analyst, &format!("/w/{WS}/analytics/posts?range=7d&sort=engagements&order=asc"))
            .await
            .text()
            .await
            .unwrap();
        let at = |id: i64| html.find(&format!("/analytics/posts/{id}?")).unwrap();
        assert!(at(c) < at(a) && at(a) < at(b), "[{label}] fewest first");
        assert!(html.contains("aria-sort=\"ascending\""), "[{label}]");
        let r = t.get(&mut analyst, &format!("/w/{WS}/analytics/posts?sort=loudness")).await;
        assert_eq!(r.status(), 422, "[{label}] an unknown sort names its field");
        let r = t.get(&mut analyst, &format!("/w/{WS}/analytics/posts?channel=nobody.test")).await;
        assert_eq!(r.status(), 422, "[{label}] an unknown channel names its field");

        // A post's page: its curve and its snapshots.
        let html = t.get(&mut analyst, &format!("/w/{WS}/analytics/posts/{b}")).await.text().await.unwrap();
        assert!(
            html.contains("<polyline") && html.matches("<th scope=\"row\" class=\"nowrap\">").count() == 2,
            "[{label}] {html}"
        );
        assert!(!html.contains("<script>alert"), "[{label}]");
        assert_eq!(t.get(&mut analyst, &format!("/w/{WS}/analytics/posts/999999")).await.status(), 404);

        // Downloads.
        let r = t.get(&mut analyst, &format!("/w/{WS}/analytics/posts.csv?range=7d&sort=engagements")).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"analytics-posts-"));
        let csv = r.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(
            lines[0].starts_with("id,channel,published_at,likes,reposts,replies,quotes,engagements,"),
            "[{label}] {csv}"
        );
        assert_eq!(lines.len(), 4, "[{label}] a header and three posts: {csv}");
        assert!(lines[1].starts_with(&format!("{b},maison.test,")), "[{label}] {csv}");
        let days =
            t.get(&mut analyst, &format!("/w/{WS}/analytics/days.csv?range=7d")).await.text().await.unwrap();
        assert!(days.starts_with("day,posts,engagements,engagement_rate"), "[{label}] {days}");
        let audience = t
            .get(&mut analyst, &format!("/w/{WS}/analytics/audience.csv?range=7d"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            audience.starts_with("channel,network,day,followers") && audience.contains(",500"),
            "[{label}] {audience}"
        );

        // The team view counts the conversation waiting for an answer.
        ingest(&t, ws, ch, &[reply("p1", "q1", "ann", "Ann", "Vous livrez en Belgique ?")]).await;
        let r = t.get(&mut analyst, &format!("/w/{WS}/analytics/team?range=7d")).await;
        assert_eq!(r.status(), 200, "[{label}]");
        let html = r.text().await.unwrap();
        assert!(html.contains("Per member") && html.contains("maison.test"), "[{label}] {html}");
        let team =
            t.get(&mut analyst, &format!("/w/{WS}/analytics/team.csv?range=7d")).await.text().await.unwrap();
        assert!(team.starts_with("scope,name,conversations,answered,"), "[{label}] {team}");
        assert!(team.contains("channel,maison.test,1,0,"), "[{label}] {team}");

        // The API, with the analyst's token.
        let token = &s.members[&tutti_domain::Role::Analyst].1;
        let api = |path: String| t.bearer(Method::GET, &path, token).send();
        let r = api(format!("/api/v1/workspaces/{WS}/analytics/summary?range=7d")).await.unwrap();
        assert_eq!(r.status(), 200, "[{label}]");
        let j: Value = r.json().await.unwrap();
        assert_eq!((j["engagements"].as_i64(), j["posts"].as_i64()), (Some(58), Some(3)), "[{label}] {j}");
        assert!((j["engagement_rate"].as_f64().unwrap() - 58.0 / 1500.0).abs() < 1e-9, "[{label}] {j}");
        assert_eq!(j["top_posts"][0]["id"].as_i64(), Some(b), "[{label}]");
        let r = api(format!("/api/v1/workspaces/{WS}/analytics/summary?range=12d")).await.unwrap();
        assert_eq!(r.status(), 422, "[{label}]");
        let j: Value = r.json().await.unwrap();
        assert_eq!(j["error"]["field"], "range", "[{label}] {j}");
        let j: Value =
            api(format!("/api/v1/workspaces/{WS}/analytics/posts?range=7d&sort=engagements&limit=2"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        let ids: Vec<i64> =
            j["posts"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [b, a], "[{label}]");
        let r = api(format!("/api/v1/workspaces/{WS}/analytics/posts?limit=0")).await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "limit");
        let j: Value =
            api(format!("/api/v1/workspaces/{WS}/analytics/posts/{b}")).await.unwrap().json().await.unwrap();
        assert_eq!(j["snapshots"].as_array().map(Vec::len), Some(2), "[{label}] {j}");
        assert_eq!(j["post"]["engagements"].as_i64(), Some(40));
        let j: Value = api(format!("/api/v1/workspaces/{WS}/analytics/channels?range=7d"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(j["channels"][0]["channel"]["handle"], "maison.test", "[{label}] {j}");
        assert_eq!(j["followers"].as_i64(), Some(500), "[{label}] {j}");
        let j: Value = api(format!("/api/v1/workspaces/{WS}/analytics/team?range=7d"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(j["all"]["conversations"].as_i64(), Some(1), "[{label}] {j}");
        let j: Value = api(format!("/api/v1/workspaces/{WS}/analytics/best-times?channel=maison.test"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(j["basis"], "community_activity", "[{label}] {j}");
        assert_eq!(j["grid"].as_array().map(Vec::len), Some(168));
        let r = api(format!("/api/v1/workspaces/{WS}/analytics/best-times")).await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "channel");

        // A contributor writes posts but reads no analytics, and has no link to them.
        let mut contributor = t.sign_in("contributor@acme.test", PASSWORD).await;
        assert_eq!(t.get(&mut contributor, &format!("/w/{WS}/analytics")).await.status(), 403);
        assert_eq!(t.get(&mut contributor, &format!("/w/{WS}/analytics/posts.csv")).await.status(), 403);
        let home = t.get(&mut contributor, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(!home.contains(&format!("/w/{WS}/analytics")), "[{label}]");
        let token = &s.members[&tutti_domain::Role::Contributor].1;
        let r = t
            .bearer(Method::GET, &format!("/api/v1/workspaces/{WS}/analytics/summary"), token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "[{label}]");

        // The composer offers the hours the community is active (too few posts of its own).
        let html = t.get(&mut contributor, &format!("/w/{WS}/compose")).await.text().await.unwrap();
        assert!(
            html.contains("Best slots this week") && html.contains("When your community is active"),
            "[{label}]"
        );
        assert!(html.contains("data-best-at=\""), "[{label}] each slot fills the time picker");
    }
}

#[tokio::test]
async fn the_openapi_document_lists_the_analytics_reads() {
    let t = spawn(tutti_test_support::sqlite()).await;
    let doc: Value = t.client.get(t.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    for path in ["summary", "posts", "posts/{post}", "channels", "team", "best-times"] {
        let p = &doc["paths"][format!("/api/v1/workspaces/{{workspace}}/analytics/{path}")]["get"];
        assert!(p.is_object(), "{path} is documented");
    }
    let params = &doc["paths"]["/api/v1/workspaces/{workspace}/analytics/posts"]["get"]["parameters"];
    let names: Vec<&str> = params.as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    for name in
        ["range", "from", "to", "channel", "author", "pillar", "campaign", "sort", "order", "limit", "offset"]
    {
        assert!(names.contains(&name), "posts takes {name}: {names:?}");
    }
    assert!(doc["components"]["schemas"]["SummaryResponse"].is_object());
}
