//! The moderation, community and product feedback parts of the REST API on every backend:
//! rules written, listed, dry-run and refused with the field named; the log with undo; people
//! listed, read, tagged, noted, merged, split and exported; feedback read and reported; and
//! each role's rights.

mod common;

use std::collections::HashMap;

use common::{brand_channel, ingest, reply, seed, spawn, TestApp, WS};
use reqwest::Method;
use serde_json::{json, Value};
use tutti_domain::Role;

fn api(path: &str) -> String {
    format!("/api/v1/workspaces/{WS}{path}")
}

async fn get(t: &TestApp, token: &str, path: &str) -> reqwest::Response {
    t.bearer(Method::GET, &api(path), token).send().await.unwrap()
}

async fn post(t: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    t.bearer(Method::POST, &api(path), token).json(&body).send().await.unwrap()
}

/// Asserts an API error: its status, and the field it names.
async fn refused(r: reqwest::Response, status: u16, field: Option<&str>, what: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "{what}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"].as_str(), field, "{what}: {body}");
    assert!(!body["error"]["message"].as_str().unwrap_or_default().is_empty(), "{what}");
    body
}

/// The id of every item of the inbox, by its text.
async fn item_ids(t: &TestApp, token: &str) -> HashMap<String, i64> {
    let list: Value = get(t, token, "/inbox?status=all").await.json().await.unwrap();
    let mut out = HashMap::new();
    for c in list.as_array().unwrap() {
        let detail: Value = get(t, token, &format!("/inbox/{}", c["id"])).await.json().await.unwrap();
        for i in detail["items"].as_array().unwrap() {
            out.insert(i["text"].as_str().unwrap().to_owned(), i["id"].as_i64().unwrap());
        }
    }
    out
}

#[tokio::test]
async fn moderation_rules_are_written_listed_dry_run_and_undone() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let (ws, ch) = brand_channel(&t).await;
        ingest(
            &t,
            ws,
            ch,
            &[
                reply("a", "a", "ann", "Ann", "C'est une arnaque"),
                reply("b", "b", "ben", "Ben", "Merci beaucoup"),
                reply("c", "c", "cat", "Cat", "Encore une ARNAQUE"),
                reply("p", "p", "pat", "Pat", "ｆｖｃｋ you"),
                reply("q", "q", "quentin", "Quentin", "Je vis à Bitche, merci"),
            ],
        )
        .await;
        let cm = s.members[&Role::Cm].1.clone();
        let ids = item_ids(&t, &cm).await;
        let mut expected = vec![ids["C'est une arnaque"], ids["Encore une ARNAQUE"]];
        expected.sort();

        // Written, then listed.
        let r = post(
            &t,
            &cm,
            "/moderation/rules",
            json!({"name": "Trolls", "conditions": {"words": ["arnaque"]},
                   "actions": [{"kind": "tag", "value": "troll"}]}),
        )
        .await;
        assert_eq!(r.status(), 201, "[{label}]");
        let rule: Value = r.json().await.unwrap();
        assert_eq!(rule["name"], "Trolls");
        assert_eq!(rule["enabled"], true);
        assert_eq!(rule["conditions"], json!({"words": ["arnaque"]}));
        assert_eq!(rule["actions"], json!([{"kind": "tag", "value": "troll"}]));
        let rule_id = rule["id"].as_i64().unwrap();
        let rules: Value = get(&t, &cm, "/moderation/rules").await.json().await.unwrap();
        assert_eq!(rules.as_array().unwrap().len(), 1, "[{label}]");
        assert_eq!(rules[0]["id"], rule_id);
        assert_eq!(rules[0]["hits"], 0);

        // Wrong fields are refused by name and nothing is saved.
        let bad_regex = json!({"name": "Bad", "conditions": {"regex": "("}, "actions": [{"kind": "hide"}]});
        let body =
            refused(post(&t, &cm, "/moderation/rules", bad_regex).await, 422, Some("regex"), label).await;
        assert_eq!(body["error"]["code"], "regex_invalid");
        for (req, status, field) in [
            (json!({"conditions": {"words": ["x"]}, "actions": [{"kind": "hide"}]}), 422, "name"),
            (
                json!({"name": "N", "conditions": {"toxicity": 2.0}, "actions": [{"kind": "hide"}]}),
                422,
                "toxicity",
            ),
            (json!({"name": "N", "conditions": {"words": ["x"]}}), 422, "actions"),
            (
                json!({"name": "N", "conditions": {"words": ["a,b"]}, "actions": [{"kind": "hide"}]}),
                422,
                "words",
            ),
            (
                json!({"name": "N", "conditions": {"words": ["x"]}, "actions": [{"kind": "tag", "value": "a,hide"}]}),
                422,
                "tag",
            ),
            (
                json!({"name": "Trolls", "conditions": {"words": ["x"]}, "actions": [{"kind": "hide"}]}),
                409,
                "name",
            ),
        ] {
            refused(
                post(&t, &cm, "/moderation/rules", req.clone()).await,
                status,
                Some(field),
                &format!("[{label}] {req}"),
            )
            .await;
        }
        let rules: Value = get(&t, &cm, "/moderation/rules").await.json().await.unwrap();
        assert_eq!(rules.as_array().unwrap().len(), 1, "[{label}] nothing saved");

        // Dry runs, of the saved rule and of conditions, return the items hit.
        let hit_ids = |v: &Value| {
            let mut ids: Vec<i64> =
                v["hits"].as_array().unwrap().iter().map(|h| h["id"].as_i64().unwrap()).collect();
            ids.sort();
            ids
        };
        let r: Value =
            post(&t, &cm, "/moderation/dry-run", json!({"rule_id": rule_id})).await.json().await.unwrap();
        assert_eq!(hit_ids(&r), expected, "[{label}] {r}");
        assert_eq!(r["count"], 2);
        let r: Value =
            post(&t, &cm, "/moderation/dry-run", json!({"conditions": {"words": ["ARNAQUE"]}, "last": 50}))
                .await
                .json()
                .await
                .unwrap();
        assert_eq!(hit_ids(&r), expected, "[{label}]");
        refused(
            post(&t, &cm, "/moderation/dry-run", json!({"conditions": {"regex": "("}})).await,
            422,
            Some("regex"),
            label,
        )
        .await;
        refused(post(&t, &cm, "/moderation/dry-run", json!({})).await, 422, Some("conditions"), label).await;
        // A swear word however spelt, and not the French town.
        let r: Value = post(&t, &cm, "/moderation/dry-run", json!({"conditions": {"profane": true}}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(hit_ids(&r), vec![ids["ｆｖｃｋ you"]], "[{label}] {r}");
        let both = json!({"conditions": {"profane": true, "toxicity": 0.5}});
        refused(post(&t, &cm, "/moderation/dry-run", both).await, 422, Some("profane"), label).await;
        let r = post(&t, &cm, "/moderation/dry-run", json!({"rule_id": 999_999})).await;
        assert_eq!(r.status(), 404, "[{label}]");

        // Turned off and on.
        refused(
            post(&t, &cm, &format!("/moderation/rules/{rule_id}/enabled"), json!({})).await,
            422,
            Some("enabled"),
            label,
        )
        .await;
        let r: Value =
            post(&t, &cm, &format!("/moderation/rules/{rule_id}/enabled"), json!({"enabled": false}))
                .await
                .json()
                .await
                .unwrap();
        assert_eq!(r["enabled"], false, "[{label}]");
        let r =
            post(&t, &cm, &format!("/moderation/rules/{rule_id}/enabled"), json!({"enabled": true})).await;
        assert_eq!(r.status(), 200);

        // A new item is hit at ingestion: the log shows the tag, undone through the API.
        ingest(&t, ws, ch, &[reply("d", "d", "dan", "Dan", "Quelle arnaque")]).await;
        let log: Value = get(&t, &cm, "/moderation/log").await.json().await.unwrap();
        assert_eq!(log.as_array().unwrap().len(), 1, "[{label}] {log}");
        assert_eq!(log[0]["action"], "tag:troll");
        assert_eq!(log[0]["status"], "done");
        assert_eq!(log[0]["rule_id"], rule_id);
        let r: Value = post(&t, &cm, &format!("/moderation/log/{}/undo", log[0]["id"]), json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(r["status"], "undone", "[{label}] {r}");
        let r = post(&t, &cm, &format!("/moderation/log/{}/undo", log[0]["id"]), json!({})).await;
        refused(r, 409, Some("action"), label).await;
        refused(get(&t, &cm, "/moderation/log?limit=0").await, 422, Some("limit"), label).await;

        // The author is a repeat offender now.
        let offenders: Value = get(&t, &cm, "/moderation/offenders").await.json().await.unwrap();
        assert_eq!(offenders[0]["name"], "Dan", "[{label}] {offenders}");
        assert!(offenders[0]["score"].as_f64().unwrap() > 0.0);
        assert_eq!(offenders[0]["hits"], 1);

        // An action asked from an item.
        let ids = item_ids(&t, &cm).await;
        let item = ids["Merci beaucoup"];
        let path = format!("/moderation/items/{item}");
        refused(post(&t, &cm, &path, json!({"action": "explode"})).await, 422, Some("action"), label).await;
        let r = post(&t, &cm, &path, json!({"action": "mute"})).await;
        assert_eq!(r.status(), 202, "[{label}]");
        let asked: Value = r.json().await.unwrap();
        let log: Value = get(&t, &cm, "/moderation/log").await.json().await.unwrap();
        let entry = log.as_array().unwrap().iter().find(|e| e["id"] == asked["action_id"]).unwrap();
        assert_eq!((entry["action"].as_str(), entry["item_id"].as_i64()), (Some("mute"), Some(item)));
        assert_eq!(entry["status"], "pending", "[{label}] the worker runs it");

        // Analysts, contributors and the product team do not moderate.
        for role in [Role::Analyst, Role::Contributor, Role::Product] {
            let token = &s.members[&role].1;
            let r = get(&t, token, "/moderation/rules").await;
            assert_eq!(r.status(), 403, "[{label}] {role:?}");
            assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "forbidden");
            let r = post(&t, token, "/moderation/dry-run", json!({"rule_id": rule_id})).await;
            assert_eq!(r.status(), 403, "[{label}] {role:?}");
        }
        let smm: Value = get(&t, &s.members[&Role::Smm].1, "/moderation/rules").await.json().await.unwrap();
        assert_eq!(smm.as_array().unwrap().len(), 1, "[{label}] an SMM moderates");
    }
}

#[tokio::test]
async fn people_are_listed_read_tagged_merged_split_and_exported() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let (ws, ch) = brand_channel(&t).await;
        ingest(
            &t,
            ws,
            ch,
            &[
                reply("a1", "a1", "ann", "Ann", "J'adore"),
                reply("a2", "a2", "ann", "Ann", "Toujours au top"),
                reply("b1", "b1", "ben", "Ben", "Bof"),
            ],
        )
        .await;
        let analyst = s.members[&Role::Analyst].1.clone();
        let cm = s.members[&Role::Cm].1.clone();

        // Listed (sorted, paged, filtered) and read.
        let people: Value = get(&t, &analyst, "/people?sort=name").await.json().await.unwrap();
        let names: Vec<&str> =
            people.as_array().unwrap().iter().map(|p| p["display_name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Ann", "Ben"], "[{label}] {people}");
        let ann = people[0]["id"].as_i64().unwrap();
        let ben = people[1]["id"].as_i64().unwrap();
        assert_eq!(people[0]["interactions"], 2);
        assert_eq!(people[0]["handles"], json!(["ann.test"]));
        let page: Value = get(&t, &analyst, "/people?sort=name&limit=1&offset=1").await.json().await.unwrap();
        assert_eq!(page[0]["id"], ben, "[{label}]");
        let few: Value = get(&t, &analyst, "/people?min_interactions=2").await.json().await.unwrap();
        assert_eq!(few.as_array().unwrap().len(), 1, "[{label}]");
        for (query, field) in [
            ("limit=0", "limit"),
            ("sort=height", "sort"),
            ("min_engagement=lots", "min_engagement"),
            ("network=myspace", "network"),
            ("churn=maybe", "churn"),
        ] {
            refused(
                get(&t, &analyst, &format!("/people?{query}")).await,
                422,
                Some(field),
                &format!("[{label}] {query}"),
            )
            .await;
        }
        let profile: Value = get(&t, &analyst, &format!("/people/{ann}")).await.json().await.unwrap();
        assert_eq!(profile["person"]["display_name"], "Ann", "[{label}]");
        assert_eq!(profile["identities"][0]["handle"], "ann.test");
        assert_eq!(profile["history"].as_array().unwrap().len(), 2);
        assert_eq!(profile["conversations"].as_array().unwrap().len(), 2);
        assert_eq!(get(&t, &analyst, "/people/999999").await.status(), 404);

        // Tags added and removed, refused by name; notes.
        let tags = |v: Value| v["tags"].clone();
        let r = post(&t, &cm, &format!("/people/{ann}/tags"), json!({"add": ["VIP"]})).await;
        assert_eq!(r.status(), 200, "[{label}]");
        assert_eq!(tags(r.json().await.unwrap()), json!(["vip"]));
        let r = post(&t, &cm, &format!("/people/{ann}/tags"), json!({"add": ["fan"]})).await;
        assert_eq!(tags(r.json().await.unwrap()), json!(["vip", "fan"]));
        let r = post(&t, &cm, &format!("/people/{ann}/tags"), json!({"remove": ["vip"]})).await;
        assert_eq!(tags(r.json().await.unwrap()), json!(["fan"]));
        refused(
            post(&t, &cm, &format!("/people/{ann}/tags"), json!({"tags": ["bad tag!"]})).await,
            422,
            Some("tags"),
            label,
        )
        .await;
        refused(post(&t, &cm, &format!("/people/{ann}/tags"), json!({})).await, 422, Some("tags"), label)
            .await;
        refused(
            post(&t, &cm, &format!("/people/{ann}/notes"), json!({"note": "  "})).await,
            422,
            Some("note"),
            label,
        )
        .await;
        let r = post(&t, &cm, &format!("/people/{ann}/notes"), json!({"note": "Loves the product"})).await;
        assert_eq!(r.status(), 201, "[{label}]");
        refused(
            post(&t, &cm, &format!("/people/{ann}/fields"), json!({"key": "no spaces", "value": "x"})).await,
            422,
            Some("key"),
            label,
        )
        .await;
        let r =
            post(&t, &cm, &format!("/people/{ann}/fields"), json!({"key": "city", "value": "Lyon"})).await;
        assert_eq!(r.status(), 204, "[{label}]");
        let profile: Value = get(&t, &analyst, &format!("/people/{ann}")).await.json().await.unwrap();
        assert_eq!(profile["person"]["tags"], json!(["fan"]), "[{label}]");
        assert_eq!(profile["notes"][0]["body"], "Loves the product");
        assert_eq!(profile["fields"], json!([{"key": "city", "value": "Lyon"}]));
        let r = post(&t, &analyst, &format!("/people/{ann}/tags"), json!({"add": ["x"]})).await;
        assert_eq!(r.status(), 403, "[{label}] analysts read only");

        // A segment, listed and exported as CSV.
        refused(
            post(&t, &cm, "/segments", json!({"filter": {"tag": "fan"}})).await,
            422,
            Some("name"),
            label,
        )
        .await;
        refused(
            post(&t, &cm, "/segments", json!({"name": "S", "filter": {"trend": "up"}})).await,
            422,
            Some("trend"),
            label,
        )
        .await;
        let r = post(&t, &cm, "/segments", json!({"name": "Fans", "filter": {"tag": "fan"}})).await;
        assert_eq!(r.status(), 201, "[{label}]");
        let segment: Value = r.json().await.unwrap();
        assert_eq!(segment["filter"]["tag"], "fan");
        let list: Value = get(&t, &analyst, "/segments").await.json().await.unwrap();
        assert_eq!(list[0]["name"], "Fans", "[{label}]");
        let r = get(&t, &analyst, &format!("/segments/{}/export", segment["id"])).await;
        assert_eq!(r.status(), 200, "[{label}]");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = r.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with("id,display_name,handles,"), "[{label}] {csv}");
        assert_eq!(lines.len(), 2, "[{label}] only Ann is a fan: {csv}");
        assert!(lines[1].starts_with(&format!("{ann},Ann,ann.test,")), "[{label}] {csv}");
        assert_eq!(get(&t, &analyst, "/segments/999999/export").await.status(), 404);

        // Merged, then split again.
        refused(
            post(&t, &cm, &format!("/people/{ann}/merge"), json!({"other": ann})).await,
            422,
            Some("other"),
            label,
        )
        .await;
        let r = post(&t, &cm, &format!("/people/{ann}/merge"), json!({"other": ben})).await;
        assert_eq!(r.status(), 200, "[{label}]");
        let merged: Value = r.json().await.unwrap();
        assert_eq!(merged["interactions"], 3, "[{label}] {merged}");
        assert_eq!(get(&t, &analyst, &format!("/people/{ben}")).await.status(), 404, "[{label}] merged away");
        let profile: Value = get(&t, &analyst, &format!("/people/{ann}")).await.json().await.unwrap();
        let ben_identity =
            profile["identities"].as_array().unwrap().iter().find(|i| i["handle"] == "ben.test").unwrap()
                ["id"]
                .clone();
        refused(
            post(&t, &cm, &format!("/people/{ann}/split"), json!({"identity": 999_999})).await,
            422,
            Some("identity"),
            label,
        )
        .await;
        let r = post(&t, &cm, &format!("/people/{ann}/split"), json!({"identity": ben_identity})).await;
        assert_eq!(r.status(), 201, "[{label}]");
        let split: Value = r.json().await.unwrap();
        assert_eq!(split["handles"], json!(["ben.test"]), "[{label}] {split}");
        assert_eq!(split["interactions"], 1);

        // The product team and contributors do not read the community.
        for role in [Role::Product, Role::Contributor] {
            assert_eq!(get(&t, &s.members[&role].1, "/people").await.status(), 403, "[{label}] {role:?}");
            assert_eq!(get(&t, &s.members[&role].1, "/segments").await.status(), 403, "[{label}] {role:?}");
        }
    }
}

#[tokio::test]
async fn feedback_is_read_by_the_product_team_and_reported_in_markdown_and_csv() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let (ws, ch) = brand_channel(&t).await;
        ingest(
            &t,
            ws,
            ch,
            &[
                reply("a", "a", "ann", "Ann", "L'appli plante <script>alert(1)</script>"),
                reply("b", "b", "ben", "Ben", "L'appli plante encore"),
                reply("q", "q", "cat", "Cat", "Vous livrez en Belgique ?"),
            ],
        )
        .await;
        let product = s.members[&Role::Product].1.clone();
        let cm = s.members[&Role::Cm].1.clone();

        // The product team reads the period's feedback.
        let r = get(&t, &product, "/feedback").await;
        assert_eq!(r.status(), 200, "[{label}]");
        let f: Value = r.json().await.unwrap();
        let bug = f["counts"].as_array().unwrap().iter().find(|c| c["category"] == "bug").unwrap();
        assert_eq!((bug["count"].as_i64(), bug["trend"].as_str()), (Some(2), Some("up")), "[{label}] {f}");
        assert!(f["issues"][0]["label"].as_str().unwrap().contains("plante"), "[{label}] {f}");
        assert_eq!(f["issues"][0]["count"], 2);
        assert_eq!(f["items"].as_array().unwrap().len(), 3);
        let question = f["items"].as_array().unwrap().iter().find(|i| i["category"] == "question").unwrap();
        let question_id = question["id"].as_i64().unwrap();
        assert_eq!(question["confirmed"], false);
        assert_eq!(question["conversation_path"], format!("/w/{WS}/inbox/{}", question["conversation_id"]));

        // The report, in Markdown and in CSV.
        let r = get(&t, &product, "/feedback/report?format=md").await;
        assert_eq!(r.status(), 200, "[{label}]");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/markdown"));
        let md = r.text().await.unwrap();
        assert!(md.starts_with("# Product feedback"), "[{label}] {md}");
        assert!(md.contains("| bug | 2 | 0 |"), "[{label}] {md}");
        assert!(md.contains("[conversation](http://localhost:"), "[{label}] {md}");
        assert!(md.contains(&format!("/w/{WS}/inbox/{}", question["conversation_id"])), "[{label}] {md}");
        let r = get(&t, &product, "/feedback/report?format=csv").await;
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = r.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "date,category,confirmed,kind,sentiment,author,text,issue,link", "[{label}]");
        assert_eq!(lines.len(), 4, "[{label}] {csv}");
        refused(get(&t, &product, "/feedback/report?format=pdf").await, 422, Some("format"), label).await;
        refused(get(&t, &product, "/feedback/report?from=2026-13-01").await, 422, Some("from"), label).await;
        refused(get(&t, &product, "/feedback?from=2026-11-30&to=2026-11-01").await, 422, Some("to"), label)
            .await;
        refused(get(&t, &product, "/feedback?confirmed=maybe").await, 422, Some("confirmed"), label).await;
        refused(get(&t, &product, "/feedback?category=rant").await, 422, Some("category"), label).await;

        // Only community managers confirm categories; the product team gets 403 on moderation.
        let path = format!("/feedback/items/{question_id}/category");
        for role in [Role::Product, Role::Analyst] {
            let r = post(&t, &s.members[&role].1, &path, json!({"category": "feature"})).await;
            assert_eq!(r.status(), 403, "[{label}] {role:?}");
        }
        let r = get(&t, &product, "/moderation/rules").await;
        assert_eq!(r.status(), 403, "[{label}] the product team does not moderate");
        refused(post(&t, &cm, &path, json!({"category": "rant"})).await, 422, Some("category"), label).await;
        refused(post(&t, &cm, &path, json!({})).await, 422, Some("category"), label).await;
        assert_eq!(
            post(&t, &cm, "/feedback/items/999999/category", json!({"category": "bug"})).await.status(),
            404
        );
        let r = post(&t, &cm, &path, json!({"category": "feature"})).await;
        assert_eq!(r.status(), 204, "[{label}]");
        let f: Value =
            get(&t, &product, "/feedback?category=feature&confirmed=true").await.json().await.unwrap();
        assert_eq!(f["items"].as_array().unwrap().len(), 1, "[{label}] {f}");
        assert_eq!(f["items"][0]["id"], question_id);

        // Contributors do not read feedback; analysts do.
        assert_eq!(get(&t, &s.members[&Role::Contributor].1, "/feedback").await.status(), 403, "[{label}]");
        assert_eq!(
            get(&t, &s.members[&Role::Analyst].1, "/feedback/report").await.status(),
            200,
            "[{label}]"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_new_endpoints() {
    let t = spawn(tutti_test_support::sqlite()).await;
    let doc: Value = t.client.get(t.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    for (path, method) in [
        ("/api/v1/workspaces/{workspace}/moderation/rules", "post"),
        ("/api/v1/workspaces/{workspace}/moderation/rules/{id}/enabled", "post"),
        ("/api/v1/workspaces/{workspace}/moderation/dry-run", "post"),
        ("/api/v1/workspaces/{workspace}/moderation/log/{id}/undo", "post"),
        ("/api/v1/workspaces/{workspace}/moderation/offenders", "get"),
        ("/api/v1/workspaces/{workspace}/people", "get"),
        ("/api/v1/workspaces/{workspace}/people/{id}/merge", "post"),
        ("/api/v1/workspaces/{workspace}/segments/{id}/export", "get"),
        ("/api/v1/workspaces/{workspace}/feedback/items/{id}/category", "post"),
        ("/api/v1/workspaces/{workspace}/feedback/report", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is documented");
    }
    for schema in ["RuleRequest", "DryRunResponse", "ProfileResponse", "FeedbackResponse"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema} is documented");
    }
    // Every API route of the table is documented.
    for spec in t.specs.iter().filter(|s| s.path.starts_with("/api/v1/")) {
        let method = spec.method.as_str().to_lowercase();
        assert!(doc["paths"][spec.path][&method].is_object(), "{} {} is documented", spec.method, spec.path);
    }
}
