//! The inbox's response times computed by the database (the overview's) equal, on SQLite and
//! PostgreSQL, what `tutti_domain::kpi::spread` computes from the conversations themselves:
//! counts, SLA breaches, and the nearest-rank median and 90th percentile of the first
//! response and of the resolution, for the workspace and for one channel.

use tutti_domain::kpi::spread;
use tutti_store::analytics::{self, ResponseTimes};
use tutti_store::publishing;
use tutti_store::workspaces;

const BASE: i64 = 1_800_000_000_000;
const SLA_MS: i64 = 2 * 3_600_000;
const NOW: i64 = BASE + 10 * 3_600_000;

/// The `i`-th conversation: `(channel index, kind, first item, first response, resolved)`.
fn drawn(i: i64) -> (usize, &'static str, i64, Option<i64>, Option<i64>) {
    let kind = ["reply", "mention", "quote", "dm", "follow"][(i % 5) as usize];
    let first = BASE + i * 60_000;
    let response = match i % 3 {
        0 => None,
        // One answer stamped a second before the item (clocks differ): it counts as 0 s.
        _ if i == 7 => Some(first - 1_000),
        _ => Some(first + ((i * 7_919) % 9_000) * 1_000 + 499),
    };
    let resolved = response.filter(|_| i % 4 != 1).map(|r| r + ((i * 104_729) % 86_400) * 1_000);
    ((i % 2) as usize, kind, first, response, resolved)
}

fn expected(n: i64, channel: Option<usize>) -> ResponseTimes {
    let rows: Vec<_> = (0..n)
        .map(drawn)
        .filter(|(c, kind, ..)| *kind != "follow" && channel.is_none_or(|k| k == *c))
        .collect();
    let seconds = |at: Option<i64>, first: i64| at.map(|a| (a - first).max(0) / 1000);
    let first: Vec<i64> = rows.iter().filter_map(|r| seconds(r.3, r.2)).collect();
    let resolution: Vec<i64> = rows.iter().filter_map(|r| seconds(r.4, r.2)).collect();
    ResponseTimes {
        asked: rows.len() as i64,
        answered: first.len() as i64,
        sla_breaches: rows.iter().filter(|r| r.3.unwrap_or(NOW) - r.2 > SLA_MS).count() as i64,
        first_response: spread(&first),
        resolution: spread(&resolution),
    }
}

#[tokio::test]
async fn the_database_computes_the_response_times_as_the_kpi_defines_them() {
    for backend in tutti_test_support::every_backend().await {
        let label = backend.label();
        let store = backend.open().await;
        let mut tx = store.begin().await.expect("tx");
        let org = workspaces::default_organisation(&mut tx, "Times").await.expect("organisation");
        let ws = workspaces::insert(&mut tx, org, "times", "Times", "UTC").await.expect("workspace");
        let mut channels = Vec::new();
        for handle in ["maison.times.test", "atelier.times.test"] {
            let c = publishing::insert_channel(&mut tx, &tutti_test_support::store_channel(ws.id, handle))
                .await
                .expect("channel");
            channels.push(c.id);
        }
        let n = 83;
        for i in 0..n {
            let (c, kind, first, response, resolved) = drawn(i);
            sqlx::query(
                "INSERT INTO conversations (workspace_id, channel_id, root_ref, kind, first_item_at, last_item_at, \
                 first_response_at, resolved_at) VALUES ($1, $2, $3, $4, $5, $5, $6, $7)",
            )
            .bind(ws.id)
            .bind(channels[c])
            .bind(format!("at://did:plc:times/app.bsky.feed.post/{i}"))
            .bind(kind)
            .bind(first)
            .bind(response)
            .bind(resolved)
            .execute(&mut *tx)
            .await
            .expect("conversation");
        }
        tx.commit().await.expect("commit");

        let mut db = store.conn().await.expect("conn");
        let period = (BASE, BASE + n * 60_000);
        let all = analytics::response_times(&mut db, ws.id, period, None, SLA_MS, NOW).await.expect("all");
        assert_eq!(all, expected(n, None), "[{label}] the workspace");
        assert!(all.first_response.is_some_and(|s| s.count > 40 && s.median > 0), "[{label}] {all:?}");
        assert!(all.sla_breaches > 0 && all.sla_breaches < all.asked, "[{label}] {all:?}");
        let one = analytics::response_times(&mut db, ws.id, period, Some(channels[1]), SLA_MS, NOW)
            .await
            .expect("one");
        assert_eq!(one, expected(n, Some(1)), "[{label}] one channel");
        // A period with a single conversation: its value is the median and the 90th percentile.
        let first = (BASE + 60_000, BASE + 120_000);
        let single =
            analytics::response_times(&mut db, ws.id, first, None, SLA_MS, NOW).await.expect("single");
        let s = single.first_response.expect("answered");
        assert_eq!((single.asked, s.count, s.median), (1, 1, s.p90), "[{label}]");
        let none = analytics::response_times(&mut db, ws.id, (0, 1), None, SLA_MS, NOW).await.expect("none");
        assert_eq!(none, ResponseTimes::default(), "[{label}] nothing asked");
    }
}
