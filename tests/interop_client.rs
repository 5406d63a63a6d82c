//! rmq's client and the official C++ client on one broker, both ways; msg ids agree.

#[path = "../rmq-broker/tests/common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmq::broker::EmbeddedBroker;
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ClientConfig, ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqProducer,
    DefaultMqPushConsumer, ListenerFn, Message, MessageExt, ProducerConfig,
};

fn client(ns: &str) -> ClientConfig {
    ClientConfig {
        name_server_addr: ns.to_owned(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_produces_cpp_consumes_and_back() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();

    // Rust → C++ (bodies in the driver's format so it counts them).
    let p = DefaultMqProducer::new(client(&ns), ProducerConfig::default()).unwrap();
    let mut sent = BTreeSet::new();
    for i in 0..50 {
        let body = format!("rmq-{i:08}-s0-t{}|xxxx", 0);
        let r = p
            .send(&Message::new("ic-r2c", body).with_tags("TagA"))
            .await
            .unwrap();
        sent.insert(r.msg_id);
    }
    let ns2 = ns.clone();
    let run = tokio::task::spawn_blocking(move || {
        common::cpp(&[
            "pull",
            "--namesrv",
            &ns2,
            "--topic",
            "ic-r2c",
            "--group",
            "ic-cpp",
            "--expect",
            "50",
            "--timeout",
            "60",
        ])
    })
    .await
    .unwrap();
    run.assert_ok();
    let got: BTreeSet<String> = run.strings("msg_ids").into_iter().collect();
    assert_eq!(
        got, sent,
        "the C++ consumer sees the ids the Rust producer got"
    );

    // C++ → Rust.
    let ns3 = ns.clone();
    let produced = tokio::task::spawn_blocking(move || {
        common::cpp(&[
            "produce",
            "--namesrv",
            &ns3,
            "--topic",
            "ic-c2r",
            "--count",
            "50",
            "--tag",
            "TagB",
        ])
    })
    .await
    .unwrap();
    produced.assert_ok();
    let cpp_ids: BTreeSet<String> = produced.sent_msg_ids().into_iter().collect();
    let seen: Arc<Mutex<Vec<MessageExt>>> = Arc::default();
    let s = seen.clone();
    let c = DefaultMqPushConsumer::new(
        client(&ns),
        ConsumerConfig {
            consumer_group: "ic-rust".into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        ListenerFn(move |m: Vec<MessageExt>| {
            let s = s.clone();
            async move {
                s.lock().unwrap().extend(m);
                ConsumeConcurrentlyStatus::ConsumeSuccess
            }
        }),
    )
    .unwrap();
    c.subscribe("ic-c2r", "TagB");
    c.start().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.lock().unwrap().len() < 50 {
        assert!(
            Instant::now() < deadline,
            "Rust consumer got {} of 50",
            seen.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got: BTreeSet<String> = seen.lock().unwrap().iter().map(|m| m.msg_id()).collect();
    assert_eq!(
        got, cpp_ids,
        "the Rust consumer sees the ids the C++ producer got"
    );
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|m| m.tags() == Some("TagB")));
    c.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpp_orderly_producer_rust_orderly_consumer() {
    use rmq::client::{ConsumeOrderlyStatus, OrderlyListenerFn};
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let admin = rmq::client::MqAdmin::new(client(&ns)).unwrap();
    admin.create_topic("ic-ord", 4).await.unwrap();
    let log: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default(); // (shard, index) in delivery order
    let l = log.clone();
    let c = DefaultMqPushConsumer::new_orderly(
        client(&ns),
        ConsumerConfig {
            consumer_group: "ic-ord-rust".into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        OrderlyListenerFn(move |m: MessageExt| {
            let l = l.clone();
            async move {
                // Driver bodies: rmq-<index:08>-s<shard>-t<ms>|xxxx
                let body = String::from_utf8_lossy(&m.body).to_string();
                let parts: Vec<&str> = body.split('|').next().unwrap_or("").split('-').collect();
                if let [_, idx, shard, ..] = parts[..] {
                    let shard = shard.trim_start_matches('s').parse().unwrap_or(99);
                    l.lock().unwrap().push((shard, idx.parse().unwrap_or(0)));
                }
                ConsumeOrderlyStatus::Success
            }
        }),
    )
    .unwrap();
    c.subscribe("ic-ord", "*");
    c.start().await.unwrap();
    let ns2 = ns.clone();
    tokio::task::spawn_blocking(move || {
        common::cpp(&[
            "produce",
            "--namesrv",
            &ns2,
            "--topic",
            "ic-ord",
            "--count",
            "200",
            "--orderly",
            "--shards",
            "4",
            "--quiet",
        ])
    })
    .await
    .unwrap()
    .assert_ok();
    let deadline = Instant::now() + Duration::from_secs(30);
    while log.lock().unwrap().len() < 200 {
        assert!(
            Instant::now() < deadline,
            "got {} of 200",
            log.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let entries = log.lock().unwrap().clone();
    for shard in 0..4 {
        let idx: Vec<u64> = entries
            .iter()
            .filter(|e| e.0 == shard)
            .map(|e| e.1)
            .collect();
        assert_eq!(idx.len(), 50, "shard {shard}");
        assert!(
            idx.windows(2).all(|w| w[0] < w[1]),
            "shard {shard} out of order: {idx:?}"
        );
    }
    c.shutdown().await;
    b.shutdown().await;
}
