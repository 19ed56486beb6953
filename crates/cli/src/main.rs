//! The `tutti` binary: parses the command line, opens the database, and hands over to the
//! server, the worker or an admin command.
//!
//! **Architecture Invariant:** only this crate chooses the storage backend (from the URL) and
//! installs the tracing subscriber.

mod analytics;
mod bench_analytics;
mod bench_inbox;
mod bench_publish;
mod commands;
mod context;
mod inbox;
mod listen;
mod people;
mod publish;
mod rules;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::context::{Global, LogFormat};

/// Tutti — the social media team platform: publishing, inbox, listening, community.
#[derive(Debug, Parser)]
#[command(name = "tutti", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server and the background worker.
    Serve(serve::ServeArgs),
    /// Run only the background worker (for setups with several processes on PostgreSQL).
    Worker(serve::WorkerArgs),
    /// Apply the database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(commands::UserCommand),
    /// Manage brand workspaces.
    #[command(subcommand)]
    Workspace(commands::WorkspaceCommand),
    /// Manage the members of a workspace.
    #[command(subcommand)]
    Member(commands::MemberCommand),
    /// Manage personal API tokens.
    #[command(subcommand)]
    Token(commands::TokenCommand),
    /// Write a consistent copy of the SQLite database to FILE, while Tutti runs.
    Backup {
        /// Where to write the copy (must not exist).
        file: PathBuf,
    },
    /// Replace the SQLite database with a backup (stop the server first).
    Restore {
        /// The backup to restore.
        file: PathBuf,
    },
    /// Fill a demo instance with French and English brand workspaces, their teams, and a month
    /// of their work on channels of the demo network, which publishes nowhere. Safe to run
    /// again: what exists is kept, what is missing is added.
    Demo {
        /// The address people open Tutti at, for the short links of the demo's posts.
        #[arg(long, env = "TUTTI_PUBLIC_URL", default_value = "http://localhost:8080")]
        public_url: String,
    },
    /// Manage and try listening queries.
    #[command(subcommand)]
    Query(listen::QueryCommand),
    /// Enrich texts: one per line on standard input, language, sentiment and toxicity out;
    /// `tutti nlp eval DIR` scores the labelled sets of a folder.
    Nlp {
        /// `eval DIR`: accuracy of the enrichment on labelled TSV files.
        #[command(subcommand)]
        eval: Option<listen::NlpCommand>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// With --json, add hashtags, mentions, links and domains.
        #[arg(long)]
        entities: bool,
    },
    /// Run listening sources in the foreground and store the mentions they match.
    Listen {
        #[command(flatten)]
        sources: listen::SourceArgs,
        /// Instead of following sources, replay a recorded Jetstream file (one JSON message
        /// per line) and print the rate.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["jetstream", "firehoses", "mastodon", "feeds"])]
        replay: Option<PathBuf>,
    },
    /// Alert rules on listening queries, and the alerts raised.
    #[command(subcommand)]
    Alert(listen::AlertCommand),
    /// Crisis mode: pause the workspace's outgoing voice, or resume it.
    #[command(subcommand)]
    Crisis(listen::CrisisCommand),
    /// Moderation rules: add, list, dry run, turn on and off.
    #[command(subcommand)]
    Rule(rules::RuleCommand),
    /// The accounts a workspace publishes through.
    #[command(subcommand)]
    Channel(publish::ChannelCommand),
    /// Posts: write, schedule, list.
    #[command(subcommand)]
    Post(publish::PostCommand),
    /// The community: people, segments, CSV export.
    #[command(subcommand)]
    People(people::PeopleCommand),
    /// Product feedback: the report of a period.
    #[command(subcommand)]
    Feedback(people::FeedbackCommand),
    /// Analytics: collect the networks' counts now; the overview, posts, team, best times.
    #[command(subcommand)]
    Analytics(analytics::AnalyticsCommand),
    /// The inbox: conversations with the community, replies.
    #[command(subcommand)]
    Inbox(inbox::InboxCommand),
    /// The key ring that encrypts channel credentials.
    #[command(subcommand)]
    Key(publish::KeyCommand),
    /// The workspace's calendar: its secret iCalendar address.
    #[command(subcommand)]
    Calendar(publish::CalendarCommand),
    /// Measure Tutti's engines.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// The listening engine (on one thread, and on --threads sharing it) against the reference
    /// evaluator and one automaton pass over the posts' raw text, on generated posts whose mix
    /// of scripts and brand mentions is printed.
    Listen {
        /// How many generated queries.
        #[arg(long, default_value_t = 10_000)]
        queries: usize,
        /// How many generated posts.
        #[arg(long, default_value_t = 100_000)]
        posts: usize,
        #[command(flatten)]
        mix: MixArgs,
        /// Threads matching at once, the posts split among them, sharing one engine (the
        /// one-thread rate is always measured too).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: u16,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// The publisher end to end: posts due within a minute (or at once), published by
    /// `tutti worker` processes to an in-process fake PDS endpoint (it accepts any password and
    /// keeps records in memory: it measures Tutti's publisher, not a network), or with
    /// --service to a real PDS.
    Publish {
        /// How many posts.
        #[arg(long, default_value_t = 10_000)]
        posts: usize,
        /// How many `tutti worker` processes.
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// Over how many seconds the posts are due (0: all at once, the only way the rate is
        /// the publisher's throughput; with a spread it is the schedule's).
        #[arg(long, default_value_t = 60)]
        spread_secs: u64,
        /// Publish to this PDS (https://HOST, or the local reference network's) instead of the
        /// in-process fake endpoint.
        #[arg(long, value_name = "URL")]
        service: Option<String>,
        /// The account on --service to publish with; without it the benchmark creates one
        /// (a development PDS allows it without an invitation).
        #[arg(long, requires = "service")]
        handle: Option<String>,
        /// The (app) password of --handle.
        #[arg(long, env = "TUTTI_BENCH_PASSWORD", hide_env_values = true, requires = "handle")]
        password: Option<String>,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// The inbox: the list of a workspace with many conversations, served by the web server in
    /// this process, and the ingestion of notifications with their enrichment. SQLite in a
    /// fresh directory unless --database-url names a PostgreSQL database dedicated to it.
    Inbox {
        /// How many conversations to load.
        #[arg(long, default_value_t = 1_000_000)]
        conversations: usize,
        /// How many requests per view of the list.
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// How many notifications to ingest.
        #[arg(long, default_value_t = 100_000)]
        ingest: usize,
        /// Notifications per ingestion transaction (the worker stores up to this many at once).
        #[arg(long, default_value_t = tutti_worker::inbox::INGEST_BATCH)]
        batch: usize,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// The analytics: the dashboards' reads (overview, post table, team, best times) over a
    /// year of a workspace's posts and snapshots loaded in bulk, through the use cases the web
    /// calls, and the collection of posts' counts from an in-process server shaped like the
    /// Bluesky AppView. SQLite in a fresh directory unless --database-url names a PostgreSQL
    /// database dedicated to it.
    Analytics {
        /// How many published posts to load.
        #[arg(long, default_value_t = 1_000_000)]
        posts: usize,
        /// How many snapshots of them to load.
        #[arg(long, default_value_t = 10_000_000)]
        snapshots: usize,
        /// How many inbox conversations to load (for the team's figures and the best times).
        #[arg(long, default_value_t = 100_000)]
        conversations: usize,
        /// How many requests per read and round.
        #[arg(long, default_value_t = 50)]
        requests: usize,
        /// How many rounds of requests over the same data.
        #[arg(long, default_value_t = 1)]
        rounds: usize,
        /// How many posts' counts to collect from the local AppView-shaped server.
        #[arg(long, default_value_t = 10_000)]
        collect: usize,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// `tutti listen --replay` end to end: generated Jetstream events (whose mix of scripts and
    /// brand mentions is printed) through matching, enrichment and storage in a fresh SQLite
    /// database.
    ListenReplay {
        /// How many events.
        #[arg(long, default_value_t = 200_000)]
        events: usize,
        /// How many saved queries.
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
        #[command(flatten)]
        mix: MixArgs,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// What the listening benchmarks' generated posts are made of.
#[derive(Debug, Clone, Args)]
struct MixArgs {
    /// Share of posts written in a non-Latin script (Japanese, Arabic, Cyrillic, Korean,
    /// Chinese, Devanagari) or in emoji only, percent.
    #[arg(long, default_value_t = tutti_listen::bench::PostMix::REALISTIC.non_latin_percent)]
    non_latin_percent: f64,
    /// Share of posts naming one of the queries' brands, percent (a firehose: about 1).
    #[arg(long, default_value_t = tutti_listen::bench::PostMix::REALISTIC.brand_percent)]
    brand_percent: f64,
}

impl MixArgs {
    fn mix(&self) -> anyhow::Result<tutti_listen::bench::PostMix> {
        tutti_listen::bench::PostMix::new(self.non_latin_percent, self.brand_percent)
            .map_err(|e| anyhow::anyhow!("--{}", e.replacen('_', "-", 2)))
    }
}

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("TUTTI_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// The glibc allocator's arenas a long-running process may use, unless `MALLOC_ARENA_MAX` says
/// otherwise. By default glibc keeps up to 8 per core, one per busy thread (the runtime's, and
/// one per SQLite connection), and gives little of them back: under eight concurrent requests
/// for the largest dashboards `tutti serve` peaked at 157–165 MB, and at 130 MB with 4 arenas
/// (`benches/analytics_serve.sh`).
const MALLOC_ARENAS: &str = "4";

/// Runs this same command again in place of this process with [`MALLOC_ARENAS`], which glibc
/// reads only when the process starts; returns only if that cannot be done (then the command
/// runs as it is).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    if let Ok(exe) = std::env::current_exe() {
        let error = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("MALLOC_ARENA_MAX", MALLOC_ARENAS)
            .exec();
        eprintln!("note: running with the allocator's default arenas ({error})");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Serve(_) | Command::Worker(_) | Command::Demo { .. }) {
        limit_malloc_arenas();
    }
    init_tracing(cli.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let global = &cli.global;
    match cli.command {
        Command::Serve(args) => serve::serve(global, args).await,
        Command::Worker(args) => serve::worker(global, args).await,
        Command::Migrate => commands::migrate(global).await,
        Command::User(c) => commands::user(global, c).await,
        Command::Workspace(c) => commands::workspace(global, c).await,
        Command::Member(c) => commands::member(global, c).await,
        Command::Token(c) => commands::token(global, c).await,
        Command::Backup { file } => commands::backup(global, &file).await,
        Command::Restore { file } => commands::restore(global, &file).await,
        Command::Demo { public_url } => commands::demo(global, &public_url).await,
        Command::Query(c) => listen::query(global, c).await,
        Command::Nlp { eval: Some(listen::NlpCommand::Eval { dir }), .. } => listen::nlp_eval(&dir),
        Command::Nlp { eval: None, json, entities } => listen::nlp(json, entities),
        Command::Listen { sources, replay } => listen::listen(global, sources, replay).await,
        Command::Alert(c) => listen::alert(global, c).await,
        Command::Crisis(c) => listen::crisis(global, c).await,
        Command::Rule(c) => rules::rule(global, c).await,
        Command::Channel(c) => publish::channel(global, c).await,
        Command::Post(c) => publish::post(global, c).await,
        Command::People(c) => people::people(global, c).await,
        Command::Analytics(c) => analytics::analytics(global, c).await,
        Command::Feedback(c) => people::feedback(global, c).await,
        Command::Inbox(c) => inbox::inbox(global, c).await,
        Command::Key(c) => publish::key(global, c).await,
        Command::Calendar(c) => publish::calendar(global, c).await,
        Command::Bench(BenchCommand::Listen { queries, posts, mix, threads, json }) => {
            listen::bench_listen(queries, posts, mix.mix()?, usize::from(threads), json)
        }
        Command::Bench(BenchCommand::Publish {
            posts,
            workers,
            spread_secs,
            service,
            handle,
            password,
            json,
        }) => {
            let bench =
                bench_publish::PublishBench { posts, workers, spread_secs, service, handle, password, json };
            bench_publish::run(global.database_url.clone(), global, bench).await
        }
        Command::Bench(BenchCommand::Inbox { conversations, requests, ingest, batch, json }) => {
            bench_inbox::run(global.database_url.clone(), conversations, requests, ingest, batch.max(1), json)
                .await
        }
        Command::Bench(BenchCommand::Analytics {
            posts,
            snapshots,
            conversations,
            requests,
            rounds,
            collect,
            json,
        }) => {
            let bench = bench_analytics::AnalyticsBench {
                posts,
                snapshots,
                conversations,
                requests,
                rounds,
                collect,
                json,
            };
            bench_analytics::run(global.database_url.clone(), bench).await
        }
        Command::Bench(BenchCommand::ListenReplay { events, queries, mix, json }) => {
            listen::bench_listen_replay(events, queries, mix.mix()?, json).await
        }
    }
}
