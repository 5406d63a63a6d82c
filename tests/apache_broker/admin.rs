//! `MqAdmin` against the Java NameServer + Broker: cluster info, topic creation, and consume
//! stats (broker offset, consumer offset, lag) of a group the Java consumer advanced.

use rmq::client::{Message, MqAdmin};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_info_topics_and_lag() {
    let ns = ns().await;
    let admin = MqAdmin::new(client(&ns)).unwrap();
    let info = admin.cluster_info().await.unwrap();
    let brokers = &info.cluster_addr_table["DefaultCluster"];
    assert!(brokers.contains("broker-j"), "{info:?}");
    let data = &info.broker_addr_table["broker-j"];
    assert_eq!(
        data.broker_addrs.get(&0).map(String::as_str),
        Some(shared().broker.addr().as_str())
    );

    admin.create_topic("ad-lag", 2).await.unwrap();
    let p = producer(&ns);
    for i in 0..10 {
        let body = format!("ad-{i:08}-s0-t0|");
        p.send(&Message::new("ad-lag", body)).await.unwrap();
    }
    p.shutdown().await;

    // The Java consumer takes the 10 and commits the group's offsets on the Java broker;
    // then 6 more arrive that nobody consumes.
    let run = java(argv(&[
        "consume",
        "--namesrv",
        &ns,
        "--topic",
        "ad-lag",
        "--group",
        "ad-lag-group",
        "--expect",
        "10",
        "--prefix",
        "ad",
        "--from-first",
        "--timeout",
        "60",
    ]))
    .await;
    run.assert_ok();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // A Java consumer persists offsets every 5 s and at shutdown.
    let stats = loop {
        let stats = admin.consume_stats("ad-lag-group", "ad-lag").await.unwrap();
        if stats.values().all(|s| s.lag() == 0)
            && stats.values().map(|s| s.broker_offset).sum::<i64>() == 10
        {
            break stats;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "offsets never committed: {stats:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(stats.len(), 2);
    let p = producer(&ns);
    for i in 0..6 {
        p.send(&Message::new("ad-lag", format!("late-{i}")))
            .await
            .unwrap();
    }
    p.shutdown().await;
    let stats = admin.consume_stats("ad-lag-group", "ad-lag").await.unwrap();
    assert_eq!(stats.values().map(|s| s.lag()).sum::<i64>(), 6, "{stats:?}");
    assert_eq!(stats.values().map(|s| s.consumer_offset).sum::<i64>(), 10);
    admin.close().await;
}
