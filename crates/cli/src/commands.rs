//! The admin commands: accounts, workspaces, members, tokens, backup, demo.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context};
use clap::Subcommand;
use serde_json::json;
use tutti_app::Actor;

use crate::context::{app, keyring, open, sqlite_lock, Global};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        /// E-mail address (the sign-in name).
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Make the account an instance administrator.
        #[arg(long)]
        admin: bool,
    },
    /// List every account.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a brand workspace.
    Add {
        /// The workspace's name (its slug is derived from it).
        name: String,
        /// IANA time zone of the workspace.
        #[arg(long, default_value = "Europe/Paris")]
        timezone: String,
    },
    /// List the workspaces.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a person to a workspace (people without an account get an invitation link).
    Add {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The person's e-mail.
        #[arg(long)]
        email: String,
        /// admin, smm, cm, analyst, contributor or product.
        #[arg(long)]
        role: String,
    },
    /// List the members of a workspace.
    List {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a member's role.
    Role {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The member's e-mail or account id.
        #[arg(long)]
        email: String,
        /// The new role.
        #[arg(long)]
        role: String,
    },
    /// Remove a member from a workspace.
    Remove {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The member's e-mail or account id.
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a personal API token and print it (it is shown once).
    Create {
        /// The account the token acts as.
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "")]
        name: String,
    },
}

fn print_json(value: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

pub async fn migrate(global: &Global) -> anyhow::Result<()> {
    let store = open(global).await?;
    println!("The database {} is migrated.", store.location());
    Ok(())
}

pub async fn user(global: &Global, command: UserCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    match command {
        UserCommand::Add { email, name, password_stdin: _, admin } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.lines().next().unwrap_or_default();
            let user = app.add_user(&actor, &email, &name, password, admin).await?;
            println!(
                "Created {} <{}>{}.",
                user.name,
                user.email,
                if admin { " (instance administrator)" } else { "" }
            );
        }
        UserCommand::List { json } => {
            let users = app.list_users(&actor).await?;
            if json {
                print_json(&json!(users));
            } else {
                for u in users {
                    println!("{}\t{}\t{}{}", u.id, u.email, u.name, if u.is_admin { "\tadmin" } else { "" });
                }
            }
        }
    }
    Ok(())
}

pub async fn workspace(global: &Global, command: WorkspaceCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    match command {
        WorkspaceCommand::Add { name, timezone } => {
            let ws = app.create_workspace(&actor, &name, &timezone).await?;
            println!("Created the workspace {} ({}), time zone {}.", ws.name, ws.slug, ws.timezone);
        }
        WorkspaceCommand::List { json } => {
            let list = app.list_workspaces(&actor).await?;
            if json {
                print_json(&json!(list.iter().map(|(w, r)| json!({"slug": w.slug, "name": w.name, "timezone": w.timezone, "role": r.map(|r| r.as_str())})).collect::<Vec<_>>()));
            } else {
                for (w, _) in list {
                    println!("{}\t{}\t{}", w.slug, w.name, w.timezone);
                }
            }
        }
    }
    Ok(())
}

pub async fn member(global: &Global, command: MemberCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    match command {
        MemberCommand::Add { workspace, email, role } => {
            let added = app.add_member(&actor, &workspace, &email, &role).await?;
            println!("Added {} to {workspace} as {}.", added.member.email, added.member.role);
            if let Some(secret) = added.invitation {
                println!("They have no account yet; send them this invitation path on your Tutti address: /invite/{secret}");
            }
        }
        MemberCommand::List { workspace, json } => {
            let members = app.list_members(&actor, &workspace).await?;
            if json {
                print_json(&json!(members));
            } else {
                for m in members {
                    println!("{}\t{}\t{}\t{}", m.user_id, m.email, m.name, m.role);
                }
            }
        }
        MemberCommand::Role { workspace, email, role } => {
            let m = app.change_role(&actor, &workspace, &email, &role).await?;
            println!("{} is now {} in {workspace}.", m.email, m.role);
        }
        MemberCommand::Remove { workspace, email } => {
            let m = app.remove_member(&actor, &workspace, &email).await?;
            println!("Removed {} from {workspace}.", m.email);
        }
    }
    Ok(())
}

pub async fn token(global: &Global, command: TokenCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    match command {
        TokenCommand::Create { email, name } => {
            let new = app.create_token(&actor, &email, &name).await?;
            println!("{}", new.secret);
        }
    }
    Ok(())
}

pub async fn backup(global: &Global, file: &Path) -> anyhow::Result<()> {
    let store = open(global).await?;
    store.backup_to(file).await?;
    println!("Backed up {} to {}.", store.location(), file.display());
    Ok(())
}

pub async fn restore(global: &Global, file: &Path) -> anyhow::Result<()> {
    let url = global.database_url();
    if !url.starts_with("sqlite:") {
        bail!("restore replaces a SQLite database; for PostgreSQL use pg_restore");
    }
    if !file.is_file() {
        bail!("{} does not exist or is not a file", file.display());
    }
    let target = Path::new(url.trim_start_matches("sqlite://").trim_start_matches("sqlite:")).to_path_buf();
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;

    // Check the copy on a scratch file first: a file that is not a Tutti database must not
    // replace a good one.
    let scratch = dir.join(format!(".restore-{}.db", std::process::id()));
    std::fs::copy(file, &scratch).with_context(|| format!("cannot read {}", file.display()))?;
    let checked = async {
        if !tutti_store::is_tutti_sqlite(&scratch).await.map_err(|e| anyhow::anyhow!("{e}"))? {
            bail!("it holds no Tutti database");
        }
        let copy = tutti_store::Store::open(&format!("sqlite://{}", scratch.display())).await?;
        let n = tutti_store::users::count(&mut *copy.conn().await?).await?;
        copy.close().await;
        anyhow::Ok(n)
    }
    .await;
    let users = match checked {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&scratch);
            return Err(e.context(format!("{} is not a usable Tutti backup", file.display())));
        }
    };

    // Hold the lock while swapping, so that no server starts on a half-restored file.
    let _lock = match sqlite_lock(global, true) {
        Ok(l) => l,
        Err(e) => {
            let _ = std::fs::remove_file(&scratch);
            return Err(e);
        }
    };
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
        let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
    }
    std::fs::rename(&scratch, &target).with_context(|| format!("cannot replace {}", target.display()))?;
    println!("Restored {} into {} ({users} accounts).", file.display(), target.display());
    Ok(())
}

pub async fn demo(global: &Global, public_url: &str) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    if !matches!(actor, Actor::Operator) {
        bail!("tutti demo loads data for the whole instance; run it without --as");
    }
    let keys = keyring(global)?;
    let app = app.with_keys(keys.clone());
    let now = tutti_app::store::now_ms();
    let summary = app.load_demo(public_url, now).await.context("cannot load the demo")?;
    let connectors = tutti_worker::connectors::Connectors::new(keys, global.outbound());
    let name = tutti_worker::default_worker_name();
    let life = tutti_worker::demo::bring_to_life(&app, &connectors, &summary, &name, now)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bring the demo to life: {e}"))?;
    println!("Demo loaded: {} people in {} workspaces:", summary.people, summary.workspaces.len());
    for (slug, name) in &summary.workspaces {
        println!("  {name} (/w/{slug})");
    }
    println!(
        "This run: {} posts settled, {} inbox items read, {} listening mentions, {} alerts.",
        life.published, life.notifications, life.mentions, life.alerts
    );
    println!("Sign in with any of these accounts, password {}:", tutti_app::demo::DEMO_PASSWORD);
    println!("  {} (instance administrator)", tutti_app::demo::DEMO_ADMIN.0);
    for (email, name, roles) in tutti_app::demo::DEMO_PEOPLE {
        let roles: Vec<String> = roles.iter().map(|(ws, r)| format!("{r} in {ws}")).collect();
        println!("  {email} — {name}, {}", roles.join(", "));
    }
    println!("Their channels are demo channels: they publish nowhere. The demo network answers them");
    println!("(posts, likes, moderation, notifications) without any connection:");
    for (slug, handle) in &summary.channels {
        println!("  {handle} in /w/{slug}");
    }
    println!("Run `tutti serve`: scheduled posts go out to the demo network when due, and new");
    println!("messages keep arriving in the inbox. Running `tutti demo` again adds nothing twice.");
    Ok(())
}
