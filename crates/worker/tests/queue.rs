//! The job queue as workers use it, on every backend: each job runs once however many workers
//! compete, failures come back later with their error, and a dead worker's jobs are taken over.

use sqlx::Row;
use tutti_store::jobs::{self, Job};
use tutti_store::{now_ms, Store};
use tutti_test_support::every_backend;
use tutti_worker::{retry_delay_ms, JobOutcome, Worker, HOUSEKEEPING_QUEUE, LEASE_MS};

const HOUR_MS: i64 = 3_600_000;

async fn enqueue(store: &Store, queue: &str, run_at: i64) -> i64 {
    let mut tx = store.begin().await.expect("begin");
    let id = jobs::enqueue(&mut tx, queue, None, "{}", run_at).await.expect("enqueue").expect("job id");
    tx.commit().await.expect("commit");
    id
}

async fn count(store: &Store, sql: &str) -> i64 {
    let mut conn = store.conn().await.expect("connection");
    sqlx::query_scalar(sql).fetch_one(&mut *conn).await.expect(sql)
}

/// The columns that tell how a job was handled.
#[derive(Debug)]
struct JobRow {
    attempts: i64,
    run_at: i64,
    lease_owner: Option<String>,
    last_error: Option<String>,
    done_at: Option<i64>,
}

async fn job_row(store: &Store, id: i64) -> JobRow {
    let mut conn = store.conn().await.expect("connection");
    let row =
        sqlx::query("SELECT attempts, run_at, lease_owner, last_error, done_at FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .expect("job row");
    JobRow {
        attempts: row.get("attempts"),
        run_at: row.get("run_at"),
        lease_owner: row.get("lease_owner"),
        last_error: row.get("last_error"),
        done_at: row.get("done_at"),
    }
}

async fn claim_as(store: &Store, worker: &str, now: i64, lease_ms: i64) -> Option<Job> {
    let mut tx = store.begin().await.expect("begin");
    let job = jobs::claim(&mut tx, store.backend(), worker, now, lease_ms).await.expect("claim");
    tx.commit().await.expect("commit");
    job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_competing_workers_run_each_of_forty_jobs_exactly_once() {
    for db in every_backend().await {
        let store = db.open().await;
        let now = now_ms();
        for _ in 0..40 {
            enqueue(&store, HOUSEKEEPING_QUEUE, now).await;
        }

        // Each worker has a store of its own, as separate processes would.
        let mut workers = Vec::new();
        for i in 0..4 {
            let worker = Worker::new(db.open().await, format!("worker-{i}"));
            workers.push(tokio::spawn(async move {
                let mut ran = 0;
                while let Some(outcome) = worker.run_once().await.expect("run_once") {
                    assert!(matches!(outcome, JobOutcome::Done(_)), "{outcome:?}");
                    ran += 1;
                }
                ran
            }));
        }
        let mut total = 0;
        for worker in workers {
            total += worker.await.expect("worker task");
        }

        assert_eq!(total, 40, "{}: jobs run", db.label());
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM jobs WHERE attempts = 1 AND done_at IS NOT NULL").await,
            40,
            "{}: every job claimed once and done",
            db.label()
        );
        assert_eq!(count(&store, "SELECT COUNT(*) FROM jobs").await, 40, "{}", db.label());
    }
}

#[tokio::test]
async fn housekeeping_scheduled_by_two_workers_in_the_same_hour_exists_once() {
    for db in every_backend().await {
        let first = Worker::new(db.open().await, "first".into());
        let second = Worker::new(db.open().await, "second".into());
        let hour_start = now_ms().div_euclid(HOUR_MS) * HOUR_MS;

        let (a, b) = tokio::join!(
            first.schedule_housekeeping(hour_start + 1_000),
            second.schedule_housekeeping(hour_start + HOUR_MS - 1_000),
        );
        let created = [a.expect("schedule"), b.expect("schedule")];
        assert_eq!(created.iter().flatten().count(), 1, "{}: {created:?}", db.label());

        let store = db.open().await;
        let housekeeping = "SELECT COUNT(*) FROM jobs WHERE queue = 'housekeeping'";
        assert_eq!(count(&store, housekeeping).await, 1, "{}", db.label());

        // The next hour has a job of its own.
        let next = first.schedule_housekeeping(hour_start + HOUR_MS).await.expect("schedule");
        assert!(next.is_some(), "{}", db.label());
        assert_eq!(count(&store, housekeeping).await, 2, "{}", db.label());
    }
}

#[tokio::test]
async fn a_job_of_an_unknown_queue_is_retried_later_with_its_error_kept() {
    for db in every_backend().await {
        let store = db.open().await;
        let id = enqueue(&store, "no-such-queue", now_ms() - 1_000).await;
        let worker = Worker::new(store.clone(), "worker".into());

        let before = now_ms();
        let outcome = worker.run_once().await.expect("run_once").expect("a due job");
        let JobOutcome::Retrying { job, error, retry_at } = outcome else {
            panic!("{}: expected a retry, got {outcome:?}", db.label());
        };
        assert_eq!(job.id, id);
        assert!(error.contains("no-such-queue"), "{error}");
        assert!(retry_at >= before + retry_delay_ms(1, 1.0), "{}: retry at {retry_at}", db.label());

        let row = job_row(&store, id).await;
        assert_eq!(row.last_error.as_deref(), Some(error.as_str()), "{}", db.label());
        assert_eq!(row.run_at, retry_at, "{}", db.label());
        assert_eq!((row.attempts, row.lease_owner, row.done_at), (1, None, None), "{}", db.label());

        // Before its new time, neither this worker nor another takes it.
        assert_eq!(worker.run_once().await.expect("run_once"), None, "{}", db.label());
        let other = Worker::new(db.open().await, "other".into());
        assert_eq!(other.run_once().await.expect("run_once"), None, "{}", db.label());
        assert_eq!(job_row(&store, id).await.attempts, 1, "{}", db.label());

        // From its new time on, it is due again.
        let again = claim_as(&store, "later", retry_at, LEASE_MS).await.expect("due again");
        assert_eq!((again.id, again.attempts), (id, 2), "{}", db.label());
    }
}

#[tokio::test]
async fn a_job_under_a_live_lease_is_left_to_its_worker() {
    for db in every_backend().await {
        let store = db.open().await;
        let id = enqueue(&store, HOUSEKEEPING_QUEUE, now_ms() - 1_000).await;
        let held = claim_as(&store, "busy-worker", now_ms(), LEASE_MS).await.expect("claim");
        assert_eq!(held.id, id);

        let other = Worker::new(store.clone(), "other".into());
        assert_eq!(other.run_once().await.expect("run_once"), None, "{}", db.label());
        assert_eq!(job_row(&store, id).await.lease_owner.as_deref(), Some("busy-worker"), "{}", db.label());
    }
}

#[tokio::test]
async fn a_job_whose_worker_died_is_claimed_again_once_its_lease_runs_out() {
    for db in every_backend().await {
        let store = db.open().await;
        let now = now_ms();
        let id = enqueue(&store, HOUSEKEEPING_QUEUE, now - 10_000).await;

        // A worker claimed it ten seconds ago with a one-second lease, then vanished.
        let dead = claim_as(&store, "dead-worker", now - 10_000, 1_000).await.expect("claim");
        assert_eq!((dead.id, dead.attempts), (id, 1));

        let survivor = Worker::new(store.clone(), "survivor".into());
        let outcome = survivor.run_once().await.expect("run_once").expect("the abandoned job");
        let JobOutcome::Done(job) = outcome else {
            panic!("{}: expected the job to be done, got {outcome:?}", db.label());
        };
        assert_eq!((job.id, job.attempts), (id, 2), "{}", db.label());

        let row = job_row(&store, id).await;
        assert!(row.done_at.is_some(), "{}", db.label());
        assert_eq!(row.lease_owner.as_deref(), Some("survivor"), "{}", db.label());

        // Should the dead worker come back, it can no longer settle the job.
        let mut tx = store.begin().await.expect("begin");
        assert!(!jobs::complete(&mut tx, id, "dead-worker").await.expect("complete"), "{}", db.label());
        assert!(
            !jobs::retry_later(&mut tx, id, "dead-worker", "late", now).await.expect("retry"),
            "{}",
            db.label()
        );
        tx.commit().await.expect("commit");
    }
}

#[tokio::test]
async fn a_running_worker_works_through_due_jobs_and_stops_when_asked() {
    for db in every_backend().await {
        let store = db.open().await;
        for _ in 0..3 {
            enqueue(&store, HOUSEKEEPING_QUEUE, now_ms()).await;
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(Worker::new(store.clone(), "runner".into()).run(stopped));

        // The worker also schedules this hour's housekeeping and the minute's alert evaluation
        // and community refresh: at least four housekeeping jobs end up done, and nothing is
        // left undone.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        let done = "SELECT COUNT(*) FROM jobs WHERE done_at IS NOT NULL AND queue = 'housekeeping'";
        let undone = "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL";
        while count(&store, done).await < 4 || count(&store, undone).await > 0 {
            assert!(tokio::time::Instant::now() < deadline, "{}: jobs left undone", db.label());
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let refreshed = "SELECT COUNT(*) FROM jobs WHERE queue = 'community.refresh' AND done_at IS NOT NULL";
        assert!(count(&store, refreshed).await >= 1, "{}: the community refresh ran", db.label());

        stop.send(true).expect("worker listening");
        tokio::time::timeout(std::time::Duration::from_secs(5), running)
            .await
            .expect("worker stops within seconds")
            .expect("worker task");
    }
}
