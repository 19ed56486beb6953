//! Attacks on the parsers of untrusted input: queries that would crash or stall the server.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tutti_domain::Role;

use crate::common::{seed, spawn, WS};

/// Saves a listening query through the API as `token`; the status and the error message.
async fn save_query(t: &crate::common::TestApp, token: &str, name: &str, query: &str) -> (StatusCode, Value) {
    let r = t
        .bearer(Method::POST, &format!("/api/v1/workspaces/{WS}/listening/queries"), token)
        .json(&json!({"name": name, "query": query}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn nested(depth: usize, inner: &str) -> String {
    format!("{}{inner}{}", "(".repeat(depth), ")".repeat(depth))
}

#[tokio::test]
async fn a_query_of_two_thousand_nested_parentheses_is_refused_and_the_server_lives() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let (_, cm) = &s.members[&Role::Cm];
        let cases = [
            // 4 kB of parentheses: refused for its length, at the first character past it.
            (nested(2_000, "tutti"), "col 2049: query too long: at most 2048 bytes (4005 here)"),
            // Short enough, too deep: refused at the parenthesis one level too deep.
            (nested(1_000, "tutti"), "col 33: too deeply nested: at most 32 levels of parentheses and NOT"),
            (format!("tutti AND {}spam", "NOT ".repeat(500)), "col 139: too deeply nested"),
        ];
        for (query, message) in &cases {
            let (status, body) = save_query(&t, cm, "deep", query).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body["error"]["field"], "query", "{body}");
            let got = body["error"]["message"].as_str().unwrap();
            assert!(got.starts_with(message), "{got}");
        }
        // The same through the page's form, shown with its column.
        let mut b = t.sign_in(&s.members[&Role::Cm].0, crate::common::PASSWORD).await;
        let r = t
            .post_form(
                &mut b,
                &format!("/w/{WS}/listening"),
                &[("name", "deep"), ("query", &nested(1_000, "tutti")), ("kind", "brand")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("col 33: too deeply nested"));
        // And as the words of a keyword alert.
        let (status, saved) = save_query(&t, cm, "tutti", "tutti").await;
        assert_eq!(status, StatusCode::CREATED, "{saved}");
        let r = t
            .bearer(
                Method::POST,
                &format!("/api/v1/workspaces/{WS}/listening/queries/{}/alert-rules", saved["id"]),
                cm,
            )
            .json(&json!({"kind": "keyword", "keyword": nested(2_000, "panne")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // The server still answers, and only the valid query was saved.
        let r = t
            .bearer(Method::GET, &format!("/api/v1/workspaces/{WS}/listening/queries"), cm)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let list: Value = r.json().await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    }
}

/// A Jetstream event creating a post with `text`.
fn event(rkey: &str, text: &str, time_us: u64) -> String {
    json!({
        "did": "did:plc:attacker00000000000000000", "time_us": time_us, "kind": "commit",
        "commit": {"rev": "3m", "operation": "create", "collection": "app.bsky.feed.post", "rkey": rkey, "cid": "bafy",
            "record": {"$type": "app.bsky.feed.post", "createdAt": "2026-12-07T08:00:00.000Z", "langs": ["fr"], "text": text}}
    })
    .to_string()
}

#[tokio::test]
async fn proximity_of_repeated_terms_answers_at_once() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let (_, cm) = &s.members[&Role::Cm];
        // Sixteen words at most in a proximity phrase, refused at the phrase's column.
        let words: Vec<String> = (0..17).map(|i| format!("w{i}")).collect();
        let (status, body) =
            save_query(&t, cm, "long", &format!("tutti AND \"{}\"~5", words.join(" "))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            body["error"]["message"],
            "col 11: a proximity phrase \"…\"~n holds at most 16 words (17 here)"
        );
        let (status, saved) = save_query(&t, cm, "worst", "\"a a a a a a b\"~100").await;
        assert_eq!(status, StatusCode::CREATED, "{saved}");
        // The worst post: b, 120 other words, then a 120 times (241 words): no match, and
        // trying every placement of the six a's would take hours. Then one that matches.
        let mut far: Vec<String> = vec!["b".into()];
        far.extend((0..120).map(|i| format!("mot{i}")));
        far.extend(std::iter::repeat_n("a".to_owned(), 120));
        let near = format!("{} b", far[1..].join(" "));
        let stream = [event("3kfar", &far.join(" "), 1), event("3knear", &near, 2)].join("\n");
        let listener = tutti_worker::listener::Listener::load(t.db.open().await).await.unwrap();
        let stats = listener.replay(std::io::Cursor::new(stream), "attack").await.unwrap();
        assert_eq!((stats.posts, stats.mentions), (2, 1));
        let r = t
            .bearer(
                Method::GET,
                &format!("/api/v1/workspaces/{WS}/listening/queries/{}/mentions", saved["id"]),
                cm,
            )
            .send()
            .await
            .unwrap();
        let mentions: Value = r.json().await.unwrap();
        let list = mentions["mentions"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{mentions}");
        assert!(
            list[0]["url"].as_str().unwrap_or_default().contains("3knear")
                || list[0]["external_id"].as_str().unwrap().contains("3knear"),
            "{mentions}"
        );
    }
}
