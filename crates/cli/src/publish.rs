//! Publishing commands: channels, posts, and the key ring that seals channel credentials.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use tutti_app::publishing::{ChannelToAdd, PostToWrite};
use tutti_app::store::publishing::PostMedia;
use tutti_domain::Network;

use crate::context::{app, keyring, keyring_path, write_private, Global};

#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// Connect an account.
    #[command(subcommand)]
    Add(AddChannel),
    /// Give a channel new credentials after the network refused its old ones (read from
    /// standard input: an app password or an access token).
    Reconnect {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The channel, by handle or id.
        #[arg(long)]
        handle: String,
        /// Read the new app password or token from standard input.
        #[arg(long, required = true)]
        secret_stdin: bool,
    },
    /// List a workspace's channels.
    List {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a channel's weekly queue slots, or replace them with --set (SMMs and admins).
    Slots {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The channel, by handle or id.
        #[arg(long)]
        handle: String,
        /// The new slots, in the workspace's time zone: "mon 09:00, wed 12:30, fri 17:00"
        /// (an empty string clears them).
        #[arg(long, conflicts_with = "best")]
        set: Option<String>,
        /// Set the slots to the channel's N best times to post (`tutti analytics best-times`).
        #[arg(long, value_name = "N")]
        best: Option<usize>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AddChannel {
    /// A Bluesky account, with an app password read from standard input.
    Bluesky {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The account's handle.
        #[arg(long)]
        handle: String,
        /// Read the app password from standard input.
        #[arg(long, required = true)]
        app_password_stdin: bool,
        /// The account's service (its PDS or entryway).
        #[arg(long, default_value = "https://bsky.social")]
        service: String,
        /// Make it an ambassador channel: this member's own account, only they publish
        /// through it.
        #[arg(long)]
        ambassador: Option<String>,
    },
    /// A Mastodon account, with an access token read from standard input.
    Mastodon {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The instance (https://mastodon.example).
        #[arg(long)]
        instance: String,
        /// Read the access token from standard input.
        #[arg(long, required = true)]
        token_stdin: bool,
        /// Make it an ambassador channel.
        #[arg(long)]
        ambassador: Option<String>,
    },
    /// An account on any network Tutti knows, with its secret (an app password, an access
    /// token) read from standard input.
    Account {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The network's name (`bluesky`, `mastodon`, …).
        #[arg(long)]
        network: String,
        /// The account's service: its server's address.
        #[arg(long)]
        service: String,
        /// The account's handle, on networks that sign in with one.
        #[arg(long, default_value = "")]
        handle: String,
        /// Read the secret from standard input.
        #[arg(long, required = true)]
        secret_stdin: bool,
        /// Make it an ambassador channel.
        #[arg(long)]
        ambassador: Option<String>,
    },
}

/// A channel to connect, as the command line names it.
struct Connecting {
    workspace: String,
    network: String,
    service: String,
    handle: String,
    ambassador: Option<String>,
}

impl From<AddChannel> for Connecting {
    fn from(add: AddChannel) -> Connecting {
        match add {
            AddChannel::Bluesky { workspace, handle, service, ambassador, .. } => Connecting {
                workspace,
                network: Network::Bluesky.as_str().into(),
                service,
                handle,
                ambassador,
            },
            AddChannel::Mastodon { workspace, instance, ambassador, .. } => Connecting {
                workspace,
                network: Network::Mastodon.as_str().into(),
                service: instance,
                handle: String::new(),
                ambassador,
            },
            AddChannel::Account { workspace, network, service, handle, ambassador, .. } => {
                Connecting { workspace, network, service, handle, ambassador }
            }
        }
    }
}

/// Reads a secret from standard input; `what` names it in the error.
fn secret_from_stdin(what: &str) -> anyhow::Result<String> {
    let mut secret = String::new();
    std::io::stdin().read_to_string(&mut secret).with_context(|| format!("cannot read the {what}"))?;
    let secret = secret.trim().to_owned();
    anyhow::ensure!(!secret.is_empty(), "the {what} is empty");
    Ok(secret)
}

/// Signs in to the account through its network's kind, as the registry knows it: who it is, or
/// why not (the service, or the credentials, refused).
async fn verified(
    app: &tutti_app::App,
    global: &Global,
    network: &str,
    service: &str,
    handle: &str,
    secret: &str,
) -> anyhow::Result<tutti_connector::AccountProfile> {
    let networks = app.networks();
    let kind = networks.get(network).with_context(|| {
        format!(
            "--network: Tutti does not know {network:?} (it knows {})",
            networks.names().collect::<Vec<_>>().join(", ")
        )
    })?;
    let secret = || Ok(secret.to_owned());
    let access =
        tutti_connector::ChannelAccess { service, handle: handle.trim_start_matches('@'), secret: &secret };
    let client = kind.open(&access, &global.outbound()).map_err(|e| anyhow::anyhow!("--service: {e}"))?;
    let who = if handle.is_empty() { service } else { handle };
    client.verify().await.map_err(|e| anyhow::anyhow!("{who}: {e}"))
}

#[derive(Debug, Subcommand)]
pub enum PostCommand {
    /// Write a post; it is scheduled (or sent for review, for contributors).
    Create {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The channel, by handle or id.
        #[arg(long)]
        channel: String,
        /// The text.
        #[arg(long)]
        text: String,
        /// When to publish (RFC 3339); without it, as soon as possible.
        #[arg(long)]
        at: Option<String>,
        /// Languages (fr, en), comma-separated.
        #[arg(long, value_delimiter = ',')]
        lang: Vec<String>,
        /// An image (repeat for several, each followed by its --alt).
        #[arg(long)]
        image: Vec<PathBuf>,
        /// The alt text of each image, in order.
        #[arg(long)]
        alt: Vec<String>,
        /// Continue a thread: the post (id) of the same channel this one replies to; it goes
        /// out once that one is published.
        #[arg(long)]
        reply_to: Option<i64>,
        /// Take the channel's next free queue slot (see `tutti channel slots`).
        #[arg(long, conflicts_with = "at")]
        queue: bool,
    },
    /// Import posts from a CSV file with the columns date, time, channel, text, link, image,
    /// alt (dates and times in the workspace's time zone; image paths relative to the file).
    /// One bad row rejects the whole file, with every problem named by row and column.
    Import {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The CSV file.
        file: PathBuf,
    },
    /// Approve a post in review (SMMs and admins): it is scheduled.
    Approve {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The post's id.
        post: i64,
    },
    /// Send a post in review back to its author, with a comment.
    SendBack {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The post's id.
        post: i64,
        /// What to change.
        #[arg(long)]
        comment: String,
    },
    /// Show which roles publish without review, or set them with --set (SMMs and admins):
    /// any of admin, smm, cm; contributors always go through review.
    ReviewRule {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The roles, comma-separated ("smm,admin"); an empty string sends every post to review.
        #[arg(long)]
        set: Option<String>,
    },
    /// List a workspace's posts.
    List {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Make a new secret iCalendar address for the workspace's schedule (the old one stops
    /// working) and print it.
    Feed {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The address people open Tutti at.
        #[arg(long, env = "TUTTI_PUBLIC_URL", default_value = "http://localhost:8080")]
        public_url: String,
    },
}

pub async fn calendar(global: &Global, command: CalendarCommand) -> anyhow::Result<()> {
    let CalendarCommand::Feed { workspace, public_url } = command;
    let (app, actor) = app(global).await?;
    let token = app.new_calendar_feed(&actor, &workspace).await?;
    println!("{}/ical/{token}.ics", public_url.trim_end_matches('/'));
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a new key, re-encrypt every channel's credentials with it, and drop the old keys.
    Rotate,
}

pub async fn channel(global: &Global, command: ChannelCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    match command {
        ChannelCommand::Add(add) => {
            let what = match &add {
                AddChannel::Bluesky { .. } => "app password",
                AddChannel::Mastodon { .. } => "access token",
                AddChannel::Account { .. } => "secret",
            };
            let c = Connecting::from(add);
            let secret = secret_from_stdin(what)?;
            let profile = verified(&app, global, &c.network, &c.service, &c.handle, &secret).await?;
            let keys = keyring(global)?;
            let added = app
                .add_channel(
                    &actor,
                    &keys,
                    &c.workspace,
                    &ChannelToAdd {
                        network: c.network,
                        handle: profile.handle.clone(),
                        service: c.service,
                        account_id: Some(profile.account_id),
                        secret,
                        ambassador: c.ambassador,
                    },
                )
                .await?;
            println!(
                "Connected {} ({} voice) to {} as channel {}.",
                added.handle, added.voice, c.workspace, added.id
            );
        }
        ChannelCommand::Reconnect { workspace, handle, secret_stdin: _ } => {
            let secret = secret_from_stdin("new secret")?;
            let existing = app.channels(&actor, &workspace).await?;
            let c = tutti_app::publishing::find_channel(&existing, &handle)
                .with_context(|| format!("--handle: no channel {handle:?} in {workspace}"))?;
            verified(&app, global, c.network.as_str(), &c.service, &c.handle, &secret).await?;
            let back = app.reconnect_channel(&actor, &keyring(global)?, &workspace, &handle, &secret).await?;
            println!("{} is connected again; its waiting posts will go out.", back.handle);
        }
        ChannelCommand::List { workspace, json } => {
            let list = app.channels(&actor, &workspace).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for c in list {
                    println!("{}\t{}\t{}\t{}\t{}", c.id, c.network, c.handle, c.voice, c.status);
                }
            }
        }
        ChannelCommand::Slots { workspace, handle, set, best } => {
            let set = match best {
                None => set,
                Some(n) => {
                    let best = app.best_times(&actor, &workspace, &handle, n).await?;
                    anyhow::ensure!(
                        !best.best.is_empty(),
                        "{handle} has neither posts nor community activity to go on yet"
                    );
                    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
                    let text: Vec<String> = best
                        .best
                        .iter()
                        .map(|s| format!("{} {:02}:00", DAYS[usize::from(s.weekday)], s.hour))
                        .collect();
                    Some(text.join(", "))
                }
            };
            let slots = match set {
                None => app.queue_slots(&actor, &workspace, &handle).await?,
                Some(text) => {
                    let slots = tutti_app::queues::parse_slots(&text)?;
                    app.set_queue_slots(&actor, &workspace, &handle, &slots).await?
                }
            };
            if slots.is_empty() {
                println!("{handle} has no queue slots.");
            } else {
                println!("{}", tutti_app::queues::format_slots(&slots));
            }
        }
    }
    Ok(())
}

pub async fn post(global: &Global, command: PostCommand) -> anyhow::Result<()> {
    let (app, actor) = app(global).await?;
    match command {
        PostCommand::Create { workspace, channel, text, at, lang, image, alt, reply_to, queue } => {
            anyhow::ensure!(
                alt.len() <= image.len(),
                "--alt: {} alt texts for {} images",
                alt.len(),
                image.len()
            );
            let mut images = Vec::new();
            for (i, path) in image.iter().enumerate() {
                let bytes = std::fs::read(path).with_context(|| format!("--image {}", path.display()))?;
                let mime =
                    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
                        Some("png") => "image/png",
                        Some("jpg" | "jpeg") => "image/jpeg",
                        Some("webp") => "image/webp",
                        Some("gif") => "image/gif",
                        _ => anyhow::bail!("--image {}: not a PNG, JPEG, WebP or GIF file", path.display()),
                    };
                images.push(PostMedia {
                    mime: mime.into(),
                    bytes,
                    alt: alt.get(i).cloned().unwrap_or_default(),
                });
            }
            let post = app
                .create_post(
                    &actor,
                    &workspace,
                    &PostToWrite { channel, text, at, langs: lang, images, reply_to, queue },
                    tutti_app::store::now_ms(),
                )
                .await?;
            println!("Post {} is {} (key {}).", post.id, post.status, post.idempotency_key);
        }
        PostCommand::Import { workspace, file } => {
            let rows = read_import(&file)?;
            let n = app.import_posts(&actor, &workspace, &rows, tutti_app::store::now_ms()).await?;
            println!("Imported {n} posts into {workspace}.");
        }
        PostCommand::Approve { workspace, post } => {
            let p = app.approve_post(&actor, &workspace, post).await?;
            println!("Post {} is {}.", p.id, p.status);
        }
        PostCommand::SendBack { workspace, post, comment } => {
            let p = app.send_back_post(&actor, &workspace, post, &comment).await?;
            println!("Post {} is back to {}.", p.id, p.status);
        }
        PostCommand::ReviewRule { workspace, set } => {
            let roles = match set {
                None => app.direct_roles(&actor, &workspace).await?,
                Some(text) => {
                    let roles = text
                        .split(',')
                        .map(str::trim)
                        .filter(|r| !r.is_empty())
                        .map(|r| tutti_domain::Role::parse(r, "set"))
                        .collect::<Result<Vec<_>, _>>()?;
                    app.set_direct_roles(&actor, &workspace, &roles).await?
                }
            };
            if roles.is_empty() {
                println!("Every post of {workspace} goes through review.");
            } else {
                let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                println!("Published without review in {workspace}: {}.", names.join(", "));
            }
        }
        PostCommand::List { workspace, json } => {
            let list = app.posts(&actor, &workspace, 500).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for p in list {
                    let when = p
                        .scheduled_at
                        .and_then(chrono::DateTime::from_timestamp_millis)
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "now".into());
                    println!(
                        "{}\t{}\t{when}\t{}\t{}",
                        p.id,
                        p.status,
                        p.remote_url.or(p.error).unwrap_or_default(),
                        p.text.chars().take(60).collect::<String>()
                    );
                }
            }
        }
    }
    Ok(())
}

pub async fn key(global: &Global, command: KeyCommand) -> anyhow::Result<()> {
    let KeyCommand::Rotate = command;
    anyhow::ensure!(
        std::env::var_os("TUTTI_SECRET_KEYS").is_none(),
        "the keys come from TUTTI_SECRET_KEYS: rotate them where that variable is set"
    );
    let (app, actor) = app(global).await?;
    let rotated = keyring(global)?.rotated();
    // The ring with both keys is written first, so that a crash before the commit loses nothing.
    write_private(&keyring_path(global), &rotated.to_text())?;
    let n = app.rotate_credentials(&actor, &rotated).await?;
    write_private(&keyring_path(global), &rotated.current_only().to_text())?;
    println!("Re-encrypted the credentials of {n} channels with the key {}.", rotated.current_id());
    Ok(())
}

/// Reads an import file (see `tutti_app::import::read_csv`); each row's image is read from a
/// path relative to the file.
fn read_import(path: &Path) -> anyhow::Result<Vec<tutti_app::import::RowToImport>> {
    use std::io::Read as _;
    use tutti_app::import::{read_csv, MAX_IMPORT_BYTES};
    let mut data = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_IMPORT_BYTES as u64 + 1).read_to_end(&mut data))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let rows = read_csv(&data).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(rows
        .into_iter()
        .map(|row| {
            let image = row.image_path().map(|image_path| {
                let p = base.join(image_path);
                let mime =
                    match p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
                        Some("png") => "image/png",
                        Some("jpg" | "jpeg") => "image/jpeg",
                        Some("webp") => "image/webp",
                        Some("gif") => "image/gif",
                        _ => return Err(format!("{image_path} is not a PNG, JPEG, WebP or GIF file")),
                    };
                std::fs::read(&p)
                    .map(|bytes| PostMedia { mime: mime.into(), bytes, alt: row.fields[6].clone() })
                    .map_err(|e| format!("cannot read {image_path}: {e}"))
            });
            row.into_row(image)
        })
        .collect())
}
