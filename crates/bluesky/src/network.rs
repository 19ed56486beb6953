//! Bluesky as a network Tutti knows ([`NetworkKind`]): its limits, a [`Tid`] as each post's
//! record key, the mentions the publisher's facets will link, handles resolved with
//! `com.atproto.identity.resolveHandle`, and [`XrpcClient`] as a channel's connector.

use std::sync::Arc;
use std::time::Duration;
use tutti_outbound::Clients as _;

use async_trait::async_trait;
use tutti_connector::{
    ChannelAccess, Connector, ConnectorError, Counting, Limits, Mention, Network, NetworkKind, ReadBudget,
};

use crate::xrpc::{detect_facets, FacetKind, Tid, XrpcClient, MAX_IMAGES, MAX_IMAGE_BYTES, MAX_LANGS};
use crate::xrpc::{MAX_POST_BYTES, MAX_POST_GRAPHEMES};

/// Bluesky's limits on a post.
pub const LIMITS: Limits = Limits {
    text_max: MAX_POST_GRAPHEMES,
    counting: Counting::Graphemes,
    text_max_bytes: Some(MAX_POST_BYTES),
    images_max: MAX_IMAGES,
    image_max_bytes: MAX_IMAGE_BYTES,
    alt_max_chars: 2_000,
    langs_max: MAX_LANGS,
};

/// How long a lookup made while a person waits may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Bluesky, over the AT Protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bluesky;

#[async_trait]
impl NetworkKind for Bluesky {
    fn network(&self) -> Network {
        Network::Bluesky
    }

    fn limits(&self) -> Limits {
        LIMITS
    }

    /// `getPosts` answers 25 posts a call; 600 calls per five minutes is a fifth of the
    /// AppView's 3,000 requests per five minutes and address.
    fn read_budget(&self) -> ReadBudget {
        ReadBudget { posts_per_call: 25, calls_per_5_min: 600 }
    }

    fn new_idempotency_key(&self) -> String {
        Tid::now().to_string()
    }

    fn mentions(&self, text: &str, _service: &str) -> Vec<Mention> {
        detect_facets(text)
            .into_iter()
            .filter_map(|f| match f.kind {
                FacetKind::Mention(handle) => Some(Mention { start: f.start, account: handle }),
                _ => None,
            })
            .collect()
    }

    async fn resolve_account(
        &self,
        outbound: &tutti_outbound::Outbound,
        service: &str,
        account: &str,
    ) -> Result<Option<String>, ConnectorError> {
        let http = outbound
            .client()
            .timeout(LOOKUP_TIMEOUT)
            .connect_timeout(LOOKUP_TIMEOUT)
            .build()
            .map_err(|e| ConnectorError::Transient(e.to_string()))?;
        crate::identity::resolve_handle(&http, service, account).await
    }

    fn is_own_post(&self, account_id: &str, post: &str) -> Option<bool> {
        Some(
            post.strip_prefix("at://")
                .and_then(|rest| rest.strip_prefix(account_id))
                .is_some_and(|rest| rest.starts_with('/')),
        )
    }

    fn open(
        &self,
        channel: &ChannelAccess<'_>,
        outbound: &tutti_outbound::Outbound,
    ) -> Result<Arc<dyn Connector>, String> {
        let secret = (channel.secret)()?;
        let client =
            XrpcClient::new(channel.service, channel.handle, &secret, outbound).map_err(|e| e.to_string())?;
        Ok(Arc::new(client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mentions_checked_are_the_publishers() {
        let found = Bluesky.mentions("Hi @alice.test and @nothandle", "https://pds.example");
        assert_eq!(found, vec![Mention { start: 3, account: "alice.test".into() }]);
    }

    #[test]
    fn keys_are_record_keys() {
        let (a, b) = (Bluesky.new_idempotency_key(), Bluesky.new_idempotency_key());
        assert_eq!(a.len(), 13);
        assert_ne!(a, b);
        assert!(Tid::parse(&a).is_some(), "{a}");
    }
}
