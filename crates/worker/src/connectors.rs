//! One connector per channel, opened from its sealed credentials by its network's kind (the
//! registered [`Networks`]) and shared by the publisher, the inbox poller and the jobs that act
//! on the networks, so that a channel's session (and its refreshes) is one.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;
use tutti_app::secrets::Keyring;
use tutti_connector::{ChannelAccess, Connector, Networks};
use tutti_store::publishing::Channel;

/// The connectors of every channel this process talks to.
#[derive(Clone)]
pub struct Connectors {
    keys: Keyring,
    outbound: tutti_outbound::Outbound,
    networks: Networks,
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
        Connectors { keys, outbound, networks: tutti_networks::registry().clone(), open: Arc::default() }
    }

    /// The networks channels are reached through.
    pub fn networks(&self) -> &Networks {
        &self.networks
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
        let network = self
            .networks
            .of_channel(channel.network, &channel.service)
            .ok_or_else(|| format!("Tutti does not talk to {}", channel.network))?;
        let secret = || self.secret(channel);
        let access = ChannelAccess { service: &channel.service, handle: &channel.handle, secret: &secret };
        let client = network.open(&access, &self.outbound)?;
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
