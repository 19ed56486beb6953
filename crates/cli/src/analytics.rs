//! `tutti analytics`: collect the networks' counts now, and read the numbers (overview, posts,
//! team, best times) as text, JSON or CSV.

use anyhow::Context;
use clap::{Args, Subcommand};
use tutti_app::analytics::{self, export, Filters};

use crate::context::{app, keyring, Global};

#[derive(Debug, Subcommand)]
pub enum AnalyticsCommand {
    /// Take a snapshot of every published post and every channel of a workspace now, whatever
    /// the schedule.
    Collect {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// The overview of a period: audience, posts, engagement, clicks, response times.
    Summary {
        #[command(flatten)]
        view: View,
        /// One JSON object.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// The days as CSV (`--csv audience`: each channel's followers per day).
        #[arg(long, value_name = "TABLE", num_args = 0..=1, default_missing_value = "days")]
        csv: Option<String>,
    },
    /// The posts of a period with their counts, sorted.
    Posts {
        #[command(flatten)]
        view: View,
        /// published, engagements, likes, reposts, replies or rate.
        #[arg(long, default_value = "published")]
        sort: String,
        /// Smallest first.
        #[arg(long)]
        ascending: bool,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// One JSON array.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// CSV.
        #[arg(long)]
        csv: bool,
    },
    /// Response and resolution times per member and per channel.
    Team {
        #[command(flatten)]
        view: View,
        /// One JSON object.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// CSV.
        #[arg(long)]
        csv: bool,
    },
    /// When a channel's posts do best, by weekday and hour in the workspace's time zone.
    BestTimes {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The channel's handle.
        #[arg(long)]
        channel: String,
        /// How many slots.
        #[arg(long, default_value_t = 5)]
        slots: usize,
        /// One JSON object.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// The whole grid as CSV.
        #[arg(long)]
        csv: bool,
    },
}

/// The workspace, period and filters of a read.
#[derive(Debug, Args)]
pub struct View {
    /// Workspace slug.
    #[arg(long)]
    workspace: String,
    /// 7d, 30d, 90d (ending today) or custom (with --from and --to).
    #[arg(long, default_value = "")]
    range: String,
    /// First day, YYYY-MM-DD (in the workspace's time zone).
    #[arg(long, default_value = "")]
    from: String,
    /// Last day, included.
    #[arg(long, default_value = "")]
    to: String,
    /// Only this channel (its handle).
    #[arg(long, default_value = "")]
    channel: String,
    /// Only the posts of this member (their e-mail).
    #[arg(long, default_value = "")]
    author: String,
    /// Only this pillar of the charter.
    #[arg(long, default_value = "")]
    pillar: String,
    /// Only this campaign (`utm_campaign`).
    #[arg(long, default_value = "")]
    campaign: String,
}

impl View {
    fn filters(&self) -> Filters {
        Filters {
            channel: self.channel.clone(),
            author: self.author.clone(),
            pillar: self.pillar.clone(),
            campaign: self.campaign.clone(),
        }
    }
}

fn percent(r: Option<f64>) -> String {
    r.map(|r| format!("{:.2} %", r * 100.0)).unwrap_or_else(|| "–".into())
}

fn seconds(s: Option<i64>) -> String {
    match s {
        None => "–".into(),
        Some(s) if s < 120 => format!("{s} s"),
        Some(s) if s < 7200 => format!("{} min", s / 60),
        Some(s) => format!("{:.1} h", s as f64 / 3600.0),
    }
}

pub async fn analytics(global: &Global, command: AnalyticsCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    let now = tutti_app::store::now_ms();
    match command {
        AnalyticsCommand::Collect { workspace, json } => {
            let ws = app.analytics_collect_access(&actor, &workspace).await?;
            let keys = keyring(global)?;
            let connectors = tutti_worker::connectors::Connectors::new(keys, global.outbound());
            let done = tutti_worker::analytics::collect_now(app.store(), &connectors, ws)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("cannot collect")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&done)?);
            } else {
                println!(
                    "{} posts and {} channels measured in {} calls; {} left for later, {} no longer on the network.",
                    done.posts, done.channels, done.calls, done.deferred, done.gone
                );
            }
        }
        AnalyticsCommand::Summary { view, json, csv } => {
            let period = period(&app, &actor, &view, now).await?;
            let s = app.analytics_summary(&actor, &view.workspace, &period, &view.filters()).await?;
            match (json, csv.as_deref()) {
                (true, _) => println!("{}", serde_json::to_string_pretty(&s)?),
                (_, Some("audience")) => print!("{}", export::audience_csv(&s)),
                (_, Some("days")) => print!("{}", export::daily_csv(&s)),
                (_, Some(other)) => anyhow::bail!("--csv: no table {other:?} (days or audience)"),
                (false, None) => {
                    println!("{} → {}", s.period.first_day, s.period.last_day);
                    println!("followers        {} ({:+})", s.followers, s.follower_growth);
                    println!("posts            {}", s.posts);
                    println!("engagements      {}", s.engagements);
                    println!("engagement rate  {}", percent(s.engagement_rate));
                    println!("clicks           {}", s.clicks);
                    println!("first response   {} (median)", seconds(s.median_first_response_s));
                    println!("response rate    {}", percent(s.response_rate));
                    println!("share of voice   {}", percent(s.share_of_voice));
                }
            }
        }
        AnalyticsCommand::Posts { view, sort, ascending, limit, json, csv } => {
            let period = period(&app, &actor, &view, now).await?;
            let posts = app
                .analytics_posts(
                    &actor,
                    &view.workspace,
                    &period,
                    &view.filters(),
                    &sort,
                    ascending,
                    limit,
                    0,
                )
                .await?;
            if json {
                let rows: Vec<serde_json::Value> = posts
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "id": p.row.id, "channel": p.channel, "published_at": p.row.published_at,
                            "likes": p.row.likes, "reposts": p.row.reposts, "replies": p.row.replies,
                            "quotes": p.row.quotes, "engagements": p.row.engagements, "clicks": p.row.clicks,
                            "followers_at_publish": p.row.followers_at_publish,
                            "engagement_rate": p.engagement_rate, "url": p.row.remote_url,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if csv {
                print!("{}", export::posts_csv(&posts));
            } else {
                for p in &posts {
                    let text: String = p.row.text.chars().take(60).collect();
                    println!(
                        "{}\t{}\t♥ {}\t↻ {}\t↩ {}\t{}\t{}",
                        p.row.id,
                        p.channel,
                        p.row.likes,
                        p.row.reposts,
                        p.row.replies,
                        percent(p.engagement_rate),
                        text.replace(['\t', '\n'], " ")
                    );
                }
            }
        }
        AnalyticsCommand::Team { view, json, csv } => {
            let period = period(&app, &actor, &view, now).await?;
            let t = app.analytics_team(&actor, &view.workspace, &period).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else if csv {
                print!("{}", export::team_csv(&t));
            } else {
                for m in &t.members {
                    let name = if m.name.is_empty() { "(nobody)" } else { m.name.as_str() };
                    println!(
                        "{name}\t{} conversations\tfirst response {}\tSLA breaches {}\tactions {}",
                        m.times.asked,
                        seconds(m.times.first_response.map(|s| s.median)),
                        m.times.sla_breaches,
                        m.actions
                    );
                }
            }
        }
        AnalyticsCommand::BestTimes { workspace, channel, slots, json, csv } => {
            let b = app.best_times(&actor, &workspace, &channel, slots).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&b)?);
            } else if csv {
                print!("{}", export::best_times_csv(&b));
            } else {
                println!("{} ({}), from {} posts: {:?}", b.channel.handle, b.time_zone, b.posts, b.basis);
                const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
                for s in &b.best {
                    println!(
                        "{} {:02}:00\t{} posts\t{}\tactivity {}",
                        DAYS[usize::from(s.weekday)],
                        s.hour,
                        s.posts,
                        percent(s.rate),
                        s.activity
                    );
                }
            }
        }
    }
    Ok(())
}

async fn period(
    app: &tutti_app::App,
    actor: &tutti_app::Actor,
    v: &View,
    now: i64,
) -> anyhow::Result<analytics::Period> {
    Ok(app.analytics_period(actor, &v.workspace, &v.range, &v.from, &v.to, now).await?)
}
