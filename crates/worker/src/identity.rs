//! Handles for the Bluesky authors of mentions, resolved in the background by
//! [`tutti_bluesky::identity::IdentityResolver`] (a DID to the handle its document claims,
//! verified back) and cached in `identities` for a day.

use tokio::sync::{mpsc, watch};
pub use tutti_bluesky::identity::{claimed_handle, valid_handle, IdentityResolver};
use tutti_store::{identities, now_ms, Store};

/// How long an outcome (a handle, or none) is trusted before resolving again.
const KEEP_MS: i64 = 86_400_000;

/// Resolves the DIDs sent on `dids` that were not resolved in the last day, one at a time,
/// until `shutdown`.
pub async fn run_resolver(
    store: Store,
    resolver: IdentityResolver,
    mut dids: mpsc::Receiver<String>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let did = tokio::select! {
            d = dids.recv() => match d { Some(d) => d, None => return },
            _ = shutdown.changed() => return,
        };
        let fresh = match store.conn().await {
            Ok(mut c) => identities::resolved_since(&mut c, &did, now_ms() - KEEP_MS).await.unwrap_or(false),
            Err(_) => false,
        };
        if fresh {
            continue;
        }
        let handle = resolver.resolve(&did).await;
        let saved = async {
            let mut tx = store.begin().await?;
            identities::save(&mut tx, &did, handle.as_deref(), now_ms()).await?;
            tx.commit().await?;
            Ok::<(), tutti_store::StoreError>(())
        };
        if let Err(e) = saved.await {
            tracing::warn!(%did, error = %e, "cannot save a resolved handle");
        }
    }
}
