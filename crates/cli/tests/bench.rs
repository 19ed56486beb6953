//! Smoke runs of every `tutti bench` command on tiny sizes, through the real binary: each
//! finishes, and its JSON report has the counts asked for, says what it measured (the mix of
//! posts, the endpoint, the path of the ingestion) and holds sane numbers. No timing is
//! asserted. The database benchmarks run on SQLite and, when `TUTTI_TEST_POSTGRES_URL` is set,
//! PostgreSQL; the publishing one also against the local AT Protocol network's PDS.

use std::process::Command;

use serde_json::Value;
use tutti_store::{inbox, publishing, workspaces};
use tutti_test_support::devnet::Devnet;

/// Runs `tutti ARGS` in a fresh directory; its JSON report, or a failure with what it printed.
fn bench(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .current_dir(dir.path())
        .env("TUTTI_DATA_DIR", dir.path())
        .env("TUTTI_LOG", "warn")
        .env_remove("TUTTI_DATABASE_URL")
        .args(args)
        .output()
        .expect("run tutti");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tutti {args:?} failed ({:?})\n--- stdout\n{stdout}--- stderr\n{stderr}",
        out.status
    );
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("tutti {args:?} printed no JSON ({e}):\n{stdout}"))
}

/// The number at `pointer`, which must be there.
fn num(report: &Value, pointer: &str) -> f64 {
    report
        .pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no number at {pointer}: {report}"))
}

#[test]
fn bench_listen_reports_its_mix_and_every_rate() {
    let r = bench(&["bench", "listen", "--queries", "40", "--posts", "600", "--threads", "2", "--json"]);
    assert_eq!(num(&r, "/queries"), 40.0);
    assert_eq!(num(&r, "/posts"), 600.0);
    assert_eq!(num(&r, "/mix/non_latin_percent"), 30.0, "the realistic default: {r}");
    assert_eq!(num(&r, "/mix/brand_percent"), 1.0, "the realistic default: {r}");
    let scripts = r["mix"]["posts_by_script"].as_object().expect("posts by script");
    assert_eq!(scripts.values().filter_map(Value::as_u64).sum::<u64>(), 600, "{r}");
    assert!(scripts["latin"].as_u64() < Some(600) && scripts["japanese"].as_u64() > Some(0), "{r}");
    assert!(num(&r, "/mix/posts_naming_a_brand") < 60.0, "about 1 % name a brand: {r}");
    assert_eq!(num(&r, "/threads"), 2.0);
    for rate in ["engine_posts_per_s", "engine_parallel_posts_per_s", "reference_posts_per_s"] {
        assert!(num(&r, &format!("/{rate}")) > 0.0, "{rate}: {r}");
    }
    assert!(num(&r, "/automaton_pass_over_raw_text_posts_per_s") > 0.0, "{r}");
    assert!(r.get("scan_posts_per_s").is_none(), "the automaton pass is named as what it is: {r}");
    assert!(num(&r, "/posts_matched") <= num(&r, "/matches"), "{r}");
    assert_eq!(r["reference_agrees"], Value::Bool(true), "{r}");

    // Another mix, as asked.
    let r = bench(&[
        "bench",
        "listen",
        "--queries",
        "20",
        "--posts",
        "200",
        "--non-latin-percent",
        "0",
        "--brand-percent",
        "50",
        "--json",
    ]);
    assert_eq!(num(&r, "/mix/posts_by_script/latin"), 200.0, "{r}");
    assert!(num(&r, "/mix/posts_naming_a_brand") > 50.0, "{r}");
    assert!(num(&r, "/matches") > 0.0, "half the posts name a brand, some match: {r}");
}

#[test]
fn bench_listen_refuses_a_mix_out_of_range_naming_the_option() {
    let out = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .args(["bench", "listen", "--queries", "5", "--posts", "5", "--brand-percent", "120"])
        .output()
        .expect("run tutti");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--brand-percent"), "{stderr}");
}

#[test]
fn bench_listen_replay_reports_the_events_and_their_mix() {
    let r = bench(&["bench", "listen-replay", "--events", "300", "--queries", "20", "--json"]);
    assert_eq!(num(&r, "/events"), 300.0, "{r}");
    let posts = num(&r, "/posts");
    assert!(posts > 250.0 && posts < 300.0, "most events are posts: {r}");
    assert_eq!(num(&r, "/queries"), 20.0);
    assert_eq!(num(&r, "/mix/non_latin_percent"), 30.0, "{r}");
    assert!(num(&r, "/mix/posts_by_script/latin") > 0.0, "{r}");
    assert!(num(&r, "/mentions") <= posts, "{r}");
    assert!(num(&r, "/events_per_s") > 0.0 && num(&r, "/file_bytes") > 0.0, "{r}");
}

/// Checks the figures every publishing report holds, for `posts` posts.
fn check_publish_report(r: &Value, posts: f64) {
    assert_eq!(num(r, "/posts"), posts, "{r}");
    assert_eq!(num(r, "/published"), posts, "{r}");
    assert_eq!(num(r, "/records_at_endpoint"), posts, "{r}");
    assert_eq!(num(r, "/duplicates"), 0.0, "{r}");
    let (p50, p99, max) = (num(r, "/lag_p50_ms"), num(r, "/lag_p99_ms"), num(r, "/lag_max_ms"));
    assert!(p50 <= p99 && p99 <= max, "{r}");
    assert!(r["worker_peak_rss_bytes"].as_array().is_some_and(|w| w.len() == 1), "{r}");
}

#[tokio::test]
async fn bench_publish_says_what_it_published_to_and_what_its_rate_is() {
    for db in tutti_test_support::every_backend().await {
        // All due at once: the rate is the publisher's throughput.
        let r = bench(&[
            "bench",
            "publish",
            "--database-url",
            &db.url,
            "--posts",
            "4",
            "--workers",
            "1",
            "--spread-secs",
            "0",
            "--json",
        ]);
        check_publish_report(&r, 4.0);
        assert_eq!(r["backend"], db.label(), "{r}");
        assert_eq!(r["endpoint"], "in_process_fake_pds", "{r}");
        let described = r["endpoint_description"].as_str().unwrap_or_default();
        assert!(
            described.contains("in-process fake PDS endpoint") && described.contains("not a network"),
            "{r}"
        );
        assert!(num(&r, "/throughput_posts_per_s") > 0.0, "{r}");
        assert!(r["schedule_bound_rate_posts_per_s"].is_null(), "{r}");
        assert_eq!(num(&r, "/taken_key_refusals"), 0.0, "{r}");
    }
    // Spread over a second: the rate is the schedule's, and is named so.
    let r = bench(&["bench", "publish", "--posts", "3", "--spread-secs", "1", "--json"]);
    check_publish_report(&r, 3.0);
    assert!(r["throughput_posts_per_s"].is_null(), "no throughput with a spread: {r}");
    assert!(num(&r, "/schedule_bound_rate_posts_per_s") > 0.0, "{r}");
}

#[tokio::test]
async fn bench_publish_publishes_to_a_real_pds_with_service() {
    let Some(devnet) = Devnet::start("bench publish --service", false).await else { return };
    let pds = devnet.pds_url.clone();
    let r = tokio::task::spawn_blocking(move || {
        bench(&["bench", "publish", "--service", &pds, "--posts", "3", "--spread-secs", "0", "--json"])
    })
    .await
    .expect("the benchmark's thread");
    check_publish_report(&r, 3.0);
    assert_eq!(r["endpoint"], "pds", "{r}");
    assert!(r["endpoint_description"].as_str().is_some_and(|d| d.contains(&devnet.pds_url)), "{r}");
    assert!(r["taken_key_refusals"].is_null(), "only the fake endpoint counts those: {r}");
}

#[tokio::test]
async fn bench_inbox_loads_several_items_a_conversation_and_ingests_through_the_worker() {
    for db in tutti_test_support::every_backend().await {
        let r = bench(&[
            "bench",
            "inbox",
            "--database-url",
            &db.url,
            "--conversations",
            "60",
            "--requests",
            "2",
            "--ingest",
            "90",
            "--batch",
            "25",
            "--json",
        ]);
        assert_eq!(r["backend"], db.label(), "{r}");
        assert_eq!(num(&r, "/conversations"), 60.0, "{r}");
        assert!(num(&r, "/items_loaded") > 60.0, "several items a conversation: {r}");
        assert!(num(&r, "/items_per_conversation_loaded") > 1.0, "{r}");
        assert!(r["load_path"].as_str().is_some_and(|p| p.contains("bulk")), "{r}");
        let views = r["views"].as_array().expect("views");
        assert_eq!(views.len(), 5, "{r}");
        assert!(views.iter().all(|v| v["round_trip_ms"]["p50"].as_f64().is_some_and(|ms| ms > 0.0)), "{r}");
        assert!(
            views[0]["rows"].as_u64().is_some_and(|rows| rows > 0),
            "the open conversations are listed: {r}"
        );
        assert_eq!(num(&r, "/ingest/items"), 90.0, "{r}");
        assert_eq!(num(&r, "/ingest/batches"), 4.0, "{r}");
        assert!(num(&r, "/ingest/conversations_moved") > 0.0, "{r}");
        assert!(num(&r, "/ingest/conversations_assigned") > 0.0, "round robin is on: {r}");
        assert!(
            r["ingest"]["path"].as_str().is_some_and(|p| p.contains("worker") && p.contains("cursor")),
            "{r}"
        );

        // The worker's steps left their marks: every channel's cursor saved under the
        // benchmark's lease.
        let store = db.open().await;
        let mut conn = store.conn().await.expect("a connection");
        let ws = workspaces::list(&mut conn).await.expect("workspaces").pop().expect("the bench's workspace");
        let channels = publishing::channels_of(&mut conn, ws.id).await.expect("channels");
        drop(conn);
        assert_eq!(channels.len(), 3);
        for c in channels {
            let mut tx = store.begin().await.expect("a transaction");
            let now = tutti_store::now_ms();
            let cursor =
                inbox::claim_cursor(&mut tx, c.id, "tutti-bench-inbox", now, 1_000).await.expect("claim");
            assert!(
                cursor.as_ref().and_then(|c| c.as_deref()).is_some_and(|c| c.starts_with("bench-")),
                "{}: {cursor:?}",
                c.handle
            );
            tx.rollback().await.expect("rollback");
        }
        store.close().await;
    }
}

#[tokio::test]
async fn bench_analytics_times_every_read_and_collects_from_the_local_appview() {
    for db in tutti_test_support::every_backend().await {
        let r = bench(&[
            "bench",
            "analytics",
            "--database-url",
            &db.url,
            "--posts",
            "2000",
            "--snapshots",
            "10000",
            "--conversations",
            "300",
            "--requests",
            "5",
            "--collect",
            "60",
            "--json",
        ]);
        assert_eq!(r["backend"], db.label(), "{r}");
        assert_eq!(num(&r, "/posts"), 2000.0, "{r}");
        assert_eq!(num(&r, "/load/posts/rows"), 2000.0, "{r}");
        assert_eq!(num(&r, "/load/post_snapshots/rows"), 10000.0, "{r}");
        assert_eq!(num(&r, "/load/channel_counts/rows"), 50.0 * 366.0, "{r}");
        assert!(r["load_path"].as_str().is_some_and(|p| p.contains("bulk")), "{r}");
        for read in
            ["summary_90d", "posts_by_engagements_90d", "posts_by_published_90d", "team_90d", "best_times"]
        {
            let (p50, p95, max) = (
                num(&r, &format!("/reads/{read}/p50_ms")),
                num(&r, &format!("/reads/{read}/p95_ms")),
                num(&r, &format!("/reads/{read}/max_ms")),
            );
            assert!(0.0 < p50 && p50 <= p95 && p95 <= max, "{read}: {r}");
        }
        // About a quarter of a year's posts fall in 90 days; a page is 50 rows.
        let in_90_days = num(&r, "/reads/summary_90d/rows");
        assert!(in_90_days > 300.0 && in_90_days < 700.0, "{r}");
        assert_eq!(num(&r, "/reads/posts_by_engagements_90d/rows"), 50.0, "{r}");
        assert!(num(&r, "/reads/team_90d/rows") > 0.0, "{r}");
        assert!(num(&r, "/rss_peak_bytes") > 0.0, "{r}");

        // 60 posts at 25 a call: 3 calls, each way; every count stored as the server gave it.
        let c = &r["collection"];
        for way in ["collect_now", "posts_job"] {
            assert_eq!(num(c, &format!("/{way}/calls_get_posts")), 3.0, "{way}: {r}");
            assert_eq!(num(c, &format!("/{way}/stored_counts_match_server")), 60.0, "{way}: {r}");
            assert!(num(c, &format!("/{way}/wall_s")) >= 0.0, "{r}");
        }
        assert_eq!(num(c, "/collect_now/posts_measured"), 60.0, "{r}");
        assert_eq!(num(c, "/posts_job/posts_measured_on_schedule"), 60.0, "{r}");
        assert_eq!(num(c, "/read_budget/posts_per_call"), 25.0, "{r}");
        assert_eq!(num(c, "/appview_limit/requests_per_5_min_per_address"), 3000.0, "{r}");
    }
}
