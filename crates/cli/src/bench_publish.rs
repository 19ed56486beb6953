//! `tutti bench publish`: many posts due within a minute (or all at once), published by
//! `tutti worker` processes, with the publish lag of every post, the duplicates the endpoint
//! holds, and the workers' memory.
//!
//! Where the posts go:
//! - by default, an **in-process fake PDS endpoint**: it answers `createSession` for any
//!   password and keeps the records it is given in a map, refusing a record key already taken
//!   as the reference PDS does. It measures Tutti's publisher (claiming, signing in once per
//!   channel, writing, marking published), not a network.
//! - with `--service URL`, a real PDS (the reference implementation the tests start, for
//!   instance): the account `--handle` with `--password`, or one the benchmark creates there
//!   (`com.atproto.server.createAccount`, which a development PDS allows without an invitation).
//!   The duplicates are then counted from the account's repository (`listRecords`).
//!
//! The rate "first due → last published" is the publisher's throughput only when every post
//! is due at once (`--spread-secs 0`); with a spread it follows the schedule, and is reported as
//! the schedule-bound rate.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tutti_outbound::Clients as _;

use anyhow::Context;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};
use tutti_app::publishing::ChannelToAdd;
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App, AppConfig};
use tutti_store::bulk;
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

/// What `tutti bench publish` is asked.
#[derive(Debug, Clone)]
pub struct PublishBench {
    /// How many posts.
    pub posts: usize,
    /// How many `tutti worker` processes.
    pub workers: usize,
    /// Over how many seconds the posts are due (0: all at once).
    pub spread_secs: u64,
    /// A PDS to publish to instead of the in-process fake endpoint.
    pub service: Option<String>,
    /// The account there; without it one is created.
    pub handle: Option<String>,
    /// Its password (app password).
    pub password: Option<String>,
    /// One JSON object.
    pub json: bool,
}

/// Where the workers publish.
enum Target {
    /// The in-process fake endpoint and what it saw.
    Fake(Shared),
    /// A PDS, and the account's DID (to read its repository back).
    Pds { did: String },
}

/// The most bytes read from one answer of a PDS.
const MAX_ANSWER: usize = 4 * 1024 * 1024;

/// One XRPC call to a PDS the operator named; the answer's JSON, or an error naming the call.
async fn xrpc(
    client: &tutti_outbound::Client,
    service: &str,
    nsid: &str,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> anyhow::Result<Value> {
    let url = format!("{}/xrpc/{nsid}", service.trim_end_matches('/'));
    let request = match body {
        Some(b) => client.post(&url).json(b),
        None => client.get(&url).query(query),
    };
    let mut answer = request.send().await.with_context(|| format!("{nsid} at {service}"))?;
    let status = answer.status();
    let bytes =
        tutti_outbound::read_limited(&mut answer, MAX_ANSWER).await.with_context(|| nsid.to_owned())?;
    let text = String::from_utf8_lossy(&bytes);
    if !status.is_success() {
        let shown: String = text.chars().take(300).collect();
        anyhow::bail!("{nsid} at {service}: HTTP {status}: {shown}");
    }
    serde_json::from_str(&text).with_context(|| format!("{nsid} at {service}: the answer is not JSON"))
}

/// The account to publish with on `service`: the one given (signed in once to learn its DID),
/// or a new one on the PDS's first user domain.
async fn pds_account(
    client: &tutti_outbound::Client,
    service: &str,
    handle: Option<String>,
    password: Option<String>,
) -> anyhow::Result<(String, String, String)> {
    let field = |v: &Value, k: &str, nsid: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("{nsid}: no {k} in the answer"))
    };
    if let Some(handle) = handle {
        let password = password.context("--password: give the account's (app) password with --handle")?;
        let nsid = "com.atproto.server.createSession";
        let session =
            xrpc(client, service, nsid, &[], Some(&json!({"identifier": handle, "password": password})))
                .await?;
        return Ok((handle, password, field(&session, "did", nsid)?));
    }
    let nsid = "com.atproto.server.describeServer";
    let described = xrpc(client, service, nsid, &[], None).await?;
    let domain = described
        .get("availableUserDomains")
        .and_then(Value::as_array)
        .and_then(|d| d.first())
        .and_then(Value::as_str)
        .context("com.atproto.server.describeServer: no availableUserDomains; give --handle and --password")?
        .to_owned();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let handle = format!("bench{}{domain}", &id[..10]);
    let password = uuid::Uuid::new_v4().simple().to_string();
    let nsid = "com.atproto.server.createAccount";
    let created = xrpc(
        client,
        service,
        nsid,
        &[],
        Some(&json!({"handle": handle, "email": format!("bench{}@example.test", &id[..10]), "password": password})),
    )
    .await
    .context("creating an account for the benchmark (give --handle and --password for an existing one)")?;
    Ok((handle, password, field(&created, "did", nsid)?))
}

/// How many records of the account hold each text starting with `prefix` (the account's
/// repository, read back with `com.atproto.repo.listRecords`).
async fn texts_in_repo(
    client: &tutti_outbound::Client,
    service: &str,
    did: &str,
    prefix: &str,
) -> anyhow::Result<HashMap<String, u32>> {
    let mut per_text: HashMap<String, u32> = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("repo", did), ("collection", "app.bsky.feed.post"), ("limit", "100")];
        if let Some(c) = &cursor {
            query.push(("cursor", c.as_str()));
        }
        let page = xrpc(client, service, "com.atproto.repo.listRecords", &query, None).await?;
        let records = page.get("records").and_then(Value::as_array).cloned().unwrap_or_default();
        for r in &records {
            if let Some(text) = r.pointer("/value/text").and_then(Value::as_str) {
                if text.starts_with(prefix) {
                    *per_text.entry(text.to_owned()).or_default() += 1;
                }
            }
        }
        let next = page.get("cursor").and_then(Value::as_str).map(str::to_owned);
        if records.is_empty() || next.is_none() || next == cursor {
            return Ok(per_text);
        }
        cursor = next;
    }
}

/// Runs the benchmark; `database_url` is SQLite in a fresh directory unless a PostgreSQL URL
/// is given (its database should be dedicated to the benchmark).
pub async fn run(
    database_url: Option<String>,
    global: &crate::Global,
    b: PublishBench,
) -> anyhow::Result<()> {
    let PublishBench { posts, workers, spread_secs, json: as_json, .. } = b;
    let dir = tempfile::tempdir()?;
    let url = database_url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("tutti.db").display()));
    let store = Store::open(&url).await?;
    let app = App::new(
        store.clone(),
        AppConfig { networks: tutti_networks::registry().clone(), ..AppConfig::default() },
    );
    let keys = Keyring::generate();

    let (target, service, handle, secret, endpoint) = match &b.service {
        None => {
            let shared: Shared = Arc::default();
            let endpoint = axum::Router::new()
                .route("/xrpc/com.atproto.server.createSession", axum::routing::post(create_session))
                .route("/xrpc/com.atproto.repo.createRecord", axum::routing::post(create_record))
                .route("/xrpc/com.atproto.repo.getRecord", axum::routing::get(get_record))
                .with_state(shared.clone());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let service = format!("http://{}", listener.local_addr()?);
            tokio::spawn(async move { axum::serve(listener, endpoint).await });
            let what = format!(
                "in-process fake PDS endpoint at {service} (accepts any password, keeps records in memory): \
                 measures Tutti's publisher, not a network"
            );
            (Target::Fake(shared), service, "bench.test".to_owned(), "bench".to_owned(), what)
        }
        Some(service) => {
            let service = service.trim_end_matches('/').to_owned();
            let allowance =
                tutti_outbound::Allowance::of_url(&service).map_err(|e| anyhow::anyhow!("--service: {e}"))?;
            let client = global
                .outbound()
                .with([allowance])
                .client()
                .build()
                .context("cannot build an HTTP client")?;
            let (handle, password, did) =
                pds_account(&client, &service, b.handle.clone(), b.password.clone()).await?;
            let what =
                format!("PDS at {service}, account {handle} ({did}): Tutti's publisher and that server");
            (Target::Pds { did }, service, handle, password, what)
        }
    };

    let name = format!("Bench {}", uuid::Uuid::new_v4().simple());
    let ws = app.create_workspace(&Actor::Operator, &name, "Europe/Paris").await?;
    let channel = app
        .add_channel(
            &Actor::Operator,
            &keys,
            &ws.slug,
            &ChannelToAdd {
                network: "bluesky".into(),
                handle: handle.clone(),
                service: service.clone(),
                account_id: None,
                secret,
                ambassador: None,
            },
        )
        .await?;
    // The texts of this run, told apart from any other run's on the same account.
    let run_id = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let prefix = format!("Bench post {run_id} ");
    // The posts are due from 5 s from now, spread evenly over `spread_secs`.
    let start = tutti_store::now_ms() + 5_000;
    // Each post's key is chosen by its channel's network, as when a person writes it.
    let kind = app
        .networks()
        .of_channel(channel.network, &channel.service)
        .context("the bench channel's network is not registered")?;
    let mut tx = store.begin().await?;
    for i in 0..posts {
        let at = start + (i as i64 * spread_secs as i64 * 1000) / posts.max(1) as i64;
        let key = kind.new_idempotency_key();
        let text = format!("{prefix}{i}");
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
    let allowed =
        tutti_outbound::Allowance::of_url(&service).map_err(|e| anyhow::anyhow!("--service: {e}"))?;
    let mut children: Vec<Child> = (0..workers)
        .map(|_| {
            Command::new(&exe)
                .args(["--database-url", &url, "--data-dir"])
                .arg(dir.path())
                .arg("worker")
                .env("TUTTI_SECRET_KEYS", keys.to_text())
                // The endpoint is allowed by name, as an operator allows a PDS on the LAN.
                .env("TUTTI_ALLOW_PRIVATE_HOSTS", allowed.to_string())
                .env("TUTTI_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("cannot start a worker")
        })
        .collect::<anyhow::Result<_>>()?;
    let deadline = Instant::now() + Duration::from_secs(spread_secs + 120);
    let published = loop {
        let n = bulk::count_posts(&mut *store.conn().await?, ws.id, "published").await?;
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
    let rows = bulk::publish_times(&mut *store.conn().await?, ws.id).await?;
    let mut lags: Vec<i64> = rows.iter().map(|(s, p)| p - s).collect();
    lags.sort_unstable();
    let first = rows.iter().map(|r| r.0).min().unwrap_or(start);
    let last = rows.iter().map(|r| r.1).max().unwrap_or(start);
    let (duplicates, refused, records) = match &target {
        Target::Fake(shared) => {
            let e = shared.lock().unwrap_or_else(|p| p.into_inner());
            let duplicates = e.per_text.values().map(|n| u64::from(n.saturating_sub(1))).sum::<u64>();
            (duplicates, Some(e.refused_taken_keys), e.records.len())
        }
        Target::Pds { did } => {
            let client = global
                .outbound()
                .with([allowed.clone()])
                .client()
                .build()
                .context("cannot build an HTTP client")?;
            let per_text = texts_in_repo(&client, &service, did, &prefix).await?;
            let duplicates = per_text.values().map(|n| u64::from(n.saturating_sub(1))).sum::<u64>();
            (duplicates, None, per_text.values().map(|n| *n as usize).sum())
        }
    };
    store.close().await;
    let backend = if url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let rate = published as f64 / ((last - first).max(1) as f64 / 1000.0);
    // With a spread, the rate is the schedule's: posts cannot be published before they are due.
    let schedule_bound = spread_secs > 0;
    let endpoint_kind = match target {
        Target::Fake(_) => "in_process_fake_pds",
        Target::Pds { .. } => "pds",
    };
    if as_json {
        println!(
            "{}",
            json!({
                "backend": backend, "workers": workers, "posts": posts, "published": published,
                "endpoint": endpoint_kind, "endpoint_description": endpoint, "records_at_endpoint": records,
                "spread_s": spread_secs, "lag_p50_ms": percentile(&lags, 0.5), "lag_p99_ms": percentile(&lags, 0.99),
                "lag_max_ms": lags.last().copied().unwrap_or(0),
                "throughput_posts_per_s": (!schedule_bound).then(|| rate.round()),
                "schedule_bound_rate_posts_per_s": schedule_bound.then(|| rate.round()),
                "duplicates": duplicates, "taken_key_refusals": refused, "worker_peak_rss_bytes": rss,
            })
        );
    } else {
        println!("endpoint             {endpoint}");
        println!("backend              {backend}, {workers} worker process(es)");
        println!("posts                {published} of {posts} published, due over {spread_secs} s");
        println!(
            "publish lag          p50 {} ms, p99 {} ms, max {} ms (due → published)",
            percentile(&lags, 0.5),
            percentile(&lags, 0.99),
            lags.last().copied().unwrap_or(0)
        );
        if schedule_bound {
            println!(
                "rate (schedule-bound) {rate:.0} posts/s, first due → last published: the posts were due over \
                 {spread_secs} s, so this is the schedule's pace, not the publisher's throughput \
                 (--spread-secs 0 measures that)"
            );
        } else {
            println!("throughput           {rate:.0} posts/s (all due at once; first due → last published)");
        }
        println!("records at endpoint  {records}");
        println!("duplicates           {duplicates}");
        if let Some(refused) = refused {
            println!("taken-key refusals   {refused}");
        }
        println!(
            "worker peak RSS      {}",
            rss.iter().map(|b| format!("{:.1} MB", *b as f64 / 1_048_576.0)).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}
