//! What the command line's test files share: running `tutti` on a data directory with nothing
//! from the environment but the private hosts a test allows, and reading its answer.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `tutti --data-dir DIR ARGS…` with `stdin` as its input, allowing the private hosts
/// `allowed` (`HOST:PORT,…`, empty for none).
pub fn tutti(dir: &Path, allowed: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("TUTTI_ALLOW_PRIVATE_HOSTS", allowed)
        .env_remove("TUTTI_DATABASE_URL")
        .env_remove("TUTTI_AS")
        .env_remove("TUTTI_SECRET_KEYS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The standard output of a run that succeeded (else the test fails with its error output).
pub fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The error output of a run that failed (else the test fails with what it printed).
#[allow(dead_code)]
pub fn refused(out: Output) -> String {
    assert!(!out.status.success(), "accepted: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr).unwrap()
}
