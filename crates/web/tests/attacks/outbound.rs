//! Attacks that make Tutti call an address of the attacker's choosing (server-side request forgery).
//!
//! Tutti calls addresses that people type (an alert webhook, a channel's service) and that the
//! network hands it (a `did:web` document's host, the PDS of a DID document). The outbound
//! policy refuses loopback, private, link-local and cloud metadata addresses when an address is
//! saved, and again each time it is called, so that neither an address saved some other way nor
//! a name that resolves somewhere else later reaches them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tutti_app::secrets::Keyring;
use tutti_app::Actor;
use tutti_store::alerts::{self, ListeningSettings, StoredSecret};

use crate::common::{seed, spawn, TestApp, PASSWORD, WS};

/// A receiver on `addr` that answers 200 to anything and counts the connections it accepts:
/// whatever reaches it proves that Tutti called it.
async fn counting_receiver(addr: &str) -> Option<(String, Arc<AtomicUsize>)> {
    let listener = tokio::net::TcpListener::bind(addr).await.ok()?;
    let local = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let _ = conn
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    Some((local.to_string(), hits))
}

/// Saves the listening settings form as the workspace's social media manager.
async fn save_webhook(t: &TestApp, url: &str) -> reqwest::Response {
    let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
    let settings = format!("/w/{WS}/listening-settings");
    t.post_form(&mut smm, &settings, &[("retention_days", "30"), ("webhook_url", url), ("alert_emails", "")])
        .await
}

/// Asserts that the form was refused at `webhook_url`, and nothing was stored.
async fn assert_refused_at_the_webhook_field(t: &TestApp, r: reqwest::Response, url: &str, label: &str) {
    assert_eq!(r.status(), 422, "[{label}] {url}");
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"s-webhook-error\""), "[{label}] {url}: the error names the field");
    let saved = t.app.listening_settings(&Actor::Operator, WS).await.unwrap();
    assert_eq!(saved.webhook_url, None, "[{label}] {url}: nothing saved");
}

#[tokio::test]
async fn alert_webhook_to_the_cloud_metadata_address_is_refused() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        for url in [
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            "http://[fd00:ec2::254]/latest/meta-data/",
            "http://[::ffff:169.254.169.254]/latest/meta-data/",
            "http://2852039166/latest/meta-data/",
            "http://100.100.100.200/latest/meta-data/",
        ] {
            let r = save_webhook(&t, url).await;
            assert_refused_at_the_webhook_field(&t, r, url, label).await;
        }
    }
}

#[tokio::test]
async fn alert_webhook_to_loopback_is_refused_when_saved_and_when_sent() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let (addr, hits) = counting_receiver("127.0.0.1:0").await.unwrap();
        let port = addr.rsplit(':').next().unwrap();

        // Saved: refused with the field named, whichever way loopback is spelled.
        for url in [
            format!("http://{addr}/hook"),
            format!("http://localhost:{port}/hook"),
            format!("http://[::1]:{port}/hook"),
            format!("http://[::ffff:127.0.0.1]:{port}/hook"),
            format!("http://2130706433:{port}/hook"),
            format!("http://0177.0.0.1:{port}/hook"),
            format!("http://0.0.0.0:{port}/hook"),
        ] {
            let r = save_webhook(&t, &url).await;
            assert_refused_at_the_webhook_field(&t, r, &url, label).await;
        }

        // Sent: an address stored without the save check (an older version, a name that
        // resolved elsewhere when it was saved) is refused when the worker calls it.
        let ws = t
            .app
            .workspace_access(&Actor::Operator, WS, tutti_domain::Action::ViewListening)
            .await
            .unwrap()
            .workspace;
        let q = t.app.add_query(&Actor::Operator, WS, "Marque", "acme", "brand").await.unwrap();
        let rule = t
            .app
            .add_alert_rule(&Actor::Operator, WS, q.id, "keyword", Some("rappel"), &["webhook".to_owned()])
            .await
            .unwrap();
        let keys = Keyring::generate();
        let store = t.app.store().clone();
        let alert = {
            let mut tx = store.begin().await.unwrap();
            let id = alerts::insert_alert(
                &mut tx,
                &alerts::Alert {
                    id: 0,
                    workspace_id: ws.id,
                    query_id: q.id,
                    rule_id: Some(rule.id),
                    kind: "keyword".into(),
                    observed: 1.0,
                    expected: 0.0,
                    window_start: 0,
                    window_end: 1,
                    samples: Vec::new(),
                    crisis_suggested: false,
                    created_at: tutti_store::now_ms(),
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            id
        };
        let config = tutti_worker::alerting::AlertingConfig {
            public_url: "https://tutti.example".into(),
            keys: Some(keys.clone()),
            ..Default::default()
        };
        for url in [format!("http://{addr}/hook"), format!("http://localhost:{port}/hook")] {
            let (key_id, sealed) = keys.seal("whsec_attack");
            let settings = ListeningSettings {
                webhook_url: Some(url.clone()),
                webhook_secret: Some(StoredSecret::Sealed { key_id, sealed }),
                ..Default::default()
            };
            let mut tx = store.begin().await.unwrap();
            alerts::save_settings(&mut tx, ws.id, &settings).await.unwrap();
            tx.commit().await.unwrap();
            let payload = serde_json::json!({"alert": alert, "channel": "webhook"}).to_string();
            let err = tutti_worker::alerting::deliver(&store, &config, &payload).await.unwrap_err();
            assert!(err.to_string().contains("refused"), "[{label}] {url}: {err}");
        }
        assert_eq!(hits.load(Ordering::SeqCst), 0, "[{label}] the receiver on the loopback was never called");

        // The same receiver, allowed by the operator, is called.
        let allowed = tutti_worker::alerting::AlertingConfig {
            outbound: tutti_test_support::allowing(&[&format!("http://localhost:{port}")]),
            ..config.clone()
        };
        let payload = serde_json::json!({"alert": alert, "channel": "webhook"}).to_string();
        tutti_worker::alerting::deliver(&store, &allowed, &payload).await.unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 1, "[{label}] an allowed host is reached");
    }
}

#[tokio::test]
async fn did_web_document_is_not_fetched_from_an_ip_literal() {
    // A `did:web` document lives at https://HOST/.well-known/did.json: a listener on port 443
    // of a loopback address sees whether Tutti connects.
    let Some((_, hits)) = counting_receiver("127.77.0.1:443").await else {
        tutti_test_support::report_skip(
            "did:web over an IP literal",
            "this test needs to listen on 127.77.0.1:443",
        );
        return;
    };
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let store = db.open().await;
        // The PLC directory and handle service are the operator's: unreachable here, unused.
        let resolver = tutti_worker::identity::IdentityResolver::new(
            "http://127.0.0.1:9",
            "http://127.0.0.1:9",
            &tutti_outbound::Outbound::strict(),
        );
        let (dids, queue) = tokio::sync::mpsc::channel(8);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task =
            tokio::spawn(tutti_worker::identity::run_resolver(store.clone(), resolver, queue, stopped));
        let hostile =
            ["did:web:127.77.0.1", "did:web:169.254.169.254", "did:web:2130706433", "did:web:localhost"];
        for did in hostile {
            dids.send(did.to_owned()).await.unwrap();
        }
        // Each DID is resolved (to no handle) and the outcome stored.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let mut conn = store.conn().await.unwrap();
            let mut done = 0;
            for did in hostile {
                if tutti_store::identities::resolved_since(&mut conn, did, 0).await.unwrap() {
                    done += 1;
                }
            }
            if done == hostile.len() {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "[{label}] the DIDs were not resolved");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let handles =
            tutti_store::identities::handles(&mut store.conn().await.unwrap(), &hostile.map(str::to_owned))
                .await
                .unwrap();
        assert!(handles.is_empty(), "[{label}] {handles:?}");
        assert_eq!(hits.load(Ordering::SeqCst), 0, "[{label}] nothing connected to 127.77.0.1:443");
        let _ = stop.send(true);
        let _ = task.await;
        store.close().await;
    }
}
