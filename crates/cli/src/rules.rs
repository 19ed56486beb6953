//! Moderation rules from the command line: add, list, dry run, turn on and off.

use clap::Subcommand;
use tutti_app::moderation::RuleToWrite;

use crate::context::{app, Global};

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum RuleCommand {
    /// Add a moderation rule (every condition given must hold).
    Add {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The rule's name.
        #[arg(long)]
        name: String,
        /// Words or phrases, comma-separated (case and accents ignored).
        #[arg(long, default_value = "")]
        words: String,
        /// A regular expression (case-insensitive).
        #[arg(long, default_value = "")]
        regex: String,
        /// Toxicity at least this, 0 to 1.
        #[arg(long, default_value = "")]
        toxicity: String,
        /// Authors: handles or DIDs, comma-separated.
        #[arg(long, default_value = "")]
        authors: String,
        /// Languages, comma-separated (fr, en…).
        #[arg(long, default_value = "")]
        langs: String,
        /// Links to these domains, comma-separated.
        #[arg(long, default_value = "")]
        domains: String,
        /// Kinds: reply, mention, quote, dm (all when not given).
        #[arg(long, default_value = "")]
        kinds: String,
        /// Authors whose account is younger than this many days.
        #[arg(long, default_value = "")]
        new_account_days: String,
        /// Actions: hide, mute, block, report[:spam|abusive|other], tag:<tag>, assign:<e-mail>,
        /// priority:<0-3>, comma-separated.
        #[arg(long, default_value = "")]
        action: String,
        /// An automatic reply's text.
        #[arg(long, default_value = "")]
        reply: String,
        /// Save it turned off.
        #[arg(long)]
        disabled: bool,
    },
    /// List a workspace's rules.
    List {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show which of the latest items a rule would have hit, changing nothing.
    DryRun {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The rule's id.
        #[arg(long)]
        rule: i64,
        /// How many of the latest items to read.
        #[arg(long, default_value_t = tutti_app::moderation::DRY_RUN_LAST)]
        last: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Turn a rule on.
    Enable {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The rule's id.
        #[arg(long)]
        rule: i64,
    },
    /// Turn a rule off.
    Disable {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The rule's id.
        #[arg(long)]
        rule: i64,
    },
}

/// Runs a `tutti rule` command.
pub async fn rule(global: &Global, command: RuleCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    match command {
        RuleCommand::Add {
            workspace,
            name,
            words,
            regex,
            toxicity,
            authors,
            langs,
            domains,
            kinds,
            new_account_days,
            action,
            reply,
            disabled,
        } => {
            let r = RuleToWrite {
                name,
                enabled: !disabled,
                words,
                regex,
                toxicity,
                authors,
                langs,
                domains,
                kinds,
                new_account_days,
                actions: action,
                reply,
            };
            let rule = app.add_moderation_rule(&actor, &workspace, &r).await?;
            println!("Added the rule {} ({}).", rule.id, rule.name);
        }
        RuleCommand::List { workspace, json } => {
            let rules = app.moderation_rules(&actor, &workspace).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rules)?);
            } else {
                for r in rules {
                    println!(
                        "{}\t{}\t{}\t{} hits\twhen {}\tthen {}",
                        r.rule.id,
                        if r.rule.enabled { "on" } else { "off" },
                        r.rule.name,
                        r.hits,
                        serde_json::to_string(&r.conditions)?,
                        serde_json::to_string(&r.actions)?
                    );
                }
            }
        }
        RuleCommand::DryRun { workspace, rule, last, json } => {
            let hits = app.dry_run_rule(&actor, &workspace, rule, Some(last)).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&hits)?);
            } else {
                for h in &hits {
                    let text: String = h.text.chars().filter(|c| !c.is_control()).take(100).collect();
                    println!("{}\t{}\t{:.2}\t{}", h.id, h.author_handle, h.toxicity, text);
                }
                println!("{} of the latest {last} items would have been hit.", hits.len());
            }
        }
        RuleCommand::Enable { workspace, rule } => {
            app.set_moderation_rule_enabled(&actor, &workspace, rule, true).await?;
            println!("The rule {rule} is on.");
        }
        RuleCommand::Disable { workspace, rule } => {
            app.set_moderation_rule_enabled(&actor, &workspace, rule, false).await?;
            println!("The rule {rule} is off.");
        }
    }
    Ok(())
}
