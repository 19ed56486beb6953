//! The networks Tutti talks to, registered once: the one place that names every network
//! crate. The use cases, the pages and the worker ask the [`Networks`] built here (the use
//! cases are given it, so that `tutti-app` depends on no network crate); adding a network is
//! adding its crate and one line below.

use std::sync::LazyLock;

use tutti_connector::{Limits, Networks};

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

/// The limits of `network`; a network Tutti does not know gets Mastodon's.
pub fn limits(network: &str) -> Limits {
    registry().limits(network).unwrap_or(tutti_mastodon::LIMITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_network_is_registered_once_with_its_limits() {
        assert_eq!(registry().names().collect::<Vec<_>>(), ["bluesky", "mastodon"]);
        assert_eq!((limits("bluesky").text_max, limits("bluesky").text_max_bytes), (300, Some(3000)));
        assert_eq!(limits("mastodon").text_max, 500);
        let demo = registry().of_channel("mastodon", "demo:fr:0").unwrap();
        assert_eq!((demo.name(), demo.rings()), ("mastodon", false));
        assert!(registry().get("mastodon").unwrap().rings());
    }
}
