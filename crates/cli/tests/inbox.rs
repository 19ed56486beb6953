//! The inbox from the command line: `tutti inbox list` and `tutti inbox reply` over a SQLite
//! database that holds a conversation.

use std::process::{Command, Output};

use tempfile::TempDir;
use tutti_app::ingest::{item_of, Incoming};
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App};

fn tutti(dir: &TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tutti"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .env_remove("TUTTI_DATABASE_URL")
        .env_remove("TUTTI_AS")
        .output()
        .unwrap()
}

#[tokio::test]
async fn conversations_are_listed_and_answered_from_the_command_line() {
    let dir = TempDir::new().unwrap();
    let url = format!("sqlite://{}", tutti_store::sqlite_path(dir.path()).display());
    {
        let app = App::new(tutti_store::Store::open(&url).await.unwrap(), tutti_test_support::app_config());
        let ws = app.create_workspace(&Actor::Operator, "Maison Lumière", "Europe/Paris").await.unwrap();
        let channel = tutti_test_support::offline_bluesky("maison.test", None);
        let c = app.add_channel(&Actor::Operator, &Keyring::generate(), &ws.slug, &channel).await.unwrap();
        let n = Incoming {
            remote_id: "n1".into(),
            kind: tutti_domain::ItemKind::Reply,
            author_id: "did:plc:alice".into(),
            author_handle: "alice.test".into(),
            text: "Ma lampe est arrivée cassée\u{202E}, nul".into(),
            post: Some(("at://did:plc:alice/app.bsky.feed.post/1".into(), Some("cid1".into()))),
            at: tutti_store::now_ms(),
            ..Default::default()
        };
        let mut tx = app.store().begin().await.unwrap();
        tutti_app::ingest::ingest_batch(
            &mut tx,
            tutti_test_support::networks(),
            &[item_of(ws.id, c.id, tutti_domain::Network::Bluesky, &n)],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        app.store().close().await;
    }
    let out = tutti(&dir, &["inbox", "list", "--workspace", "maison-lumiere", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = list[0]["id"].as_i64().unwrap();
    assert_eq!(list[0]["sentiment"], "neg");
    let out = tutti(&dir, &["inbox", "list", "--workspace", "maison-lumiere"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("{id}\topen\treply\tneg")) && !text.contains('\u{202E}'), "{text}");
    let out = tutti(&dir, &["inbox", "list", "--workspace", "maison-lumiere", "--status", "maybe"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--status"));
    let out = tutti(
        &dir,
        &[
            "inbox",
            "reply",
            &id.to_string(),
            "--workspace",
            "maison-lumiere",
            "--text",
            "Bonjour Alice, désolés !",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("is scheduled"));
    let out =
        tutti(&dir, &["inbox", "reply", &id.to_string(), "--workspace", "maison-lumiere", "--text", ""]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("text"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
