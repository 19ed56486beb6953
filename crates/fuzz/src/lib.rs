//! Fuzzing for every parser of untrusted input, on stable Rust, as ordinary tests.
//!
//! Each crate that parses what the network, a file or a person sends keeps its fuzz targets
//! in `tests/fuzz.rs`; each target is a [`fuzz`] call: a name, a proptest [`Strategy`] of
//! inputs (random, and valid inputs mutated by [`mutated`] or nested by [`nested`]), and a
//! property that must hold for every input (no panic, a clean error, a round trip where there
//! is a printer).
//!
//! - Under plain `cargo test`, a target runs a fixed number of cases (a few seconds), with
//!   proptest's shrinking: a failure is reported as the smallest input found.
//! - With `TUTTI_FUZZ_SECONDS=600`, a target runs batch after batch of cases, each with a
//!   fresh random seed, until that many seconds have passed; a failure is reported (shrunk)
//!   and counted, and the run goes on. At the end it prints `fuzz <name>: <executions>
//!   executions in <seconds> s, <crashes> crashes` and fails if there was any crash. A stack
//!   overflow aborts the process: that is a crash too, seen by the test command failing.
//!
//! `TUTTI_FUZZ_CASES` changes the number of cases of a plain run (and the batch size of a
//! timed one).
//!
//! ```text
//! TUTTI_FUZZ_SECONDS=600 cargo test --release -p tutti-listen --test fuzz -- --test-threads=1 --nocapture
//! ```

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Strategy};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

pub use proptest;

/// What a timed run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuzzReport {
    /// How many times the property ran (shrinking included).
    pub executions: u64,
    /// How many batches found a failing input.
    pub crashes: u64,
    /// How long it ran.
    pub elapsed: Duration,
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Runs the fuzz target `name`: `cases` cases under plain `cargo test`, or batches of them
/// until `TUTTI_FUZZ_SECONDS` have passed. Panics (failing the test) on any failing input.
pub fn fuzz<S, F>(name: &str, cases: u32, strategy: S, property: F) -> FuzzReport
where
    S: Strategy,
    S::Value: std::fmt::Debug,
    F: Fn(S::Value) -> Result<(), TestCaseError>,
{
    let cases = env_number("TUTTI_FUZZ_CASES").map_or(cases, |n| n.clamp(1, u64::from(u32::MAX)) as u32);
    let seconds = env_number("TUTTI_FUZZ_SECONDS");
    let executions = AtomicU64::new(0);
    let counted = |value: S::Value| {
        executions.fetch_add(1, Ordering::Relaxed);
        // A panic is a failure of the property, reported with its input like any other.
        match catch_unwind(AssertUnwindSafe(|| property(value))) {
            Ok(result) => result,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "a panic".to_owned());
                Err(TestCaseError::fail(format!("panicked: {what}")))
            }
        }
    };
    let config = |cases: u32| Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        max_global_rejects: u32::MAX,
        ..Config::default()
    };
    let started = Instant::now();
    let Some(seconds) = seconds else {
        let mut runner = TestRunner::new(config(cases));
        if let Err(e) = runner.run(&strategy, counted) {
            panic!("fuzz {name}: {}", describe(&e));
        }
        return FuzzReport { executions: executions.into_inner(), crashes: 0, elapsed: started.elapsed() };
    };
    // Silence the default panic message of every caught panic in a long run; failures are
    // printed below with their input.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let deadline = started + Duration::from_secs(seconds);
    let mut crashes = 0;
    while Instant::now() < deadline {
        // A fresh random seed for every batch.
        let mut runner = TestRunner::new(config(cases));
        if let Err(e) = runner.run(&strategy, counted) {
            crashes += 1;
            eprintln!("fuzz {name}: crash {crashes}: {}", describe(&e));
        }
    }
    std::panic::set_hook(hook);
    let report = FuzzReport { executions: executions.into_inner(), crashes, elapsed: started.elapsed() };
    eprintln!(
        "fuzz {name}: {} executions in {:.0} s, {} crashes",
        report.executions,
        report.elapsed.as_secs_f64(),
        report.crashes
    );
    assert_eq!(crashes, 0, "fuzz {name}: {crashes} crashes");
    report
}

fn describe<T: std::fmt::Debug>(e: &TestError<T>) -> String {
    match e {
        TestError::Abort(why) => format!("aborted: {why}"),
        TestError::Fail(why, input) => {
            let mut shown = format!("{input:?}");
            if shown.len() > 4_000 {
                let mut cut = 4_000;
                while !shown.is_char_boundary(cut) {
                    cut -= 1;
                }
                shown.truncate(cut);
                shown.push('…');
            }
            format!("{why}; smallest failing input: {shown}")
        }
    }
}

/// One change to a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    /// Flip one bit.
    Flip(prop::sample::Index, u8),
    /// Put an interesting byte somewhere.
    Set(prop::sample::Index, u8),
    /// Insert bytes.
    Insert(prop::sample::Index, Vec<u8>),
    /// Remove a run of bytes.
    Remove(prop::sample::Index, usize),
    /// Repeat a run of bytes in place.
    Repeat(prop::sample::Index, usize, usize),
    /// Cut the input short.
    Truncate(prop::sample::Index),
    /// Replace a run of bytes with a run from elsewhere in the input.
    Splice(prop::sample::Index, prop::sample::Index, usize),
}

const INTERESTING: [u8; 16] =
    [0, 1, 0x7f, 0x80, 0xff, b'"', b'<', b'>', b'{', b'}', b'[', b']', b'\\', b'&', b';', b'\n'];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), 0..8u8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<prop::sample::Index>(), prop::sample::select(&INTERESTING[..]))
            .prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<prop::sample::Index>(), 1..16usize).prop_map(|(i, n)| Mutation::Remove(i, n)),
        (any::<prop::sample::Index>(), 1..32usize, 1..64usize)
            .prop_map(|(i, n, k)| Mutation::Repeat(i, n, k)),
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>(), 1..32usize)
            .prop_map(|(a, b, n)| Mutation::Splice(a, b, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    let at = |i: &prop::sample::Index| if len == 0 { 0 } else { i.index(len) };
    match m {
        Mutation::Flip(i, bit) if len > 0 => bytes[at(i)] ^= 1 << bit,
        Mutation::Set(i, b) if len > 0 => bytes[at(i)] = *b,
        Mutation::Insert(i, b) => {
            let p = if len == 0 { 0 } else { i.index(len + 1) };
            bytes.splice(p..p, b.iter().copied());
        }
        Mutation::Remove(i, n) if len > 0 => {
            let p = at(i);
            bytes.drain(p..(p + n).min(len));
        }
        Mutation::Repeat(i, n, k) if len > 0 => {
            let p = at(i);
            let run: Vec<u8> = bytes[p..(p + n).min(len)].to_vec();
            let copies: Vec<u8> = run.iter().copied().cycle().take(run.len() * k).collect();
            bytes.splice(p..p, copies);
        }
        Mutation::Truncate(i) if len > 0 => bytes.truncate(at(i)),
        Mutation::Splice(a, b, n) if len > 0 => {
            let (from, to) = (at(a), at(b));
            let run: Vec<u8> = bytes[from..(from + n).min(len)].to_vec();
            let end = (to + run.len()).min(len);
            bytes.splice(to..end, run);
        }
        _ => {}
    }
}

/// Valid inputs (`seeds`) changed by one to eight random mutations: bit flips, interesting
/// bytes, insertions, removals, repeated runs, truncation, splices. Most results are broken
/// in one place only, which is what reaches deep into a parser.
pub fn mutated(seeds: Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    assert!(!seeds.is_empty(), "mutated needs at least one seed");
    (prop::sample::select(seeds), prop::collection::vec(mutation(), 1..8))
        .prop_map(|(mut bytes, ms)| {
            for m in &ms {
                apply(&mut bytes, m);
            }
            bytes
        })
        .boxed()
}

/// Text from `seeds`, mutated like [`mutated`], read as UTF-8 with replacement characters.
pub fn mutated_text(seeds: &[&str]) -> BoxedStrategy<String> {
    mutated(seeds.iter().map(|s| s.as_bytes().to_vec()).collect())
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
        .boxed()
}

/// `open` repeated `depth` times, then `core`, then `close` repeated as often, with `depth`
/// from 0 up to `max_depth` (skewed toward both small and very large depths).
pub fn nested(
    open: &'static str,
    core: &'static str,
    close: &'static str,
    max_depth: usize,
) -> BoxedStrategy<String> {
    prop_oneof![0..64usize, 0..=max_depth, Just(max_depth),]
        .prop_map(move |depth| format!("{}{core}{}", open.repeat(depth), close.repeat(depth)))
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_change_inputs_and_never_panic() {
        let report = fuzz("mutator", 500, mutated(vec![b"hello".to_vec(), Vec::new()]), |bytes| {
            prop_assert!(bytes.len() < 5 + 8 * 32 * 64 + 64);
            Ok(())
        });
        assert!(report.executions >= 500);
    }

    #[test]
    fn a_failing_property_fails_with_its_smallest_input() {
        let failed = std::panic::catch_unwind(|| {
            fuzz("failing", 100, 0..1000u32, |n| {
                prop_assert!(n < 10);
                Ok(())
            })
        });
        let message = *failed.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("smallest failing input: 10"), "{message}");
    }

    #[test]
    fn nested_text_has_the_depth_asked() {
        let mut runner = TestRunner::deterministic();
        for _ in 0..50 {
            let s = nested("(", "x", ")", 1_000).new_tree(&mut runner).unwrap().current();
            assert_eq!(s.matches('(').count(), s.matches(')').count());
            assert!(s.len() <= 2_001);
        }
    }
}
