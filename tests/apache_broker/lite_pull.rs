//! rmq's lite pull consumer against the Java broker: subscribe (rebalance, auto-commit) and
//! assign (seek, manual commit), with the committed offsets read back from the Java broker.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rmq::client::{DefaultLitePullConsumer, LitePullConsumerConfig, Message, MqAdmin};

use crate::support::*;

async fn poll_until(c: &DefaultLitePullConsumer, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got = Vec::new();
    while got.len() < n {
        assert!(Instant::now() < deadline, "polled {} of {n}", got.len());
        for m in c.poll(Duration::from_millis(500)).await.unwrap() {
            got.push(String::from_utf8_lossy(&m.body).to_string());
        }
    }
    got
}

async fn send(ns: &str, topic: &str, n: usize) {
    let p = producer(ns);
    for i in 0..n {
        p.send(&Message::new(topic, format!("lp-{i}")))
            .await
            .unwrap();
    }
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_polls_everything_and_commits_to_the_java_broker() {
    let ns = ns().await;
    create_topic("al-sub", 4).await;
    send(&ns, "al-sub", 40).await;
    let c = DefaultLitePullConsumer::with_config(
        client(&ns),
        LitePullConsumerConfig {
            consumer_group: "al-sub-group".into(),
            consume_from_where: rmq::client::consumer::ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
    )
    .unwrap();
    c.subscribe("al-sub", "*").unwrap();
    c.start().await.unwrap();
    let got: BTreeSet<String> = poll_until(&c, 40).await.into_iter().collect();
    assert_eq!(got, (0..40).map(|i| format!("lp-{i}")).collect());
    c.commit().await;
    // The Java broker has the group's offsets at the end of every queue.
    let admin = MqAdmin::new(client(&ns)).unwrap();
    let stats = admin.consume_stats("al-sub-group", "al-sub").await.unwrap();
    assert_eq!(stats.len(), 4);
    assert_eq!(stats.values().map(|s| s.broker_offset).sum::<i64>(), 40);
    assert!(stats.values().all(|s| s.lag() == 0), "{stats:?}");
    admin.close().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assign_seek_and_commit() {
    let ns = ns().await;
    create_topic("al-assign", 4).await;
    send(&ns, "al-assign", 40).await;
    let c = DefaultLitePullConsumer::new(client(&ns), "al-assign-group").unwrap();
    let queues = c.fetch_message_queues("al-assign").await.unwrap();
    assert_eq!(queues.len(), 4);
    c.assign(queues.clone()).await.unwrap();
    // Skip the first 5 of each queue (10 per queue: the producer spreads round robin).
    for q in &queues {
        c.seek(q, 5).await.unwrap();
    }
    let got = poll_until(&c, 20).await;
    assert_eq!(got.len(), 20);
    c.commit().await;
    for q in &queues {
        assert_eq!(c.committed(q).await.unwrap(), Some(10), "{q:?}");
    }
    c.shutdown().await;
    // A new consumer of the group resumes at the committed offsets the Java broker kept.
    let c2 = DefaultLitePullConsumer::new(client(&ns), "al-assign-group").unwrap();
    c2.assign(queues.clone()).await.unwrap();
    assert!(c2
        .poll(Duration::from_millis(300))
        .await
        .unwrap()
        .is_empty());
    send(&ns, "al-assign", 4).await;
    let more = poll_until(&c2, 4).await;
    assert_eq!(more.len(), 4);
    c2.shutdown().await;
}
