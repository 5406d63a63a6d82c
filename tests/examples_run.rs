//! The issue-13 examples run as a newcomer runs them (`cargo run --example <name>` from the
//! workspace root, no name server configured, so the embedded broker starts) and print what
//! their doc comments promise: each must exit 0 within its deadline with the expected lines.
//! `cargo test` builds the examples before running this binary.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest an example may run: its own waits are at most 90 s.
const DEADLINE: Duration = Duration::from_secs(150);

/// `target/debug/examples/<name>`, next to this test binary's `deps` directory.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target/debug");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is not built (cargo test builds the examples)",
        path.display()
    );
    path
}

/// Runs an example from the workspace root on the embedded broker; returns its stdout after it
/// exited 0 (or fails the test with its output).
fn run(name: &str) -> String {
    let mut child = Command::new(example(name))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("ROCKETMQ_NAME_SERVER")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start example {name}: {e}"));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for example") {
            break Some(status);
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    match status {
        Some(s) if s.success() => out,
        Some(s) => panic!("example {name} exited with {s}\nstdout:\n{out}\nstderr:\n{err}"),
        None => panic!(
            "example {name} still running after {DEADLINE:?}\nstdout:\n{out}\nstderr:\n{err}"
        ),
    }
}

fn assert_has(name: &str, out: &str, line: &str) {
    assert!(
        out.lines().any(|l| l.contains(line)),
        "example {name} did not print {line:?}:\n{out}"
    );
}

#[test]
fn transaction_producer_delivers_the_committed_and_checked_ones() {
    let out = run("transaction_producer");
    assert_has("transaction_producer", &out, "7 of 10 messages delivered");
}

#[test]
fn boot_transaction_delivers_commit_and_checked_never_rollback() {
    let out = run("boot_transaction");
    assert_has("boot_transaction", &out, "3 messages delivered");
    assert!(!out.contains("received order 2"), "{out}");
}

#[test]
fn request_reply_gets_three_replies() {
    let out = run("request_reply");
    let replies = out.lines().filter(|l| l.contains(", reply: ")).count();
    assert_eq!(replies, 3, "{out}");
}

#[test]
fn boot_request_reply_returns_the_decoded_replies() {
    let out = run("boot_request_reply");
    assert_has("boot_request_reply", &out, "echo: hello");
    assert_has("boot_request_reply", &out, "Price");
}

#[test]
fn boot_deliver_time_delivers_three_and_refuses_a_year() {
    let out = run("boot_deliver_time");
    assert_has("boot_deliver_time", &out, "listener received 3 of 3");
    assert_has("boot_deliver_time", &out, "refused:");
    assert_has("boot_deliver_time", &out, "timerMaxDelaySec");
}

#[test]
fn boot_sql92_receives_only_the_matching_two() {
    let out = run("boot_sql92");
    assert_has("boot_sql92", &out, "received 2 of 5");
}
