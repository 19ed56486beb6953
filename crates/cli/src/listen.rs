//! Listening commands: saved queries, testing a query, enrichment of texts, alert rules and
//! crisis mode, the foreground listener and replays, and the listening benchmarks.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use serde_json::json;
use tokio::sync::watch;
use tutti_listen::{Network, Post, Query};
use tutti_worker::listener::Listener;
use tutti_worker::sources::{run_sources, SourceConfig};

use crate::context::{app, open, Global};

#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// Save a listening query in a workspace.
    Add {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The query's name.
        #[arg(long)]
        name: String,
        /// The query, in Tutti's query language (see crates/listen/GRAMMAR.md).
        #[arg(long)]
        query: String,
        /// brand or competitor.
        #[arg(long, default_value = "brand")]
        kind: String,
    },
    /// List a workspace's queries.
    List {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read posts on standard input, one per line, and print those the query matches. A line
    /// is either plain text or a JSON object {"text", "author", "lang", "network", "links"}.
    Test {
        /// The query to try.
        #[arg(long)]
        query: String,
    },
}

pub async fn query(global: &Global, command: QueryCommand) -> anyhow::Result<()> {
    match command {
        QueryCommand::Add { workspace, name, query, kind } => {
            let (app, actor) = app(global).await?;
            let saved = app.add_query(&actor, &workspace, &name, &query, &kind).await?;
            println!("Saved the query {} (id {}) in {workspace}.", saved.name, saved.id);
        }
        QueryCommand::List { workspace, json } => {
            let (app, actor) = app(global).await?;
            let list = app.list_queries(&actor, &workspace).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for q in list {
                    println!("{}\t{}\t{}\t{}", q.id, q.name, q.kind, q.query);
                }
            }
        }
        QueryCommand::Test { query } => {
            let parsed = Query::parse(&query).map_err(|e| anyhow::anyhow!("query: {e}"))?;
            let stdin = std::io::stdin();
            let mut out = std::io::stdout().lock();
            for (n, line) in stdin.lock().lines().enumerate() {
                let line = line.with_context(|| format!("cannot read line {}", n + 1))?;
                let post = post_of_line(&line).with_context(|| format!("line {}", n + 1))?;
                if parsed.matches(&post) {
                    writeln!(out, "{line}")?;
                }
            }
        }
    }
    Ok(())
}

fn post_of_line(line: &str) -> anyhow::Result<Post> {
    let trimmed = line.trim_start();
    if !trimmed.starts_with('{') {
        return Ok(Post::new(line));
    }
    let v: serde_json::Value = serde_json::from_str(trimmed).context("not valid JSON")?;
    let text = v.get("text").and_then(|t| t.as_str()).context("the JSON object has no \"text\"")?;
    let mut post = Post::new(text);
    if let Some(a) = v.get("author").and_then(|a| a.as_str()) {
        post.author = a.to_owned();
    }
    post.lang = v.get("lang").and_then(|l| l.as_str()).map(str::to_owned);
    if let Some(n) = v.get("network").and_then(|n| n.as_str()) {
        post.network = n.parse::<Network>().map_err(|e| anyhow::anyhow!("network: {e}"))?;
    }
    if let Some(links) = v.get("links").and_then(|l| l.as_array()) {
        post.links = links.iter().filter_map(|l| l.as_str().map(str::to_owned)).collect();
    }
    Ok(post)
}

/// `tutti nlp`: one text per line in; one JSON object per line out with `--json`, else a
/// readable line (language, sentiment, score, toxicity).
pub fn nlp(as_json: bool, entities: bool) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line.context("cannot read standard input")?;
        let e = tutti_nlp::analyse(&line);
        if as_json {
            writeln!(out, "{}", tutti_nlp::to_json_line(&e, entities))?;
        } else {
            let label = tutti_app::enrichment::sentiment(e.sentiment.label);
            let lang = e.lang.map_or("?", |l| l.code());
            let flag = match (e.toxicity.flagged, e.toxicity.profane) {
                (true, _) => "\ttoxic",
                (false, true) => "\tprofane",
                (false, false) => "",
            };
            writeln!(
                out,
                "{lang}\t{label}\t{:+.2}\ttoxicity {:.2}{flag}",
                e.sentiment.score, e.toxicity.score
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

/// What `tutti nlp` does besides enriching standard input.
#[derive(Debug, Clone, Subcommand)]
pub enum NlpCommand {
    /// Run every labelled set of a folder: `sentiment-*.tsv` (pos/neg), `lang-*.tsv` (a
    /// language code or `none`), `profane-*.tsv` (profane/clean), `abuse-*.tsv` (abuse/clean),
    /// one `label<TAB>text` a line; prints accuracy, per-class precision and recall, texts/s.
    Eval {
        /// The folder of `.tsv` files.
        dir: PathBuf,
    },
}

/// `tutti nlp eval DIR`. Language sets are also scored on their texts under 40 characters.
pub fn nlp_eval(dir: &std::path::Path) -> anyhow::Result<()> {
    use tutti_nlp::eval::{evaluate, parse_tsv, Task};
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut ran = 0;
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some(task) = Task::of_file_name(&name) else { continue };
        let data =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let rows = parse_tsv(&data).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        write!(out, "{}", evaluate(&name, task, &rows).to_text())?;
        if task == Task::Lang {
            let short: Vec<(String, String)> =
                rows.into_iter().filter(|(_, t)| t.chars().count() < 40).collect();
            if !short.is_empty() {
                write!(
                    out,
                    "{}",
                    evaluate(&format!("{name} (under 40 characters)"), task, &short).to_text()
                )?;
            }
        }
        ran += 1;
    }
    if ran == 0 {
        anyhow::bail!(
            "no labelled set (sentiment-*.tsv, lang-*.tsv, profane-*.tsv, abuse-*.tsv) in {}",
            dir.display()
        );
    }
    out.flush()?;
    Ok(())
}

/// The listening sources a process follows (`tutti listen`, `tutti serve`, `tutti worker`).
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// A Jetstream endpoint (wss://…/subscribe).
    #[arg(long, env = "TUTTI_JETSTREAM")]
    pub jetstream: Option<String>,
    /// Ask Jetstream for zstd-compressed events (about half the bandwidth).
    #[arg(long, env = "TUTTI_JETSTREAM_ZSTD")]
    pub jetstream_zstd: bool,
    /// An AT Protocol service (a PDS or a relay, https://host) whose subscribeRepos firehose
    /// to follow (repeat for several).
    #[arg(long = "firehose", env = "TUTTI_FIREHOSES", value_delimiter = ',')]
    pub firehoses: Vec<String>,
    /// A Mastodon timeline: https://instance (federated), https://instance#local, or
    /// https://instance#tag for a hashtag (repeat for several).
    #[arg(long = "mastodon", env = "TUTTI_MASTODON", value_delimiter = ',')]
    pub mastodon: Vec<String>,
    /// An access token for Mastodon instances that need one.
    #[arg(long, env = "TUTTI_MASTODON_TOKEN", hide_env_values = true)]
    pub mastodon_token: Option<String>,
    /// An RSS or Atom feed to poll (repeat for several).
    #[arg(long = "feed", env = "TUTTI_FEEDS", value_delimiter = ',')]
    pub feeds: Vec<String>,
    /// Seconds between two polls of the feeds.
    #[arg(long, env = "TUTTI_FEED_EVERY", default_value_t = 300)]
    pub feed_every: u64,
    /// The PLC directory, to find the handles of Bluesky authors.
    #[arg(long, env = "TUTTI_PLC_URL", default_value = "https://plc.directory")]
    pub plc_url: String,
    /// A service answering com.atproto.identity.resolveHandle, to verify those handles.
    #[arg(long, env = "TUTTI_HANDLE_RESOLVER", default_value = "https://bsky.social")]
    pub handle_resolver: String,
    /// Leave Bluesky authors as DIDs (no lookups).
    #[arg(long, env = "TUTTI_NO_HANDLES")]
    pub no_handles: bool,
}

impl SourceArgs {
    /// The worker's view of these options, under the outbound policy (the addresses given
    /// here are allowed on top of it: the operator typed them).
    pub fn config(&self, outbound: &tutti_outbound::Outbound) -> SourceConfig {
        SourceConfig {
            jetstream: self.jetstream.clone(),
            jetstream_zstd: self.jetstream_zstd,
            firehoses: self.firehoses.clone(),
            mastodon: self.mastodon.clone(),
            mastodon_token: self.mastodon_token.clone(),
            feeds: self.feeds.clone(),
            feed_every: Duration::from_secs(self.feed_every.max(10)),
            identity: (!self.no_handles && (self.jetstream.is_some() || !self.firehoses.is_empty())).then(
                || {
                    tutti_worker::identity::IdentityResolver::new(
                        &self.plc_url,
                        &self.handle_resolver,
                        outbound,
                    )
                },
            ),
            outbound: outbound.clone(),
        }
    }
}

/// `tutti listen`: follows the given sources in the foreground until interrupted, or replays
/// a recorded Jetstream file and prints what it did.
pub async fn listen(global: &Global, sources: SourceArgs, replay: Option<PathBuf>) -> anyhow::Result<()> {
    let store = open(global).await?;
    let listener = Arc::new(Listener::load(store.clone()).await?);
    println!("Listening with {} queries.", listener.len());
    if let Some(path) = replay {
        let file = std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        let stats = listener.replay(std::io::BufReader::new(file), &path.display().to_string()).await?;
        println!(
            "Replayed {} events ({} posts, {} malformed) in {:.2} s: {:.0} events/s, {} new mentions.",
            stats.events,
            stats.posts,
            stats.malformed,
            stats.seconds,
            stats.events as f64 / stats.seconds.max(1e-9),
            stats.mentions
        );
        drop(listener);
        store.close().await;
        return Ok(());
    }
    let config = sources.config(&global.outbound());
    if config.is_empty() {
        anyhow::bail!("no source to listen to: give --jetstream, --firehose, --mastodon, --feed or --replay");
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let task =
        tokio::spawn(run_sources(listener.clone(), config, tutti_worker::default_worker_name(), stop_rx));
    let _ = tokio::signal::ctrl_c().await;
    let _ = stop_tx.send(true);
    task.await?.context("a source stopped")?;
    drop(listener);
    store.close().await;
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Add an alert rule to a query.
    Add {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The query, by name or id.
        #[arg(long)]
        query: String,
        /// spike (volume or negative share above the usual for the time of day) or keyword.
        #[arg(long, default_value = "spike")]
        kind: String,
        /// For keyword rules: the words to watch, in the query language.
        #[arg(long)]
        keyword: Option<String>,
        /// Also deliver by webhook and/or email (comma-separated).
        #[arg(long, value_delimiter = ',')]
        deliver: Vec<String>,
    },
    /// List the latest alerts of a workspace.
    List {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn alert(global: &Global, command: AlertCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    match command {
        AlertCommand::Add { workspace, query, kind, keyword, deliver } => {
            let queries = app.list_queries(&actor, &workspace).await?;
            let q = queries
                .iter()
                .find(|q| q.name == query || q.id.to_string() == query)
                .with_context(|| format!("--query: no query {query:?} in {workspace}"))?;
            let rule =
                app.add_alert_rule(&actor, &workspace, q.id, &kind, keyword.as_deref(), &deliver).await?;
            println!("Added the {} alert rule {} to {}.", rule.kind, rule.id, q.name);
        }
        AlertCommand::List { workspace, json } => {
            let alerts = app.alerts(&actor, &workspace, None, 100).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&alerts)?);
            } else {
                for a in alerts {
                    println!(
                        "{}\t{}\tquery {}\t{}\tobserved {:.2}\texpected {:.2}",
                        a.id,
                        chrono::DateTime::from_timestamp_millis(a.created_at)
                            .map(|t| t.to_rfc3339())
                            .unwrap_or_default(),
                        a.query_id,
                        a.kind,
                        a.observed,
                        a.expected
                    );
                }
            }
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum CrisisCommand {
    /// Turn crisis mode on.
    On {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Why (kept in the audit log).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Turn crisis mode off.
    Off {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
    },
}

pub async fn crisis(global: &Global, command: CrisisCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    let (workspace, on, reason) = match command {
        CrisisCommand::On { workspace, reason } => (workspace, true, reason),
        CrisisCommand::Off { workspace } => (workspace, false, String::new()),
    };
    let changed = app.set_crisis(&actor, &workspace, on, &reason).await?;
    let state = if on { "on" } else { "off" };
    if changed {
        println!("Crisis mode is now {state} for {workspace}.");
    } else {
        println!("Crisis mode was already {state} for {workspace}.");
    }
    Ok(())
}

/// `tutti bench listen-replay`: writes a Jetstream file of `events` generated events, saves
/// `queries` generated queries in a fresh SQLite database, and replays the file through the
/// listener (match, enrich, store), as `tutti listen --replay` does.
pub async fn bench_listen_replay(
    events: usize,
    queries: usize,
    mix: tutti_listen::bench::PostMix,
    as_json: bool,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
    let file = dir.path().join("jetstream.jsonl");
    let (written, scripts, brand_posts) = write_jetstream_file(&file, events, queries, mix)?;
    let url = format!("sqlite://{}", dir.path().join("tutti.db").display());
    let store = tutti_store::Store::open(&url).await?;
    let app = tutti_app::App::new(
        store.clone(),
        tutti_app::AppConfig { networks: tutti_networks::registry().clone(), ..Default::default() },
    );
    let actor = tutti_app::Actor::Operator;
    let ws = app.create_workspace(&actor, "Bench", "Europe/Paris").await?;
    for (i, q) in tutti_listen::bench::generate_queries(queries, 7).iter().enumerate() {
        app.add_query(&actor, &ws.slug, &format!("q{i}"), q, "brand").await?;
    }
    let listener = Listener::load(store.clone()).await?;
    let reader = std::io::BufReader::new(std::fs::File::open(&file)?);
    let stats = listener.replay(reader, "bench").await?;
    drop(listener);
    drop(app);
    store.close().await;
    let rate = stats.events as f64 / stats.seconds.max(1e-9);
    if as_json {
        println!(
            "{}",
            json!({
                "events": stats.events,
                "posts": stats.posts,
                "queries": queries,
                "mix": mix_json(mix, &scripts, brand_posts),
                "mentions": stats.mentions,
                "seconds": (stats.seconds * 1000.0).round() / 1000.0,
                "events_per_s": rate.round(),
                "file_bytes": written,
                "peak_rss_bytes": peak_rss_bytes(),
            })
        );
    } else {
        println!("events               {}", stats.events);
        println!("of which posts       {}", stats.posts);
        println!("queries              {queries}");
        println!("mix (generated posts) {}", mix_line(mix, &scripts, brand_posts));
        println!("mentions stored      {}", stats.mentions);
        println!("time                 {:.3} s", stats.seconds);
        println!("rate                 {rate:.0} events/s (match + enrich + SQLite)");
        println!("peak RSS             {:.1} MB", peak_rss_bytes() as f64 / 1_048_576.0);
    }
    Ok(())
}

/// Writes `n` Jetstream messages shaped like the live stream's when a client asks for posts:
/// mostly created posts (generated texts of `mix`, some with link facets), a few deletions and
/// identity events. Returns the file's size, and the generated posts by script and naming a
/// brand (two events in fifty, an identity event and a deletion, take the place of a generated
/// post: the mix is of the generated posts, of which 96 % are written).
fn write_jetstream_file(
    path: &std::path::Path,
    n: usize,
    queries: usize,
    mix: tutti_listen::bench::PostMix,
) -> anyhow::Result<(u64, Vec<usize>, usize)> {
    let corpus = tutti_listen::bench::generate_corpus(n, queries, 11, mix);
    let (posts, scripts, brand_posts) = (corpus.posts, corpus.scripts.to_vec(), corpus.brand_posts);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let base_us: i64 = 1_760_000_000_000_000;
    for (i, p) in posts.iter().enumerate() {
        let time_us = base_us + i as i64 * 50;
        let did = format!("did:plc:{:024x}", (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 8);
        let line = match i % 50 {
            0 => {
                json!({"did": did, "time_us": time_us, "kind": "identity", "identity": {"did": did, "handle": "someone.bsky.social", "seq": i, "time": "2025-10-09T08:00:00.000Z"}})
            }
            1 => {
                json!({"did": did, "time_us": time_us, "kind": "commit", "commit": {"rev": "3l3qo2vutsw2b", "operation": "delete", "collection": "app.bsky.feed.post", "rkey": format!("3l{i:011}")}})
            }
            _ => {
                let facets: Vec<serde_json::Value> = p
                    .links
                    .iter()
                    .map(|l| json!({"index": {"byteStart": 0, "byteEnd": 1}, "features": [{"$type": "app.bsky.richtext.facet#link", "uri": l}]}))
                    .collect();
                let mut record = json!({"$type": "app.bsky.feed.post", "text": p.text, "createdAt": "2025-10-09T08:00:00.000Z", "facets": facets});
                if let Some(lang) = &p.lang {
                    record["langs"] = json!([lang]);
                }
                json!({"did": did, "time_us": time_us, "kind": "commit", "commit": {"rev": "3l3qo2vutsw2b", "operation": "create", "collection": "app.bsky.feed.post", "rkey": format!("3l{i:011}"), "record": record, "cid": "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"}})
            }
        };
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok((std::fs::metadata(path)?.len(), scripts, brand_posts))
}

/// The mix of generated posts as JSON: asked for, and as generated.
fn mix_json(mix: tutti_listen::bench::PostMix, scripts: &[usize], brand_posts: usize) -> serde_json::Value {
    let by_script: serde_json::Map<String, serde_json::Value> =
        tutti_listen::bench::SCRIPTS.iter().zip(scripts).map(|(s, n)| ((*s).to_owned(), json!(n))).collect();
    json!({
        "non_latin_percent": mix.non_latin_percent,
        "brand_percent": mix.brand_percent,
        "posts_by_script": by_script,
        "posts_naming_a_brand": brand_posts,
    })
}

/// The mix of generated posts in words.
fn mix_line(mix: tutti_listen::bench::PostMix, scripts: &[usize], brand_posts: usize) -> String {
    let total: usize = scripts.iter().sum::<usize>().max(1);
    let by_script: Vec<String> = tutti_listen::bench::SCRIPTS
        .iter()
        .zip(scripts)
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{s} {:.1} %", 100.0 * *n as f64 / total as f64))
        .collect();
    format!(
        "asked {} % non-Latin, {} % naming a brand; generated {}; {brand_posts} posts ({:.2} %) name a brand",
        mix.non_latin_percent,
        mix.brand_percent,
        by_script.join(", "),
        100.0 * brand_posts as f64 / total as f64
    )
}

/// `tutti bench listen`: the engine on one thread and on `threads` threads sharing it, the
/// reference evaluator, and one automaton pass over the raw text, on posts of `mix`.
pub fn bench_listen(
    queries: usize,
    posts: usize,
    mix: tutti_listen::bench::PostMix,
    threads: usize,
    as_json: bool,
) -> anyhow::Result<()> {
    let report = tutti_listen::bench::run_with(queries, posts, mix, threads);
    let peak_rss_bytes = peak_rss_bytes();
    let share = |n: u64| 100.0 * n as f64 / report.posts.max(1) as f64;
    if as_json {
        println!(
            "{}",
            json!({
                "queries": report.queries,
                "posts": report.posts,
                "mix": mix_json(report.mix, &report.scripts, report.brand_posts),
                "engine_posts_per_s": report.engine_posts_per_s.round(),
                "threads": report.threads,
                "engine_parallel_posts_per_s": report.engine_parallel_posts_per_s.round(),
                "reference_posts_per_s": report.reference_posts_per_s.round(),
                "automaton_pass_over_raw_text_posts_per_s": report.automaton_pass_posts_per_s.round(),
                "matches": report.matches,
                "posts_matched": report.posts_matched,
                "compile_ms": (report.compile_ms * 10.0).round() / 10.0,
                "reference_agrees": report.reference_agrees,
                "worst_proximity_us": (report.worst_proximity_us * 10.0).round() / 10.0,
                "peak_rss_bytes": peak_rss_bytes,
            })
        );
    } else {
        println!("queries              {}", report.queries);
        println!("posts                {}", report.posts);
        println!("mix                  {}", mix_line(report.mix, &report.scripts, report.brand_posts));
        println!("compile              {:.1} ms", report.compile_ms);
        println!("engine, 1 thread     {:.0} posts/s", report.engine_posts_per_s);
        if report.threads > 1 {
            println!(
                "engine, {} threads    {:.0} posts/s (posts split across threads sharing one engine; {} CPUs)",
                report.threads,
                report.engine_parallel_posts_per_s,
                std::thread::available_parallelism().map_or(0, |n| n.get())
            );
        }
        println!("reference evaluator  {:.0} posts/s (1 thread, a sample)", report.reference_posts_per_s);
        println!(
            "automaton pass       {:.0} posts/s: one Aho-Corasick pass over each post's raw text with every \
             literal word of the queries (no tokenising, no query logic): a ceiling, not a matcher",
            report.automaton_pass_posts_per_s
        );
        println!(
            "engine / automaton   {:.1} %",
            100.0 * report.engine_posts_per_s / report.automaton_pass_posts_per_s.max(1e-9)
        );
        println!(
            "matches              {} ({} posts, {:.2} %, matched by at least one query)",
            report.matches,
            report.posts_matched,
            share(report.posts_matched)
        );
        println!("agrees with reference {}", report.reference_agrees);
        println!(
            "worst proximity      {:.1} µs ({} over {} words, engine + reference)",
            report.worst_proximity_us,
            tutti_listen::bench::WORST_PROXIMITY_QUERY,
            tutti_listen::bench::worst_proximity_post().text.split(' ').count()
        );
        println!("peak RSS             {:.1} MB", peak_rss_bytes as f64 / 1_048_576.0);
    }
    Ok(())
}

/// The process's peak resident memory (Linux), or 0 where unknown.
fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
