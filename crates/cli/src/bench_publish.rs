//! `tutti bench publish`: many posts due within a minute, published by `tutti worker`
//! processes to a local endpoint that answers like a PDS, with the publish lag of every post,
//! the throughput, the duplicates the endpoint saw, and the workers' memory.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};
use tutti_app::publishing::ChannelToAdd;
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App, AppConfig};
use tutti_store::publishing::{self, NewPost};
use tutti_store::Store;

/// What the local endpoint saw: the record keys taken, and how many records each post text got.
#[derive(Debug, Default)]
struct Endpoint {
    records: HashMap<String, String>,
    per_text: HashMap<String, u32>,
    refused_taken_keys: u64,
}

type Shared = Arc<Mutex<Endpoint>>;

async fn create_session() -> Json<Value> {
    Json(
        json!({"did": "did:plc:benchbenchbench", "handle": "bench.test", "accessJwt": "a", "refreshJwt": "r"}),
    )
}

async fn create_record(State(s): State<Shared>, Json(body): Json<Value>) -> axum::response::Response {
    let rkey = body["rkey"].as_str().unwrap_or_default().to_owned();
    let text = body["record"]["text"].as_str().unwrap_or_default().to_owned();
    let mut e = s.lock().unwrap_or_else(|p| p.into_inner());
    if e.records.contains_key(&rkey) {
        // What the reference PDS answers when the key is taken.
        e.refused_taken_keys += 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "InternalServerError"})))
            .into_response();
    }
    e.records.insert(rkey.clone(), text.clone());
    *e.per_text.entry(text).or_default() += 1;
    Json(json!({"uri": format!("at://did:plc:benchbenchbench/app.bsky.feed.post/{rkey}"), "cid": "bafyreibench"}))
        .into_response()
}

async fn get_record(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> axum::response::Response {
    let rkey = q.get("rkey").cloned().unwrap_or_default();
    let e = s.lock().unwrap_or_else(|p| p.into_inner());
    match e.records.get(&rkey) {
        Some(text) => Json(json!({
            "uri": format!("at://did:plc:benchbenchbench/app.bsky.feed.post/{rkey}"),
            "cid": "bafyreibench",
            "value": {"text": text},
        }))
        .into_response(),
        None => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "RecordNotFound", "message": "Could not locate record"})),
        )
            .into_response(),
    }
}

/// Peak resident memory of a process, bytes (Linux; 0 elsewhere).
fn peak_rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Runs the benchmark; `database_url` is SQLite in a fresh directory unless a PostgreSQL URL
/// is given (its database should be dedicated to the benchmark).
pub async fn run(
    database_url: Option<String>,
    posts: usize,
    workers: usize,
    spread_secs: u64,
    as_json: bool,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = database_url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("tutti.db").display()));
    let store = Store::open(&url).await?;
    let app = App::new(
        store.clone(),
        AppConfig { networks: tutti_networks::registry().clone(), ..AppConfig::default() },
    );
    let keys = Keyring::generate();

    let shared: Shared = Arc::default();
    let endpoint = axum::Router::new()
        .route("/xrpc/com.atproto.server.createSession", axum::routing::post(create_session))
        .route("/xrpc/com.atproto.repo.createRecord", axum::routing::post(create_record))
        .route("/xrpc/com.atproto.repo.getRecord", axum::routing::get(get_record))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let service = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, endpoint).await });

    let name = format!("Bench {}", uuid::Uuid::new_v4().simple());
    let ws = app.create_workspace(&Actor::Operator, &name, "Europe/Paris").await?;
    let channel = app
        .add_channel(
            &Actor::Operator,
            &keys,
            &ws.slug,
            &ChannelToAdd {
                network: "bluesky".into(),
                handle: "bench.test".into(),
                service: service.clone(),
                account_id: None,
                secret: "bench".into(),
                ambassador: None,
            },
        )
        .await?;
    // The posts are due from 5 s from now, spread evenly over `spread_secs`.
    let start = tutti_store::now_ms() + 5_000;
    let mut tx = store.begin().await?;
    for i in 0..posts {
        let at = start + (i as i64 * spread_secs as i64 * 1000) / posts.max(1) as i64;
        let key = tutti_bluesky::Tid::now().to_string();
        let text = format!("Bench post {i}");
        publishing::insert_post(
            &mut tx,
            &NewPost {
                workspace_id: ws.id,
                channel_id: channel.id,
                author_user_id: None,
                text: &text,
                langs: "",
                status: tutti_domain::PostStatus::Scheduled,
                scheduled_at: Some(at),
                idempotency_key: &key,
                reply_to_post_id: None,
            },
            &[],
        )
        .await?;
    }
    tx.commit().await?;

    let exe = std::env::current_exe().context("cannot find the tutti binary")?;
    let mut children: Vec<Child> = (0..workers)
        .map(|_| {
            Command::new(&exe)
                .args(["--database-url", &url, "--data-dir"])
                .arg(dir.path())
                .arg("worker")
                .env("TUTTI_SECRET_KEYS", keys.to_text())
                // The local endpoint stands for the network: allowed by name, as an operator
                // allows a PDS on the LAN.
                .env("TUTTI_ALLOW_PRIVATE_HOSTS", service.trim_start_matches("http://"))
                .env("TUTTI_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("cannot start a worker")
        })
        .collect::<anyhow::Result<_>>()?;
    let deadline = Instant::now() + Duration::from_secs(spread_secs + 120);
    let published = loop {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM posts WHERE workspace_id = $1 AND status = 'published'")
                .bind(ws.id)
                .fetch_one(&mut *store.conn().await?)
                .await?;
        if n as usize >= posts || Instant::now() > deadline {
            break n as usize;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let rss: Vec<u64> = children.iter().map(|c| peak_rss(c.id())).collect();
    for c in &mut children {
        let _ = Command::new("kill").args(["-INT", &c.id().to_string()]).status();
    }
    for c in &mut children {
        let _ = c.wait();
    }
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT scheduled_at, published_at FROM posts WHERE workspace_id = $1 AND status = 'published'",
    )
    .bind(ws.id)
    .fetch_all(&mut *store.conn().await?)
    .await?;
    let mut lags: Vec<i64> = rows.iter().map(|(s, p)| p - s).collect();
    lags.sort_unstable();
    let first = rows.iter().map(|r| r.0).min().unwrap_or(start);
    let last = rows.iter().map(|r| r.1).max().unwrap_or(start);
    let (duplicates, refused) = {
        let e = shared.lock().unwrap_or_else(|p| p.into_inner());
        (e.per_text.values().map(|n| u64::from(n.saturating_sub(1))).sum::<u64>(), e.refused_taken_keys)
    };
    store.close().await;
    let backend = if url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let throughput = published as f64 / ((last - first).max(1) as f64 / 1000.0);
    if as_json {
        println!(
            "{}",
            json!({
                "backend": backend, "workers": workers, "posts": posts, "published": published,
                "spread_s": spread_secs, "lag_p50_ms": percentile(&lags, 0.5), "lag_p99_ms": percentile(&lags, 0.99),
                "lag_max_ms": lags.last().copied().unwrap_or(0), "throughput_posts_per_s": throughput.round(),
                "duplicates": duplicates, "taken_key_refusals": refused, "worker_peak_rss_bytes": rss,
            })
        );
    } else {
        println!("backend              {backend}, {workers} worker process(es)");
        println!("posts                {published} of {posts} published, due over {spread_secs} s");
        println!(
            "publish lag          p50 {} ms, p99 {} ms, max {} ms",
            percentile(&lags, 0.5),
            percentile(&lags, 0.99),
            lags.last().copied().unwrap_or(0)
        );
        println!("throughput           {throughput:.0} posts/s (first due → last published)");
        println!("duplicates           {duplicates}");
        println!(
            "worker peak RSS      {}",
            rss.iter().map(|b| format!("{:.1} MB", *b as f64 / 1_048_576.0)).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}
