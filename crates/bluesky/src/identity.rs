//! Bluesky identities: a handle resolved to its DID (`com.atproto.identity.resolveHandle`, the
//! lookup the mention checks and the identity resolver share), and
//! a DID (`did:plc:…`, `did:web:…`) resolved to the handle its DID document claims, the claim
//! kept only if the handle resolves back to the same DID, so that a hostile DID document cannot
//! pass itself off as someone else's handle.

use std::time::Duration;
use tutti_outbound::Clients as _;

use tutti_connector::ConnectorError;

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
        let back = resolve_handle(&self.http, &self.handle_service, &handle).await.ok()??;
        (back == did).then_some(handle)
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

/// The DID of `handle` as `service` (a PDS or an AppView) resolves it with
/// `com.atproto.identity.resolveHandle`: `None` when it answers that it cannot (400, the
/// network's "Unable to resolve handle"); an error when it could not be asked or answered
/// anything else. The answer is read up to 64 KiB.
pub async fn resolve_handle(
    http: &tutti_outbound::Client,
    service: &str,
    handle: &str,
) -> Result<Option<String>, ConnectorError> {
    let handle = handle.trim_start_matches('@').to_ascii_lowercase();
    let url = format!("{}/xrpc/com.atproto.identity.resolveHandle", service.trim_end_matches('/'));
    let mut r = http
        .get(url)
        .query(&[("handle", handle.as_str())])
        .send()
        .await
        .map_err(|e| ConnectorError::Transient(e.to_string()))?;
    if r.status() == reqwest::StatusCode::BAD_REQUEST {
        return Ok(None);
    }
    if !r.status().is_success() {
        return Err(ConnectorError::Transient(format!("resolveHandle answered {}", r.status())));
    }
    let body = tutti_outbound::read_limited(&mut r, MAX_BODY)
        .await
        .map_err(|e| ConnectorError::Transient(e.to_string()))?;
    let answer: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ConnectorError::Transient(e.to_string()))?;
    match answer["did"].as_str().filter(|d| d.starts_with("did:")) {
        Some(did) => Ok(Some(did.to_owned())),
        None => Err(ConnectorError::Transient("resolveHandle answered without a DID".into())),
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
