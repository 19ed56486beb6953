//! One connector per channel, opened from its sealed credentials and shared by the publisher,
//! the inbox poller and the jobs that act on the networks, so that a channel's session (and
//! its refreshes) is one.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;
use tutti_app::secrets::Keyring;
use tutti_bluesky::XrpcClient;
use tutti_connector::{Connector, Network};
use tutti_store::publishing::Channel;

/// The connectors of every channel this process talks to.
#[derive(Clone)]
pub struct Connectors {
    keys: Keyring,
    outbound: tutti_outbound::Outbound,
    open: Arc<Mutex<HashMap<i64, Arc<dyn Connector>>>>,
}

impl std::fmt::Debug for Connectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connectors").finish_non_exhaustive()
    }
}

impl Connectors {
    /// Connectors opening credentials with `keys` and calling only the addresses `outbound`
    /// allows (a channel's service is given by whoever added the channel).
    pub fn new(keys: Keyring, outbound: tutti_outbound::Outbound) -> Connectors {
        Connectors { keys, outbound, open: Arc::default() }
    }

    /// The outbound policy of the channels' connections.
    pub fn outbound(&self) -> &tutti_outbound::Outbound {
        &self.outbound
    }

    /// The connector of `channel`, opened on first use; the error says why it cannot be.
    pub async fn get(&self, channel: &Channel) -> Result<Arc<dyn Connector>, String> {
        let mut open = self.open.lock().await;
        if let Some(c) = open.get(&channel.id) {
            return Ok(c.clone());
        }
        // A demo channel publishes nowhere: the demo network answers every call, with no
        // credentials and no connection.
        if tutti_demo::is_demo(&channel.service) {
            let demo = tutti_demo::DemoConnector::open(&channel.service, &channel.handle)
                .ok_or_else(|| format!("{} is not a channel of the demo", channel.handle))?;
            let client: Arc<dyn Connector> = Arc::new(demo);
            open.insert(channel.id, client.clone());
            return Ok(client);
        }
        let secret = self.keys.open(&channel.key_id, &channel.credentials).map_err(|e| e.to_string())?;
        let client: Arc<dyn Connector> = match channel.network {
            Network::Bluesky => Arc::new(
                XrpcClient::new(&channel.service, &channel.handle, &secret, &self.outbound)
                    .map_err(|e| e.to_string())?,
            ),
            Network::Mastodon => Arc::new(
                tutti_mastodon::MastodonClient::new(&channel.service, &secret, &self.outbound)
                    .map_err(|e| e.to_string())?,
            ),
        };
        open.insert(channel.id, client.clone());
        Ok(client)
    }

    /// The opened credentials of `channel` (a Mastodon access token, a Bluesky app password),
    /// for the streams that need them besides its connector.
    pub fn secret(&self, channel: &Channel) -> Result<String, String> {
        self.keys.open(&channel.key_id, &channel.credentials).map_err(|e| e.to_string())
    }

    /// Drops the connector of a channel (its credentials changed or were refused).
    pub async fn forget(&self, channel_id: i64) {
        self.open.lock().await.remove(&channel_id);
    }
}
