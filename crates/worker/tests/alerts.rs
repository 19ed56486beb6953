//! Alerting end to end over the database: a burst on a brand query raises volume and
//! negative-share alerts once (however many workers evaluate it), a keyword rule raises one
//! alert per batch of matching mentions, and the webhook delivery arrives signed.

use std::sync::{Arc, Mutex};

use tutti_app::{Actor, App, AppConfig};
use tutti_store::alerts;
use tutti_store::listening::{self, Mention};
use tutti_worker::alerting::{self, AlertingConfig, BUCKET_MS};
use tutti_worker::Worker;

fn mention(query_id: i64, n: usize, text: &str, sentiment: &str, at: i64) -> Mention {
    Mention {
        id: 0,
        query_id,
        source: "jetstream".into(),
        external_id: format!("at://did:plc:x/app.bsky.feed.post/{n}"),
        url: None,
        author: Some(format!("did:plc:{}", n % 7)),
        text: text.into(),
        lang: Some("fr".into()),
        sentiment: Some(sentiment.parse().unwrap()),
        sentiment_score: Some(0.0),
        toxicity: Some(0.0),
        published_at: Some(at),
    }
}

/// Stores mentions as if they had arrived at their publication time.
async fn arrive(store: &tutti_store::Store, mentions: &[Mention]) {
    let mut tx = store.begin().await.unwrap();
    for m in mentions {
        listening::insert_mention(&mut tx, m).await.unwrap();
    }
    sqlx::query("UPDATE mentions SET matched_at = published_at").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// The outbound policy of these tests: public addresses, and the webhook receivers they start
/// on the loopback.
fn local() -> tutti_outbound::Outbound {
    tutti_outbound::Outbound::allowing(["127.0.0.1".parse().unwrap()])
}

/// What the database holds of a workspace's webhook secret: (clear, sealed, key id).
async fn stored_secret(
    store: &tutti_store::Store,
    workspace_id: i64,
) -> (Option<String>, Option<String>, Option<String>) {
    use sqlx::Row;
    let row = sqlx::query(
        "SELECT webhook_secret, webhook_secret_sealed, webhook_key_id FROM listening_settings WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_one(&mut *store.conn().await.unwrap())
    .await
    .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

#[tokio::test]
async fn a_burst_on_a_brand_query_alerts_once_and_is_delivered_signed() {
    for db in tutti_test_support::every_backend().await {
        let store = db.open().await;
        let keys = tutti_app::secrets::Keyring::generate();
        let config = AppConfig { outbound: local(), ..tutti_test_support::app_config() };
        let app = App::new(store.clone(), config).with_keys(keys.clone());
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        let q = app.add_query(&op, &ws.slug, "Marque", "lumiere", "brand").await.unwrap();

        // A receiver that checks every signature.
        let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
        let (secret_tx, secret_rx) = tokio::sync::watch::channel(String::new());
        let seen = received.clone();
        let hook = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let (seen, secret) = (seen.clone(), secret_rx.borrow().clone());
                async move {
                    let sig =
                        headers.get("x-tutti-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
                    let now = chrono::Utc::now().timestamp();
                    if tutti_alerts::webhook::verify(
                        secret.as_bytes(),
                        sig,
                        &body,
                        now,
                        std::time::Duration::from_secs(300),
                    )
                    .is_err()
                    {
                        return axum::http::StatusCode::UNAUTHORIZED;
                    }
                    seen.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, hook).await.unwrap() });
        let change = tutti_app::listening::SettingsChange {
            retention_days: "90".into(),
            webhook_url: url,
            alert_emails: String::new(),
            new_secret: false,
        };
        let (_, secret) = app.update_listening_settings(&op, &ws.slug, &change).await.unwrap();
        let secret = secret.unwrap();
        // The database keeps the secret sealed, never in clear.
        let (clear, sealed, key_id) = stored_secret(&store, ws.id).await;
        assert_eq!(clear, None, "[{}]", db.label());
        let sealed = sealed.expect("a sealed secret");
        assert!(!sealed.contains(&secret) && !sealed.contains(secret.trim_start_matches("whsec_")));
        assert_eq!(keys.open(&key_id.unwrap(), &sealed).unwrap(), secret);
        secret_tx.send(secret).unwrap();
        app.add_alert_rule(&op, &ws.slug, q.id, "spike", None, &["webhook".to_owned()]).await.unwrap();

        // Two weeks of calm: three mentions per quarter hour, one negative in ten.
        let now = tutti_store::now_ms();
        let end = now.div_euclid(BUCKET_MS) * BUCKET_MS;
        let mut history = Vec::new();
        let mut n = 0;
        let mut bucket = end - 14 * 86_400_000;
        while bucket < end - BUCKET_MS {
            for k in 0..3 {
                let sentiment = if n % 10 == 0 { "neg" } else { "neu" };
                history.push(mention(q.id, n, "la lampe lumiere", sentiment, bucket + k * 1000));
                n += 1;
            }
            bucket += BUCKET_MS;
        }
        // Then, in the last closed quarter hour, forty complaints.
        for k in 0..40 {
            history.push(mention(
                q.id,
                n,
                "lumiere : lampe cassée, remboursez-moi",
                "neg",
                end - BUCKET_MS + k * 1000,
            ));
            n += 1;
        }
        arrive(&store, &history).await;

        // Two workers evaluate at once: the alerts are raised once.
        let (a, b) = tokio::join!(alerting::evaluate(&store, now), alerting::evaluate(&store, now));
        let raised = a.unwrap() + b.unwrap();
        let list = app.alerts(&op, &ws.slug, None, 10).await.unwrap();
        // Exactly one volume alert and one negative-share alert, whichever worker raised them.
        assert_eq!(raised, 2, "[{}]", db.label());
        assert_eq!(list.len(), 2, "[{}]", db.label());
        let mut kinds: Vec<&str> = list.iter().map(|a| a.kind.as_str()).collect();
        kinds.sort_unstable();
        assert_eq!(kinds, ["negative_share", "volume"], "[{}]", db.label());
        // The schema itself refuses a second alert of the same rule, kind and window.
        let mut tx = store.begin().await.unwrap();
        let again = tutti_store::alerts::insert_alert(&mut tx, &list[0]).await;
        assert!(again.is_err(), "[{}] a duplicate alert was stored", db.label());
        drop(tx);
        let volume = list.iter().find(|a| a.kind == "volume").unwrap();
        assert_eq!(volume.observed, 40.0);
        assert!(volume.expected < 5.0, "{}", volume.expected);
        assert!(volume.crisis_suggested, "a brand query's alert offers crisis mode");
        assert!(volume.samples.len() == 5 && volume.samples[0].text.contains("cassée"));
        assert_eq!(
            alerting::evaluate(&store, now).await.unwrap(),
            0,
            "evaluated buckets are not evaluated again"
        );

        // The worker delivers each alert once, signed.
        let worker = Worker::new(store.clone(), "w".into()).with_alerting(AlertingConfig {
            public_url: "https://tutti.example".into(),
            smtp: None,
            outbound: local(),
            keys: Some(keys.clone()),
        });
        while let Some(outcome) = worker.run_once().await.unwrap() {
            assert!(matches!(outcome, tutti_worker::JobOutcome::Done(_)), "{outcome:?}");
        }
        let got = received.lock().unwrap().clone();
        assert_eq!(got.len(), list.len(), "one signed delivery per alert");
        assert!(got
            .iter()
            .all(|p| p.to_string().contains("https://tutti.example/w/maison-lumiere/listening/")));
        drop(app);
        store.close().await;
    }
}

#[tokio::test]
async fn a_keyword_rule_alerts_on_new_matching_mentions_only() {
    for db in tutti_test_support::every_backend().await {
        let store = db.open().await;
        let app = App::new(store.clone(), tutti_test_support::app_config());
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        let q = app.add_query(&op, &ws.slug, "Concurrent", "globex", "competitor").await.unwrap();
        let now = tutti_store::now_ms();
        arrive(&store, &[mention(q.id, 1, "globex rappel produit", "neg", now - 60_000)]).await;
        app.add_alert_rule(&op, &ws.slug, q.id, "keyword", Some("rappel OR intoxication"), &[])
            .await
            .unwrap();
        assert_eq!(
            alerting::evaluate(&store, now).await.unwrap(),
            0,
            "mentions older than the rule do not alert"
        );
        arrive(
            &store,
            &[
                mention(q.id, 2, "globex : intoxication après le repas", "neg", now - 1000),
                mention(q.id, 3, "globex nouveau magasin", "pos", now - 900),
                mention(q.id, 4, "Rappel de produits chez globex", "neg", now - 800),
            ],
        )
        .await;
        assert_eq!(alerting::evaluate(&store, now).await.unwrap(), 1);
        let list = alerts::alerts_of(&mut store.conn().await.unwrap(), ws.id, Some(q.id), 10).await.unwrap();
        assert_eq!(
            (list[0].kind.as_str(), list[0].observed, list[0].crisis_suggested),
            ("keyword", 2.0, false)
        );
        assert_eq!(alerting::evaluate(&store, now).await.unwrap(), 0);
        drop(app);
        store.close().await;
    }
}

/// Makes `db` a database of the version before secrets were sealed (every migration before
/// 0030), with the workspace `maison-lumiere` (id 1) and its webhook secret in clear, as that
/// version stored it.
async fn database_from_before_sealing(db: &tutti_test_support::TestDb) {
    use sqlx::any::AnyPoolOptions;
    sqlx::any::install_default_drivers();
    let mut migrator = match db.backend {
        tutti_store::Backend::Sqlite => sqlx::migrate!("../store/migrations/sqlite"),
        tutti_store::Backend::Postgres => sqlx::migrate!("../store/migrations/postgres"),
    };
    migrator.migrations =
        migrator.migrations.iter().filter(|m| m.version < 30).cloned().collect::<Vec<_>>().into();
    let url = match db.backend {
        tutti_store::Backend::Sqlite => format!("{}?mode=rwc", db.url),
        tutti_store::Backend::Postgres => db.url.clone(),
    };
    let pool = AnyPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
    migrator.run(&pool).await.unwrap();
    for statement in [
        "INSERT INTO organisations (id, name, created_at) VALUES (1, 'Tutti', 0)",
        "INSERT INTO workspaces (id, organisation_id, slug, name, timezone, created_at) \
         VALUES (1, 1, 'maison-lumiere', 'Maison Lumière', 'Europe/Paris', 0)",
        "INSERT INTO listening_settings (workspace_id, retention_days, webhook_url, webhook_secret, alert_emails, updated_at) \
         VALUES (1, 90, 'https://hooks.example/x', 'whsec_from_before', '', 0)",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn a_webhook_secret_kept_in_clear_by_an_earlier_version_is_sealed_at_start_up_and_still_signs() {
    for db in tutti_test_support::every_backend().await {
        database_from_before_sealing(&db).await;
        // This version opens it: the migration adds the sealed columns, the secret is still there.
        let store = db.open().await;
        let keys = tutti_app::secrets::Keyring::generate();
        let app = App::new(store.clone(), tutti_test_support::app_config()).with_keys(keys.clone());
        let op = Actor::Operator;
        let ws_id = 1;
        let before = app.listening_settings(&op, "maison-lumiere").await.unwrap();
        assert_eq!(before.webhook_secret, Some(alerts::StoredSecret::Clear("whsec_from_before".into())));

        // Start-up seals it, once.
        assert_eq!(app.seal_clear_webhook_secrets(&keys).await.unwrap(), 1, "[{}]", db.label());
        assert_eq!(app.seal_clear_webhook_secrets(&keys).await.unwrap(), 0, "nothing left in clear");
        let (clear, sealed, key_id) = stored_secret(&store, ws_id).await;
        assert_eq!(clear, None);
        assert!(!sealed.clone().unwrap().contains("whsec_from_before"));
        assert_eq!(keys.open(&key_id.unwrap(), &sealed.unwrap()).unwrap(), "whsec_from_before");

        // Deliveries are still signed with the secret the receiver knows.
        let after = app.listening_settings(&op, "maison-lumiere").await.unwrap();
        let opened =
            tutti_app::listening::open_webhook_secret(Some(&keys), after.webhook_secret.as_ref().unwrap())
                .unwrap();
        assert_eq!(opened, "whsec_from_before");
        let header = tutti_alerts::webhook::sign(opened.as_bytes(), 1_741_986_912, b"{}");
        assert!(tutti_alerts::webhook::verify(
            b"whsec_from_before",
            &header,
            b"{}",
            1_741_986_912,
            std::time::Duration::from_secs(300)
        )
        .is_ok());
        assert!(
            tutti_app::listening::open_webhook_secret(None, after.webhook_secret.as_ref().unwrap()).is_err()
        );

        // A key rotation seals it again with the new key; the old key can then be dropped.
        let rotated = keys.rotated();
        app.rotate_credentials(&op, &rotated).await.unwrap();
        let (_, sealed, key_id) = stored_secret(&store, ws_id).await;
        assert_eq!(key_id.as_deref(), Some(rotated.current_id()));
        assert_eq!(
            rotated.current_only().open(rotated.current_id(), &sealed.unwrap()).unwrap(),
            "whsec_from_before"
        );
        drop(app);
        store.close().await;
    }
}
