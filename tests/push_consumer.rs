//! rmq's push consumer against the embedded broker.

mod consumer_support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use consumer_support::{client, recorder, wait_until, Seen};
use rmq::broker::{EmbeddedBroker, EmbeddedConfig};
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ConsumerConfig, DefaultMqProducer, DefaultMqPushConsumer, Message, MessageExt, ProducerConfig,
};

fn consumer(
    ns: &str,
    group: &str,
    fail: bool,
    max_reconsume: i32,
) -> (DefaultMqPushConsumer, Seen) {
    recorder(
        ns,
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            max_reconsume_times: max_reconsume,
            ..Default::default()
        },
        fail,
    )
}

/// Waits until two members of a group hold disjoint, non-empty sets of the topic's 4 queues.
async fn wait_for_split(c1: &DefaultMqPushConsumer, c2: &DefaultMqPushConsumer, topic: &str) {
    let topic_queues = |q: Vec<rmq::client::MessageQueue>| -> BTreeSet<i32> {
        q.into_iter()
            .filter(|q| q.topic == topic)
            .map(|q| q.queue_id)
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (a, b) = (
            topic_queues(c1.assigned_queues().await),
            topic_queues(c2.assigned_queues().await),
        );
        if a.is_disjoint(&b) && a.len() + b.len() == 4 && !a.is_empty() && !b.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{topic} queues never split: {a:?} / {b:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn produce(ns: &str, topic: &str, n: usize, prefix: &str) -> BTreeSet<String> {
    let p = DefaultMqProducer::new(client(ns), ProducerConfig::default()).unwrap();
    let mut ids = BTreeSet::new();
    for i in 0..n {
        ids.insert(
            p.send(&Message::new(topic, format!("{prefix}-{i}")))
                .await
                .unwrap()
                .msg_id,
        );
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumes_exactly_what_was_produced() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let sent = produce(&ns, "pc-all", 100, "m").await;
    let (c, seen) = consumer(&ns, "pc-group", false, -1);
    c.subscribe("pc-all", "*");
    c.start().await.unwrap();
    wait_until("100 messages", 30, || seen.lock().unwrap().len() >= 100).await;
    let got: BTreeSet<String> = seen.lock().unwrap().iter().map(|m| m.msg_id()).collect();
    assert_eq!(got, sent);
    c.shutdown().await;
    // Restart: offsets were committed, nothing is consumed again.
    let more = produce(&ns, "pc-all", 5, "later").await;
    let (c2, seen2) = consumer(&ns, "pc-group", false, -1);
    c2.subscribe("pc-all", "*");
    c2.start().await.unwrap();
    wait_until("5 new messages", 30, || seen2.lock().unwrap().len() >= 5).await;
    let got: BTreeSet<String> = seen2.lock().unwrap().iter().map(|m| m.msg_id()).collect();
    assert_eq!(got, more, "no re-consumption before the committed offset");
    c2.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_split_the_queues() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    produce(&ns, "pc-split", 1, "warm").await;
    let (c1, s1) = consumer(&ns, "pc-split-group", false, -1);
    let (c2, s2) = consumer(&ns, "pc-split-group", false, -1);
    for c in [&c1, &c2] {
        c.subscribe("pc-split", "*");
        c.start().await.unwrap();
    }
    wait_for_split(&c1, &c2, "pc-split").await;
    let sent = produce(&ns, "pc-split", 200, "m").await;
    wait_until("200 messages", 30, || {
        let n = |s: &Seen| {
            s.lock()
                .unwrap()
                .iter()
                .filter(|m| m.body.starts_with(b"m-"))
                .count()
        };
        n(&s1) + n(&s2) >= 200
    })
    .await;
    let ids = |s: &Seen| -> BTreeSet<String> {
        s.lock()
            .unwrap()
            .iter()
            .filter(|m| m.body.starts_with(b"m-"))
            .map(|m| m.msg_id())
            .collect()
    };
    let (a, bb) = (ids(&s1), ids(&s2));
    assert!(a.is_disjoint(&bb));
    assert_eq!(a.union(&bb).cloned().collect::<BTreeSet<_>>(), sent);
    c1.shutdown().await;
    c2.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_listener_is_retried_then_dead_lettered() {
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.store.message_delay_level = "1s 1s 1s 1s 1s 1s".into();
    let b = EmbeddedBroker::start_with(cfg).await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let sent = produce(&ns, "pc-fail", 1, "doomed").await;
    let (c, seen) = consumer(&ns, "pc-fail-group", true, 2);
    c.subscribe("pc-fail", "*");
    c.start().await.unwrap();
    // First delivery plus two redeliveries.
    wait_until("3 deliveries", 60, || seen.lock().unwrap().len() >= 3).await;
    {
        let s = seen.lock().unwrap();
        let times: Vec<i32> = s.iter().take(3).map(|m| m.reconsume_times).collect();
        assert_eq!(times, vec![0, 1, 2]);
        assert!(
            s.iter().all(|m| m.topic == "pc-fail"),
            "retry messages show the original topic"
        );
        assert!(
            s.iter().all(|m| sent.contains(&m.msg_id())),
            "same msg id on redelivery"
        );
    }
    // Then it lands in the DLQ.
    let (dlq, dlq_seen) = consumer(&ns, "pc-dlq-reader", false, -1);
    dlq.subscribe("%DLQ%pc-fail-group", "*");
    dlq.start().await.unwrap();
    wait_until("the DLQ message", 60, || {
        !dlq_seen.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(&dlq_seen.lock().unwrap()[0].body[..], b"doomed-0");
    dlq.shutdown().await;
    c.shutdown().await;
    b.shutdown().await;
}

fn broadcast_consumer(
    ns: &str,
    instance: &str,
    dir: &std::path::Path,
) -> (DefaultMqPushConsumer, Seen) {
    let (c, seen) = recorder(
        ns,
        ConsumerConfig {
            consumer_group: "pc-bcast".into(),
            message_model: rmq::client::MessageModel::Broadcasting,
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            offset_store_dir: Some(dir.to_owned()),
            instance_name: instance.into(),
            ..Default::default()
        },
        false,
    );
    c.subscribe("pc-bcast", "*");
    (c, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasting_delivers_to_every_member_and_resumes_from_its_file() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let first = produce(&ns, "pc-bcast", 20, "a").await;
    let (c1, s1) = broadcast_consumer(&ns, "one", dir.path());
    let (c2, s2) = broadcast_consumer(&ns, "two", dir.path());
    c1.start().await.unwrap();
    c2.start().await.unwrap();
    wait_until("both get all 20", 30, || {
        s1.lock().unwrap().len() >= 20 && s2.lock().unwrap().len() >= 20
    })
    .await;
    let ids =
        |s: &Seen| -> BTreeSet<String> { s.lock().unwrap().iter().map(|m| m.msg_id()).collect() };
    assert_eq!(ids(&s1), first);
    assert_eq!(ids(&s2), first);
    c2.shutdown().await;
    assert!(dir
        .path()
        .join("127.0.0.1@two/pc-bcast/offsets.json")
        .exists());
    let second = produce(&ns, "pc-bcast", 10, "b").await;
    let (c2, s2) = broadcast_consumer(&ns, "two", dir.path());
    c2.start().await.unwrap();
    wait_until("the restarted member gets the 10 new", 30, || {
        s2.lock().unwrap().len() >= 10
    })
    .await;
    assert_eq!(
        ids(&s2),
        second,
        "resumed from its offsets file, nothing old again"
    );
    c1.shutdown().await;
    c2.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_consumers_keep_per_key_order() {
    use rmq::client::{ConsumeOrderlyStatus, OrderlyListenerFn};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    produce(&ns, "pc-ord", 1, "warm").await;
    let log: Arc<Mutex<Vec<(usize, u64, u64)>>> = Arc::default(); // (receive seq, key, index)
    let seq = Arc::new(AtomicUsize::new(0));
    let make = || {
        let (log, seq) = (log.clone(), seq.clone());
        let c = DefaultMqPushConsumer::new_orderly(
            client(&ns),
            ConsumerConfig {
                consumer_group: "pc-ord-group".into(),
                consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
                ..Default::default()
            },
            OrderlyListenerFn(move |m: MessageExt| {
                let (log, seq) = (log.clone(), seq.clone());
                async move {
                    let body = String::from_utf8_lossy(&m.body).to_string();
                    if let Some(rest) = body.strip_prefix("k") {
                        let (k, i) = rest.split_once('-').unwrap();
                        let n = seq.fetch_add(1, Ordering::SeqCst);
                        log.lock()
                            .unwrap()
                            .push((n, k.parse().unwrap(), i.parse().unwrap()));
                    }
                    ConsumeOrderlyStatus::Success
                }
            }),
        )
        .unwrap();
        c.subscribe("pc-ord", "*");
        c
    };
    let (c1, c2) = (make(), make());
    c1.start().await.unwrap();
    c2.start().await.unwrap();
    wait_for_split(&c1, &c2, "pc-ord").await;
    let p = DefaultMqProducer::new(client(&ns), ProducerConfig::default()).unwrap();
    for i in 0..1000u64 {
        let key = i % 10;
        p.send_with_selector(&Message::new("pc-ord", format!("k{key}-{i}")), |qs| {
            (key % qs.len() as u64) as usize
        })
        .await
        .unwrap();
    }
    wait_until("1000 ordered messages", 60, || {
        log.lock()
            .unwrap()
            .iter()
            .map(|e| e.2)
            .collect::<BTreeSet<_>>()
            .len()
            >= 1000
    })
    .await;
    let mut entries = log.lock().unwrap().clone();
    entries.sort();
    for key in 0..10 {
        let mut last = None;
        for (_, _, i) in entries.iter().filter(|e| e.1 == key) {
            if let Some(l) = last {
                assert!(*i > l, "key {key}: {i} after {l}");
            }
            last = Some(*i);
        }
    }
    c1.shutdown().await;
    c2.shutdown().await;
    b.shutdown().await;
}
