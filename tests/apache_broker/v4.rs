//! Apache RocketMQ 4.9.7 (the newest 4.x served here; 4.9.8 is not on this machine's Maven
//! mirror) on JDK 17 with `--add-opens`: rmq's client against its NameServer + Broker, and a
//! 4.9.7 broker with `compressedRegister=true` registering with rmq's NameServer.

use std::collections::BTreeSet;

use rmq::client::Message;

use crate::common::{ApacheBroker, ApacheCluster, ApacheVersion, BrokerProcess};
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmq_client_on_apache_4_9_7() {
    let cluster = tokio::task::spawn_blocking(|| {
        let c = ApacheCluster::start(ApacheVersion::V4, "");
        c.create_topic("v4-topic", 4);
        c
    })
    .await
    .unwrap();
    let ns = cluster.namesrv_addr();
    let p = producer(&ns);
    let mut sent = BTreeSet::new();
    for i in 0..20 {
        let r = p
            .send(&Message::new("v4-topic", format!("v4-{i}")).with_tags("T"))
            .await
            .unwrap();
        sent.insert(r.msg_id);
    }
    p.shutdown().await;
    let (c, seen) = consumer(&ns, "v4-group", false, -1);
    c.subscribe("v4-topic", "T");
    c.start().await.unwrap();
    wait_until("20 messages from the 4.9.7 broker", 60, || {
        ids(&seen).len() >= 20
    })
    .await;
    assert_eq!(ids(&seen), sent);
    c.shutdown().await;
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4_9_7_broker_registers_compressed_with_rmq_name_server() {
    let rmq = tokio::task::spawn_blocking(BrokerProcess::start)
        .await
        .unwrap();
    let ns = rmq.namesrv_addr();
    let ns2 = ns.clone();
    // compressedRegister: the body is zlib-deflated (RegisterBrokerBody.encode(true)).
    let java_broker = tokio::task::spawn_blocking(move || {
        let b = ApacheBroker::start(
            ApacheVersion::V4,
            &ns2,
            "broker-j4",
            "compressedRegister=true",
        );
        b.create_topic(&ns2, "v4-mixed", 4);
        b
    })
    .await
    .unwrap();
    let p = producer(&ns);
    let mut brokers = BTreeSet::new();
    for i in 0..8 {
        let r = p
            .send(&Message::new("v4-mixed", format!("m-{i}")))
            .await
            .unwrap();
        brokers.insert(r.message_queue.broker_name);
    }
    p.shutdown().await;
    assert_eq!(brokers, ["broker-j4".to_string()].into());
    assert!(
        !rmq.logs().contains("invalid RegisterBrokerBody"),
        "{}",
        rmq.logs()
    );
    tokio::task::spawn_blocking(move || {
        drop(java_broker);
        drop(rmq);
    })
    .await
    .unwrap();
}
