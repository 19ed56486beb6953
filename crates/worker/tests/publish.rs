//! The publisher against the local reference Bluesky network, on every backend: a scheduled
//! post with facets and an image lands once at its time; a worker that died after sending
//! leaves exactly one post; crisis mode holds due posts; a 429 waits the announced delay; a
//! refusal keeps the network's message.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tutti_app::publishing::{ChannelToAdd, PostToWrite};
use tutti_app::secrets::Keyring;
use tutti_app::store::publishing::{self, PostMedia};
use tutti_app::{Actor, App, AppConfig};
use tutti_test_support::devnet::Devnet;
use tutti_worker::publisher::{Outcome, Publisher, LEASE_MS};

const PASSWORD: &str = "correct-horse-battery";

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0,
    0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63,
    0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0, 0x05, 0, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0, 0, 0, 0, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

struct Setup {
    app: App,
    keys: Keyring,
    /// The outbound policy reaching the network and `service`.
    outbound: tutti_outbound::Outbound,
    slug: String,
    did: String,
}

async fn setup(db: &tutti_test_support::TestDb, net: &Devnet, handle: &str, service: &str) -> Setup {
    let store = db.open().await;
    let outbound = net.outbound().with_urls([service]);
    let app = App::new(store, AppConfig { outbound: outbound.clone(), ..tutti_test_support::app_config() });
    let ws = app.create_workspace(&Actor::Operator, "Maison Lumière", "Europe/Paris").await.unwrap();
    let (did, _) = net.create_account(handle, PASSWORD).await;
    let keys = Keyring::generate();
    let channel = ChannelToAdd {
        network: "bluesky".into(),
        handle: handle.into(),
        service: service.into(),
        account_id: Some(did.clone()),
        secret: PASSWORD.into(),
        ambassador: None,
    };
    app.add_channel(&Actor::Operator, &keys, &ws.slug, &channel).await.unwrap();
    Setup { app, keys, outbound, slug: ws.slug, did }
}

async fn records(net: &Devnet, did: &str) -> Vec<serde_json::Value> {
    let url = format!(
        "{}/xrpc/com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post&limit=100",
        net.pds_url
    );
    let v: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    v["records"].as_array().cloned().unwrap_or_default()
}

fn write(text: &str, at: Option<String>, images: Vec<PostMedia>) -> PostToWrite {
    PostToWrite {
        channel: String::new(),
        text: text.into(),
        at,
        langs: vec!["fr".into()],
        images,
        reply_to: None,
        queue: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_post_with_facets_and_an_image_lands_once_at_its_time() {
    let Some(net) = Devnet::start("publisher", false).await else { return };
    for (n, db) in tutti_test_support::every_backend().await.into_iter().enumerate() {
        let handle = format!("brand{n}.test");
        let s = setup(&db, &net, &handle, &net.pds_url).await;
        net.create_account(&format!("bob{n}.test"), PASSWORD).await;
        let at = chrono::Utc::now() + chrono::Duration::seconds(5);
        let text = format!("Été ☀️ chez Maison Lumière : la collection est là https://maison-lumiere.example/ete #luminaire merci @bob{n}.test");
        let mut p = write(
            &text,
            Some(at.to_rfc3339()),
            vec![PostMedia {
                mime: "image/png".into(),
                bytes: PNG.to_vec(),
                alt: "Une lampe allumée".into(),
            }],
        );
        p.channel = handle.clone();
        let post =
            s.app.create_post(&Actor::Operator, &s.slug, &p, tutti_app::store::now_ms()).await.unwrap();
        assert_eq!(post.status, "scheduled");

        let publisher = Publisher::new(s.app.store().clone(), "w1".into(), s.keys.clone(), &s.outbound);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(publisher.run(stopped));
        let published = loop {
            let now =
                publishing::post_by_id(&mut s.app.store().conn().await.unwrap(), post.id).await.unwrap();
            if now.status == "published" {
                break now;
            }
            assert!(
                chrono::Utc::now() < at + chrono::Duration::seconds(20),
                "[{}] not published: {now:?}",
                db.label()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        stop.send(true).unwrap();
        running.await.unwrap();
        let lag = published.published_at.unwrap() - at.timestamp_millis();
        eprintln!("[{}] published {lag} ms after its time", db.label());
        assert!(lag >= -1000, "not published early");

        let records = records(&net, &s.did).await;
        assert_eq!(records.len(), 1, "exactly one post");
        let value = &records[0]["value"];
        assert!(
            records[0]["uri"].as_str().unwrap().ends_with(&post.idempotency_key),
            "the record key chosen in advance"
        );
        let facets = value["facets"].as_array().unwrap();
        let bytes = text.as_bytes();
        let sliced: Vec<String> = facets
            .iter()
            .map(|f| {
                let (a, b) = (
                    f["index"]["byteStart"].as_u64().unwrap() as usize,
                    f["index"]["byteEnd"].as_u64().unwrap() as usize,
                );
                String::from_utf8(bytes[a..b].to_vec()).unwrap()
            })
            .collect();
        assert!(sliced.contains(&"https://maison-lumiere.example/ete".to_owned()), "{sliced:?}");
        assert!(
            sliced.contains(&"#luminaire".to_owned()) && sliced.contains(&format!("@bob{n}.test")),
            "{sliced:?}"
        );
        assert_eq!(value["embed"]["images"][0]["alt"], "Une lampe allumée");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_died_after_sending_leaves_exactly_one_post() {
    let Some(net) = Devnet::start("publisher", false).await else { return };
    for (n, db) in tutti_test_support::every_backend().await.into_iter().enumerate() {
        let handle = format!("crash{n}.test");
        let s = setup(&db, &net, &handle, &net.pds_url).await;
        let mut p = write("Publié une seule fois, même si le worker meurt.", None, Vec::new());
        p.channel = handle.clone();
        let post =
            s.app.create_post(&Actor::Operator, &s.slug, &p, tutti_app::store::now_ms()).await.unwrap();

        // A first worker claims the post, sends it, and dies before writing down the result.
        let store = s.app.store().clone();
        let now = tutti_app::store::now_ms();
        let mut tx = store.begin().await.unwrap();
        let claimed =
            publishing::claim_due(&mut tx, store.backend(), "dead", now, LEASE_MS, 10).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(claimed.len(), 1);
        let client =
            tutti_bluesky::XrpcClient::new(&net.pds_url, &handle, PASSWORD, &net.outbound()).unwrap();
        client.publish(&tutti_bluesky::NewPost::new(post.text.clone()), &post.idempotency_key).await.unwrap();

        // While its lease runs, nobody else touches the post.
        let survivor = Publisher::new(store.clone(), "survivor".into(), s.keys.clone(), &s.outbound);
        assert!(survivor.run_once(now + 1000).await.unwrap().is_empty());
        // Once it has run out, the survivor asks the network first and finds the post.
        let done = survivor.run_once(now + LEASE_MS + 1).await.unwrap();
        assert_eq!(done, vec![(post.id, Outcome::Published)], "[{}]", db.label());
        assert_eq!(records(&net, &s.did).await.len(), 1, "[{}] exactly one post on the network", db.label());
        let stored = publishing::post_by_id(&mut store.conn().await.unwrap(), post.id).await.unwrap();
        assert_eq!(stored.attempts, 2);
        assert!(stored.remote_id.unwrap().ends_with(&post.idempotency_key));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crisis_mode_holds_a_due_post_and_releases_it_on_resume() {
    let Some(net) = Devnet::start("publisher", false).await else { return };
    for (n, db) in tutti_test_support::every_backend().await.into_iter().enumerate() {
        let handle = format!("calm{n}.test");
        let s = setup(&db, &net, &handle, &net.pds_url).await;
        let mut p = write("Annonce programmée", None, Vec::new());
        p.channel = handle.clone();
        let post =
            s.app.create_post(&Actor::Operator, &s.slug, &p, tutti_app::store::now_ms()).await.unwrap();
        s.app.set_crisis(&Actor::Operator, &s.slug, true, "rappel produit").await.unwrap();
        let publisher = Publisher::new(s.app.store().clone(), "w".into(), s.keys.clone(), &s.outbound);
        assert!(
            publisher.run_once(tutti_app::store::now_ms()).await.unwrap().is_empty(),
            "held during the crisis"
        );
        assert!(records(&net, &s.did).await.is_empty());
        s.app.set_crisis(&Actor::Operator, &s.slug, false, "").await.unwrap();
        assert_eq!(
            publisher.run_once(tutti_app::store::now_ms()).await.unwrap(),
            vec![(post.id, Outcome::Published)]
        );
        assert_eq!(records(&net, &s.did).await.len(), 1);
    }
}

/// A proxy in front of the PDS that answers the first `createRecord` with a 429 (retry in 30 s)
/// and refuses any post saying "REFUSE" with the network's own message.
async fn proxy(pds: String) -> (String, Arc<AtomicUsize>) {
    let limited = Arc::new(AtomicUsize::new(0));
    let seen = limited.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (pds, seen) = (pds.clone(), seen.clone());
        async move {
            use axum::response::IntoResponse;
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 10 << 20).await.unwrap();
            let path = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
            if path.contains("com.atproto.repo.createRecord") {
                if String::from_utf8_lossy(&body).contains("REFUSE") {
                    let msg = serde_json::json!({"error": "InvalidRequest", "message": "Record/text must not contain REFUSE"});
                    return (axum::http::StatusCode::BAD_REQUEST, axum::Json(msg)).into_response();
                }
                if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                    let msg = serde_json::json!({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"});
                    return (axum::http::StatusCode::TOO_MANY_REQUESTS, [("retry-after", "30")], axum::Json(msg)).into_response();
                }
            }
            let mut out = reqwest::Client::new().request(parts.method.clone(), format!("{pds}{path}"));
            for (k, v) in parts.headers.iter() {
                if k != "host" && k != "content-length" {
                    out = out.header(k, v);
                }
            }
            let r = out.body(body).send().await.unwrap();
            let status = r.status();
            let ct = r.headers().get("content-type").cloned();
            let bytes = r.bytes().await.unwrap();
            let mut resp = (status, bytes).into_response();
            if let Some(ct) = ct {
                resp.headers_mut().insert("content-type", ct);
            }
            resp
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, limited)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_waits_the_announced_delay_and_a_refusal_keeps_the_networks_message() {
    let Some(net) = Devnet::start("publisher", false).await else { return };
    for (n, db) in tutti_test_support::every_backend().await.into_iter().enumerate() {
        let (via, _) = proxy(net.pds_url.clone()).await;
        let handle = format!("busy{n}.test");
        let s = setup(&db, &net, &handle, &via).await;
        let mut p = write("Bonne nouvelle !", None, Vec::new());
        p.channel = handle.clone();
        let post =
            s.app.create_post(&Actor::Operator, &s.slug, &p, tutti_app::store::now_ms()).await.unwrap();
        let publisher = Publisher::new(s.app.store().clone(), "w".into(), s.keys.clone(), &s.outbound);
        let now = tutti_app::store::now_ms();
        let first = publisher.run_once(now).await.unwrap();
        let [(_, Outcome::Retrying(at))] = first.as_slice() else { panic!("[{}] {first:?}", db.label()) };
        assert!(*at >= now + 30_000, "waits the 30 s the network asked for");
        let waiting =
            publishing::post_by_id(&mut s.app.store().conn().await.unwrap(), post.id).await.unwrap();
        assert_eq!(waiting.status, "scheduled");
        assert!(waiting.error.unwrap().contains("rate limited"));
        assert!(publisher.run_once(at - 1).await.unwrap().is_empty(), "not before the delay");
        assert_eq!(publisher.run_once(*at).await.unwrap(), vec![(post.id, Outcome::Published)]);
        assert_eq!(records(&net, &s.did).await.len(), 1);

        p.text = "Ce texte dit REFUSE".into();
        let refused =
            s.app.create_post(&Actor::Operator, &s.slug, &p, tutti_app::store::now_ms()).await.unwrap();
        let done = publisher.run_once(tutti_app::store::now_ms()).await.unwrap();
        assert!(
            matches!(&done[..], [(id, Outcome::Failed(m))] if *id == refused.id && m.contains("must not contain REFUSE")),
            "{done:?}"
        );
        let failed =
            publishing::post_by_id(&mut s.app.store().conn().await.unwrap(), refused.id).await.unwrap();
        assert_eq!(failed.status, "failed");
        assert!(
            failed.error.unwrap().contains("Record/text must not contain REFUSE"),
            "the network's own message"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_goes_out_in_order_each_post_answering_the_one_before() {
    let Some(net) = Devnet::start("publisher", false).await else { return };
    for (n, db) in tutti_test_support::every_backend().await.into_iter().enumerate() {
        let handle = format!("thread{n}.test");
        let s = setup(&db, &net, &handle, &net.pds_url).await;
        let now = tutti_app::store::now_ms();
        let mut first = write("1/2 La nouvelle collection arrive.", None, Vec::new());
        first.channel = handle.clone();
        let first = s.app.create_post(&Actor::Operator, &s.slug, &first, now).await.unwrap();
        let mut second = write("2/2 En boutique dès lundi.", None, Vec::new());
        second.channel = handle.clone();
        second.reply_to = Some(first.id);
        let second = s.app.create_post(&Actor::Operator, &s.slug, &second, now).await.unwrap();
        let mut elsewhere = write("Ailleurs", None, Vec::new());
        elsewhere.channel = handle.clone();
        elsewhere.reply_to = Some(999_999);
        let refused = s.app.create_post(&Actor::Operator, &s.slug, &elsewhere, now).await.unwrap_err();
        assert!(
            matches!(refused, tutti_app::AppError::Invalid(ref e) if e.field == "reply_to"),
            "{refused:?}"
        );

        let publisher = Publisher::new(s.app.store().clone(), "w".into(), s.keys.clone(), &s.outbound);
        let round = publisher.run_once(tutti_app::store::now_ms()).await.unwrap();
        assert_eq!(
            round,
            vec![(first.id, Outcome::Published)],
            "[{}] the reply waits for its parent",
            db.label()
        );
        let round = publisher.run_once(tutti_app::store::now_ms()).await.unwrap();
        assert_eq!(round, vec![(second.id, Outcome::Published)]);
        let stored = |id| {
            let store = s.app.store().clone();
            async move { publishing::post_by_id(&mut store.conn().await.unwrap(), id).await.unwrap() }
        };
        let (a, b) = (stored(first.id).await, stored(second.id).await);
        let records = records(&net, &s.did).await;
        let reply = records.iter().find(|r| r["uri"] == b.remote_id.clone().unwrap().as_str()).unwrap();
        assert_eq!(reply["value"]["reply"]["parent"]["uri"], a.remote_id.clone().unwrap().as_str());
        assert_eq!(reply["value"]["reply"]["root"]["uri"], a.remote_id.unwrap().as_str());
    }
}

/// Calls an XRPC procedure of the local PDS with an access token.
async fn procedure(net: &Devnet, nsid: &str, jwt: &str, body: serde_json::Value) -> serde_json::Value {
    let r = reqwest::Client::new()
        .post(format!("{}/xrpc/{nsid}", net.pds_url))
        .bearer_auth(jwt)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{nsid}: {}", r.status());
    r.json().await.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_mention_is_refused_when_the_post_is_written() {
    let Some(net) = Devnet::start("publisher", false).await else { return };
    for (n, db) in tutti_test_support::every_backend().await.into_iter().enumerate() {
        let handle = format!("mentions{n}.test");
        let s = setup(&db, &net, &handle, &net.pds_url).await;
        net.create_account(&format!("real{n}.test"), PASSWORD).await;
        let mut p = write(&format!("Merci @real{n}.test et @ghost{n}.test !"), None, Vec::new());
        p.channel = handle.clone();
        let e =
            s.app.create_post(&Actor::Operator, &s.slug, &p, tutti_app::store::now_ms()).await.unwrap_err();
        let tutti_app::AppError::Invalid(e) = e else { panic!("{e:?}") };
        assert_eq!((e.field, e.code), ("text", "mention_unknown"), "[{}]", db.label());
        assert!(e.message.starts_with(&format!("@ghost{n}.test (character ")), "{}", e.message);
        assert!(s.app.posts(&Actor::Operator, &s.slug, 10).await.unwrap().is_empty(), "nothing stored");
        p.text = format!("Merci @real{n}.test !");
        s.app.create_post(&Actor::Operator, &s.slug, &p, tutti_app::store::now_ms()).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_app_password_holds_the_post_notifies_and_it_goes_out_once_reconnected() {
    let Some(net) = Devnet::start("publisher", false).await else { return };
    for (n, db) in tutti_test_support::every_backend().await.into_iter().enumerate() {
        let app = App::new(db.open().await, tutti_test_support::app_config());
        let op = Actor::Operator;
        let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
        app.add_user(&op, "smm@ml.test", "Sam", PASSWORD, false).await.unwrap();
        app.add_member(&op, &ws.slug, "smm@ml.test", "smm").await.unwrap();
        let handle = format!("revoked{n}.test");
        let (did, jwt) = net.create_account(&handle, PASSWORD).await;
        let app_password = |name: &'static str| {
            let (net, jwt) = (&net, jwt.clone());
            async move {
                let v = procedure(
                    net,
                    "com.atproto.server.createAppPassword",
                    &jwt,
                    serde_json::json!({"name": name}),
                )
                .await;
                v["password"].as_str().unwrap().to_owned()
            }
        };
        let first = app_password("tutti").await;
        let keys = Keyring::generate();
        let channel = ChannelToAdd {
            network: "bluesky".into(),
            handle: handle.clone(),
            service: net.pds_url.clone(),
            account_id: Some(did.clone()),
            secret: first,
            ambassador: None,
        };
        app.add_channel(&op, &keys, &ws.slug, &channel).await.unwrap();
        procedure(&net, "com.atproto.server.revokeAppPassword", &jwt, serde_json::json!({"name": "tutti"}))
            .await;

        let mut p = write("Elle attendra", None, Vec::new());
        p.channel = handle.clone();
        let post = app.create_post(&op, &ws.slug, &p, tutti_app::store::now_ms()).await.unwrap();
        let publisher = Publisher::new(app.store().clone(), "w".into(), keys.clone(), &net.outbound());
        let done = publisher.run_once(tutti_app::store::now_ms()).await.unwrap();
        assert_eq!(done, vec![(post.id, Outcome::Held)], "[{}]", db.label());
        let mut conn = app.store().conn().await.unwrap();
        let c = publishing::channel_by_id(&mut conn, post.channel_id).await.unwrap();
        assert_eq!(c.status, "needs_reconnect");
        let waiting = publishing::post_by_id(&mut conn, post.id).await.unwrap();
        assert_eq!(waiting.status, "scheduled", "nothing is lost: the post waits");
        assert!(waiting.error.unwrap().contains("needs reconnecting"));
        let jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE queue = 'notice.deliver'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        assert_eq!(jobs, 1, "[{}] one e-mail to the one SMM", db.label());
        let smm = Actor::User(app.user_by_email("smm@ml.test").await.unwrap());
        let notices = app.notices(&smm, &ws.slug).await.unwrap();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].subject, handle);
        assert!(publisher.run_once(tutti_app::store::now_ms() + 60_000).await.unwrap().is_empty(), "held");

        let second = app_password("tutti-2").await;
        app.reconnect_channel(&op, &keys, &ws.slug, &handle, &second).await.unwrap();
        let done = publisher.run_once(tutti_app::store::now_ms()).await.unwrap();
        assert_eq!(done, vec![(post.id, Outcome::Published)], "[{}]", db.label());
        assert_eq!(records(&net, &did).await.len(), 1, "exactly one post");
    }
}
