//! Handles for the Bluesky authors of mentions: a DID (`did:plc:…`, `did:web:…`) is resolved
//! to the handle its DID document claims, and the claim is kept only if the handle resolves
//! back to the same DID, so that a hostile DID document cannot pass itself off as someone
//! else's handle. Outcomes are cached in `identities` for a day.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tutti_store::{identities, now_ms, Store};

/// How long an outcome (a handle, or none) is trusted before resolving again.
const KEEP_MS: i64 = 86_400_000;

/// The largest DID document or answer read.
const MAX_BODY: usize = 64 * 1024;

/// Resolves DIDs to verified handles over HTTP.
#[derive(Debug, Clone)]
pub struct IdentityResolver {
    http: tutti_outbound::Client,
    /// The PLC directory (`https://plc.directory`, or a local one).
    pub plc_url: String,
    /// A service answering `com.atproto.identity.resolveHandle` (a PDS or an AppView).
    pub handle_service: String,
}

impl IdentityResolver {
    /// A resolver using these services, which the operator chose and are therefore allowed
    /// whatever their address; `did:web` documents are fetched under `outbound`, with
    /// redirects followed only on the same host.
    pub fn new(plc_url: &str, handle_service: &str, outbound: &tutti_outbound::Outbound) -> IdentityResolver {
        let http = outbound
            .with_urls([plc_url, handle_service])
            .client()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(5))
            .redirects(2)
            .build()
            .expect("HTTP client");
        IdentityResolver {
            http,
            plc_url: plc_url.trim_end_matches('/').to_owned(),
            handle_service: handle_service.trim_end_matches('/').to_owned(),
        }
    }

    /// The verified handle of `did`, or none when it cannot be found or verified.
    pub async fn resolve(&self, did: &str) -> Option<String> {
        let doc_url = if did.starts_with("did:plc:")
            && did.len() < 64
            && did[8..].chars().all(|c| c.is_ascii_alphanumeric())
        {
            format!("{}/{did}", self.plc_url)
        } else if let Some(host) = did.strip_prefix("did:web:") {
            if host.is_empty()
                || host.len() > 253
                || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                return None;
            }
            format!("https://{host}/.well-known/did.json")
        } else {
            return None;
        };
        let doc = self.get_json(&doc_url).await?;
        let handle = claimed_handle(&doc)?;
        let url = format!("{}/xrpc/com.atproto.identity.resolveHandle?handle={handle}", self.handle_service);
        let back = self.get_json(&url).await?;
        (back["did"].as_str() == Some(did)).then_some(handle)
    }

    async fn get_json(&self, url: &str) -> Option<serde_json::Value> {
        let mut r = match self.http.get(url).send().await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(%url, error = %e, "cannot fetch an identity document");
                return None;
            }
        };
        if !r.status().is_success() {
            return None;
        }
        let body = tutti_outbound::read_limited(&mut r, MAX_BODY).await.ok()?;
        serde_json::from_slice(&body).ok()
    }
}

/// The handle a DID document claims: its first `at://` entry of `alsoKnownAs` that is a valid
/// handle, in lower case. The document is read as JSON with serde_json's recursion limit (128
/// levels) and at most `MAX_BODY` bytes, so no document can exhaust the stack.
pub fn claimed_handle(doc: &serde_json::Value) -> Option<String> {
    Some(
        doc["alsoKnownAs"]
            .as_array()?
            .iter()
            .filter_map(|a| a.as_str()?.strip_prefix("at://"))
            .find(|h| valid_handle(h))?
            .to_ascii_lowercase(),
    )
}

/// A handle as the AT Protocol allows it: dot-separated labels of letters, digits and
/// hyphens, at most 253 characters, at least two labels.
pub fn valid_handle(h: &str) -> bool {
    let labels: Vec<&str> = h.split('.').collect();
    h.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_did_document_nested_a_hundred_thousand_deep_is_refused_cleanly() {
        // Read as `get_json` reads it, on a thread with a small stack.
        let deep =
            format!("{{\"alsoKnownAs\":{}\"at://a.example\"{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let e = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                serde_json::from_slice::<serde_json::Value>(deep.as_bytes()).unwrap_err().to_string()
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(e.contains("recursion limit exceeded"), "{e}");
        // 126 levels inside the document (127 with it) are read, and claim nothing.
        let deep = format!("{{\"alsoKnownAs\":{}\"at://a.example\"{}}}", "[".repeat(126), "]".repeat(126));
        let doc: serde_json::Value = serde_json::from_str(&deep).unwrap();
        assert_eq!(claimed_handle(&doc), None);
        let doc = serde_json::json!({"alsoKnownAs": ["https://x", "at://Alice.Example", "at://b.example"]});
        assert_eq!(claimed_handle(&doc).as_deref(), Some("alice.example"));
    }

    #[test]
    fn handles_are_checked_for_their_syntax() {
        for (h, ok) in [
            ("alice.bsky.social", true),
            ("maison-lumiere.fr", true),
            ("alice", false),
            ("-bad.example", false),
            ("a..b", false),
            ("évil.example", false),
            ("x.y/../z", false),
        ] {
            assert_eq!(valid_handle(h), ok, "{h}");
        }
    }
}
