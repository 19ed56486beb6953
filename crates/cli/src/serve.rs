//! `tutti serve` and `tutti worker`: the long-running processes.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::sync::watch;
use tutti_app::App;
use tutti_store::Store;
use tutti_web::{AppState, WebConfig};
use tutti_worker::{default_worker_name, Worker};

use crate::context::{keyring, open, sqlite_lock, Global};

/// Options of `tutti serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "TUTTI_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Do not run the background worker in this process (run `tutti worker` separately).
    #[arg(long)]
    no_worker: bool,
    /// Send cookies without the Secure flag, for plain HTTP on a host other than localhost.
    #[arg(long, env = "TUTTI_INSECURE_COOKIES")]
    insecure_cookies: bool,
    /// Serve Prometheus metrics at /metrics to callers that send this bearer token (without
    /// it, /metrics is not served).
    #[arg(long, env = "TUTTI_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Reverse proxies whose X-Forwarded-For header names the client: addresses or CIDR
    /// blocks, comma-separated (from anyone else the header is ignored).
    #[arg(long = "trusted-proxy", env = "TUTTI_TRUSTED_PROXY", value_delimiter = ',', value_parser = tutti_web::parse_trusted_proxy)]
    trusted_proxies: Vec<tutti_web::IpNet>,
    #[command(flatten)]
    worker: WorkerArgs,
}

/// Options of the background worker, in `tutti serve` and `tutti worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    sources: crate::listen::SourceArgs,
    /// The address people open Tutti at, for links in alerts, invitations and reports.
    #[arg(long, env = "TUTTI_PUBLIC_URL", default_value = "http://localhost:8080")]
    public_url: String,
    /// SMTP server for alert e-mails (none: alerts are not e-mailed).
    #[arg(long, env = "TUTTI_SMTP_HOST")]
    smtp_host: Option<String>,
    /// SMTP port.
    #[arg(long, env = "TUTTI_SMTP_PORT", default_value_t = 587)]
    smtp_port: u16,
    /// SMTP security: starttls, tls or none.
    #[arg(long, env = "TUTTI_SMTP_SECURITY", default_value = "starttls")]
    smtp_security: String,
    /// SMTP user name.
    #[arg(long, env = "TUTTI_SMTP_USERNAME")]
    smtp_username: Option<String>,
    /// SMTP password.
    #[arg(long, env = "TUTTI_SMTP_PASSWORD", hide_env_values = true)]
    smtp_password: Option<String>,
    /// The sender of alert e-mails.
    #[arg(long, env = "TUTTI_SMTP_FROM", default_value = "tutti@localhost")]
    smtp_from: String,
}

impl WorkerArgs {
    /// Links and the SMTP server for alerts; a malformed SMTP setting names its option.
    fn alerting(&self) -> anyhow::Result<tutti_worker::alerting::AlertingConfig> {
        let smtp = match &self.smtp_host {
            None => None,
            Some(host) => {
                let security = match self.smtp_security.as_str() {
                    "starttls" => tutti_alerts::SmtpSecurity::StartTls,
                    "tls" => tutti_alerts::SmtpSecurity::Tls,
                    "none" => tutti_alerts::SmtpSecurity::None,
                    other => anyhow::bail!("--smtp-security: {other:?} is not starttls, tls or none"),
                };
                let settings = tutti_alerts::SmtpSettings {
                    host: host.clone(),
                    port: self.smtp_port,
                    security,
                    username: self.smtp_username.clone(),
                    password: self.smtp_password.clone(),
                    from: self.smtp_from.clone(),
                };
                settings.validate().map_err(|e| anyhow::anyhow!("SMTP settings: {e}"))?;
                Some(settings)
            }
        };
        Ok(tutti_worker::alerting::AlertingConfig {
            public_url: self.public_url.clone(),
            smtp,
            ..Default::default()
        })
    }
}

/// Starts what a worker process runs: the job loop, and the listening sources when some are
/// configured. Returns the tasks to wait for after `stop` turns true.
async fn start_worker(
    global: &Global,
    store: &Store,
    args: &WorkerArgs,
    keys: tutti_app::secrets::Keyring,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let name = default_worker_name();
    let outbound = global.outbound();
    let connectors = tutti_worker::connectors::Connectors::new(keys.clone(), outbound.clone());
    let alerting = tutti_worker::alerting::AlertingConfig {
        outbound: outbound.clone(),
        keys: Some(keys),
        ..args.alerting()?
    };
    let worker =
        Worker::new(store.clone(), name.clone()).with_alerting(alerting).with_connectors(connectors.clone());
    let publisher =
        tutti_worker::publisher::Publisher::with_connectors(store.clone(), name.clone(), connectors.clone());
    let inbox = tutti_worker::inbox::InboxPoller::new(store.clone(), name.clone(), connectors);
    let mut tasks = vec![
        tokio::spawn(worker.run(stop.clone())),
        tokio::spawn(publisher.run(stop.clone())),
        tokio::spawn(inbox.run(stop.clone())),
    ];
    let config = args.sources.config(&outbound);
    if !config.is_empty() {
        let listener = std::sync::Arc::new(tutti_worker::listener::Listener::load(store.clone()).await?);
        tasks.push(tokio::spawn(async move {
            if let Err(e) = tutti_worker::sources::run_sources(listener, config, name, stop).await {
                tracing::error!(error = %e, "listening stopped");
            }
        }));
    }
    Ok(tasks)
}

/// The instance's key ring, and the application that seals with it, after sealing the alert
/// webhook secrets that a database made before they were sealed still holds in clear (once:
/// the next start finds none). Run once per process, before the web server and the worker.
async fn app_with_sealed_secrets(
    global: &Global,
    store: &Store,
) -> anyhow::Result<(App, tutti_app::secrets::Keyring)> {
    let keys = keyring(global)?;
    let app = App::new(store.clone(), global.app_config()).with_keys(keys.clone());
    let sealed = app.seal_clear_webhook_secrets(&keys).await.context("cannot seal the webhook secrets")?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed the alert webhook secrets kept in clear by an earlier version");
    }
    Ok((app, keys))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Runs the web server (and, unless told otherwise, the worker) until interrupted.
pub async fn serve(global: &Global, args: ServeArgs) -> anyhow::Result<()> {
    let store = open(global).await?;
    let _lock = sqlite_lock(global, false)?;
    let (app, keys) = app_with_sealed_secrets(global, &store).await?;
    // The spelling dictionaries load in the background, so that the composer's first check
    // does not wait for them.
    tokio::task::spawn_blocking(|| tutti_app::charter::preload(&tutti_app::charter::Lang::ALL));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // Browsers treat localhost as a secure origin, so Secure cookies work there over HTTP.
    let host = if addr.ip().is_loopback() { format!("localhost:{}", addr.port()) } else { addr.to_string() };
    println!("Tutti is listening on http://{addr} (database: {})", store.location());
    if let Some(secret) = app.issue_setup_token().await? {
        println!("First run: create the administrator at http://{host}/setup?token={secret}");
    }
    tracing::info!(%addr, database = store.location(), "server started");

    let (stop_tx, stop_rx) = watch::channel(false);
    let workers = if args.no_worker {
        Vec::new()
    } else {
        start_worker(global, &store, &args.worker, keys, stop_rx).await?
    };
    let config = WebConfig {
        secure_cookies: !args.insecure_cookies,
        hsts: args.worker.public_url.starts_with("https://"),
        metrics_token: args.metrics_token.clone().filter(|t| !t.is_empty()),
        public_url: args.worker.public_url.clone(),
        trusted_proxies: args.trusted_proxies,
    };
    let state = AppState::new(app, config);
    tutti_web::serve(listener, state, shutdown_signal()).await.context("the web server stopped")?;
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    store.close().await;
    tracing::info!("server stopped");
    Ok(())
}

/// Runs only the worker until interrupted.
pub async fn worker(global: &Global, args: WorkerArgs) -> anyhow::Result<()> {
    let store = open(global).await?;
    let _lock = sqlite_lock(global, false)?;
    let (_, keys) = app_with_sealed_secrets(global, &store).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    println!("Tutti worker started (database: {})", store.location());
    let tasks = start_worker(global, &store, &args, keys, stop_rx).await?;
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    store.close().await;
    Ok(())
}
