//! The C++ client driver (`tests/interop/cpp_client.py`) installs, imports and keeps its
//! output contract without a broker.

mod common;

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

#[test]
fn driver_help_lists_every_subcommand() {
    let out = Command::new(common::interop_python())
        .arg(common::driver_script())
        .arg("--help")
        .output()
        .expect("run the driver");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "--help failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    for cmd in ["produce", "consume", "pull", "bench-produce"] {
        assert!(help.contains(cmd), "`{cmd}` missing from --help:\n{help}");
    }
}

#[test]
fn driver_loads_the_cpp_library() {
    let run = common::cpp(&["check"]);
    run.assert_ok();
    let library = run.summary["library"].as_str().unwrap_or_default();
    assert!(
        library.ends_with("librocketmq.so"),
        "unexpected library path:\n{run}"
    );
}

#[test]
fn produce_to_a_closed_port_fails_with_a_summary() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let namesrv = format!("127.0.0.1:{port}");
    let run = common::cpp(&[
        "produce",
        "--namesrv",
        &namesrv,
        "--count",
        "2",
        "--fail-fast",
        "--send-timeout-ms",
        "500",
    ]);
    assert!(!run.ok() && !run.killed, "expected a clean failure:\n{run}");
    assert_eq!(run.n("sent"), 0, "{run}");
    assert_eq!(
        run.n("failed"),
        1,
        "--fail-fast stops at the first failure:\n{run}"
    );
    assert_eq!(run.records("error").count(), 1, "{run}");
}

#[test]
fn consumer_prints_ready_and_a_summary_on_sigterm() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let namesrv = format!("127.0.0.1:{port}");
    let consumer = common::cpp_spawn(&[
        "consume",
        "--namesrv",
        &namesrv,
        "--expect",
        "3",
        "--timeout",
        "60",
    ]);
    assert!(
        consumer.wait_ready(Duration::from_secs(30)),
        "the consumer never printed ready"
    );
    consumer.terminate();
    let run = consumer.wait(Duration::from_secs(30));
    assert!(!run.killed, "{run}");
    assert_eq!(
        run.status.code(),
        Some(1),
        "nothing was received, so exit 1:\n{run}"
    );
    assert_eq!(run.summary["stopped"], true, "{run}");
    assert_eq!(run.n("received"), 0, "{run}");
    assert_eq!(run.n("missing"), 3, "{run}");
}
