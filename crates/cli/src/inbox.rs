//! `tutti inbox …`: the inbox from the command line — list conversations, reply in one.

use clap::Subcommand;
use tutti_app::inbox::ReplyToWrite;
use tutti_app::store::inbox::Filter;

use crate::context::{app, Global};

#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// List a workspace's conversations, latest first.
    List {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// open (default), pending, closed or all.
        #[arg(long, default_value = "open")]
        status: String,
        /// Only those without an answer.
        #[arg(long)]
        unanswered: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reply in a conversation (by id), as the brand or as your own account (`--as ambassador`,
    /// with the global `--as EMAIL` naming who you are).
    Reply {
        /// The conversation's id.
        conversation: i64,
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The reply.
        #[arg(long)]
        text: String,
        /// `brand` (default) or `ambassador`.
        #[arg(long = "voice", default_value = "brand", value_parser = ["brand", "ambassador"])]
        voice: String,
    },
}

pub async fn inbox(global: &Global, command: InboxCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    match command {
        InboxCommand::List { workspace, status, unanswered, limit, json } => {
            let status = match status.as_str() {
                "all" => None,
                s => match s.parse::<tutti_domain::ConversationStatus>() {
                    Ok(s) => Some(s),
                    Err(_) => anyhow::bail!("--status: {s:?} is not open, pending, closed or all"),
                },
            };
            let filter = Filter { status, unanswered, ..Filter::default() };
            let list = app.inbox(&actor, &workspace, &filter, None, limit).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for c in list {
                    let when = chrono::DateTime::from_timestamp_millis(c.last_item_at)
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default();
                    // Text from the networks: one line, control characters out.
                    let excerpt: String =
                        c.excerpt.chars().map(|ch| if ch.is_control() { ' ' } else { ch }).take(70).collect();
                    println!(
                        "{}\t{}\t{}\t{}\t{when}\t{}\t{excerpt}",
                        c.id,
                        c.status,
                        c.kind,
                        c.sentiment,
                        if c.unanswered { "unanswered" } else { "answered" }
                    );
                }
            }
        }
        InboxCommand::Reply { conversation, workspace, text, voice } => {
            let r = ReplyToWrite { text, as_ambassador: voice == "ambassador", ..ReplyToWrite::default() };
            let post = app.reply(&actor, &workspace, conversation, &r).await?;
            println!("Reply {} is {} (key {}).", post.id, post.status, post.idempotency_key);
        }
    }
    Ok(())
}
