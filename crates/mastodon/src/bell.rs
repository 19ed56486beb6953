//! The notification bell: the account's own stream of notifications
//! (`/api/v1/streaming/user/notification`, server-sent events, with the account's token) used
//! as a doorbell for the inbox.
//!
//! The stream says *that* a notification arrived; the inbox then reads it through the
//! notifications API from its stored cursor, as it would when polling. So the stream brings the
//! delay down to the time of one request, while what is stored, and exactly once, still comes
//! from the one place that can be resumed after a restart: the API and its cursor. The bell
//! rings once on every (re)connection too, so that what came while it was away is read at once.
//! A stream that drops reconnects with backoff; while it is down, the [`Bell`] is not connected
//! and the reader falls back to polling.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tutti_connector::Bell;

use crate::sse::{SseItem, SseParser};
use crate::streaming::{jittered, ConfigError, Stream, Streaming};

/// The largest event accepted; a notification carries a status and its account.
const MAX_EVENT_BYTES: usize = 256 * 1024;
/// A stream that lasted this long was healthy: the backoff starts again from the beginning.
const HEALTHY: Duration = Duration::from_secs(30);

/// Rings a [`Bell`] when the account's notification stream says something arrived.
#[derive(Debug, Clone)]
pub struct NotificationBell {
    transport: Streaming,
    url: reqwest::Url,
}

impl NotificationBell {
    /// The bell of the account whose token is `access_token` on `instance_url`, calling only
    /// the addresses `outbound` allows.
    pub fn new(
        instance_url: &str,
        access_token: &str,
        outbound: &tutti_outbound::Outbound,
    ) -> Result<NotificationBell, ConfigError> {
        let mut transport =
            Streaming::new(instance_url, Stream::Public, Some(access_token.to_owned()), outbound)?;
        transport.max_backoff = Duration::from_secs(60);
        transport.idle_timeout = Duration::from_secs(90);
        let url = transport.endpoint("api/v1/streaming/user/notification");
        Ok(NotificationBell { transport, url })
    }

    /// Listens for ever (stop it by dropping or aborting its task), ringing `bell` on every
    /// `notification` event and after every (re)connection.
    pub async fn run(&self, bell: Arc<Bell>) {
        let mut backoff = self.transport.initial_backoff;
        loop {
            let opened = Instant::now();
            let why = match self.transport.open_events_at(self.url.clone()).await {
                Err((why, Some(wait))) => {
                    tracing::warn!(url = %self.url, %why, "the notification stream asks to wait");
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err((why, None)) => why,
                Ok(mut response) => {
                    bell.set_connected(true);
                    bell.ring();
                    let mut parser = SseParser::new(MAX_EVENT_BYTES);
                    let mut events = Vec::new();
                    let why = loop {
                        match tokio::time::timeout(self.transport.idle_timeout, response.chunk()).await {
                            Err(_) => break "the stream fell silent".to_owned(),
                            Ok(Err(e)) => break e.to_string(),
                            Ok(Ok(None)) => break "the stream ended".to_owned(),
                            Ok(Ok(Some(bytes))) => {
                                parser.push(&bytes, &mut events);
                                if events.drain(..).any(
                                    |e| matches!(e, SseItem::Event { name, .. } if name == "notification"),
                                ) {
                                    bell.ring();
                                }
                            }
                        }
                    };
                    bell.set_connected(false);
                    why
                }
            };
            if opened.elapsed() >= HEALTHY {
                backoff = self.transport.initial_backoff;
            }
            tracing::debug!(url = %self.url, %why, "the notification stream is down; reconnecting");
            tokio::time::sleep(jittered(backoff)).await;
            backoff = (backoff * 2).min(self.transport.max_backoff);
        }
    }
}
