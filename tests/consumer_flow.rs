//! Push consumer flow control and consume timeouts: the per-queue cache stays under its
//! threshold while pulls run ahead of a slow listener; a hung listener call has its message
//! sent back; the committed offset never passes a message still in flight.

mod consumer_support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use consumer_support::{client, committed, counts, produce, wait_committed, wait_until, Seen};
use rmq::broker::{EmbeddedBroker, EmbeddedConfig};
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqProducer, DefaultMqPushConsumer,
    ListenerFn, Message, MessageExt, ProducerConfig,
};
use tokio::sync::Notify;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_control_caps_each_queue_and_everything_is_consumed_once() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let sent = produce(&ns, "cf-flow", 400, "m").await;
    let slow = Arc::new(AtomicBool::new(true));
    let seen: Seen = Default::default();
    let (s, sl) = (seen.clone(), slow.clone());
    let (threshold, batch) = (20usize, 8i32);
    let c = DefaultMqPushConsumer::new(
        client(&ns),
        ConsumerConfig {
            consumer_group: "cf-flow-group".into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            consume_thread_max: 2,
            pull_batch_size: batch,
            pull_threshold_for_queue: threshold,
            persist_consumer_offset_interval: Duration::from_millis(200),
            ..Default::default()
        },
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let (s, sl) = (s.clone(), sl.clone());
            async move {
                if sl.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                s.lock().unwrap().extend(msgs);
                ConsumeConcurrentlyStatus::ConsumeSuccess
            }
        }),
    )
    .unwrap();
    c.subscribe("cf-flow", "*");
    c.start().await.unwrap();

    // While the listener is slow, sample every queue's cache.
    let mut peak: BTreeMap<i32, i64> = BTreeMap::new();
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        for (mq, pq) in c.running_info().await.mq_table {
            if mq.topic == "cf-flow" {
                let p = peak.entry(mq.queue_id).or_default();
                *p = (*p).max(pq.cached_msg_count);
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let consumed_slowly = seen.lock().unwrap().len();
    println!("peak cached per queue: {peak:?}; consumed while slow: {consumed_slowly}");
    assert_eq!(peak.len(), 4, "{peak:?}");
    for (q, p) in &peak {
        assert!(
            *p <= (threshold + batch as usize) as i64,
            "queue {q} cached {p} > threshold {threshold} + one pull batch {batch}"
        );
    }
    assert!(
        peak.values().any(|p| *p > threshold as i64),
        "pulls ran ahead of the 2 listener calls in flight: {peak:?}"
    );
    assert!(consumed_slowly < 400, "the listener was slow");

    slow.store(false, Ordering::Relaxed);
    wait_until("all 400", 60, || seen.lock().unwrap().len() >= 400).await;
    let counts = counts(&seen);
    assert_eq!(
        counts
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        sent
    );
    let dups: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dups.is_empty(), "consumed more than once: {dups:?}");
    wait_committed(&ns, "cf-flow-group", "cf-flow", 20).await;
    c.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_listener_call_is_sent_back_after_consume_timeout() {
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.store.message_delay_level = "1s 1s 1s 1s 1s 1s".into();
    let b = EmbeddedBroker::start_with(cfg).await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let sent = produce(&ns, "cf-timeout", 1, "hang").await;
    let release = Arc::new(Notify::new());
    let seen: Seen = Default::default();
    let (s, r) = (seen.clone(), release.clone());
    let c = DefaultMqPushConsumer::new(
        client(&ns),
        ConsumerConfig {
            consumer_group: "cf-timeout-group".into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            consume_timeout: Duration::from_secs(1),
            consume_timeout_check_interval: Duration::from_millis(200),
            persist_consumer_offset_interval: Duration::from_millis(200),
            await_termination: Duration::from_secs(2),
            ..Default::default()
        },
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let (s, r) = (s.clone(), r.clone());
            async move {
                let hang = msgs[0].reconsume_times == 0;
                s.lock().unwrap().extend(msgs);
                if hang {
                    r.notified().await;
                }
                ConsumeConcurrentlyStatus::ConsumeSuccess
            }
        }),
    )
    .unwrap();
    c.subscribe("cf-timeout", "*");
    c.start().await.unwrap();
    wait_until("the redelivery of the hung message", 30, || {
        seen.lock().unwrap().len() >= 2
    })
    .await;
    let again = seen.lock().unwrap()[1].clone();
    assert_eq!(again.reconsume_times, 1);
    assert!(sent.contains(&again.msg_id()), "same message");
    assert_eq!(again.topic, "cf-timeout");
    // The first call still hangs, yet the queue's offset moved past the message.
    wait_committed(&ns, "cf-timeout-group", "cf-timeout", 20).await;
    release.notify_waiters();
    c.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_offset_stays_before_a_message_still_in_flight() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let p = DefaultMqProducer::new(client(&ns), ProducerConfig::default()).unwrap();
    for i in 0..10 {
        // All to queue 0.
        p.send_with_selector(&Message::new("cf-inflight", format!("m{i}")), |_| 0)
            .await
            .unwrap();
    }
    let release = Arc::new(Notify::new());
    let make = |release: Arc<Notify>| {
        let seen: Seen = Default::default();
        let s = seen.clone();
        let c = DefaultMqPushConsumer::new(
            client(&ns),
            ConsumerConfig {
                consumer_group: "cf-inflight-group".into(),
                consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
                await_termination: Duration::from_millis(300),
                ..Default::default()
            },
            ListenerFn(move |msgs: Vec<MessageExt>| {
                let (s, r) = (s.clone(), release.clone());
                async move {
                    let hang = &msgs[0].body[..] == b"m3";
                    s.lock().unwrap().extend(msgs);
                    if hang {
                        r.notified().await;
                    }
                    ConsumeConcurrentlyStatus::ConsumeSuccess
                }
            }),
        )
        .unwrap();
        c.subscribe("cf-inflight", "*");
        (c, seen)
    };
    let (c1, seen1) = make(release.clone());
    c1.start().await.unwrap();
    wait_until("all 10 delivered", 30, || seen1.lock().unwrap().len() >= 10).await;
    // m3 (offset 3) still runs: shutdown commits 3, not 10.
    c1.shutdown().await;
    let offsets = committed(&ns, "cf-inflight-group", "cf-inflight").await;
    assert_eq!(offsets.get(&0).map(|o| o.0), Some(3), "{offsets:?}");
    release.notify_waiters();

    let (c2, seen2) = make(Arc::new(Notify::new()));
    c2.start().await.unwrap();
    wait_until("m3 again after the restart", 30, || {
        seen2.lock().unwrap().iter().any(|m| &m.body[..] == b"m3")
    })
    .await;
    let bodies: Vec<String> = seen2
        .lock()
        .unwrap()
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    assert!(
        bodies
            .iter()
            .all(|b| !["m0", "m1", "m2"].contains(&b.as_str())),
        "restart resumes at the message in flight, not before: {bodies:?}"
    );
    c2.shutdown().await;
    b.shutdown().await;
}
