//! Listening pages and API beyond the query list: the report (volume, authors, hashtags,
//! share of voice), the live list, alert rules, the listening settings and crisis mode, with
//! errors that name their field and hostile text rendered inert.

mod common;

use common::{seed, spawn, PASSWORD, WS};
use reqwest::header::LOCATION;
use reqwest::Method;
use tutti_app::store::listening::{self, Mention};
use tutti_app::Actor;
use tutti_domain::Role;

fn mention(query_id: i64, i: usize, author: &str, text: &str, sentiment: &str, ago_ms: i64) -> Mention {
    Mention {
        id: 0,
        query_id,
        source: "jetstream".into(),
        external_id: format!("at://{author}/app.bsky.feed.post/{i}"),
        url: None,
        author: Some(author.into()),
        text: text.into(),
        lang: Some("fr".into()),
        sentiment: Some(sentiment.parse().unwrap()),
        sentiment_score: Some(0.0),
        toxicity: Some(0.0),
        published_at: Some(tutti_app::store::now_ms() - ago_ms),
    }
}

#[tokio::test]
async fn the_report_shows_volume_authors_hashtags_and_share_of_voice() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        seed(&t.app).await;
        let op = Actor::Operator;
        let brand = t.app.add_query(&op, WS, "Acme", "acme", "brand").await.unwrap();
        let rival = t.app.add_query(&op, WS, "Globex", "globex", "competitor").await.unwrap();
        let mut tx = t.app.store().begin().await.unwrap();
        let rows = [
            (brand.id, "did:plc:lea", "Livraison en retard chez acme #Colis", "neg", 3_600_000),
            (brand.id, "did:plc:lea", "Toujours pas de livraison acme #colis", "neg", 7_200_000),
            (brand.id, "did:plc:tom", "J'adore acme <b>vraiment</b>", "pos", 86_400_000),
            (rival.id, "did:plc:ana", "globex c'est correct", "neu", 3_600_000),
        ];
        for (i, (q, author, text, sentiment, ago)) in rows.into_iter().enumerate() {
            listening::insert_mention(&mut tx, &mention(q, i, author, text, sentiment, ago)).await.unwrap();
        }
        // Older than the week: outside the default period.
        listening::insert_mention(
            &mut tx,
            &mention(brand.id, 9, "did:plc:old", "acme jadis", "neu", 10 * 86_400_000),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let path = format!("/w/{WS}/listening/{}", brand.id);
        let page = t.get(&mut cm, &path).await.text().await.unwrap();
        assert!(page.contains("<svg") && page.contains("bar-neg"), "a volume chart");
        assert!(
            page.contains("did:plc:lea") && page.contains("author=did%3Aplc%3Alea"),
            "top authors link to a filter"
        );
        assert!(
            page.to_lowercase().contains("#colis <span class=\"muted tabular\">2</span>"),
            "hashtags merge case"
        );
        assert!(page.contains("livraison"), "top terms");
        assert!(page.contains(">75%<"), "share of voice: 3 of 4 mentions are the brand's, in English");
        assert!(!page.contains("jadis"), "the week's report leaves older mentions out");
        assert!(!page.contains("<b>vraiment"), "mention text is escaped");
        let month = t.get(&mut cm, &format!("{path}?period=30d")).await.text().await.unwrap();
        assert!(month.contains("jadis"));
        let by_author = t.get(&mut cm, &format!("{path}?author=did%3Aplc%3Atom")).await.text().await.unwrap();
        assert!(by_author.contains("J&#39;adore") && !by_author.contains("Toujours pas"));

        // The live list returns only what arrived after the id it is given.
        let last =
            listening::last_mention_id(&mut t.app.store().conn().await.unwrap(), brand.id).await.unwrap();
        assert!(
            page.contains(&format!("live?after={last}")),
            "the page's live list starts after the latest mention"
        );
        let live = t.get(&mut cm, &format!("{path}/live?after={last}")).await.text().await.unwrap();
        assert!(!live.contains("class=\"mention\"") && live.contains("hx-swap-oob"));
        let mut tx = t.app.store().begin().await.unwrap();
        listening::insert_mention(
            &mut tx,
            &mention(brand.id, 20, "did:plc:new", "acme tout neuf", "neu", 1_000),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let live = t.get(&mut cm, &format!("{path}/live?after={last}")).await.text().await.unwrap();
        assert!(live.contains("acme tout neuf") && !live.contains("Toujours pas"));

        // The JSON report says the same.
        let token = &seed_token(&t, Role::Analyst).await;
        let r = t.bearer(
            Method::GET,
            &format!("/api/v1/workspaces/{WS}/listening/queries/{}/report?period=7d", brand.id),
            token,
        );
        let json: serde_json::Value = r.send().await.unwrap().json().await.unwrap();
        assert_eq!(json["total"], 4);
        assert_eq!(json["negative"], 2);
        assert_eq!(json["top_authors"][0]["author"], "did:plc:lea");
    }
}

async fn seed_token(t: &common::TestApp, role: Role) -> String {
    t.app
        .create_token(&Actor::Operator, &format!("{}@acme.test", role.as_str()), "more")
        .await
        .unwrap()
        .secret
}

#[tokio::test]
async fn alert_rules_settings_and_crisis_check_their_input_and_their_caller() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        seed(&t.app).await;
        let q = t.app.add_query(&Actor::Operator, WS, "Acme", "acme", "brand").await.unwrap();
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let rules = format!("/w/{WS}/listening/{}/rules", q.id);

        let r = t.post_form(&mut cm, &rules, &[("kind", "keyword"), ("keyword", "rappel AND")]).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("id=\"r-keyword-error\"") && html.contains("col "),
            "the keyword error names the column: {html}"
        );
        let r = t
            .post_form(
                &mut cm,
                &rules,
                &[("kind", "keyword"), ("keyword", "rappel OR intoxication"), ("webhook", "1")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let r = t.post_form(&mut cm, &rules, &[("kind", "spike")]).await;
        assert_eq!(r.status(), 303);
        let page = t.get(&mut cm, &format!("/w/{WS}/listening/{}", q.id)).await.text().await.unwrap();
        assert!(page.contains("rappel OR intoxication") && page.contains("Webhook"));
        assert_eq!(t.app.alert_rules(&Actor::Operator, WS, q.id).await.unwrap().len(), 2);

        // Settings: only SMMs and admins; errors name the field; the secret is shown once.
        let settings = format!("/w/{WS}/listening-settings");
        assert_eq!(t.get(&mut cm, &settings).await.status(), 403);
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let r = t
            .post_form(
                &mut smm,
                &settings,
                &[("retention_days", "0"), ("webhook_url", ""), ("alert_emails", "")],
            )
            .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("id=\"s-retention-error\""));
        let r = t
            .post_form(
                &mut smm,
                &settings,
                &[
                    ("retention_days", "30"),
                    ("webhook_url", "https://hooks.example/x"),
                    ("alert_emails", "ops@acme.test, pas-une-adresse"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("id=\"s-emails-error\"") && html.contains("address 2"),
            "the bad address is named"
        );
        let r = t
            .post_form(
                &mut smm,
                &settings,
                &[
                    ("retention_days", "30"),
                    ("webhook_url", "https://hooks.example/x"),
                    ("alert_emails", "ops@acme.test"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("whsec_"), "the signing secret is shown once");
        let again = t.get(&mut smm, &settings).await.text().await.unwrap();
        assert!(!again.contains("whsec_"), "and never again");
        let saved = t.app.listening_settings(&Actor::Operator, WS).await.unwrap();
        assert_eq!((saved.retention_days, saved.alert_emails.len()), (30, 1));

        // Crisis mode: refused to a CM, switched by the SMM, shown to everyone, audited.
        let crisis = format!("/w/{WS}/crisis");
        assert_eq!(t.post_form(&mut cm, &crisis, &[("on", "1")]).await.status(), 403);
        let r = t
            .post_form(
                &mut smm,
                &crisis,
                &[("on", "1"), ("reason", "rappel produit"), ("back", "//evil.example")],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[LOCATION], format!("/w/{WS}").as_str(), "only local paths are followed back");
        let home = t.get(&mut cm, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(
            home.contains("crisis-banner") && !home.contains("action=\"/w/acme-studio/crisis\""),
            "the CM sees the banner, not the switch"
        );
        let token = seed_token(&t, Role::Smm).await;
        let r = t
            .bearer(Method::DELETE, &format!("/api/v1/workspaces/{WS}/crisis"), &token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        assert!(t.app.crisis(&Actor::Operator, WS).await.unwrap().is_none());
        let log = t
            .app
            .audit_log(&Actor::Operator, WS, &tutti_app::AuditQuery { limit: 100, ..Default::default() })
            .await
            .unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert!(
            actions.contains(&"crisis.on")
                && actions.contains(&"crisis.off")
                && actions.contains(&"listening.alert_rule.add"),
            "{actions:?}"
        );
    }
}

#[tokio::test]
async fn the_api_refuses_a_malformed_query_with_its_column() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let token = &s.members[&Role::Cm].1;
        let r = t
            .bearer(Method::POST, &format!("/api/v1/workspaces/{WS}/listening/queries"), token)
            .json(&serde_json::json!({"name": "Acme", "query": "acme NEAR/3"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], "query");
        assert!(e["error"]["message"].as_str().unwrap().contains("col "), "{e}");
        let r = t
            .bearer(Method::POST, &format!("/api/v1/workspaces/{WS}/listening/queries"), token)
            .json(&serde_json::json!({"name": "Acme", "query": "acme OR \"acme studio\""}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let list: serde_json::Value = t
            .bearer(Method::GET, &format!("/api/v1/workspaces/{WS}/listening/queries"), token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list[0]["name"], "Acme");
    }
}
