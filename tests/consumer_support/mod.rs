//! Shared helpers of the consumer tests: clients, producing, waiting on conditions, a
//! recording listener, consume stats, and a remoting proxy that stands in for the broker.
#![allow(dead_code)]

pub mod log_capture;
pub mod proxy;
pub mod replier;
pub mod transaction;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ClientConfig, ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqProducer,
    DefaultMqPushConsumer, ListenerFn, Message, MessageExt, MessageListenerConcurrently, MqAdmin,
    ProducerConfig, SendResult,
};

use rmq_core::clock::now_ms;

/// Messages a listener received, in order.
pub type Seen = Arc<Mutex<Vec<MessageExt>>>;

/// A client of the name server `ns`.
pub fn client(ns: &str) -> ClientConfig {
    ClientConfig {
        name_server_addr: ns.to_owned(),
        ..Default::default()
    }
}

/// Polls `cond` every 20 ms until it holds; fails the test after `secs`.
pub async fn wait_until(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A push consumer with `config` that records every message it gets; `fail` answers every
/// delivery with RECONSUME_LATER.
pub fn recorder(ns: &str, config: ConsumerConfig, fail: bool) -> (DefaultMqPushConsumer, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let c = DefaultMqPushConsumer::new(
        client(ns),
        config,
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let s = s.clone();
            async move {
                s.lock().unwrap().extend(msgs);
                if fail {
                    ConsumeConcurrentlyStatus::ReconsumeLater
                } else {
                    ConsumeConcurrentlyStatus::ConsumeSuccess
                }
            }
        }),
    )
    .unwrap();
    (c, seen)
}

/// A push consumer of the name server `ns` in `group`, starting from the first offset, that
/// hands its messages to `listener` (not yet subscribed nor started).
pub fn from_first(
    ns: &str,
    group: &str,
    listener: impl MessageListenerConcurrently,
) -> DefaultMqPushConsumer {
    DefaultMqPushConsumer::new(
        client(ns),
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        listener,
    )
    .unwrap()
}

/// What a consumer got: (receive time ms, message).
pub type Got = Arc<Mutex<Vec<(i64, MessageExt)>>>;

/// A consumer of `topic` in `group` (from the first offset, subscribed, not started) that
/// records each message with the time it was received.
pub fn timed_consumer(ns: &str, group: &str, topic: &str) -> (DefaultMqPushConsumer, Got) {
    let got: Got = Arc::default();
    let g = got.clone();
    let c = from_first(
        ns,
        group,
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let g = g.clone();
            async move {
                let now = now_ms();
                g.lock().unwrap().extend(msgs.into_iter().map(|m| (now, m)));
                ConsumeConcurrentlyStatus::ConsumeSuccess
            }
        }),
    );
    c.subscribe(topic, "*");
    (c, got)
}

/// A producer on `ns`.
pub fn producer(ns: &str) -> DefaultMqProducer {
    DefaultMqProducer::new(client(ns), ProducerConfig::default()).unwrap()
}

/// Sends `n` messages `<prefix>-<i>`; returns their msg ids.
pub async fn produce(ns: &str, topic: &str, n: usize, prefix: &str) -> BTreeSet<String> {
    let p = producer(ns);
    let mut ids = BTreeSet::new();
    for i in 0..n {
        ids.insert(send(&p, topic, &format!("{prefix}-{i}")).await.msg_id);
    }
    ids
}

/// Sends one message, retrying for a while (a broker may be restarting).
pub async fn send(p: &DefaultMqProducer, topic: &str, body: &str) -> SendResult {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match p.send(&Message::new(topic, body.to_owned())).await {
            Ok(r) => return r,
            Err(e) => {
                assert!(Instant::now() < deadline, "send failed for 30 s: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Msg ids of what was seen.
pub fn ids(seen: &Seen) -> BTreeSet<String> {
    seen.lock().unwrap().iter().map(|m| m.msg_id()).collect()
}

/// How many times each msg id was seen.
pub fn counts(seen: &Seen) -> BTreeMap<String, usize> {
    let mut c = BTreeMap::new();
    for m in seen.lock().unwrap().iter() {
        *c.entry(m.msg_id()).or_insert(0) += 1;
    }
    c
}

/// Waits until `group` has committed everything of `topic` (lag 0 on every queue, at least
/// one message).
pub async fn wait_committed(ns: &str, group: &str, topic: &str, secs: u64) {
    let admin = MqAdmin::new(client(ns)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Ok(stats) = admin.consume_stats(group, topic).await {
            let total: i64 = stats.values().map(|s| s.broker_offset).sum();
            if total > 0 && stats.values().all(|s| s.lag() == 0) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{group} never committed all of {topic}: {stats:?}"
            );
        } else {
            assert!(Instant::now() < deadline, "no consume stats for {group}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    admin.close().await;
}

/// The committed offsets of `group` on `topic`, by queue id.
pub async fn committed(ns: &str, group: &str, topic: &str) -> BTreeMap<i32, (i64, i64)> {
    let admin = MqAdmin::new(client(ns)).unwrap();
    let stats = admin.consume_stats(group, topic).await.unwrap();
    admin.close().await;
    stats
        .into_iter()
        .map(|(q, s)| (q.queue_id, (s.consumer_offset, s.broker_offset)))
        .collect()
}
