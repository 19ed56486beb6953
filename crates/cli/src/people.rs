//! `tutti people` (the community CRM) and `tutti feedback` (the product feedback report).

use clap::Subcommand;
use serde_json::json;
use tutti_store::people::{PeopleFilter, Sort};

use crate::context::{app, Global};

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// List a workspace's people (everyone, or a saved segment), by engagement.
    List {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// A saved segment's name.
        #[arg(long)]
        segment: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Write a segment's people as CSV on standard output.
    Export {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// A saved segment's name.
        #[arg(long)]
        segment: String,
    },
}

pub async fn people(global: &Global, command: PeopleCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    match command {
        PeopleCommand::List { workspace, segment, limit, json } => {
            let filter = match segment {
                Some(name) => app.segment(&actor, &workspace, &name).await?.filter,
                None => PeopleFilter::default(),
            };
            let list = app.people(&actor, &workspace, &filter, Sort::Engagement, 0, limit).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&json!(list))?);
            } else {
                for p in &list {
                    println!(
                        "{}\t{}\t{}\tinteractions {}\tengagement {:.1}\tadvocacy {:.0}{}",
                        p.id,
                        p.display_name.replace(['\t', '\n'], " "),
                        p.handles.join(" "),
                        p.interactions,
                        p.engagement,
                        p.advocacy,
                        if p.churn.is_empty() { String::new() } else { format!("\tchurn: {}", p.churn) }
                    );
                }
            }
        }
        PeopleCommand::Export { workspace, segment } => {
            let filter = app.segment(&actor, &workspace, &segment).await?.filter;
            print!("{}", app.export_people_csv(&actor, &workspace, &filter).await?);
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum FeedbackCommand {
    /// The product feedback report of a period (days in the workspace's time zone).
    Report {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day (included), YYYY-MM-DD.
        #[arg(long)]
        to: String,
        /// md or csv.
        #[arg(long, default_value = "md", value_parser = ["md", "csv"])]
        format: String,
        /// Prefixed to the links to conversations (Tutti's address, e.g. https://tutti.example.org).
        #[arg(long, default_value = "")]
        base_url: String,
    },
}

pub async fn feedback(global: &Global, command: FeedbackCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    match command {
        FeedbackCommand::Report { workspace, from, to, format, base_url } => {
            let report = app.feedback_report(&actor, &workspace, &from, &to).await?;
            let base = base_url.trim_end_matches('/');
            if format == "csv" {
                print!("{}", report.csv(base));
            } else {
                print!("{}", report.markdown(base));
            }
        }
    }
    Ok(())
}
