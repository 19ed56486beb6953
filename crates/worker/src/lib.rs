//! The background worker: claims leased jobs from the queue in `tutti_store::jobs`, runs them,
//! and either marks them done or puts them back with a growing delay.
//!
//! Any number of workers, in one process or many, may share a database. The lease written on
//! a job when it is claimed keeps two workers from running it at the same time, and a job
//! whose worker died becomes due again once its lease runs out. Failures are never lost: the
//! error is stored on the job and the job is retried later, so a bad job cannot crash a worker
//! or block the queue behind it.

pub mod alerting;
pub mod analytics;
pub mod connectors;
pub mod demo;
pub mod health;
pub mod identity;
pub mod inbox;
pub mod listener;
pub mod moderation;
pub mod notices;
pub mod publisher;
pub mod sources;

use std::time::Duration;

use tokio::sync::watch;
use tracing::{debug, error, info, warn};
use tutti_store::jobs::{self, Job};
use tutti_store::{auth, listening, now_ms, Store, StoreError, HOUR_MS};

use crate::alerting::{AlertingConfig, AlertingError};

/// The queue of the hourly clean-up job.
pub const HOUSEKEEPING_QUEUE: &str = "housekeeping";
/// The queue of notices to e-mail (payload `{"notice": id}`).
pub const NOTICE_QUEUE: &str = "notice.deliver";
/// The queue of the community scores' rebuild, one job per five minutes across workers.
pub const COMMUNITY_QUEUE: &str = "community.refresh";

/// How long a claimed job stays reserved for its worker, in milliseconds.
pub const LEASE_MS: i64 = 60_000;

/// The delay before a failed job's first retry, in milliseconds.
pub const RETRY_BASE_MS: i64 = 5_000;

/// The longest delay between two retries, in milliseconds.
pub const RETRY_CAP_MS: i64 = 3_600_000;

/// A job is cut short this long before its lease runs out, so that it never runs on past the
/// moment another worker may claim it.
const JOB_TIME_LIMIT: Duration = Duration::from_millis((LEASE_MS - 10_000) as u64);

/// How long an idle worker waits before looking at the queue again.
const IDLE_PAUSE: Duration = Duration::from_secs(1);

/// How long failed sign-ins are kept for rate limiting before housekeeping deletes them.
const FAILURES_KEPT_MS: i64 = 24 * HOUR_MS;

const MINUTE_MS: i64 = 60_000;

/// What stopped the worker from taking or settling a job.
///
/// A job that fails is not an error of the worker: its failure is recorded on the job and
/// reported as [`JobOutcome::Retrying`].
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The database could not be read or written.
    #[error("the job queue is unavailable: {0}")]
    Store(#[from] StoreError),
}

/// What became of the job that [`Worker::run_once`] claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// The job ran and is marked done.
    Done(Job),
    /// The job failed; it is released with its error and will be due again at `retry_at`.
    Retrying {
        /// The job as claimed.
        job: Job,
        /// The failure, as stored in the job's `last_error`.
        error: String,
        /// When the job is due again, ms since the epoch.
        retry_at: i64,
    },
    /// The job ran (or failed) after its lease had passed to another worker, so this worker
    /// could not settle it; the other worker's result stands.
    LeaseLost(Job),
}

/// Why a job failed; its text is what the job's `last_error` keeps.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// No handler exists for the job's queue, for example a job written by a newer version.
    #[error("no handler for the queue {0:?}")]
    UnknownQueue(String),
    /// The job did not finish before its lease would have run out.
    #[error("the job did not finish within {} s", JOB_TIME_LIMIT.as_secs())]
    TimedOut,
    /// The database failed while the job ran.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    /// Evaluating or delivering alerts failed.
    #[error(transparent)]
    Alerting(#[from] AlertingError),
    /// A network did not take an action asked from the inbox, for now.
    #[error("network: {0}")]
    Network(String),
    /// The job needs the channels' credentials, which this worker was not given.
    #[error("this worker cannot open channel credentials")]
    NoConnectors,
}

/// A worker: a name that it writes on the jobs it claims, and the store holding the queue.
#[derive(Debug, Clone)]
pub struct Worker {
    store: Store,
    name: String,
    alerting: AlertingConfig,
    connectors: Option<connectors::Connectors>,
}

impl Worker {
    /// Creates a worker; `name` must be unique among live workers (see
    /// [`default_worker_name`]), because a lease only protects a job against other names.
    pub fn new(store: Store, name: String) -> Worker {
        Worker { store, name, alerting: AlertingConfig::default(), connectors: None }
    }

    /// The same worker, delivering alerts with `config` (links, SMTP server).
    pub fn with_alerting(mut self, config: AlertingConfig) -> Worker {
        self.alerting = config;
        self
    }

    /// The same worker, acting on the networks (inbox likes and reposts) through `connectors`.
    pub fn with_connectors(mut self, connectors: connectors::Connectors) -> Worker {
        self.connectors = Some(connectors);
        self
    }

    /// The name written on the jobs this worker claims.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Claims one due job, runs it and settles it; `None` when no job is due.
    ///
    /// The claim is committed on its own before the job runs, so the database is not held
    /// while the job works. If settling fails the job keeps its lease, and it becomes due
    /// again when the lease runs out.
    pub async fn run_once(&self) -> Result<Option<JobOutcome>, WorkerError> {
        let mut tx = self.store.begin().await?;
        let claimed = jobs::claim(&mut tx, self.store.backend(), &self.name, now_ms(), LEASE_MS).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let Some(job) = claimed else {
            return Ok(None);
        };
        debug!(worker = %self.name, job = job.id, queue = %job.queue, attempt = job.attempts, "job claimed");

        let result =
            tokio::time::timeout(JOB_TIME_LIMIT, self.execute(&job)).await.unwrap_or(Err(JobError::TimedOut));

        let mut tx = self.store.begin().await?;
        let outcome = match result {
            Ok(()) => {
                if jobs::complete(&mut tx, job.id, &self.name).await? {
                    info!(worker = %self.name, job = job.id, queue = %job.queue, "job done");
                    JobOutcome::Done(job)
                } else {
                    JobOutcome::LeaseLost(job)
                }
            }
            Err(failure) => {
                let error = failure.to_string();
                let retry_at = now_ms() + retry_delay_ms(job.attempts, rand::random());
                if jobs::retry_later(&mut tx, job.id, &self.name, &error, retry_at).await? {
                    warn!(worker = %self.name, job = job.id, queue = %job.queue, attempt = job.attempts,
                          retry_at, %error, "job failed; retrying later");
                    JobOutcome::Retrying { job, error, retry_at }
                } else {
                    JobOutcome::LeaseLost(job)
                }
            }
        };
        tx.commit().await.map_err(StoreError::from)?;
        if let JobOutcome::LeaseLost(job) = &outcome {
            warn!(worker = %self.name, job = job.id, queue = %job.queue,
                  "job outlived its lease and was claimed by another worker");
        }
        Ok(Some(outcome))
    }

    /// Enqueues the housekeeping job of the hour containing `now_ms`, unless a worker already
    /// did; returns the new job's id, or `None` when it already existed.
    ///
    /// The hour is the job's unique key, so however many workers call this, each hour gets
    /// one housekeeping job.
    pub async fn schedule_housekeeping(&self, now_ms: i64) -> Result<Option<i64>, WorkerError> {
        let key = format!("{HOUSEKEEPING_QUEUE}:{}", now_ms.div_euclid(HOUR_MS));
        let mut tx = self.store.begin().await?;
        let id = jobs::enqueue(&mut tx, HOUSEKEEPING_QUEUE, Some(&key), "{}", now_ms).await?;
        tx.commit().await.map_err(StoreError::from)?;
        if let Some(id) = id {
            debug!(worker = %self.name, job = id, %key, "housekeeping scheduled");
        }
        Ok(id)
    }

    /// Enqueues the evaluation of alert rules for the minute containing `now_ms`, unless a
    /// worker already did.
    pub async fn schedule_alerts(&self, now_ms: i64) -> Result<Option<i64>, WorkerError> {
        let key = format!("{}:{}", alerting::EVALUATE_QUEUE, now_ms.div_euclid(MINUTE_MS));
        let mut tx = self.store.begin().await?;
        let id = jobs::enqueue(&mut tx, alerting::EVALUATE_QUEUE, Some(&key), "{}", now_ms).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(id)
    }

    /// Enqueues the rebuild of stale community scores for the five minutes containing `now_ms`,
    /// unless a worker already did.
    pub async fn schedule_community(&self, now_ms: i64) -> Result<Option<i64>, WorkerError> {
        let key = format!("{COMMUNITY_QUEUE}:{}", now_ms.div_euclid(tutti_app::people::SCORES_MAX_AGE_MS));
        let mut tx = self.store.begin().await?;
        let id = jobs::enqueue(&mut tx, COMMUNITY_QUEUE, Some(&key), "{}", now_ms).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(id)
    }

    /// Enqueues the analytics collection of the minute containing `now_ms`, unless a worker
    /// already did (see [`analytics`]).
    pub async fn schedule_analytics(&self, now_ms: i64) -> Result<Option<i64>, WorkerError> {
        let key = format!("{}:{}", analytics::SCHEDULE_QUEUE, now_ms.div_euclid(MINUTE_MS));
        let mut tx = self.store.begin().await?;
        let id = jobs::enqueue(&mut tx, analytics::SCHEDULE_QUEUE, Some(&key), "{}", now_ms).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(id)
    }

    /// Runs jobs until `shutdown` holds `true` or its sender is dropped.
    ///
    /// Each round schedules the hour's housekeeping (once per hour per worker; the database
    /// keeps it to one job across workers), runs due jobs until none is left, then pauses for
    /// about a second. A job in progress is finished before the worker stops. Storage errors
    /// are logged and retried after the pause, so that a database restart does not end the
    /// worker.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        info!(worker = %self.name, "worker started");
        let mut scheduled_hour = None;
        let mut scheduled_minute = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let now = now_ms();
            let hour = now.div_euclid(HOUR_MS);
            if scheduled_hour != Some(hour) {
                match self.schedule_housekeeping(now).await {
                    Ok(_) => scheduled_hour = Some(hour),
                    Err(err) => error!(worker = %self.name, %err, "cannot schedule housekeeping"),
                }
            }
            let minute = now.div_euclid(MINUTE_MS);
            if scheduled_minute != Some(minute) {
                match self
                    .schedule_alerts(now)
                    .await
                    .and(self.schedule_community(now).await)
                    .and(self.schedule_analytics(now).await)
                {
                    Ok(_) => scheduled_minute = Some(minute),
                    Err(err) => error!(worker = %self.name, %err, "cannot schedule the minute's jobs"),
                }
            }
            match self.run_once().await {
                // Another job may be due right away: look again without pausing.
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(err) => error!(worker = %self.name, %err, "cannot take a job"),
            }
            tokio::select! {
                () = tokio::time::sleep(IDLE_PAUSE) => {}
                changed = shutdown.changed() => {
                    // A dropped sender can never ask again, so it counts as a request to stop.
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        info!(worker = %self.name, "worker stopped");
    }

    /// Runs the handler of the job's queue.
    async fn execute(&self, job: &Job) -> Result<(), JobError> {
        match job.queue.as_str() {
            HOUSEKEEPING_QUEUE => self.housekeeping().await,
            alerting::EVALUATE_QUEUE => {
                alerting::evaluate(&self.store, now_ms()).await?;
                Ok(())
            }
            alerting::DELIVER_QUEUE => {
                match alerting::deliver(&self.store, &self.alerting, &job.payload).await {
                    Err(e) if job.attempts >= alerting::MAX_DELIVERY_ATTEMPTS => {
                        error!(worker = %self.name, job = job.id, error = %e, "alert delivery given up");
                        Ok(())
                    }
                    other => Ok(other?),
                }
            }
            COMMUNITY_QUEUE => {
                let n = tutti_app::people::refresh_stale_scores(&self.store, now_ms()).await?;
                if n > 0 {
                    debug!(worker = %self.name, workspaces = n, "community scores rebuilt");
                }
                Ok(())
            }
            NOTICE_QUEUE => match notices::deliver(&self.store, &self.alerting, &job.payload).await {
                Err(e) if job.attempts >= alerting::MAX_DELIVERY_ATTEMPTS => {
                    error!(worker = %self.name, job = job.id, error = %e, "notice e-mail given up");
                    Ok(())
                }
                other => Ok(other?),
            },
            analytics::SCHEDULE_QUEUE => {
                let n = analytics::schedule(&self.store, now_ms()).await?;
                if n > 0 {
                    debug!(worker = %self.name, jobs = n, "analytics collection scheduled");
                }
                Ok(())
            }
            analytics::POSTS_QUEUE => {
                let connectors = self.connectors.as_ref().ok_or(JobError::NoConnectors)?;
                analytics::collect_posts(&self.store, connectors, &job.payload).await
            }
            analytics::ROLLUP_QUEUE => analytics::rebuild_rollup(&self.store, &job.payload).await,
            analytics::CHANNEL_QUEUE => {
                let connectors = self.connectors.as_ref().ok_or(JobError::NoConnectors)?;
                analytics::collect_channel(&self.store, connectors, &job.payload).await
            }
            tutti_app::inbox::ACTION_QUEUE => {
                let connectors = self.connectors.as_ref().ok_or(JobError::NoConnectors)?;
                inbox::act(&self.store, connectors, &job.payload).await.map_err(JobError::Network)
            }
            other => Err(JobError::UnknownQueue(other.to_owned())),
        }
    }

    /// Deletes expired sessions and invitations, sign-in failures older than a day, mentions
    /// older than their workspace's retention, and snapshots taken on request more than a week
    /// ago (the schedule's points stay).
    async fn housekeeping(&self) -> Result<(), JobError> {
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        let purged = auth::purge_expired(&mut tx, now, now - FAILURES_KEPT_MS).await?;
        let mentions = listening::purge_mentions(&mut tx, now).await?;
        let snapshots =
            tutti_store::analytics::thin_snapshots(&mut tx, now - analytics::THIN_AFTER_MS).await?;
        jobs::purge_done(&mut tx, now - FAILURES_KEPT_MS).await?;
        tx.commit().await.map_err(StoreError::from)?;
        info!(worker = %self.name, purged, mentions, snapshots, "housekeeping done");
        Ok(())
    }
}

/// The delay before retrying a job that failed on its `attempts`-th try, in milliseconds.
///
/// The delay starts at [`RETRY_BASE_MS`] and doubles with each attempt up to [`RETRY_CAP_MS`];
/// `jitter` (from 0 to 1) then takes up to a quarter off, so that jobs which failed together,
/// say during an outage of a network, do not all come back at the same instant.
pub fn retry_delay_ms(attempts: i64, jitter: f64) -> i64 {
    // Past 2^20 times the base the cap applies anyway; stopping there avoids overflow.
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    let delay = (RETRY_BASE_MS << doublings).min(RETRY_CAP_MS);
    let jitter = jitter.clamp(0.0, 1.0);
    delay - (delay as f64 * jitter / 4.0) as i64
}

/// A worker name unique across machines and restarts: `hostname-pid-random`.
pub fn default_worker_name() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}-{}", hostname(), std::process::id(), &random[..8])
}

/// The machine's name, from what the operating system exposes without a system call that std
/// lacks; `host` when none is available.
fn hostname() -> String {
    let clean = |name: String| Some(name.trim().to_owned()).filter(|n| !n.is_empty());
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .and_then(clean)
        .or_else(|| std::env::var("HOSTNAME").ok().and_then(clean))
        .or_else(|| std::env::var("COMPUTERNAME").ok().and_then(clean))
        .unwrap_or_else(|| "host".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_from_five_seconds_up_to_an_hour() {
        let delays: Vec<i64> = (1..=12).map(|attempt| retry_delay_ms(attempt, 0.0)).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600].map(|s| s * 1000));
        assert_eq!(retry_delay_ms(i64::MAX, 0.0), RETRY_CAP_MS);
        assert_eq!(retry_delay_ms(0, 0.0), RETRY_BASE_MS);
    }

    #[test]
    fn jitter_shortens_a_retry_delay_by_at_most_a_quarter() {
        assert_eq!(retry_delay_ms(1, 1.0), 3_750);
        assert_eq!(retry_delay_ms(1, 0.5), 4_375);
        assert_eq!(retry_delay_ms(30, 1.0), RETRY_CAP_MS * 3 / 4);
        for _ in 0..1000 {
            let delay = retry_delay_ms(3, rand::random());
            assert!((15_000..=20_000).contains(&delay), "{delay}");
        }
    }

    #[test]
    fn default_worker_names_carry_the_pid_and_differ_between_calls() {
        let first = default_worker_name();
        let second = default_worker_name();
        assert_ne!(first, second);
        assert!(first.contains(&format!("-{}-", std::process::id())), "{first}");
    }
}
