//! Listening alerts: spike detection, keyword alerts, alert messages and their delivery.
//!
//! - [`baseline`]: a learned, time-of-day aware [`Baseline`] of a query's mentions per bucket
//!   and of their negative share; [`Baseline::observe`] finds volume and negative-share
//!   [`Spike`]s. Pure, no I/O; its state serialises (as JSON, say) to be stored per query.
//! - [`keyword`]: [`KeywordAlert`], a listening query (the language of [`tutti_listen`])
//!   whose every match is an alert.
//! - [`message`]: the [`Alert`] and its renderings, a webhook JSON payload and a plain-text
//!   e-mail in English or French, with every field from outside cleaned and bounded.
//! - [`webhook`]: signed delivery (`X-Tutti-Signature`, HMAC-SHA256) with retries, and
//!   [`webhook::verify`] for receivers.
//! - [`mail`]: delivery over SMTP, with settings and addresses checked field by field.

pub mod baseline;
pub mod keyword;
pub mod mail;
pub mod message;
pub mod webhook;

pub use baseline::{Baseline, BaselineConfig, Bucket, Spike, SpikeKind};
pub use keyword::KeywordAlert;
pub use mail::{MailError, SmtpSecurity, SmtpSettings};
pub use message::{Alert, AlertKind, Email, Lang, Sample};
pub use webhook::{Delivery, RetryPolicy, WebhookClient, WebhookError};
