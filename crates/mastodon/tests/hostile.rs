//! Statuses and notifications nested a hundred thousand deep, refused cleanly on a thread with
//! a small stack: the JSON reader stops at 128 levels of values it builds, skips the values it
//! ignores (a reblog) without recursing, and a typed field refuses a value of the wrong shape
//! at once.

use tutti_mastodon::{parse_status, StatusError};

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(f).unwrap().join().unwrap()
}

#[test]
fn a_status_nested_a_hundred_thousand_deep_is_refused_cleanly() {
    // Where a card is expected, through reblogs (as deep as the 512 kB a status may take
    // allow), and under a field nobody reads.
    let card =
        format!(r#"{{"id":"1","content":"x","card":{}1{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    let reblogs = format!("{}null{}", "{\"reblog\":".repeat(40_000), "}".repeat(40_000));
    let later =
        format!(r#"{{"id":"1","content":"x","later":{}1{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    for (deep, why_expected) in [(card, "invalid type"), (reblogs, "missing field"), (later, "missing field")]
    {
        match on_small_stack(move || parse_status(&deep, "mastodon.example")) {
            Err(StatusError::Malformed(why)) => assert!(why.contains(why_expected), "{why}"),
            other => panic!("refused, got {other:?}"),
        }
    }
}

#[test]
fn a_notification_nested_a_hundred_thousand_deep_is_refused_cleanly() {
    let deep = format!(
        r#"[{{"id":"1","type":"mention","status":{}{{}}{}}}]"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = on_small_stack(move || serde_json::from_str::<serde_json::Value>(&deep).unwrap_err().to_string());
    assert!(e.contains("recursion limit exceeded"), "{e}");
}
