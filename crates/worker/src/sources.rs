//! Running the listening sources inside `tutti listen`, `tutti serve` and `tutti worker`, with
//! one lease per source so that, however many processes are configured with the same
//! sources, each source is followed by exactly one of them at a time.
//!
//! A process that holds a source's lease renews it every [`RENEW_EVERY`]; one that dies stops
//! renewing, and after [`LEASE_MS`] another process takes the source over from its stored
//! cursor. A process that finds its lease taken stops following the source at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tutti_store::listening;
use tutti_store::{now_ms, Store, StoreError};

use crate::listener::Listener;

/// How long a source's lease lasts without renewal, ms.
pub const LEASE_MS: i64 = 30_000;

/// How often the holder renews a lease.
pub const RENEW_EVERY: Duration = Duration::from_secs(10);

/// How long a process waits before trying again for a lease another process holds.
const RETRY_EVERY: Duration = Duration::from_secs(10);

/// Which sources to follow.
#[derive(Debug, Clone, Default)]
pub struct SourceConfig {
    /// A Jetstream endpoint (`wss://…/subscribe`).
    pub jetstream: Option<String>,
    /// Ask Jetstream for zstd-compressed events (about half the bandwidth).
    pub jetstream_zstd: bool,
    /// AT Protocol services (a PDS or a relay) whose `subscribeRepos` firehose to follow.
    pub firehoses: Vec<String>,
    /// Mastodon timelines: `https://instance` (federated), `https://instance#local`, or
    /// `https://instance#tag` (a hashtag).
    pub mastodon: Vec<String>,
    /// The access token for Mastodon instances that require one.
    pub mastodon_token: Option<String>,
    /// RSS or Atom feeds.
    pub feeds: Vec<String>,
    /// Where Bluesky authors' handles are resolved: the PLC directory and a service that
    /// answers `resolveHandle`. None leaves authors as DIDs.
    pub identity: Option<crate::identity::IdentityResolver>,
    /// Time between two polls of a feed.
    pub feed_every: Duration,
    /// The outbound policy. The addresses above were typed by the operator, so their hosts
    /// are allowed on top of it; redirects, time and size limits still apply.
    pub outbound: tutti_outbound::Outbound,
}

impl SourceConfig {
    /// Whether no source is configured.
    pub fn is_empty(&self) -> bool {
        self.jetstream.is_none()
            && self.feeds.is_empty()
            && self.firehoses.is_empty()
            && self.mastodon.is_empty()
    }
}

/// Follows every configured source under its lease, and reloads the queries every few
/// seconds, until `shutdown`. Returns the first storage error a source could not survive.
pub async fn run_sources(
    listener: Arc<Listener>,
    config: SourceConfig,
    owner: String,
    shutdown: watch::Receiver<bool>,
) -> Result<(), StoreError> {
    let mut tasks = tokio::task::JoinSet::new();
    if let Some((resolver, queue)) = config.identity.clone().zip(listener.author_queue()) {
        let (store, rx) = (listener.store().clone(), shutdown.clone());
        tasks.spawn(async move {
            crate::identity::run_resolver(store, resolver, queue, rx).await;
            Ok(())
        });
    }
    {
        let (l, rx) = (listener.clone(), shutdown.clone());
        tasks.spawn(async move {
            l.keep_reloading(rx).await;
            Ok(())
        });
    }
    if let Some(endpoint) = config.jetstream.clone() {
        let zstd = config.jetstream_zstd;
        let l = listener.clone();
        let (owner, rx) = (owner.clone(), shutdown.clone());
        tasks.spawn(async move {
            leased(&l.store().clone(), "jetstream", &endpoint.clone(), &owner, rx, move |stop| {
                let (l, endpoint) = (l.clone(), endpoint.clone());
                async move {
                    l.run_jetstream(tutti_bluesky::Jetstream::new(endpoint).compressed(zstd), stop).await
                }
            })
            .await
        });
    }
    for service in config.firehoses.clone() {
        let l = listener.clone();
        let (owner, rx) = (owner.clone(), shutdown.clone());
        let firehose = tutti_bluesky::Firehose::for_service(&service);
        tasks.spawn(async move {
            let address = firehose.endpoint.clone();
            leased(&l.store().clone(), "firehose", &address, &owner, rx, move |stop| {
                let (l, firehose) = (l.clone(), firehose.clone());
                async move { l.run_firehose(firehose, stop).await }
            })
            .await
        });
    }
    for spec in config.mastodon.clone() {
        let streaming = match mastodon_stream(&spec, config.mastodon_token.clone(), &config.outbound) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(source = %spec, error = %e, "cannot follow this Mastodon timeline");
                continue;
            }
        };
        let l = listener.clone();
        let (owner, rx) = (owner.clone(), shutdown.clone());
        tasks.spawn(async move {
            let address = streaming.stream_url().to_string();
            leased(&l.store().clone(), "mastodon", &address, &owner, rx, move |stop| {
                let (l, streaming) = (l.clone(), streaming.clone());
                async move { l.run_mastodon(streaming, stop).await }
            })
            .await
        });
    }
    for url in config.feeds.clone() {
        let l = listener.clone();
        let (owner, rx, every) = (owner.clone(), shutdown.clone(), config.feed_every);
        let outbound = config.outbound.with_urls([url.as_str()]);
        tasks.spawn(async move {
            leased(&l.store().clone(), "rss", &url.clone(), &owner, rx, move |mut stop| {
                let (l, url, outbound) = (l.clone(), url.clone(), outbound.clone());
                async move {
                    let poller = tutti_feeds::FeedPoller::new(Duration::from_secs(20), &outbound);
                    loop {
                        tokio::select! {
                            polled = l.poll_feed(&poller, &url) => { polled?; }
                            _ = stop.changed() => return Ok(()),
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(every) => {}
                            _ = stop.changed() => return Ok(()),
                        }
                    }
                }
            })
            .await
        });
    }
    let mut first_error = None;
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Err(e)) if first_error.is_none() => first_error = Some(e),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "a listening source panicked"),
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// The Mastodon timeline a source spec names: `https://instance` (federated),
/// `https://instance#local`, `https://instance#tag`. The operator named the instance, so its
/// host is allowed on top of `outbound`.
pub fn mastodon_stream(
    spec: &str,
    token: Option<String>,
    outbound: &tutti_outbound::Outbound,
) -> Result<tutti_mastodon::Streaming, tutti_mastodon::ConfigError> {
    let (instance, fragment) = spec.split_once('#').unwrap_or((spec, ""));
    let stream = match fragment {
        "" => tutti_mastodon::Stream::Public,
        "local" => tutti_mastodon::Stream::PublicLocal,
        tag => tutti_mastodon::Stream::Hashtag(tag.to_owned()),
    };
    tutti_mastodon::Streaming::new(instance, stream, token, &outbound.with_urls([instance]))
}

/// Runs `run` while holding the lease on the source `kind`/`address`, taking it when free,
/// renewing it, and stopping `run` (through its stop signal) when the lease is lost or on
/// `shutdown`.
pub async fn leased<F, Fut>(
    store: &Store,
    kind: &str,
    address: &str,
    owner: &str,
    mut shutdown: watch::Receiver<bool>,
    run: F,
) -> Result<(), StoreError>
where
    F: Fn(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = Result<(), StoreError>> + Send + 'static,
{
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        if !take_lease(store, kind, address, owner).await? {
            tracing::debug!(kind, address, "another process follows this source");
            tokio::select! {
                _ = tokio::time::sleep(RETRY_EVERY) => continue,
                _ = shutdown.changed() => return Ok(()),
            }
        }
        tracing::info!(kind, address, owner, "following a listening source");
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut task = tokio::spawn(run(stop_rx));
        let finished = loop {
            tokio::select! {
                result = &mut task => break Some(result),
                _ = tokio::time::sleep(RENEW_EVERY) => {
                    if !take_lease(store, kind, address, owner).await? {
                        tracing::warn!(kind, address, "lost the lease on a source; another process follows it now");
                        break None;
                    }
                }
                _ = shutdown.changed() => break None,
            }
        };
        let result = match finished {
            Some(r) => r,
            None => {
                let _ = stop_tx.send(true);
                task.await
            }
        };
        release(store, kind, address, owner).await?;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(e) => tracing::error!(kind, address, error = %e, "a listening source panicked"),
        }
        if *shutdown.borrow() {
            return Ok(());
        }
    }
}

async fn take_lease(store: &Store, kind: &str, address: &str, owner: &str) -> Result<bool, StoreError> {
    let now = now_ms();
    let mut tx = store.begin().await?;
    let held = listening::lease_source(&mut tx, kind, address, owner, now, now + LEASE_MS).await?;
    tx.commit().await?;
    Ok(held)
}

async fn release(store: &Store, kind: &str, address: &str, owner: &str) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    listening::release_source(&mut tx, kind, address, owner).await?;
    tx.commit().await?;
    Ok(())
}
