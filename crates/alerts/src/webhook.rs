//! Webhook delivery: a signed JSON `POST`, retried with backoff when the receiver is busy or
//! down.
//!
//! # What a receiver gets
//!
//! ```text
//! POST /your/endpoint HTTP/1.1
//! Content-Type: application/json
//! X-Tutti-Event: alert
//! X-Tutti-Delivery: 0b6c0a8e-…            (the same on every retry of one delivery)
//! X-Tutti-Signature: t=1741986912,v1=5f1c…
//!
//! {"event":"alert","text":"…","alert":{…}}
//! ```
//!
//! # How a receiver verifies a delivery
//!
//! The workspace shows its webhook secret once; the receiver keeps it. For each request:
//!
//! 1. Read `X-Tutti-Signature`: comma-separated `key=value` pairs; `t` is the Unix time in
//!    seconds at which the request was signed, each `v1` a signature (there may be several
//!    while a secret is being rotated; unknown keys are to be ignored).
//! 2. Compute HMAC-SHA256, keyed with the secret, of the bytes `t`, `.`, then the raw request
//!    body exactly as received (before any JSON parsing), and write it in lower-case hex.
//! 3. Accept if it equals one of the `v1` values, compared in constant time, and if `t` is
//!    within a few minutes of the receiver's clock (this refuses replays of old requests).
//! 4. Retries of one delivery carry the same `X-Tutti-Delivery` id: use it to ignore
//!    duplicates. Answer with any 2xx quickly; a 5xx, a 429 or no answer within the timeout
//!    is retried, any other status is not.
//!
//! [`verify`] does steps 1 to 3:
//!
//! ```
//! use std::time::Duration;
//! use tutti_alerts::webhook::{sign, verify};
//!
//! let secret = b"whsec_example";
//! let body = br#"{"event":"alert"}"#;
//! let header = sign(secret, 1_741_986_912, body);
//! assert!(verify(secret, &header, body, 1_741_986_950, Duration::from_secs(300)).is_ok());
//! assert!(verify(b"other", &header, body, 1_741_986_950, Duration::from_secs(300)).is_err());
//! ```
//!
//! In a shell, the expected signature is
//! `printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$secret"`.

use std::time::{Duration, SystemTime};
use tutti_outbound::Clients as _;

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use crate::message::Alert;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Tutti-Signature";
/// The header naming the event (`alert`).
pub const EVENT_HEADER: &str = "X-Tutti-Event";
/// The header carrying the delivery's id, the same on every attempt.
pub const DELIVERY_HEADER: &str = "X-Tutti-Delivery";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The value of `X-Tutti-Signature` for a body signed at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let signature = hex::encode(mac(secret, timestamp, body).finalize().into_bytes());
    format!("t={timestamp},v1={signature}")
}

/// Why [`verify`] refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The header has no valid `t` or no `v1`.
    #[error("malformed signature header")]
    Malformed,
    /// `t` is further from now than the tolerance.
    #[error("signature timestamp {timestamp} is outside the tolerance (now {now})")]
    OutsideTolerance {
        /// The header's `t`.
        timestamp: i64,
        /// The receiver's clock.
        now: i64,
    },
    /// No `v1` matches the body and the secret.
    #[error("signature does not match")]
    Mismatch,
}

/// Checks a `X-Tutti-Signature` header against the raw body: a `v1` must be the HMAC of
/// `"<t>.<body>"` under `secret`, and `t` must be within `tolerance` of `now` (Unix seconds),
/// before or after.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => timestamp = Some(value.parse::<i64>().map_err(|_| VerifyError::Malformed)?),
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::Malformed)?;
    if signatures.is_empty() {
        return Err(VerifyError::Malformed);
    }
    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    if now.abs_diff(timestamp) > tolerance.unsigned_abs() {
        return Err(VerifyError::OutsideTolerance { timestamp, now });
    }
    let expected = mac(secret, timestamp, body);
    let matches = signatures
        .iter()
        .any(|s| hex::decode(s).is_ok_and(|bytes| expected.clone().verify_slice(&bytes).is_ok()));
    if matches {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// How long to wait and how often to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles for each attempt after that.
    pub initial_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// How long one attempt may take, connection included.
    pub timeout: Duration,
    /// The longest `Retry-After` honoured; a receiver asking for more makes the delivery give
    /// up at once with [`WebhookError::GaveUp`] carrying the wait it asked for, so that the
    /// caller can try again later instead of holding a worker.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, waits of about 1, 2, 4 and 8 seconds (at most 60), 10 seconds per attempt,
    /// `Retry-After` honoured up to 5 minutes.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The wait after the given failed attempt (1 for the first): the initial backoff doubled
    /// `attempt - 1` times, at most `max_backoff`, then a random part of it taken off
    /// ("equal jitter": between half and all of it) so that many deliveries failing together
    /// do not all come back together.
    pub fn backoff(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let full = self.initial_backoff.saturating_mul(1 << doublings).min(self.max_backoff);
        let half = full / 2;
        half + full.saturating_sub(half).mul_f64(rng.gen::<f64>())
    }
}

/// The value of a `Retry-After` header: seconds, or an HTTP date (then the wait from `now`,
/// none if the date is past).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let date = SystemTime::from(date.with_timezone(&chrono::Utc));
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A delivery the receiver accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The `X-Tutti-Delivery` id.
    pub id: String,
    /// Attempts made, the successful one included.
    pub attempts: u32,
    /// The receiver's 2xx status.
    pub status: u16,
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The URL is not an `http` or `https` URL.
    #[error("invalid webhook URL: {0}")]
    InvalidUrl(String),
    /// The HTTP client could not be set up.
    #[error("HTTP client: {0}")]
    Client(String),
    /// The outbound policy refused the address (a loopback, private, link-local or metadata
    /// address, or a redirect to another host): not retried.
    #[error("webhook address refused: {0}")]
    Refused(String),
    /// The receiver answered with a status that is not retried (a 4xx other than 408 and
    /// 429, or a redirection, which is not followed).
    #[error("webhook receiver answered {status} (not retried, after {attempts} attempts)")]
    Rejected {
        /// The receiver's status.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },
    /// Every attempt failed with a status or an error that is retried, or the receiver asked
    /// to wait longer than the policy allows.
    #[error("webhook delivery gave up after {attempts} attempts: {last}")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last failure (`status 503`, `timeout`, …).
        last: String,
        /// The receiver's last `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
}

/// Delivers webhooks; cheap to clone, meant to be kept and shared.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: tutti_outbound::Client,
    policy: RetryPolicy,
}

enum Failure {
    Retry { last: String, retry_after: Option<Duration> },
    Stop(WebhookError),
}

impl WebhookClient {
    /// A client with its own connection pool, calling only the addresses `outbound` allows;
    /// redirections are not followed.
    pub fn new(
        policy: RetryPolicy,
        outbound: &tutti_outbound::Outbound,
    ) -> Result<WebhookClient, WebhookError> {
        let http = outbound
            .client()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .redirects(0)
            .user_agent(concat!("Tutti-Webhook/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WebhookError::Client(e.to_string()))?;
        Ok(WebhookClient { http, policy })
    }

    /// The policy in use.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Sends an alert's [webhook body](Alert::webhook_body), signed with the secret.
    pub async fn deliver_alert(
        &self,
        url: &str,
        secret: &[u8],
        alert: &Alert,
    ) -> Result<Delivery, WebhookError> {
        self.deliver(url, secret, &alert.webhook_body()).await
    }

    /// Posts `body` (JSON) to `url`, signed with `secret` afresh on every attempt, until the
    /// receiver answers 2xx, answers a status that is not retried, or the attempts run out.
    pub async fn deliver(&self, url: &str, secret: &[u8], body: &[u8]) -> Result<Delivery, WebhookError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| WebhookError::InvalidUrl(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(WebhookError::InvalidUrl(format!("scheme {}", parsed.scheme())));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let max_attempts = self.policy.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (last, retry_after) = match self.attempt(&parsed, &id, secret, body).await {
                Ok(status) => return Ok(Delivery { id, attempts: attempt, status }),
                Err(Failure::Stop(WebhookError::Rejected { status, .. })) => {
                    return Err(WebhookError::Rejected { status, attempts: attempt })
                }
                Err(Failure::Stop(e)) => return Err(e),
                Err(Failure::Retry { last, retry_after }) => (last, retry_after),
            };
            let wait = match retry_after {
                Some(wait) if wait > self.policy.max_retry_after => None,
                Some(wait) => Some(wait),
                None => Some(self.policy.backoff(attempt, &mut rand::thread_rng())),
            };
            match wait {
                Some(wait) if attempt < max_attempts => tokio::time::sleep(wait).await,
                _ => return Err(WebhookError::GaveUp { attempts: attempt, last, retry_after }),
            }
        }
    }

    async fn attempt(
        &self,
        url: &reqwest::Url,
        id: &str,
        secret: &[u8],
        body: &[u8],
    ) -> Result<u16, Failure> {
        let now = SystemTime::now();
        let timestamp =
            now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default();
        let response = self
            .http
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, "alert")
            .header(DELIVERY_HEADER, id)
            .header(SIGNATURE_HEADER, sign(secret, timestamp, body))
            .body(body.to_vec())
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            Err(tutti_outbound::Error::Refused(why)) => {
                return Err(Failure::Stop(WebhookError::Refused(why.to_string())))
            }
            Err(e) => {
                let last = if e.is_timeout() {
                    "timeout".to_owned()
                } else if e.is_connect() {
                    format!("connection failed: {e}")
                } else {
                    format!("request failed: {e}")
                };
                return Err(Failure::Retry { last, retry_after: None });
            }
        };
        let status = response.status();
        if status.is_success() {
            return Ok(status.as_u16());
        }
        let retried = status.is_server_error()
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || status == reqwest::StatusCode::REQUEST_TIMEOUT;
        if !retried {
            return Err(Failure::Stop(WebhookError::Rejected { status: status.as_u16(), attempts: 0 }));
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now));
        Err(Failure::Retry { last: format!("status {}", status.as_u16()), retry_after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"event":"alert","alert":{}}"#;
    const T: i64 = 1_741_986_912;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: printf '1741986912.{"event":"alert","alert":{}}' |
        //   openssl dgst -sha256 -hmac whsec_test
        let expected = {
            let mut mac = HmacSha256::new_from_slice(SECRET).unwrap();
            mac.update(b"1741986912.{\"event\":\"alert\",\"alert\":{}}");
            hex::encode(mac.finalize().into_bytes())
        };
        assert_eq!(sign(SECRET, T, BODY), format!("t={T},v1={expected}"));
        // RFC 4231 test case 2, to pin the primitive itself.
        let mut mac = HmacSha256::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_cases() {
        let header = sign(SECRET, T, BODY);
        let v1 = header.split_once(",v1=").unwrap().1.to_owned();
        let five_minutes = Duration::from_secs(300);
        type Case<'a> = (&'a str, String, &'a [u8], i64, Result<(), VerifyError>);
        let cases: Vec<Case> = vec![
            ("valid", header.clone(), BODY, T + 10, Ok(())),
            ("valid, receiver clock behind", header.clone(), BODY, T - 10, Ok(())),
            ("at the tolerance", header.clone(), BODY, T + 300, Ok(())),
            (
                "too old",
                header.clone(),
                BODY,
                T + 301,
                Err(VerifyError::OutsideTolerance { timestamp: T, now: T + 301 }),
            ),
            (
                "too far ahead",
                header.clone(),
                BODY,
                T - 301,
                Err(VerifyError::OutsideTolerance { timestamp: T, now: T - 301 }),
            ),
            (
                "body changed",
                header.clone(),
                br#"{"event":"alert","alert":{ }}"#,
                T,
                Err(VerifyError::Mismatch),
            ),
            ("timestamp changed", format!("t={},v1={v1}", T + 1), BODY, T, Err(VerifyError::Mismatch)),
            (
                "rotation: one of two matches",
                format!("t={T},v1={},v1={v1}", "00".repeat(32)),
                BODY,
                T,
                Ok(()),
            ),
            ("unknown keys ignored, spaces", format!("v0=abc, t={T}, v1={v1}"), BODY, T, Ok(())),
            ("upper-case hex", format!("t={T},v1={}", v1.to_uppercase()), BODY, T, Ok(())),
            ("not hex", format!("t={T},v1=zz"), BODY, T, Err(VerifyError::Mismatch)),
            ("truncated", format!("t={T},v1={}", &v1[..32]), BODY, T, Err(VerifyError::Mismatch)),
            ("no v1", format!("t={T}"), BODY, T, Err(VerifyError::Malformed)),
            ("no t", format!("v1={v1}"), BODY, T, Err(VerifyError::Malformed)),
            ("bad t", format!("t=soon,v1={v1}"), BODY, T, Err(VerifyError::Malformed)),
            ("empty", String::new(), BODY, T, Err(VerifyError::Malformed)),
        ];
        for (name, header, body, now, expected) in cases {
            assert_eq!(verify(SECRET, &header, body, now, five_minutes), expected, "{name}");
        }
        assert_eq!(
            verify(b"another secret", &sign(SECRET, T, BODY), BODY, T, five_minutes),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn backoff_doubles_with_equal_jitter() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        let mut rng = StdRng::seed_from_u64(1);
        for (attempt, full) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (40, 1000)] {
            let full = Duration::from_millis(full);
            let mut seen = Vec::new();
            for _ in 0..50 {
                let wait = policy.backoff(attempt, &mut rng);
                assert!(wait >= full / 2 && wait <= full, "attempt {attempt}: {wait:?}");
                seen.push(wait);
            }
            seen.dedup();
            assert!(seen.len() > 10, "jitter varies the waits");
        }
    }

    #[test]
    fn retry_after_values() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // 2015-10-21 07:28:00 UTC
        let cases = [
            ("120", Some(Duration::from_secs(120))),
            (" 0 ", Some(Duration::ZERO)),
            ("Wed, 21 Oct 2015 07:28:30 GMT", Some(Duration::from_secs(30))),
            ("Wed, 21 Oct 2015 07:27:00 GMT", Some(Duration::ZERO)),
            ("-5", None),
            ("soon", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_retry_after(value, now), expected, "{value:?}");
        }
    }

    #[tokio::test]
    async fn urls_that_are_not_web_urls_are_refused() {
        let client = WebhookClient::new(RetryPolicy::default(), &Default::default()).unwrap();
        for url in ["ftp://example.org/hook", "not a url", "file:///etc/passwd"] {
            let err = client.deliver(url, SECRET, BODY).await.unwrap_err();
            assert!(matches!(err, WebhookError::InvalidUrl(_)), "{url}: {err}");
        }
        for url in [
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            "http://127.0.0.1:9/hook",
            "http://[::ffff:127.0.0.1]:9/hook",
            "http://2130706433:9/hook",
        ] {
            let err = client.deliver(url, SECRET, BODY).await.unwrap_err();
            assert!(matches!(err, WebhookError::Refused(_)), "{url}: {err}");
        }
    }
}
