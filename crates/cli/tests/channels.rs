//! Channels connected from the command line through the networks' registry: `tutti channel add
//! account --network N` signs in with the network's own kind before anything is stored, names
//! the refused field, and `reconnect` checks the new secret the same way. The Mastodon instance
//! is a local server answering like Mastodon's account and instance endpoints (a Mastodon
//! server cannot run here).

mod common;

use std::process::Output;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::Json;
use common::{ok, refused};
use serde_json::json;
use tempfile::TempDir;

const TOKEN: &str = "good-token";

fn tutti(dir: &TempDir, allowed: &str, args: &[&str], stdin: &str) -> Output {
    common::tutti(dir.path(), allowed, args, stdin)
}

/// An instance whose one account answers to [`TOKEN`].
async fn instance() -> String {
    async fn me(headers: HeaderMap) -> (StatusCode, Json<serde_json::Value>) {
        let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if bearer != format!("Bearer {TOKEN}") {
            return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "The access token is invalid" })));
        }
        let account =
            json!({ "id": "109384", "username": "maison", "acct": "maison", "display_name": "Maison" });
        (StatusCode::OK, Json(account))
    }
    let app = axum::Router::new().route("/api/v1/accounts/verify_credentials", get(me)).route(
        "/api/v2/instance",
        get(|| async { Json(json!({ "domain": "social.example", "title": "Social" })) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn channels(dir: &TempDir, allowed: &str) -> Vec<serde_json::Value> {
    let out = ok(tutti(dir, allowed, &["channel", "list", "--workspace", "maison-lumiere", "--json"], ""));
    serde_json::from_str(&out).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_is_connected_through_its_networks_kind_and_checked_again_on_reconnect() {
    let url = instance().await;
    let allowed = url.trim_start_matches("http://").to_owned();
    let dir = tempfile::tempdir().unwrap();
    ok(tutti(&dir, &allowed, &["workspace", "add", "Maison Lumière"], ""));
    let add = |network: &str| {
        vec![
            "channel".to_owned(),
            "add".into(),
            "account".into(),
            "--workspace".into(),
            "maison-lumiere".into(),
            "--network".into(),
            network.into(),
            "--service".into(),
            url.clone(),
            "--secret-stdin".into(),
        ]
    };

    // A network Tutti does not know is named, with those it knows.
    let err = refused(tutti(&dir, &allowed, &args(&add("myspace")), "x\n"));
    assert!(err.contains("--network") && err.contains("bluesky, mastodon"), "{err}");
    // A token the instance refuses: nothing stored.
    let err = refused(tutti(&dir, &allowed, &args(&add("mastodon")), "wrong-token\n"));
    assert!(err.contains(&url), "{err}");
    // An empty secret is refused before any call.
    let err = refused(tutti(&dir, &allowed, &args(&add("mastodon")), "\n"));
    assert!(err.contains("secret is empty"), "{err}");
    assert!(channels(&dir, &allowed).is_empty(), "nothing half-written");

    let added = ok(tutti(&dir, &allowed, &args(&add("mastodon")), &format!("{TOKEN}\n")));
    assert!(added.contains("Connected @maison@social.example (brand voice)"), "{added}");
    let list = channels(&dir, &allowed);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["network"], "mastodon");
    assert_eq!(list[0]["handle"], "@maison@social.example");

    // Reconnecting checks the new token with the network too.
    let reconnect = [
        "channel",
        "reconnect",
        "--workspace",
        "maison-lumiere",
        "--handle",
        "@maison@social.example",
        "--secret-stdin",
    ];
    let err = refused(tutti(&dir, &allowed, &reconnect, "revoked\n"));
    assert!(err.contains("@maison@social.example"), "{err}");
    let back = ok(tutti(&dir, &allowed, &reconnect, &format!("{TOKEN}\n")));
    assert!(back.contains("is connected again"), "{back}");
}
