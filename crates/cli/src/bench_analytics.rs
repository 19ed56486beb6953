//! `tutti bench analytics`: the dashboards' reads over a year of a large workspace's posts,
//! and the collection of posts' counts through the worker's path against a local server shaped
//! like the Bluesky AppView.
//!
//! 1. Setup, **not** through Tutti's paths: a fresh database gets a workspace with an SMM and
//!    50 channels (through the use cases), then in bulk ([`tutti_store::bulk`], multi-row
//!    inserts in large transactions): `N` published posts spread over a year, each with its
//!    latest counts, followers at publication, pillar and campaign; `M` snapshots of them (the
//!    schedule's six points first, then snapshots taken on request); a year of daily counts per
//!    channel; and inbox conversations (one item each) for the team's figures and the best
//!    times. The tables are analysed afterwards.
//! 2. The daily rollup of the posts (`post_days`) is built from them, as the worker builds it
//!    for posts it did not see published, and its time reported.
//! 3. The reads the web makes, through the same use cases, `R` times each, one after the
//!    other, in `--rounds` rounds over the same data (each round's p95 and their median): `App::analytics_summary` (90 days), `App::analytics_posts` sorted by interactions
//!    and by publication (90 days, 50 rows), `App::analytics_team` (90 days) and
//!    `App::best_times` of the busiest channel, and the composer's best slots of all 50 channels
//!    (`App::best_times_for_composer`). The process's peak memory is read from
//!    `/proc/self/status` (`VmHWM`), counted from the first read when the kernel allows it.
//! 4. The collection: a local HTTP server answers `com.atproto.server.createSession`,
//!    `app.bsky.actor.getProfile` and `app.bsky.feed.getPosts` (up to 25 `uris`, with
//!    `ratelimit-*` headers) as the AppView does; a second workspace's channel on it has `K`
//!    published posts. Their counts are taken once by `collect_now` (`tutti analytics
//!    collect`) and once by the scheduled posts job (`analytics.posts`, which claims due posts
//!    and stops at the channel's read budget); the wall time and the calls the server saw are
//!    reported against the AppView's documented limit.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::bail;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};
use tutti_app::analytics::{period, Filters};
use tutti_app::publishing::ChannelToAdd;
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App, AppConfig};
use tutti_domain::kpi::SNAPSHOT_AFTER_MS;
use tutti_listen::bench::{generate_posts, Rng};
use tutti_store::analytics as analytics_store;
use tutti_store::bulk;
use tutti_store::{Backend, Store};
use tutti_worker::connectors::Connectors;

const PASSWORD: &str = "correct horse battery";
/// The member who reads: the social media manager.
const ME: &str = "smm@bench.test";
const DAY_MS: i64 = 86_400_000;
/// Channels of the workspace.
const CHANNELS: usize = 50;
const PILLARS: [&str; 4] = ["Produits", "Coulisses", "Conseils", "Communauté"];
/// The AppView's documented limit: requests per five minutes and address.
const APPVIEW_LIMIT_PER_5_MIN: u64 = 3_000;
/// The DID of the account on the local AppView-shaped server.
const COLLECT_DID: &str = "did:plc:benchcollect";

/// What `tutti bench analytics` is asked.
#[derive(Debug, Clone)]
pub struct AnalyticsBench {
    /// Published posts.
    pub posts: usize,
    /// Snapshots of them.
    pub snapshots: usize,
    /// Inbox conversations (one item each).
    pub conversations: usize,
    /// Requests per read and round.
    pub requests: usize,
    /// Rounds of requests over the same data (each round's p95 is reported, and their median).
    pub rounds: usize,
    /// Posts whose counts are collected from the local server.
    pub collect: usize,
    /// One JSON object.
    pub json: bool,
}

/// A read's timings, ms, per round, each sorted.
struct Timed {
    name: &'static str,
    ms: Vec<Vec<f64>>,
    /// What the read returned (rows, posts counted), to show it read something.
    rows: usize,
}

/// Runs the benchmark; `database_url` is SQLite in a fresh directory unless a PostgreSQL URL
/// is given (its database must be dedicated to the benchmark: one with a workspace is refused).
pub async fn run(database_url: Option<String>, b: AnalyticsBench) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = database_url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("tutti.db").display()));
    let store = Store::open(&url).await?;
    if !bulk::has_no_workspace(&mut *store.conn().await?).await? {
        bail!("the benchmark fills the database: give it an empty one of its own, not {}", store.location());
    }
    let backend = if store.backend() == Backend::Postgres { "postgres" } else { "sqlite" };
    let app = App::new(
        store.clone(),
        AppConfig { networks: tutti_networks::registry().clone(), ..AppConfig::default() },
    );
    let say = |s: String| {
        if !b.json {
            eprintln!("{s}");
        }
    };

    // The workspace, its SMM and its channels.
    let op = Actor::Operator;
    let ws = app.create_workspace(&op, "Bench Analytics", "Europe/Paris").await?;
    let smm = app.add_user(&op, ME, "SMM Bench", PASSWORD, false).await?.id;
    app.add_member(&op, &ws.slug, ME, "smm").await?;
    let keys = Keyring::generate();
    let mut channels = Vec::new();
    for k in 0..CHANNELS {
        let handle = format!("channel{k:02}.bench.test");
        let c = app
            .add_channel(
                &op,
                &keys,
                &ws.slug,
                &ChannelToAdd {
                    network: "bluesky".into(),
                    handle: handle.clone(),
                    service: "http://127.0.0.1:9".into(),
                    account_id: Some(format!("did:plc:benchchannel{k:02}")),
                    secret: "bench".into(),
                    ambassador: None,
                },
            )
            .await?;
        channels.push((c.id, handle));
    }

    // The bulk load.
    say(format!(
        "loading {} posts, {} snapshots, {} days × {CHANNELS} channels, {} conversations into {backend}…",
        b.posts, b.snapshots, 366, b.conversations
    ));
    let now = tutti_store::now_ms();
    let mut loads = Vec::new();
    let ids: Vec<i64> = channels.iter().map(|c| c.0).collect();
    let first_post = bulk::next_post_id(&mut *store.conn().await?).await?;
    let started = Instant::now();
    let texts: Vec<String> =
        generate_posts(2_000, 100, 11).into_iter().map(|p| p.text.chars().take(200).collect()).collect();
    let n = bulk::insert_measured_posts(
        &store,
        (0..b.posts).map(|i| drawn_post(i, b.posts, first_post, ws.id, &ids, smm, &texts, now)),
    )
    .await?;
    loads.push(("posts", n, started.elapsed().as_secs_f64()));
    let started = Instant::now();
    let n =
        bulk::insert_snapshots(&store, snapshots(b.posts, b.snapshots, first_post, ws.id, &ids, smm, now))
            .await?;
    loads.push(("post_snapshots", n, started.elapsed().as_secs_f64()));
    let started = Instant::now();
    let today = analytics_store::day_of(now);
    let n = bulk::insert_channel_counts(
        &store,
        ids.iter().enumerate().flat_map(|(k, &c)| {
            (0..=365).map(move |d| {
                let base = 1_000 + 500 * k as i64;
                (c, today - 365 + d, base + d * (3 + k as i64 % 7), 200 + k as i64, 1_000 + d * 3)
            })
        }),
    )
    .await?;
    loads.push(("channel_counts", n, started.elapsed().as_secs_f64()));
    let started = Instant::now();
    let n = load_conversations(&store, ws.id, &ids, smm, b.conversations, now).await?;
    loads.push(("conversations + inbox_items", n, started.elapsed().as_secs_f64()));
    let started = Instant::now();
    let rollup_rows = analytics_store::rollup::rebuild(&mut *store.conn().await?, ws.id).await?;
    let rollup_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    bulk::finish(&store).await?;
    bulk::finish_analytics(&store).await?;
    let analyse_secs = started.elapsed().as_secs_f64();
    let load_secs: f64 = loads.iter().map(|l| l.2).sum();
    for (table, rows, secs) in &loads {
        say(format!("  {table}: {rows} rows in {secs:.1} s ({:.0} rows/s)", *rows as f64 / secs.max(0.001)));
    }
    say(format!(
        "loaded in {load_secs:.1} s; daily rollup: {rollup_rows} rows built in {rollup_secs:.1} s; analysed in {analyse_secs:.1} s"
    ));

    // The reads, as the web makes them.
    let hwm_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let rss_before = memory("VmRSS:");
    let me = Actor::User(app.user_by_email(ME).await?);
    let p90 = period("90d", "", "", &ws.timezone, now)?;
    let all = Filters::default();
    let busiest = channels[0].1.clone();
    let mut timed = Vec::new();
    let mut time = |name: &'static str| {
        say(format!("{} requests: {name}", b.requests));
        timed.push(Timed { name, ms: vec![Vec::with_capacity(b.requests); b.rounds.max(1)], rows: 0 });
        timed.len() - 1
    };
    let (summary, by_engagements, by_published, team, best, composer) = (
        time("summary_90d"),
        time("posts_by_engagements_90d"),
        time("posts_by_published_90d"),
        time("team_90d"),
        time("best_times"),
        time("composer_best_times_50_channels"),
    );
    for round in 0..b.rounds.max(1) {
        if b.rounds > 1 {
            say(format!("round {} of {}", round + 1, b.rounds));
        }
        for _ in 0..b.requests {
            let t = Instant::now();
            let s = app.analytics_summary(&me, &ws.slug, &p90, &all).await?;
            timed[summary].ms[round].push(ms(t));
            timed[summary].rows = s.posts as usize;
            for (slot, sort) in [(by_engagements, "engagements"), (by_published, "published")] {
                let t = Instant::now();
                let rows = app.analytics_posts(&me, &ws.slug, &p90, &all, sort, false, 50, 0).await?;
                timed[slot].ms[round].push(ms(t));
                timed[slot].rows = rows.len();
            }
            let t = Instant::now();
            let team_figures = app.analytics_team(&me, &ws.slug, &p90).await?;
            timed[team].ms[round].push(ms(t));
            timed[team].rows = team_figures.all.asked as usize;
            let t = Instant::now();
            let times = app.best_times(&me, &ws.slug, &busiest, 3).await?;
            timed[best].ms[round].push(ms(t));
            timed[best].rows = times.posts as usize;
            let t = Instant::now();
            let hints = app.best_times_for_composer(&me, &ws.slug).await?;
            timed[composer].ms[round].push(ms(t));
            timed[composer].rows = hints.iter().map(|h| h.posts as usize).sum();
        }
    }
    for t in &mut timed {
        for round in &mut t.ms {
            round.sort_by(f64::total_cmp);
        }
    }
    let rss_peak = memory("VmHWM:");

    // The collection against the local AppView-shaped server.
    say(format!("collecting the counts of {} posts from a local AppView-shaped server…", b.collect));
    let collection = collect(&app, &store, &keys, b.collect).await?;
    store.close().await;

    let read = |t: &Timed| {
        let p95s: Vec<f64> = t.ms.iter().map(|r| round2(percentile(r, 0.95))).collect();
        json!({"p50_ms": round2(percentile(&t.all(), 0.5)), "p95_ms": round2(percentile(&t.all(), 0.95)),
            "max_ms": round2(t.all().last().copied().unwrap_or(0.0)), "rows": t.rows,
            "p95_ms_per_round": p95s, "median_of_rounds_p95_ms": round2(t.median_p95())})
    };
    let report = json!({
        "backend": backend, "posts": b.posts, "snapshots": b.snapshots, "channels": CHANNELS,
        "channel_days": CHANNELS * 366, "conversations": b.conversations,
        "load_path": "bulk SQL load (tutti_store::bulk), not through the use cases",
        "load": loads.iter().map(|(t, rows, secs)| (t.to_string(), json!({"rows": rows, "s": round2(*secs)}))).collect::<serde_json::Map<_, _>>(),
        "load_s": round2(load_secs), "analyse_s": round2(analyse_secs),
        "rollup": {"table": "post_days", "rows": rollup_rows, "build_s": round2(rollup_secs)},
        "requests": b.requests, "rounds": b.rounds.max(1),
        "reads": timed.iter().map(|t| (t.name.to_owned(), read(t))).collect::<serde_json::Map<_, _>>(),
        "rss_before_reads_bytes": rss_before, "rss_peak_bytes": rss_peak, "peak_counted_from_reads": hwm_reset,
        "collection": collection,
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "load_average": std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
    });
    if b.json {
        println!("{report}");
        return Ok(());
    }
    println!(
        "backend              {backend} ({} CPUs, load average {} at the end)",
        report["cpus"], report["load_average"]
    );
    println!(
        "loaded               {} posts, {} snapshots, {} channel days, {} conversations in {load_secs:.1} s; analysed in {analyse_secs:.1} s",
        b.posts,
        b.snapshots,
        CHANNELS * 366,
        b.conversations
    );
    for (table, rows, secs) in &loads {
        println!("  {table:<28} {rows} rows in {secs:.1} s");
    }
    println!("daily rollup         post_days: {rollup_rows} rows built in {rollup_secs:.1} s");
    println!(
        "reads                {} rounds of {} sequential requests each, through the use cases the web calls",
        b.rounds.max(1),
        b.requests
    );
    for t in &timed {
        let all = t.all();
        let p95s: Vec<String> = t.ms.iter().map(|r| format!("{:.1}", percentile(r, 0.95))).collect();
        println!(
            "  {:<26} p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} rows); p95 per round {} ms, median {:.1} ms",
            t.name,
            percentile(&all, 0.5),
            percentile(&all, 0.95),
            all.last().copied().unwrap_or(0.0),
            t.rows,
            p95s.join(" / "),
            t.median_p95()
        );
    }
    println!(
        "memory (RSS)         {:.1} MB before the reads, peak {:.1} MB{}",
        mb(rss_before),
        mb(rss_peak),
        if hwm_reset { " during the reads" } else { " (since the process started)" }
    );
    println!("collection           {}", serde_json::to_string_pretty(&report["collection"])?);
    Ok(())
}

/// The `i`-th of `n` posts: published over the last year, on a channel (some busier than
/// others), with counts drawn from a long tail.
#[allow(clippy::too_many_arguments)]
fn drawn_post(
    i: usize,
    n: usize,
    first_id: i64,
    ws: i64,
    channels: &[i64],
    author: i64,
    texts: &[String],
    now: i64,
) -> bulk::MeasuredPost {
    let mut rng = Rng::new(i as u64 ^ 0x5eed);
    let year = 365 * DAY_MS;
    let published_at = now - year + (i as i64 * year) / n.max(1) as i64 + rng.below(600_000) as i64;
    let published_at = published_at.min(now - 60_000);
    // A quarter of the posts on the first channel, the rest spread.
    let channel = if rng.chance(25) { channels[0] } else { channels[rng.below(channels.len())] };
    let likes = match rng.below(100) {
        0..=59 => rng.below(10),
        60..=94 => 10 + rng.below(90),
        _ => 100 + rng.below(5_000),
    } as i64;
    let counts = [likes, likes / 5, likes / 8 + rng.below(3) as i64, likes / 20];
    let age = now - published_at;
    let step = SNAPSHOT_AFTER_MS.iter().take_while(|after| **after <= age).count();
    let next = SNAPSHOT_AFTER_MS.get(step).map(|after| published_at + after);
    let day = analytics_store::day_of(published_at);
    let k = channels.iter().position(|c| *c == channel).unwrap_or(0) as i64;
    bulk::MeasuredPost {
        id: first_id + i as i64,
        workspace_id: ws,
        channel_id: channel,
        author_user_id: Some(author),
        text: texts[rng.below(texts.len())].clone(),
        remote_id: format!("at://did:plc:benchchannel{k:02}/app.bsky.feed.post/b{i:010}"),
        published_at,
        counts,
        counts_at: Some(published_at + SNAPSHOT_AFTER_MS[step.saturating_sub(1)]),
        snapshot_step: step as i64,
        next_snapshot_at: next,
        followers_at_publish: Some(1_000 + 500 * k + (day - analytics_store::day_of(now - year)) * 4),
        pillar: rng.chance(80).then(|| PILLARS[rng.below(PILLARS.len())].to_owned()),
        campaign: rng.chance(10).then(|| format!("campagne-{}", rng.below(12))),
    }
}

/// `m` snapshots over `n` posts: each post's schedule points in order, then one a day taken on
/// request past the 30 days, the counts growing to the post's latest.
#[allow(clippy::too_many_arguments)]
fn snapshots(
    n: usize,
    m: usize,
    first_id: i64,
    ws: i64,
    channels: &[i64],
    author: i64,
    now: i64,
) -> impl Iterator<Item = (i64, i64, i64, [i64; 4])> + '_ {
    let texts = [String::new()];
    (0..n).flat_map(move |i| {
        let per = m / n.max(1) + usize::from(i < m % n.max(1));
        let p = drawn_post(i, n, first_id, ws, channels, author, &texts, now);
        (0..per).map(move |j| {
            let last = SNAPSHOT_AFTER_MS.len() - 1;
            let (after, step) = if j <= last {
                (SNAPSHOT_AFTER_MS[j], j as i64)
            } else {
                (SNAPSHOT_AFTER_MS[last] + (j - last) as i64 * DAY_MS, -1)
            };
            let share = |v: i64| v * (j as i64 + 1) / per as i64;
            (p.id, p.published_at + after, step, p.counts.map(share))
        })
    })
}

/// `n` conversations that asked for an answer, one item each, most answered and many closed,
/// over the last year; returns the rows written.
async fn load_conversations(
    store: &Store,
    ws: i64,
    channels: &[i64],
    member: i64,
    n: usize,
    now: i64,
) -> anyhow::Result<usize> {
    if n == 0 {
        return Ok(0);
    }
    let ids = bulk::next_ids(store).await?;
    let people = (n / 2).max(1);
    let year = 365 * DAY_MS;
    let author = |p: usize| format!("did:plc:benchperson{p:09}");
    let mut written = bulk::insert_people(
        store,
        (0..people).map(|p| bulk::Person {
            id: ids.people + p as i64,
            workspace_id: ws,
            display_name: format!("Person {p}"),
            seen_at: now - year,
        }),
    )
    .await?;
    written += bulk::insert_identities(
        store,
        (0..people).map(|p| bulk::Identity {
            id: ids.identities + p as i64,
            workspace_id: ws,
            person_id: ids.people + p as i64,
            network: "bluesky".into(),
            author_id: author(p),
            handle: format!("person{p}.bsky.social"),
        }),
    )
    .await?;
    let drawn = move |j: usize| {
        let mut rng = Rng::new(j as u64 ^ 0xc0ffee);
        let at = now - year + (j as i64 * year) / n as i64;
        let channel = if rng.chance(25) { channels[0] } else { channels[rng.below(channels.len())] };
        let kind = *rng.pick(&["reply", "reply", "mention", "quote"]);
        let answered = rng.chance(85).then(|| at + 60_000 + rng.below(6 * 3_600_000) as i64);
        let closed = answered.filter(|_| rng.chance(70)).map(|a| a + rng.below(DAY_MS as usize) as i64);
        (at, channel, kind, answered, closed, j % people)
    };
    written += bulk::insert_conversations(
        store,
        (0..n).map(|j| {
            let (at, channel, kind, answered, closed, person) = drawn(j);
            bulk::Conversation {
                id: ids.conversations + j as i64,
                workspace_id: ws,
                channel_id: channel,
                root_ref: format!("at://did:plc:brand/app.bsky.feed.post/c{j:09}"),
                author_id: author(person),
                person_id: ids.people + person as i64,
                kind: kind.into(),
                excerpt: "Bonjour, une question sur ma commande".into(),
                sentiment: "neu".into(),
                lang: "fr".into(),
                toxicity: 0.0,
                status: if closed.is_some() {
                    "closed"
                } else if answered.is_some() {
                    "pending"
                } else {
                    "open"
                }
                .into(),
                priority: 0,
                assignee_user_id: answered.map(|_| member),
                tags: String::new(),
                unanswered: answered.is_none(),
                items: 1,
                first_item_at: at,
                last_item_at: at,
                first_response_at: answered,
                resolved_at: closed,
                touched_at: closed.or(answered).unwrap_or(at),
            }
        }),
    )
    .await?;
    written += bulk::insert_items(
        store,
        (0..n).map(|j| {
            let (at, channel, kind, _, _, person) = drawn(j);
            let who = author(person);
            bulk::Item {
                id: ids.items + j as i64,
                workspace_id: ws,
                channel_id: channel,
                conversation_id: ids.conversations + j as i64,
                remote_id: format!("at://{who}/app.bsky.notification/c{j:09}"),
                kind: kind.into(),
                person_id: ids.people + person as i64,
                author_id: who.clone(),
                author_handle: format!("person{person}.bsky.social"),
                author_name: format!("Person {person}"),
                text: "Bonjour, une question sur ma commande".into(),
                lang: "fr".into(),
                sentiment: "neu".into(),
                toxicity: 0.0,
                post: Some((format!("at://{who}/app.bsky.feed.post/c{j:09}"), format!("bafyreic{j:09}"))),
                parent_ref: (kind == "reply")
                    .then(|| format!("at://did:plc:brand/app.bsky.feed.post/c{j:09}")),
                subject_ref: None,
                created_at: at,
                received_at: at + 500,
            }
        }),
    )
    .await?;
    Ok(written)
}

impl Timed {
    /// Every request's time, sorted.
    fn all(&self) -> Vec<f64> {
        let mut all: Vec<f64> = self.ms.concat();
        all.sort_by(f64::total_cmp);
        all
    }

    /// The median of the rounds' p95.
    fn median_p95(&self) -> f64 {
        let mut p95s: Vec<f64> = self.ms.iter().map(|r| percentile(r, 0.95)).collect();
        p95s.sort_by(f64::total_cmp);
        percentile(&p95s, 0.5)
    }
}

/// What the local AppView-shaped server saw.
#[derive(Debug, Default)]
struct Seen {
    sessions: AtomicUsize,
    get_posts: AtomicUsize,
    uris: AtomicUsize,
    profiles: AtomicUsize,
}

/// The counts the server gives a post: drawn from its URI, so that they can be checked.
fn counts_of(uri: &str) -> [u64; 4] {
    let h =
        uri.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    [h % 500, (h >> 9) % 50, (h >> 17) % 40, (h >> 25) % 10]
}

fn limit_headers(seen: &Seen) -> HeaderMap {
    let mut h = HeaderMap::new();
    let used = seen.get_posts.load(Ordering::Relaxed) + seen.profiles.load(Ordering::Relaxed);
    let remaining = APPVIEW_LIMIT_PER_5_MIN.saturating_sub(used as u64);
    let reset = chrono::Utc::now().timestamp() + 300;
    for (k, v) in [
        ("ratelimit-limit", APPVIEW_LIMIT_PER_5_MIN.to_string()),
        ("ratelimit-remaining", remaining.to_string()),
        ("ratelimit-reset", reset.to_string()),
        ("ratelimit-policy", format!("{APPVIEW_LIMIT_PER_5_MIN};w=300")),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
    h
}

async fn create_session(State(seen): State<Arc<Seen>>) -> Json<Value> {
    seen.sessions.fetch_add(1, Ordering::Relaxed);
    Json(json!({"did": COLLECT_DID, "handle": "collect.bench.test", "accessJwt": "a", "refreshJwt": "r"}))
}

async fn get_profile(State(seen): State<Arc<Seen>>) -> impl IntoResponse {
    seen.profiles.fetch_add(1, Ordering::Relaxed);
    let body = json!({"did": COLLECT_DID, "handle": "collect.bench.test", "followersCount": 1234,
        "followsCount": 56, "postsCount": 7890});
    (limit_headers(&seen), Json(body))
}

async fn get_posts(
    State(seen): State<Arc<Seen>>,
    Query(q): Query<Vec<(String, String)>>,
) -> impl IntoResponse {
    seen.get_posts.fetch_add(1, Ordering::Relaxed);
    let posts: Vec<Value> = q
        .iter()
        .filter(|(k, _)| k == "uris")
        .take(25)
        .map(|(_, uri)| {
            let [likes, reposts, replies, quotes] = counts_of(uri);
            json!({"uri": uri, "cid": "bafyreibench", "likeCount": likes, "repostCount": reposts,
                "replyCount": replies, "quoteCount": quotes, "indexedAt": "2026-01-01T00:00:00.000Z"})
        })
        .collect();
    seen.uris.fetch_add(posts.len(), Ordering::Relaxed);
    (limit_headers(&seen), Json(json!({ "posts": posts })))
}

/// Collects the counts of `k` posts of a channel on a local AppView-shaped server, by
/// `collect_now` and then by the posts job; the figures as JSON.
async fn collect(app: &App, store: &Store, keys: &Keyring, k: usize) -> anyhow::Result<Value> {
    let seen = Arc::new(Seen::default());
    let router = axum::Router::new()
        .route("/xrpc/com.atproto.server.createSession", axum::routing::post(create_session))
        .route("/xrpc/app.bsky.actor.getProfile", axum::routing::get(get_profile))
        .route("/xrpc/app.bsky.feed.getPosts", axum::routing::get(get_posts))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let op = Actor::Operator;
    let ws = app.create_workspace(&op, "Bench Collection", "UTC").await?;
    let channel = app
        .add_channel(
            &op,
            keys,
            &ws.slug,
            &ChannelToAdd {
                network: "bluesky".into(),
                handle: "collect.bench.test".into(),
                service: url.clone(),
                account_id: Some(COLLECT_DID.into()),
                secret: "bench".into(),
                ambassador: None,
            },
        )
        .await?;
    let now = tutti_store::now_ms();
    let first = bulk::next_post_id(&mut *store.conn().await?).await?;
    let uri = |i: usize| format!("at://{COLLECT_DID}/app.bsky.feed.post/c{i:010}");
    bulk::insert_measured_posts(
        store,
        (0..k).map(|i| bulk::MeasuredPost {
            id: first + i as i64,
            workspace_id: ws.id,
            channel_id: channel.id,
            author_user_id: None,
            text: format!("Post {i}"),
            remote_id: uri(i),
            published_at: now - 2 * DAY_MS + i as i64,
            counts: [0; 4],
            counts_at: None,
            snapshot_step: 3,
            // Due for the 24 h point.
            next_snapshot_at: Some(now - DAY_MS),
            followers_at_publish: Some(1_000),
            pillar: None,
            campaign: None,
        }),
    )
    .await?;
    bulk::finish_analytics(store).await?;
    let connectors =
        Connectors::new(keys.clone(), tutti_outbound::Outbound::strict().with_urls([url.as_str()]));
    let budget = tutti_networks::registry()
        .of_channel(channel.network, &channel.service)
        .map(|n| n.read_budget())
        .unwrap_or_default();

    // `tutti analytics collect`.
    let calls_before = seen.get_posts.load(Ordering::Relaxed);
    let t = Instant::now();
    let done = tutti_worker::analytics::collect_now(store, &connectors, ws.id)
        .await
        .map_err(|e| anyhow::anyhow!("collect_now: {e}"))?;
    let now_secs = t.elapsed().as_secs_f64();
    let now_calls = seen.get_posts.load(Ordering::Relaxed) - calls_before;
    let (matching, _) = stored_matching(store, first, k, &uri).await?;

    // The scheduled posts job (one run: it stops at the channel's budget or when none is due).
    let calls_before = seen.get_posts.load(Ordering::Relaxed);
    let payload = json!({ "channel": channel.id }).to_string();
    let t = Instant::now();
    tutti_worker::analytics::collect_posts(store, &connectors, &payload)
        .await
        .map_err(|e| anyhow::anyhow!("the posts job: {e}"))?;
    let job_secs = t.elapsed().as_secs_f64();
    let job_calls = seen.get_posts.load(Ordering::Relaxed) - calls_before;
    let (matching_after_job, on_schedule) = stored_matching(store, first, k, &uri).await?;
    server.abort();

    let percent = |calls: usize| round2(100.0 * calls as f64 / APPVIEW_LIMIT_PER_5_MIN as f64);
    let pace = |calls: usize, secs: f64| (calls as f64 * 300.0 / secs.max(1e-6)).round();
    Ok(json!({
        "posts": k,
        "endpoint": "in-process HTTP server shaped like the AppView (createSession, getProfile, getPosts with ratelimit-* headers), over loopback: it measures Tutti's collection, not the network",
        "collect_now": {"wall_s": round2(now_secs), "calls_get_posts": now_calls, "calls_counted_by_tutti": done.calls,
            "posts_measured": done.posts, "channels_counted": done.channels, "deferred": done.deferred,
            "posts_per_s": (k as f64 / now_secs.max(1e-6)).round(),
            "stored_counts_match_server": matching,
            "percent_of_appview_limit_per_5_min": percent(now_calls),
            "calls_per_5_min_at_this_pace": pace(now_calls, now_secs)},
        "posts_job": {"wall_s": round2(job_secs), "calls_get_posts": job_calls,
            "posts_measured_on_schedule": on_schedule, "posts_per_s": (on_schedule as f64 / job_secs.max(1e-6)).round(),
            "stored_counts_match_server": matching_after_job,
            "percent_of_appview_limit_per_5_min": percent(job_calls),
            "calls_per_5_min_at_this_pace": pace(job_calls, job_secs)},
        "sessions_created": seen.sessions.load(Ordering::Relaxed),
        "uris_asked": seen.uris.load(Ordering::Relaxed),
        "appview_limit": {"requests_per_5_min_per_address": APPVIEW_LIMIT_PER_5_MIN},
        "read_budget": {"posts_per_call": budget.posts_per_call, "calls_per_5_min": budget.calls_per_5_min,
            "posts_per_5_min": budget.posts_per_call as u64 * u64::from(budget.calls_per_5_min)},
    }))
}

/// Of the `k` posts from `first`: how many have as latest snapshot the counts the server
/// gives, and how many have a snapshot taken on the schedule (not on request).
async fn stored_matching(
    store: &Store,
    first: i64,
    k: usize,
    uri: &dyn Fn(usize) -> String,
) -> anyhow::Result<(usize, usize)> {
    let mut conn = store.conn().await?;
    let (mut matching, mut scheduled) = (0, 0);
    for i in 0..k {
        let want = counts_of(&uri(i));
        let snaps = analytics_store::snapshots(&mut conn, first + i as i64).await?;
        if let Some(s) = snaps.last() {
            let got = [s.likes, s.reposts, s.replies, s.quotes].map(|v| v as u64);
            matching += usize::from(got == want);
        }
        scheduled += usize::from(snaps.iter().any(|s| s.step >= 0));
    }
    Ok((matching, scheduled))
}

/// A value of this process's `/proc/self/status` (`VmRSS:`, `VmHWM:`), bytes; 0 elsewhere.
fn memory(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key))?.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn mb(b: u64) -> f64 {
    b as f64 / 1_048_576.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
