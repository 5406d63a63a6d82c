//! The rules the push and the lite pull consumer share since their pull step is one
//! (`rmq_core::client::consumer::pull`), on the embedded broker over loopback: a second
//! `start` is an error (Java's "service state not OK, maybe started once"); an offset out of
//! range (PULL_OFFSET_MOVED) moves the consumer on to the broker's offset, which becomes the
//! group's committed offset (Java's push `OFFSET_ILLEGAL` rule); a zero timer period is
//! clamped instead of killing the service loop.

mod consumer_support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use consumer_support::{client, ids, produce, recorder, wait_committed, wait_until};
use rmq::broker::EmbeddedBroker;
use rmq::client::consumer::{ConsumeFromWhere, LitePullConsumerConfig, RemoteOffsetStore};
use rmq::client::{ClientInstance, ConsumerConfig, DefaultLitePullConsumer};
use rmq::protocol::body::MessageQueue;

/// An offset far beyond what any queue of the tests holds.
const BEYOND_MAX: i64 = 1000;

fn lite(ns: &str, group: &str) -> DefaultLitePullConsumer {
    DefaultLitePullConsumer::with_config(
        client(ns),
        LitePullConsumerConfig {
            consumer_group: group.into(),
            auto_commit: false,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Commits `offset` for `group` on every queue, as a stale (or foreign) commit would.
async fn commit_everywhere(ns: &str, group: &str, queues: &[MessageQueue], offset: i64) {
    let instance = ClientInstance::new(client(ns)).unwrap();
    let store = RemoteOffsetStore::new(group);
    for q in queues {
        store.set(q, offset);
        store.persist(&instance, q).await.unwrap();
    }
    instance.remoting().close_all().await;
}

/// Waits until `c` reports `want` as the committed offset of every queue.
async fn wait_lite_committed(c: &DefaultLitePullConsumer, queues: &[MessageQueue], want: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut now = Vec::new();
        for q in queues {
            now.push(c.committed(q).await.unwrap());
        }
        if now.iter().all(|o| *o == Some(want)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "committed offsets {now:?}, want {want} everywhere"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A push consumer with `config` consumes exactly `sent` of `topic` (20 s) and commits it
/// while it runs (within `commit_secs`).
async fn consume_all_and_commit(
    ns: &str,
    config: ConsumerConfig,
    topic: &str,
    sent: &BTreeSet<String>,
    commit_secs: u64,
) {
    let group = config.consumer_group.clone();
    let (c, seen) = recorder(ns, config, false);
    c.subscribe(topic, "*");
    c.start().await.unwrap();
    wait_until("every message", 20, || ids(&seen) == *sent).await;
    wait_committed(ns, &group, topic, commit_secs).await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite_pull_second_start_is_an_error() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    produce(&ns, "rules-start", 1, "m").await;

    let c = lite(&ns, "rules-start-group");
    c.subscribe("rules-start", "*").unwrap();
    c.start().await.unwrap();
    assert!(c.start().await.is_err(), "a second start is an error");
    c.shutdown().await;
    assert!(
        c.start().await.is_err(),
        "a start after shutdown is an error"
    );

    // `assign` before `start` runs the consumer; the one `start` that follows is accepted
    // (Java allows assign before start), a further one is not.
    let a = lite(&ns, "rules-start-assign");
    let queues = a.fetch_message_queues("rules-start").await.unwrap();
    a.assign(queues).await.unwrap();
    a.start().await.unwrap();
    assert!(a.start().await.is_err());
    a.shutdown().await;

    // The push consumer follows the same rule.
    let (p, _) = recorder(
        &ns,
        ConsumerConfig {
            consumer_group: "rules-start-push".into(),
            ..Default::default()
        },
        false,
    );
    p.subscribe("rules-start", "*");
    p.start().await.unwrap();
    assert!(p.start().await.is_err());
    p.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite_pull_offset_beyond_max_moves_on_to_the_broker_offset() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let sent = produce(&ns, "rules-moved", 3, "m").await;
    let group = "rules-moved-group";
    let c = lite(&ns, group);
    let queues = c.fetch_message_queues("rules-moved").await.unwrap();
    commit_everywhere(&ns, group, &queues, BEYOND_MAX).await;
    assert_eq!(c.committed(&queues[0]).await.unwrap(), Some(BEYOND_MAX));

    // The consumer starts at the committed offset; the broker answers PULL_OFFSET_MOVED
    // with nextBeginOffset 0 (its min offset) for every queue. Without polling or committing
    // anything, the moved offset is the group's committed offset.
    c.assign(queues.clone()).await.unwrap();
    wait_lite_committed(&c, &queues, 0).await;

    // And the consumer continues from there: every message, from queue offset 0.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut got = Vec::new();
    while got.len() < sent.len() {
        assert!(
            Instant::now() < deadline,
            "polled {} of {}",
            got.len(),
            sent.len()
        );
        got.extend(c.poll(Duration::from_millis(500)).await.unwrap());
    }
    assert!(got.iter().all(|m| m.queue_offset == 0), "{got:?}");
    let got: BTreeSet<String> = got.iter().map(|m| m.msg_id()).collect();
    assert_eq!(got, sent);
    c.commit().await;
    let mut total = 0;
    for q in &queues {
        total += c.committed(q).await.unwrap().unwrap_or(0);
    }
    assert_eq!(total, 3, "past the 3 messages");
    c.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_offset_beyond_max_moves_on_to_the_broker_offset() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let sent = produce(&ns, "rules-moved-push", 3, "m").await;
    let group = "rules-moved-push-group";
    let queues = lite(&ns, "rules-moved-push-probe")
        .fetch_message_queues("rules-moved-push")
        .await
        .unwrap();
    commit_everywhere(&ns, group, &queues, BEYOND_MAX).await;
    let config = ConsumerConfig {
        consumer_group: group.into(),
        consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
        ..Default::default()
    };
    // Everything, from offset 0, and committed.
    consume_all_and_commit(&ns, config, "rules-moved-push", &sent, 20).await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_timer_periods_are_clamped_and_the_service_loop_keeps_committing() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let sent = produce(&ns, "rules-timers", 5, "m").await;
    let group = "rules-timers-group";
    let config = ConsumerConfig {
        consumer_group: group.into(),
        consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
        persist_consumer_offset_interval: Duration::ZERO,
        consume_timeout_check_interval: Duration::ZERO,
        // A held pull carries the commit offset only when it is sent again, 20 s on: within
        // the 8 s allowed for committing only the (clamped) persist timer commits.
        broker_suspend_max_time: Duration::from_secs(20),
        ..Default::default()
    };
    consume_all_and_commit(&ns, config, "rules-timers", &sent, 8).await;
    b.shutdown().await;
}
