//! Request-reply on the Apache broker: rmq's requester answered by rmq's replier and by the
//! Java client's replier, and the Java client's `request()` answered by rmq's replier — the
//! Apache broker's ReplyMessageProcessor and CLUSTER stamping on the other side.

use crate::consumer_support::replier::{echo_replier, request_echoes};
use crate::support::{argv, create_topic, java, ns, producer};

/// rmq's requests to `topic`, answered through the Apache broker's reply topic. Returns the
/// requester, to be shut down only once the replier is done: the broker waits for the
/// requester's answer to its last PUSH_REPLY_MESSAGE_TO_CLIENT before it answers the replier.
async fn request_all(ns: &str, topic: &str, n: usize) -> rmq::client::DefaultMqProducer {
    let requester = producer(ns);
    for reply in request_echoes(&requester, topic, n).await {
        assert!(reply.topic.ends_with("_REPLY_TOPIC"), "{}", reply.topic);
    }
    requester
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmq_requester_and_rmq_replier() {
    let ns = ns().await;
    create_topic("ap-rr-rmq", 4).await;
    let replier = echo_replier(&ns, "ap-rr-rmq", "ap-rr-rmq-replier").await;
    let requester = request_all(&ns, "ap-rr-rmq", 10).await;
    replier.shutdown().await;
    requester.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmq_requester_and_java_replier() {
    let ns = ns().await;
    create_topic("ap-rr-java", 4).await;
    let java_replier = {
        let ns = ns.clone();
        tokio::task::spawn_blocking(move || {
            crate::common::java_replier_spawn(&ns, "ap-rr-java", "ap-rr-java-replier", 10)
        })
        .await
        .unwrap()
    };
    let requester = request_all(&ns, "ap-rr-java", 10).await;
    let run = tokio::task::spawn_blocking(move || java_replier.join())
        .await
        .unwrap();
    requester.shutdown().await;
    run.assert_ok();
    assert_eq!(run.n("replied"), 10, "{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_requester_and_rmq_replier() {
    let ns = ns().await;
    create_topic("ap-rr-jq", 4).await;
    let replier = echo_replier(&ns, "ap-rr-jq", "ap-rr-jq-replier").await;
    let run = java(argv(&[
        "request",
        "--namesrv",
        &ns,
        "--topic",
        "ap-rr-jq",
        "--count",
        "10",
        "--prefix",
        "jq",
        "--request-timeout-ms",
        "15000",
    ]))
    .await;
    run.assert_ok();
    let replies: Vec<_> = run.records("reply").collect();
    assert_eq!(replies.len(), 10, "{run}");
    for r in replies {
        let i = r["index"].as_u64().unwrap();
        assert_eq!(r["reply"], format!("re:jq-{i}"), "{r}");
    }
    replier.shutdown().await;
}
