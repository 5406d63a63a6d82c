//! Request-reply across clients on rmq-broker: the Java client's `request()` answered by
//! rmq's replier, and rmq's `request()` answered by a Java replier
//! (`MessageUtil.createReplyMessage` + `send`, i.e. SEND_REPLY_MESSAGE_V2).

use crate::common::java_replier_spawn;
use crate::consumer_support::producer;
use crate::consumer_support::replier::{echo_replier, request_echoes};
use crate::{argv, broker, java};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_requester_gets_replies_from_rmq_replier() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    b.create_topic("jc-rr-rmq", 4);
    let replier = echo_replier(&ns, "jc-rr-rmq", "jc-rr-rmq-replier").await;
    let run = java(argv(&[
        "request",
        "--namesrv",
        &ns,
        "--topic",
        "jc-rr-rmq",
        "--count",
        "20",
        "--prefix",
        "jq",
        "--request-timeout-ms",
        "15000",
    ]))
    .await;
    run.assert_ok();
    let client_id = run.summary["client_id"].as_str().unwrap().to_owned();
    let replies: Vec<_> = run.records("reply").collect();
    assert_eq!(replies.len(), 20, "{run}");
    for r in replies {
        let i = r["index"].as_u64().unwrap();
        assert_eq!(r["reply"], format!("re:jq-{i}"), "{r}");
        assert_eq!(r["topic"], "DefaultCluster_REPLY_TOPIC");
        assert_eq!(r["reply_to"], client_id.as_str());
        assert!(r["correlation_id"].as_str().is_some_and(|c| !c.is_empty()));
    }
    replier.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmq_requester_gets_replies_from_java_replier() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    b.create_topic("jc-rr-java", 4);
    let java_replier = {
        let ns = ns.clone();
        tokio::task::spawn_blocking(move || {
            java_replier_spawn(&ns, "jc-rr-java", "jc-rr-java-replier", 10)
        })
        .await
        .unwrap()
    };
    let requester = producer(&ns);
    request_echoes(&requester, "jc-rr-java", 10).await;
    let run = tokio::task::spawn_blocking(move || java_replier.join())
        .await
        .unwrap();
    run.assert_ok();
    assert_eq!(run.n("replied"), 10, "{run}");
    for line in run.records("replied") {
        assert_eq!(line["cluster"], "DefaultCluster", "{line}");
    }
}
