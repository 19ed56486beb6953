//! A post's page, the review list and the posts API, on every backend: a failed post says the
//! network's words, hostile text stays text, short links show their clicks, a contributor's
//! post is approved or sent back by an SMM (by page and by API) and never by a contributor,
//! and bad input is refused at its field.

mod common;

use common::{seed, spawn, Browser, TestApp, PASSWORD, WS};
use reqwest::header::LOCATION;
use reqwest::Method;
use serde_json::{json, Value};
use tutti_app::secrets::Keyring;
use tutti_app::Actor;
use tutti_domain::Role;

/// Connects the Bluesky channel `maison.test` (nothing is published in these tests).
async fn channel(t: &TestApp) -> i64 {
    t.app
        .add_channel(
            &Actor::Operator,
            &Keyring::generate(),
            WS,
            &tutti_test_support::offline_bluesky("maison.test", None),
        )
        .await
        .unwrap()
        .id
}

/// A JSON request with a bearer token.
async fn api(t: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = t.bearer(method, &format!("/api/v1/workspaces/{WS}{path}"), token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Writes a post through the API and returns its id.
async fn write(t: &TestApp, token: &str, body: Value) -> i64 {
    let (status, post) = api(t, Method::POST, "/posts", token, Some(body)).await;
    assert_eq!(status, 201, "{post}");
    post["id"].as_i64().unwrap()
}

async fn html(t: &TestApp, b: &mut Browser, path: &str) -> (u16, String) {
    let r = t.get(b, path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

fn location(r: &reqwest::Response) -> String {
    r.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_failed_post_says_the_networks_words_as_text_and_counts_its_short_links() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let ch = channel(&t).await;
        let smm = &s.members[&Role::Smm].1;
        let text = "<script>alert(1)</script> Soldes : https://shop.example/soldes";
        let (status, created) = api(
            &t,
            Method::POST,
            "/posts",
            smm,
            Some(json!({"channel": ch, "text": text, "langs": ["fr"], "shorten": true,
                        "utm": {"source": "", "medium": "social", "campaign": "soldes"}})),
        )
        .await;
        assert_eq!(status, 201, "[{label}] {created}");
        assert_eq!(created["status"], "scheduled", "[{label}] an SMM schedules directly");
        assert_eq!(
            created["channel"],
            json!({"id": ch, "handle": "maison.test", "network": "bluesky", "voice": "brand", "owner_user_id": null})
        );
        assert_eq!(created["author"]["name"], "smm Person", "[{label}]");
        assert_eq!(created["langs"], json!(["fr"]));
        let id = created["id"].as_i64().unwrap();
        let links = created["links"].as_array().unwrap();
        assert_eq!(links.len(), 1, "[{label}] {created}");
        let code = links[0]["code"].as_str().unwrap().to_owned();
        assert_eq!(
            links[0]["url"],
            "https://shop.example/soldes?utm_source=bluesky&utm_medium=social&utm_campaign=soldes",
            "[{label}] tagged, the source defaulting to the network"
        );
        assert_eq!(links[0]["clicks"], 0);
        assert!(created["text"].as_str().unwrap().ends_with(&format!("/l/{code}")), "[{label}] {created}");
        for _ in 0..3 {
            let r = t.client.get(t.url(&format!("/l/{code}"))).send().await.unwrap();
            assert_eq!(r.status(), 302, "[{label}]");
        }

        // The network refused it, in words that are not to be trusted either.
        let mut tx = t.app.store().begin().await.unwrap();
        sqlx::query("UPDATE posts SET status = 'failed', attempts = 3, error = '<script>alert(2)</script> Record/text must not be longer than 300 graphemes' WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let (status, page) = html(&t, &mut cm, &format!("/w/{WS}/posts/{id}")).await;
        assert_eq!(status, 200, "[{label}]");
        assert!(!page.contains("<script>alert"), "[{label}] nothing hostile runs");
        assert!(
            page.contains("&#60;script&#62;alert(1)&#60;/script&#62; Soldes"),
            "[{label}] the text as text"
        );
        assert!(
            page.contains(
                "The network said:</strong> <q>&#60;script&#62;alert(2)&#60;/script&#62; Record/text must not be longer than 300 graphemes</q>"
            ),
            "[{label}] the network's words, labelled as theirs"
        );
        assert!(page.contains("class=\"post-text break\" dir=\"auto\""), "[{label}] the text is isolated");
        assert!(page.contains("Failed</span>"), "[{label}] the status");
        assert!(page.contains("Brand") && page.contains("@maison.test"), "[{label}] the channel and voice");
        assert!(page.contains("smm Person"), "[{label}] the author");
        assert!(page.contains(&format!("/l/{code}</td>")), "[{label}] the short link");
        assert!(page.contains(&format!("data-clicks=\"{code}\">3</td>")), "[{label}] its clicks");
        assert!(!page.contains("/approve\""), "[{label}] a failed post is not reviewed");

        let (status, read) = api(&t, Method::GET, &format!("/posts/{id}"), smm, None).await;
        assert_eq!(status, 200, "[{label}]");
        assert_eq!(read["status"], "failed");
        assert_eq!(read["links"][0]["clicks"], 3, "[{label}]");
        assert!(read["error"].as_str().unwrap().starts_with("<script>alert(2)"), "[{label}] raw in JSON");
        assert_eq!(read["idempotency_key"], created["idempotency_key"]);

        // The calendar's card leads to the page; an unknown post is not found.
        let (_, list) = html(&t, &mut cm, &format!("/w/{WS}/calendar?view=list")).await;
        assert!(
            list.contains(&format!("href=\"/w/{WS}/posts/{id}\"")),
            "[{label}] the card links to the post"
        );
        let (status, _) = html(&t, &mut cm, &format!("/w/{WS}/posts/999999")).await;
        assert_eq!(status, 404, "[{label}]");
        let (status, _) = api(&t, Method::GET, "/posts/999999", smm, None).await;
        assert_eq!(status, 404, "[{label}]");
    }
}

#[tokio::test]
async fn an_smm_approves_or_sends_back_a_contributors_post_and_a_contributor_cannot() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let ch = channel(&t).await;
        let contributor = s.members[&Role::Contributor].1.clone();
        let smm = s.members[&Role::Smm].1.clone();
        let mut ids = Vec::new();
        for i in 0..4 {
            ids.push(
                write(
                    &t,
                    &contributor,
                    json!({"channel": "maison.test", "text": format!("Brouillon {i} <b>gras</b>")}),
                )
                .await,
            );
        }
        let (a, b, c, d) = (ids[0], ids[1], ids[2], ids[3]);
        // A reply continues post a, as a thread.
        let reply = write(&t, &contributor, json!({"channel": ch, "text": "La suite", "reply_to": a})).await;
        let (_, listed) = api(&t, Method::GET, "/posts?status=in_review", &contributor, None).await;
        assert_eq!(listed.as_array().unwrap().len(), 5, "[{label}] the contributor's posts wait for review");
        assert_eq!(listed[0]["author"]["name"], "contributor Person");

        // A contributor sees the review list, but cannot approve, neither by page nor by API.
        let mut writer = t.sign_in("contributor@acme.test", PASSWORD).await;
        let (status, review) = html(&t, &mut writer, &format!("/w/{WS}/review")).await;
        assert_eq!(status, 200, "[{label}]");
        assert!(review.contains(&format!("id=\"post-{a}\"")) && !review.contains("/approve\""), "[{label}]");
        assert!(review.contains("Brouillon 0 &#60;b&#62;gras&#60;/b&#62;"), "[{label}] excerpts as text");
        let (_, page) = html(&t, &mut writer, &format!("/w/{WS}/posts/{a}")).await;
        assert!(!page.contains("/send-back\""), "[{label}] no review form for a contributor");
        let r = t.post_form(&mut writer, &format!("/w/{WS}/posts/{a}/approve"), &[]).await;
        assert_eq!(r.status(), 403, "[{label}] page");
        let (status, body) = api(&t, Method::POST, &format!("/posts/{a}/approve"), &contributor, None).await;
        assert_eq!(status, 403, "[{label}] API");
        assert_eq!(body["error"]["code"], "forbidden");
        let (status, _) = api(
            &t,
            Method::POST,
            &format!("/posts/{a}/send-back"),
            &contributor,
            Some(json!({"comment": "non"})),
        )
        .await;
        assert_eq!(status, 403, "[{label}] API send back");

        // The SMM approves one from the review list, in one click.
        let mut reviewer = t.sign_in("smm@acme.test", PASSWORD).await;
        let (_, review) = html(&t, &mut reviewer, &format!("/w/{WS}/review")).await;
        assert!(
            review.contains(&format!("action=\"/w/{WS}/posts/{a}/approve\"")),
            "[{label}] inline approve"
        );
        let first = review.find(&format!("id=\"post-{a}\"")).unwrap();
        let last = review.find(&format!("id=\"post-{reply}\"")).unwrap();
        assert!(first < last, "[{label}] oldest first");
        let r =
            t.post_form(&mut reviewer, &format!("/w/{WS}/posts/{a}/approve"), &[("back", "review")]).await;
        assert_eq!(r.status(), 303, "[{label}]");
        assert_eq!(location(&r), format!("/w/{WS}/review?notice=approved#post-{a}"));
        let (_, review) = html(&t, &mut reviewer, &format!("/w/{WS}/review?notice=approved")).await;
        assert!(review.contains("The post is approved and scheduled."), "[{label}]");
        assert!(!review.contains(&format!("id=\"post-{a}\"")), "[{label}] no longer in review");

        // The post page shows the thread both ways.
        let (_, page) = html(&t, &mut reviewer, &format!("/w/{WS}/posts/{a}")).await;
        assert!(page.contains("Scheduled</span>") && !page.contains("/approve\""), "[{label}]");
        assert!(page.contains("Continued by:") && page.contains(&format!("href=\"/w/{WS}/posts/{reply}\"")));
        let (_, page) = html(&t, &mut reviewer, &format!("/w/{WS}/posts/{reply}")).await;
        assert!(page.contains("Continues:") && page.contains(&format!("href=\"/w/{WS}/posts/{a}\"")));

        // Approved from its page.
        let (_, page) = html(&t, &mut reviewer, &format!("/w/{WS}/posts/{b}")).await;
        assert!(page.contains(&format!("action=\"/w/{WS}/posts/{b}/approve\"")), "[{label}]");
        let r = t.post_form(&mut reviewer, &format!("/w/{WS}/posts/{b}/approve"), &[]).await;
        assert_eq!(r.status(), 303, "[{label}]");
        assert_eq!(location(&r), format!("/w/{WS}/posts/{b}?notice=approved"));
        let r = t.post_form(&mut reviewer, &format!("/w/{WS}/posts/{b}/approve"), &[]).await;
        assert_eq!(r.status(), 409, "[{label}] twice is a conflict");
        assert!(r.text().await.unwrap().contains("This post is no longer in review."));

        // Sent back from its page: the comment is required, then shown with the draft.
        let r =
            t.post_form(&mut reviewer, &format!("/w/{WS}/posts/{c}/send-back"), &[("comment", "  ")]).await;
        assert_eq!(r.status(), 422, "[{label}]");
        let page = r.text().await.unwrap();
        let at =
            page.find("id=\"p-comment-error\"").unwrap_or_else(|| panic!("[{label}] no error at comment"));
        assert!(page[at..].contains("This field is required."), "[{label}]");
        assert!(page.contains("aria-invalid=\"true\""), "[{label}]");
        let comment = "Trop long : <i>coupez</i> la fin";
        let r = t
            .post_form(&mut reviewer, &format!("/w/{WS}/posts/{c}/send-back"), &[("comment", comment)])
            .await;
        assert_eq!(r.status(), 303, "[{label}]");
        assert_eq!(location(&r), format!("/w/{WS}/posts/{c}?notice=sent_back"));
        let (_, page) = html(&t, &mut writer, &format!("/w/{WS}/posts/{c}")).await;
        assert!(page.contains("Draft</span>"), "[{label}]");
        assert!(
            page.contains("Sent back:</strong> Trop long : &#60;i&#62;coupez&#60;/i&#62; la fin"),
            "[{label}] the comment, as text"
        );

        // The same through the API.
        let (status, body) =
            api(&t, Method::POST, &format!("/posts/{d}/send-back"), &smm, Some(json!({}))).await;
        assert_eq!(status, 422, "[{label}] {body}");
        assert_eq!(body["error"]["field"], "comment");
        let (status, body) =
            api(&t, Method::POST, &format!("/posts/{d}/send-back"), &smm, Some(json!({"comment": " "})))
                .await;
        assert_eq!((status, &body["error"]["field"]), (422, &json!("comment")), "[{label}] blank");
        let (status, body) = api(&t, Method::POST, &format!("/posts/{d}/approve"), &smm, None).await;
        assert_eq!(status, 200, "[{label}] {body}");
        assert_eq!(body["status"], "scheduled");
        let (status, body) = api(&t, Method::POST, &format!("/posts/{d}/approve"), &smm, None).await;
        assert_eq!(status, 409, "[{label}]");
        assert_eq!(body["error"]["field"], "post");
        let (status, body) = api(
            &t,
            Method::POST,
            &format!("/posts/{reply}/send-back"),
            &smm,
            Some(json!({"comment": "Non"})),
        )
        .await;
        assert_eq!(status, 200, "[{label}] {body}");
        assert_eq!((body["status"].as_str(), body["error"].as_str()), (Some("draft"), Some("Non")));

        // Nothing is left in review; a new post is the only one listed, and counted.
        let e = write(&t, &contributor, json!({"channel": ch, "text": "Encore"})).await;
        let (_, review) = html(&t, &mut reviewer, &format!("/w/{WS}/review")).await;
        let shown: Vec<i64> = [a, b, c, d, reply, e]
            .into_iter()
            .filter(|id| review.contains(&format!("id=\"post-{id}\"")))
            .collect();
        assert_eq!(shown, vec![e], "[{label}] only posts in review");
        let (_, calendar) = html(&t, &mut reviewer, &format!("/w/{WS}/calendar")).await;
        assert!(calendar.contains(&format!("hx-get=\"/w/{WS}/review/count\"")), "[{label}] the entry point");
        let (status, count) = html(&t, &mut reviewer, &format!("/w/{WS}/review/count")).await;
        assert_eq!(status, 200);
        assert!(count.contains("To review (1)"), "[{label}] {count}");
        let (_, listed) = api(&t, Method::GET, "/posts?status=in_review", &smm, None).await;
        assert_eq!(listed.as_array().unwrap().len(), 1, "[{label}]");
        let (_, listed) = api(&t, Method::GET, "/posts?limit=2", &smm, None).await;
        assert_eq!(listed.as_array().unwrap().len(), 2, "[{label}] the limit");
    }
}

#[tokio::test]
async fn the_api_refuses_a_bad_post_at_its_field_and_stores_nothing() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let ch = channel(&t).await;
        let cm = s.members[&Role::Cm].1.clone();
        let cases: [(Value, u16, &str, &str); 7] = [
            (json!({"channel": 999999, "text": "Bonjour"}), 422, "channel_unknown", "channel"),
            (json!({"channel": "nobody.test", "text": "Bonjour"}), 422, "channel_unknown", "channel"),
            (json!({"text": "Bonjour"}), 422, "required", "channel"),
            (json!({"channel": ch, "text": "a".repeat(301)}), 422, "text_too_long", "text"),
            (json!({"channel": ch}), 422, "required", "text"),
            (json!({"channel": ch, "text": "Bonjour", "langs": ["<b>"]}), 422, "lang_invalid", "langs"),
            (json!({"channel": ch, "text": "Bonjour", "at": "demain"}), 422, "date_invalid", "at"),
        ];
        for (body, status, code, field) in cases {
            let (got, answer) = api(&t, Method::POST, "/posts", &cm, Some(body.clone())).await;
            assert_eq!(got, status, "[{label}] {body}: {answer}");
            assert_eq!(answer["error"]["code"], code, "[{label}] {body}");
            assert_eq!(answer["error"]["field"], field, "[{label}] {body}");
        }
        let (status, answer) = api(&t, Method::POST, "/posts", &cm, Some(json!({"channel": [1]}))).await;
        assert_eq!(status, 400, "[{label}] {answer}");
        let (status, answer) = api(&t, Method::GET, "/posts?status=lost", &cm, None).await;
        assert_eq!((status, &answer["error"]["field"]), (422, &json!("status")), "[{label}]");
        let (status, listed) = api(&t, Method::GET, "/posts", &cm, None).await;
        assert_eq!((status, listed), (200, json!([])), "[{label}] nothing was stored");

        // The document describes the routes, and says images are not taken here.
        let doc: Value = t.client.get(t.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
        let paths = &doc["paths"];
        for path in [
            "/api/v1/workspaces/{workspace}/posts",
            "/api/v1/workspaces/{workspace}/posts/{post}",
            "/api/v1/workspaces/{workspace}/posts/{post}/approve",
            "/api/v1/workspaces/{workspace}/posts/{post}/send-back",
        ] {
            assert!(paths.get(path).is_some(), "[{label}] {path} is documented");
        }
        let create = paths["/api/v1/workspaces/{workspace}/posts"]["post"].to_string();
        assert!(create.contains("Images are not taken by this endpoint"), "[{label}]");
    }
}
