//! The Java push consumer subscribing with `MessageSelector.bySql` on rmq-broker: its start
//! asks CHECK_CLIENT_CONFIG, its heartbeat registers the expression, its pulls (without the
//! subscription flag) are filtered by it; a bad expression fails the consumer's start as on an
//! Apache broker.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::java_client_spawn;
use crate::{argv, broker, java};

async fn produce(ns: &str, topic: &str, prefix: &str, props: &str, n: usize) {
    java(argv(&[
        "produce",
        "--namesrv",
        ns,
        "--topic",
        topic,
        "--prefix",
        prefix,
        "--count",
        &n.to_string(),
        "--props",
        props,
        "--quiet",
    ]))
    .await
    .assert_ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_sql92_consumer_gets_only_matching_messages() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    b.create_topic("jc-sql", 4);
    produce(&ns, "jc-sql", "lo", "a=1,region=eu", 20).await;
    produce(&ns, "jc-sql", "hi", "a=9,region=eu", 20).await;
    produce(&ns, "jc-sql", "us", "a=9,region=us", 20).await;
    let args = argv(&[
        "consume",
        "--namesrv",
        &ns,
        "--topic",
        "jc-sql",
        "--group",
        "jc-sql-c",
        "--sql",
        "a > 5 AND region IN ('eu')",
        "--from-first",
        "--verbose",
        "--expect",
        "20",
        "--prefix",
        "hi",
        "--timeout",
        "90",
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let child = java_client_spawn(&args);
    assert!(
        child.wait_ready(Duration::from_secs(60)),
        "the Java consumer did not start"
    );
    let got = child.wait_lines(Duration::from_secs(60), 20, |v| v["recv"].is_string());
    assert!(got.len() >= 20, "received {} of 20", got.len());
    child.terminate();
    let run = child.join();
    let bodies: BTreeSet<String> = run
        .records("recv")
        .filter_map(|r| r["recv"].as_str().map(str::to_owned))
        .collect();
    assert!(
        bodies.iter().all(|b| b.starts_with("hi-")),
        "non-matching messages delivered: {bodies:?}"
    );
    assert_eq!(bodies.len(), 20, "{bodies:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_sql92_consumer_with_a_bad_expression_does_not_start() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    b.create_topic("jc-sql-bad", 4);
    let run = java(argv(&[
        "consume",
        "--namesrv",
        &ns,
        "--topic",
        "jc-sql-bad",
        "--group",
        "jc-sql-bad-c",
        "--sql",
        "a > 'x'",
        "--expect",
        "1",
        "--timeout",
        "20",
    ]))
    .await;
    let err = run.summary["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        err.contains("CODE: 23") || err.contains("cannot be compared"),
        "{run}"
    );
}
