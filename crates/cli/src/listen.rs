//! Listening commands: saved queries, testing a query, enrichment of texts, the foreground
//! listener, and the matching benchmark.

use std::io::{BufRead, Write};
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use serde_json::json;
use tokio::sync::watch;
use tutti_listen::{Network, Post, Query};
use tutti_worker::listener::Listener;

use crate::commands::app;
use crate::serve::open;
use crate::Global;

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
            let label = serde_json::to_value(e.sentiment.label)?.as_str().unwrap_or_default().to_owned();
            let lang = e.lang.map_or("?", |l| l.code());
            let flag = if e.toxicity.flagged { "\ttoxic" } else { "" };
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

/// `tutti listen`: runs the given sources in the foreground until interrupted.
pub async fn listen(
    global: &Global,
    jetstream: Option<String>,
    feeds: Vec<String>,
    feed_every: u64,
) -> anyhow::Result<()> {
    let store = open(global).await?;
    let listener = Listener::load(store.clone()).await?;
    println!("Listening with {} queries.", listener.len());
    let (stop_tx, stop_rx) = watch::channel(false);
    let listener = std::sync::Arc::new(listener);
    let mut tasks = Vec::new();
    if let Some(endpoint) = jetstream {
        let (l, rx) = (listener.clone(), stop_rx.clone());
        tasks.push(tokio::spawn(async move {
            l.run_jetstream(tutti_bluesky::Jetstream::new(endpoint), rx).await
        }));
    }
    if !feeds.is_empty() {
        let (l, mut rx) = (listener.clone(), stop_rx.clone());
        tasks.push(tokio::spawn(async move {
            let poller = tutti_feeds::FeedPoller::default();
            loop {
                for url in &feeds {
                    tokio::select! {
                        polled = l.poll_feed(&poller, url) => { polled?; }
                        _ = rx.changed() => return Ok(()),
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(feed_every)) => {}
                    _ = rx.changed() => return Ok(()),
                }
            }
        }));
    }
    if tasks.is_empty() {
        anyhow::bail!("no source to listen to: give --jetstream URL and/or --feed URL");
    }
    let _ = tokio::signal::ctrl_c().await;
    let _ = stop_tx.send(true);
    for t in tasks {
        t.await?.context("a source stopped")?;
    }
    store.close().await;
    Ok(())
}

/// `tutti bench listen`.
pub fn bench_listen(queries: usize, posts: usize, as_json: bool) -> anyhow::Result<()> {
    let report = tutti_listen::bench::run(queries, posts);
    let peak_rss_bytes = peak_rss_bytes();
    if as_json {
        println!(
            "{}",
            json!({
                "queries": report.queries,
                "posts": report.posts,
                "engine_posts_per_s": report.engine_posts_per_s.round(),
                "reference_posts_per_s": report.reference_posts_per_s.round(),
                "scan_posts_per_s": report.scan_posts_per_s.round(),
                "matches": report.matches,
                "compile_ms": (report.compile_ms * 10.0).round() / 10.0,
                "reference_agrees": report.reference_agrees,
                "peak_rss_bytes": peak_rss_bytes,
            })
        );
    } else {
        println!("queries              {}", report.queries);
        println!("posts                {}", report.posts);
        println!("compile              {:.1} ms", report.compile_ms);
        println!("engine               {:.0} posts/s", report.engine_posts_per_s);
        println!("reference evaluator  {:.0} posts/s", report.reference_posts_per_s);
        println!("raw scan (ceiling)   {:.0} posts/s", report.scan_posts_per_s);
        println!("engine / scan        {:.1} %", 100.0 * report.engine_posts_per_s / report.scan_posts_per_s);
        println!("matches              {}", report.matches);
        println!("agrees with reference {}", report.reference_agrees);
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
