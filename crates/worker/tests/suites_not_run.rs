//! The closing summary of a `cargo test --workspace` run: which suites could not run for want
//! of a peer (PostgreSQL, Chromium, the reference network), as recorded by each test binary's
//! latest run. Cargo runs test binaries by package, then by name, so this one (`tutti-worker`,
//! `suites_not_run`) runs after every other suite of the workspace; the doc tests follow.
//!
//! It never fails for a missing peer: strict mode (`TUTTI_TEST_STRICT=1`) already failed the
//! suite that missed it. It writes to the process's standard error, which the harness does not
//! capture, so the summary reaches the terminal.

use std::io::Write;

#[test]
fn say_which_suites_could_not_run() {
    let skips = tutti_test_support::recorded_skips();
    let mut err = std::io::stderr().lock();
    if skips.is_empty() {
        let _ = writeln!(err, "\nevery suite ran: no peer was missing");
        return;
    }
    let _ = writeln!(
        err,
        "\n{} suite(s) did NOT run, in these test binaries (their latest run); \"N passed\" above does not include them:",
        skips.len()
    );
    for (binary, suite, why) in &skips {
        let _ = writeln!(err, "  - {binary}: {suite} — {why}");
    }
    let _ = writeln!(
        err,
        "set the peers up (see the README) or run with TUTTI_TEST_STRICT=1 to make this a failure\n"
    );
}
