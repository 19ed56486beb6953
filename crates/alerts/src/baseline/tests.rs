//! Tests of spike detection on simulated traffic with a daily cycle.

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const BUCKETS_PER_HOUR: u32 = 4;

/// Mean mentions per 15-minute bucket at each local hour: a quiet night, a working day, a
/// busy evening.
const CYCLE: [f64; 24] = [
    3.0, 3.0, 3.0, 3.0, 3.0, 3.0, // night
    5.0, 8.0, 12.0, 12.0, 12.0, 14.0, // morning
    15.0, 14.0, 12.0, 12.0, 14.0, 20.0, // afternoon
    30.0, 40.0, 40.0, 35.0, 15.0, 6.0, // evening
];

/// Usual share of negative mentions.
const NEGATIVE: f64 = 0.12;

/// A Poisson draw (Knuth's method, fine for these means).
fn poisson(rng: &mut StdRng, mean: f64) -> u32 {
    let limit = (-mean).exp();
    let mut k = 0;
    let mut p: f64 = rng.gen();
    while p > limit {
        k += 1;
        p *= rng.gen::<f64>();
    }
    k
}

fn usual_bucket(rng: &mut StdRng, hour: u8) -> Bucket {
    let count = poisson(rng, CYCLE[usize::from(hour)]);
    let negative = (0..count).filter(|_| rng.gen_bool(NEGATIVE)).count() as u32;
    Bucket { local_hour: hour, count, negative }
}

/// Feeds `days` of usual traffic and gives every spike found, with the day and hour.
fn simulate(baseline: &mut Baseline, rng: &mut StdRng, days: u32) -> Vec<(u32, u8, Spike)> {
    let mut found = Vec::new();
    for day in 0..days {
        for hour in 0..24u8 {
            for _ in 0..BUCKETS_PER_HOUR {
                for spike in baseline.observe(usual_bucket(rng, hour)) {
                    found.push((day, hour, spike));
                }
            }
        }
    }
    found
}

/// A baseline that has learned two weeks of usual traffic.
fn trained(seed: u64) -> (Baseline, StdRng) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut baseline = Baseline::default();
    simulate(&mut baseline, &mut rng, 14);
    (baseline, rng)
}

fn kinds(spikes: &[Spike]) -> Vec<SpikeKind> {
    spikes.iter().map(|s| s.kind).collect()
}

#[test]
fn steady_traffic_with_a_daily_cycle_never_alerts() {
    // Warm-up included: the first day (nothing warm), days 2 and 3 (hours still cold, tested
    // against the all-hours baseline), then the hours' own baselines.
    let mut rng = StdRng::seed_from_u64(2);
    let mut baseline = Baseline::default();
    assert_eq!(simulate(&mut baseline, &mut rng, 14), vec![]);
}

#[test]
fn false_alerts_on_steady_traffic_are_rare() {
    // A z-score of 3 is exceeded by chance once in about 740 buckets of a normal variable.
    // The minimum count, the minimum ratio and the square-root and arcsine scales make it
    // rarer on counts; this measures how rare, on 20 runs of 4 weeks (53,760 buckets).
    let mut buckets = 0;
    let mut alerts = Vec::new();
    for seed in 100..120 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut baseline = Baseline::default();
        alerts.extend(simulate(&mut baseline, &mut rng, 28));
        buckets += 28 * 24 * BUCKETS_PER_HOUR;
    }
    let rate = alerts.len() as f64 / f64::from(buckets);
    assert!(rate < 5e-4, "{} false alerts in {buckets} buckets: {alerts:?}", alerts.len());
    // None during the first day, and none that would pass a threshold of 3.5.
    for (day, _, spike) in &alerts {
        assert!(*day >= 1, "{spike:?}");
        assert!(spike.z < 3.5, "{spike:?}");
    }
}

#[test]
fn unusual_buckets_after_two_weeks() {
    use SpikeKind::{NegativeShare, Volume};
    struct Case {
        name: &'static str,
        bucket: Bucket,
        expect: &'static [SpikeKind],
    }
    let b = |local_hour, count, negative| Bucket { local_hour, count, negative };
    let cases = [
        Case { name: "5x burst at night", bucket: b(3, 15, 2), expect: &[Volume] },
        Case { name: "same count at the busy hour", bucket: b(20, 15, 2), expect: &[] },
        Case { name: "busy hour's usual count at night", bucket: b(3, 40, 5), expect: &[Volume] },
        Case { name: "usual count at the busy hour", bucket: b(20, 40, 5), expect: &[] },
        Case { name: "twice the busy hour", bucket: b(20, 90, 11), expect: &[Volume] },
        Case { name: "negative share jumps", bucket: b(20, 40, 22), expect: &[NegativeShare] },
        Case { name: "negative share jumps within the margin", bucket: b(20, 40, 11), expect: &[] },
        Case { name: "angry burst", bucket: b(3, 30, 20), expect: &[Volume, NegativeShare] },
        Case { name: "few negatives, all negative", bucket: b(3, 4, 4), expect: &[] },
        Case { name: "quiet hour, two posts", bucket: b(3, 2, 0), expect: &[] },
        Case { name: "nothing at all", bucket: b(20, 0, 0), expect: &[] },
        Case { name: "hour 27 is hour 3", bucket: b(27, 15, 2), expect: &[Volume] },
    ];
    for seed in [11, 12, 13] {
        let (trained, _) = trained(seed);
        for case in &cases {
            let mut baseline = trained.clone();
            let spikes = baseline.observe(case.bucket);
            assert_eq!(kinds(&spikes), case.expect, "{} (seed {seed}): {spikes:?}", case.name);
            for spike in &spikes {
                assert!(spike.z >= 3.0 && spike.observed > spike.expected, "{}", case.name);
            }
            assert_eq!(crisis_suggested(&spikes), case.expect.len() == 2, "{}: crisis suggested", case.name);
        }
    }
}

#[test]
fn spike_reports_what_was_expected() {
    let (mut baseline, _) = trained(21);
    let spikes = baseline.observe(Bucket { local_hour: 3, count: 30, negative: 20 });
    let volume = spikes.iter().find(|s| s.kind == SpikeKind::Volume).unwrap();
    assert_eq!(volume.observed, 30.0);
    assert!((2.0..4.5).contains(&volume.expected), "{volume:?}");
    let share = spikes.iter().find(|s| s.kind == SpikeKind::NegativeShare).unwrap();
    assert!((share.observed - 20.0 / 30.0).abs() < 1e-12);
    assert!((0.05..0.2).contains(&share.expected), "{share:?}");
}

#[test]
fn a_burst_does_not_teach_that_bursts_are_normal() {
    let (mut baseline, mut rng) = trained(31);
    let before = baseline.hour(3).count.mean;
    let burst = Bucket { local_hour: 3, count: 400, negative: 10 };
    assert_eq!(kinds(&baseline.observe(burst)), [SpikeKind::Volume]);
    let after = baseline.hour(3).count.mean;
    assert!(after - before < 1.0, "mean went from {before} to {after}");
    // The next day, the same burst at the same hour still alerts.
    simulate(&mut baseline, &mut rng, 1);
    assert_eq!(kinds(&baseline.observe(burst)), [SpikeKind::Volume]);
}

#[test]
fn a_lasting_change_of_level_is_learned() {
    let mut rng = StdRng::seed_from_u64(41);
    let mut baseline = Baseline::default();
    let flat = |rng: &mut StdRng, baseline: &mut Baseline, mean: f64, days: u32| {
        let mut spikes = 0;
        for _ in 0..days {
            for hour in 0..24 {
                for _ in 0..BUCKETS_PER_HOUR {
                    let count = poisson(rng, mean);
                    spikes += baseline.observe(Bucket { local_hour: hour, count, negative: 0 }).len();
                }
            }
        }
        spikes
    };
    assert_eq!(flat(&mut rng, &mut baseline, 10.0, 7), 0);
    // Traffic triples for good: it alerts at first, then becomes the usual.
    assert!(flat(&mut rng, &mut baseline, 30.0, 1) > 0);
    flat(&mut rng, &mut baseline, 30.0, 20);
    assert_eq!(flat(&mut rng, &mut baseline, 30.0, 7), 0);
}

#[test]
fn warm_up_never_alerts() {
    // Wild traffic while nothing is warm: no alert, however extreme.
    let config = BaselineConfig::default();
    let mut baseline = Baseline::new(config.clone());
    for i in 0..config.global_warmup {
        let hour = (i / BUCKETS_PER_HOUR % 24) as u8;
        let count = if i % 7 == 6 { 5_000 } else { i % 3 };
        let spikes = baseline.observe(Bucket { local_hour: hour, count, negative: count });
        assert_eq!(spikes, vec![], "bucket {i}");
    }
}

#[test]
fn cold_hours_fall_back_to_the_all_hours_baseline() {
    // One day of flat traffic: every hour has 4 observations (not warm), all hours 96 (warm).
    let mut rng = StdRng::seed_from_u64(51);
    let mut baseline = Baseline::default();
    for hour in 0..24 {
        for _ in 0..BUCKETS_PER_HOUR {
            let count = poisson(&mut rng, 10.0);
            assert_eq!(baseline.observe(Bucket { local_hour: hour, count, negative: 1 }), vec![]);
        }
    }
    assert!(baseline.hour(5).count.n < u64::from(baseline.config().hour_warmup));
    let mut burst = baseline.clone();
    let spikes = burst.observe(Bucket { local_hour: 5, count: 60, negative: 2 });
    assert_eq!(kinds(&spikes), [SpikeKind::Volume]);
    assert!((8.0..12.0).contains(&spikes[0].expected), "{spikes:?}");
    let mut usual = baseline.clone();
    assert_eq!(usual.observe(Bucket { local_hour: 5, count: 12, negative: 1 }), vec![]);

    // With a stricter all-hours warm-up, the same burst is still warm-up.
    let config = BaselineConfig { global_warmup: 200, ..BaselineConfig::default() };
    baseline.set_config(config);
    assert_eq!(baseline.observe(Bucket { local_hour: 5, count: 60, negative: 2 }), vec![]);
}

#[test]
fn thresholds_are_configurable() {
    let (trained, _) = trained(61);
    let bucket = Bucket { local_hour: 20, count: 40, negative: 22 };
    let mut strict = trained.clone();
    strict.set_config(BaselineConfig { negative_margin: 0.6, ..BaselineConfig::default() });
    assert_eq!(strict.observe(bucket), vec![]);
    let mut few = trained.clone();
    few.set_config(BaselineConfig { min_negative: 30, ..BaselineConfig::default() });
    assert_eq!(few.observe(bucket), vec![]);
    let night = Bucket { local_hour: 3, count: 15, negative: 2 };
    let mut big = trained.clone();
    big.set_config(BaselineConfig { min_count: 20, ..BaselineConfig::default() });
    assert_eq!(big.observe(night), vec![]);
}

/// Whether two JSON values are the same up to the last bits of their floating-point numbers
/// (parsing JSON may be off by one unit in the last place).
fn nearly_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_u64(), y.as_u64()) {
            (Some(x), Some(y)) => x == y,
            _ => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
            }
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| nearly_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| nearly_equal(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn state_round_trips_through_json() {
    let mut rng = StdRng::seed_from_u64(71);
    let mut baseline = Baseline::default();
    simulate(&mut baseline, &mut rng, 5);
    let json = serde_json::to_string(&baseline).unwrap();
    assert!(!json.contains("z_threshold"), "the config is not part of the state");
    let mut loaded: Baseline = serde_json::from_str(&json).unwrap();
    let value = |b: &Baseline| serde_json::to_value(b).unwrap();
    assert!(nearly_equal(&value(&loaded), &value(&baseline)));
    assert_eq!(loaded.hour(20).count.n, 20);
    assert_eq!(loaded.all_hours().count.n, 5 * 96);

    // Both go on alike: the same spikes, then the same state.
    let mut same = |bucket: Bucket| {
        let (a, b) = (baseline.observe(bucket), loaded.observe(bucket));
        assert_eq!(kinds(&a), kinds(&b), "{bucket:?}");
        for (a, b) in a.iter().zip(&b) {
            assert!((a.z - b.z).abs() < 1e-9 && (a.expected - b.expected).abs() < 1e-9);
        }
        a.len()
    };
    let mut found = 0;
    for _ in 0..3 {
        for hour in 0..24 {
            found += same(usual_bucket(&mut rng, hour));
        }
    }
    assert_eq!(found, 0);
    assert_eq!(same(Bucket { local_hour: 2, count: 50, negative: 40 }), 2);
    assert!(nearly_equal(&value(&loaded), &value(&baseline)));

    // A stored state keeps working with the thresholds given after loading.
    let mut strict: Baseline = serde_json::from_str(&json).unwrap();
    strict.set_config(BaselineConfig { min_count: 100, ..BaselineConfig::default() });
    let spikes = strict.observe(Bucket { local_hour: 2, count: 50, negative: 40 });
    assert_eq!(kinds(&spikes), [SpikeKind::NegativeShare]);
}

#[test]
fn config_deserialises_with_defaults() {
    let config: BaselineConfig = serde_json::from_str(r#"{"min_count": 25}"#).unwrap();
    assert_eq!(config, BaselineConfig { min_count: 25, ..BaselineConfig::default() });
}
