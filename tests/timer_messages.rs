//! 5.x timer messages (`TIMER_DELAY_SEC`, `TIMER_DELAY_MS`, `TIMER_DELIVER_MS`) on the bundled
//! broker: delivered not before their time and within 1 s after it, refused past
//! `timerMaxDelaySec`, and delivered once after a clean restart and after `kill -9`.

#[path = "../rmq-broker/tests/common/mod.rs"]
mod common;
mod consumer_support;

use std::collections::BTreeMap;
use std::time::Duration;

use common::BrokerProcess;
use consumer_support::{client, producer, timed_consumer, wait_until, Got};
use rmq::broker::{EmbeddedBroker, EmbeddedConfig};
use rmq::client::{ClientError, Message, MessageExt};
use rmq::RocketMqTemplate;
use rmq_core::clock::now_ms;

fn body(m: &MessageExt) -> String {
    String::from_utf8_lossy(&m.body).into_owned()
}

/// Asserts the message with `body` was stored in its topic at or after `earliest` and
/// received within 1 s of `latest` (the send's bounds on its delivery time).
fn assert_on_time(got: &Got, body_text: &str, earliest: i64, latest: i64) {
    let g = got.lock().unwrap();
    let (recv, m) = g
        .iter()
        .find(|(_, m)| body(m) == body_text)
        .unwrap_or_else(|| panic!("{body_text} not received"));
    assert!(
        m.store_timestamp >= earliest,
        "{body_text} delivered {} ms early",
        earliest - m.store_timestamp
    );
    assert!(*recv >= earliest, "{body_text} received before its time");
    assert!(
        *recv <= latest + 1000,
        "{body_text} received {} ms late",
        recv - latest
    );
    assert!(m.property("TIMER_OUT_MS").is_some(), "{:?}", m.properties);
    assert!(m.property("REAL_TOPIC").is_none(), "{:?}", m.properties);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_sec_delay_ms_and_deliver_ms_arrive_on_time() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let topic = "timer-on-time";
    let (c, got) = timed_consumer(&ns, "timer-on-time-g", topic);
    c.start().await.unwrap();
    let template = RocketMqTemplate::new(producer(&ns));
    // Route the topic first so the timed sends below are quick.
    template.sync_send(topic, "warm-up").await.unwrap();
    wait_until("the warm-up message", 20, || got.lock().unwrap().len() == 1).await;

    let t0 = now_ms();
    template
        .sync_send_delay_time_seconds(topic, "sec-2", 2)
        .await
        .unwrap();
    let t1 = now_ms();
    template
        .sync_send_delay_time_mills(topic, "ms-1500", 1500)
        .await
        .unwrap();
    let t2 = now_ms();
    let at = now_ms() + 2_300;
    template
        .sync_send_deliver_time_mills(topic, "at", at)
        .await
        .unwrap();
    // A past delivery time is delivered at once.
    template
        .sync_send_deliver_time_mills(topic, "past", now_ms() - 5_000)
        .await
        .unwrap();
    wait_until("the timer messages", 20, || got.lock().unwrap().len() == 5).await;
    assert_on_time(&got, "sec-2", t0 + 2_000, t1 + 2_000);
    assert_on_time(&got, "ms-1500", t1 + 1_500, t2 + 1_500);
    assert_on_time(&got, "at", at, at);
    let order: Vec<String> = got.lock().unwrap().iter().map(|(_, m)| body(m)).collect();
    assert_eq!(order, ["warm-up", "past", "ms-1500", "sec-2", "at"]);
    // Nothing more arrives (each delivered once).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(got.lock().unwrap().len(), 5);
    c.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delay_past_timer_max_delay_sec_is_refused() {
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.timer.max_delay_sec = 60;
    let b = EmbeddedBroker::start_with(cfg).await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let p = producer(&ns);
    p.send(&Message::new("timer-max", "ok").with_property("TIMER_DELAY_SEC", "60"))
        .await
        .unwrap();
    for (k, v) in [
        ("TIMER_DELAY_SEC", "61".to_owned()),
        ("TIMER_DELAY_MS", "60001".to_owned()),
        ("TIMER_DELIVER_MS", (now_ms() + 3_600_000).to_string()),
    ] {
        let err = p
            .send(&Message::new("timer-max", "too late").with_property(k, v))
            .await
            .unwrap_err();
        match err {
            ClientError::Broker { code, remark, .. } => {
                assert_eq!(code, 13, "MESSAGE_ILLEGAL: {remark}");
                assert!(remark.contains("timerMaxDelaySec 60"), "{remark}");
            }
            other => panic!("{k}: {other}"),
        }
    }
    let err = p
        .send(&Message::new("timer-max", "nan").with_property("TIMER_DELAY_MS", "soon"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("TIMER_DELAY_MS"), "{err}");
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_are_refused_when_the_wheel_is_disabled() {
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.timer.wheel_enable = false;
    let b = EmbeddedBroker::start_with(cfg).await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let err = producer(&ns)
        .send(&Message::new("timer-off", "x").with_property("TIMER_DELAY_SEC", "5"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("timerWheelEnable is false"),
        "{err}"
    );
    b.shutdown().await;
}

/// Sends `msg`, retrying for a while (the broker may be restarting).
async fn send_retrying(p: &rmq::client::DefaultMqProducer, msg: &Message) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match p.send(msg).await {
            Ok(_) => return,
            Err(e) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "send failed for 30 s: {e}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Sends `n` timer messages `<prefix>-<i>` due `delay_ms + i * step_ms` from now; returns
/// body → due time.
async fn send_timers(
    ns: &str,
    topic: &str,
    prefix: &str,
    n: usize,
    delay_ms: i64,
    step_ms: i64,
) -> BTreeMap<String, i64> {
    let p = producer(ns);
    let mut due = BTreeMap::new();
    for i in 0..n {
        let at = now_ms() + delay_ms + i as i64 * step_ms;
        let b = format!("{prefix}-{i}");
        send_retrying(
            &p,
            &Message::new(topic, b.clone()).with_property("TIMER_DELIVER_MS", at.to_string()),
        )
        .await;
        due.insert(b, at);
    }
    due
}

/// Messages stored in `topic` (the sum of its queues' max offsets).
async fn stored(ns: &str, group: &str, topic: &str) -> i64 {
    let admin = rmq::client::MqAdmin::new(client(ns)).unwrap();
    let n = admin
        .consume_stats(group, topic)
        .await
        .map_or(0, |s| s.values().map(|q| q.broker_offset).sum());
    admin.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_timers_survive_a_restart_and_kill_9_and_are_delivered_once() {
    restart_and_crash("flushDiskType=ASYNC_FLUSH\n").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_timers_survive_kill_9_under_sync_flush() {
    restart_and_crash("flushDiskType=SYNC_FLUSH\n").await;
}

/// Timers delivered before a clean restart, pending across it, delivered just before a
/// `kill -9`, due while the broker is down and due after the restart: each delivered once,
/// none early.
async fn restart_and_crash(extra_conf: &str) {
    // 60 s slots: the messages delivered just before the kill share a slot with ones still
    // pending, so the restart loads that slot again and must skip what was delivered.
    let mut broker = BrokerProcess::start_with(&format!(
        "timerPrecisionMs=60000\ntimerFlushIntervalMs=200\n{extra_conf}"
    ));
    let topic = "timer-crash";
    let ns = broker.namesrv_addr();
    // Delivered before any restart: must not come again.
    let mut due = send_timers(&ns, topic, "early", 10, 300, 0).await;
    // Pending across a clean restart.
    due.extend(send_timers(&ns, topic, "clean", 10, 2_000, 0).await);
    let (c, got) = timed_consumer(&ns, "timer-crash-early", topic);
    c.start().await.unwrap();
    wait_until("the early timers", 20, || got.lock().unwrap().len() >= 10).await;
    c.shutdown().await;
    broker.restart_same_ports();
    // Across kill -9: some delivered just before it, some due while the broker is down,
    // some after the restart.
    due.extend(send_timers(&ns, topic, "crash-soon", 10, 1_000, 150).await);
    due.extend(send_timers(&ns, topic, "crash-later", 10, 6_000, 0).await);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while stored(&ns, "timer-crash-early", topic).await < 23 {
        assert!(
            std::time::Instant::now() < deadline,
            "clean and 3 crash-soon timers never delivered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    broker.kill9();
    broker.restart_same_ports();
    let ns = broker.namesrv_addr();
    let (c, got) = timed_consumer(&ns, "timer-crash-all", topic);
    c.start().await.unwrap();
    wait_until("every timer message", 40, || {
        got.lock().unwrap().len() >= due.len()
    })
    .await;
    // A second delivery would show up within the next second or two.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let g: Vec<(i64, MessageExt)> = got.lock().unwrap().clone();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (_, m) in &g {
        let b = body(m);
        *seen.entry(b.clone()).or_default() += 1;
        let at = due[&b];
        assert!(
            m.store_timestamp >= at,
            "{b} delivered {} ms early",
            at - m.store_timestamp
        );
    }
    assert_eq!(seen.len(), due.len(), "{seen:?}");
    assert!(
        seen.values().all(|n| *n == 1),
        "delivered more than once: {seen:?}"
    );
    assert!(broker.logs().contains("timer store opened"));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_timer_precision_rebuilds_the_wheel_and_keeps_pending_timers() {
    let mut broker = BrokerProcess::start_with("timerPrecisionMs=1000\n");
    let topic = "timer-precision";
    let ns = broker.namesrv_addr();
    let mut due = send_timers(&ns, topic, "before", 5, 200, 0).await;
    due.extend(send_timers(&ns, topic, "pending", 10, 3_000, 100).await);
    // The first five are delivered before the restart.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while stored(&ns, "timer-precision-g", topic).await < 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "early timers never delivered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    broker.restart_with("timerPrecisionMs=500\n");
    assert!(broker
        .logs()
        .contains("timerPrecisionMs changed: rebuilding the timer wheel"));
    let ns = broker.namesrv_addr();
    let (c, got) = timed_consumer(&ns, "timer-precision-g", topic);
    c.start().await.unwrap();
    wait_until("every timer message", 30, || {
        got.lock().unwrap().len() >= due.len()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let g: Vec<(i64, MessageExt)> = got.lock().unwrap().clone();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (_, m) in &g {
        let b = body(m);
        assert!(m.store_timestamp >= due[&b], "{b} delivered early");
        *seen.entry(b).or_default() += 1;
    }
    assert_eq!(seen.len(), due.len(), "{seen:?}");
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    c.shutdown().await;
}
