//! The networks Tutti talks to, registered once: the one place that names every network
//! crate. The use cases, the pages and the worker ask the [`Networks`] built here (the use
//! cases are given it, so that `tutti-app` depends on no network crate); adding a network is
//! adding its crate and one line below.

use std::sync::LazyLock;

use tutti_connector::{Limits, Network, Networks};

static REGISTRY: LazyLock<Networks> = LazyLock::new(|| {
    Networks::new()
        .with(tutti_bluesky::Bluesky)
        .with(tutti_mastodon::Mastodon)
        // Demo channels are Bluesky or Mastodon channels whose service is `demo:…`.
        .with_service_prefix(tutti_demo::SERVICE_PREFIX, tutti_demo::demo_channels)
});

/// Every network Tutti talks to.
pub fn registry() -> &'static Networks {
    &REGISTRY
}

/// The limits of `network`: every [`Network`] is registered above (a test checks it).
pub fn limits(network: Network) -> Limits {
    registry()
        .limits(network.as_str())
        .unwrap_or_else(|| panic!("{network} is a network, yet not registered"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_network_is_registered_once_with_its_limits() {
        assert_eq!(registry().names().collect::<Vec<_>>(), ["bluesky", "mastodon"]);
        for network in Network::ALL {
            assert_eq!(registry().get(network).map(|k| k.network()), Some(*network), "{network}");
        }
        let bluesky = limits(Network::Bluesky);
        assert_eq!((bluesky.text_max, bluesky.text_max_bytes), (300, Some(3000)));
        assert_eq!(limits(Network::Mastodon).text_max, 500);
        assert!(registry().limits("myspace").is_none(), "an unknown name has no limits");
        let demo = registry().of_channel("mastodon", "demo:fr:0").unwrap();
        assert_eq!((demo.name(), demo.rings()), ("mastodon", false));
        assert!(registry().get("mastodon").unwrap().rings());
    }
}
