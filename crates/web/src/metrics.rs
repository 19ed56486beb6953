//! Prometheus metrics: requests and latencies by route, and the database pool.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// The server's metrics, in a registry of its own (several servers can live in one process).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_size: IntGauge,
    pool_idle: IntGauge,
    db_uses: IntCounter,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("tutti_http_requests_total", "HTTP requests by route, method and status"),
            &["route", "method", "status"],
        )
        .expect("metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "tutti_http_request_duration_seconds",
                "Time to answer HTTP requests, by route",
            )
            .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
            &["route", "method"],
        )
        .expect("metric");
        let pool_size =
            IntGauge::new("tutti_db_pool_connections", "Database connections open").expect("metric");
        let pool_idle =
            IntGauge::new("tutti_db_pool_idle_connections", "Database connections idle").expect("metric");
        let db_uses = IntCounter::new(
            "tutti_db_uses_total",
            "Times this process used the database: a connection taken for reads, a transaction, a ping",
        )
        .expect("metric");
        for m in [
            Box::new(db_uses.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(requests.clone()),
            Box::new(latency.clone()),
            Box::new(pool_size.clone()),
            Box::new(pool_idle.clone()),
        ] {
            registry.register(m).expect("register metric");
        }
        Metrics { registry, requests, latency, pool_size, pool_idle, db_uses }
    }

    /// Counts one answered request and its time, under its route pattern.
    pub fn record(&self, route: &str, method: &str, status: &str, seconds: f64) {
        self.requests.with_label_values(&[route, method, status]).inc();
        self.latency.with_label_values(&[route, method]).observe(seconds);
    }

    /// The text exposition of every metric.
    pub fn render(&self, pool: (u32, usize), db_uses: u64) -> String {
        self.pool_size.set(pool.0 as i64);
        self.pool_idle.set(pool.1 as i64);
        self.db_uses.inc_by(db_uses.saturating_sub(self.db_uses.get()));
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("encode metrics");
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
