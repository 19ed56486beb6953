//! The REST API: authentication, JSON errors that name the field, and failed requests that
//! change nothing — on every backend.

mod common;

use common::{seed, spawn, WS};
use reqwest::Method;
use serde_json::{json, Value};
use tutti_domain::Role;

async fn members(t: &common::TestApp, token: &str) -> Value {
    let r = t.bearer(Method::GET, &format!("/api/v1/workspaces/{WS}/members"), token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn me_and_workspaces_describe_the_token_owner() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let cm = &s.members[&Role::Cm];
        let me: Value =
            t.bearer(Method::GET, "/api/v1/me", &cm.1).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["email"], "cm@acme.test");
        assert_eq!(me["is_admin"], false);
        let ws: Value =
            t.bearer(Method::GET, "/api/v1/workspaces", &cm.1).send().await.unwrap().json().await.unwrap();
        assert_eq!(
            ws,
            json!([{"slug": WS, "name": "Acme Studio", "timezone": "Europe/Paris", "role": "cm"}])
        );
    }
}

#[tokio::test]
async fn missing_or_revoked_tokens_get_a_json_401() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let r = t.client.get(t.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated");
        let r = t.bearer(Method::GET, "/api/v1/me", "tutti_not-a-token").send().await.unwrap();
        assert_eq!(r.status(), 401);

        let cm = &s.members[&Role::Cm];
        let user = t.app.user_by_email(&cm.0).await.unwrap();
        let id = t.app.list_tokens(&user).await.unwrap()[0].id;
        t.app.revoke_token(&user, id).await.unwrap();
        let r = t.bearer(Method::GET, "/api/v1/me", &cm.1).send().await.unwrap();
        assert_eq!(r.status(), 401, "a revoked token no longer works");
    }
}

#[tokio::test]
async fn adding_members_validates_every_field_and_changes_nothing_on_error() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let admin = s.members[&Role::Admin].1.clone();
        let before = members(&t, &admin).await;
        let path = format!("/api/v1/workspaces/{WS}/members");
        let cases: [(&str, u16, &str, Option<&str>); 6] = [
            (r#"{"email":"not-an-email","role":"cm"}"#, 422, "email_invalid", Some("email")),
            (r#"{"email":"new@acme.test","role":"boss"}"#, 422, "role_unknown", Some("role")),
            (r#"{"email":"new@acme.test"}"#, 422, "required", Some("role")),
            (r#"{"email":"cm@acme.test","role":"cm"}"#, 409, "already_member", Some("email")),
            (r#"{"email": 42}"#, 400, "bad_request", None),
            (r#"{not json"#, 400, "bad_request", None),
        ];
        for (body, status, code, field) in cases {
            let r = t
                .bearer(Method::POST, &path, &admin)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), status, "{body}");
            let err: Value = r.json().await.unwrap();
            assert_eq!(err["error"]["code"], code, "{body}");
            assert_eq!(err["error"]["field"].as_str(), field, "{body}");
            assert!(!err["error"]["message"].as_str().unwrap().is_empty());
        }
        assert_eq!(members(&t, &admin).await, before, "failed requests changed nothing");

        let r = t
            .bearer(Method::POST, &path, &admin)
            .json(&json!({"email": "New.Person@Acme.test", "role": "cm"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let added: Value = r.json().await.unwrap();
        assert_eq!(added["email"], "new.person@acme.test");
        assert_eq!(added["active"], false);
        assert!(added["invitation_path"].as_str().unwrap().starts_with("/invite/"));
    }
}

#[tokio::test]
async fn a_cm_cannot_change_roles_and_an_admin_can_and_both_are_audited() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let path = format!("/api/v1/workspaces/{WS}/members/target@acme.test");
        let r = t
            .bearer(Method::PATCH, &path, &s.members[&Role::Cm].1)
            .json(&json!({"role": "analyst"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "forbidden");

        let r = t
            .bearer(Method::PATCH, &path, &s.members[&Role::Admin].1)
            .json(&json!({"role": "analyst"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["role"], "analyst");

        let log = t.app.audit_log(&tutti_app::Actor::Operator, WS, &Default::default()).await.unwrap();
        assert!(
            log.iter().any(|e| e.action == "access.denied" && e.actor == "cm@acme.test"),
            "the refusal is audited"
        );
        let change = log
            .iter()
            .find(|e| e.action == "member.role" && e.actor == "admin@acme.test")
            .expect("the change is audited");
        assert!(
            change.before.as_deref().unwrap().contains("contributor")
                && change.after.as_deref().unwrap().contains("analyst")
        );
    }
}

#[tokio::test]
async fn only_admins_hand_out_the_admin_role_and_the_last_admin_stays() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let smm = &s.members[&Role::Smm].1;
        let admin = &s.members[&Role::Admin].1;
        let r = t
            .bearer(Method::PATCH, &format!("/api/v1/workspaces/{WS}/members/target@acme.test"), smm)
            .json(&json!({"role": "admin"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "an SMM manages the team but cannot make admins");
        let r = t
            .bearer(Method::PATCH, &format!("/api/v1/workspaces/{WS}/members/target@acme.test"), smm)
            .json(&json!({"role": "cm"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "an SMM can re-assign a contributor");

        let r = t
            .bearer(Method::PATCH, &format!("/api/v1/workspaces/{WS}/members/admin@acme.test"), admin)
            .json(&json!({"role": "cm"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409);
        let err: Value = r.json().await.unwrap();
        assert_eq!(
            (err["error"]["code"].as_str(), err["error"]["field"].as_str()),
            (Some("last_admin"), Some("role"))
        );
        let r = t
            .bearer(Method::DELETE, &format!("/api/v1/workspaces/{WS}/members/admin@acme.test"), admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409);

        let r = t
            .bearer(Method::DELETE, &format!("/api/v1/workspaces/{WS}/members/{}", s.target_id), admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let r = t
            .bearer(Method::DELETE, &format!("/api/v1/workspaces/{WS}/members/{}", s.target_id), admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let list = members(&t, admin).await;
        assert!(list.as_array().unwrap().iter().all(|m| m["email"] != "target@acme.test"));
        assert!(list
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["email"] == "admin@acme.test" && m["role"] == "admin"));
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let t = spawn(tutti_test_support::sqlite()).await;
    let doc: Value = t.client.get(t.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = &doc["paths"];
    assert!(paths["/api/v1/me"]["get"].is_object());
    assert!(paths["/api/v1/workspaces"]["get"].is_object());
    let members = &paths["/api/v1/workspaces/{workspace}/members"];
    assert!(members["get"].is_object() && members["post"].is_object());
    let member = &paths["/api/v1/workspaces/{workspace}/members/{user}"];
    assert!(member["patch"].is_object() && member["delete"].is_object());
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert!(doc["components"]["schemas"]["ErrorResponse"].is_object());
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    for db in tutti_test_support::every_backend().await {
        let config =
            tutti_web::WebConfig { metrics_token: Some("scraper-secret".into()), ..Default::default() };
        let t = common::spawn_with(db, tutti_test_support::app_config(), config).await;
        assert_eq!(t.client.get(t.url("/healthz")).send().await.unwrap().status(), 200);
        let ready = t.client.get(t.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), 200);
        t.client.get(t.url("/login")).send().await.unwrap();
        let metrics = t
            .client
            .get(t.url("/metrics"))
            .basic_auth("prometheus", Some("scraper-secret"))
            .send()
            .await
            .unwrap();
        assert_eq!(metrics.status(), 200);
        let metrics = metrics.text().await.unwrap();
        assert!(
            metrics.contains(r#"tutti_http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
            "{metrics}"
        );
        assert!(metrics.contains(r#"tutti_http_request_duration_seconds_bucket{method="GET",route="/login""#));
        assert!(metrics.contains("tutti_db_pool_connections "));
    }
}
