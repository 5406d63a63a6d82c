//! Push consumers while the group or the broker changes: a member joins and one leaves while
//! messages flow (nothing lost, duplicates counted), and the broker restarts under a running
//! consumer (it recovers by itself).

mod consumer_support;

use std::collections::BTreeSet;
use std::time::Duration;

use consumer_support::{client, counts, producer, send, wait_until, Seen};
use rmq::broker::{EmbeddedBroker, EmbeddedConfig};
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqPushConsumer, ListenerFn, MessageExt,
};

fn member(ns: &str, group: &str, seen: &Seen) -> DefaultMqPushConsumer {
    let s = seen.clone();
    DefaultMqPushConsumer::new(
        client(ns),
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            persist_consumer_offset_interval: Duration::from_millis(500),
            ..Default::default()
        },
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let s = s.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(1)).await;
                s.lock().unwrap().extend(msgs);
                ConsumeConcurrentlyStatus::ConsumeSuccess
            }
        }),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_joins_and_one_leaves_while_messages_flow() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let topic = "crb-flow";
    let group = "crb-flow-group";
    let p = producer(&ns);
    send(&p, topic, "warm").await;
    // One log for the whole group: what any member consumed.
    let seen: Seen = Default::default();
    let c1 = member(&ns, group, &seen);
    let c2 = member(&ns, group, &seen);
    for c in [&c1, &c2] {
        c.subscribe(topic, "*");
        c.start().await.unwrap();
    }
    let total = 600;
    let mut sent = BTreeSet::new();
    let mut c3 = None;
    for i in 0..total {
        sent.insert(send(&p, topic, &format!("m-{i}")).await.msg_id);
        if i == 200 {
            let c = member(&ns, group, &seen);
            c.subscribe(topic, "*");
            c.start().await.unwrap();
            c3 = Some(c);
        }
        if i == 400 {
            c1.shutdown().await;
        }
        if i % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let c3 = c3.unwrap();
    wait_until("every message by some member", 60, || {
        let got: BTreeSet<String> = seen.lock().unwrap().iter().map(|m| m.msg_id()).collect();
        sent.is_subset(&got)
    })
    .await;
    let counts = counts(&seen);
    let lost = sent.iter().filter(|id| !counts.contains_key(*id)).count();
    let duplicates: usize = sent
        .iter()
        .filter_map(|id| counts.get(id))
        .map(|n| n - 1)
        .sum();
    println!("sent {total}, lost {lost}, duplicates {duplicates} (around the two rebalances)");
    assert_eq!(lost, 0);
    let q2: BTreeSet<i32> = c2
        .assigned_queues()
        .await
        .into_iter()
        .filter(|q| q.topic == topic)
        .map(|q| q.queue_id)
        .collect();
    let q3: BTreeSet<i32> = c3
        .assigned_queues()
        .await
        .into_iter()
        .filter(|q| q.topic == topic)
        .map(|q| q.queue_id)
        .collect();
    assert!(
        q2.is_disjoint(&q3) && q2.len() + q3.len() == 4,
        "{q2:?} / {q3:?}"
    );
    c2.shutdown().await;
    c3.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_recovers_by_itself_after_a_broker_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = EmbeddedConfig {
        store_dir: Some(dir.path().join("store")),
        ..Default::default()
    };
    let b1 = EmbeddedBroker::start_with(cfg.clone()).await.unwrap();
    let ns = b1.namesrv_addr().to_string();
    // Restart on the same ports so every client's addresses stay valid.
    cfg.namesrv_port = b1.namesrv_addr().port();
    cfg.broker.listen_port = b1.broker_addr().port();
    let seen: Seen = Default::default();
    let c = member(&ns, "crb-restart-group", &seen);
    c.subscribe("crb-restart", "*");
    let p = producer(&ns);
    let mut sent = BTreeSet::new();
    for i in 0..50 {
        sent.insert(send(&p, "crb-restart", &format!("before-{i}")).await.msg_id);
    }
    c.start().await.unwrap();
    wait_until("the first 50", 30, || seen.lock().unwrap().len() >= 50).await;

    b1.shutdown().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let b2 = EmbeddedBroker::start_with(cfg).await.unwrap();
    let p2 = producer(&ns);
    for i in 0..50 {
        sent.insert(send(&p2, "crb-restart", &format!("after-{i}")).await.msg_id);
    }
    wait_until("the 50 sent after the restart", 60, || {
        let got: BTreeSet<String> = seen.lock().unwrap().iter().map(|m| m.msg_id()).collect();
        sent.is_subset(&got)
    })
    .await;
    let counts = counts(&seen);
    let duplicates: usize = counts.values().map(|n| n - 1).sum();
    println!("broker restart: 100 sent, lost 0, duplicates {duplicates}");
    c.shutdown().await;
    b2.shutdown().await;
}
